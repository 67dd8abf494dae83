#!/usr/bin/env python3
"""Recover a snapshot from a cairn repository with nothing but gpg and zstd.

The last-resort path of docs/RECOVERY.md, and docs/FORMAT.md written as code: it
does not use cairn at all. It needs Python 3 (standard library only), the stock
`gpg` and `zstd` binaries, the repository directory (or a copy), and a GnuPG home
into which one of the repository's secret keys was imported
(`cairn key export --secret > k.asc; gpg --batch --import k.asc`).

    recover.py --repo REPO --gnupghome HOME --signer FPR --list
    recover.py --repo REPO --gnupghome HOME --signer FPR [--snapshot ID-PREFIX] --target DIR
    recover.py ... --scan-packs --target DIR   # index objects lost: read pack headers
    recover.py --repo REPO --gnupghome HOME --signer FPR --show-pack PACK-ID

Checked: every object must decrypt with a good OpenPGP integrity check (MDC); the
config and the snapshots (and the index objects of repositories that sign them) must
carry a valid signature by the signing key FPR given with --signer (from the recovery
sheet), checked by gpg against the certificates in HOME. The config's own `signer`
field is not trusted: whoever holds the storage can write a config that names any key. Blob ids (keyed BLAKE3)
and pack and snapshot ids (BLAKE3 of the stored bytes) are checked only when the
`blake3` module is importable (`pip install blake3`): the standard library has no
BLAKE3. Without it, packs and index files replaced by someone who holds only the
public key (anyone can encrypt to it) go undetected.
"""

import argparse
import collections
import json
import os
import struct
import subprocess
import sys
import tempfile

try:
    import blake3
except ImportError:
    blake3 = None

# Repository (config) versions read: 2 adds zstd frames shared by small blobs, 3 delta
# blobs (zstd with another blob, the base, as dictionary), 4 is a config rewritten since
# its recipient list changed (a `generation` this script, which keeps no pins, does not
# check; docs/FORMAT.md "Recipient changes").
SUPPORTED_VERSIONS = (1, 2, 3, 4)
SNAPSHOT_VERSION = 1
PACK_MAGIC = b"CAIRNPK1"
# type u8 | compression u8 | blob id 32 bytes | offset u64 | stored length u32 | raw length u32
PACK_ENTRY = struct.Struct("<BB32sQII")
BLOB_TYPES = {0: "data", 1: "tree"}
# 2: a member of a zstd frame shared by the entries with the same offset, which follow
# each other in the header in the order of their contents (repository version 2).
# 3: a delta: the 32-byte id of its base blob, then one zstd frame that `zstd -d -D`
# decompresses with the base's raw bytes as dictionary (repository version 3).
COMPRESSIONS = {0: "none", 1: "zstd", 2: "zstd-frame", 3: "zstd-delta"}


class RecoveryError(Exception):
    pass


def show(path):
    """A bytes path, printable whatever its encoding."""
    return path.decode("utf-8", errors="replace")


def run(cmd, data=None):
    p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=None if data is not None else subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", errors="replace")


def zstd_decompress(data):
    """Decompresses one zstd frame, or several concatenated ones (output concatenated)."""
    code, out, err = run(["zstd", "--decompress", "--stdout", "--quiet"], data)
    if code != 0:
        raise RecoveryError("zstd failed: " + err.strip())
    return out


def zstd_delta(frame, base):
    """Decompresses a delta blob's frame with its base's raw bytes as dictionary."""
    with tempfile.NamedTemporaryFile(prefix="cairn-base-") as f:
        f.write(base)
        f.flush()
        code, out, err = run(["zstd", "--decompress", "--stdout", "--quiet", "-D", f.name], frame)
    if code != 0:
        raise RecoveryError("zstd -D failed: " + err.strip())
    return out


