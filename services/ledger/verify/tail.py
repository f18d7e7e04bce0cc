"""Tail truncation (reference check 9): only a fresher checkpoint kept elsewhere reveals deleted
newest segments. Compares every witness checkpoint with the roots the verifier recomputed."""

from __future__ import annotations

from services.core.errors import NotFoundError
from services.ledger import layout
from services.ledger.checkpoint import CheckpointError, open_note
from services.ledger.keys import KeyRing
from services.ledger.stores import Store
from services.ledger.verify.findings import Finding


def check_store_tail(store_checkpoints: list[int], manifests: list[int]) -> list[Finding]:
    """Checkpoints in the store beyond the newest manifest: the tail was removed after sealing."""
    newest = max(manifests, default=-1)
    beyond = [n for n in store_checkpoints if n > newest]
    if beyond:
        return [
            Finding(
                "tail-truncated",
                f"checkpoint {max(beyond)}",
                f"manifests up to {max(beyond)}",
                f"manifests up to {newest}",
                "the store's own checkpoints outlive the segments",
            )
        ]
    return []


def check_witness_at(note: bytes, n: int, size: int, root: bytes, origin: str | None, ring: KeyRing) -> list[Finding]:
    """The witness's copy of checkpoint n must name the tree the verifier recomputed after segment n."""
    where = f"witness {layout.checkpoint_key(n)}"
    try:
        cp = open_note(note, ring).checkpoint
    except CheckpointError as exc:
        return [Finding(exc.code.replace("checkpoint", "witness"), where, "a trusted checkpoint", str(exc))]
    if origin is not None and cp.origin != origin:
        return [Finding("witness-origin", where, origin, cp.origin)]
    if cp.size != size:
        return [Finding("witness-size-unknown", where, f"size {size}", f"size {cp.size}")]
    if cp.root != root:
        return [
            Finding(
                "witness-root-mismatch",
                where,
                root.hex(),
                cp.root.hex(),
                "the log was rewritten after the witness saw it",
            )
        ]
    return []


def check_witness_beyond(witness: Store, total: int, size: int, origin: str | None, ring: KeyRing) -> list[Finding]:
    """Witness checkpoints numbered past the store's last manifest: the witness saw a longer log."""
    out: list[Finding] = []
    for key in witness.list(layout.CHECKPOINTS):
        n = layout.number_of(key)
        if n is None or n < total:
            continue
        try:
            cp = open_note(witness.get(key), ring).checkpoint
        except NotFoundError:
            continue
        except CheckpointError as exc:
            out.append(
                Finding(
                    exc.code.replace("checkpoint", "witness"),
                    f"witness {key}",
                    "a trusted checkpoint",
                    str(exc),
                )
            )
            continue
        if origin is not None and cp.origin != origin:
            out.append(Finding("witness-origin", f"witness {key}", origin, cp.origin))
        elif cp.size > size:
            out.append(
                Finding(
                    "tail-truncated",
                    f"witness {key}",
                    f"tree size >= {cp.size}",
                    f"tree size {size}",
                    "the witness saw a longer log than the store holds",
                )
            )
        else:
            out.append(
                Finding(
                    "witness-size-unknown",
                    f"witness {key}",
                    f"a checkpoint up to segment {total - 1}",
                    f"checkpoint {n} of size {cp.size}",
                )
            )
    return out
