#!/usr/bin/env bash
# What each day of a dump series costs: cairn (dump on stdin, and as a file on
# disk), restic and borg, each into a fresh local repository.
#
# Usage: benches/dump-series-bench.sh SERIES_DIR WORK_DIR [MODE...]
#
#   SERIES_DIR  made by benches/dump-series.sh (day1.pgdump ... dayN.pgdump)
#   WORK_DIR    repositories, caches and restores (deleted and made again)
#   MODE        any of cairn-stdin cairn-file cairn-postgres restic borg
#               (default: all but cairn-postgres)
#
# cairn-postgres runs `cairn backup --postgres` against the test PostgreSQL of
# tests/services/postgres.sh (started here, stopped at the end), into which
# each day's dump is first loaded with pg_restore, so the server dumps that day
# again (the load is not timed; the timed step includes pg_dump's own work).
# Rows come back mostly in the dump's order; a few may move.
#
# Environment: CAIRN_BIN (default target/release/cairn), CAIRN_BACKUP_ARGS
# (extra words for `cairn backup`, e.g. --no-delta), BORG_COMPRESSION
# (default zstd,3). restic 0.14 uses repository v2 with compression auto.
# Each step's output is kept as WORK_DIR/MODE-STEP.log (cairn's summary lines:
# delta blobs stored, bytes read back for their bases).
#
# Prints one markdown table row per backup and restore: mode, step, wall
# seconds, CPU seconds (user + system), cores busy (CPU / wall), peak RSS,
# repository bytes after the step, bytes the step added, index bytes.
# The restore is of the last day, to WORK_DIR/restore, and is compared with the
# dump byte for byte. Timings come from GNU time; run `uptime` alongside to say
# how loaded the machine was.
set -euo pipefail