def parse_pack_header(plain, name="pack"):
    """Reads the fixed-size entries at the end of a pack's plaintext: blob id -> entry."""
    n = len(plain)
    if n < 12 or plain[-8:] != PACK_MAGIC:
        raise RecoveryError(name + ": no pack magic at the end")
    (count,) = struct.unpack("<I", plain[n - 12:n - 8])
    start = n - 12 - count * PACK_ENTRY.size
    if start < 0:
        raise RecoveryError(name + ": header longer than the pack")
    header = {}
    frame_offset, frame_at = None, 0
    for k in range(count):
        at = start + k * PACK_ENTRY.size
        kind, comp, bid, offset, length, raw = PACK_ENTRY.unpack_from(plain, at)
        if kind not in BLOB_TYPES or comp not in COMPRESSIONS or offset + length > start:
            raise RecoveryError("%s: malformed header entry %d" % (name, k))
        entry = {"type": BLOB_TYPES[kind], "compression": COMPRESSIONS[comp],
                 "offset": offset, "length": length, "raw_length": raw}
        if entry["compression"] == "zstd-frame":
            # A member starts where the members before it in the same frame end.
            if offset != frame_offset:
                frame_offset, frame_at = offset, 0
            entry["at"] = frame_at
            frame_at += raw
        else:
            frame_offset = None
        header[bid.hex()] = entry
    return header


