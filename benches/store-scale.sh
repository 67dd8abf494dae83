#!/usr/bin/env bash
# Listing and deleting many objects on a real object store (docs/BENCHMARKS.md,
# "Object stores at scale"): a throwaway Swift on loopback (tests/services/swift.sh),
# reached once as Swift and once through its S3 API. Each repository gets OBJECTS
# stored objects that look like packs no index names (leftovers of interrupted
# backups), so that `cairn prune --dry-run` lists every one of them and `cairn prune`
# deletes every one: the listing and the deletion of a repository of that many packs,
# through the CLI.
#
#   benches/store-scale.sh [OBJECTS] [WORK_DIR]
#
# Environment: CAIRN_BIN (default target/release/cairn). Prints one markdown table row
# per store and step: store, step, objects, wall s, objects per second, peak RSS MiB.
# Run as root on a machine with tests/services/install-deps.sh's packages.
set -euo pipefail

OBJECTS=${1:-20000}
WORK=${2:-/tmp/cairn-store-scale}
CAIRN_BIN=$(realpath "${CAIRN_BIN:-target/release/cairn}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$WORK"
mkdir -p "$WORK/stores"
cd "$WORK"
eval "$("$ROOT/tests/services/swift.sh" start "$WORK/stores")"
trap '"$ROOT/tests/services/swift.sh" destroy "$WORK/stores" >/dev/null 2>&1 || true' EXIT

export CAIRN_PIN_DIR=$WORK/pins CAIRN_CACHE_DIR=$WORK/cache CAIRN_KEY=$WORK/bench.key
"$CAIRN_BIN" key generate --out bench.key </dev/null >/dev/null 2>&1
# The lag wait of the lock protocol is the same 2 s for every size; it is left out
# here so that the rows compare listing and deletion alone.
export CAIRN_LISTING_LAG=0
CONTAINER=cairn-scale-$$

# OBJECTS files of 100 bytes named like packs (data/<2 hex>/<64 hex>), uploaded with
# python-swiftclient's many threads: the store's own ingest, not cairn's.
python3 - "$OBJECTS" <<'EOF'
import os, random, sys
n = int(sys.argv[1]); rnd = random.Random(11)
for i in range(n):
    h = rnd.randbytes(32).hex()
    d = "up/objects/data/" + h[:2]
    os.makedirs(d, exist_ok=True)
    with open(d + "/" + h, "wb") as f:
        f.write(rnd.randbytes(100))
EOF

row() { # store step objects wall rss_kib
    python3 -c 'import sys; s,st,n,w,r=sys.argv[1:]; n=int(n); w=float(w)
print("| %s | %s | %d | %.1f | %d | %d |" % (s, st, n, w, n / max(w, 0.001), int(r) // 1024))' "$@"
}

timed() { # store step objects cmd...
    local store=$1 step=$2 n=$3
    shift 3
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || {
        cat "$WORK/err" >&2
        exit 1
    }
    read -r wall rss <"$WORK/time"
    row "$store" "$step" "$n" "$wall" "$rss"
}

echo "| store | step | objects | wall s | objects/s | peak RSS MiB |"
echo "|---|---|---:|---:|---:|---:|"
for store in swift s3; do
    prefix=repo-$store
    case $store in
        swift) url=swift://$CONTAINER/$prefix ;;
        s3) url=s3://$CONTAINER/$prefix ;;
    esac
    "$CAIRN_BIN" -r "$url" init </dev/null >/dev/null 2>&1
    rm -rf up/"$prefix"
    mv up/objects up/"$prefix"
    start=$(date +%s.%N)
    (cd up && swift -A "$ST_AUTH" -U "$ST_USER" -K "$ST_KEY" upload -q \
        --object-threads 32 "$CONTAINER" "$prefix")
    end=$(date +%s.%N)
    row "$store" "upload (swift CLI, 32 threads)" "$OBJECTS" "$(python3 -c "print($end - $start)")" 0
    timed "$store" "list: prune --dry-run" "$OBJECTS" "$CAIRN_BIN" -r "$url" --json prune --dry-run
    listed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packs_unindexed"])' "$WORK/out")
    [ "$listed" -eq "$OBJECTS" ] || { echo "listed $listed of $OBJECTS" >&2; exit 1; }
    timed "$store" "delete: prune" "$OBJECTS" "$CAIRN_BIN" -r "$url" --json prune
    left=$(swift -A "$ST_AUTH" -U "$ST_USER" -K "$ST_KEY" list -p "$prefix/data/" "$CONTAINER" | wc -l)
    [ "$left" -eq 0 ] || { echo "$left objects left after prune" >&2; exit 1; }
    mv up/"$prefix" up/objects
done
