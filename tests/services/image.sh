#!/usr/bin/env bash
# Build and run cairn's container image for the tests, without any image registry.
#
# Usage (as root, Debian 12 or similar):
#   eval "$(tests/services/image.sh build DIR CAIRN_BINARY)"
#   tests/services/image.sh podman DIR run --rm "$CAIRN_TEST_IMAGE" --version
#   tests/services/image.sh destroy DIR
#
# build DIR BINARY  Makes a Debian bookworm root filesystem with mmdebstrap (minbase
#                   plus the packages of the Dockerfile's runtime stage), imports it
#                   with `podman import` as the base image, and builds the Dockerfile's
#                   `prebuilt` target on it from BINARY (the cairn the test build made:
#                   cairn is not compiled a second time inside a container). Images and
#                   containers live in DIR only, never in the machine's own podman
#                   storage. Prints `export CAIRN_TEST_IMAGE=…` on stdout.
# podman DIR ARGS…  Runs podman on DIR's storage with the settings this machine kind
#                   needs (below).
# destroy DIR       Removes DIR's containers, images and storage.
#
# The root filesystem is cached as a tarball, keyed on everything that goes into it and
# rebuilt when older than a week (security updates); a cold build downloads about
# 50 MB of packages from the Debian mirror the machine's apt uses, which takes a minute
# or so. The build itself needs no network.
#
# Settings for sandboxes like the one the project's CI runs in (a VM whose cgroup v1
# controllers sit beside a cgroup v2 hierarchy with hugetlb enabled, and whose root
# lacks CAP_SYS_RESOURCE):
#   - runc, not crun: crun refuses such hybrid hierarchies ("cgroups in hybrid mode
#     not supported"), even with --cgroups=disabled.
#   - ulimits no higher than the caller's hard limits: podman asks for nofile 1048576
#     by default, which only CAP_SYS_RESOURCE may grant ("setrlimit `RLIMIT_NOFILE`:
#     Operation not permitted").
#   - builds with `--network=none`: the base has every package, so RUN steps need no
#     network.
#
# Environment (optional):
#   CAIRN_IMAGE_CACHE     where the base tarball is kept (default:
#                         ${XDG_CACHE_HOME:-$HOME/.cache}/cairn-image)
#   CAIRN_IMAGE_MIRROR    a Debian mirror URL to use instead of the ones apt uses
#   CAIRN_IMAGE_STORAGE_DRIVER  podman storage driver (default overlay; vfs works
#                         everywhere, slower)
#   CAIRN_IMAGE_RUNTIME   OCI runtime (default runc)
#
# Progress messages go to stderr; stdout carries only the export line.
set -euo pipefail

SUITE=bookworm
# The Dockerfile's runtime-base stage installs the same list when its base lacks them.
PACKAGES=(ca-certificates libssl3 tzdata postgresql-client mariadb-client)
IMAGE=localhost/cairn:test
BASE_IMAGE=localhost/cairn-base:test
MAX_AGE_DAYS=7
# Bumped when the way the root filesystem is made changes.
RECIPE=1

log() { printf 'image.sh: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

usage() {
    echo "usage: $0 build DIR BINARY | podman DIR ARGS... | destroy DIR" >&2
    exit 2
}

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd; }

need_tools() {
    local missing=() t
    for t in podman runc mmdebstrap; do
        command -v "$t" >/dev/null || missing+=("$t")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    [[ "$(id -u)" -eq 0 ]] || die "missing ${missing[*]}: run tests/services/install-deps.sh as root"
    log "installing ${missing[*]}"
    "$(repo_root)/tests/services/install-deps.sh" >&2
}

# The Debian sources (main) of SUITE, SUITE-updates and SUITE-security that the
# machine's apt uses, one `deb URL SUITE main` line each; none if apt knows no SUITE.
apt_sources() {
    apt-cache policy 2>/dev/null | awk -v suite="$SUITE" '
        $1 ~ /^-?[0-9]+$/ && $2 ~ /:\/\// && $NF == "Packages" {
            url = $2; split($3, a, "/"); s = a[1]; c = a[2]; next
        }
        $1 == "release" && url != "" {
            if ($0 ~ /o=Debian,/ && c == "main" &&
                (s == suite || s == suite "-updates" || s == suite "-security"))
                print "deb " url " " s " main"
            url = ""
        }' | sort -u
}

# DIR's podman configuration: storage under DIR, runc, ulimits the caller can grant.
write_config() {
    local dir="$1" nofile nproc
    nofile="$(ulimit -Hn)"
    [[ "$nofile" == unlimited || "$nofile" -gt 65536 ]] && nofile=65536
    nproc="$(ulimit -Hu)"
    [[ "$nproc" == unlimited || "$nproc" -gt 4096 ]] && nproc=4096
    mkdir -p "$dir/storage" "$dir/run"
    cat >"$dir/storage.conf" <<EOF
[storage]
driver = "${CAIRN_IMAGE_STORAGE_DRIVER:-overlay}"
graphroot = "$dir/storage"
runroot = "$dir/run"
EOF
    cat >"$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "${CAIRN_IMAGE_RUNTIME:-runc}"
events_logger = "none"
EOF
}

