#!/usr/bin/env bash
# The README's first command: build cairn, then back up and restore a directory in a
# fresh local repository with a freshly generated key, all in a temporary directory.
#
#   tests/demo.sh [DIRECTORY_TO_BACK_UP]     (default: this source tree)
set -euo pipefail
cd "$(dirname "$0")/.."
src="$(realpath "${1:-src}")"
if [ -z "${CAIRN_BIN:-}" ]; then
    # On a bare machine with only a Rust toolchain this installs (as root) or names the
    # few Debian packages the build needs.
    contrib/build-deps.sh
    cargo build --release --locked
    CAIRN_BIN="${CARGO_TARGET_DIR:-target}/release/cairn"
fi
cairn="$(realpath "$CAIRN_BIN")"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export CAIRN_REPO="$work/repo" CAIRN_KEY="$work/demo.key" CAIRN_CACHE_DIR="$work/cache"
unset CAIRN_PASSPHRASE CAIRN_PASSPHRASE_FILE

run() { echo "\$ cairn $*"; "$cairn" "$@"; }

echo "(a throwaway key without a passphrase: cairn warns about that, as it should)"
run key generate --out "$CAIRN_KEY" </dev/null
run init
run backup "$src" --tag demo
echo "(a second run reads nothing that did not change)"
run backup "$src" --tag demo
run snapshots
run restore latest --target "$work/restored"
run check --read-data
if diff -r "$src" "$work/restored$src" >/dev/null; then
    echo "demo: restored tree is identical to $src"
else
    echo "demo: restored tree differs from $src" >&2
    exit 1
fi
