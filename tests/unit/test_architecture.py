"""The structure stays as docs/architecture.md describes it: Alembic owns every table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_table_is_created_outside_the_migrations() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "services").rglob("*.py")
        if "migrations" not in path.parts and "create_all(" in path.read_text()
    ]
    assert offenders == [], f"tables created outside Alembic: {offenders}"


ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()


def test_every_path_the_architecture_names_exists() -> None:
    paths = set(re.findall(r"`((?:services|tests|schemas|docs|deploy|bench)/[^`*<>]+?)`", ARCHITECTURE))
    assert len(paths) > 15
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == [], f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_command_the_architecture_names_runs_with_help() -> None:
    from typer.testing import CliRunner

    from services.cli.main import app

    commands = set(re.findall(r"`accessreview ([a-z-]+(?: [a-z|-]+)?)`", ARCHITECTURE))
    assert commands
    runner = CliRunner()
    for command in commands:
        group, _, subs = command.partition(" ")
        for sub in subs.split(" | ") if "|" in subs else [subs]:
            args = [group, *([sub.strip()] if sub.strip() else [])]
            result = runner.invoke(app, [*args, "--help"])
            assert result.exit_code == 0, f"accessreview {' '.join(args)}: {result.output}"


def test_every_layer_the_architecture_names_is_in_a_contract() -> None:
    contracts = (ROOT / "pyproject.toml").read_text().split("[tool.importlinter]", 1)[1]
    for layer in re.findall(r"^\d\. (`services\.[a-z]+`.*)$", ARCHITECTURE, re.M):
        for module in re.findall(r"`(services\.[a-z]+)`", layer):
            assert f'"{module}' in contracts or f"| {module}" in contracts, f"{module} is in no import-linter contract"


SERVICES = ("collector", "campaign", "notifier", "ledger")


def test_every_service_has_the_same_skeleton() -> None:
    import importlib

    for name in SERVICES:
        package = ROOT / "services" / name
        missing = [f for f in ("service.py", "wiring.py", "cli.py") if not (package / f).exists()]
        assert missing == [], f"services/{name} lacks {missing}"
        assert callable(importlib.import_module(f"services.{name}.service").run)
        wiring = importlib.import_module(f"services.{name}.wiring")
        assert callable(getattr(wiring, "build_deps", None) or getattr(wiring, "build_writer", None))
