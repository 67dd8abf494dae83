#!/usr/bin/env bash
# Whole-run comparison of cairn, restic and borg on this machine.
#
#   benches/compare.sh [--tools cairn,restic,borg] [--data DIR] [--work DIR]
#                      [--out FILE] [--install-deps]
#
#   --tools LIST  comma-separated subset of cairn,restic,borg (default: all)
#   --repeat N    run every tool N times, interleaved (each round starting with
#                 the next tool), and report each phase's
#                 fastest run (default 1); single runs on a shared 2-core machine
#                 vary by up to 3x, mostly in file-system work
#   --data DIR    dataset cache, built by benches/make-datasets.sh when
#                 missing (default: ${TMPDIR:-/tmp}/cairn-bench/data)
#   --work DIR    repositories, caches, restores and logs
#                 (default: ${TMPDIR:-/tmp}/cairn-bench/work)
#   --out FILE    also write the markdown report to FILE
#   --store KIND  where the repositories live: file (default), swift or s3.
#                 swift and s3 use the Swift all-in-one of tests/services/swift.sh
#                 on loopback (TempAuth; s3api for S3), started under WORK unless
#                 ST_AUTH / AWS_ENDPOINT_URL already point at one; borg has
#                 neither, so only cairn and restic run there
#   --phases LIST comma-separated subset of the phases below (default: all),
#                 e.g. tree-initial,tree-rerun,restore-tree
#   --fresh-fs    restore into a new ext4 file system each time (an image
#                 under WORK, loop-mounted; needs root and mkfs.ext4): the
#                 state of a restore onto a clean disk. Without it, restores
#                 go to WORK, where each create/delete cycle of 70k files
#                 leaves ext4 slower for the next restore (of any tool)
#   --install-deps  apt-get install whatever of restic, borgbackup, time and
#                 postgresql is missing (needs root; Debian/Ubuntu)
#
# Environment:
#   CAIRN_BIN        cairn binary (default: target/release/cairn in the
#                    repository; built with `cargo build --release` if missing)
#   BORG_ENCRYPTION  borg init mode (default: repokey when the CPU has SHA
#                    extensions, else repokey-blake2)
#
# Every tool encrypts and writes to a repository in a local directory. For
# each tool, in this order, the script measures wall time and peak RSS
# (GNU time: %e %M) of:
#   dump-day1     backup of the day-1 pgbench dump, read from stdin
#   dump-day2     backup of the day-2 dump (1% of rows changed, spread out)
#   dump-day3     backup of the day-3 dump (another 1%, one contiguous block)
#   restore-dump  restore of the latest snapshot (the day-3 dump)
#   tree-initial  first backup of the ~1 GiB / ~70k file tree
#   tree-rerun    backup of the unchanged tree again
#   restore-tree  restore of the latest snapshot (the tree)
# Restores go into empty directories and are compared with the source
# afterwards (untimed). Nothing is dropped from the page cache; the datasets
# are read once before the measurements so that every tool starts warm.
# The repository of a tool is deleted before the next tool starts.
#
# Passphrases are kept in a file in the work directory and handed to the
# tools through RESTIC_PASSWORD_FILE, BORG_PASSCOMMAND and
# CAIRN_PASSPHRASE_FILE.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd -P)
BASE=${TMPDIR:-/tmp}/cairn-bench

TOOLS=cairn,restic,borg
FRESH_FS=0
REPEAT=1
DATA=$BASE/data
WORK=$BASE/work
OUT=""
INSTALL_DEPS=0
STORE=file
PHASES_ARG=""


