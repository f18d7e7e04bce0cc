"""The one place errors become exit codes and one-line messages on the terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console

from services.core.errors import AccessReviewError

err_console = Console(stderr=True)

# exit codes: 0 ok; 1 failure of the checked thing (e.g. integrity); 2 usage/config;
# 3 a dependency unreachable; 4 not found; 5 conflict; 6 not allowed; 130 interrupted.


def run_cli(app: Callable[..., Any]) -> None:
    try:
        code = app(standalone_mode=False)
    except AccessReviewError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)
