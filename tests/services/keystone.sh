#!/usr/bin/env bash
# Start or stop a throwaway Keystone v3 plus a Swift proxy that authenticates
# through it, for cairn's tests. Uses the storage servers (and memcached) of
# tests/services/swift.sh in the same SWIFT_DIR, and starts them if needed.
#
# Usage:
#   eval "$(tests/services/keystone.sh start)"     # also starts swift.sh
#   ... run tests (OS_AUTH_URL, OS_USERNAME, ..., plus all of swift.sh's variables) ...
#   tests/services/swift.sh stop                   # stops Keystone too
#
# Commands (DIR: optional 2nd argument, else $SWIFT_DIR; Keystone's files go
# to DIR/keystone):
#   start [DIR]   Runs `swift.sh start` (idempotent), then Keystone (sqlite in WAL
#                 mode, fernet tokens) with keystone-wsgi-public on 127.0.0.1 on a
#                 free port, creates the test project/users/endpoints/credentials
#                 (idempotently, over the REST API), starts the Keystone-backed
#                 Swift proxy on another free port, and prints `export` lines:
#                 swift.sh's, then Keystone's. If all runs, just prints them.
#   stop [DIR]    Stops Keystone and its proxy (swift.sh keeps running; its own
#                 `stop` stops both). Data stays.
#   status [DIR]  One line per process; exit 0 if both are up, 3 if not.
#   env [DIR]     Print the `export` lines again.
#   stop-proxy | start-proxy   Stop / start the Keystone-backed Swift proxy alone
#                 (same port), to simulate a server going away mid-run.
#
# Keystone (domain Default, region RegionOne):
#   admin/adminpass  project admin, role admin
#   tester/testing   project test, role member            <- for tests
#   swift/swiftpass  project service, roles admin+service (the proxy's service user)
#   application credential "cairn-test" of tester (project test): printed as
#     KEYSTONE_APP_CRED_ID / KEYSTONE_APP_CRED_SECRET (use as
#     OS_AUTH_TYPE=v3applicationcredential OS_APPLICATION_CREDENTIAL_ID/_SECRET)
#   EC2 credential of tester (S3 through s3token): tester-access / tester-secret
#   catalog: identity -> OS_AUTH_URL, object-store -> http://127.0.0.1:PORT/v1/AUTH_<project id>
#
# Printed variables (after swift.sh's): OS_AUTH_URL, OS_IDENTITY_API_VERSION=3,
#   OS_AUTH_TYPE=password, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME,
#   OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME, OS_REGION_NAME, OS_INTERFACE=public,
#   KEYSTONE_PROJECT_ID, KEYSTONE_APP_CRED_ID, KEYSTONE_APP_CRED_SECRET,
#   KEYSTONE_APP_CRED_NAME, KEYSTONE_SWIFT_STORAGE_URL, KEYSTONE_S3_ENDPOINT,
#   KEYSTONE_S3_ACCESS_KEY, KEYSTONE_S3_SECRET_KEY, KEYSTONE_TOKEN_EXPIRATION.
#
# Environment (optional, read by `start`; when unset, a restart keeps the previous
# value; KEYSTONE_TOKEN_EXPIRATION is printed back, so it sticks after `eval`):
#   SWIFT_DIR                   see swift.sh (and its SWIFT_* variables)
#   KEYSTONE_TOKEN_EXPIRATION   Keystone token lifetime, s (3600). Applies to all
#                               tokens, the proxy's service user's too. Verified
#                               with 20: the proxy answers 401 from the second the
#                               token expires. Below 120 the proxy logs its service
#                               user in again whenever it validates a new token
#                               (keystoneauth1 renews tokens that expire within
#                               120 s): ~1-3 s for the first request with each new
#                               token. Below ~10 tokens may expire in transit.
#   KEYSTONE_START_TIMEOUT      seconds to wait until healthy (120)
#
# Notes:
#   * The first start creates the db (db_sync + bootstrap: ~30 s on a busy
#     2-core machine); later starts of the same DIR skip that.
#   * keystone-wsgi-public serves with wsgiref: one request at a time, HTTP/1.0.
#     Fine for tests. bcrypt uses 2^4 rounds (password_hash_rounds = 4).
#   * The s3token filter logs in with the service user (Debian's security-patched
#     Keystone lets only admin/service users call /v3/s3tokens) and caches
#     secrets for 300 s, so most S3 requests do not reach Keystone.
#   * Stop only kills PIDs whose /proc/PID/cmdline names DIR/keystone.
#
# TEST ONLY: fixed, well-known passwords. Never expose these ports.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOST=127.0.0.1
PY=/usr/bin/python3
# shellcheck source=tests/services/proc.sh
. "$HERE/proc.sh"
RUN_USER="$(id -un)"
RUN_GROUP="$(id -gn)"
START_TIMEOUT="${KEYSTONE_START_TIMEOUT:-120}"
LOCK="${TMPDIR:-/tmp}/cairn-test-swift.$(id -u).lock"
APP_CRED_NAME=cairn-test
APP_CRED_SECRET=cairn-test-app-cred-secret
EC2_ACCESS=tester-access
EC2_SECRET=tester-secret

