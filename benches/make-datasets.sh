#!/usr/bin/env bash
# Build the datasets used by benches/compare.sh under a given directory.
#
#   benches/make-datasets.sh DATA_DIR
#
# Produces (each step is skipped when its output already exists):
#   DATA_DIR/tree/               ~1 GiB / ~70k files copied from what Debian and
#                                the Rust toolchain install (docs, headers,
#                                sources, man pages, shared libraries)
#   DATA_DIR/tree.info           size and file count of the tree
#   DATA_DIR/pgbench-day1.dump   pg_dump -Fc -Z0 of a pgbench database
#   DATA_DIR/pgbench-day2.dump   same database after updating 1% of the
#                                pgbench_accounts rows, spread evenly
#                                (aid % 100 = 0)
#   DATA_DIR/pgbench-day3.dump   day 2 plus an update of one contiguous block
#                                of 1% of the accounts rows
#   DATA_DIR/pgbench.info        scale and dump sizes
#
# Tunables (environment):
#   TREE_TARGET_BYTES  default 1073741824 (1 GiB)
#   TREE_TARGET_FILES  default 70000
#   TREE_MAX_FILE      largest single file copied, default 33554432 (32 MiB)
#   PGBENCH_SCALE      default 58 (gives a ~580 MB dump with PostgreSQL 15)
#
# Requirements: coreutils, findutils, GNU tar, mawk/gawk, PostgreSQL server
# binaries (Debian package postgresql, which brings pgbench), and a Rust
# toolchain (optional: its docs/libraries are used when present).
# Run as root (PostgreSQL is then run as the "postgres" user) or as an
# ordinary user.

set -euo pipefail

usage() {
    sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
}

if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
    usage >&2
    exit 2
fi

mkdir -p "$1"
DATA=$(cd "$1" && pwd -P)

TREE_TARGET_BYTES=${TREE_TARGET_BYTES:-1073741824}
TREE_TARGET_FILES=${TREE_TARGET_FILES:-70000}
TREE_MAX_FILE=${TREE_MAX_FILE:-33554432}
PGBENCH_SCALE=${PGBENCH_SCALE:-58}

log() { printf '[make-datasets] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------
# Tree dataset
# ---------------------------------------------------------------------------

# Print "LABEL<TAB>DIR" for every candidate source directory, in a fixed
# order. Directories that do not exist on this machine are skipped later.
# Group A is rich in small files (docs, headers, sources), group B is
# byte-heavy (shared libraries, compiled Rust libraries, translations).
tree_sources_a() {
    local sysroot="" d
    if command -v rustc >/dev/null 2>&1; then
        sysroot=$(rustc --print sysroot 2>/dev/null || true)
    fi
    printf 'usr-share-doc\t/usr/share/doc\n'
    printf 'usr-include\t/usr/include\n'
    printf 'usr-share-man\t/usr/share/man\n'
    for d in /usr/lib/python3 /usr/lib/python3.*; do
        [[ -d $d ]] && printf 'usr-lib-%s\t%s\n' "${d##*/}" "$d"
    done
    printf 'usr-share-perl\t/usr/share/perl\n'
    printf 'usr-share-perl5\t/usr/share/perl5\n'
    printf 'usr-share-i18n\t/usr/share/i18n\n'
    printf 'usr-share-zoneinfo\t/usr/share/zoneinfo\n'
    printf 'usr-share-mime\t/usr/share/mime\n'
    if [[ -n $sysroot ]]; then
        printf 'rust-src\t%s/lib/rustlib/src\n' "$sysroot"
        printf 'rust-doc\t%s/share/doc\n' "$sysroot"
    fi
}

tree_sources_b() {
    local sysroot="" d
    if command -v rustc >/dev/null 2>&1; then
        sysroot=$(rustc --print sysroot 2>/dev/null || true)
    fi
    for d in /usr/lib/*-linux-gnu; do
        [[ -d $d ]] && printf 'usr-lib-%s\t%s\n' "${d##*/}" "$d"
    done
    if [[ -n $sysroot ]]; then
        for d in "$sysroot"/lib/rustlib/*/lib; do
            [[ -d $d ]] || continue
            d=${d%/lib}
            printf 'rust-lib-%s\t%s/lib\n' "${d##*/}" "$d"
        done
    fi
    printf 'usr-lib-gcc\t/usr/lib/gcc\n'
    printf 'usr-share-locale\t/usr/share/locale\n'
}

