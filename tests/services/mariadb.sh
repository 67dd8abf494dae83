#!/usr/bin/env bash
# Start or stop a throwaway MariaDB server for cairn's tests.
#
# Usage:
#   eval "$(tests/services/mariadb.sh start DIR)"
#   ... run tests (MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_UNIX_PORT, CAIRN_TEST_MARIADB_DIR
#       are now set) ...
#   tests/services/mariadb.sh stop DIR
#
# start DIR  Creates DIR if needed, runs mariadb-install-db into DIR/data (first
#            time only), starts mariadbd listening only on 127.0.0.1 on a free TCP
#            port, with its unix socket DIR/mysql.sock and its log in DIR/log,
#            waits until it answers, and prints `export` lines on stdout. If the
#            server in DIR is already running, just prints the lines.
# stop DIR   Clean shutdown (SIGTERM, then SIGKILL after the timeout). Does nothing
#            if not running.
# status DIR Exit 0 if the server in DIR is running, 3 if not.
#
# TEST ONLY: `root` has no password (from 127.0.0.1 and the socket), durability is
# off. Never point this at data you care about.
#
# Each server has its own temporary directory (DIR/tmp): servers started in parallel
# sharing /tmp have been seen to lose each other's temporary tables during
# mariadb-install-db.
#
# The server reads no option file (--no-defaults): /etc/mysql/my.cnf of the
# machine's own MariaDB package changes nothing here, and that package's service
# may stay stopped. When run as root the server runs as root too (--user=root):
# DIR then needs no permission changes, which matters for 0700 temporary dirs.
#
# Progress messages go to stderr; stdout carries only the export lines, so
# several servers (with different DIRs) can be started in parallel.
set -euo pipefail

START_TIMEOUT=60

log() { printf 'mariadb.sh: %s\n' "$*" >&2; }
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

need() {
    command -v "$1" >/dev/null \
        || die "$1 not found (run tests/services/install-deps.sh as root)"
}

