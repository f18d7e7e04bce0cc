"""``accessreview collect``: one collection run, exported and/or published."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
