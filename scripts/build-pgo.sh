#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds stackscope-cli with profile-guided optimisation: an instrumented build runs
# a training set (synthetic captures through the benchmark hosts with and without a
# ruleset, the demo scenario traced), then the same tree is compiled again with the
# profiles. The training capture uses another seed than the benchmark's.
#
#   scripts/build-pgo.sh [--package] [BUILD_DIR]     (default build/pgo)
#
# The result is BUILD_DIR/app/stackscope-cli. With --package the optimised build also
# has the GUI and the TAP helper, takes Debian's hardening flags (dpkg-buildflags), and
# ends with the Debian package (cpack -G DEB, BUILD_DIR/stackscope_*.deb); code the
# training does not run, the GUI's included, is compiled as without profiles.
# Needs what scripts/deps.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
package=0
if [[ ${1:-} == --package ]]; then
    package=1
    shift
fi
build_dir=${1:-build/pgo}
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)
profiles=$build_dir/pgo-profiles
targets=(stackscope-cli stackscope-make-capture)

ui=OFF
flags=()
if [[ $package == 1 ]]; then
    ui=ON
    if command -v dpkg-buildflags >/dev/null; then
        flags=("-DCMAKE_CXX_FLAGS=$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
               "-DCMAKE_EXE_LINKER_FLAGS=$(dpkg-buildflags --get LDFLAGS)")
    fi
fi

configure() {
    cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DSTACKSCOPE_BUILD_UI="$ui" -DSTACKSCOPE_BUILD_TESTS=OFF \
        -DSTACKSCOPE_PGO="$1" -DSTACKSCOPE_PGO_DIR="$profiles" ${flags[@]+"${flags[@]}"} >/dev/null
}

echo "build-pgo.sh: instrumented build in $build_dir"
rm -rf "$profiles"
configure generate
cmake --build "$build_dir" --target "${targets[@]}" --parallel "$(nproc)"

work=$(mktemp -d "${TMPDIR:-/tmp}/stackscope-pgo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cli=$build_dir/app/stackscope-cli
echo "build-pgo.sh: training runs"
"$build_dir/bench/stackscope-make-capture" "$work/train.pcap" --frames 200000 --seed 7 >/dev/null
"$cli" run bench/bench.scn --rx eth0="$work/train.pcap" --settle 1s --show nstat >/dev/null
"$cli" run bench/bench-200-rules.scn --rx eth0="$work/train.pcap" --settle 1s \
    --show drops --counters-json "$work/counters.json" >/dev/null
"$cli" run assets/demo/demo.scn --rx eth0=assets/demo/demo.pcap --trace "$work/trace.txt" \
    --show nstat --show links --show qdisc >/dev/null

echo "build-pgo.sh: optimised build"
configure use
if [[ $package == 1 ]]; then
    cmake --build "$build_dir" --parallel "$(nproc)"
    rm -f "$build_dir"/stackscope_*.deb
    (cd "$build_dir" && cpack -G DEB >/dev/null)
    echo "build-pgo.sh: $(ls "$build_dir"/stackscope_*.deb)"
else
    cmake --build "$build_dir" --target "${targets[@]}" --parallel "$(nproc)"
    echo "build-pgo.sh: $cli"
fi
