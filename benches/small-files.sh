#!/usr/bin/env bash
# Many small files (issue 17): cairn against restic on synthetic trees of N files.
#
#   benches/small-files.sh [--files N[,N...]] [--tools cairn,restic]
#                          [--modes cold,warm] [--repeat R] [--data DIR]
#                          [--work DIR] [--out FILE] [--keep-data]
#                          [--per-dir K]
#   benches/small-files.sh --generate-only N DIR [K]
#
#   --files LIST   tree sizes to measure, comma-separated (default 300000)
#   --tools LIST   comma-separated subset of cairn,restic,cairn-old (default
#                  cairn,restic); cairn-old is a second cairn binary, $CAIRN_OLD_BIN,
#                  for a before/after comparison in the same runs
#   --modes LIST   cold (page cache dropped before each phase: needs root) and/or
#                  warm (the tree read once before, nothing dropped); default both
#   --repeat R     runs of every tool, mode and size, interleaved (default 1); the
#                  report lists each run's numbers (the machine is shared, so
#                  single runs are noisy: compare ranges, not one figure)
#   --data DIR     where the trees are generated and kept
#                  (default ${TMPDIR:-/tmp}/cairn-small/data)
#   --work DIR     repositories, caches, restores, logs
#                  (default ${TMPDIR:-/tmp}/cairn-small/work, removed at the end)
#   --keep-data    keep the generated trees (they are removed at the end otherwise:
#                  each takes ~4 KiB of disk per file, 1.2 GB for 300 000 files)
#   --per-dir K    files per directory (default 100); with K = N the whole tree
#                  is one directory, to see what one big directory costs
#   --out FILE     also write the markdown report to FILE (and the raw rows to
#                  FILE.tsv)
#
# The tree of N files has the shape of the issue's measurement: directories of
# 100 (K) files, 50 such directories in each top directory (N/5000 of them), file
# sizes spread evenly over 0..692 bytes (346 on average, ~99 MiB per 300 000
# files), text that zstd compresses to about 3/4, different in every file.
#
# For each size, mode, run and tool (cairn first in odd runs, restic first in
# even ones), in a fresh repository and cache:
#   initial   first backup of the tree
#   rerun     backup of the unchanged tree again (same cache)
#   restore   restore of the latest snapshot into an empty directory (the
#             repository is warm for it even in cold mode: only the
#             backups read the tree from the disk)
# with GNU time -v: wall, user and system seconds and peak RSS; plus the size
# of the tool's local cache directory after the initial backup (du -sb, after
# the process exited). The restored tree is compared with the source
# (untimed, by file count and total bytes).
#
# Environment: CAIRN_BIN (default target/release/cairn of this checkout),
# CAIRN_OLD_BIN (for the tool cairn-old).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd -P)
BASE=${TMPDIR:-/tmp}/cairn-small

log() { printf '[small-files] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; }

# generate N DIR [K]: the tree of N files, K per directory, under DIR/tree
# (skipped when DIR/tree.info says it is there already).
generate() {
    local n=$1 dir=$2 k=${3:-100}
    if [[ -f $dir/tree.info ]] && grep -q "^files=$n per_dir=$k " "$dir/tree.info"; then
        return 0
    fi
    log "generating $n files under $dir/tree"
    rm -rf "$dir"
    mkdir -p "$dir"
    python3 - "$n" "$dir/tree" "$k" > /dev/null <<'EOF'
import base64, os, random, sys
n, root, per_dir = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rng = random.Random(17)
dirs_per_top = 50
total = 0
for i in range(n):
    top, rest = divmod(i, per_dir * dirs_per_top)
    sub, f = divmod(rest, per_dir)
    d = os.path.join(root, f"t{top:04d}", f"d{sub:02d}")
    if f == 0:
        os.makedirs(d, exist_ok=True)
    size = rng.randrange(0, 693)
    # Base64 of random bytes: unique per file, compressible to about 3/4.
    body = f"file {i}\n".encode() + base64.b64encode(rng.randbytes(size))
    body = body[:size]
    with open(os.path.join(d, f"f{f:03d}.txt"), "wb") as out:
        out.write(body)
    total += len(body)
print(f"files={n} bytes={total}")
EOF
    printf 'files=%s per_dir=%s bytes=%s\n' "$n" "$k" "$(find "$dir/tree" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')" \
        > "$dir/tree.info"
}

if [[ ${1:-} == --generate-only ]]; then
    generate "${2:?--generate-only N DIR}" "${3:?--generate-only N DIR}" "${4:-100}"
    exit 0
fi

SIZES=300000
TOOLS=cairn,restic
MODES=cold,warm
REPEAT=1
DATA=$BASE/data
WORK=$BASE/work
OUT=""
KEEP_DATA=0
PER_DIR=100
while [[ $# -gt 0 ]]; do
    case $1 in
        --files) SIZES=${2:?}; shift 2 ;;
        --tools) TOOLS=${2:?}; shift 2 ;;
        --modes) MODES=${2:?}; shift 2 ;;
        --repeat) REPEAT=${2:?}; shift 2 ;;
        --data) DATA=${2:?}; shift 2 ;;
        --work) WORK=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        --keep-data) KEEP_DATA=1; shift ;;
        --per-dir) PER_DIR=${2:?}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
