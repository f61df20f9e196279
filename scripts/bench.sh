#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Batch-mode benchmark: runs a synthetic capture through stackscope-cli and,
# for comparison, through `tcpdump -r CAPTURE -w /dev/null`, and prints packets
# per second and peak memory for each.
#
#   scripts/bench.sh [BUILD_DIR]
#
# Without BUILD_DIR the release preset is configured and built (build/release).
# FRAMES (default 1000000) sets the capture size; KEEP_CAPTURE=1 keeps the
# temporary folder with the capture; RSS_TOOL=proc samples /proc/PID/status
# instead of using GNU time. The target: the whole path, with a 200-rule
# ruleset, in at most twice tcpdump's time and under 100 MB. When the UI is
# built it also prints the diagram's frame time with a thousand tokens moving
# (target: 60 frames a second).
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
frames=${FRAMES:-1000000}

if [[ $# -ge 1 ]]; then
    build_dir=$(cd "$1" && pwd)
else
    cmake --preset release >/dev/null
    build_dir=$source_dir/build/release
fi
cmake --build "$build_dir" --target stackscope-cli stackscope-make-capture --parallel "$(nproc)"

cli=$build_dir/app/stackscope-cli
make_capture=$build_dir/bench/stackscope-make-capture
for tool in "$cli" "$make_capture"; do
    [[ -x $tool ]] || { echo "bench.sh: $tool was not built" >&2; exit 1; }
done
have_tcpdump=1
command -v tcpdump >/dev/null || { have_tcpdump=0; echo "bench.sh: tcpdump not found, no baseline" >&2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/stackscope-bench.XXXXXX")
if [[ ${KEEP_CAPTURE:-0} == 1 ]]; then
    echo "bench.sh: keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi
capture=$work/bench.pcap

echo "Generating $frames frames into $capture"
"$make_capture" "$capture" --frames "$frames"

# measure NAME COMMAND...: runs COMMAND with stdout discarded and appends
# "NAME SECONDS PEAK_RSS_KB" to the results. Wall time comes from the shell's
# nanosecond clock; peak RSS from /usr/bin/time -v, or by sampling VmHWM in
# /proc/PID/status when GNU time is not installed (or RSS_TOOL=proc).
results=$work/results
measure() {
    local name=$1
    shift
    local rss_file=$work/rss start end rss
    start=$(date +%s.%N)
    if [[ -x /usr/bin/time && ${RSS_TOOL:-} != proc ]]; then
        if ! /usr/bin/time -v -o "$rss_file" "$@" >/dev/null 2>"$work/stderr"; then
            echo "bench.sh: $name failed:" >&2
            cat "$work/stderr" >&2
            return 1
        fi
        end=$(date +%s.%N)
        rss=$(awk -F': *' '/Maximum resident set size/ {print $2}' "$rss_file")
    else
        # VmHWM is the process's own peak (reset by exec), sampled until it exits;
        # only growth in the last 10 ms could be missed.
        "$@" >/dev/null 2>"$work/stderr" &
        local pid=$! key value unit status
        rss=0
        while kill -0 "$pid" 2>/dev/null; do
            while read -r key value unit; do
                [[ $key == VmHWM: && $value -gt $rss ]] && rss=$value
            done <"/proc/$pid/status" 2>/dev/null || true
            sleep 0.01
        done
        wait "$pid" && status=0 || status=$?
        end=$(date +%s.%N)
        if [[ $status != 0 ]]; then
            echo "bench.sh: $name failed:" >&2
            cat "$work/stderr" >&2
            return 1
        fi
    fi
    echo "$name $(echo "$end $start" | awk '{printf "%.3f", $1 - $2}') $rss" >>"$results"
}

: >"$results"
if [[ $have_tcpdump == 1 ]]; then
    echo "Running tcpdump -r"
    measure tcpdump tcpdump -r "$capture" -w /dev/null
fi
echo "Running stackscope-cli on bench.scn"
measure stackscope-cli "$cli" run "$source_dir/bench/bench.scn" --rx eth0="$capture" \
    --settle 1s --show nstat

rules_scn=$source_dir/bench/bench-200-rules.scn
if "$cli" check "$rules_scn" >"$work/check.txt" 2>&1; then
    echo "Running stackscope-cli on bench-200-rules.scn"
    measure stackscope-cli+200-rules "$cli" run "$rules_scn" --rx eth0="$capture" \
        --settle 1s --show nstat
else
    echo "Skipping the 200-rule run: this build rejects bench-200-rules.scn:"
    sed 's/^/    /' "$work/check.txt" | head -5
fi

echo
awk -v frames="$frames" '
    { name[NR] = $1; secs[NR] = $2; rss[NR] = $3; if ($1 == "tcpdump") base = $2 }
    END {
        printf "%-26s %10s %9s %12s %13s %12s\n", "run", "packets", "seconds", "packets/s",
               "peak RSS MB", "vs tcpdump"
        for (i = 1; i <= NR; ++i) {
            ratio = base > 0 ? sprintf("%.2fx", secs[i] / base) : "-"
            pps = secs[i] > 0 ? frames / secs[i] : 0
            printf "%-26s %10d %9.3f %12.0f %13.1f %12s\n", name[i], frames, secs[i], pps,
                   rss[i] / 1024, ratio
        }
    }' "$results"

# The diagram's frame time with a thousand tokens moving (built only with the UI).
if cmake --build "$build_dir" --target stackscope-bench-ui --parallel "$(nproc)" >/dev/null 2>&1 &&
    [[ -x $build_dir/bench/stackscope-bench-ui ]]; then
    echo
    QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} "$build_dir/bench/stackscope-bench-ui" 1000 240
else
    echo "bench.sh: stackscope-bench-ui not built (a build without the UI); no frame-time figures"
fi