log() { printf 'keystone.sh: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
usage() {
    echo "usage: $0 start|stop|status|env [DIR] | stop-proxy|start-proxy" >&2
    exit 2
}

set_dirs() { # SWIFT_DIR -> globals
    SDIR="$1"
    KDIR="$SDIR/keystone"
    ETC="$KDIR/etc"
    RUN="$KDIR/run"
    LOGDIR="$KDIR/log"
    STATE="$KDIR/state.env"
}

load_state() {
    KS_PORT="" PROXY_PORT="" PROJECT_ID="" APP_CRED_ID="" TOKEN_EXPIRATION="" PROVISIONED=""
    # shellcheck disable=SC1090
    [[ -f "$STATE" ]] && . "$STATE"
    # swift.sh's ports (memcached for the proxy's caches)
    MC_PORT=""
    # shellcheck disable=SC1091
    [[ -f "$SDIR/state.env" ]] && MC_PORT="$(. "$SDIR/state.env" && echo "$MC_PORT")"
    KS_URL="http://$HOST:$KS_PORT"
    return 0
}

save_state() {
    local v
    for v in KS_PORT PROXY_PORT PROJECT_ID APP_CRED_ID TOKEN_EXPIRATION PROVISIONED; do
        printf '%s=%q\n' "$v" "${!v}"
    done >"$STATE.tmp"
    mv "$STATE.tmp" "$STATE"
}

sig_of() { # what /proc/PID/cmdline must contain (guards against recycled PIDs)
    case "$1" in
        keystone) echo "$ETC/keystone.conf" ;;
        proxy-keystone) echo "$ETC/proxy-keystone.conf" ;;
    esac
}

port_of() {
    case "$1" in
        keystone) echo "$KS_PORT" ;;
        proxy-keystone) echo "$PROXY_PORT" ;;
    esac
}

pid_alive() {
    local f="$RUN/$1.pid" pid cmdline
    [[ -s "$f" ]] || return 1
    pid="$(cat "$f")"
    [[ "$pid" =~ ^[0-9]+$ && -d "/proc/$pid" ]] || return 1
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$cmdline" == *"$(sig_of "$1")"* ]]
}

