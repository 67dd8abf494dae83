#!/usr/bin/env bash
# Start or stop a throwaway OpenStack Swift "all in one" for cairn's tests.
#
# Usage:
#   eval "$(tests/services/swift.sh start)"
#   ... run tests (SWIFT_AUTH_URL, S3_ENDPOINT, AWS_* ... are now set) ...
#   tests/services/swift.sh stop            # finds the servers through $SWIFT_DIR
#
# Commands (DIR: optional 2nd argument, else $SWIFT_DIR):
#   start [DIR]       Starts memcached + account/container/object servers + the
#                     proxies, all on 127.0.0.1 on free ports picked now, waits
#                     until a tempauth token and an object PUT work, and prints
#                     `export` lines on stdout. If everything in DIR already runs,
#                     just prints the lines again. Without DIR/SWIFT_DIR a new
#                     directory is made with mktemp under ${TMPDIR:-/tmp}; its path
#                     is printed as SWIFT_DIR, which every other command needs.
#   stop [DIR]        Stops every process started in DIR (and keystone.sh's, if
#                     it used DIR). Data stays, `start` brings it back.
#   destroy [DIR]     stop, then delete DIR if swift.sh made it with mktemp
#                     (else only the files swift.sh/keystone.sh put into it).
#   status [DIR]      One line per process; exit 0 if all are up, 3 if not.
#   env [DIR]         Print the `export` lines again.
#   stop-proxy [main|short|noauth|all]
#                     Stop one proxy (default main: the one at SWIFT_AUTH_URL and
#                     S3_ENDPOINT), to simulate a server going away mid-run.
#                     Storage servers and memcached keep running, so tokens
#                     survive. Uses $SWIFT_DIR.
#   start-proxy [main|short|noauth|all]
#                     Start it again on the same port; returns once it answers.
#   update [DIR]      One swift-container-updater pass: refreshes ACCOUNT-level
#                     object/byte counts (container-level counts are always
#                     current; see "account stats lag" below).
#
# What runs (one replica, one device = a plain directory, workers = 0):
#   main proxy   tempauth + s3api (+ bulk, slo, dlo, copy, tempurl, ...),
#                token lifetime $SWIFT_TOKEN_LIFE (default 86400 s)
#   short proxy  tempauth with token lifetime $SWIFT_SHORT_TOKEN_LIFE (default
#                3 s), same rings/data/users, to test token expiry mid-run.
#                It has its OWN memcached: tempauth keeps tokens in memcached and
#                hands out a still-valid token of the same user from there, so a
#                shared memcached would mix long and short tokens. Consequence:
#                tokens of one proxy are unknown (401) to the other.
#                SWIFT_SHORT_TOKEN_LIFE=0 disables it.
#   noauth proxy no auth middleware at all (SWIFT_NOAUTH=1 to start it)
#
# tempauth users (account:user / key):  test:tester / testing (admin of AUTH_test),
#   test2:tester2 / testing2 (admin of AUTH_test2), test:tester3 / testing3 (AUTH_test,
#   not admin: needs ACLs), admin:admin / admin (reseller admin). For S3 the access
#   key is "account:user" and the secret is the key; SigV4, path-style, region
#   us-east-1.
#
# Printed variables: SWIFT_DIR, SWIFT_AUTH_URL, SWIFT_USER, SWIFT_KEY,
#   SWIFT_STORAGE_URL, ST_AUTH, ST_USER, ST_KEY (python-swiftclient's names),
#   SWIFT_USER2, SWIFT_KEY2, SWIFT_STORAGE_URL2, SWIFT_TOKEN_LIFE,
#   SWIFT_SHORT_TOKEN_AUTH_URL, SWIFT_SHORT_TOKEN_STORAGE_URL,
#   SWIFT_SHORT_TOKEN_LIFE, [SWIFT_NOAUTH_STORAGE_URL], S3_ENDPOINT,
#   AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
#   AWS_DEFAULT_REGION.
#
# Environment (optional, read by `start`; when unset, a restart of a stopped DIR
# keeps its previous settings. The token lifetimes are printed back, so after
# `eval` a later start in the same shell keeps them too):
#   SWIFT_DIR               state directory (configs, rings, data, logs, PIDs)
#   SWIFT_TOKEN_LIFE        main proxy's tempauth token lifetime, s (86400)
#   SWIFT_SHORT_TOKEN_LIFE  short proxy's token lifetime, s (3; 0 = no short proxy)
#   SWIFT_NOAUTH            1 = also start the no-auth proxy (0)
#   SWIFT_START_TIMEOUT     seconds to wait until healthy (60)
#
# Notes:
#   * Everything listens on 127.0.0.1 only. Ports are free ports picked by
#     binding port 0; a restart of a stopped DIR reuses its old ports if they
#     are still free. Parallel starts by the same user are serialised by a lock
#     file, so they never pick the same ports.
#   * Swift and its tools are Debian's (tests/services/install-deps.sh): they
#     run under /usr/bin/python3, whatever `python3` is first on PATH.
#   * Swift 2.30 reads /etc/swift/swift.conf (hash prefix/suffix, policies)
#     whatever swift_dir says; Debian's package ships one. Written if missing.
#   * Account stats lag: object counts/bytes in HEAD /v1/AUTH_test and account
#     listings are updated asynchronously by the container updater (not running
#     here; use `swift.sh update`). Container HEAD/listings are always current.
#   * Each process is started as `setsid bash -c 'echo $$ >pidfile; exec ...'`;
#     stop kills only a PID whose /proc/PID/cmdline still names this DIR.
#     Nothing is ever killed by name.
#
# TEST ONLY: fixed, well-known passwords. Never expose these ports.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOST=127.0.0.1
# Debian's interpreter: a pyenv/venv `python3` first on PATH has no `swift` module.
PY=/usr/bin/python3
# shellcheck source=tests/services/proc.sh
. "$HERE/proc.sh"
RUN_USER="$(id -un)"
START_TIMEOUT="${SWIFT_START_TIMEOUT:-60}"
LOCK="${TMPDIR:-/tmp}/cairn-test-swift.$(id -u).lock"

