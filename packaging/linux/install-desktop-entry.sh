#!/bin/sh
# Add InkLift from this unpacked tarball to your desktop menu (per user, no root needed).
set -e
here=$(cd "$(dirname "$0")" && pwd)
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
icons=${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor
mkdir -p "$apps" "$icons/scalable/apps" "$icons/256x256/apps"
cp "$here/inklift.svg" "$icons/scalable/apps/inklift.svg"
cp "$here/inklift.png" "$icons/256x256/apps/inklift.png"
sed -e "s|^Exec=.*|Exec=\"$here/InkLift\" %F|" -e "s|^TryExec=.*|TryExec=$here/InkLift|" \
    "$here/inklift.desktop" > "$apps/inklift.desktop"
echo "InkLift added to the menu ($apps/inklift.desktop)"