# ---------------------------------------------------------------- Keystone
write_keystone_conf() {
    cat >"$ETC/keystone.conf" <<EOF
# Written by tests/services/keystone.sh on every start. TEST ONLY.
[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///$KDIR/keystone.db
[token]
provider = fernet
expiration = $TOKEN_EXPIRATION
[fernet_tokens]
key_repository = $KDIR/fernet-keys
[fernet_receipts]
key_repository = $KDIR/fernet-receipts
[credential]
key_repository = $KDIR/credential-keys
[cache]
enabled = false
[identity]
# bcrypt with 2^4 rounds instead of 2^12: a password check otherwise costs
# about 1 s of CPU on a busy 2-core machine
password_hash_rounds = 4
EOF
}

init_db() {
    [[ -s "$KDIR/keystone.db" && -f "$KDIR/.bootstrapped" ]] && return 0
    rm -f "$KDIR/keystone.db" "$KDIR/keystone.db-wal" "$KDIR/keystone.db-shm"
    PROVISIONED=""
    local k=(/usr/bin/keystone-manage --config-file "$ETC/keystone.conf")
    log "creating the Keystone db (db_sync, fernet keys, bootstrap; ~30 s) ..."
    # keystone-manage prints "Exception ignored ... 'getcurrent'" at exit
    # (eventlet at interpreter shutdown): harmless.
    "${k[@]}" db_sync >>"$LOGDIR/manage.log" 2>&1 || die "db_sync failed, see $LOGDIR/manage.log"
    # WAL: with the default journal, writes fail with "database is locked"
    # (HTTP 500) while the server holds a read transaction.
    "$PY" -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode=WAL')" \
        "$KDIR/keystone.db"
    "${k[@]}" fernet_setup --keystone-user "$RUN_USER" --keystone-group "$RUN_GROUP" \
        >>"$LOGDIR/manage.log" 2>&1 || die "fernet_setup failed, see $LOGDIR/manage.log"
    "${k[@]}" credential_setup --keystone-user "$RUN_USER" --keystone-group "$RUN_GROUP" \
        >>"$LOGDIR/manage.log" 2>&1 || die "credential_setup failed, see $LOGDIR/manage.log"
    # The endpoint URLs are set again by provision() on every start (the port
    # may change).
    "${k[@]}" bootstrap --bootstrap-password adminpass --bootstrap-region-id RegionOne \
        --bootstrap-admin-url "$KS_URL/v3/" --bootstrap-internal-url "$KS_URL/v3/" \
        --bootstrap-public-url "$KS_URL/v3/" >>"$LOGDIR/manage.log" 2>&1 ||
        die "bootstrap failed, see $LOGDIR/manage.log"
    touch "$KDIR/.bootstrapped"
}

# Idempotent, over the REST API: roles, projects, users, role assignments, the
# identity + object-store endpoints (URLs follow the current ports), tester's
# EC2 credential and application credential. Prints "PROJECT_ID APP_CRED_ID".
provision() {
    "$PY" - "$KS_URL" "http://$HOST:$PROXY_PORT" "$EC2_ACCESS" "$EC2_SECRET" \
        "$APP_CRED_NAME" "$APP_CRED_SECRET" <<'PYEOF'
import json, sys, urllib.error, urllib.request
ks, swift_url, ec2_access, ec2_secret, ac_name, ac_secret = sys.argv[1:7]

def call(method, path, body=None, token=None, ok404=False):
    req = urllib.request.Request(ks + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            data = r.read()
            return r.headers, (json.loads(data) if data else None)
    except urllib.error.HTTPError as e:
        if ok404 and e.code == 404:
            return None, None
        raise SystemExit(f"{method} {path}: HTTP {e.code}: {e.read()[:300]!r}")

def login(user, password, project):
    h, _ = call("POST", "/v3/auth/tokens", {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}})
    return h["X-Subject-Token"]

tok = login("admin", "adminpass", "admin")

def find(kind, query):
    _, d = call("GET", f"/v3/{kind}?{query}", token=tok)
    return d[kind][0]["id"] if d[kind] else None

def ensure(kind, single, name, body):
    return find(kind, f"name={name}") or call(
        "POST", f"/v3/{kind}", {single: dict(body, name=name)}, token=tok)[1][single]["id"]

admin_role = find("roles", "name=admin")
member_role = ensure("roles", "role", "member", {})
service_role = ensure("roles", "role", "service", {})
svc_project = ensure("projects", "project", "service", {"domain_id": "default"})
test_project = ensure("projects", "project", "test", {"domain_id": "default"})
swift_user = ensure("users", "user", "swift", {"domain_id": "default", "password": "swiftpass"})
tester = ensure("users", "user", "tester", {"domain_id": "default", "password": "testing",
                                            "default_project_id": test_project})
for p, u, r in ((svc_project, swift_user, admin_role), (svc_project, swift_user, service_role),
                (test_project, tester, member_role)):
    call("PUT", f"/v3/projects/{p}/users/{u}/roles/{r}", token=tok)

def ensure_endpoints(service_type, service_name, url):
    svc = find("services", f"type={service_type}") or call("POST", "/v3/services", {
        "service": {"type": service_type, "name": service_name}}, token=tok)[1]["service"]["id"]
    _, d = call("GET", f"/v3/endpoints?service_id={svc}", token=tok)
    have = {e["interface"]: e for e in d["endpoints"]}
    for iface in ("public", "internal", "admin"):
        if iface in have and have[iface]["url"] == url:
            continue
        if iface in have:
            call("PATCH", f"/v3/endpoints/{have[iface]['id']}",
                 {"endpoint": {"url": url}}, token=tok)
        else:
            call("POST", "/v3/endpoints", {"endpoint": {
                "service_id": svc, "interface": iface, "url": url,
                "region_id": "RegionOne"}}, token=tok)

ensure_endpoints("identity", "keystone", ks + "/v3/")
ensure_endpoints("object-store", "swift", swift_url + "/v1/AUTH_$(project_id)s")

_, d = call("GET", f"/v3/credentials?user_id={tester}&type=ec2", token=tok)
if not any(json.loads(c["blob"]).get("access") == ec2_access for c in d["credentials"]):
    call("POST", "/v3/credentials", {"credential": {
        "type": "ec2", "user_id": tester, "project_id": test_project,
        "blob": json.dumps({"access": ec2_access, "secret": ec2_secret})}}, token=tok)

# Application credentials can only be made by the user itself. The secret is
# chosen here, so an existing one (same name) can be reused.
utok = login("tester", "testing", "test")
_, d = call("GET", f"/v3/users/{tester}/application_credentials?name={ac_name}", token=utok)
if d["application_credentials"]:
    ac_id = d["application_credentials"][0]["id"]
else:
    ac_id = call("POST", f"/v3/users/{tester}/application_credentials", {
        "application_credential": {"name": ac_name, "secret": ac_secret,
                                   "description": "cairn tests (tests/services/keystone.sh)"}},
        token=utok)[1]["application_credential"]["id"]
print(test_project, ac_id)
PYEOF
}

write_proxy_conf() {
    local svc_auth="auth_url = $KS_URL/v3
username = swift
password = swiftpass
project_name = service
user_domain_id = default
project_domain_id = default"
    cat >"$ETC/proxy-keystone.conf" <<EOF
# Written by tests/services/keystone.sh on every start. TEST ONLY.
[DEFAULT]
bind_ip = $HOST
bind_port = $PROXY_PORT
bind_timeout = 5
workers = 0
user = $RUN_USER
swift_dir = $SDIR/etc
log_level = INFO
log_address = $RUN/no-syslog
log_name = proxy-keystone

[pipeline:main]
# authtoken first, then s3api + s3token, then keystoneauth (Swift docs' order);
# bulk gives POST ?bulk-delete
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl ratelimit authtoken s3api s3token keystoneauth copy container-quotas account-quotas slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = $KS_URL
auth_type = password
$svc_auth
delay_auth_decision = True
memcached_servers = $HOST:$MC_PORT

[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member

[filter:s3api]
use = egg:swift#s3api
location = us-east-1

[filter:s3token]
use = egg:swift#s3token
reseller_prefix = AUTH_
auth_uri = $KS_URL/v3
http_timeout = 10.0
# Debian's security-patched Keystone lets only admin/service users call
# /v3/s3tokens, so s3token logs in itself; that also enables the secret cache
auth_type = password
$svc_auth
secret_cache_duration = 300

[filter:cache]
use = egg:swift#memcache
memcache_servers = $HOST:$MC_PORT
EOF
    proxy_filters >>"$ETC/proxy-keystone.conf"
}

print_env() {
    "$HERE/swift.sh" env "$SDIR"
    printf 'export %s=%q\n' \
        OS_AUTH_URL "$KS_URL/v3" \
        OS_IDENTITY_API_VERSION 3 \
        OS_AUTH_TYPE password \
        OS_USERNAME tester \
        OS_PASSWORD testing \
        OS_PROJECT_NAME test \
        OS_USER_DOMAIN_NAME Default \
        OS_PROJECT_DOMAIN_NAME Default \
        OS_REGION_NAME RegionOne \
        OS_INTERFACE public \
        KEYSTONE_PROJECT_ID "$PROJECT_ID" \
        KEYSTONE_APP_CRED_ID "$APP_CRED_ID" \
        KEYSTONE_APP_CRED_SECRET "$APP_CRED_SECRET" \
        KEYSTONE_APP_CRED_NAME "$APP_CRED_NAME" \
        KEYSTONE_SWIFT_STORAGE_URL "http://$HOST:$PROXY_PORT/v1/AUTH_$PROJECT_ID" \
        KEYSTONE_S3_ENDPOINT "http://$HOST:$PROXY_PORT" \
        KEYSTONE_S3_ACCESS_KEY "$EC2_ACCESS" \
        KEYSTONE_S3_SECRET_KEY "$EC2_SECRET" \
        KEYSTONE_TOKEN_EXPIRATION "$TOKEN_EXPIRATION"
}

start_proxy() { # deadline
    port_busy "$PROXY_PORT" && ! pid_alive proxy-keystone &&
        die "port $PROXY_PORT of the Keystone proxy is taken by another process"
    spawn proxy-keystone "$PY" /usr/bin/swift-proxy-server "$(sig_of proxy-keystone)" -v
    wait_http "http://$HOST:$PROXY_PORT/healthcheck" "$1" proxy-keystone || {
        tail -n 30 "$LOGDIR/proxy-keystone.log" >&2 || true
        die "the Keystone proxy did not come up"
    }
}

cmd_start() {
    local t0 out
    t0="$(date +%s%N)"
    [[ -x /usr/bin/keystone-wsgi-public && -x /usr/bin/keystone-manage ]] ||
        die "python3-keystone not installed (run tests/services/install-deps.sh as root)"
    "$PY" -c 'import keystonemiddleware' 2>/dev/null ||
        die "python3-keystonemiddleware not installed (run tests/services/install-deps.sh as root)"

    # swift.sh first (idempotent); it may pick SWIFT_DIR itself.
    out="$("$HERE/swift.sh" start ${SDIR:+"$SDIR"})" || die "swift.sh start failed"
    set_dirs "$(
        eval "$out"
        printf '%s' "${SWIFT_DIR:-}"
    )"
    [[ -n "$SDIR" && -f "$SDIR/state.env" ]] || die "could not learn SWIFT_DIR from swift.sh"
    mkdir -p "$ETC" "$RUN" "$LOGDIR"

    exec 9>>"$LOCK"
    flock -w 300 9 || die "timed out waiting for $LOCK"
    load_state
    if [[ -n "$KS_PORT" && -n "$PROJECT_ID" ]] && pid_alive keystone && pid_alive proxy-keystone; then
        log "already running in $KDIR"
        print_env
        return
    fi

    # Ports: keep those of running processes, else reuse the saved ones if free,
    # else pick new ones.
    local ports
    if [[ -z "$KS_PORT" || -z "$PROXY_PORT" ]] ||
        { ! pid_alive keystone && port_busy "$KS_PORT"; } ||
        { ! pid_alive proxy-keystone && port_busy "$PROXY_PORT"; }; then
        if pid_alive keystone || pid_alive proxy-keystone; then
            die "a port of $KDIR is taken by another process; run '$0 stop' first"
        fi
        read -r -a ports <<<"$(free_ports 2)"
        KS_PORT="${ports[0]}" PROXY_PORT="${ports[1]}"
        KS_URL="http://$HOST:$KS_PORT"
    fi
    if ! pid_alive keystone; then
        TOKEN_EXPIRATION="${KEYSTONE_TOKEN_EXPIRATION:-${TOKEN_EXPIRATION:-3600}}"
    fi
    TOKEN_EXPIRATION="${TOKEN_EXPIRATION:-3600}"
    save_state

    write_keystone_conf
    init_db
    local deadline=$(($(date +%s) + START_TIMEOUT))
    # keystone-wsgi-public run as a script = wsgiref test server; the arguments
    # after "--" go to the application (oslo.config), so the config file also
    # shows in /proc/PID/cmdline.
    OS_KEYSTONE_CONFIG_FILES="$ETC/keystone.conf" spawn keystone "$PY" /usr/bin/keystone-wsgi-public \
        --host "$HOST" --port "$KS_PORT" -- --config-file "$ETC/keystone.conf"
    # The proxy needs Keystone only for requests: start it meanwhile (it is
    # checked after provisioning).
    write_proxy_conf
    port_busy "$PROXY_PORT" && ! pid_alive proxy-keystone &&
        die "port $PROXY_PORT of the Keystone proxy is taken by another process"
    spawn proxy-keystone "$PY" /usr/bin/swift-proxy-server "$(sig_of proxy-keystone)" -v
    wait_http "$KS_URL/v3" "$deadline" keystone || {
        tail -n 30 "$LOGDIR/keystone.log" >&2 || true
        die "Keystone did not come up (log: $LOGDIR/keystone.log)"
    }
    # Provisioning costs ~25 requests to the single-threaded server (5-8 s on a
    # busy machine): skip it when this db was provisioned for these ports.
    if [[ "$PROVISIONED" != "$KS_PORT $PROXY_PORT" || -z "$PROJECT_ID" || -z "$APP_CRED_ID" ]]; then
        local ids
        ids="$(provision)" || die "provisioning Keystone failed"
        read -r PROJECT_ID APP_CRED_ID <<<"$ids"
        PROVISIONED="$KS_PORT $PROXY_PORT"
        save_state
    fi
    start_proxy "$deadline"
    flock -u 9
    exec 9>&-

    local ms=$((($(date +%s%N) - t0) / 1000000))
    log "ready in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s: Keystone $KS_URL, proxy $HOST:$PROXY_PORT"
    print_env
}

cmd_status() {
    local s rc=0
    for s in keystone proxy-keystone; do
        if pid_alive "$s"; then
            echo "$s: running (pid $(cat "$RUN/$s.pid"), 127.0.0.1:$(port_of "$s"))"
        else
            echo "$s: stopped"
            rc=3
        fi
    done
    return "$rc"
}

need_state() { # [optional]
    [[ -n "$SDIR" ]] || die "SWIFT_DIR is not set (it is printed by '$0 start'; or pass DIR)"
    set_dirs "$(cd "$SDIR" && pwd -P)"
    [[ -f "$STATE" || -n "${1:-}" ]] || die "$KDIR was not set up by keystone.sh (no state.env)"
    load_state
}

cmd="${1:-}"
case "$cmd" in
    start | stop | status | env)
        [[ $# -le 2 ]] || usage
        set_dirs "${2:-${SWIFT_DIR:-}}"
        ;;
    stop-proxy | start-proxy)
        [[ $# -le 1 ]] || usage
        set_dirs "${SWIFT_DIR:-}"
        ;;
    *) usage ;;
esac
case "$cmd" in
    start) cmd_start ;;
    stop)
        need_state optional
        stop_all proxy-keystone keystone
        ;;
    status)
        need_state
        cmd_status
        ;;
    env)
        need_state
        print_env
        ;;
    stop-proxy)
        need_state
        stop_all proxy-keystone
        ;;
    start-proxy)
        need_state
        start_proxy $(($(date +%s) + START_TIMEOUT))
        log "started proxy-keystone on $HOST:$PROXY_PORT"
        ;;
esac