log() { printf 'swift.sh: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
usage() {
    echo "usage: $0 start|stop|destroy|status|env|update [DIR]" >&2
    echo "       $0 stop-proxy|start-proxy [main|short|noauth|all]   (uses \$SWIFT_DIR)" >&2
    exit 2
}

# ---------------------------------------------------------------- state
# DIR/state.env holds the ports and settings chosen by `start`; every other
# command reads them from there.
set_dir() { # DIR -> globals
    DIR="$1"
    ETC="$DIR/etc"
    RUN="$DIR/run"
    LOGDIR="$DIR/log"
    DEVICES="$DIR/srv/node"
    STATE="$DIR/state.env"
}

load_state() {
    PROXY_PORT="" SHORT_PORT="" NOAUTH_PORT="" ACCT_PORT="" CONT_PORT="" OBJ_PORT=""
    MC_PORT="" MC_SHORT_PORT="" TOKEN_LIFE="" SHORT_TOKEN_LIFE="" NOAUTH=""
    # shellcheck disable=SC1090
    [[ -f "$STATE" ]] && . "$STATE"
    return 0
}

save_state() {
    local v
    {
        for v in PROXY_PORT SHORT_PORT NOAUTH_PORT ACCT_PORT CONT_PORT OBJ_PORT \
            MC_PORT MC_SHORT_PORT TOKEN_LIFE SHORT_TOKEN_LIFE NOAUTH; do
            printf '%s=%q\n' "$v" "${!v}"
        done
    } >"$STATE.tmp"
    mv "$STATE.tmp" "$STATE"
}

# Services of this DIR, in start order.
services() {
    local s=(memcached account-server container-server object-server proxy-server)
    if [[ "$SHORT_TOKEN_LIFE" != 0 ]]; then s+=(memcached-short proxy-short); fi
    if [[ "$NOAUTH" == 1 ]]; then s+=(proxy-noauth); fi
    echo "${s[@]}"
}

port_of() {
    case "$1" in
        memcached) echo "$MC_PORT" ;;
        memcached-short) echo "$MC_SHORT_PORT" ;;
        account-server) echo "$ACCT_PORT" ;;
        container-server) echo "$CONT_PORT" ;;
        object-server) echo "$OBJ_PORT" ;;
        proxy-server) echo "$PROXY_PORT" ;;
        proxy-short) echo "$SHORT_PORT" ;;
        proxy-noauth) echo "$NOAUTH_PORT" ;;
    esac
}

# String that /proc/PID/cmdline of the service must contain: its config file
# (or, for memcached, its -P file) inside DIR. Guards against recycled PIDs.
sig_of() {
    case "$1" in
        memcached*) echo "$RUN/$1.own.pid" ;;
        *) echo "$ETC/$1.conf" ;;
    esac
}