class Repo:
    def __init__(self, root, gnupghome, passphrase_file, skip_signatures, signer,
                 scan_packs=False):
        self.root = root
        self.gpg = ["gpg", "--homedir", gnupghome, "--batch", "--no-tty", "--quiet",
                    "--status-fd", "2", "--pinentry-mode", "loopback"]
        if passphrase_file:
            self.gpg += ["--passphrase-file", passphrase_file]
        self.skip_signatures = skip_signatures
        self.packs = collections.OrderedDict()  # the last few decrypted packs
        # Whom to trust comes from the user (--signer), never from the config, which
        # anyone who can write to the storage can replace with one naming their own key.
        self.signer = signer
        plain, signers = self.decrypt("config")
        if signer and signer not in signers and not skip_signatures:
            # The signer you trust may have handed signing over (docs/FORMAT.md,
            # "Signing-key hand-over"): follow what it signed, and only that.
            self.signer = self.follow_handovers(signer)
            plain, signers = self.decrypt("config")  # now with the new key's certificate
        self.require_signer("config", signers)
        self.config = json.loads(plain)
        # What a former signer signed before the hand-over still counts, until rewrap.
        self.accepted = {self.signer} | {f.upper() for f in self.config.get("former_signers", [])}
        if self.config.get("version") not in SUPPORTED_VERSIONS:
            raise RecoveryError("repository format version %r is not supported (this script reads "
                                "versions %s)" % (self.config.get("version"),
                                                  " and ".join(map(str, SUPPORTED_VERSIONS))))
        if not skip_signatures and self.config["signer"].upper() != self.signer:
            raise RecoveryError("config: signed by %s but names signer %s (tampered?)"
                                % (self.signer, self.config["signer"]))
        print("repository %s, signed by %s" % (self.config["id"], self.signer or "(not checked)"),
              file=sys.stderr)
        # Write-only hosts sign their own host's snapshots and their index objects
        # (docs/FORMAT.md "Write-only hosts"). Their certificates come from the
        # repository: VALIDSIG's primary fingerprint, named by the verified config, is
        # what makes a signature theirs.
        self.writers = {w["fingerprint"].upper(): w["host"] for w in
                        self.config.get("writers", []) + self.config.get("former_writers", [])}
        for fpr in self.writers:
            if os.path.exists(self.path("keys/%s.asc" % fpr)):
                run(self.gpg + ["--import", self.path("keys/%s.asc" % fpr)])
        self.blob_key = bytes.fromhex(self.config["blob_id_key"])
        self.index = {}  # blob id -> (pack id, raw length), all ids in hex
        for name in self.list("index"):
            plain, signers = self.decrypt(name)
            if self.config.get("index_signed"):
                self.require_signer(name, signers, set(self.writers))
            for pack in json.loads(zstd_decompress(plain))["packs"]:
                for blob in pack["blobs"]:
                    # A full copy before a delta: a blob may be some delta's base.
                    if blob.get("compression") != "zstd-delta" or blob["id"] not in self.index:
                        self.index[blob["id"]] = (pack["id"], blob["raw_length"])
        if scan_packs:  # the index repeats the pack headers: rebuild it from them
            for name in self.list("data"):
                pack_id = name.rsplit("/", 1)[1]
                for blob_id, entry in self.pack(pack_id)[1].items():
                    if entry["compression"] != "zstd-delta" or blob_id not in self.index:
                        self.index[blob_id] = (pack_id, entry["raw_length"])

    def path(self, name):
        return os.path.join(self.root, *name.split("/"))

    def list(self, kind):
        """Object names below a top-level directory, skipping hidden unfinished uploads."""
        found = []
        for dirpath, _, files in os.walk(self.path(kind)):
            rel = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
            found += [rel + "/" + f for f in files if not f.startswith(".")]
        return sorted(found)

    def check_id(self, name, expected):
        """Pack and snapshot ids are the BLAKE3 hash of the stored bytes."""
        if blake3 is not None:
            with open(self.path(name), "rb") as f:
                if blake3.blake3(f.read()).hexdigest() != expected:
                    raise RecoveryError(name + ": stored bytes do not match the id")

    def decrypt(self, name):
        """Decrypts one stored object: (plaintext, primary fingerprints of good signatures)."""
        _, out, err = run(self.gpg + ["--decrypt", self.path(name)])
        status = [l.split()[1:] for l in err.splitlines() if l.startswith("[GNUPG:] ")]
        words = {s[0] for s in status if s}
        if "DECRYPTION_OKAY" not in words or "GOODMDC" not in words:
            if "NEED_PASSPHRASE" in words and "--passphrase-file" not in self.gpg:
                hint = "the key is passphrase-protected: give --passphrase-file"
            elif "KEY_CONSIDERED" in words:
                hint = "the secret key is here: wrong passphrase, or a damaged object"
            else:
                hint = "encrypted to key ids %s; no secret key for them in the GnuPG home: " \
                    "wrong key?" % ", ".join(s[1] for s in status if s[0] == "ENC_TO")
            messages = [l for l in err.splitlines() if not l.startswith("[GNUPG:] ")]
            raise RecoveryError("%s: gpg could not decrypt it (%s):\n  %s"
                                % (name, hint, "\n  ".join(messages)))
        # VALIDSIG <subkey fpr> <date> <time> <expiry> <v> <res> <algo> <hash> <class> <primary fpr>
        return out, {s[10] for s in status if s[0] == "VALIDSIG" and len(s) > 10}

    def require_signer(self, name, signers, writers=frozenset()):
        """Fails unless a signer we accept signed it; returns the writer that did, if one."""
        accepted = getattr(self, "accepted", {self.signer})
        if not accepted & signers and writers & signers and not self.skip_signatures:
            return sorted(writers & signers)[0]
        if not accepted & signers and not self.skip_signatures:
            raise RecoveryError(
                "%s: no valid signature by %s (found: %s). Forged or tampered, or the signer's "
                "certificate is not in the GnuPG home; --skip-signatures reads it anyway"
                % (name, " or ".join(sorted(accepted)), ", ".join(sorted(signers)) or "none"))

    def follow_handovers(self, fpr):
        """The signer at the end of the hand-overs from fpr, each signed by both keys."""
        seen = set()
        while os.path.exists(self.path("handovers/" + fpr)) and fpr not in seen:
            seen.add(fpr)
            name = "handovers/" + fpr
            _, out, err = run(self.gpg + ["--decrypt", self.path(name)])
            signed = {l.split()[11] for l in err.splitlines()
                      if l.startswith("[GNUPG:] VALIDSIG") and len(l.split()) > 11}
            handover = json.loads(out) if fpr in signed else {}
            new = handover.get("to", "").upper()
            if handover.get("from", "").upper() != fpr:
                raise RecoveryError("%s: not signed by %s, the key it hands over from" % (name, fpr))
            if new not in signed:
                # The new key's certificate comes from the repository: its fingerprint,
                # checked in VALIDSIG, is what makes it the one named.
                run(self.gpg + ["--import", self.path("keys/%s.asc" % new)])
                _, _, err = run(self.gpg + ["--decrypt", self.path(name)])
                if not any(l.startswith("[GNUPG:] VALIDSIG") and l.split()[11:12] == [new]
                           for l in err.splitlines()):
                    raise RecoveryError("%s: not signed by %s, the key it hands over to"
                                        % (name, new))
            print("%s: signing handed over from %s to %s" % (name, fpr, new), file=sys.stderr)
            fpr = new
        return fpr

    def snapshot(self, snap_id):
        name = "snapshots/" + snap_id
        self.check_id(name, snap_id)
        plain, signers = self.decrypt(name)
        writer = self.require_signer(name, signers, set(self.writers))
        snap = json.loads(plain)
        if writer and snap.get("host") != self.writers[writer]:
            raise RecoveryError("%s: signed by the write-only key %s of host %s but claims host %r"
                                % (name, writer, self.writers[writer], snap.get("host")))
        if snap.get("version") != SNAPSHOT_VERSION:
            raise RecoveryError("%s: snapshot version %r is not supported"
                                % (name, snap.get("version")))
        return snap

    def snapshots(self, prefix=""):
        """(id, manifest) of the snapshots whose id starts with prefix, oldest first."""
        ids = [n.split("/")[1] for n in self.list("snapshots")]
        found = [(i, self.snapshot(i)) for i in ids if i.startswith(prefix.lower())]
        return sorted(found, key=lambda s: (time_key(s[1]["time"]), s[0]))

    def pack(self, pack_id):
        """(plaintext, header) of a pack, checked against its id when blake3 is here."""
        if pack_id not in self.packs:
            name = "data/%s/%s" % (pack_id[:2], pack_id)
            self.check_id(name, pack_id)
            plain = self.decrypt(name)[0]
            self.packs[pack_id] = (plain, parse_pack_header(plain, name))
            if len(self.packs) > 4:
                self.packs.popitem(last=False)
        return self.packs[pack_id]

    def blobs(self, pack_id, ids):
        """The plaintext of blobs `ids` of one pack: decompressed (one zstd run), checked."""
        plain, header = self.pack(pack_id)
        for i in ids:
            if i not in header:
                raise RecoveryError("pack %s does not hold blob %s (wrong index)" % (pack_id, i))
            if i in self.index and self.index[i][1] != header[i]["raw_length"]:
                raise RecoveryError("blob %s: index and pack %s disagree" % (i, pack_id))
        stored = {}
        for i in ids:
            start = header[i]["offset"]
            stored[i] = plain[start:start + header[i]["length"]]
        out = {i: stored[i] for i in ids if header[i]["compression"] == "none"}
        packed = [i for i in ids if header[i]["compression"] == "zstd"]
        # Concatenated zstd frames decompress to the concatenated contents: split by length.
        whole = zstd_decompress(b"".join(stored[i] for i in packed)) if packed else b""
        at = 0
        for i in packed:
            out[i] = whole[at:at + header[i]["raw_length"]]
            at += header[i]["raw_length"]
        if at != len(whole):
            raise RecoveryError("pack %s: blobs decompress to the wrong length" % pack_id)
        frames = {}
        for i in ids:
            if header[i]["compression"] == "zstd-frame":
                off = header[i]["offset"]
                if off not in frames:
                    frames[off] = zstd_decompress(stored[i])
                begin = header[i]["at"]
                out[i] = frames[off][begin:begin + header[i]["raw_length"]]
        for i in ids:
            if header[i]["compression"] == "zstd-delta":
                out[i] = zstd_delta(stored[i][32:], self.base(pack_id, i, stored[i][:32].hex()))
        for i in ids:
            if len(out[i]) != header[i]["raw_length"]:
                raise RecoveryError("pack %s: blob %s has the wrong length" % (pack_id, i))
            if blake3 is not None and blake3.blake3(out[i], key=self.blob_key).hexdigest() != i:
                raise RecoveryError("pack %s: blob %s does not match its id" % (pack_id, i))
        return out

    def base(self, pack_id, blob_id, base_id):
        """The raw bytes of delta `blob_id`'s base, which must be a full blob."""
        if base_id not in self.index:
            raise RecoveryError("pack %s: blob %s: its delta base %s is in no index"
                                % (pack_id, blob_id, base_id))
        base_pack = self.index[base_id][0]
        if self.pack(base_pack)[1].get(base_id, {}).get("compression") == "zstd-delta":
            raise RecoveryError("pack %s: blob %s: its delta base %s is itself a delta"
                                % (pack_id, blob_id, base_id))
        return self.blobs(base_pack, [base_id])[base_id]

    def tree(self, blob_id):
        if blob_id not in self.index:
            raise RecoveryError("tree %s is in no index (try --scan-packs)" % blob_id)
        return json.loads(self.blobs(self.index[blob_id][0], [blob_id])[blob_id])["nodes"]


