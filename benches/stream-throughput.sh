#!/usr/bin/env bash
# Whole-run throughput of one big stream or file: how many cores does a backup keep busy?
#
#   benches/stream-throughput.sh [LABEL=CAIRN_BIN]...
#
# With no argument the cairn binary is target/debug/cairn (or $CARGO_TARGET_DIR's); build
# it with `CARGO_PROFILE_DEV_OPT_LEVEL=3 cargo build --locked` first. Give several
# LABEL=BIN pairs to compare builds; they take turns, first place rotating each round.
#
# The input is a 200 MB plain-text SQL dump (COPY rows of ids, timestamps, sensor ids
# and random floats, ~50 bytes a row), generated once, deterministically (Python's
# seeded Mersenne Twister), into $DATA_DIR. Each round backs it up with every binary,
# from stdin (`--stdin-name`) and as a file, then with `restic backup --stdin`
# (repository v2, compression auto), each run into a fresh repository and cache, with
# a passphrase-protected key. It prints one table: CPU seconds (user + system), wall
# seconds, cores busy (CPU / wall), peak RSS, stored bytes, and the load average
# before the runs. Cores busy means something only on an otherwise quiet machine; CPU
# seconds are the figure to compare on a shared one.
#
# Environment: ROUNDS (default 3), DATA_DIR (default ${TMPDIR:-/tmp}/cairn-bench/stream),
# WORK_DIR (where repositories go, default ${TMPDIR:-/tmp}; /dev/shm takes the disk out),
# SIZE (bytes of input, default 200000000), RESTIC (0 to skip restic).
set -euo pipefail
ROUNDS=${ROUNDS:-3}
SIZE=${SIZE:-200000000}
DATA_DIR=${DATA_DIR:-${TMPDIR:-/tmp}/cairn-bench/stream}
HERE=$(cd "$(dirname "$0")" && pwd)
if (($# == 0)); then
    set -- "cairn=${CARGO_TARGET_DIR:-$HERE/../target}/debug/cairn"
fi
for b in "$@"; do
    [[ $b == *=* && -x ${b#*=} ]] || { echo "not LABEL=EXECUTABLE: $b" >&2; exit 2; }
done
if [[ ${RESTIC:-1} != 0 ]] && ! command -v restic > /dev/null; then
    echo "restic not found (RESTIC=0 skips it)" >&2
    exit 2
fi

INPUT=$DATA_DIR/plain-$SIZE.sql
mkdir -p "$DATA_DIR"
if [[ ! -f $INPUT ]]; then
    echo "generating $INPUT" >&2
    python3 - "$SIZE" > "$INPUT.tmp" <<'EOF'
import random, sys
size = int(sys.argv[1])
rng = random.Random(14)
out = sys.stdout
out.write("--\n-- plain-text dump: ids, times and random numbers\n--\n\n"
          "COPY public.readings (id, taken_at, value, sensor) FROM stdin;\n")
written, row = 0, 0
while written < size:
    lines = []
    for _ in range(10000):
        row += 1
        t = row * 7 + rng.randrange(7)
        day, s = divmod(t, 86400)
        stamp = f"2026-{day // 28 % 12 + 1:02d}-{day % 28 + 1:02d} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00"
        lines.append(f"{row}\t{stamp}\t{rng.random():.9f}\t{rng.randrange(1000)}\n")
    chunk = "".join(lines)
    written += len(chunk)
    out.write(chunk)
out.write("\\.\n")
EOF
    mv "$INPUT.tmp" "$INPUT"
fi

WORK=$(mktemp -d "${WORK_DIR:-${TMPDIR:-/tmp}}/cairn-tput.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RESULTS=$WORK/results.tsv
printf 'benchmark passphrase\n' > "$WORK/pass"
export CAIRN_PASSPHRASE_FILE=$WORK/pass RESTIC_PASSWORD_FILE=$WORK/pass

# Runs a command under GNU time; appends LABEL MODE CPU WALL RSS_KiB STORED LOAD.
measure() {
    local label=$1 mode=$2 repo=$3
    shift 3
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    sync
    /usr/bin/time -f '%U %S %e %M' -o "$WORK/time" "$@" > /dev/null 2> "$WORK/err" || {
        cat "$WORK/err" >&2
        exit 1
    }
    read -r user sys wall rss < "$WORK/time"
    local stored
    stored=$(du -sb "$repo" | cut -f1)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$mode" \
        "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$wall" "$rss" "$stored" \
        "$load" >> "$RESULTS"
}

cairn_runs() {
    local label=$1 bin=$2 w=$WORK/run mode
    for mode in stdin file; do
        rm -rf "$w"
        mkdir -p "$w"
        export CAIRN_REPO=$w/repo CAIRN_KEY=$WORK/key CAIRN_CACHE_DIR=$w/cache CAIRN_PIN_DIR=$w/pins
        "$bin" -q init
        if [[ $mode == stdin ]]; then
            measure "$label" stdin "$w/repo" "$bin" -q backup --stdin-name dump.sql < "$INPUT"
        else
            measure "$label" file "$w/repo" "$bin" -q backup "$INPUT"
        fi
    done
    rm -rf "$w"
}

restic_run() {
    local w=$WORK/run
    rm -rf "$w"
    mkdir -p "$w"
    export RESTIC_REPOSITORY=$w/repo RESTIC_CACHE_DIR=$w/cache
    restic init --repository-version 2 > /dev/null
    measure restic stdin "$w/repo" restic backup -q --compression auto --stdin \
        --stdin-filename dump.sql < "$INPUT"
    rm -rf "$w"
}

first=${1#*=}
CAIRN_KEY=$WORK/key "$first" -q key generate --out "$WORK/key" 2> /dev/null
bins=("$@")
for r in $(seq "$ROUNDS"); do
    n=${#bins[@]}
    for i in $(seq 0 $((n - 1))); do
        b=${bins[$(((i + r - 1) % n))]}
        cairn_runs "${b%%=*}" "${b#*=}"
    done
    [[ ${RESTIC:-1} == 0 ]] || restic_run
    echo "round $r of $ROUNDS done" >&2
done

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, input $(stat -c %s "$INPUT") bytes, repositories in ${WORK%/*}, $ROUNDS rounds"
python3 - "$RESULTS" <<'EOF'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, mode, cpu, wall, rss, stored, load = line.split()
    runs[(label, mode)].append((float(cpu), float(wall), int(rss), int(stored), float(load)))
def span(xs, f):
    return f"{f(statistics.median(xs))} ({f(min(xs))}–{f(max(xs))})"
print("| build | input | CPU s, median (range) | wall s | cores busy, median (best) "
      "| peak RSS MiB | stored MB | load before |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for (label, mode), rs in runs.items():
    cpu = [r[0] for r in rs]
    wall = [r[1] for r in rs]
    cores = [r[0] / r[1] for r in rs]
    rss = [r[2] / 1024 for r in rs]
    stored = [r[3] / 1e6 for r in rs]
    load = [r[4] for r in rs]
    print(f"| {label} | {mode} | {span(cpu, lambda x: f'{x:.2f}')} "
          f"| {span(wall, lambda x: f'{x:.2f}')} "
          f"| {statistics.median(cores):.2f} ({max(cores):.2f}) "
          f"| {statistics.median(rss):.0f} | {statistics.median(stored):.1f} "
          f"| {min(load):.1f}–{max(load):.1f} |")
EOF