# ---------------------------------------------------------------- processes
pid_alive() { # name -> 0 if run/name.pid names a live process started for DIR
    local f="$RUN/$1.pid" pid
    [[ -s "$f" ]] || return 1
    pid="$(cat "$f")"
    [[ "$pid" =~ ^[0-9]+$ && -d "/proc/$pid" ]] || return 1
    local cmdline
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$cmdline" == *"$(sig_of "$1")"* ]]
}

tempauth_token() { # port user key -> token on stdout
    curl -fsS -D - -o /dev/null --max-time 5 -H "X-Auth-User: $2" -H "X-Auth-Key: $3" \
        "http://$HOST:$1/auth/v1.0" 2>/dev/null |
        tr -d '\r' | awk -F': ' 'tolower($1)=="x-auth-token"{print $2}'
}

# ---------------------------------------------------------------- configuration
write_configs() {
    mkdir -p "$ETC" "$RUN" "$LOGDIR" "$DEVICES/d1" "$DIR/cache"

    if [[ ! -f /etc/swift/swift.conf ]]; then
        [[ -w /etc ]] || die "/etc/swift/swift.conf is missing and cannot be written (not root); install the swift package"
        mkdir -p /etc/swift
        cat >/etc/swift/swift.conf <<'EOF'
# Written by cairn's tests/services/swift.sh (Swift reads this path, whatever
# swift_dir says). TEST ONLY.
[swift-hash]
swift_hash_path_suffix = changeme
swift_hash_path_prefix = changeme
[storage-policy:0]
name = Policy-0
default = yes
EOF
        log "wrote /etc/swift/swift.conf"
    fi

    # log_address: a socket path that does not exist, so Swift does not log to
    # the system's syslog (it falls back to UDP 127.0.0.1:514, which is harmless);
    # with -v everything also goes to log/NAME.log.
    local common="# Written by tests/services/swift.sh on every start. TEST ONLY.
[DEFAULT]
bind_ip = $HOST
bind_timeout = 5
workers = 0
user = $RUN_USER
swift_dir = $ETC
devices = $DEVICES
mount_check = false
disable_fallocate = true
log_level = INFO
log_address = $RUN/no-syslog"

    local kind port
    for kind in account container object; do
        case "$kind" in
            account) port="$ACCT_PORT" ;;
            container) port="$CONT_PORT" ;;
            object) port="$OBJ_PORT" ;;
        esac
        cat >"$ETC/$kind-server.conf" <<EOF
$common
bind_port = $port
log_name = $kind-server

[pipeline:main]
pipeline = healthcheck $kind-server

[app:$kind-server]
use = egg:swift#$kind

[filter:healthcheck]
use = egg:swift#healthcheck
EOF
    done
    cat >>"$ETC/container-server.conf" <<EOF

[container-updater]
concurrency = 1
log_level = WARNING
recon_cache_path = $DIR/cache
EOF

    # The tempauth users (upstream SAIO's). user_<account>_<user> = <key> <groups>
    local users="user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
