"""Tail truncation (reference check 9): only a fresher checkpoint kept elsewhere reveals deleted
newest segments. Compares every witness checkpoint with the roots the verifier recomputed."""

from __future__ import annotations

from services.core.errors import NotFoundError
from services.ledger import layout
from services.ledger.checkpoint import CheckpointError, open_note
from services.ledger.keys import KeyRing
from services.ledger.stores import Store
from services.ledger.verify.findings import WARNING, Finding


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


def check_witness(
    witness: Store | None, roots: dict[int, bytes], origin: str | None, ring: KeyRing
) -> list[Finding]:
    """Every witness checkpoint must match a recomputed root at the same size; a larger size means truncation."""
    if witness is None:
        return [
            Finding(
                "no-witness",
                "verify",
                "a witness store",
                "none given",
                "deleting the newest segments and checkpoints together would go unnoticed",
                WARNING,
            )
        ]
    keys = [k for k in witness.list(layout.CHECKPOINTS) if layout.number_of(k) is not None]
    if not keys:
        return [Finding("witness-empty", witness.url, "checkpoints", "none", severity=WARNING)]
    largest = max(roots, default=0)
    out: list[Finding] = []
    for key in keys:
        out += _check_witness_checkpoint(witness, key, roots, largest, origin, ring)
    return out


def _check_witness_checkpoint(
    witness: Store, key: str, roots: dict[int, bytes], largest: int, origin: str | None, ring: KeyRing
) -> list[Finding]:
    where = f"witness {key}"
    try:
        signed = open_note(witness.get(key), ring)
    except NotFoundError:
        return []
    except CheckpointError as exc:
        return [Finding(exc.code.replace("checkpoint", "witness"), where, "a trusted checkpoint", str(exc))]
    cp = signed.checkpoint
    if origin is not None and cp.origin != origin:
        return [Finding("witness-origin", where, origin, cp.origin)]
    if cp.size > largest:
        return [
            Finding(
                "tail-truncated",
                where,
                f"tree size >= {cp.size}",
                f"tree size {largest}",
                "the witness saw a longer log than the store holds",
            )
        ]
    if cp.size not in roots:
        return [Finding("witness-size-unknown", where, "a size at a segment boundary", str(cp.size))]
    if roots[cp.size] != cp.root:
        return [
            Finding(
                "witness-root-mismatch",
                where,
                roots[cp.size].hex(),
                cp.root.hex(),
                "the log was rewritten after the witness saw it",
            )
        ]
    return []
