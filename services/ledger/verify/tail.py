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
    out: list[Finding] = []
    largest = max(roots, default=0)
    for key in keys:
        try:
            signed = open_note(witness.get(key), ring)
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
        cp = signed.checkpoint
        if origin is not None and cp.origin != origin:
            out.append(Finding("witness-origin", f"witness {key}", origin, cp.origin))
            continue
        if cp.size > largest:
            out.append(
                Finding(
                    "tail-truncated",
                    f"witness {key}",
                    f"tree size >= {cp.size}",
                    f"tree size {largest}",
                    "the witness saw a longer log than the store holds",
                )
            )
        elif cp.size in roots and roots[cp.size] != cp.root:
            out.append(
                Finding(
                    "witness-root-mismatch",
                    f"witness {key}",
                    roots[cp.size].hex(),
                    cp.root.hex(),
                    "the log was rewritten after the witness saw it",
                )
            )
        elif cp.size not in roots:
            out.append(
                Finding(
                    "witness-size-unknown", f"witness {key}", "a size at a segment boundary", str(cp.size)
                )
            )
    return out
