#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server for cairn's tests.
#
# Usage:
#   eval "$(tests/services/postgres.sh start DIR)"
#   ... run tests (PGHOST, PGPORT, PGUSER, CAIRN_TEST_PG_DIR are now set) ...
#   tests/services/postgres.sh stop DIR
#
# start DIR  Creates DIR if needed, runs initdb into DIR/data (first time only),
#            starts the server listening only on 127.0.0.1 on a free TCP port,
#            with its unix socket in DIR and the server log in DIR/log, waits
#            until it accepts connections, and prints `export` lines on stdout.
#            If the server in DIR is already running, just prints the lines.
# stop DIR   Fast shutdown (pg_ctl stop -m fast). Does nothing if not running.
# status DIR Exit 0 if the server in DIR is running, 3 if not.
#
# TEST ONLY: authentication is "trust" for every local connection and fsync is
# off. Never point this at data you care about.
#
# When run as root, the server runs as the `postgres` system user (created as
# `cairnpg` if no `postgres` user exists), because PostgreSQL refuses to run as
# root; DIR is chown'ed to that user, and any parent directory that user
# cannot traverse (e.g. a 0700 `mktemp -d` directory) gets search (x)
# permission for it: an ACL entry if setfacl is available, else o+x. Each such
# change is reported on stderr.
#
# Environment (optional):
#   CAIRN_TEST_PG_BINDIR  PostgreSQL bin directory to use (default: newest
#                         /usr/lib/postgresql/*/bin, else initdb from PATH)
#   CAIRN_TEST_PG_SUPERUSER  superuser name (default: postgres)
#
# Progress messages go to stderr; stdout carries only the export lines, so
# several servers (with different DIRs) can be started in parallel.
set -euo pipefail

SUPERUSER="${CAIRN_TEST_PG_SUPERUSER:-postgres}"
START_TIMEOUT=60

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
# free_ports; shellcheck source=tests/services/proc.sh
PY=python3
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

usage() {
    echo "usage: $0 start|stop|status DIR" >&2
    exit 2
}

find_bindir() {
    if [[ -n "${CAIRN_TEST_PG_BINDIR:-}" ]]; then
        [[ -x "$CAIRN_TEST_PG_BINDIR/initdb" ]] \
            || die "CAIRN_TEST_PG_BINDIR=$CAIRN_TEST_PG_BINDIR has no initdb"
        printf '%s\n' "$CAIRN_TEST_PG_BINDIR"
        return
    fi
    local d best=""
    # Debian/Ubuntu layout: /usr/lib/postgresql/<major>/bin. Pick the newest.
    while IFS= read -r d; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && best="$d"
    done < <(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V)
    if [[ -z "$best" ]]; then
        local initdb
        initdb="$(command -v initdb 2>/dev/null)" || true
        [[ -n "$initdb" ]] && best="$(dirname "$initdb")"
    fi
    [[ -n "$best" ]] \
        || die "no PostgreSQL server found (run tests/services/install-deps.sh as root)"
    printf '%s\n' "$best"
}

# Print a TCP port on 127.0.0.1 that is free right now.
# The unprivileged account the server runs as when we are root.
service_user() {
    if id -u postgres >/dev/null 2>&1; then
        echo postgres
        return
    fi
    if ! id -u cairnpg >/dev/null 2>&1; then
        log "creating system user cairnpg"
        # Several parallel starts may race here; useradd fails harmlessly for
        # the loser, so re-check afterwards.
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin cairnpg >&2 2>/dev/null || true
        id -u cairnpg >/dev/null 2>&1 || die "could not create user cairnpg"
    fi
    echo cairnpg
}

# as_owner USER CMD...: run CMD as USER ("" = current user), from DIR so the
# command never starts in a directory the service user cannot enter.
as_owner() {
    local user="$1"
    shift
    if [[ -z "$user" ]]; then
        (cd "$DIR" && "$@")
    else
        (cd "$DIR" && runuser -u "$user" -- "$@")
    fi
}

