#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages Stackscope needs to build, test and run.
# Uses sudo when not root; installs nothing when everything is present.
set -euo pipefail

# libqt6opengl6-dev is only recommended by qt6-base-dev, but Qt6Charts' CMake package
# needs Qt6OpenGL's: without it find_package(Qt6 COMPONENTS Charts) fails.
packages=(
    build-essential cmake ninja-build pkg-config
    qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev qt6-charts-dev qt6-svg-dev libgl-dev
    libpcap-dev libfmt-dev nlohmann-json3-dev libcli11-dev catch2
    xvfb xauth fonts-dejavu-core
    iproute2 iptables tcpreplay tcpdump iputils-ping libcap2-bin python3
    desktop-file-utils appstream libxml2-utils shared-mime-info groff-base lintian python3-yaml
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if ((${#missing[@]} == 0)); then
    exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
    SUDO="sudo"
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
