"""Stand-alone verifier of an accessreview ledger or evidence bundle (format 1, see ledger-format.md).

Needs Python 3.11+, ``fastavro`` and ``cryptography``, nothing else; it shares no code with the
product. It checks what ``accessreview ledger verify`` checks on a directory, in the order
ledger-format.md gives, and exits with the same codes: 0 valid and anchored, 1 invalid,
2 usage, 3 unreadable, 7 untrusted (no key given), 8 unanchored.

    python verify_bundle.py DIR --public-key LOG.pub.json [--witness-key W.pub.json]
        [--checkpoint KEPT.txt] [--origin ORIGIN] [--allow-unanchored] [--json]
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import re
import struct
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from itertools import accumulate
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastavro import parse_schema, schemaless_reader
from fastavro import reader as avro_reader

MANIFEST_FORMAT = "accessreview-ledger-manifest/1"
REQUIRED = {
    "format": (str,), "origin": (str,), "segment": (int,), "first_seq": (int,), "last_seq": (int,),
    "count": (int,), "prev_manifest_sha256": (str, type(None)), "chain_prev": (str,), "chain_head": (str,),
    "merkle_root": (str,), "tree_size": (int,), "frontier": (list,), "segment_key": (str,),
    "segment_sha256": (str,), "segment_bytes": (int,), "manifest_key": (str,), "checkpoint_key": (str,),
    "offsets": (list,), "high_water": (dict,), "writer": (dict,), "created_at": (str,), "retain_until": (str,),
}  # fmt: skip
OPTIONAL = {"codec": (str,), "kafka_cluster": (str, type(None)), "event_schemas": (list,), "dead_letters": (int,)}
PREFIXES = {"segments/": ".avro", "manifests/": ".json", "checkpoints/": ".txt", "witnessed/": ".txt"}
NAME = re.compile(r"^(segments|manifests|checkpoints|witnessed)/(\d{10})(\.avro|\.json|\.txt)$")
SKEW = 300
EXIT = {"valid": 0, "invalid": 1, "unreadable": 3, "untrusted": 7, "unanchored": 8}


# -- keys and notes ------------------------------------------------------------------------
class Key:
    def __init__(self, doc: dict) -> None:
        self.name = doc["name"]
        self.raw = base64.b64decode(doc["public_key"])
        self.valid_from = doc["valid_from"]
        self.valid_until = doc.get("valid_until", "9999-12-31T23:59:59Z")
        self.fingerprint = "SHA256:" + hashlib.sha256(self.raw).hexdigest()
        self.note_hash = hashlib.sha256(self.name.encode() + b"\n\x01" + self.raw).digest()[:4]
        self.cosigner_hash = hashlib.sha256(self.name.encode() + b"\n\x04" + self.raw).digest()[:4]
        if doc.get("key_id") not in (None, self.note_hash.hex()) or doc.get("fingerprint") not in (None, self.fingerprint):
            raise ValueError(f"key {self.name}: key_id or fingerprint does not match the key")

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
            return True
        except (InvalidSignature, ValueError):
            return False


def open_note(note: bytes, logs: list[Key], witnesses: list[Key]) -> tuple[str, int, bytes, list[int]]:
    """(origin, size, root, cosignature times); raises ValueError unless a trusted log key signed
    and no trusted key's signature fails."""
    body, sep, sigs = note.decode("utf-8").partition("\n\n")
    lines = body.split("\n")
    if not sep or not sigs.endswith("\n") or len(lines) < 3 or str(int(lines[1])) != lines[1]:
        raise ValueError("not a checkpoint note")
    signed, root = (body + "\n").encode(), base64.b64decode(lines[2], validate=True)
    logged, times = False, []
    for line in sigs[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise ValueError("bad signature line")
        name, _, blob = line[2:].rpartition(" ")
        raw = base64.b64decode(blob, validate=True)
        for key in logs:
            if key.name == name and key.note_hash == raw[:4]:
                if not key.verify(raw[4:], signed):
                    raise ValueError(f"signature by {name} does not verify")
                logged = True
        for key in witnesses:
            if key.name == name and key.cosigner_hash == raw[:4]:
                (t,) = struct.unpack(">Q", raw[4:12])
                if len(raw) != 76 or not key.verify(raw[12:], b"cosignature/v1\ntime %d\n" % t + signed):
                    raise ValueError(f"cosignature by {name} does not verify")
                times.append(t)
    if not logged:
        raise ValueError("no trusted key signed this checkpoint")
    return lines[0], int(lines[1]), root, times


# -- Merkle tree (RFC 9162) ----------------------------------------------------------------
def container(data: bytes) -> tuple[dict[str, str], Iterator[dict[str, Any]]]:
    """An Avro object container's metadata and records."""
    opened: Any = avro_reader(io.BytesIO(data))
    return dict(opened.metadata), iter(opened)


def read_record(buf: io.BytesIO, schema: Any, **options: Any) -> Any:
    return schemaless_reader(buf, schema, None, **options)


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    def __init__(self) -> None:
        self.size = 0
        self.nodes: list[tuple[int, bytes]] = []  # (height, hash) from the largest subtree to the smallest

    def append(self, leaf: bytes) -> None:
        height, acc = 0, leaf
        while self.nodes and self.nodes[-1][0] == height:
            acc = node(self.nodes.pop()[1], acc)
            height += 1
        self.nodes.append((height, acc))
        self.size += 1

    @classmethod
    def claimed(cls, size: int, nodes: list[str]) -> Frontier:
        """The tree a manifest claims, to go on after a segment that cannot be read."""
        frontier = cls()
        heights = [h for h in range(size.bit_length() - 1, -1, -1) if size >> h & 1]
        frontier.size, frontier.nodes = size, list(zip(heights, [bytes.fromhex(x) for x in nodes], strict=False))
        return frontier

    def root(self) -> bytes:
        if not self.nodes:
            return hashlib.sha256(b"").digest()
        acc = self.nodes[-1][1]
        for _h, h in reversed(self.nodes[:-1]):
            acc = node(h, acc)
        return acc


def multiproof_root(size: int, leaves: dict[int, bytes], nodes: list[bytes]) -> bytes:
    """The root from proven leaves and the roots of the subtrees (RFC 9162 splits) holding none of
    them, taken depth first, left to right (ledger-format.md section 10)."""
    wanted, used = sorted(leaves), [0]
    if not wanted or wanted[0] < 0 or wanted[-1] >= size:
        raise ValueError("indices outside the tree")

    def walk(lo: int, hi: int, picked: list[int]) -> bytes:
        if not picked:
            used[0] += 1
            if used[0] > len(nodes):
                raise ValueError("proof too short")
            return nodes[used[0] - 1]
        if hi - lo == 1:
            return leaves[picked[0]]
        k = lo + (1 << ((hi - lo - 1).bit_length() - 1))
        return node(walk(lo, k, [i for i in picked if i < k]), walk(k, hi, [i for i in picked if i >= k]))

    root = walk(0, size, wanted)
    if used[0] != len(nodes):
        raise ValueError("proof too long")
    return root


# -- the walk ------------------------------------------------------------------------------
class Run:
    def __init__(self, root: Path, args: argparse.Namespace) -> None:
        self.root, self.args = root, args
        self.logs = [Key(json.loads(Path(p).read_text())) for p in args.public_key]
        self.witnesses = [Key(json.loads(Path(p).read_text())) for p in args.witness_key]
        self.findings: list[tuple[str, str, str]] = []  # (severity, code, where)
        self.anchors: list[str] = []
        self.roots: dict[int, bytes] = {0: hashlib.sha256(b"").digest()}
        self.leaves: list[bytes] = []
        self.cosigned: list[tuple[int, int]] = []  # (size, time)
        self.sealed: list[tuple[int, int, int, str, Key | None]] = []

    def error(self, code: str, where: str) -> None:
        self.findings.append(("error", code, where))

    def warn(self, code: str, where: str) -> None:
        self.findings.append(("warning", code, where))

    def listing(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {p: [] for p in PREFIXES}
        for prefix in PREFIXES:
            for path in sorted((self.root / prefix).rglob("*")) if (self.root / prefix).is_dir() else []:
                key = path.relative_to(self.root).as_posix()
                match = NAME.match(key)
                if path.name.startswith(".tmp-"):
                    self.warn("crash-residue", key)
                elif not match or PREFIXES[match.group(1) + "/"] != match.group(3):
                    self.error("unexpected-object", key)
                else:
                    found[prefix].append(int(match.group(2)))
        return found

    def run(self) -> str:
        if not self.logs:
            return "untrusted"
        if not self.root.is_dir():
            return "unreadable"
        listed = self.listing()
        total = max(listed["manifests/"], default=-1) + 1
        previous, origin = None, self.args.origin
        frontier, chain, next_seq = Frontier(), b"\x00" * 32, 0
        for n in range(total):
            where = f"segment {n}"
            if n not in listed["manifests/"]:
                self.error("manifest-missing", where)
                return "invalid"  # the tree cannot be recomputed past a gap
            manifest = self.manifest(n, where)
            if manifest is None:
                return "invalid"
            body = manifest[0]
            if previous is None and origin is not None and body["origin"] != origin:
                self.error("origin-mismatch", where)
            origin = origin or body["origin"]
            self.link(body, previous, origin, n, where)
            frontier, chain, next_seq = self.segment(n, body, frontier, chain, next_seq, where)
            self.roots[frontier.size] = frontier.root()
            self.checkpoint(n, body, frontier, where, origin)
            previous = manifest
        for kind in ("segments/", "checkpoints/", "witnessed/"):
            for n in listed[kind]:
                if kind == "segments/" and n == total:
                    self.warn("segment-orphan", f"segment {n}")
                elif n >= total:
                    code = {"segments/": "segment-stray", "checkpoints/": "tail-truncated"}.get(kind, "unexpected-object")
                    self.error(code, f"{kind}{n:010d}")
        self.anchor(origin, frontier.size)
        self.times()
        self.bundle()
        if any(f[0] == "error" for f in self.findings):
            return "invalid"
        return "valid" if self.anchors or self.args.allow_unanchored else "unanchored"

    def manifest(self, n: int, where: str) -> tuple[dict, str, Key | None] | None:
        data = (self.root / f"manifests/{n:010d}.json").read_bytes()

        def no_duplicates(pairs: list) -> dict:
            if len({k for k, _ in pairs}) != len(pairs):
                raise ValueError("manifest-duplicate-key")
            return dict(pairs)

        try:
            doc = json.loads(data, object_pairs_hook=no_duplicates)
            body, sigs = doc["manifest"], doc["signatures"]
        except (ValueError, KeyError, TypeError) as exc:
            self.error(str(exc) if str(exc) == "manifest-duplicate-key" else "manifest-malformed", where)
            return None
        if set(doc) != {"manifest", "signatures"} or set(body) - set(REQUIRED) - set(OPTIONAL):
            self.error("manifest-unknown-field", where)
            return None
        types = {**REQUIRED, **OPTIONAL}
        if set(REQUIRED) - set(body) or any(not isinstance(v, types[k]) or isinstance(v, bool) for k, v in body.items()):
            self.error("manifest-malformed", where)
            return None
        if body["format"] != MANIFEST_FORMAT or not sigs or any(set(s) != {"key_id", "key_name", "signature"} for s in sigs):
            self.error("manifest-malformed", where)
            return None
        if json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n" != data:
            self.error("manifest-noncanonical", where)
            return None
        signed = json.dumps(jcs(body), separators=(",", ":"), ensure_ascii=False).encode()
        key = self.signature(signed, sigs, body["created_at"], where)
        self.sealed.append((n, body["first_seq"], body["tree_size"], body["created_at"], key))
        return body, hashlib.sha256(signed).hexdigest(), key

    def signature(self, signed: bytes, sigs: list, created: str, where: str) -> Key | None:
        good = None
        for entry in sigs:
            for key in self.logs:
                if key.note_hash.hex() != entry["key_id"]:
                    continue
                if not key.verify(base64.b64decode(entry["signature"]), signed):
                    self.error("signature-invalid", where)
                elif not key.valid_from <= created <= key.valid_until:
                    self.error("signature-key-expired", where)
                else:
                    good = key
        if good is None and not any(f[2] == where and f[1].startswith("signature") for f in self.findings):
            self.error("signature-unknown-key", where)
        return good

    def link(self, body: dict, previous: tuple | None, origin: str, n: int, where: str) -> None:
        expected = {"segment": n, "manifest_key": f"manifests/{n:010d}.json", "segment_key": f"segments/{n:010d}.avro"}
        if any(body[k] != v for k, v in {**expected, "checkpoint_key": f"checkpoints/{n:010d}.txt"}.items()):
            self.error("location-mismatch", where)
        if previous is None:
            if body["prev_manifest_sha256"] is not None or body["first_seq"] != 0 or body["chain_prev"] != "00" * 32:
                self.error("chain-genesis", where)
        else:
            if body["prev_manifest_sha256"] != previous[1] or body["chain_prev"] != previous[0]["chain_head"]:
                self.error("chain-link", where)
            if body["first_seq"] != previous[0]["last_seq"] + 1:
                self.error("sequence-gap", where)
            if body["origin"] != origin:
                self.error("origin-mismatch", where)
        days = (parse_time(body["retain_until"]) - parse_time(body["created_at"])).days
        if days < self.args.min_retention_days:
            self.error("retention-short", where)

    def segment(self, n: int, body: dict, frontier: Frontier, chain: bytes, seq: int, where: str) -> tuple:
        path = self.root / body["segment_key"]
        if not path.is_file():
            self.error("segment-missing", where)
            raise SystemExit(EXIT["invalid"])
        data = path.read_bytes()
        if body["first_seq"] != seq or body["chain_prev"] != chain.hex():
            self.error("sequence-gap", where)
        if hashlib.sha256(data).hexdigest() != body["segment_sha256"] or len(data) != body["segment_bytes"]:
            self.error("segment-hash", where)
            self.leaves.extend([b""] * body["count"])  # unknown: no proof into this segment can pass
            return Frontier.claimed(body["tree_size"], body["frontier"]), bytes.fromhex(body["chain_head"]), body["tree_size"]
        h = hashlib.sha256(chain)
        meta, records = container(data)
        if meta.get("accessreview.ledger.segment") != str(n) or meta.get("accessreview.ledger.first_seq") != str(seq):
            self.error("segment-header", where)
        for record in records:
            sizes = struct.unpack(f"<{len(record['sizes']) // 4}I", record["sizes"])
            offset = 0
            for i, size in enumerate(sizes):
                leaf = hashlib.sha256(b"\x00" + record["entries"][offset : offset + size]).digest()
                offset += size
                if leaf != record["leaves"][32 * i : 32 * i + 32]:
                    self.error("leaf-mismatch", f"{where} seq {record['first_seq'] + i}")
                h.update(leaf)
                frontier.append(leaf)
                self.leaves.append(leaf)
        chain = h.digest()
        if chain.hex() != body["chain_head"]:
            self.error("chain-head", where)
        if frontier.size != body["tree_size"] or frontier.root().hex() != body["merkle_root"]:
            self.error("merkle-root", where)
        if [x.hex() for _h, x in frontier.nodes] != body["frontier"]:
            self.error("frontier", where)
        return frontier, chain, frontier.size

    def checkpoint(self, n: int, body: dict, frontier: Frontier, where: str, origin: str) -> None:
        for kind in ("checkpoints", "witnessed"):
            path = self.root / f"{kind}/{n:010d}.txt"
            if not path.is_file():
                if kind == "checkpoints":
                    self.error("checkpoint-missing", where)
                continue
            try:
                o, size, root, times = open_note(path.read_bytes(), self.logs, self.witnesses if kind == "witnessed" else [])
            except (ValueError, UnicodeDecodeError) as exc:
                self.error("cosignature-invalid" if "cosignature" in str(exc) else "checkpoint-signature", where)
                continue
            if o != origin or size != frontier.size or root != frontier.root():
                self.error("checkpoint-mismatch" if kind == "checkpoints" else "cosigned-mismatch", where)
            self.cosigned.extend((size, t) for t in times)

    def anchor(self, origin: str | None, size: int) -> None:
        if self.cosigned:
            self.anchors.append(f"cosignatures up to tree size {max(s for s, _t in self.cosigned)}")
        for kept in self.args.checkpoint:
            try:
                o, s, root, times = open_note(Path(kept).read_bytes(), self.logs, self.witnesses)
            except (ValueError, UnicodeDecodeError):
                self.error("checkpoint-signature", kept)
                continue
            if o != origin:
                self.error("origin-mismatch", kept)
            elif s > size:
                self.error("tail-truncated", kept)
            elif s not in self.roots:
                self.error("anchor-size-unknown", kept)
            elif self.roots[s] != root:
                self.error("anchor-root-mismatch", kept)
            else:
                self.cosigned.extend((s, t) for t in times)
                self.anchors.append(f"checkpoint {kept}: tree size {s}")

    def times(self) -> None:
        cosigned = sorted(self.cosigned)
        sizes, times = [size for size, _t in cosigned], [t for _s, t in cosigned]
        newest = list(accumulate(times, max))  # newest time at a size <= sizes[i]
        oldest = list(accumulate(reversed(times), min))[::-1]  # oldest time at a size >= sizes[i]
        for n, first, size, created_text, key in self.sealed:
            created = int(parse_time(created_text).timestamp())
            i, j = bisect_right(sizes, first), bisect_left(sizes, size)
            t_prev = newest[i - 1] if i else None
            t_seen = oldest[j] if j < len(sizes) else None
            if t_seen is not None and created > t_seen + SKEW:
                self.error("time-after-witness", f"segment {n}")
            if t_prev is not None and created < t_prev - SKEW:
                self.error("manifest-backdated", f"segment {n}")
            if key is not None and t_prev is not None and key.valid_until < time_text(t_prev):
                self.error("signature-key-retired", f"segment {n}")
            if key is not None and t_seen is not None and key.valid_from > time_text(t_seen):
                self.error("signature-key-not-yet-valid", f"segment {n}")

    def bundle(self) -> None:
        path = self.root / "bundle.json"
        if not path.is_file():
            return
        listed = {"bundle.json"}
        for item in json.loads(path.read_text())["files"]:
            listed.add(item["path"])
            target = self.root / item["path"]
            if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != item["sha256"]:
                self.error("bundle-file-hash", item["path"])
            elif item.get("derivation") in ("events-of-correlation", "csv-of-events", "evidence-report"):
                if derive(self.root, item["derivation"], item["parameters"]) != target.read_bytes():
                    self.error("bundle-view-mismatch", item["path"])
            elif item.get("derivation") == "pdf-of-report":
                self.pdf(target.read_bytes(), derive(self.root, "evidence-report", item["parameters"]), item["path"])
            elif item.get("derivation") is not None:
                self.error("bundle-view-unknown", item["path"])
            elif item["path"] == "proofs.json":
                self.proofs(json.loads(target.read_text()))
        for file in self.root.iterdir():
            if file.is_file() and file.name not in listed:
                self.warn("bundle-unlisted-file", file.name)

    def pdf(self, pdf: bytes, html: bytes, where: str) -> None:
        """The PDF's text, whitespace removed, must be the re-derived report's (needs pypdf)."""
        try:
            from pypdf import PdfReader
        except ImportError:
            self.warn("bundle-file-unchecked", f"{where} (install pypdf to check it; report.html is checked)")
            return
        try:
            said = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf), strict=False).pages)
        except Exception:  # noqa: BLE001 - whatever pypdf raises, the PDF is not the report
            said = None
        if said is None or "".join(said.split()) != page_text(html):
            self.error("bundle-view-mismatch", where)

    def proofs(self, doc: dict) -> None:
        try:
            _o, size, root, _t = open_note(doc["checkpoint"].encode(), self.logs, self.witnesses)
            leaves = {e["seq"]: base64.b64decode(e["leaf"]) for e in doc["events"]}
            raw = base64.b64decode(doc["nodes"])
            ok = self.roots.get(size) == root and all(s < len(self.leaves) and self.leaves[s] == h for s, h in leaves.items())
            ok = ok and multiproof_root(size, leaves, [raw[i : i + 32] for i in range(0, len(raw), 32)]) == root
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            self.error("bundle-proof-invalid", "proofs.json")


