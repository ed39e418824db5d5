"""The shared Typer app and the error guard every command uses."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from flok.errors import FlokError, InfeasibleError

app = typer.Typer(
    name="flok",
    help="Flok: capacity-aware matching.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def guarded(func: F) -> F:
    """Turn Flok errors into one line on stderr and exit code 2 (input) or 3 (infeasible)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InfeasibleError as exc:
            print(f"flok: infeasible: {exc.one_line()}", file=sys.stderr)
            raise typer.Exit(3) from None
        except FlokError as exc:
            print(f"flok: error: {exc}", file=sys.stderr)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def info(message: str, *, to_stderr: bool = False) -> None:
    print(message, file=sys.stderr if to_stderr else sys.stdout)