# copy_group STAGING MAX_FILES MAX_BYTES < sources
# Copies files from each source (sorted by path, byte order) until either
# running total (kept in $STAGING/.totals) would exceed the given caps.
copy_group() {
    local staging=$1 max_files=$2 max_bytes=$3 label src list
    while IFS=$'\t' read -r label src; do
        [[ -d $src ]] || { log "skip $src (not present)"; continue; }
        list=$staging/.list-$label
        # size<TAB>relative path, regular readable files only, no names
        # containing tab or newline, biggest files left out.
        find "$src" -type f -readable ! -name $'*\t*' ! -name $'*\n*' \
            -size "-$((TREE_MAX_FILE + 1))c" -printf '%s\t%P\n' 2>/dev/null \
            | LC_ALL=C sort -t $'\t' -k2,2 \
            | awk -F '\t' -v totals="$staging/.totals" \
                  -v mf="$max_files" -v mb="$max_bytes" '
                BEGIN { getline t < totals; close(totals); split(t, a, " ");
                        files = a[1] + 0; bytes = a[2] + 0; full = 0 }
                !full {
                    if (files + 1 > mf || bytes + $1 > mb) {
                        # keep going only while small files still fit
                        if (files + 1 > mf || bytes >= mb * 0.999) full = 1
                        next
                    }
                    files++; bytes += $1; print $2
                }
                END { printf "%.0f %.0f\n", files, bytes > totals }' \
            > "$list"
        if [[ -s $list ]]; then
            mkdir -p "$staging/$label"
            tr '\n' '\0' < "$list" \
                | tar -C "$src" --null --no-unquote --verbatim-files-from \
                      --hard-dereference -T - -cf - \
                | tar -C "$staging/$label" -xf -
        fi
        log "$(printf '%-28s %6d files (running total: %s)' \
            "$label" "$(wc -l < "$list")" "$(cat "$staging/.totals")")"
        rm -f "$list"
    done
}

build_tree() {
    local dest=$DATA/tree staging=$DATA/tree.partial files bytes
    if [[ -d $dest && -f $DATA/tree.info ]]; then
        log "tree exists: $(cat "$DATA/tree.info")"
        return
    fi
    rm -rf "$staging" "$dest"
    mkdir -p "$staging"
    echo "0 0" > "$staging/.totals"
    log "building tree (target ${TREE_TARGET_FILES} files, ${TREE_TARGET_BYTES} bytes)"
    # Group A: small files, leaving room for ~1000 files and 20% of the
    # bytes for group B.
    tree_sources_a | copy_group "$staging" $((TREE_TARGET_FILES - 1000)) \
        $((TREE_TARGET_BYTES * 8 / 10))
    tree_sources_b | copy_group "$staging" "$TREE_TARGET_FILES" "$TREE_TARGET_BYTES"
    rm -f "$staging/.totals"
    # The sources are read-only for ordinary users in places; make the copy
    # owner-writable so it can be deleted again.
    chmod -R u+rwX "$staging"
    mv "$staging" "$dest"
    files=$(find "$dest" -type f | wc -l)
    bytes=$(find "$dest" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')
    printf 'files=%s bytes=%s du_bytes=%s\n' "$files" "$bytes" \
        "$(du -sb "$dest" | cut -f1)" > "$DATA/tree.info"
    log "tree done: $files files, $bytes bytes ($((bytes / 1048576)) MiB)"
}

# ---------------------------------------------------------------------------
# pgbench dumps
# ---------------------------------------------------------------------------

PG_BINDIR=""
PG_TMP=""
PG_PORT=""
PG_STARTED=0

find_pg_bindir() {
    local d best=""
    # Debian keeps the server binaries out of PATH; prefer the newest.
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/initdb && -x $d/pg_ctl && -x $d/pgbench ]] && best=$d
    done
    if [[ -z $best ]] && command -v initdb >/dev/null 2>&1; then
        best=$(dirname "$(readlink -f "$(command -v initdb)")")
    fi
    [[ -n $best ]] || die "PostgreSQL server binaries not found (apt-get install postgresql, or benches/compare.sh --install-deps)"
    PG_BINDIR=$best
}

# Run a PostgreSQL server-side command as the postgres user when we are root.
as_pg() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg_stop() {
    if [[ $PG_STARTED -eq 1 ]]; then
        as_pg "$PG_BINDIR/pg_ctl" -D "$PG_TMP/data" -m fast -w stop >/dev/null 2>&1 || true
        PG_STARTED=0
    fi
    if [[ -n $PG_TMP ]]; then
        rm -rf "$PG_TMP"
        PG_TMP=""
    fi
}

