# Process and port helpers shared by swift.sh and keystone.sh (sourced, not run).
# The caller defines HOST, PY, RUN (PID files), LOGDIR, and the functions log, die and
# pid_alive NAME (0 if run/NAME.pid names a live process of this directory).

spawn() { # name cmd... : detached (own session), PID in run/name.pid, output in log/name.log
    local name="$1" i
    shift
    pid_alive "$name" && return 0
    rm -f "$RUN/$name.pid"
    # The inner shell writes its own PID and then execs the server, so the PID
    # file holds the server's PID. 9>&-: the server must not inherit the lock.
    # shellcheck disable=SC2016
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$RUN/$name.pid" "$@" \
        </dev/null >>"$LOGDIR/$name.log" 2>&1 9>&- &
    for i in $(seq 1 100); do
        [[ -s "$RUN/$name.pid" ]] && return 0
        sleep 0.05
    done
    die "$name did not start (see $LOGDIR/$name.log)"
}

# stop_all NAME...: SIGTERM to every live one at once (a Swift server takes
# about 2 s to exit gracefully), then wait up to 5 s, then SIGKILL.
stop_all() {
    local name pid i
    local -a pids=() names=()
    for name in "$@"; do
        if pid_alive "$name"; then
            pid="$(cat "$RUN/$name.pid")"
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
            names+=("$name")
        fi
        rm -f "$RUN/$name.pid"
    done
    for ((i = 0; i < ${#pids[@]}; i++)); do
        pid="${pids[$i]}"
        for _ in $(seq 1 50); do
            [[ -d "/proc/$pid" ]] || break
            sleep 0.1
        done
        if [[ -d "/proc/$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
        log "stopped ${names[$i]} (pid $pid)"
    done
}

port_busy() { # port -> 0 if something listens on 127.0.0.1:port
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# Print N distinct TCP ports that are free on 127.0.0.1 right now (all sockets
# are held open until the last one is bound, so they differ from each other).
free_ports() {
    "$PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

wait_http() { # url deadline(epoch s) service -> 0 once url answers 2xx
    until curl -fsS -o /dev/null --max-time 5 "$1" 2>/dev/null; do
        pid_alive "$3" || return 1
        (($(date +%s) < $2)) || return 1
        sleep 0.2
    done
}

# The middleware sections both proxies use besides auth, S3 and cache (as in a stock
# Swift all-in-one), printed into a proxy-server.conf.
proxy_filters() {
    cat <<'EOF'
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:tempurl]
use = egg:swift#tempurl
[filter:ratelimit]
use = egg:swift#ratelimit
[filter:copy]
use = egg:swift#copy
[filter:container-quotas]
use = egg:swift#container_quotas
[filter:account-quotas]
use = egg:swift#account_quotas
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
allow_object_versioning = true
[filter:symlink]
use = egg:swift#symlink
EOF
}