log() { printf '[compare] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; }

while [[ $# -gt 0 ]]; do
    case $1 in
        --tools) TOOLS=${2:?--tools needs a value}; shift 2 ;;
        --tools=*) TOOLS=${1#*=}; shift ;;
        --data) DATA=${2:?--data needs a value}; shift 2 ;;
        --data=*) DATA=${1#*=}; shift ;;
        --work) WORK=${2:?--work needs a value}; shift 2 ;;
        --work=*) WORK=${1#*=}; shift ;;
        --repeat) REPEAT=${2:?--repeat needs a value}; shift 2 ;;
        --out) OUT=${2:?--out needs a value}; shift 2 ;;
        --out=*) OUT=${1#*=}; shift ;;
        --install-deps) INSTALL_DEPS=1; shift ;;
        --store) STORE=${2:?--store needs a value}; shift 2 ;;
        --phases) PHASES_ARG=${2:?--phases needs a value}; shift 2 ;;
        --fresh-fs) FRESH_FS=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

IFS=, read -r -a TOOL_LIST <<< "$TOOLS"
case $STORE in
    file|swift|s3) ;;
    *) die "unknown store '$STORE' (expected file, swift or s3)" ;;
esac
for t in "${TOOL_LIST[@]}"; do
    case $t in
        borg) [[ $STORE == file ]] || die "borg has no $STORE backend (use --tools cairn,restic)" ;;
        cairn|restic) ;;
        *) die "unknown tool '$t' (expected cairn, restic or borg)" ;;
    esac
done

# Keep settings from the caller's environment from leaking into the runs.
unset CAIRN_REPO CAIRN_KEY RESTIC_REPOSITORY RESTIC_REPOSITORY_FILE \
      CAIRN_PASSPHRASE RESTIC_PASSWORD RESTIC_PASSWORD_COMMAND BORG_REPO BORG_PASSPHRASE \
      BORG_PASSPHRASE_FD BORG_NEW_PASSPHRASE

if [[ $INSTALL_DEPS -eq 1 ]]; then
    pkgs=()
    [[ -x /usr/bin/time ]] || pkgs+=(time)
    command -v restic >/dev/null || pkgs+=(restic)
    command -v borg >/dev/null || pkgs+=(borgbackup)
    compgen -G '/usr/lib/postgresql/*/bin/pgbench' >/dev/null || pkgs+=(postgresql)
    if [[ ${#pkgs[@]} -gt 0 ]]; then
        log "installing ${pkgs[*]}"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}"
    fi
fi

[[ -x /usr/bin/time ]] || die "/usr/bin/time missing (apt-get install time)"
for t in "${TOOL_LIST[@]}"; do
    case $t in
        restic) command -v restic >/dev/null || die "restic missing (apt-get install restic)" ;;
        borg) command -v borg >/dev/null || die "borg missing (apt-get install borgbackup)" ;;
    esac
done

NOTES=()

# cairn binary: build it when the default path is missing.
CAIRN_OK=1
if [[ ",$TOOLS," == *,cairn,* ]]; then
    if [[ -z ${CAIRN_BIN:-} ]]; then
        CAIRN_BIN=$ROOT/target/release/cairn
        if [[ ! -x $CAIRN_BIN ]]; then
            log "building cairn (cargo build --release)"
            if ! (cd "$ROOT" && cargo build --release); then
                CAIRN_OK=0
                NOTES+=("cairn: \`cargo build --release\` failed, cairn was not measured.")
            fi
        fi
    fi
    if [[ $CAIRN_OK -eq 1 && ! -x $CAIRN_BIN ]]; then
        CAIRN_OK=0
        NOTES+=("cairn: binary $CAIRN_BIN not found, cairn was not measured.")
    fi
fi

# ---------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------