[[ $# -ge 2 ]] || { sed -n '2,20p' "$0" >&2; exit 2; }
SERIES=$(realpath "$1")
WORK=$(realpath -m "$2")
shift 2
MODES=("$@")
[[ ${#MODES[@]} -gt 0 ]] || MODES=(cairn-stdin cairn-file restic borg)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CAIRN_BIN=${CAIRN_BIN:-$ROOT/target/release/cairn}
BORG_COMPRESSION=${BORG_COMPRESSION:-zstd,3}
DAYS=$(ls "$SERIES"/day*.pgdump | wc -l)
unset CAIRN_REPO CAIRN_KEY CAIRN_PASSPHRASE RESTIC_REPOSITORY RESTIC_PASSWORD BORG_REPO BORG_PASSPHRASE

rm -rf "$WORK"
mkdir -p "$WORK"
PGDIR=
cleanup() {
    [[ -z $PGDIR ]] || "$ROOT/tests/services/postgres.sh" stop "$PGDIR" >/dev/null 2>&1 || true
    [[ -z $PGDIR ]] || rm -rf "$PGDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# load_day N: the test server's database `series` holds day N (started on first use).
load_day() {
    if [[ -z $PGDIR ]]; then
        PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/cairn-series-pg.XXXXXX")
        chmod 755 "$PGDIR"
        eval "$("$ROOT/tests/services/postgres.sh" start "$PGDIR")"
        PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_restore | sort -V | tail -n 1)")
    fi
    "$PGBIN/psql" -X -q -d postgres -c 'DROP DATABASE IF EXISTS series' -c 'CREATE DATABASE series'
    "$PGBIN/pg_restore" -d series --no-owner "$SERIES/day$1.pgdump"
    "$PGBIN/psql" -X -q -d series -c 'VACUUM ANALYZE'
}
PASSFILE=$WORK/pass
echo "dump-series-bench $$" >"$PASSFILE"
chmod 600 "$PASSFILE"

size() { du -sb "$1" 2>/dev/null | cut -f1; }

# timed MODE STEP INPUT CMD...: runs CMD with INPUT on stdin under GNU time,
# prints the table row.
timed() {
    local mode=$1 step=$2 input=$3 before after idx t
    shift 3
    before=$(size "$REPO")
    sync
    t=$WORK/time
    /usr/bin/time -f '%e %U %S %M' -o "$t" "$@" <"$input" >"$WORK/out.log" 2>&1 \
        || { cat "$WORK/out.log" >&2; echo "$mode $step failed" >&2; exit 1; }
    after=$(size "$REPO")
    idx=$(index_bytes)
    read -r wall user sys rss <"$t"
    cp "$WORK/out.log" "$WORK/$mode-${step// /-}.log"
    awk -v m="$mode" -v s="$step" -v w="$wall" -v u="$user" -v y="$sys" -v r="$rss" \
        -v a="$after" -v d="$((after - before))" -v i="$idx" 'BEGIN {
        printf "| %s | %s | %.2f | %.2f | %.2f | %d | %.1f | %+.2f | %.2f |\n",
            m, s, w, u + y, (u + y) / (w > 0 ? w : 1), r / 1024, a / 1e6, d / 1e6, i / 1e6 }'
}

index_bytes() {
    case $MODE in
        cairn-*|restic) size "$REPO/index" ;;
        borg) cat "$REPO"/index.* 2>/dev/null | wc -c ;;
    esac
}

echo "| mode | step | wall s | CPU s | cores | peak RSS MiB | repo MB | added MB | index MB |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for MODE in "${MODES[@]}"; do
    REPO=$WORK/repo-$MODE
    RESTORE=$WORK/restore
    rm -rf "$REPO" "$RESTORE" "$WORK/cache" "$WORK/file"
    mkdir -p "$WORK/file"
    case $MODE in
        cairn-*)
            export CAIRN_PASSPHRASE_FILE=$PASSFILE CAIRN_CACHE_DIR=$WORK/cache
            rm -f "$WORK/cairn.key"
            "$CAIRN_BIN" key generate --out "$WORK/cairn.key" </dev/null >/dev/null 2>&1
            "$CAIRN_BIN" -r "$REPO" -k "$WORK/cairn.key" init </dev/null >/dev/null
            c=("$CAIRN_BIN" -r "$REPO" -k "$WORK/cairn.key")
            # shellcheck disable=SC2206 # words on purpose
            extra=(${CAIRN_BACKUP_ARGS:-})
            ;;
        restic)
            export RESTIC_PASSWORD_FILE=$PASSFILE
            restic -r "$REPO" --cache-dir "$WORK/cache" init --repository-version 2 >/dev/null
            c=(restic -r "$REPO" --cache-dir "$WORK/cache")
            ;;
        borg)
            export BORG_PASSCOMMAND="cat $PASSFILE" BORG_BASE_DIR=$WORK/cache
            export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes BORG_DISPLAY_PASSPHRASE=no
            borg init -e repokey-blake2 "$REPO" >/dev/null
            ;;
        *) echo "unknown mode $MODE" >&2; exit 2 ;;
    esac
    for day in $(seq 1 "$DAYS"); do
        dump=$SERIES/day$day.pgdump
        case $MODE in
            cairn-stdin) timed "$MODE" "day $day" "$dump" "${c[@]}" backup "${extra[@]}" --stdin-name app.pgdump ;;
            cairn-postgres)
                load_day "$day"
                timed "$MODE" "day $day" /dev/null "${c[@]}" backup "${extra[@]}" --postgres-globals none \
                    --postgres "postgresql://$PGUSER@$PGHOST:$PGPORT/series" ;;
            cairn-file)
                # The same path every day, as `pg_dump -f /var/backups/app.pgdump` leaves it.
                ln -f "$dump" "$WORK/file/app.pgdump"
                timed "$MODE" "day $day" /dev/null "${c[@]}" backup "${extra[@]}" "$WORK/file" ;;
            restic) timed "$MODE" "day $day" "$dump" "${c[@]}" backup --stdin --stdin-filename app.pgdump ;;
            borg) timed "$MODE" "day $day" "$dump" borg create --compression "$BORG_COMPRESSION" \
                --stdin-name app.pgdump "$REPO::day$day" - ;;
        esac
    done
    mkdir -p "$RESTORE"
    case $MODE in
        cairn-*) timed "$MODE" "restore day $DAYS" /dev/null "${c[@]}" restore latest --target "$RESTORE" ;;
        restic) timed "$MODE" "restore day $DAYS" /dev/null "${c[@]}" restore latest --target "$RESTORE" ;;
        borg) (cd "$RESTORE" && timed "$MODE" "restore day $DAYS" /dev/null borg extract "$REPO::day$DAYS") ;;
    esac
    if [[ $MODE == cairn-postgres ]]; then
        # The server's own dump of day N is not byte-identical to the series file:
        # its header differs, and a reloaded table may list a few rows in another
        # order. Compare the restored dump's content, line-sorted, with the day's.
        got=$(find "$RESTORE" -name series.pgdump -type f | head -n 1)
        cmp <("$PGBIN/pg_restore" -f - "$got" | grep -v '^\\\(un\)\?restrict \|^-- Dump' | sort) \
            <("$PGBIN/pg_restore" -f - "$SERIES/day$DAYS.pgdump" | grep -v '^\\\(un\)\?restrict \|^-- Dump' | sort) \
            || { echo "$MODE: restored dump differs in content" >&2; exit 1; }
    else
        got=$(find "$RESTORE" -name app.pgdump -type f | head -n 1)
        cmp "$got" "$SERIES/day$DAYS.pgdump" || { echo "$MODE: restored dump differs" >&2; exit 1; }
    fi
    rm -rf "$RESTORE"
done
