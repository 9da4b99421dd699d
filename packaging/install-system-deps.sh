#!/usr/bin/env bash
# Debian packages TwinLoc's Qt window and its tests need: an X server (Xvfb for machines
# without a screen), the XCB platform plugin's libraries and OpenGL for the VTK viewport.
set -euo pipefail
packages=(xvfb xauth libxcb-icccm4 libxcb-cursor0 libxcb-keysyms1 libxcb-image0
          libxcb-render-util0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0
          libxcb-shape0 libegl1 libgl1 libfontconfig1 libdbus-1-3)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