user_test2_tester2 = testing2 .admin
user_test_tester3 = testing3
# swift.sh's own start-up probe (PUTs into AUTH_cairnprobe, not the test accounts)
user_cairnprobe_probe = probe .admin"

    # write_proxy NAME PORT MEMCACHED_PORT PIPELINE_AUTH_PART TEMPAUTH_TOKEN_LIFE
    write_proxy() {
        local name="$1" port="$2" mc="$3" auth="$4" life="$5"
        {
            cat <<EOF
# Written by tests/services/swift.sh on every start. TEST ONLY.
[DEFAULT]
bind_ip = $HOST
bind_port = $port
bind_timeout = 5
workers = 0
user = $RUN_USER
swift_dir = $ETC
log_level = INFO
log_address = $RUN/no-syslog
log_name = $name

[pipeline:main]
# s3api sits just before the auth filter, slo after s3api (S3 multipart);
# bulk gives POST ?bulk-delete and PUT ?extract-archive
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl ratelimit $auth copy container-quotas account-quotas slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
allow_account_management = true
account_autocreate = true

[filter:cache]
use = egg:swift#memcache
memcache_servers = $HOST:$mc
EOF
            if [[ "$auth" == *s3api* ]]; then
                cat <<EOF

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
EOF
            fi
            if [[ "$auth" == *tempauth* ]]; then
                cat <<EOF

[filter:tempauth]
use = egg:swift#tempauth
token_life = $life
$users
EOF
            fi
            echo
            proxy_filters
        } >"$ETC/$name.conf"
    }
    write_proxy proxy-server "$PROXY_PORT" "$MC_PORT" "s3api tempauth" "$TOKEN_LIFE"
    if [[ "$SHORT_TOKEN_LIFE" != 0 ]]; then
        write_proxy proxy-short "$SHORT_PORT" "$MC_SHORT_PORT" "tempauth" "$SHORT_TOKEN_LIFE"
    fi
    if [[ "$NOAUTH" == 1 ]]; then
        write_proxy proxy-noauth "$NOAUTH_PORT" "$MC_PORT" "" ""
    fi

    # One-replica rings with the single device d1, built in one Python process
    # (swift-ring-builder costs ~1 s per call). The device's ports are in the
    # rings, so they are rebuilt when the ports change; with one device every
    # partition stays on d1 and the data stays reachable.
    if [[ ! -s "$ETC/object.ring.gz" || ! -s "$ETC/.ring-ports" ||
        "$(cat "$ETC/.ring-ports")" != "$ACCT_PORT $CONT_PORT $OBJ_PORT" ]]; then
        "$PY" - "$ETC" "$HOST" "$ACCT_PORT" "$CONT_PORT" "$OBJ_PORT" <<'EOF'
import sys
from swift.common.ring import RingBuilder
etc, host, ports = sys.argv[1], sys.argv[2], sys.argv[3:]
for name, port in zip(("account", "container", "object"), ports):
    b = RingBuilder(8, 1, 1)          # part_power 8, 1 replica, min_part_hours 1
    b.add_dev({"id": 0, "region": 1, "zone": 1, "ip": host, "port": int(port),
               "device": "d1", "weight": 100, "meta": ""})
    b.rebalance()
    b.save(f"{etc}/{name}.builder")
    b.get_ring().save(f"{etc}/{name}.ring.gz")
EOF
        echo "$ACCT_PORT $CONT_PORT $OBJ_PORT" >"$ETC/.ring-ports"
    fi
}

check_xattr() {
    "$PY" - "$DEVICES/d1" <<'EOF' || die "the filesystem of $DEVICES has no user xattrs (Swift needs them); use a SWIFT_DIR on ext4/xfs/tmpfs"
import os, sys, tempfile, xattr
fd, p = tempfile.mkstemp(dir=sys.argv[1])
try:
    xattr.setxattr(p, "user.swift.test", b"x" * 2048)
    assert xattr.getxattr(p, "user.swift.test") == b"x" * 2048
finally:
    os.close(fd)
    os.unlink(p)
EOF
}

print_env() {
    local base="http://$HOST:$PROXY_PORT"
    printf 'export %s=%q\n' \
        SWIFT_DIR "$DIR" \
        SWIFT_AUTH_URL "$base/auth/v1.0" \
        SWIFT_USER test:tester \
        SWIFT_KEY testing \
        SWIFT_STORAGE_URL "$base/v1/AUTH_test" \
        ST_AUTH "$base/auth/v1.0" \
        ST_USER test:tester \
        ST_KEY testing \
        SWIFT_USER2 test2:tester2 \
        SWIFT_KEY2 testing2 \
        SWIFT_STORAGE_URL2 "$base/v1/AUTH_test2" \
        SWIFT_TOKEN_LIFE "$TOKEN_LIFE"
    if [[ "$SHORT_TOKEN_LIFE" != 0 ]]; then
        printf 'export %s=%q\n' \
            SWIFT_SHORT_TOKEN_AUTH_URL "http://$HOST:$SHORT_PORT/auth/v1.0" \
            SWIFT_SHORT_TOKEN_STORAGE_URL "http://$HOST:$SHORT_PORT/v1/AUTH_test" \
            SWIFT_SHORT_TOKEN_LIFE "$SHORT_TOKEN_LIFE"
    fi
    if [[ "$NOAUTH" == 1 ]]; then
        printf 'export %s=%q\n' SWIFT_NOAUTH_STORAGE_URL "http://$HOST:$NOAUTH_PORT/v1/AUTH_test"
    fi
    printf 'export %s=%q\n' \
        S3_ENDPOINT "$base" \
        AWS_ENDPOINT_URL "$base" \
        AWS_ACCESS_KEY_ID test:tester \
        AWS_SECRET_ACCESS_KEY testing \
        AWS_REGION us-east-1 \
        AWS_DEFAULT_REGION us-east-1
}

