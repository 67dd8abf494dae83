#!/usr/bin/env bash
# Make sure this machine can build cairn, installing what is missing when it can.
#
#   contrib/build-deps.sh          (as root on Debian/Ubuntu: installs; otherwise: tells)
#
# Beyond a Rust toolchain (see rust-version in Cargo.toml) the build needs a C compiler,
# pkg-config, the OpenSSL headers, and libclang: sequoia-openpgp's OpenSSL backend
# generates its bindings with bindgen at build time. Sequoia's only backend that needs
# none of these (RustCrypto) is marked by Sequoia as neither production-ready nor
# constant-time, so cairn keeps OpenSSL and installs its build tools instead
# (docs/OPERATIONS.md, "Building").
#
# Prints what it installs on stderr; prints nothing and exits 0 when nothing is missing.
set -euo pipefail

have_header() {
    # The headers are found through pkg-config when it is there, at the usual place
    # otherwise (the check must work before pkg-config is installed).
    if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openssl 2>/dev/null; then
        return 0
    fi
    [ -e /usr/include/openssl/ssl.h ]
}

have_libclang() {
    [ -n "${LIBCLANG_PATH:-}" ] && return 0
    compgen -G '/usr/lib/llvm-*/lib/libclang*.so*' >/dev/null ||
        compgen -G '/usr/lib/*/libclang*.so*' >/dev/null ||
        compgen -G '/usr/lib64/libclang*.so*' >/dev/null
}

missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
have_header || missing+=(libssl-dev)
have_libclang || missing+=(libclang-dev)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

why="cairn's build needs a C compiler, pkg-config, the OpenSSL headers and libclang (for bindgen)"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "build-deps: $why; missing Debian/Ubuntu packages: ${missing[*]}" >&2
    echo "build-deps: install them (e.g. sudo apt-get install ${missing[*]}) and run this again" >&2
    exit 1
fi

echo "build-deps: $why; installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
opts=(-o DPkg::Lock::Timeout=300 -o APT::Get::Assume-Yes=true -q)
apt-get "${opts[@]}" update >&2
apt-get "${opts[@]}" install --no-install-recommends "${missing[@]}" >&2
echo "build-deps: installed ${missing[*]}" >&2