def time_key(text):
    """Sort key of an RFC 3339 UTC time with 0 to 9 fraction digits ("...:35.5Z")."""
    base, _, frac = text.rstrip("Z").partition(".")
    return base, int((frac + "000000000")[:9])


def raw_field(node, text, hexed):
    """A name or symlink target: hex in `hexed` when it is not UTF-8, else `text`."""
    return bytes.fromhex(node[hexed]) if node.get(hexed) else node[text].encode()


def walk(repo, tree_id, at, plan):
    """Creates the directories below a tree; collects (path, node) per kind into plan."""
    for node in repo.tree(tree_id):
        name = raw_field(node, "name", "name_bytes")
        if name in (b"", b".", b"..") or b"/" in name or b"\0" in name:
            raise RecoveryError("refusing entry name %r: it would escape the target" % name)
        path = os.path.join(at, name)
        if node["type"] == "dir":
            os.mkdir(path, 0o700)
            plan["dir"].append((path, node))
            if node.get("subtree"):
                walk(repo, node["subtree"], path, plan)
        elif node["type"] in ("file", "symlink"):
            plan[node["type"]].append((path, node))
        else:  # fifo, socket, chardev, blockdev: recorded, not recreated (as cairn does)
            print("skipping %s: %s" % (show(path), node["type"]), file=sys.stderr)


