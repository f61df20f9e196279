#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Batch-mode benchmark: runs a synthetic capture through stackscope-cli and,
# for comparison, through `tcpdump -r CAPTURE -w /dev/null`, and prints packets
# per second and peak memory for each.
#
#   scripts/bench.sh [BUILD_DIR]
#
# Without BUILD_DIR it measures two builds: the release preset (build/release)
# and the same code built with profile-guided optimisation (scripts/build-pgo.sh,
# build/pgo). With BUILD_DIR it measures that build alone.
# FRAMES (default 1000000) sets the capture size; REPEAT (default 5) how often
# each command runs, interleaved, the table showing the median time and the
# largest peak memory; KEEP_CAPTURE=1 keeps the temporary folder with the
# capture; RSS_TOOL=proc samples /proc/PID/status instead of using GNU time.
# The target: the whole path, with a 200-rule ruleset, in at most twice
# tcpdump's time and under 100 MB. When the UI is built it also prints the
# diagram's frame time with a thousand tokens moving (target: 60 frames a second).
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
frames=${FRAMES:-1000000}
repeat=${REPEAT:-5}

# builds[i] is measured under labels[i].
if [[ $# -ge 1 ]]; then
    builds=("$(cd "$1" && pwd)")
    labels=("stackscope-cli")
    cmake --build "${builds[0]}" --target stackscope-cli stackscope-make-capture --parallel "$(nproc)"
else
    cmake --preset release >/dev/null
    cmake --build build/release --target stackscope-cli stackscope-make-capture --parallel "$(nproc)"
    scripts/build-pgo.sh build/pgo
    builds=("$source_dir/build/release" "$source_dir/build/pgo")
    labels=("release" "release+pgo")
fi
build_dir=${builds[0]}
make_capture=$build_dir/bench/stackscope-make-capture
for b in "${builds[@]}"; do
    [[ -x $b/app/stackscope-cli ]] || { echo "bench.sh: $b/app/stackscope-cli was not built" >&2; exit 1; }
done
[[ -x $make_capture ]] || { echo "bench.sh: $make_capture was not built" >&2; exit 1; }
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
rules_scn=$source_dir/bench/bench-200-rules.scn
with_rules=1
if ! "${builds[0]}/app/stackscope-cli" check "$rules_scn" >"$work/check.txt" 2>&1; then
    with_rules=0
    echo "Skipping the 200-rule runs: this build rejects bench-200-rules.scn:"
    sed 's/^/    /' "$work/check.txt" | head -5
fi
# The commands take turns, so a slow spell of a shared machine hits them alike.
for ((round = 1; round <= repeat; ++round)); do
    echo "Round $round of $repeat"
    if [[ $have_tcpdump == 1 ]]; then
        measure tcpdump tcpdump -r "$capture" -w /dev/null
    fi
    for i in "${!builds[@]}"; do
        cli=${builds[$i]}/app/stackscope-cli
        measure "${labels[$i]}" "$cli" run "$source_dir/bench/bench.scn" --rx eth0="$capture" \
            --settle 1s --show nstat
        if [[ $with_rules == 1 ]]; then
            measure "${labels[$i]}+200-rules" "$cli" run "$rules_scn" --rx eth0="$capture" \
                --settle 1s --show nstat
        fi
    done
done

echo
# Per command: the median time and the largest peak memory over the rounds.
awk -v frames="$frames" '
    !($1 in seen) { seen[$1] = 1; order[++n] = $1 }
    { t[$1, ++count[$1]] = $2; if ($3 > rss[$1]) rss[$1] = $3 }
    END {
        for (k = 1; k <= n; ++k) {
            name = order[k]; m = count[name]
            for (i = 1; i <= m; ++i) v[i] = t[name, i]
            for (i = 2; i <= m; ++i) for (j = i; j > 1 && v[j - 1] > v[j]; --j) {
                x = v[j]; v[j] = v[j - 1]; v[j - 1] = x
            }
            med[name] = m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
        }
        base = ("tcpdump" in med) ? med["tcpdump"] : 0
        printf "%-26s %10s %9s %12s %13s %12s\n", "run (median)", "packets", "seconds", "packets/s",
               "peak RSS MB", "vs tcpdump"
        for (k = 1; k <= n; ++k) {
            name = order[k]
            ratio = base > 0 ? sprintf("%.2fx", med[name] / base) : "-"
            pps = med[name] > 0 ? frames / med[name] : 0
            printf "%-26s %10d %9.3f %12.0f %13.1f %12s\n", name, frames, med[name], pps,
                   rss[name] / 1024, ratio
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
