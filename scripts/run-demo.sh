#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what is missing, builds, and opens the GUI on the bundled demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset dev
cmake --build --preset dev --parallel "$(nproc)" --target stackscope
exec build/dev/app/stackscope assets/demo/demo.scn assets/demo/demo.pcap "$@"