"$SCRIPT_DIR/make-datasets.sh" "$DATA"
DATA=$(cd "$DATA" && pwd -P)
DUMP1=$DATA/pgbench-day1.dump
DUMP2=$DATA/pgbench-day2.dump
DUMP3=$DATA/pgbench-day3.dump
TREE=$DATA/tree
DUMP1_BYTES=$(stat -c %s "$DUMP1")
DUMP2_BYTES=$(stat -c %s "$DUMP2")
DUMP3_BYTES=$(stat -c %s "$DUMP3")
# info_value FILE KEY: value of KEY=VALUE in a whitespace-separated file.
info_value() {
    awk -v k="$2" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1)
                         print substr($i, length(k) + 2) }' "$1"
}
TREE_BYTES=$(info_value "$DATA/tree.info" bytes)
TREE_FILES=$(info_value "$DATA/tree.info" files)
PG_SCALE=$(info_value "$DATA/pgbench.info" scale)
# A file inside the tree, used to find where a tool put the restored tree.
TREE_PROBE=$(cd "$TREE" && find . -type f -printf '%P\n' | LC_ALL=C sort | awk 'NR == 1')

if [[ $FRESH_FS -eq 1 ]]; then
    [[ $(id -u) -eq 0 ]] || die "--fresh-fs needs root (it mounts a file system image)"
    command -v mkfs.ext4 > /dev/null || die "--fresh-fs needs mkfs.ext4 (Debian package e2fsprogs)"
fi

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd -P)
LOGS=$WORK/logs
RESULTS=$WORK/results.tsv
PASSFILE=$WORK/passphrase
rm -rf "$LOGS"
mkdir -p "$LOGS"
: > "$RESULTS"
if [[ ! -s $PASSFILE ]]; then
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' > "$PASSFILE")
fi
chmod 600 "$PASSFILE"

if [[ ($STORE == swift && -z ${ST_AUTH:-}) || ($STORE == s3 && -z ${AWS_ENDPOINT_URL:-}) ]]; then
    log "starting Swift (TempAuth + s3api) on loopback under $WORK/swift"
    mkdir -p "$WORK/swift"
    eval "$("$ROOT/tests/services/swift.sh" start "$WORK/swift")"
fi
STORE_DESC="in a local directory"
case $STORE in
    swift) STORE_DESC="in OpenStack Swift on 127.0.0.1 (TempAuth, Debian's swift $(dpkg-query -W -f '${Version}' swift-proxy 2>/dev/null || echo '?'), one replica)" ;;
    s3) STORE_DESC="in S3 (Swift's s3api on 127.0.0.1, $AWS_ENDPOINT_URL)" ;;
esac

log "warming the page cache with the datasets"
cat "$DUMP1" "$DUMP2" "$DUMP3" > /dev/null
find "$TREE" -type f -print0 | xargs -0 cat > /dev/null

# ---------------------------------------------------------------------------
# Measurement helpers
# ---------------------------------------------------------------------------

REPO=""

# The repository's location as each tool names it, for the store being measured.
REPO_URL=""
set_repo() {
    local tool=$1 name
    REPO=$WORK/repo-$tool
    REPO_URL=$REPO
    name="bench-$tool-$(date +%s)-$RANDOM"
    case $STORE:$tool in
        swift:cairn) REPO_URL=swift://$name/repo ;;
        swift:restic) REPO_URL=swift:$name:/repo ;;
        s3:cairn) REPO_URL=s3://$name/repo ;;
        s3:restic) REPO_URL=s3:$AWS_ENDPOINT_URL/$name/repo ;;
    esac
}

# Sizes are measured for directories only; an object store's usage is not.
repo_bytes() {
    if [[ -d $REPO ]]; then du -sb "$REPO" | cut -f1; else echo 0; fi
}

