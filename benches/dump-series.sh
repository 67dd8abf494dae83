#!/usr/bin/env bash
# A realistic series of daily PostgreSQL dumps, for measuring what each day of
# backups adds (benches/dump-series-bench.sh, docs/BENCHMARKS.md).
#
# Usage: benches/dump-series.sh [--scale N] [--docs N] [--days N] OUT_DIR
#
#   --scale N  pgbench scale (default 40: 4M accounts rows)
#   --docs N   rows of the text/jsonb table `docs` (default 340000)
#   --days N   dumps to write (default 4)
#
# Writes OUT_DIR/day1.pgdump ... dayN.pgdump (`pg_dump -Fc -Z0`, what
# `cairn backup --postgres` runs) and OUT_DIR/series.info (sizes, row counts).
# Existing dumps are kept: delete OUT_DIR to build the series again.
#
# The database is pgbench's (accounts, tellers, branches, history) plus `docs`:
# text and jsonb rows shaped like a CMS or ticket table (a title, a body of
# words, a jsonb document of attributes). Day 1 is the freshly loaded
# database. Every following day:
#   - pgbench_accounts: as many TPC-B-like transactions as 1% of the accounts
#     rows (an UPDATE of one account, of its teller and branch, an INSERT into
#     history). OLTP traffic is skewed: 90% of transactions hit recent accounts
#     (exponentially distributed from the newest aid, mean 0.5% of the table),
#     10% any account uniformly, so changes land everywhere in the dump, most
#     of them in a hot region;
#   - docs: 1% of rows updated (same 90/10 skew: a status, a counter and a
#     timestamp in the jsonb, one in ten also gets a new body), 0.2% of the
#     older half deleted, 0.5% new rows appended;
#   - VACUUM, as autovacuum would, so freed space is reused and later updated
#     rows move around inside the table as they do on a live server.
# Everything is seeded (pgbench --random-seed, setseed), so two runs give the
# same logical content; physical row order may still differ slightly.
#
# The server is the test one, tests/services/postgres.sh (initdb in a temporary
# directory, loopback, free port), stopped again at the end.
set -euo pipefail

SCALE=40
DOCS=340000
DAYS=4
log() { printf 'dump-series: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
while [[ $# -gt 0 ]]; do
    case $1 in
        --scale) SCALE=$2; shift 2 ;;
        --docs) DOCS=$2; shift 2 ;;
        --days) DAYS=$2; shift 2 ;;
        -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) break ;;
    esac
