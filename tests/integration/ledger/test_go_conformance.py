"""Cross-implementation conformance: tests/conformance/ledger-go, a Go program built on
golang.org/x/mod/sumdb/note (signed notes) and github.com/transparency-dev/merkle (RFC 6962/9162),
checks a ledger our writer made: every leaf rehashed from the Avro segments, every checkpoint's
signature, origin, size and root, and inclusion/consistency proofs made by our Python code.

Go is required in CI (CI=true); elsewhere the module is skipped when there is no ``go``.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.ledger import layout, merkle, segment, writer
from services.ledger.checkpoint import Checkpoint, parse
from services.ledger.keys import Ed25519Signer, PublicKey
from services.ledger.proofs import prove
from services.ledger.reading import iter_entries, leaf_stream
from services.ledger.stores import Store
from tests.unit.ledger.helpers import ORIGIN, build_ledger

pytestmark = pytest.mark.integration

GO_PROGRAM = Path(__file__).resolve().parents[2] / "conformance" / "ledger-go"
GO_FALLBACK = "/usr/local/go/bin/go"  # where the machine image installs Go, for a PATH without it
SEGMENTS, PER_SEGMENT, SAMPLES = 5, 20, 8  # 100 events + 1 dead letter → 6 sealed segments
SUMMARY = re.compile(
    r"segments (\d+), entries (\d+) rehashed; checkpoints (\d+) verified, inclusion (\d+) verified, consistency (\d+) verified"
)


def _go() -> str:
    go = shutil.which("go") or (GO_FALLBACK if os.access(GO_FALLBACK, os.X_OK) else None)
    if go is None:
        message = "the Go conformance check of the ledger needs the Go toolchain (go on PATH), which is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI requires Go")
        pytest.skip(message)
    return go


@pytest.fixture(scope="module")
def ledger_go(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go program, built once (module and build caches are the user's, so rebuilds are quick)."""
    binary = tmp_path_factory.mktemp("ledger-go") / "ledger-go"
    flags = " ".join(filter(None, [os.environ.get("GOFLAGS", ""), "-mod=mod", "-buildvcs=false"]))
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": flags}
    built = subprocess.run(
        [_go(), "build", "-o", str(binary), "."], cwd=GO_PROGRAM, env=env, capture_output=True, text=True, timeout=300
    )
    if built.returncode != 0:
        pytest.fail(f"go build of {GO_PROGRAM} failed:\n{built.stdout}{built.stderr}")
    return binary


@dataclass
class Made:
    store: Path
    signer: Ed25519Signer
    vkey: str  # the public key as a note verifier key
    key_json: Path  # the public key as our keys/ JSON, kept outside the store
    proofs: dict
    inclusion: int
    consistency: int


def verifier_key(key: PublicKey) -> str:
    """name+keyid+base64(0x01 ‖ key), the form x/mod's note.NewVerifier reads."""
    encoded = base64.b64encode(b"\x01" + key.public_key).decode()
    return f"{key.name}+{key.key_id}+{encoded}"


def make_proofs(store: Store) -> tuple[dict, int, int]:
    """Inclusion proofs of sampled entries against every checkpoint (both of our proof builders),
    and consistency proofs between successive checkpoints, all made by our Python code."""
    entries = list(iter_entries(store))
    headers: dict = {}
    inclusion, sizes = [], []
    for n, key in enumerate(store.list(layout.CHECKPOINTS)):
        note = store.get(key)
        size = parse(note)[0].size
        sizes.append(size)
        picks, rng = {0, 4, size - 1}, random.Random(n)  # seq 4 is the dead letter
        while len(picks) < SAMPLES:
            picks.add(rng.randrange(size))
        tree = merkle.LeafTree(list(leaf_stream(store, size))) if n % 2 else None  # else streamed proofs
        for seq in sorted(picks):
            entry = entries[seq]
            event_id = entry.event.event_id if entry.event else f"dead-letter-{seq}"
            inclusion.append(prove(store, event_id, found=entry, tree=tree, checkpoint=(note, size), headers=headers))
    consistency = [
        {
            "old_size": old,
            "new_size": new,
            "proof": [p.hex() for p in merkle.consistency_proof(old, new, leaf_stream(store, new))],
        }
        for old, new in zip(sizes, sizes[1:], strict=False)
    ]
    return {"inclusion": inclusion, "consistency": consistency}, len(inclusion), len(consistency)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    root = tmp_path_factory.mktemp("conformance")
    ledger = build_ledger(root, segments=SEGMENTS, per_segment=PER_SEGMENT)
    key_json = root / "auditor" / "ledger.pub.json"
    key_json.parent.mkdir()
    key_json.write_text(json.dumps(ledger.signer.public.to_json()))
    proofs, inclusion, consistency = make_proofs(ledger.store)
    return Made(root / "store", ledger.signer, verifier_key(ledger.signer.public), key_json, proofs, inclusion, consistency)