pg_start() {
    local port tries=0
    find_pg_bindir
    # The temporary cluster lives under $TMPDIR (or /tmp), which the postgres
    # user can reach, rather than under DATA_DIR which may be private.
    PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-pg.XXXXXX")
    chmod 755 "$PG_TMP"
    mkdir "$PG_TMP/data" "$PG_TMP/sock"
    if [[ $EUID -eq 0 ]]; then
        chown postgres: "$PG_TMP/data" "$PG_TMP/sock"
    fi
    log "initdb in $PG_TMP ($PG_BINDIR)"
    as_pg "$PG_BINDIR/initdb" -D "$PG_TMP/data" --auth=trust --username=postgres \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$PG_TMP/initdb.log" 2>&1 \
        || { cat "$PG_TMP/initdb.log" >&2; die "initdb failed"; }
    local opts="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_TMP/sock"
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    opts+=" -c autovacuum=off -c max_wal_size=8GB -c checkpoint_timeout=1h"
    opts+=" -c shared_buffers=256MB -c maintenance_work_mem=256MB"
    port=$((54320 + RANDOM % 500))
    while :; do
        tries=$((tries + 1))
        if [[ $tries -gt 20 ]]; then
            cat "$PG_TMP/sock/server.log" >&2 || true
            die "could not start PostgreSQL on a free port"
        fi
        if port_in_use "$port"; then
            port=$((port + 1))
            continue
        fi
        if as_pg "$PG_BINDIR/pg_ctl" -D "$PG_TMP/data" -w -t 60 \
            -l "$PG_TMP/sock/server.log" \
            -o "$opts -c port=$port" \
            start >/dev/null 2>&1; then
            PG_STARTED=1
            PG_PORT=$port
            break
        fi
        port=$((port + 1))
    done
    log "PostgreSQL running on 127.0.0.1:$PG_PORT"
}

psql_run() {
    "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" \
        -U postgres -d pgbench -c "$1"
}

dump_to() {
    local out=$1
    "$PG_BINDIR/pg_dump" -h 127.0.0.1 -p "$PG_PORT" -U postgres -Fc -Z0 \
        -f "$out.partial" pgbench
    mv "$out.partial" "$out"
    log "wrote ${out##*/}: $(stat -c %s "$out") bytes"
}

build_dumps() {
    local d1=$DATA/pgbench-day1.dump d2=$DATA/pgbench-day2.dump
    local d3=$DATA/pgbench-day3.dump rows lo hi
    if [[ -f $d1 && -f $d2 && -f $d3 && -f $DATA/pgbench.info ]]; then
        log "dumps exist: $(tr '\n' ' ' < "$DATA/pgbench.info")"
        return
    fi
    rm -f "$d1" "$d2" "$d3" "$DATA/pgbench.info"
    pg_start
    "$PG_BINDIR/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
        -c 'CREATE DATABASE pgbench'
    log "pgbench -i -s $PGBENCH_SCALE"
    "$PG_BINDIR/pgbench" -i -q -s "$PGBENCH_SCALE" -h 127.0.0.1 -p "$PG_PORT" \
        -U postgres pgbench >"$DATA/pgbench-init.log" 2>&1 \
        || { cat "$DATA/pgbench-init.log" >&2; die "pgbench -i failed"; }
    rm -f "$DATA/pgbench-init.log"
    dump_to "$d1"

    # Day 2: 1% of the account rows, spread evenly over the table.
    log "day 2: UPDATE 1% of pgbench_accounts (aid % 100 = 0)"
    psql_run 'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0'
    dump_to "$d2"

    # Day 3: another 1% of the rows, as one contiguous block of aids in the
    # middle of the table.
    rows=$((PGBENCH_SCALE * 100000))
    lo=$((rows / 2))
    hi=$((lo + rows / 100))
    log "day 3: UPDATE 1% of pgbench_accounts (aid $lo..$((hi - 1)))"
    psql_run "UPDATE pgbench_accounts SET abalance = abalance - 7 WHERE aid >= $lo AND aid < $hi"
    dump_to "$d3"
    pg_stop

    {
        echo "scale=$PGBENCH_SCALE"
        echo "day1_bytes=$(stat -c %s "$d1")"
        echo "day2_bytes=$(stat -c %s "$d2")"
        echo "day3_bytes=$(stat -c %s "$d3")"
    } > "$DATA/pgbench.info"
    log "dumps done: $(tr '\n' ' ' < "$DATA/pgbench.info")"
}

trap pg_stop EXIT
trap 'exit 130' INT TERM

build_tree
build_dumps
log "datasets ready in $DATA"