def set_meta(path, node, follow=True):
    if os.geteuid() == 0:  # owner first: chown clears setuid/setgid bits
        os.chown(path, node["uid"], node["gid"], follow_symlinks=follow)
    if follow:  # Linux has no lchmod, and a symlink's own mode means nothing
        os.chmod(path, node["mode"] & 0o7777)
    os.utime(path, ns=(node["mtime_ns"], node["mtime_ns"]), follow_symlinks=follow)


def restore(repo, tree_id, target):
    plan = collections.defaultdict(list)
    walk(repo, tree_id, target, plan)
    # Create every file at its final size, then write blobs pack by pack, so that each
    # pack is decrypted once whatever order the files use its blobs in.
    wanted = collections.defaultdict(lambda: collections.defaultdict(list))
    for path, node in plan["file"]:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        os.truncate(path, node["size"])
        offset = 0
        for blob_id in node.get("content", []):
            if blob_id not in repo.index:
                raise RecoveryError("%s: blob %s is in no index (try --scan-packs)"
                                    % (show(path), blob_id))
            pack_id, raw_length = repo.index[blob_id]
            wanted[pack_id][blob_id].append((path, offset))
            offset += raw_length
        if offset != node["size"]:
            raise RecoveryError("%s: blobs hold %d bytes, tree says %d"
                                % (show(path), offset, node["size"]))
    for n, (pack_id, places) in enumerate(sorted(wanted.items()), 1):
        print("pack %d/%d %s" % (n, len(wanted), pack_id[:8]), file=sys.stderr)
        for blob_id, data in repo.blobs(pack_id, list(places)).items():
            if data.count(0) == len(data):
                continue  # all zeros: left as a hole, which reads back as zeros
            for path, offset in places[blob_id]:
                fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
                os.pwrite(fd, data, offset)
                os.close(fd)
    for path, node in plan["file"]:
        set_meta(path, node)
    # Symlinks last, so nothing is ever written through a link the snapshot made.
    for path, node in plan["symlink"]:
        os.symlink(raw_field(node, "target", "target_bytes"), path)
        set_meta(path, node, follow=False)
    # Directories deepest first, so filling a child does not change its parent's mtime.
    for path, node in sorted(plan["dir"], key=lambda d: -d[0].count(b"/")):
        set_meta(path, node)
    return len(plan["file"]), len(plan["dir"]), len(plan["symlink"])