# run_phase TOOL PHASE DATASET_BYTES STDIN_FILE CWD COMMAND...
# Appends "tool phase seconds dataset_bytes rss_kib repo_bytes added_bytes
# status" to $RESULTS; returns non-zero when the command fails.
run_phase() {
    local tool=$1 phase=$2 bytes=$3 input=$4 cwd=$5
    shift 5
    local out=$LOGS/$tool-$phase.log tf=$LOGS/$tool-$phase.time
    local before after rc=0 secs kib
    [[ -n $input ]] || input=/dev/null
    before=$(repo_bytes)
    # Flush the previous phase's dirty pages so their writeback is not timed here.
    sync
    log "$tool: $phase"
    (cd "$cwd" && exec /usr/bin/time -f '%e %M' -o "$tf" "$@" < "$input") \
        > "$out" 2>&1 || rc=$?
    after=$(repo_bytes)
    if [[ $rc -ne 0 ]]; then
        log "$tool: $phase failed (exit $rc), last lines of $out:"
        tail -n 15 "$out" >&2 || true
        printf '%s\t%s\t-\t%s\t-\t%s\t-\tFAILED\n' "$tool" "$phase" "$bytes" "$after" >> "$RESULTS"
        return 1
    fi
    read -r secs kib < <(tail -n 1 "$tf")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\tok\n' "$tool" "$phase" "$secs" "$bytes" \
        "$kib" "$after" "$((after - before))" >> "$RESULTS"
}

# Mark the status of the last result row.
set_status() {
    local tmp=$RESULTS.tmp
    awk -F '\t' -v OFS='\t' -v s="$1" 'NR > 1 { print prev } { prev = $0 }
        END { n = split(prev, f, "\t"); f[n] = s; line = f[1];
              for (i = 2; i <= n; i++) line = line OFS f[i]; print line }' \
        "$RESULTS" > "$tmp"
    mv "$tmp" "$RESULTS"
}

# With --fresh-fs, each restore target is the mount point of a new ext4 file system.
FS_IMAGE=$WORK/restore-fs.img
MOUNTED=
mount_fresh_fs() {
    [[ $FRESH_FS -eq 1 ]] || return 0
    truncate -s 4G "$FS_IMAGE"
    mkfs.ext4 -q -F "$FS_IMAGE"
    mount -o loop "$FS_IMAGE" "$1"
    MOUNTED=$1
}
unmount_fresh_fs() {
    [[ -n $MOUNTED ]] || return 0
    umount "$MOUNTED"
    MOUNTED=
    rm -f "$FS_IMAGE"
}
trap 'unmount_fresh_fs' EXIT

skip_rest() {
    local tool=$1 p
    shift
    for p in "$@"; do
        printf '%s\t%s\t-\t-\t-\t-\t-\tskipped\n' "$tool" "$p" >> "$RESULTS"
    done
}

verify_dump() {
    local target=$1 f
    f=$(find "$target" -type f -name app.dump -print -quit)
    if [[ -n $f ]] && cmp -s "$f" "$DUMP3"; then
        set_status ok
    else
        log "restored dump differs from the source or is missing"
        set_status MISMATCH
    fi
}

verify_tree() {
    local target=$1 hit root
    if [[ -f $target/$TREE_PROBE ]]; then
        root=$target
    else
        hit=$(find "$target" -type f -path "*/$TREE_PROBE" -print -quit)
        root=${hit%/"$TREE_PROBE"}
    fi
    if [[ -n $root && -d $root ]] && diff -r -q --no-dereference "$TREE" "$root" > "$LOGS/diff-tree.log" 2>&1; then
        set_status ok
    else
        log "restored tree differs from the source (see $LOGS/diff-tree.log)"
        set_status MISMATCH
    fi
}

PHASES=(dump-day1 dump-day2 dump-day3 restore-dump tree-initial tree-rerun restore-tree)
if [[ -n $PHASES_ARG ]]; then
    IFS=, read -r -a PHASES <<< "$PHASES_ARG"
fi