# ---------------------------------------------------------------- start
any_alive() {
    local s
    for s in $(services); do pid_alive "$s" && return 0; done
    return 1
}

all_alive() {
    local s
    for s in $(services); do pid_alive "$s" || return 1; done
    return 0
}

# Choose the ports: keep those of running processes; reuse the saved ones of a
# stopped DIR if they are all still free; else pick new free ports.
choose_ports() { # force_new(0|1)
    local names=(PROXY_PORT ACCT_PORT CONT_PORT OBJ_PORT MC_PORT SHORT_PORT MC_SHORT_PORT NOAUTH_PORT)
    local s p reuse=1
    if [[ "$1" == 0 ]]; then
        for s in $(services); do
            p="$(port_of "$s")"
            if [[ -z "$p" ]]; then reuse=0; break; fi
            if ! pid_alive "$s" && port_busy "$p"; then
                any_alive && die "port $p of $s (stopped) is taken by another process; run '$0 stop' first"
                reuse=0
                break
            fi
        done
        [[ "$reuse" == 1 ]] && return 0
    fi
    any_alive && die "cannot pick new ports while some servers of $DIR run; run '$0 stop' first"
    local ports i=0
    read -r -a ports <<<"$(free_ports ${#names[@]})"
    for p in "${names[@]}"; do
        printf -v "$p" '%s' "${ports[$i]}"
        i=$((i + 1))
    done
}

# Logged a failure to bind since offset? (memcached: "failed to listen",
# eventlet: "Could not bind to ... after trying for N seconds")
bind_failed() {
    local s new
    for s in $(services); do
        [[ -f "$LOGDIR/$s.log" ]] || continue
        new="$(tail -c +"$((${LOGSIZE[$s]:-0} + 1))" "$LOGDIR/$s.log")"
        [[ "$new" =~ Address\ already\ in\ use|Could\ not\ bind|failed\ to\ listen ]] && return 0
    done
    return 1
}

declare -A LOGSIZE=()

start_attempt() { # force_new_ports -> 0 ok, 1 failed, 2 port conflict (retry)
    choose_ports "$1"
    save_state
    write_configs

    local s p
    for s in $(services); do
        LOGSIZE[$s]="$(stat -c %s "$LOGDIR/$s.log" 2>/dev/null || echo 0)"
        if ! pid_alive "$s" && port_busy "$(port_of "$s")"; then
            log "port $(port_of "$s") of $s is taken"
            return 2
        fi
    done

    spawn memcached /usr/bin/memcached -l "$HOST" -p "$MC_PORT" -U 0 -m 64 -c 1024 \
        -u "$RUN_USER" -P "$(sig_of memcached)"
    if [[ "$SHORT_TOKEN_LIFE" != 0 ]]; then
        spawn memcached-short /usr/bin/memcached -l "$HOST" -p "$MC_SHORT_PORT" -U 0 -m 16 \
            -c 256 -u "$RUN_USER" -P "$(sig_of memcached-short)"
    fi
    for s in account-server container-server object-server; do
        spawn "$s" "$PY" "/usr/bin/swift-$s" "$(sig_of "$s")" -v
    done
    for s in proxy-server proxy-short proxy-noauth; do
        [[ " $(services) " == *" $s "* ]] || continue
        spawn "$s" "$PY" /usr/bin/swift-proxy-server "$(sig_of "$s")" -v
    done

    local deadline=$(($(date +%s) + START_TIMEOUT))
    for s in $(services); do
        case "$s" in
            memcached*)
                until port_busy "$(port_of "$s")"; do
                    if ! pid_alive "$s" || (($(date +%s) >= deadline)); then break; fi
                    sleep 0.05
                done
                port_busy "$(port_of "$s")" && pid_alive "$s" && continue
                ;;
            *)
                wait_http "http://$HOST:$(port_of "$s")/healthcheck" "$deadline" "$s" && continue
                ;;
        esac
        bind_failed && return 2
        log "$s (port $(port_of "$s")) is not up; last lines of $LOGDIR/$s.log:"
        tail -n 20 "$LOGDIR/$s.log" >&2 || true
        return 1
    done

    # End to end: tempauth token (needs memcached), then a container and an
    # object PUT (rings, xattrs, account autocreate) in swift.sh's own account.
    local tok="" base="http://$HOST:$PROXY_PORT/v1/AUTH_cairnprobe"
    until tok="$(tempauth_token "$PROXY_PORT" cairnprobe:probe probe)" && [[ -n "$tok" ]]; do
        (($(date +%s) < deadline)) || {
            log "tempauth gives no token; see $LOGDIR/proxy-server.log"
            return 1
        }
        sleep 0.2
    done
    if ! curl -fsS -o /dev/null --max-time 10 -X PUT -H "X-Auth-Token: $tok" "$base/probe" ||
        ! curl -fsS -o /dev/null --max-time 10 -X PUT -H "X-Auth-Token: $tok" --data-binary ok \
            "$base/probe/probe"; then
        log "cannot PUT a container/object; see $LOGDIR/*.log"
        return 1
    fi
    if [[ "$SHORT_TOKEN_LIFE" != 0 ]]; then
        tok="$(tempauth_token "$SHORT_PORT" cairnprobe:probe probe)" || tok=""
        if [[ -z "$tok" ]]; then
            log "the short-token proxy gives no token; see $LOGDIR/proxy-short.log"
            return 1
        fi
    fi
    return 0
}