def show_pack(repo, pack_id):
    plain, header = repo.pack(pack_id)
    print("pack %s: %d bytes of plaintext, %d blobs" % (pack_id, len(plain), len(header)))
    print("type comp %-64s %8s %8s %8s" % ("blob id", "offset", "length", "raw"))
    for bid, e in sorted(header.items(), key=lambda kv: kv[1]["offset"]):
        print("%-4s %-4s %s %8d %8d %8d" % (e["type"], e["compression"], bid,
                                           e["offset"], e["length"], e["raw_length"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", required=True, help="repository directory (a copy is fine)")
    ap.add_argument("--gnupghome", default=os.environ.get("GNUPGHOME"),
                    help="GnuPG home holding the secret key [default: $GNUPGHOME]")
    ap.add_argument("--passphrase-file", help="file whose first line is the key's passphrase")
    ap.add_argument("--snapshot", default="", help="snapshot id prefix [default: the newest]")
    ap.add_argument("--target", help="directory to restore into: missing or empty")
    ap.add_argument("--list", action="store_true", help="list the snapshots and stop")
    ap.add_argument("--show-pack", metavar="PACK_ID", help="print a pack's header and stop")
    ap.add_argument("--scan-packs", action="store_true",
                    help="also index every pack's header (slow: decrypts all packs), "
                         "for when index objects are missing")
    ap.add_argument("--signer", metavar="FPR",
                    help="fingerprint of the repository's signing key, from the recovery sheet; "
                         "objects signed by any other key are refused")
    ap.add_argument("--skip-signatures", action="store_true",
                    help="read config and snapshots without a valid signature (dangerous)")
    args = ap.parse_args()
    signer = "".join((args.signer or "").split()).upper()
    if signer.startswith("0X"):
        signer = signer[2:]
    if not args.skip_signatures and not (
            len(signer) in (40, 64) and all(c in "0123456789ABCDEF" for c in signer)):
        ap.error("give --signer FPR (the repository's signing key fingerprint, 40 or 64 hex "
                 "digits, from the recovery sheet), or --skip-signatures")
    if not args.gnupghome:
        ap.error("give --gnupghome or set GNUPGHOME")
    if not (args.list or args.show_pack or args.target):
        ap.error("give --target DIR, --list or --show-pack PACK_ID")
    if blake3 is None:
        print("note: no Python module blake3: pack, snapshot and blob ids are NOT verified "
              "(pip install blake3 to verify them)", file=sys.stderr)
    try:
        repo = Repo(args.repo, args.gnupghome, args.passphrase_file, args.skip_signatures,
                    signer, args.scan_packs)
        if args.show_pack:
            show_pack(repo, args.show_pack)
            return 0
        snaps = repo.snapshots(args.snapshot)
        if args.list:
            for snap_id, s in snaps:
                print("%s  %s  %-12s %-7s %s" % (snap_id[:8], s["time"][:19], s["host"],
                                                s["source"], " ".join(s["paths"])))
            return 0
        if not snaps:
            raise RecoveryError("no snapshot %s in %s" % (args.snapshot or "at all", args.repo))
        if len(snaps) > 1 and args.snapshot:
            raise RecoveryError("snapshot id %s is ambiguous (%d match)"
                                % (args.snapshot, len(snaps)))
        snap_id, snap = snaps[-1]
        target = os.fsencode(args.target)
        os.makedirs(target, exist_ok=True)
        if os.listdir(target):
            raise RecoveryError("target %s is not empty" % args.target)
        print("restoring snapshot %s (%s, %s: %s)" % (snap_id[:8], snap["time"], snap["host"],
                                                     " ".join(snap["paths"])), file=sys.stderr)
        counts = restore(repo, snap["tree"], target)
        print("restored %d files, %d directories, %d symlinks into %s" % (counts + (args.target,)),
              file=sys.stderr)
        return 0
    except KeyError as e:
        print("recover.py: error: malformed object: no field %s" % e, file=sys.stderr)
    except (RecoveryError, OSError, ValueError) as e:
        print("recover.py: error: %s" % e, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