# grant_search USER PATH: make sure USER can traverse every directory from /
# down to PATH (e.g. PATH made by `mktemp -d` or Rust's tempfile is mode 0700
# root). Only search (x) permission is added, preferably with an ACL entry for
# USER alone (setfacl, package "acl"), otherwise for "others" (chmod o+x).
# Every change is reported on stderr.
grant_search() {
    local user="$1" path="$2" prefix="" part
    local -a parts
    IFS=/ read -r -a parts <<<"${path#/}"
    for part in "" "${parts[@]}"; do
        [[ -n "$part" || -z "$prefix" ]] || continue
        prefix="${prefix%/}/$part"
        runuser -u "$user" -- test -x "$prefix" 2>/dev/null && continue
        if command -v setfacl >/dev/null && setfacl -m "u:$user:x" "$prefix" 2>/dev/null; then
            log "granted search permission on $prefix to $user (ACL)"
        else
            chmod o+x "$prefix"
            log "granted search permission on $prefix to others (chmod o+x)"
        fi
    done
}

# User that owns the data directory, or "" if that is us.
data_owner() {
    local owner
    owner="$(stat -c %U "$DATA")"
    if [[ "$owner" == "$(id -un)" ]]; then
        echo ""
    else
        [[ "$(id -u)" -eq 0 ]] || die "$DATA is owned by $owner; run as $owner or root"
        echo "$owner"
    fi
}

