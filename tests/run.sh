#!/usr/bin/env bash
# Installs what the test suite needs (Debian packages; root) and runs every check and
# test: formatting, clippy, unit and integration tests (real gpg, zstd, PostgreSQL, MariaDB,
# OpenStack Swift with TempAuth and S3, Keystone v3, all on loopback in a temporary
# directory; the container image built from a Debian base made by mmdebstrap and run
# with podman, tests/container.rs), the benches in test mode, and the README demo.
#
#   tests/run.sh
#
# Set CARGO_TARGET_DIR to reuse a build directory between runs (CI does, outside the
# clone); a cold run works the same, only slower.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then
    tests/services/install-deps.sh
else
    echo "not root: assuming the packages of tests/services/install-deps.sh are installed" >&2
fi

if [ "${CI:-}" = "true" ] && [ -z "${CARGO_TARGET_DIR:-}" ]; then
    export CARGO_TARGET_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/cairn-ci-target"
fi
target="${CARGO_TARGET_DIR:-target}"

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy -D warnings" >&2
cargo clippy --all-targets --locked -- -D warnings
echo "== layering: backend/ and source/ know nothing of repo/ or crypto/" >&2
if grep -rnE 'crate::(repo|crypto)' src/backend src/source; then
    echo "layering violation (see above)" >&2
    exit 1
fi
echo "== object stores: Swift (TempAuth + s3api) and Keystone on loopback" >&2
# Started once here rather than by the first test that needs them; the tests find
# them through SWIFT_DIR (and start them themselves when run without this script).
SWIFT_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cairn-stores.XXXXXX")"
export SWIFT_DIR
trap 'tests/services/swift.sh destroy "$SWIFT_DIR" >/dev/null 2>&1 || true; rmdir "$SWIFT_DIR" 2>/dev/null || true' EXIT
# Keystone's first start takes a minute or two; it overlaps with building the tests.
tests/services/keystone.sh start "$SWIFT_DIR" >/dev/null &
stores=$!
cargo test --all-targets --locked --no-run
# The test build made the binary too (with the test build's feature set, so no second
# build of every dependency just for the demo).
echo "== demo" >&2
CAIRN_BIN="$target/debug/cairn" tests/demo.sh
if ! wait "$stores"; then
    echo "starting Swift/Keystone failed (logs under $SWIFT_DIR)" >&2
    exit 1
fi
echo "== cargo test" >&2
cargo test --all-targets --locked