IFS=, read -r -a SIZE_LIST <<< "$SIZES"
IFS=, read -r -a TOOL_LIST <<< "$TOOLS"
IFS=, read -r -a MODE_LIST <<< "$MODES"
for t in "${TOOL_LIST[@]}"; do
    case $t in
        cairn|restic) ;;
        cairn-old) [[ -x ${CAIRN_OLD_BIN:-} ]] || die "cairn-old needs CAIRN_OLD_BIN" ;;
        *) die "unknown tool '$t' (expected cairn, restic or cairn-old)" ;;
    esac
done
for m in "${MODE_LIST[@]}"; do
    case $m in
        cold) [[ $(id -u) -eq 0 ]] || die "cold mode drops the page cache: run as root" ;;
        warm) ;;
        *) die "unknown mode '$m' (expected cold or warm)" ;;
    esac
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time missing (apt-get install time)"
if [[ ",$TOOLS," == *,restic,* ]]; then
    command -v restic > /dev/null || die "restic missing (apt-get install restic)"
fi
if [[ ",$TOOLS," == *,cairn,* ]]; then
    CAIRN_BIN=${CAIRN_BIN:-$ROOT/target/release/cairn}
    [[ -x $CAIRN_BIN ]] || die "cairn binary $CAIRN_BIN missing (set CAIRN_BIN or build --release)"
fi

# Keep settings from the caller's environment from leaking into the runs.
unset CAIRN_REPO CAIRN_KEY CAIRN_PASSPHRASE RESTIC_REPOSITORY RESTIC_REPOSITORY_FILE \
      RESTIC_PASSWORD RESTIC_PASSWORD_COMMAND

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd -P)
cleanup() {
    rm -rf "$WORK"
    if [[ $KEEP_DATA -eq 0 ]]; then rm -rf "$DATA"; fi
}
trap cleanup EXIT
LOGS=$WORK/logs
RESULTS=$WORK/results.tsv
mkdir -p "$LOGS"
: > "$RESULTS"
PASSFILE=$WORK/passphrase
(umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' > "$PASSFILE")
export RESTIC_PASSWORD_FILE=$PASSFILE CAIRN_PASSPHRASE_FILE=$PASSFILE

# fresh_atimes TREE: every access time set to its modification time, as in a tree just
# written. A relatime mount updates such an atime at the next read (an inode write per
# file) unless the reader opens with O_NOATIME, so whichever tool read the tree first
# would otherwise pay for the others.
fresh_atimes() {
    python3 - "$1" <<'EOF'
import os, sys
for d, dirs, files in os.walk(sys.argv[1]):
    for n in dirs + files:
        p = os.path.join(d, n)
        st = os.lstat(p)
        os.utime(p, ns=(st.st_mtime_ns, st.st_mtime_ns), follow_symlinks=False)
EOF
}

drop_caches() {
    sync
    echo 3 > /proc/sys/vm/drop_caches
}

# timed TOOL SIZE MODE RUN PHASE CWD COMMAND...: one row of results.tsv:
# tool files mode run phase wall user sys rss_kib cache_bytes
timed() {
    local tool=$1 size=$2 mode=$3 run=$4 phase=$5 cwd=$6
    shift 6
    local tf=$LOGS/$tool-$size-$mode-$run-$phase.time out=$LOGS/$tool-$size-$mode-$run-$phase.log
    sync
    if [[ $mode == cold && $phase != restore ]]; then drop_caches; fi
    log "$tool $size files, $mode, run $run: $phase"
    if ! (cd "$cwd" && exec /usr/bin/time -v -o "$tf" "$@" < /dev/null) > "$out" 2>&1; then
        tail -n 15 "$out" >&2
        die "$tool $phase failed (log in $out)"
    fi
    awk -v pre="$tool\t$size\t$mode\t$run\t$phase" '
        /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = 0
                                   for (i = 1; i <= n; i++) w = w * 60 + p[i] }
        /User time/ { u = $NF } /System time/ { s = $NF }
        /Maximum resident/ { r = $NF }
        END { printf "%s\t%.2f\t%.2f\t%.2f\t%d", pre, w, u, s, r }' "$tf" >> "$RESULTS"
}

row_end() { printf '\t%s\n' "${1:--}" >> "$RESULTS"; }