# Print a TCP port on 127.0.0.1 that is free right now.
# The live server's PID, or nothing (exit 1). The PID file alone is not enough:
# after a crash or reboot the number may belong to another process.
server_pid() {
    local pid
    [[ -s "$PIDFILE" ]] || return 1
    pid="$(cat "$PIDFILE")"
    [[ -d "/proc/$pid" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--datadir=$DATA " || return 1
    printf '%s\n' "$pid"
}

current_port() {
    cat "$DIR/port"
}

print_exports() {
    printf 'export MYSQL_HOST=%q\n' 127.0.0.1
    printf 'export MYSQL_TCP_PORT=%q\n' "$1"
    printf 'export MYSQL_UNIX_PORT=%q\n' "$SOCK"
    printf 'export CAIRN_TEST_MARIADB_DIR=%q\n' "$DIR"
}

run_as() {
    if [[ "$(id -u)" -eq 0 ]]; then echo root; else id -un; fi
}

do_init() {
    log "mariadb-install-db into $DATA"
    if ! mariadb-install-db --no-defaults --datadir="$DATA" --user="$(run_as)" \
        --auth-root-authentication-method=normal --skip-test-db --tmpdir="$DIR/tmp" \
        >"$DIR/install-db.log" 2>&1; then
        cat "$DIR/install-db.log" >&2
        rm -rf "$DATA"
        die "mariadb-install-db failed (output in $DIR/install-db.log)"
    fi
}

# root gets no password and may log in over TCP from 127.0.0.1 too (the installer
# makes only root@localhost, which a TCP connection does not match with
# --skip-name-resolve). The installer's bootstrap runs without grant tables, so
# this has to wait for the running server; it is idempotent.
grant_tcp_root() {
    mariadb --no-defaults --socket="$SOCK" --user=root -e "
        CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
        GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" \
        || die "could not let root log in from 127.0.0.1"
}

cmd_start() {
    mkdir -p "$DIR/tmp"
    DIR="$(cd "$DIR" && pwd -P)"
    DATA="$DIR/data"
    SOCK="$DIR/mysql.sock"
    PIDFILE="$DIR/mariadb.pid"
    need mariadb-install-db
    need mariadbd
    need mariadb-admin
    need mariadb
    (( ${#SOCK} <= 107 )) || die "$SOCK is too long for a unix socket path; use a shorter DIR"

    if server_pid >/dev/null; then
        log "already running in $DIR"
        print_exports "$(current_port)"
        return
    fi
    [[ -d "$DATA/mysql" ]] || do_init

    # Serialise port selection + startup between parallel invocations, so two of
    # our own servers never pick the same port. Another program can still grab
    # the port in between; then we retry.
    local lock
    lock="${TMPDIR:-/tmp}/cairn-test-mariadb.$(id -u).lock"
    exec 9>>"$lock"
    flock -w 300 9 || die "timed out waiting for $lock"

    local attempt port logsize pid started="" i
    for attempt in 1 2 3 4 5; do
        port="$(free_ports 1)"
        logsize=0
        [[ ! -f "$DIR/log" ]] || logsize="$(stat -c %s "$DIR/log")"
        log "starting server on 127.0.0.1:$port (attempt $attempt, log in $DIR/log)"
        rm -f "$PIDFILE"
        # setsid: a Ctrl-C meant for the test run must not kill the server halfway
        # through its own shutdown. 9>&-: the server must not keep the lock.
        setsid mariadbd --no-defaults --user="$(run_as)" --datadir="$DATA" --tmpdir="$DIR/tmp" \
            --bind-address=127.0.0.1 --port="$port" --socket="$SOCK" \
            --pid-file="$PIDFILE" --log-error="$DIR/log" --skip-name-resolve \
            --skip-log-bin --performance-schema=OFF --innodb-buffer-pool-size=32M \
            --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=0 \
            --innodb-doublewrite=0 --character-set-server=utf8mb4 \
            --collation-server=utf8mb4_unicode_ci \
            </dev/null >>"$DIR/log" 2>&1 9>&- &
        pid=$!
        for ((i = 0; i < START_TIMEOUT * 10; i++)); do
            if mariadb-admin --no-defaults --socket="$SOCK" --user=root \
                --connect-timeout=2 ping >/dev/null 2>&1; then
                started=1
                break
            fi
            [[ -d "/proc/$pid" ]] || break
            sleep 0.1
        done
        [[ -z "$started" ]] || break
        kill -KILL "$pid" 2>/dev/null || true
        if tail -c +"$((logsize + 1))" "$DIR/log" 2>/dev/null \
            | grep -qE 'Bind on TCP/IP port|Address already in use'; then
            log "port $port was taken, retrying"
            continue
        fi
        tail -n 20 "$DIR/log" >&2 2>/dev/null || true
        die "server failed to start (see $DIR/log)"
    done
    [[ -n "$started" ]] || die "server failed to start after $attempt attempts (see $DIR/log)"
    grant_tcp_root
    mariadb-admin --no-defaults --protocol=tcp --host=127.0.0.1 --port="$port" \
        --user=root ping >/dev/null \
        || die "server started but does not accept connections on 127.0.0.1:$port"
    printf '%s\n' "$port" >"$DIR/port"
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
    PIDFILE="$DIR/mariadb.pid"
    local pid i
    if ! pid="$(server_pid)"; then
        log "not running in $DIR"
        return
    fi
    log "stopping server in $DIR (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < START_TIMEOUT * 10; i++)); do
        [[ -d "/proc/$pid" ]] || return 0
        sleep 0.1
    done
    log "server did not stop within ${START_TIMEOUT}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
}

cmd_status() {
    DIR="$(cd "$DIR" 2>/dev/null && pwd -P)" || exit 3
    DATA="$DIR/data"
    PIDFILE="$DIR/mariadb.pid"
    if server_pid >/dev/null; then
        log "running in $DIR on port $(current_port)"
        exit 0
    fi
    exit 3
}

[[ $# -eq 2 && -n "$2" ]] || usage
DIR="$2"
DATA=""
SOCK=""
PIDFILE=""
case "$1" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) usage ;;
esac