def run(binary: Path, store: Path, key: str, proofs: dict, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "proofs.json"
    path.write_text(json.dumps(proofs))
    cmd = [str(binary), "-store", str(store), "-key", key, "-origin", ORIGIN, "-proofs", str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def counts(result: subprocess.CompletedProcess[str]) -> tuple[int, ...]:
    match = SUMMARY.search(result.stdout)
    assert match, f"no summary line in {result.stdout!r} {result.stderr!r}"
    return tuple(int(g) for g in match.groups())


def tampered_copy(made: Made, tmp_path: Path) -> Path:
    store = tmp_path / "store"
    shutil.copytree(made.store, store)
    for path in store.rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    return store


def test_go_verifies_our_ledger_with_a_verifier_key(ledger_go: Path, made: Made, tmp_path: Path) -> None:
    result = run(ledger_go, made.store, made.vkey, made.proofs, tmp_path)
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stderr
    assert counts(result) == (SEGMENTS + 1, SEGMENTS * PER_SEGMENT + 1, SEGMENTS + 1, made.inclusion, made.consistency)
    assert made.inclusion == (SEGMENTS + 1) * SAMPLES and made.consistency == SEGMENTS


def test_go_verifies_our_ledger_with_our_key_json(ledger_go: Path, made: Made, tmp_path: Path) -> None:
    """The key id in our JSON must be the one x/mod derives (SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4])."""
    result = run(ledger_go, made.store, str(made.key_json), made.proofs, tmp_path)
    assert result.returncode == 0, result.stderr
    assert counts(result)[2:] == (SEGMENTS + 1, made.inclusion, made.consistency)


def test_go_rejects_every_checkpoint_under_a_wrong_key(ledger_go: Path, made: Made, tmp_path: Path) -> None:
    wrong = Ed25519Signer.generate(made.signer.public.name, "2020-01-01T00:00:00Z")  # same name, other key
    result = run(ledger_go, made.store, verifier_key(wrong.public), made.proofs, tmp_path)
    assert result.returncode == 1
    assert counts(result)[2:] == (0, 0, 0)
    assert "FAIL checkpoint-signature checkpoints/0000000000.txt: note has no verifiable signatures" in result.stderr


def test_go_rejects_a_flipped_checkpoint_byte(ledger_go: Path, made: Made, tmp_path: Path) -> None:
    store = tampered_copy(made, tmp_path)
    path = store / layout.checkpoint_key(2)
    data = bytearray(path.read_bytes())
    data[data.index(b"\n", data.index(b"\n") + 1) + 5] ^= 0x01  # a character of the root line
    path.write_bytes(bytes(data))
    result = run(ledger_go, store, made.vkey, made.proofs, tmp_path)
    assert result.returncode == 1
    expected = f"FAIL checkpoint-signature checkpoints/0000000002.txt: invalid signature for key {made.signer.public.name}+"
    assert expected in result.stderr
    assert counts(result)[2] == SEGMENTS  # the other checkpoints still verify


def test_go_recomputes_the_root_rather_than_trusting_a_signed_one(ledger_go: Path, made: Made, tmp_path: Path) -> None:
    """An insider re-signs checkpoint 3 with the real key over a wrong root: the signature verifies,
    the root does not match the tree Go rebuilt from the entries."""
    store = tampered_copy(made, tmp_path)
    path = store / layout.checkpoint_key(3)
    honest = parse(path.read_bytes())[0]
    path.write_bytes(Checkpoint(honest.origin, honest.size, bytes(32)).sign(made.signer))
    result = run(ledger_go, store, made.vkey, made.proofs, tmp_path)
    assert result.returncode == 1
    assert f"FAIL checkpoint-root checkpoints/0000000003.txt: root {'00' * 32}, recomputed {honest.root.hex()}" in result.stderr


def test_go_rejects_tampered_proofs(ledger_go: Path, made: Made, tmp_path: Path) -> None:
    proofs = json.loads(json.dumps(made.proofs))
    first = proofs["inclusion"][SAMPLES]  # a proof against a tree of several levels
    first["proof"][0] = ("%02x" % (int(first["proof"][0][:2], 16) ^ 1)) + first["proof"][0][2:]
    proofs["inclusion"][SAMPLES + 1]["entry_b64"] = proofs["inclusion"][SAMPLES + 2]["entry_b64"]  # entry swapped
    proofs["consistency"][1]["proof"].pop()
    result = run(ledger_go, made.store, made.vkey, proofs, tmp_path)
    assert result.returncode == 1
    failures = [line.split(":")[0] for line in result.stderr.splitlines() if line.startswith("FAIL")]
    assert failures == [
        f"FAIL inclusion inclusion[{SAMPLES}] seq {first['seq']}",
        f"FAIL proof-entry inclusion[{SAMPLES + 1}] seq {proofs['inclusion'][SAMPLES + 1]['seq']}",
        "FAIL consistency consistency[1] 40→60",
    ]
    assert counts(result)[2:] == (SEGMENTS + 1, made.inclusion - 2, made.consistency - 1)


def test_go_reads_deflate_segments_of_several_batches(ledger_go: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments of more than one container record (4096 entries a batch), in the fallback codec."""
    monkeypatch.setattr(segment, "CODEC", "deflate")  # what the segment is written with
    monkeypatch.setattr(writer, "CODEC", "deflate")  # what the manifest says it is
    ledger = build_ledger(tmp_path / "big", segments=2, per_segment=segment.BATCH_ENTRIES + 100)
    result = run(ledger_go, tmp_path / "big" / "store", verifier_key(ledger.signer.public), {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert counts(result) == (3, 2 * (segment.BATCH_ENTRIES + 100) + 1, 3, 0, 0)


@pytest.fixture(scope="module")
def witnessed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.unit.ledger.witnessed import build_witnessed_ledger

    root = tmp_path_factory.mktemp("witnessed")
    led = build_witnessed_ledger(root, segments=3, per_segment=10)
    keys = root / "auditor"
    keys.mkdir()
    (keys / "ledger.pub.json").write_text(json.dumps(led.signer.public.to_json()))
    (keys / "witness.pub.json").write_text(json.dumps(led.witness_signer.public.to_json()))
    return led, keys


def run_witnessed(binary: Path, store: Path, keys: Path) -> subprocess.CompletedProcess[str]:
    cmd = [
        str(binary),
        "-store",
        str(store),
        "-key",
        str(keys / "ledger.pub.json"),
        "-witness-key",
        str(keys / "witness.pub.json"),
    ]
    return subprocess.run([*cmd, "-origin", ORIGIN], capture_output=True, text=True, timeout=60)


def test_go_verifies_our_cosignatures_with_transparency_dev_formats(ledger_go: Path, witnessed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """transparency-dev/formats' cosignature/v1 verifier (key hash type 0x04, timestamp ‖ signature
    over "cosignature/v1\\ntime T\\n" + body) accepts every witnessed checkpoint our witness made."""
    led, keys = witnessed
    result = run_witnessed(ledger_go, led.root / "store", keys)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "; cosigned 3 verified" in result.stdout
    assert "cosigned (tree size@witness time): 10@2026-06-01T00:00:00Z 20@2026-06-01T00:01:00Z" in result.stdout


def test_go_rejects_a_tampered_cosignature(ledger_go: Path, witnessed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    led, keys = witnessed
    store = tmp_path / "store"
    shutil.copytree(led.root / "store", store)
    path = store / layout.witnessed_key(1)
    path.chmod(0o644)
    text = path.read_text().rstrip("\n")
    head, _, last = text.rpartition("\n")
    name, _, blob = last.rpartition(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    path.write_text(f"{head}\n{name} {base64.b64encode(bytes(raw)).decode()}\n")
    result = run_witnessed(ledger_go, store, keys)
    assert result.returncode == 1
    assert "FAIL cosignature witnessed/0000000001.txt" in result.stderr and "; cosigned 2 verified" in result.stdout
