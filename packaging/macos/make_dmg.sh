#!/usr/bin/env bash
# macOS: dist/InkLift.app (built by packaging/inklift.spec's BUNDLE on a Mac) -> dist/InkLift-<ver>-macos-<arch>.dmg
# Needs macOS (hdiutil, codesign). Cannot run on the Linux development machine; CI runs it on macos-latest.
# Optional: CODESIGN_IDENTITY="Developer ID Application: ..." signs the app (hardened runtime) before packing;
# notarisation (xcrun notarytool) is left to a release job with the team's Apple credentials.
set -euo pipefail
cd "$(dirname "$0")/../.."
APP=dist/InkLift.app
[ -d "$APP" ] || { echo "make_dmg: $APP missing; build it with: python -m PyInstaller packaging/inklift.spec" >&2; exit 1; }
VERSION=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' pyproject.toml | head -1)
ARCH=$(uname -m)
DMG=dist/InkLift-$VERSION-macos-$ARCH.dmg

/usr/libexec/PlistBuddy -c "Print :NSCameraUsageDescription" "$APP/Contents/Info.plist" >/dev/null \
  || { echo "make_dmg: Info.plist lacks NSCameraUsageDescription (macOS would kill the app on camera use)" >&2; exit 1; }

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
  codesign --verify --deep --strict "$APP"
fi

# The frozen smoke test from inside the .app, before packing (offline: no network is used by design).
"$APP/Contents/MacOS/InkLift" --smoke-test

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
cp NOTICE "$STAGE/NOTICE.txt"
rm -f "$DMG"
hdiutil create -volname "InkLift $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
hdiutil verify "$DMG"
echo "built $DMG ($(du -h "$DMG" | cut -f1))"