cmd_start() {
    local t0
    t0="$(date +%s%N)"
    local created=""
    if [[ -z "$DIR" ]]; then
        mkdir -p "${TMPDIR:-/tmp}"
        DIR="$(mktemp -d "${TMPDIR:-/tmp}/cairn-swift.XXXXXX")"
        created=1
    fi
    mkdir -p "$DIR"
    set_dir "$(cd "$DIR" && pwd -P)"
    if [[ -n "$created" ]]; then touch "$DIR/.created-by-swift.sh"; fi
    [[ -x /usr/bin/swift-proxy-server && -x /usr/bin/memcached ]] ||
        die "Swift/memcached not installed (run tests/services/install-deps.sh as root)"

    # Serialise port selection and start-up between parallel starts by this user.
    exec 9>>"$LOCK"
    flock -w 300 9 || die "timed out waiting for $LOCK"

    load_state
    if [[ -n "$PROXY_PORT" ]] && all_alive; then
        if [[ "${SWIFT_TOKEN_LIFE:-$TOKEN_LIFE}" != "$TOKEN_LIFE" ||
            "${SWIFT_SHORT_TOKEN_LIFE:-$SHORT_TOKEN_LIFE}" != "$SHORT_TOKEN_LIFE" ||
            "${SWIFT_NOAUTH:-$NOAUTH}" != "$NOAUTH" ]]; then
            log "warning: already running with SWIFT_TOKEN_LIFE=$TOKEN_LIFE SWIFT_SHORT_TOKEN_LIFE=$SHORT_TOKEN_LIFE SWIFT_NOAUTH=$NOAUTH; '$0 stop' first to change them"
        fi
        log "already running in $DIR"
        print_env
        return
    fi
    if any_alive; then
        # Partly running (e.g. after stop-proxy): keep the settings of the running ones.
        log "some servers of $DIR run; starting the others"
    else
        # environment, else what this DIR used last time, else the defaults
        TOKEN_LIFE="${SWIFT_TOKEN_LIFE:-${TOKEN_LIFE:-86400}}"
        SHORT_TOKEN_LIFE="${SWIFT_SHORT_TOKEN_LIFE:-${SHORT_TOKEN_LIFE:-3}}"
        NOAUTH="${SWIFT_NOAUTH:-${NOAUTH:-0}}"
    fi
    [[ "$TOKEN_LIFE" =~ ^[0-9]+$ && "$SHORT_TOKEN_LIFE" =~ ^[0-9]+$ ]] ||
        die "SWIFT_TOKEN_LIFE and SWIFT_SHORT_TOKEN_LIFE must be whole seconds"

    mkdir -p "$ETC" "$RUN" "$LOGDIR" "$DEVICES/d1"
    check_xattr

    # A port taken by another program between picking and binding (rare):
    # retry with fresh ports, unless servers that were already running pin them.
    local was_running="" attempt rc force=0
    if any_alive; then was_running=1; fi
    for attempt in 1 2 3; do
        rc=0
        start_attempt "$force" || rc=$?
        [[ "$rc" == 0 ]] && break
        [[ -z "$was_running" ]] && cmd_stop_processes
        [[ "$rc" == 2 && -z "$was_running" ]] || die "start failed (logs in $LOGDIR)"
        log "a port was taken by another program; retrying with new ports"
        force=1
    done
    [[ "$rc" == 0 ]] || die "start failed after $attempt attempts (logs in $LOGDIR)"
    flock -u 9
    exec 9>&-

    local ms=$((($(date +%s%N) - t0) / 1000000))
    log "ready in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s: proxy $HOST:$PROXY_PORT, data in $DIR"
    print_env
}

