#!/usr/bin/env bash
# Linux packages from the one-folder bundle dist/InkLift (build it first: make bundle):
#   dist/InkLift-<ver>-linux-x86_64.tar.gz   unpack anywhere; ./InkLift, or ./install-desktop-entry.sh
#   dist/inklift_<ver>_amd64.deb              /opt/inklift + /usr/bin/inklift-desktop, /usr/bin/inklift,
#                                             desktop entry and icons
# Usage: packaging/linux/build_packages.sh [--tar-only|--deb-only]
# Env: INKLIFT_BUNDLE (default dist/InkLift), INKLIFT_PKG_OUT (default dist), INKLIFT_DEB_COMPRESS (gzip)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUNDLE=${INKLIFT_BUNDLE:-$ROOT/dist/InkLift}   # overridable for tests/packaging
OUT=${INKLIFT_PKG_OUT:-$ROOT/dist}
mkdir -p "$OUT"
HERE=$ROOT/packaging/linux
[ -x "$BUNDLE/InkLift" ] || { echo "build_packages: $BUNDLE/InkLift missing; run 'make bundle' first" >&2; exit 1; }
VERSION=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' pyproject.toml | head -1)
ARCH_DEB=amd64
ARCH=x86_64
want_tar=1; want_deb=1
case "${1:-}" in --tar-only) want_deb=0 ;; --deb-only) want_tar=0 ;; "") ;; *) echo "unknown option $1" >&2; exit 2 ;; esac

# The desktop developer's icon wins when there is one; ours is the fallback.
ICON_SVG=$HERE/inklift.svg; ICON_PNG=$HERE/inklift.png
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/inklift-pkg.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
if [ -f "$ROOT/resources/icons/inklift.svg" ]; then
  ICON_SVG=$ROOT/resources/icons/inklift.svg
  if [ -f "$ROOT/resources/icons/inklift.png" ]; then
    ICON_PNG=$ROOT/resources/icons/inklift.png
  else  # a 256 px PNG of the same icon for menus that do not take SVG; ours if rendering is not possible
    PY=${PYTHON:-$ROOT/.venv/bin/python}
    QT_QPA_PLATFORM=offscreen "$PY" - "$ICON_SVG" "$STAGE/inklift.png" <<'PYEOF' 2>/dev/null && ICON_PNG=$STAGE/inklift.png || true
import sys
from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
app = QGuiApplication([])
r = QSvgRenderer(sys.argv[1])
assert r.isValid()
img = QImage(QSize(256, 256), QImage.Format.Format_ARGB32)
img.fill(0)
p = QPainter(img)
p.setRenderHint(QPainter.RenderHint.Antialiasing)
r.render(p)
p.end()
assert img.save(sys.argv[2])
PYEOF
  fi
fi

if [ "$want_tar" = 1 ]; then
  name=InkLift-$VERSION-linux-$ARCH
  top=$STAGE/tar/$name
  mkdir -p "$top"
  cp -a "$BUNDLE/." "$top/"
  install -m 644 "$HERE/inklift.desktop" "$top/inklift.desktop"
  install -m 644 "$ICON_SVG" "$top/inklift.svg"
  install -m 644 "$ICON_PNG" "$top/inklift.png"
  install -m 755 "$HERE/install-desktop-entry.sh" "$top/install-desktop-entry.sh"
  tar -C "$STAGE/tar" --owner=0 --group=0 --numeric-owner -czf "$OUT/$name.tar.gz" "$name"
  echo "built $OUT/$name.tar.gz ($(du -h "$OUT/$name.tar.gz" | cut -f1))"
fi

if [ "$want_deb" = 1 ]; then
  pkg=$STAGE/deb
  mkdir -p "$pkg/DEBIAN" "$pkg/opt/inklift" "$pkg/usr/bin" "$pkg/usr/share/applications" \
           "$pkg/usr/share/icons/hicolor/scalable/apps" "$pkg/usr/share/icons/hicolor/256x256/apps" \
           "$pkg/usr/share/doc/inklift"
  cp -a "$BUNDLE/." "$pkg/opt/inklift/"
  chmod -R u+rwX,go+rX,go-w "$pkg/opt/inklift"
  # Launchers: scripts, not symlinks, so `inklift` can pass --cli to the same executable.
  printf '#!/bin/sh\nexec /opt/inklift/InkLift "$@"\n' > "$pkg/usr/bin/inklift-desktop"
  printf '#!/bin/sh\nexec /opt/inklift/InkLift --cli "$@"\n' > "$pkg/usr/bin/inklift"
  chmod 755 "$pkg/usr/bin/inklift-desktop" "$pkg/usr/bin/inklift"
  install -m 644 "$HERE/inklift.desktop" "$pkg/usr/share/applications/inklift.desktop"
  install -m 644 "$ICON_SVG" "$pkg/usr/share/icons/hicolor/scalable/apps/inklift.svg"
  install -m 644 "$ICON_PNG" "$pkg/usr/share/icons/hicolor/256x256/apps/inklift.png"
  install -m 644 "$ROOT/NOTICE" "$pkg/usr/share/doc/inklift/copyright"
  installed_kb=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
  # Only what the bundle does not carry itself: glibc, the GL/EGL stack, fontconfig, and the X11/xcb
  # libraries Qt's xcb platform plugin loads (PyInstaller leaves these to the system on purpose).
  sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH_DEB/" -e "s/@INSTALLED_KB@/$installed_kb/" \
      "$HERE/control.in" > "$pkg/DEBIAN/control"
  install -m 755 "$HERE/postinst" "$pkg/DEBIAN/postinst"
  install -m 755 "$HERE/postinst" "$pkg/DEBIAN/postrm"
  deb=$OUT/inklift_${VERSION}_${ARCH_DEB}.deb
  # gzip: installable by every dpkg and ~10x faster to build than xz on a 2-core box; releases may set
  # INKLIFT_DEB_COMPRESS=xz (smaller, dpkg >= 1.17) or zstd (dpkg >= 1.21.18).
  dpkg-deb --root-owner-group -Z"${INKLIFT_DEB_COMPRESS:-gzip}" --build "$pkg" "$deb" >/dev/null
  echo "built $deb ($(du -h "$deb" | cut -f1), installed ${installed_kb} KiB)"
fi