is_running() {
    [[ -f "$DATA/PG_VERSION" ]] || return 1
    local owner
    owner="$(data_owner)"
    as_owner "$owner" "$BINDIR/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

current_port() {
    # First line of postmaster.pid is the PID, fourth is the port.
    sed -n 4p "$DATA/postmaster.pid"
}

print_exports() {
    local port="$1"
    printf 'export PGHOST=%q\n' 127.0.0.1
    printf 'export PGPORT=%q\n' "$port"
    printf 'export PGUSER=%q\n' "$SUPERUSER"
    printf 'export CAIRN_TEST_PG_DIR=%q\n' "$DIR"
}

write_config() {
    local port="$1" sockdir="$2"
    # Single-quote escaping for postgresql.conf string values.
    local sq="${sockdir//\'/\'\'}"
    cat >"$DATA/cairn-test.conf" <<EOF
# Written by tests/services/postgres.sh on every start. TEST ONLY.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sq'
unix_socket_permissions = 0777
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
logging_collector = off
log_line_prefix = '%m [%p] %u@%d '
EOF
}

do_init() {
    local owner="$1"
    log "initdb into $DATA (superuser $SUPERUSER, $BINDIR)"
    if ! as_owner "$owner" "$BINDIR/initdb" -D "$DATA" -U "$SUPERUSER" \
        --auth=trust --encoding=UTF8 --no-locale --no-sync >"$DIR/initdb.log" 2>&1; then
        cat "$DIR/initdb.log" >&2
        die "initdb failed (output in $DIR/initdb.log)"
    fi
    # Trust everything that can reach the server: it only listens on loopback
    # and on a socket inside DIR.
    cat >"$DATA/pg_hba.conf" <<'EOF'
# TEST ONLY (tests/services/postgres.sh): trust all local connections.
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  trust
host    all          all   127.0.0.1/32   trust
local   replication  all                  trust
host    replication  all   127.0.0.1/32   trust
EOF
    printf "\ninclude_if_exists = 'cairn-test.conf'\n" >>"$DATA/postgresql.conf"
    if [[ -n "$owner" ]]; then
        chown "$owner:" "$DATA/pg_hba.conf" "$DATA/postgresql.conf"
    fi
}

cmd_start() {
    mkdir -p "$DIR"
    DIR="$(cd "$DIR" && pwd -P)"
    DATA="$DIR/data"
    BINDIR="$(find_bindir)"

    local owner=""
    if [[ "$(id -u)" -eq 0 ]]; then
        if [[ -f "$DATA/PG_VERSION" ]]; then
            owner="$(data_owner)"
            [[ -n "$owner" ]] || die "$DATA is owned by root; PostgreSQL cannot run as root"
        else
            owner="$(service_user)"
        fi
        grant_search "$owner" "$(dirname "$DIR")"
        chown "$owner:" "$DIR"
        if ! runuser -u "$owner" -- test -w "$DIR" -a -x "$DIR"; then
            die "user $owner cannot write to $DIR"
        fi
    fi

    if is_running; then
        log "already running in $DIR"
        print_exports "$(current_port)"
        return
    fi

    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        do_init "$owner"
    fi

    # The unix socket path "DIR/.s.PGSQL.<port>" must fit in sun_path (107
    # bytes + NUL).
    local sockdir="$DIR"
    if (( ${#DIR} + 16 > 107 )); then
        log "warning: $DIR is too long for a unix socket path; unix socket disabled (TCP only)"
        sockdir=""
    fi

    # Serialise port selection + startup between parallel invocations by the
    # same user, so two of our own servers never pick the same port. Another
    # program can still grab the port in between; then we retry.
    local lock
    lock="${TMPDIR:-/tmp}/cairn-test-postgres.$(id -u).lock"
    exec 9>>"$lock"
    flock -w 300 9 || die "timed out waiting for $lock"

    local attempt port logsize started=""
    for attempt in 1 2 3 4 5; do
        port="$(free_ports 1)"
        write_config "$port" "$sockdir"
        [[ -z "$owner" ]] || chown "$owner:" "$DATA/cairn-test.conf"
        logsize=0
        [[ ! -f "$DIR/log" ]] || logsize="$(stat -c %s "$DIR/log")"
        log "starting server on 127.0.0.1:$port (attempt $attempt, log in $DIR/log)"
        # 9>&-: the server must not inherit (and so keep holding) the lock.
        if as_owner "$owner" "$BINDIR/pg_ctl" start -D "$DATA" -l "$DIR/log" \
            -w -t "$START_TIMEOUT" -s >&2 9>&-; then
            started=1
            break
        fi
        # Only look at what this attempt appended to the log.
        if tail -c +"$((logsize + 1))" "$DIR/log" 2>/dev/null \
            | grep -qE 'could not (bind|create listen socket)|Address already in use'; then
            log "port $port was taken, retrying"
            continue
        fi
        tail -n 20 "$DIR/log" >&2 2>/dev/null || true
        die "server failed to start (see $DIR/log)"
    done
    [[ -n "$started" ]] || die "server failed to start after $attempt attempts (see $DIR/log)"

    # pg_ctl -w waits for the postmaster to report readiness; double-check
    # that it really accepts TCP connections.
    local i
    for ((i = 0; i < START_TIMEOUT * 10; i++)); do
        if "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d postgres; then
            break
        fi
        sleep 0.1
    done
    "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d postgres \
        || die "server started but does not accept connections on 127.0.0.1:$port"
    flock -u 9
    exec 9>&-

    log "ready on 127.0.0.1:$port"
    print_exports "$port"
}

cmd_stop() {
    if [[ ! -d "$DIR" ]]; then
        log "$DIR does not exist; nothing to stop"
        return
    fi
    DIR="$(cd "$DIR" && pwd -P)"
    DATA="$DIR/data"
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        log "no data directory in $DIR; nothing to stop"
        return
    fi
    BINDIR="$(find_bindir)"
    if ! is_running; then
        log "not running in $DIR"
        return
    fi
    local owner
    owner="$(data_owner)"
    log "stopping server in $DIR"
    as_owner "$owner" "$BINDIR/pg_ctl" stop -D "$DATA" -m fast -w -t "$START_TIMEOUT" -s >&2
}

cmd_status() {
    DIR="$(cd "$DIR" 2>/dev/null && pwd -P)" || exit 3
    DATA="$DIR/data"
    [[ -f "$DATA/PG_VERSION" ]] || exit 3
    BINDIR="$(find_bindir)"
    if is_running; then
        log "running in $DIR on port $(current_port)"
        exit 0
    fi
    exit 3
}

[[ $# -eq 2 && -n "$2" ]] || usage
DIR="$2"
DATA=""
BINDIR=""
case "$1" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) usage ;;
esac