pod() {
    local dir="$1"
    shift
    [[ -f "$dir/containers.conf" ]] || die "$dir: no image storage here (run build first)"
    CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf" \
        podman "$@"
}

# Prints the path of the cached base tarball, making it first when needed.
base_tarball() {
    local cache="${CAIRN_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cairn-image}"
    local -a sources opts
    if [[ -n "${CAIRN_IMAGE_MIRROR:-}" ]]; then
        sources=("$CAIRN_IMAGE_MIRROR")
    else
        mapfile -t sources < <(apt_sources)
        # Not a bookworm machine: mmdebstrap's default (deb.debian.org, with updates
        # and security for a stable release).
        [[ ${#sources[@]} -gt 0 ]] || sources=(http://deb.debian.org/debian)
    fi
    opts=(
        --variant=minbase
        --format=tar
        "--include=$(
            IFS=,
            echo "${PACKAGES[*]}"
        )"
        # Smaller and faster to import: no documentation (licences kept) or man pages.
        --dpkgopt='path-exclude=/usr/share/doc/*'
        --dpkgopt='path-include=/usr/share/doc/*/copyright'
        --dpkgopt='path-exclude=/usr/share/man/*'
        --dpkgopt='path-exclude=/usr/share/info/*'
    )
    local key tar
    key="$(printf '%s\n' "$RECIPE" "$SUITE" "$(uname -m)" "${opts[@]}" "${sources[@]}" \
        | sha256sum | cut -c1-16)"
    tar="$cache/base-$SUITE-$key.tar"
    mkdir -p "$cache"
    if [[ -f "$tar" ]] && [[ -z "$(find "$tar" -mtime +"$((MAX_AGE_DAYS - 1))")" ]]; then
        log "base root filesystem: cached $tar"
        printf '%s\n' "$tar"
        return
    fi
    log "base root filesystem: mmdebstrap $SUITE from ${sources[*]} (about a minute)"
    local part="$tar.part.$$"
    if ! mmdebstrap --quiet "${opts[@]}" "$SUITE" "$part" "${sources[@]}" >&2; then
        rm -f "$part"
        die "mmdebstrap failed"
    fi
    mv -f "$part" "$tar"
    # Older tarballs (another recipe, or a week old) go.
    find "$cache" -maxdepth 1 -name "base-*.tar" ! -path "$tar" -delete
    printf '%s\n' "$tar"
}

cmd_build() {
    local dir="$1" bin="$2" tar started
    [[ -x "$bin" ]] || die "$bin: not an executable"
    [[ "$(id -u)" -eq 0 ]] || die "the image is built and run with rootful podman: run as root"
    need_tools
    started=$SECONDS
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    write_config "$dir"
    tar="$(base_tarball)"
    log "importing the base image"
    pod "$dir" import --quiet "$tar" "$BASE_IMAGE" >/dev/null
    rm -rf "$dir/context"
    mkdir -p "$dir/context"
    cp "$bin" "$dir/context/cairn"
    chmod 0755 "$dir/context/cairn"
    log "building $IMAGE (Dockerfile, target prebuilt)"
    pod "$dir" build --quiet --pull=never --network=none --isolation=oci \
        --target=prebuilt --build-arg "RUNTIME_IMAGE=$BASE_IMAGE" \
        -f "$(repo_root)/Dockerfile" -t "$IMAGE" "$dir/context" >/dev/null
    rm -rf "$dir/context"
    log "image ready in $((SECONDS - started)) s"
    printf 'export CAIRN_TEST_IMAGE=%s\n' "$IMAGE"
}

cmd_destroy() {
    local dir="$1" m
    [[ -f "$dir/containers.conf" ]] || return 0
    dir="$(cd "$dir" && pwd)"
    pod "$dir" rm --all --force >/dev/null 2>&1 || true
    pod "$dir" rmi --all --force >/dev/null 2>&1 || true
    # Whatever the storage driver still has mounted under DIR (a killed run).
    while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
    rm -rf "$dir/storage" "$dir/run" "$dir/context" "$dir/containers.conf" "$dir/storage.conf"
}

[[ $# -ge 2 ]] || usage
cmd="$1"
dir="$2"
shift 2
case "$cmd" in
    build)
        [[ $# -eq 1 ]] || usage
        cmd_build "$dir" "$1"
        ;;
    podman) pod "$dir" "$@" ;;
    destroy) cmd_destroy "$dir" ;;
    *) usage ;;
esac
