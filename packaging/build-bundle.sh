#!/usr/bin/env bash
# Build a runnable one-folder bundle with PyInstaller and install the desktop entry.
#   bash packaging/build-bundle.sh            -> dist/twinloc/twinloc
#   bash packaging/build-bundle.sh --install  -> also ~/.local/share/applications/twinloc.desktop
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
pip install -c constraints.txt -e ".[packaging]"
pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/twinloc.spec
"$root/dist/twinloc/twinloc" scene info uwb_hall --json > /dev/null
echo "bundle: $root/dist/twinloc/twinloc"
if [[ "${1:-}" == "--install" ]]; then
    apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
    icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
    mkdir -p "$apps" "$icons"
    cp resources/icons/twinloc.png "$icons/twinloc.png"
    sed "s|@EXEC@|$root/dist/twinloc/twinloc|" packaging/twinloc.desktop > "$apps/twinloc.desktop"
    echo "desktop entry: $apps/twinloc.desktop"
fi