cmd_stop_processes() {
    stop_all proxy-noauth proxy-short proxy-server object-server container-server \
        account-server memcached-short memcached
    rm -f "$RUN"/memcached*.own.pid
}

# ---------------------------------------------------------------- other commands
need_dir() {
    [[ -n "$DIR" ]] || die "SWIFT_DIR is not set (it is printed by '$0 start'; or pass DIR)"
    [[ -f "$DIR/state.env" ]] || die "$DIR was not set up by swift.sh (no state.env)"
    set_dir "$(cd "$DIR" && pwd -P)"
    load_state
}

cmd_stop() {
    if [[ -d "$DIR/keystone" && -x "$HERE/keystone.sh" ]]; then
        SWIFT_DIR="$DIR" "$HERE/keystone.sh" stop || true
    fi
    cmd_stop_processes
}

cmd_status() {
    local s rc=0
    for s in $(services); do
        if pid_alive "$s"; then
            echo "$s: running (pid $(cat "$RUN/$s.pid"), 127.0.0.1:$(port_of "$s"))"
        else
            echo "$s: stopped"
            rc=3
        fi
    done
    return "$rc"
}

proxies_of() { # main|short|noauth|all -> service names
    case "${1:-main}" in
        main) echo proxy-server ;;
        short) echo proxy-short ;;
        noauth) echo proxy-noauth ;;
        all) echo proxy-server proxy-short proxy-noauth ;;
        *) usage ;;
    esac
}

cmd_stop_proxy() {
    # shellcheck disable=SC2046
    stop_all $(proxies_of "$1")
}

cmd_start_proxy() {
    local s deadline=$(($(date +%s) + START_TIMEOUT))
    for s in $(proxies_of "$1"); do
        [[ " $(services) " == *" $s "* ]] || {
            [[ "$1" == all ]] && continue
            die "$s is not configured in $DIR"
        }
        pid_alive "$s" && continue
        port_busy "$(port_of "$s")" && die "port $(port_of "$s") of $s is taken by another process"
        spawn "$s" "$PY" /usr/bin/swift-proxy-server "$(sig_of "$s")" -v
        wait_http "http://$HOST:$(port_of "$s")/healthcheck" "$deadline" "$s" || {
            tail -n 20 "$LOGDIR/$s.log" >&2 || true
            die "$s did not come up"
        }
        log "started $s on $HOST:$(port_of "$s")"
    done
}

cmd_destroy() {
    cmd_stop
    if [[ -f "$DIR/.created-by-swift.sh" ]]; then
        rm -rf "$DIR"
        log "removed $DIR"
    else
        # a DIR given by the caller: remove only what swift.sh/keystone.sh put there
        rm -rf "$ETC" "$RUN" "$LOGDIR" "$DIR/srv" "$DIR/cache" "$DIR/keystone" "$STATE"
        log "removed swift.sh's files from $DIR"
    fi
}

cmd="${1:-}"
case "$cmd" in
    start | stop | destroy | status | env | update)
        [[ $# -le 2 ]] || usage
        DIR="${2:-${SWIFT_DIR:-}}"
        ;;
    stop-proxy | start-proxy)
        [[ $# -le 2 ]] || usage
        DIR="${SWIFT_DIR:-}"
        ;;
    *) usage ;;
esac
set_dir "$DIR"
case "$cmd" in
    start) cmd_start ;;
    stop)
        need_dir
        cmd_stop
        ;;
    destroy)
        need_dir
        cmd_destroy
        ;;
    status)
        need_dir
        cmd_status
        ;;
    env)
        need_dir
        print_env
        ;;
    update)
        need_dir
        "$PY" /usr/bin/swift-container-updater "$ETC/container-server.conf" once
        ;;
    stop-proxy)
        need_dir
        cmd_stop_proxy "${2:-main}"
        ;;
    start-proxy)
        need_dir
        cmd_start_proxy "${2:-main}"
        ;;
esac