# One tool's three phases on the tree of SIZE files.
run_tool() {
    local tool=$1 size=$2 mode=$3 run=$4 tree=$DATA/$2/tree
    local w=$WORK/$tool
    rm -rf "$w"
    mkdir -p "$w/cache" "$w/restore"
    local -a base backup restore
    case $tool in
        cairn|cairn-old)
            local bin=$CAIRN_BIN
            [[ $tool == cairn ]] || bin=$CAIRN_OLD_BIN
            export CAIRN_CACHE_DIR=$w/cache CAIRN_PIN_DIR=$w/pins
            "$bin" -q key generate --out "$w/key" > /dev/null 2>&1
            "$bin" -q -r "$w/repo" -k "$w/key" init > /dev/null
            base=("$bin" -q -r "$w/repo" -k "$w/key")
            backup=("${base[@]}" backup "$tree")
            restore=("${base[@]}" restore latest --target "$w/restore")
            ;;
        restic)
            base=(restic -q -r "$w/repo" --cache-dir "$w/cache")
            "${base[@]}" init --repository-version 2 > /dev/null
            backup=("${base[@]}" backup --compression auto --host bench "$tree")
            restore=("${base[@]}" restore latest --host bench --target "$w/restore")
            ;;
    esac
    if [[ $mode == warm ]]; then find "$tree" -type f -print0 | xargs -0 cat > /dev/null; fi
    fresh_atimes "$tree"
    timed "$tool" "$size" "$mode" "$run" initial "$w" "${backup[@]}"
    row_end "$(du -sb "$w/cache" | cut -f1)"
    timed "$tool" "$size" "$mode" "$run" rerun "$w" "${backup[@]}"
    row_end
    timed "$tool" "$size" "$mode" "$run" restore "$w" "${restore[@]}"
    row_end
    local want got
    want=$(find "$tree" -type f -printf '%s\n' | awk '{ n++; s += $1 } END { print n, s }')
    got=$(find "$w/restore" -type f -printf '%s\n' | awk '{ n++; s += $1 } END { print n, s }')
    [[ $want == "$got" ]] || die "$tool restored $got (files bytes), the tree has $want"
    rm -rf "$w"
}

for size in "${SIZE_LIST[@]}"; do
    generate "$size" "$DATA/$size" "$PER_DIR"
    for mode in "${MODE_LIST[@]}"; do
        for run in $(seq 1 "$REPEAT"); do
            order=("${TOOL_LIST[@]}")
            if (( run % 2 == 0 )); then
                mapfile -t order < <(printf '%s\n' "${TOOL_LIST[@]}" | tac)
            fi
            for t in "${order[@]}"; do run_tool "$t" "$size" "$mode" "$run"; done
        done
    done
    [[ $KEEP_DATA -eq 1 ]] || rm -rf "${DATA:?}/$size"
done

report() {
    echo "# Many small files: cairn vs restic"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo) GiB RAM, $(uname -sr)"
    if [[ ",$TOOLS," == *,cairn,* ]]; then
        echo "- cairn: $("$CAIRN_BIN" --version | head -n 1) (commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
    fi
    if [[ ",$TOOLS," == *,cairn-old,* ]]; then
        echo "- cairn-old: $CAIRN_OLD_BIN"
    fi
    if [[ ",$TOOLS," == *,restic,* ]]; then
        echo "- restic: $(restic version | head -n 1), repository v2, compression auto"
    fi
    echo "- cold: \`sync; echo 3 > /proc/sys/vm/drop_caches\` before each backup; restores read a warm repository"
    echo
    echo "| files | mode | run | tool | phase | wall s | user s | sys s | peak RSS MB | cache MB |"
    echo "|---:|---|---:|---|---|---:|---:|---:|---:|---:|"
    awk -F '\t' '{ c = ($10 == "-") ? "" : sprintf("%.1f", $10 / 1e6)
                   printf "| %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %s |\n",
                          $2, $3, $4, $1, $5, $6, $7, $8, $9 / 1024 * 1.048576, c }' "$RESULTS"
    echo
    echo "Ranges over the runs (wall seconds min–max, peak RSS and cache MB max):"
    echo
    echo "| files | mode | phase | tool | wall s | peak RSS MB | cache MB |"
    echo "|---:|---|---|---|---:|---:|---:|"
    awk -F '\t' '
        { k = $2 FS $3 FS $5 FS $1
          if (!(k in lo)) { order[++n] = k; lo[k] = $6; hi[k] = $6; r[k] = $9; c[k] = $10 }
          if ($6 + 0 < lo[k] + 0) lo[k] = $6
          if ($6 + 0 > hi[k] + 0) hi[k] = $6
          if ($9 + 0 > r[k] + 0) r[k] = $9
          if ($10 != "-" && $10 + 0 > c[k] + 0) c[k] = $10 }
        END { for (i = 1; i <= n; i++) { k = order[i]; split(k, f, FS)
                  w = (lo[k] == hi[k]) ? lo[k] : lo[k] "–" hi[k]
                  cm = (c[k] == "-") ? "" : sprintf("%.1f", c[k] / 1e6)
                  printf "| %s | %s | %s | %s | %s | %.0f | %s |\n",
                         f[1], f[2], f[3], f[4], w, r[k] / 1024 * 1.048576, cm } }' \
        "$RESULTS" | sort -t '|' -k2,2n -k3,3 -k4,4 -k5,5
}
if [[ -n $OUT ]]; then
    mkdir -p "$(dirname "$OUT")"
    cp "$RESULTS" "$OUT.tsv"
    report | tee "$OUT"
else
    report
fi
