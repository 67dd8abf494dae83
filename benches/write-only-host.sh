#!/usr/bin/env bash
# Write-only host against the repository key, on the same tree (docs/BENCHMARKS.md,
# "Write-only hosts"): a first backup of data the repository already holds (the host
# deduplicates through the index alone), an unchanged re-run (its own files cache), and
# a re-run after its cache is lost.
#
#   benches/write-only-host.sh [WORK_DIR] [FILES]
#
# Environment: CAIRN_BIN (default target/release/cairn). Prints one markdown table row
# per step: key, step, wall s, CPU s (user + system), peak RSS MiB, bytes added; then,
# when restic is installed, restic's first backup and unchanged re-run of the same tree.
set -euo pipefail

WORK=${1:-/tmp/cairn-write-only-bench}
FILES=${2:-20000}
CAIRN_BIN=${CAIRN_BIN:-target/release/cairn}
CAIRN_BIN=$(realpath "$CAIRN_BIN")
rm -rf "$WORK"
mkdir -p "$WORK/src"
cd "$WORK"

# FILES small files in directories of 100, a few KiB each, deterministic.
python3 - "$FILES" <<'EOF'
import os, random, sys
n = int(sys.argv[1]); rnd = random.Random(7)
for i in range(n):
    d = "src/d%03d" % (i // 100)
    os.makedirs(d, exist_ok=True)
    with open("%s/f%05d" % (d, i), "wb") as f:
        f.write(rnd.randbytes(rnd.randint(200, 6000)))
EOF

export CAIRN_PIN_DIR=$WORK/pins-owner CAIRN_CACHE_DIR=$WORK/cache-owner
"$CAIRN_BIN" key generate --out owner.key --user-id "cairn backup key (owner)" </dev/null >/dev/null 2>&1
"$CAIRN_BIN" key generate --out host.key --user-id "cairn backup key (bench)" </dev/null >/dev/null 2>&1
"$CAIRN_BIN" key export --public -k host.key >host.pub
"$CAIRN_BIN" -r repo -k owner.key init </dev/null >/dev/null 2>&1
OWNER=$("$CAIRN_BIN" --json key info -k owner.key | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')

# Runs one backup under GNU time; prints a table row.
timed() {
    local who=$1 step=$2
    shift 2
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" --json backup --host bench src \
        >"$WORK/out.json" 2>"$WORK/err"
    local added
    added=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["bytes_added"])' "$WORK/out.json")
    row "$who" "$step" "$added"
}

row() {
    read -r wall user sys rss <"$WORK/time"
    printf '| %s | %s | %.2f | %.2f | %d | %s |\n' "$1" "$2" "$wall" \
        "$(echo "$user + $sys" | bc)" $((rss / 1024)) "$3"
}

echo "| key | step | wall s | CPU s | peak RSS MiB | bytes added |"
echo "|---|---|---:|---:|---:|---:|"
timed owner "first backup" "$CAIRN_BIN" -r repo -k owner.key
timed owner "unchanged re-run" "$CAIRN_BIN" -r repo -k owner.key
"$CAIRN_BIN" -r repo -k owner.key key add-writer host.pub </dev/null >/dev/null 2>&1
"$CAIRN_BIN" -r repo -k owner.key key rewrap </dev/null >/dev/null 2>&1
export CAIRN_PIN_DIR=$WORK/pins-host CAIRN_CACHE_DIR=$WORK/cache-host
timed host "first backup (data already stored)" "$CAIRN_BIN" -r repo -k host.key --trust-signer "$OWNER"
timed host "unchanged re-run" "$CAIRN_BIN" -r repo -k host.key
rm -rf "$WORK/cache-host"
timed host "re-run, cache lost" "$CAIRN_BIN" -r repo -k host.key

if command -v restic >/dev/null; then
    export RESTIC_PASSWORD=bench
    restic init -r "$WORK/restic" >/dev/null 2>&1
    for step in "first backup" "unchanged re-run"; do
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" restic -r "$WORK/restic" \
            --cache-dir "$WORK/restic-cache" backup --host bench src >/dev/null 2>&1
        row "restic $(restic version | cut -d' ' -f2)" "$step" "—"
    done
fi