done
[[ $# -eq 1 ]] || die "usage: $0 [--scale N] [--docs N] [--days N] OUT_DIR"
OUT=$(realpath -m "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"

if [[ -f $OUT/series.info && -f $OUT/day$DAYS.pgdump ]]; then
    log "series exists: $OUT (delete it to build again)"
    exit 0
fi

PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/cairn-dump-series.XXXXXX")
chmod 755 "$PGDIR"
cleanup() {
    "$ROOT/tests/services/postgres.sh" stop "$PGDIR" >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
eval "$("$ROOT/tests/services/postgres.sh" start "$PGDIR")"
BINDIR=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -n 1)")
export PGDATABASE=series

sql() { "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -o /dev/null "$@"; }

sql -d postgres -c 'CREATE DATABASE series'
log "pgbench -i -s $SCALE"
"$BINDIR/pgbench" -i -q -s "$SCALE" >"$PGDIR/init.log" 2>&1 \
    || { cat "$PGDIR/init.log" >&2; die "pgbench -i failed"; }

log "docs: $DOCS text/jsonb rows"
sql <<SQL
CREATE TABLE docs (
    id bigserial PRIMARY KEY,
    account integer NOT NULL,
    created timestamptz NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    attrs jsonb NOT NULL
);
-- Words of a small vocabulary, so bodies compress like prose (about 3x), not
-- like noise or like a column of blanks.
CREATE FUNCTION words(n integer) RETURNS text LANGUAGE sql VOLATILE AS \$\$
    SELECT string_agg(w[1 + floor(random() * array_length(w, 1))::int], ' ')
    FROM generate_series(1, n), (SELECT ARRAY['account','balance','order','invoice','customer',
        'shipping','the','a','of','and','to','in','is','was','for','on','with',
        'payment','refund','delivery','address','package','delayed','arrived',
        'please','thanks','update','status','request','support','ticket','team',
        'yesterday','today','tomorrow','warehouse','tracking','number','item',
        'items','returned','replacement','damaged','credit','card','bank',
        'transfer','received','pending','closed','opened','priority','high',
        'low','normal','café','Müller','naïve','résumé','東京','İstanbul'] AS w) vocabulary
\$\$;
CREATE FUNCTION doc_attrs(i bigint) RETURNS jsonb LANGUAGE sql VOLATILE AS \$\$
    SELECT jsonb_build_object(
        'status', (ARRAY['open','pending','closed','escalated'])[1 + floor(random() * 4)::int],
        'priority', 1 + floor(random() * 5)::int,
        'views', floor(random() * 1000)::int,
        'tags', jsonb_build_array(words(1), words(1)),
        'customer', jsonb_build_object('id', i * 7919 % 1000003, 'country',
            (ARRAY['de','fr','us','jp','tr','br'])[1 + floor(random() * 6)::int]),
        'updated', now()::text)
\$\$;
SELECT setseed(0.14);
INSERT INTO docs (account, created, title, body, attrs)
SELECT 1 + floor(random() * $SCALE * 100000)::int,
       timestamptz '2026-01-01' + g * interval '37 seconds',
       initcap(words(3 + floor(random() * 5)::int)),
       words(20 + floor(random() * 60)::int),
       doc_attrs(g)
FROM generate_series(1, $DOCS) g;
VACUUM ANALYZE;
SQL

dump() {
    local out=$OUT/day$1.pgdump
    "$BINDIR/pg_dump" -Fc -Z0 -f "$out.partial" series
    mv "$out.partial" "$out"
    log "day $1: $(stat -c %s "$out") bytes"
}

# One TPC-B-like transaction with OLTP skew (see the header).
cat >"$PGDIR/tpcb-skewed.sql" <<'SQL'
\set naccounts 100000 * :scale
\set hot random(1, 100)
\if :hot <= 90
\set back random_exponential(0, :naccounts - 1, 200.0)
\set aid :naccounts - :back
\else
\set aid random(1, :naccounts)
\endif
\set bid random(1, 1 * :scale)
\set tid random(1, 10 * :scale)
\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
SQL

dump 1
for day in $(seq 2 "$DAYS"); do
    txns=$((SCALE * 100000 / 100))
    log "day $day: $txns skewed TPC-B transactions, docs updates/deletes/appends"
    "$BINDIR/pgbench" -n -c 2 -j 2 -t $((txns / 2)) --random-seed="$day" \
        -f "$PGDIR/tpcb-skewed.sql" -D scale="$SCALE" >"$PGDIR/day.log" 2>&1 \
        || { cat "$PGDIR/day.log" >&2; die "pgbench failed"; }
    sql <<SQL
SELECT setseed(0.$day);
CREATE TEMP TABLE n AS SELECT max(id) AS top FROM docs;
-- 90% of the updates among the newest rows (exponential, mean 0.5% of the
-- table from the top), 10% anywhere.
WITH picked AS (
    SELECT DISTINCT CASE WHEN random() < 0.9
        THEN (SELECT top FROM n) - floor(-ln(1 - random()) * (SELECT top FROM n) / 200)::bigint
        ELSE 1 + floor(random() * (SELECT top FROM n))::bigint END AS id
    FROM generate_series(1, (SELECT count(*) / 100 FROM docs))
)
UPDATE docs d SET
    attrs = d.attrs || jsonb_build_object(
        'status', (ARRAY['open','pending','closed','escalated'])[1 + floor(random() * 4)::int],
        'views', (d.attrs->>'views')::int + 1 + floor(random() * 20)::int,
        'updated', (timestamptz '2026-06-01' + interval '1 day' * $day)::text),
    body = CASE WHEN random() < 0.1 THEN d.body || ' ' || words(10) ELSE d.body END
FROM picked WHERE d.id = picked.id;
-- Retention: 0.2% of the older half goes.
DELETE FROM docs WHERE id IN (
    SELECT 1 + floor(random() * (SELECT top FROM n) / 2)::bigint
    FROM generate_series(1, (SELECT count(*) / 500 FROM docs)));
INSERT INTO docs (account, created, title, body, attrs)
SELECT 1 + floor(random() * $SCALE * 100000)::int,
       timestamptz '2026-06-01' + interval '1 day' * $day + g * interval '11 seconds',
       initcap(words(3 + floor(random() * 5)::int)),
       words(20 + floor(random() * 60)::int),
       doc_attrs((SELECT top FROM n) + g)
FROM generate_series(1, (SELECT count(*) / 200 FROM docs)) g;
VACUUM ANALYZE;
SQL
    dump "$day"
done

{
    echo "scale=$SCALE docs=$DOCS days=$DAYS"
    echo "server=$("$BINDIR/postgres" --version)"
    for day in $(seq 1 "$DAYS"); do
        echo "day${day}_bytes=$(stat -c %s "$OUT/day$day.pgdump")"
    done
    "$BINDIR/psql" -X -At -c "SELECT 'rows accounts=' || (SELECT count(*) FROM pgbench_accounts)
        || ' history=' || (SELECT count(*) FROM pgbench_history)
        || ' docs=' || (SELECT count(*) FROM docs)"
} >"$OUT/series.info"
log "done: $(tr '\n' ' ' <"$OUT/series.info")"
