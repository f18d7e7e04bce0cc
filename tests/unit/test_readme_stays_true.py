"""The README's commands, targets and configuration reference match the code."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from services.cli.main import app
from services.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    # AR_TEST_* choose the test suite's real parts (tests/support/infra.py); they are not product settings
    documented = {v for v in re.findall(r"`(AR_[A-Z0-9_]+)`", README) if not v.startswith("AR_TEST_")}
    declared = {f"AR_{name.upper()}" for name in Settings.model_fields}
    assert declared - documented == set(), "settings missing from the README"
    assert documented - declared == set(), "README documents settings that do not exist"


def test_documented_test_variables_are_read_by_the_suite() -> None:
    support = "".join(p.read_text() for p in (ROOT / "tests").rglob("*.py"))
    for variable in set(re.findall(r"`(AR_TEST_[A-Z0-9_]+)", README)):
        assert f'"{variable}"' in support, f"{variable} is in the README but no test reads it"


def test_readme_commands_exist() -> None:
    runner = CliRunner()
    block = README.split("## Command line", 1)[1].split("```", 2)[1]
    for line in block.strip().splitlines()[1:]:
        words = line.split()[1:]
        command = [w for w in words[:2] if re.fullmatch(r"[a-z-]+(\|[a-z-]+)*", w)]
        for variant in command[-1].split("|") if len(command) == 2 else [None]:
            args = [command[0], variant] if variant else command[:1]
            result = runner.invoke(app, [*args, "--help"])
            assert result.exit_code == 0, f"accessreview {' '.join(args)}: {result.output}"


def test_readme_make_targets_exist() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.M))
    for target in set(re.findall(r"make ([a-z-]+)", README)):
        assert target in targets, f"make {target} is in the README but not the Makefile"


def test_make_help_lists_the_two_commands() -> None:
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "demo" in out and "test" in out


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()