# -- events.jsonl, re-derived (ledger-format.md, "Evidence bundles") ------------------------
def plain_types(node: object) -> object:
    """Timestamps stay integers (microseconds), as in the view."""
    if isinstance(node, dict):
        if node.get("logicalType") and node.get("type") in ("long", "int"):
            return node["type"]
        return {k: plain_types(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain_types(v) for v in node]
    return node


def iso(micros: int) -> str:
    return datetime.fromtimestamp(micros / 1_000_000, UTC).isoformat().replace("+00:00", "Z")


def plain(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def events_view(root: Path, correlation: str) -> bytes:
    lines = []
    for path in sorted((root / "manifests").glob("*.json")):
        manifest = json.loads(path.read_text())["manifest"]
        metadata, records = container((root / manifest["segment_key"]).read_bytes())
        meta_schema = parse_schema(json.loads(metadata["accessreview.ledger.entry_schema"]))
        schemas = json.loads(metadata["accessreview.ledger.event_schemas"])
        parsed: dict[str, Any] = {}
        for record in records:
            sizes = struct.unpack(f"<{len(record['sizes']) // 4}I", record["sizes"])
            offset = 0
            for i, size in enumerate(sizes):
                raw = record["entries"][offset : offset + size]
                offset += size
                if correlation.encode() not in raw:
                    continue
                line = event_line(raw, record["first_seq"] + i, manifest["segment"], meta_schema, schemas, parsed, correlation)
                if line is not None:
                    lines.append(line)
    return "".join(line + "\n" for line in lines).encode()


def event_line(raw: bytes, seq: int, segment: int, meta_schema: Any, schemas: dict, parsed: dict, correlation: str) -> str | None:
    buf = io.BytesIO(raw)
    meta = read_record(buf, meta_schema)
    value = raw[buf.tell() :]
    fp = value[2:10].hex()
    if meta["kind"] != 0 or value[:2] != b"\xc3\x01" or fp not in schemas:
        return None
    if fp not in parsed:
        parsed[fp] = parse_schema(plain_types(schemas[fp]))  # type: ignore[arg-type]
    try:
        record = read_record(io.BytesIO(value[10:]), parsed[fp], return_record_name_override=True)
    except Exception:  # noqa: BLE001 - an undecodable value is not an event of the view
        return None
    env = record.pop("envelope")
    if env["correlation_id"] != correlation:
        return None
    out: dict[str, Any] = {
        "seq": seq,
        "segment": segment,
        "topic": meta["topic"],
        "partition": meta["partition"],
        "offset": meta["offset"],
        "received_at": iso(meta["received_at"]),
        "kind": "event",
    }
    if meta["headers"]:
        out["headers"] = {h["name"]: h["value"].decode("utf-8", "replace") for h in meta["headers"]}
    producer = env["producer"]
    out["event"] = {
        "event_id": env["event_id"],
        "event_type": env["event_type"],
        "occurred_at": iso(env["occurred_at"]),
        "produced_at": iso(env["produced_at"]),
        "producer": {"service": producer["service"], "version": producer["version"], "instance": producer["instance"]},
        "correlation_id": env["correlation_id"],
        "causation_id": env.get("causation_id"),
        "subject_key": env["subject_key"],
        "schema_fingerprint": env["schema_fingerprint"],
        "payload": plain(record),
    }
    return json.dumps(out, sort_keys=True, default=str)


_EVENTS: dict[tuple[str, str], bytes] = {}


def derive(root: Path, derivation: str, p: dict) -> bytes:
    key = (str(root), str(p["correlation"]))
    if key not in _EVENTS:
        _EVENTS.clear()
        _EVENTS[key] = events_view(root, key[1])
    events = _EVENTS[key]
    if derivation == "events-of-correlation":
        return events
    if derivation == "evidence-report":
        views = {path: derive(root, "csv-of-events", {**q, "correlation": p["correlation"]}) for path, q in p["views"].items()}
        return report(p["correlation"], p["blocks"], views)
    lines = [json.loads(line) for line in events.splitlines()]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for header, _path in p["columns"]])
    for line in lines:
        if lookup(line, "event.event_type") in set(p["event_types"]):
            writer.writerow([cell(lookup(line, path)) for _header, path in p["columns"]])
    return out.getvalue().encode("utf-8")


