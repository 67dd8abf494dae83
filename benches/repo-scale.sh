#!/bin/sh
# Repository scale (issue 17): peak memory and wall time of backup, forget --prune and
# check on a synthetic repository of N blobs (docs/BENCHMARKS.md, "Repository scale").
#
#   benches/repo-scale.sh DIR N [BLOBS_PER_PACK]
#
# CAIRN_BIN (default target/debug/cairn) and SYNTH (the repo_scale bench binary:
# `cargo build --bench repo_scale`, then target/debug/deps/repo_scale-<hash>).
set -eu
dir=$1 n=$2 bpp=${3:-16}
bin=${CAIRN_BIN:-target/debug/cairn}
: "${SYNTH:?set SYNTH to the repo_scale bench binary}"
rm -rf "$dir" && mkdir -p "$dir/src"
export CAIRN_REPO="$dir/repo" CAIRN_KEY="$dir/key.asc" CAIRN_CACHE_DIR="$dir/cache" XDG_CONFIG_HOME="$dir/config"
"$bin" -q key generate --out "$CAIRN_KEY"
"$bin" -q init
# A small tree for the backup: the cost measured is opening the big repository.
for i in 1 2 3 4 5 6 7 8; do head -c 1000000 /dev/urandom > "$dir/src/f$i"; done

measure() { # LABEL COMMAND...
    label=$1; shift
    /usr/bin/time -f '%M %e' -o "$dir/time" "$@" > "$dir/out.$label" 2>&1 || { cat "$dir/out.$label"; exit 1; }
    read -r kib secs < "$dir/time"
    printf '%-22s %8s blobs  peak RSS %6d MiB  wall %7.1f s\n' "$label" "$n" $((kib / 1024)) "$secs"
}
measure generate "$SYNTH" "$n" "$bpp"
measure backup "$bin" backup "$dir/src"
rm -rf "$CAIRN_CACHE_DIR"
measure backup-cold-cache "$bin" backup "$dir/src"
measure check "$bin" check
rm -rf "$CAIRN_CACHE_DIR"
measure check-cold-cache "$bin" check
measure forget-prune "$bin" forget --keep-last 1 --prune
grep -E 'delete|pruned' "$dir/out.forget-prune" | sed 's/^/    /'
measure check-after "$bin" check
# The next nights: two more backups of the small tree, then the usual forget --prune.
# Only the small index objects name what goes; the big ones should not cost anything.
for f in f1 f2; do
    head -c 1000000 /dev/urandom > "$dir/src/$f"
    "$bin" -q backup "$dir/src"
done
measure forget-prune-nightly "$bin" forget --keep-last 1 --prune
grep -E 'delete|pruned' "$dir/out.forget-prune-nightly" | sed 's/^/    /'
du -sh "$CAIRN_REPO" | sed 's/^/    repository: /'
