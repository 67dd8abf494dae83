# cairn in a container: a small Debian 12 (bookworm) image with the cairn binary, the
# PostgreSQL and MariaDB dump clients, no gpg, running as uid 10001.
#
#   docker build -t cairn .            # or: podman build -t cairn .
#
# Stages:
#   build         compiles cairn (`cargo build --release --locked`) on a Rust image
#   runtime-base  Debian bookworm-slim + ca-certificates, libssl3, tzdata,
#                 postgresql-client, mariadb-client; user cairn (10001); no cairn yet
#   prebuilt      runtime-base + a cairn binary taken from the build context
#                 (`--target prebuilt`, context = a directory holding `cairn`); the
#                 tests build the image this way from the binary they already have
#   runtime       runtime-base + the binary of the build stage (the default target)
#
# Build arguments (the base images can be local ones when no image registry is
# reachable: tests/services/image.sh makes one with mmdebstrap):
#   BUILD_IMAGE     a Debian 12 image with Rust >= the crate's rust-version
#   RUNTIME_IMAGE   a Debian 12 image (bookworm-slim or a locally made rootfs)
#   EXTRA_PACKAGES  more Debian packages for the runtime, space-separated
#
# Secrets are never part of the image: the key and its passphrase are files mounted at
# run time (see README, "Container"). A runtime stage whose base already has every
# package installs nothing and needs no network.

ARG BUILD_IMAGE=docker.io/library/rust:1-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BUILD_IMAGE} AS build
# bindgen (under openssl-sys) needs libclang; the crate links OpenSSL.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        clang libclang-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The release profile keeps line tables (175 MB); the image keeps symbols only (30 MB).
RUN CARGO_PROFILE_RELEASE_STRIP=debuginfo cargo build --release --locked \
    && install -D -m 0755 target/release/cairn /out/cairn

FROM ${RUNTIME_IMAGE} AS runtime-base
ARG EXTRA_PACKAGES=""
RUN set -eu; \
    want="ca-certificates libssl3 tzdata postgresql-client mariadb-client ${EXTRA_PACKAGES}"; \
    missing=""; \
    for p in $want; do \
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' ok installed$' \
            || missing="$missing $p"; \
    done; \
    if [ -n "$missing" ]; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; \
        apt-get clean; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    for b in gpg gpg2 gpg-agent gpgsm; do \
        if command -v "$b" >/dev/null; then echo "$b must not be in the image" >&2; exit 1; fi; \
    done; \
    groupadd --gid 10001 cairn; \
    useradd --uid 10001 --gid 10001 --home-dir /home/cairn --create-home \
        --shell /usr/sbin/nologin cairn; \
    install -d -o 10001 -g 10001 -m 0700 /cache
# The cache (file metadata and the index of the repository) belongs on a volume that
# outlives the container: without it every run starts cold.
ENV CAIRN_CACHE_DIR=/cache \
    HOME=/home/cairn
VOLUME ["/cache"]
WORKDIR /home/cairn
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/cairn"]
CMD ["--help"]

FROM runtime-base AS prebuilt
COPY cairn /usr/local/bin/cairn

FROM runtime-base AS runtime
COPY --from=build /out/cairn /usr/local/bin/cairn
