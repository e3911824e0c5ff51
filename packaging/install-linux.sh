#!/usr/bin/env bash
# Put the built app (dist/fer-desktop) in the user's applications menu.
#   packaging/install-linux.sh [APP_FOLDER]    (default: dist/fer-desktop)
# It copies nothing system-wide: ~/.local/share/applications, icons, and ~/.local/bin.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
app="$(cd "${1:-$here/../dist/fer-desktop}" && pwd)"
[ -x "$app/fer-desktop" ] || { echo "no fer-desktop executable in $app (run make package)" >&2; exit 2; }
data="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$data/applications" "$data/icons/hicolor/scalable/apps" "$HOME/.local/bin"
install -m 644 "$here/../assets/fer_desktop.svg" "$data/icons/hicolor/scalable/apps/fer-desktop.svg"
sed "s|^Exec=.*|Exec=\"$app/fer-desktop\" gui|" "$here/fer-desktop.desktop" \
    > "$data/applications/fer-desktop.desktop"
ln -sf "$app/fer-desktop" "$HOME/.local/bin/fer-desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "installed: $data/applications/fer-desktop.desktop -> $app/fer-desktop"