# run_tool TOOL: runs every phase using the command arrays set up by the
# per-tool functions below.
run_tool() {
    local tool=$1 i=0 phase target
    local -a cmd
    set_repo "$tool"
    rm -rf "$REPO" "$WORK/cache-$tool" "$WORK/restore-$tool"
    mkdir -p "$WORK/cache-$tool"
    if ! "${tool}_init" > "$LOGS/$tool-init.log" 2>&1; then
        log "$tool: init failed:"
        tail -n 15 "$LOGS/$tool-init.log" >&2 || true
        skip_rest "$tool" "${PHASES[@]}"
        return
    fi
    for phase in "${PHASES[@]}"; do
        i=$((i + 1))
        target=$WORK/restore-$tool/$phase
        case $phase in
            dump-day1|dump-day2|dump-day3)
                local n=${phase#dump-day} input bytes
                input=$DATA/pgbench-day$n.dump
                bytes=$(stat -c %s "$input")
                "${tool}_cmd_backup_stdin" "day$n"
                run_phase "$tool" "$phase" "$bytes" "$input" "$DATA" "${cmd[@]}" || break
                ;;
            tree-initial|tree-rerun)
                "${tool}_cmd_backup_tree" "${phase#tree-}"
                run_phase "$tool" "$phase" "$TREE_BYTES" "" "$DATA" "${cmd[@]}" || break
                ;;
            restore-dump|restore-tree)
                mkdir -p "$target"
                mount_fresh_fs "$target"
                "${tool}_cmd_restore" "${phase#restore-}" "$target"
                if [[ $phase == restore-dump ]]; then
                    run_phase "$tool" "$phase" "$DUMP3_BYTES" "" "$target" "${cmd[@]}" || break
                    verify_dump "$target"
                else
                    run_phase "$tool" "$phase" "$TREE_BYTES" "" "$target" "${cmd[@]}" || break
                    verify_tree "$target"
                fi
                unmount_fresh_fs
                rm -rf "$target"
                ;;
        esac
    done
    if [[ $i -lt ${#PHASES[@]} ]]; then
        skip_rest "$tool" "${PHASES[@]:i}"
    fi
    log "$tool: final repository size $(repo_bytes) bytes"
    rm -rf "$REPO" "$WORK/cache-$tool" "$WORK/restore-$tool"
}

# --- cairn -----------------------------------------------------------------
# Restores use `latest`, which is why restore-dump runs before the tree is
# backed up.

cairn_env() {
    export CAIRN_PASSPHRASE_FILE=$PASSFILE
    export CAIRN_CACHE_DIR=$WORK/cache-cairn
}
cairn_init() {
    cairn_env
    rm -f "$WORK/cairn.key"
    "$CAIRN_BIN" key generate --out "$WORK/cairn.key" < /dev/null
    "$CAIRN_BIN" -r "$REPO_URL" -k "$WORK/cairn.key" init < /dev/null
}
cairn_cmd_backup_stdin() {
    cmd=("$CAIRN_BIN" -r "$REPO_URL" -k "$WORK/cairn.key" backup --stdin-name app.dump)
}
cairn_cmd_backup_tree() {
    cmd=("$CAIRN_BIN" -r "$REPO_URL" -k "$WORK/cairn.key" backup tree)
}
cairn_cmd_restore() {
    cmd=("$CAIRN_BIN" -r "$REPO_URL" -k "$WORK/cairn.key" restore latest --target "$2")
}

# --- restic ----------------------------------------------------------------
# Repository format v2 with compression auto (restic's default for v2).

restic_env() {
    export RESTIC_PASSWORD_FILE=$PASSFILE
}
restic_base() {
    cmd=(restic -r "$REPO_URL" --cache-dir "$WORK/cache-restic")
}
restic_init() {
    restic_env
    restic -r "$REPO_URL" --cache-dir "$WORK/cache-restic" init --repository-version 2
}
restic_cmd_backup_stdin() {
    restic_base
    cmd+=(backup --compression auto --host bench --tag dump --stdin --stdin-filename app.dump)
}
restic_cmd_backup_tree() {
    restic_base
    cmd+=(backup --compression auto --host bench --tag tree tree)
}
restic_cmd_restore() {
    restic_base
    cmd+=(restore latest --host bench --tag "$1" --target "$2")
}

# --- borg ------------------------------------------------------------------

borg_env() {
    export BORG_PASSCOMMAND="cat $PASSFILE"
    export BORG_BASE_DIR=$WORK/cache-borg
    export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
    export BORG_DISPLAY_PASSPHRASE=no
}
borg_init() {
    borg_env
    borg init -e "$BORG_ENC" "$REPO"
}
borg_cmd_backup_stdin() {
    cmd=(borg create --compression "$BORG_COMPRESSION" --stdin-name app.dump "$REPO::dump-$1" -)
}
borg_cmd_backup_tree() {
    cmd=(borg create --compression "$BORG_COMPRESSION" "$REPO::tree-$1" tree)
}
borg_cmd_restore() {
    # The latest archive of each kind (whichever phases ran), extracted into the
    # current directory.
    local latest
    latest=$(borg list --short --last 1 --glob-archives "$1-*" "$REPO")
    cmd=(borg extract "$REPO::$latest")
}

BORG_COMPRESSION=zstd,3
if [[ -n ${BORG_ENCRYPTION:-} ]]; then
    BORG_ENC=$BORG_ENCRYPTION
elif grep -qw sha_ni /proc/cpuinfo 2>/dev/null; then
    BORG_ENC=repokey          # AES-CTR + HMAC-SHA256, fast with SHA-NI
else
    BORG_ENC=repokey-blake2   # AES-CTR + BLAKE2b
fi

# ---------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------

VERSIONS=()
for round in $(seq 1 "$REPEAT"); do
[[ $REPEAT -gt 1 ]] && log "round $round of $REPEAT"
# Each round starts with the next tool: restores of 70k files on ext4 slow down with
# every create/delete cycle, which would otherwise always favour the first tool.
k=$(( (round - 1) % ${#TOOL_LIST[@]} ))
ORDER=("${TOOL_LIST[@]:k}" "${TOOL_LIST[@]:0:k}")
for t in "${ORDER[@]}"; do
    case $t in
        cairn)
            if [[ $CAIRN_OK -eq 1 ]]; then
                v=$("$CAIRN_BIN" --version 2>/dev/null | awk 'NR == 1' || true)
                c=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
                VERSIONS+=("cairn: ${v:-cairn} (commit $c, working tree may differ)")
                run_tool cairn
            else
                skip_rest cairn "${PHASES[@]}"
            fi
            ;;
        restic)
            VERSIONS+=("restic: $(restic version | awk 'NR == 1'), repository v2, compression auto")
            run_tool restic
            ;;
        borg)
            VERSIONS+=("borg: $(borg --version), encryption $BORG_ENC, compression $BORG_COMPRESSION")
            run_tool borg
            ;;
    esac
done
done
# Keep one row per tool and phase: the fastest successful run (a failure is kept, so
# it is never hidden); versions are listed once.
if [[ $REPEAT -gt 1 ]]; then
    awk -F '\t' '
        { key = $1 FS $2 }
        !(key in row) { order[++n] = key; row[key] = $0; best[key] = $3; st[key] = $8; next }
        st[key] != "ok" { next }
        $8 != "ok" { row[key] = $0; st[key] = $8; next }
        $3 + 0 < best[key] + 0 { row[key] = $0; best[key] = $3 }
        END { for (i = 1; i <= n; i++) print row[order[i]] }' "$RESULTS" > "$RESULTS.best"
    mv "$RESULTS.best" "$RESULTS"
    mapfile -t VERSIONS < <(printf '%s\n' "${VERSIONS[@]}" | awk '!seen[$0]++')
fi

# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

report() {
    local cpu mem
    cpu=$(awk -F ': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    mem=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
    echo "# cairn vs restic vs borg"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: $(nproc) cores (${cpu:-unknown CPU}), ${mem} GiB RAM, $(uname -sr)"
    for v in "${VERSIONS[@]}"; do echo "- $v"; done
    echo "- Tree: $TREE_FILES files, $(mib "$TREE_BYTES") MiB"
    echo "- Dumps: pgbench scale $PG_SCALE, pg_dump -Fc -Z0: day 1 $(mib "$DUMP1_BYTES") MiB," \
         "day 2 $(mib "$DUMP2_BYTES") MiB (1% of accounts rows updated, aid % 100 = 0)," \
         "day 3 $(mib "$DUMP3_BYTES") MiB (another 1%, one contiguous block of aids)"
    echo "- All repositories encrypted, $STORE_DESC. Dumps are backed up from stdin."
    echo "- Page cache not dropped: the datasets were read once before the runs, so" \
         "reads come from a warm cache; restores write into the page cache too."
    if [[ $FRESH_FS -eq 1 ]]; then
        echo "- Restores go to a new ext4 file system (4 GiB loop-mounted image, mkfs.ext4" \
             "defaults) made before each restore."
    fi
    echo "- seconds = wall time, peak RSS = GNU time %M; MiB/s = dataset bytes / seconds;" \
         "repo = du -sb of the repository after the phase (local caches excluded);" \
         "added = repository growth during the phase. MiB = 2^20 bytes."
    echo "- restore-dump restores the latest snapshot (day 3) and runs before the tree" \
         "backups; restores are checked against the source afterwards (column check)."
    local runs="single run"
    [[ $REPEAT -gt 1 ]] && runs="fastest of $REPEAT interleaved runs"
    echo "- restic and borg use their default parallelism; \`sync\` before each phase; $runs."
    for n in "${NOTES[@]}"; do echo "- $n"; done
    echo
    echo "| tool | phase | seconds | MiB/s | peak RSS MiB | repo MiB | added MiB | check |"
    echo "|---|---|---:|---:|---:|---:|---:|---|"
    awk -F '\t' '
        function m(b) { return (b == "-" || b == "") ? "-" : sprintf("%.1f", b / 1048576) }
        {
            rate = ($3 == "-" || $3 + 0 == 0) ? "-" : sprintf("%.1f", $4 / 1048576 / $3)
            rss = ($5 == "-") ? "-" : sprintf("%.0f", $5 / 1024)
            printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
                $1, $2, $3, rate, rss, m($6), m($7), $8
        }' "$RESULTS"
    echo
    echo "Ratios cairn/restic and cairn/borg (below 1 means cairn is faster / smaller;"
    echo "the added ratio of tree-rerun compares a few KiB of metadata and is mostly noise):"
    echo
    echo "| phase | seconds c/r | seconds c/b | RSS c/r | RSS c/b | repo c/r | repo c/b | added c/r | added c/b |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F '\t' '
        function r(a, b) {
            if (a == "" || b == "" || a == "-" || b == "-" || b + 0 <= 0) return "-"
            return sprintf("%.2f", a / b)
        }
        $8 == "ok" || $8 == "MISMATCH" {
            s[$1, $2] = $3; k[$1, $2] = $5; p[$1, $2] = $6; a[$1, $2] = $7
        }
        !($2 in seen) { seen[$2] = 1; order[++n] = $2 }
        END {
            for (i = 1; i <= n; i++) {
                ph = order[i]
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", ph,
                    r(s["cairn", ph], s["restic", ph]), r(s["cairn", ph], s["borg", ph]),
                    r(k["cairn", ph], k["restic", ph]), r(k["cairn", ph], k["borg", ph]),
                    r(p["cairn", ph], p["restic", ph]), r(p["cairn", ph], p["borg", ph]),
                    r(a["cairn", ph], a["restic", ph]), r(a["cairn", ph], a["borg", ph])
            }
        }' "$RESULTS"
}

if [[ -n $OUT ]]; then
    mkdir -p "$(dirname "$OUT")"
    report | tee "$OUT"
else
    report
fi
log "raw results: $RESULTS, logs: $LOGS"
