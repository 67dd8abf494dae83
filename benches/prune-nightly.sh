#!/bin/sh
# Prune's time on a big repository, night after night (issue 17; docs/BENCHMARKS.md,
# "Prune's time: the ledger"). Generates one synthetic repository of N blobs, then for
# each cairn binary given works on a fresh copy of it: one backup of a small tree, the
# first `forget --keep-last 1 --prune` (6,250 whole packs per million blobs to delete,
# 625 half used), three nights of two backups (one changed 1 MB file each) and a
# `forget --keep-last 1 --prune`, then two `prune --dry-run`.
#
#   benches/prune-nightly.sh DIR N CAIRN_BIN...
#
# SYNTH: the repo_scale bench binary (`cargo bench --bench repo_scale --no-run`).
set -eu
dir=$1 n=$2
shift 2
: "${SYNTH:?set SYNTH to the repo_scale bench binary}"
gen="$dir/generated"
rm -rf "$dir" && mkdir -p "$gen/src"
use() { # DIR: the environment of the repository copy in DIR
    export CAIRN_REPO="$1/repo" CAIRN_KEY="$1/key.asc" CAIRN_CACHE_DIR="$1/cache" XDG_CONFIG_HOME="$1/config"
}
use "$gen"
"$1" -q key generate --out "$CAIRN_KEY"
"$1" -q init
for i in 1 2 3 4 5 6 7 8; do head -c 1000000 /dev/urandom > "$gen/src/f$i"; done
"$SYNTH" "$n" 16

measure() { # WORK LABEL COMMAND...
    work=$1 label=$2
    shift 2
    /usr/bin/time -f '%M %e %U %S' -o "$work/time" "$@" > "$work/out.$label" 2>&1 || { cat "$work/out.$label"; exit 1; }
    read -r kib secs user sys < "$work/time"
    printf '  %-14s wall %7.1f s (user %s, sys %s)  peak RSS %5d MiB\n' "$label" "$secs" "$user" "$sys" $((kib / 1024))
    grep -E ' use |delete|pruned' "$work/out.$label" | sed 's/^/      /' || true
}
for bin in "$@"; do
    work="$dir/work"
    rm -rf "$work" && cp -a "$gen" "$work"
    use "$work"
    echo "$bin ($n blobs)"
    "$bin" -q backup "$work/src"
    measure "$work" forget-prune "$bin" forget --keep-last 1 --prune
    for night in 1 2 3; do
        for f in f1 f2; do
            head -c 1000000 /dev/urandom > "$work/src/$f"
            "$bin" -q backup "$work/src"
        done
        measure "$work" "nightly-$night" "$bin" forget --keep-last 1 --prune
    done
    measure "$work" dry-run "$bin" prune --dry-run
    measure "$work" dry-run-again "$bin" prune --dry-run
    du -sk "$CAIRN_CACHE_DIR"/*/* | sed 's/^/  KiB on disk: /'
done
