#!/usr/bin/env bash
# Install the Debian packages that cairn's test suite needs.
#
# Usage (as root, Debian 12 or similar):
#   tests/services/install-deps.sh [EXTRA_PACKAGE...]
#
# Idempotent and non-interactive: each package is checked with dpkg-query; if
# everything is already installed the script does nothing (no apt-get update)
# and finishes in well under a second. Otherwise it runs `apt-get update` and
# installs only the missing packages (once more after a second `apt-get update`
# if that fails). The last line on stdout is a one-line summary.
#
# The Swift and Keystone packages (for swift.sh and keystone.sh) are about 140
# packages on a bare Debian 12; expect 1-3 minutes. podman, runc and mmdebstrap (for
# image.sh) add about 30 more, without their recommended packages.
set -euo pipefail

PACKAGES=(
    # OpenPGP interoperability tests (gpg, gpg-agent, gpgconf)
    gnupg
    # PostgreSQL server (initdb, pg_ctl, postgres, pgbench) and client
    # (psql, createdb, pg_dump, pg_restore, pg_isready)
    postgresql
    postgresql-client
    # MariaDB server (mariadb-install-db, mariadbd) and client (mariadb,
    # mariadb-dump, mariadb-admin) for mariadb.sh; the package's own service is
    # stopped and disabled below, the tests start their own servers
    mariadb-server
    mariadb-client
    # zstd CLI for cross-checking compressed data
    zstd
    # building the Rust crate: C toolchain for -sys crates, OpenSSL headers
    gcc
    libc6-dev
    make
    pkg-config
    libssl-dev
    # openssl-sys (under sequoia-openpgp) generates bindings with bindgen
    clang
    libclang-dev
    # helper scripts (free-port lookup in postgres.sh) and HTTPS trust store
    python3
    ca-certificates
    # process tools used by tests and scripts: ps/pgrep/pkill, fuser/killall,
    # runuser/flock/setsid
    procps
    psmisc
    util-linux
    # setfacl: postgres.sh grants the postgres user search permission on
    # private (0700) parent directories of the test's DIR
    acl
    # swift.sh: OpenStack Swift all-in-one (proxy with tempauth + s3api,
    # account/container/object servers), its own memcached (tempauth keeps
    # tokens there), curl for health checks, swiftclient for debugging
    swift
    swift-proxy
    swift-account
    swift-container
    swift-object
    python3-swiftclient
    memcached
    curl
    # keystone.sh: Keystone v3 served by keystone-wsgi-public (python3-keystone,
    # not `keystone`, which pulls in dbconfig-common and debconf questions) and
    # the authtoken middleware for the Keystone-backed Swift proxy
    python3-keystone
    python3-keystonemiddleware
    # tests/packaging.rs: `systemd-analyze verify` on contrib/systemd's units (and
    # man, for their Documentation= pages), the YAML parser for contrib/kubernetes
    # and contrib/docker-compose.yml, and the shells that parse contrib/completions
    # (bash is always there)
    systemd
    man-db
    python3-yaml
    zsh
    fish
    # image.sh / tests/container.rs: the container image built without an image
    # registry (a Debian base made by mmdebstrap, imported and built by podman) and
    # run with runc (crun refuses this machine kind's hybrid cgroup hierarchy)
    podman
    runc
    mmdebstrap
)
PACKAGES+=("$@")

if [[ "$(id -u)" -ne 0 ]]; then
    echo "install-deps.sh: must be run as root (try: sudo $0)" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
    echo "install-deps.sh: apt-get/dpkg-query not found; this script supports Debian-based systems only" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive

is_installed() {
    local status
    status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" || return 1
    [[ "$status" == "install ok installed" ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all ${#PACKAGES[@]} packages already installed, nothing to do"
    exit 0
fi

echo "install-deps: missing: ${missing[*]}" >&2

# Wait for a concurrent apt/dpkg (e.g. unattended-upgrades) instead of failing.
APT_OPTS=(-o DPkg::Lock::Timeout=300 -o APT::Get::Assume-Yes=true)

apt_install() {
    apt-get "${APT_OPTS[@]}" -q install --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" >&2
}

apt-get "${APT_OPTS[@]}" -q update >&2
# A mirror that changed between `update` and `install` (404 on a .deb) or a
# transient network error: refresh the lists once more and retry.
if ! apt_install; then
    echo "install-deps: apt-get install failed; running apt-get update and retrying" >&2
    apt-get "${APT_OPTS[@]}" -q update >&2 || true
    apt_install || true
fi

still_missing=()
for pkg in "${missing[@]}"; do
    is_installed "$pkg" || still_missing+=("$pkg")
done
if [[ ${#still_missing[@]} -ne 0 ]]; then
    echo "install-deps: failed to install: ${still_missing[*]}" >&2
    exit 1
fi

# mariadb-server starts the system's MariaDB where services can start (port 3306,
# /run/mysqld); the tests need none of it, so it must not hold resources.
if [[ " ${missing[*]} " == *" mariadb-server "* ]]; then
    if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
        systemctl disable --now mariadb >&2 2>/dev/null || true
    else
        service mariadb stop >&2 2>/dev/null || true
        update-rc.d mariadb disable >&2 2>/dev/null || true
    fi
fi

echo "install-deps: installed ${#missing[@]} package(s): ${missing[*]} (${#PACKAGES[@]} checked)"
