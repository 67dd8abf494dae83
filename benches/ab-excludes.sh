#!/usr/bin/env bash
# A/B of the exclude matcher: unchanged re-runs of a tree with four excludes, two
# binaries alternating, each in its own repository; prints "old|new wall user sys".
#
#   benches/ab-excludes.sh OLD_BIN NEW_BIN ROUNDS TREE
#
# TREE: e.g. the tree of benches/make-datasets.sh, or 70k files copied from /usr.
set -euo pipefail
OLD=$1 NEW=$2 ROUNDS=$3 TREE=$4
W=$(mktemp -d "${TMPDIR:-/tmp}/cairn-ab-excludes.XXXXXX")
trap 'rm -rf "$W"' EXIT
EX=(--exclude '*.pyc' --exclude '__pycache__' --exclude "$TREE/usr/share/locale/*" --exclude '*.nomatch')
env_for() {
    export CAIRN_REPO=$W/$1/repo CAIRN_KEY=$W/$1/key CAIRN_CACHE_DIR=$W/$1/cache CAIRN_PIN_DIR=$W/$1/pins
}
bin_for() { [[ $1 == old ]] && echo "$OLD" || echo "$NEW"; }
for label in old new; do
    mkdir -p "$W/$label"; env_for $label; bin=$(bin_for $label)
    "$bin" -q key generate --out "$CAIRN_KEY" 2>/dev/null
    "$bin" -q init
    "$bin" -q backup "$TREE" "${EX[@]}" 2>/dev/null
    "$bin" -q backup "$TREE" "${EX[@]}" 2>/dev/null
done
for r in $(seq 1 "$ROUNDS"); do
    order="old new"; (( r % 2 == 0 )) && order="new old"
    for label in $order; do
        env_for $label; bin=$(bin_for $label)
        /usr/bin/time -f "$label %e %U %S" -o "$W/t" "$bin" -q backup "$TREE" "${EX[@]}" >/dev/null 2>&1
        cat "$W/t"
    done
done