# -- report.html (ledger-format.md 10.1): a fixed page of the views; the style is the format's
STYLE = (
    "body{font-family:sans-serif;font-size:9pt;margin:0}h1{font-size:16pt}h2{font-size:12pt;margin-top:16pt}"
    "table{border-collapse:collapse;width:100%;margin:4pt 0}th,td{border:1px solid #999;padding:2pt 3pt;"
    "text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#eee}code{font-size:8pt}"
    "td:not(:last-child),th:not(:last-child){white-space:nowrap;width:1%}"
)


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#x27;")


def html_table(header: list, rows: list) -> str:
    body = "".join("<tr>" + "".join("<td>" + esc(c) + "</td>" for c in r) + "</tr>\n" for r in rows)
    return "<table>\n<tbody>\n<tr>" + "".join("<th>" + esc(h) + "</th>" for h in header) + f"</tr>\n{body}</tbody>\n</table>\n"


def csv_rows(data: bytes) -> list:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def report(correlation: str, blocks: list, views: dict) -> bytes:
    c = esc(correlation)
    out = f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Evidence report {c}</title>\n'
    out += f"<style>{STYLE}</style>\n</head>\n<body>\n<h1>Evidence report: {c}</h1>\n<p>Every table below is a view of the "
    out += "ledger's events, rebuilt from the verified segments by ledger verify and by verify_bundle.py; "
    out += "a change to any cell is a finding.</p>\n"
    for b in blocks:
        out += "<h2>" + esc(b["heading"]) + "</h2>\n"
        if b["kind"] == "files":
            listing = [[str(len(csv_rows(v)) - 1), hashlib.sha256(v).hexdigest(), k] for k, v in sorted(views.items())]
            out += html_table(["rows", "sha256", "file"], listing)
            continue
        table = csv_rows(views[b["view"]])
        head, rows = (table[0], table[1:]) if table else ([], [])
        if b["kind"] in ("rows", "record"):
            out += f"<p>{len(rows)} rows, from {esc(b['view'])}</p>\n" if b["kind"] == "rows" else ""
            out += "".join(html_table(["field", "value"], [list(pair) for pair in zip(head, r, strict=True)]) for r in rows)
        elif b["kind"] == "counts":
            i, n = head.index(b["column"]), dict[str, int]()
            for r in rows:
                n[r[i]] = n.get(r[i], 0) + 1
            out += html_table(["rows", b["column"]], [[str(v), k or "(empty)"] for k, v in sorted(n.items())])
        else:  # steps
            for r in rows:
                steps = json.loads(r[head.index(b["column"])] or "[]")
                out += (
                    html_table(["step", "count"], [[str(x["step"]), str(x["count"])] for x in steps])
                    if steps
                    else "<p>not recorded</p>\n"
                )
    return (out + "</body>\n</html>\n").encode("utf-8")


