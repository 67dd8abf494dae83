#!/usr/bin/env bash
# A/B of two cairn binaries on the compare.sh datasets: is a change a regression?
#
#   benches/ab.sh OLD_BIN NEW_BIN [ROUNDS] [DATA_DIR]
#
# Each round runs every phase with both binaries, alternating which goes first, each
# in a fresh repository, cache and pin directory under a temporary directory:
#   dump-initial   backup of pgbench-day1.dump from stdin
#   dump-next      backup of pgbench-day2.dump into the same repository
#   dump-restore   restore of that snapshot into an empty directory
#   tree-initial   first backup of the ~1 GiB / ~70k-file tree
#   tree-rerun     backup of the unchanged tree
#   tree-restore   restore of it into an empty directory (on the same file system,
#                  so its times carry ext4's aging noise: see BENCHMARKS.md)
# and prints, per phase, the median and the fastest wall time of each binary and the
# median ratio new/old. Datasets come from benches/make-datasets.sh (built if missing).
set -euo pipefail
OLD=${1:?usage: ab.sh OLD_BIN NEW_BIN [ROUNDS] [DATA_DIR]}
NEW=${2:?usage: ab.sh OLD_BIN NEW_BIN [ROUNDS] [DATA_DIR]}
ROUNDS=${3:-5}
DATA=${4:-${TMPDIR:-/tmp}/cairn-bench/data}
HERE=$(cd "$(dirname "$0")" && pwd)
[[ -d $DATA/tree ]] || "$HERE/make-datasets.sh" "$DATA"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-ab.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RESULTS=$WORK/results.tsv

# Wall seconds of one command, its output discarded.
timed() {
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

round() {
    local label=$1 bin=$2 w=$WORK/$1
    rm -rf "$w"
    mkdir -p "$w"
    export CAIRN_REPO=$w/repo CAIRN_KEY=$w/key CAIRN_CACHE_DIR=$w/cache CAIRN_PIN_DIR=$w/pins
    "$bin" -q key generate --out "$CAIRN_KEY" 2> /dev/null
    "$bin" -q init
    sync
    local t
    t=$(timed "$bin" -q backup --stdin-name app.dump < "$DATA/pgbench-day1.dump")
    printf '%s\tdump-initial\t%s\n' "$label" "$t" >> "$RESULTS"
    t=$(timed "$bin" -q backup --stdin-name app.dump < "$DATA/pgbench-day2.dump")
    printf '%s\tdump-next\t%s\n' "$label" "$t" >> "$RESULTS"
    t=$(timed "$bin" -q restore latest --target "$w/dump-out")
    printf '%s\tdump-restore\t%s\n' "$label" "$t" >> "$RESULTS"
    sync
    t=$(timed "$bin" -q backup "$DATA/tree")
    printf '%s\ttree-initial\t%s\n' "$label" "$t" >> "$RESULTS"
    t=$(timed "$bin" -q backup "$DATA/tree")
    printf '%s\ttree-rerun\t%s\n' "$label" "$t" >> "$RESULTS"
    sync
    t=$(timed "$bin" -q restore latest --path "$DATA/tree" --target "$w/tree-out")
    printf '%s\ttree-restore\t%s\n' "$label" "$t" >> "$RESULTS"
    rm -rf "$w"
}

for r in $(seq "$ROUNDS"); do
    if (( r % 2 )); then round old "$OLD"; round new "$NEW"; else round new "$NEW"; round old "$OLD"; fi
    echo "round $r of $ROUNDS done" >&2
done

python3 - "$RESULTS" <<'EOF'
import collections, statistics, sys
t = collections.defaultdict(list)
for line in open(sys.argv[1]):
    who, phase, secs = line.split()
    t[(phase, who)].append(float(secs))
print("| phase | old median | old best | new median | new best | new/old (median) |")
print("|---|---:|---:|---:|---:|---:|")
for phase in ["dump-initial", "dump-next", "dump-restore", "tree-initial", "tree-rerun", "tree-restore"]:
    o, n = t[(phase, "old")], t[(phase, "new")]
    mo, mn = statistics.median(o), statistics.median(n)
    print(f"| {phase} | {mo:.2f} | {min(o):.2f} | {mn:.2f} | {min(n):.2f} | {mn / mo:.3f} |")
EOF