class PageText(HTMLParser):
    """What a reader sees of the page (no style, title or script)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.seen: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.hidden += tag in ("style", "title", "script")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("style", "title", "script")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.seen.append(data)


def page_text(html: bytes) -> str:
    """The page's text with every whitespace character removed."""
    parser = PageText()
    parser.feed(html.decode("utf-8"))
    return "".join("".join(parser.seen).split())


def lookup(line: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(line, dict):
            return None
        line = line.get(part)
    return line


def cell(value: Any) -> str:
    """JSON for structures, empty for null; a formula-looking cell gets a leading apostrophe."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict | list):
        text = json.dumps(value, sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def jcs(value: object) -> object:
    """RFC 8785 member order (UTF-16 code units); manifests hold no floats."""
    if isinstance(value, dict):
        return {k: jcs(value[k]) for k in sorted(value, key=lambda k: k.encode("utf-16-be"))}
    if isinstance(value, list):
        return [jcs(v) for v in value]
    return value


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def time_text(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--public-key", action="append", default=[])
    parser.add_argument("--witness-key", action="append", default=[])
    parser.add_argument("--checkpoint", action="append", default=[])
    parser.add_argument("--origin")
    parser.add_argument("--allow-unanchored", action="store_true")
    parser.add_argument("--min-retention-days", type=int, default=2555)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        run = Run(Path(args.directory), args)
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read a key: {exc}", file=sys.stderr)
        return 2
    try:
        status = run.run()
    except SystemExit as stop:
        status = "invalid" if stop.code == EXIT["invalid"] else "unreadable"
    except (OSError, ValueError) as exc:
        run.error("unreadable", str(exc)[:160])
        status = "invalid"
    if args.json:
        print(json.dumps({"status": status, "anchors": run.anchors, "findings": [list(f) for f in run.findings]}))
    else:
        print(status.upper(), "anchored to", "; ".join(run.anchors) or "nothing outside the directory")
        for severity, code, where in run.findings:
            print(f"  {severity.upper()} {code} at {where}")
    return EXIT[status]


if __name__ == "__main__":
    sys.exit(main())
