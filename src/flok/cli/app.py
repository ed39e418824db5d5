"""The shared Typer app and the error guard every command uses."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import TyperException

from flok.errors import FlokError, InfeasibleError, SolverError, UnavailableError

EXIT_INPUT, EXIT_INFEASIBLE, EXIT_INTERNAL = 2, 3, 4
# A time-limited solve that found nothing better than the empty allocation: the outputs are
# written (status "feasible", found_nothing: true) but a script must not mistake them for a result.
EXIT_NOTHING_FOUND = 5
# The database is unreachable or cannot store (a worker that lost it exits so; restart later).
EXIT_UNAVAILABLE = 6
# The reader of stdout went away (``| head``): 128 + SIGPIPE, as a shell tool ends.
EXIT_BROKEN_PIPE = 141
REPORT = "this is Flok's fault, not your input; please report it with the command you ran"

app = typer.Typer(
    name="flok",
    help="Flok: capacity-aware matching.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def _print_version(value: bool) -> None:
    if value:
        import flok

        print(f"flok {flok.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print Flok's version and exit.", callback=_print_version, is_eager=True
    ),
) -> None:
    """Flok: capacity-aware matching."""


def guarded(func: F) -> F:
    """Every error as one line on stderr, never a traceback: exit 2 for bad input, 3 for an
    infeasible problem, 4 for Flok's own failure (a solver defect or an unexpected exception).
    Exit 5 (nothing found within the time limit) is raised by ``flok allocate`` itself."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (TyperException, typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise  # usage errors and exits keep click's own handling (exit 2 with the usage line)
        except InfeasibleError as exc:
            print(f"flok: infeasible: {exc.one_line()}", file=sys.stderr)
            raise typer.Exit(EXIT_INFEASIBLE) from None
        except SolverError as exc:
            print(f"flok: internal error: {exc} ({REPORT})", file=sys.stderr)
            raise typer.Exit(EXIT_INTERNAL) from None
        except UnavailableError as exc:
            print(f"flok: database unavailable: {exc}", file=sys.stderr)
            raise typer.Exit(EXIT_UNAVAILABLE) from None
        except FlokError as exc:
            print(f"flok: error: {exc}", file=sys.stderr)
            raise typer.Exit(EXIT_INPUT) from None
        except BrokenPipeError:
            # The reader left (``flok … --out - | head``): not a failure to report. Like any
            # shell tool stopped by SIGPIPE, end with 128 + 13 and no message; stdout goes to
            # /dev/null so the interpreter's last flush does not fail again.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except Exception as exc:  # the last line of defence: one line, its own exit code
            print(f"flok: internal error: {type(exc).__name__}: {exc} ({REPORT})", file=sys.stderr)
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


class _OneLineParse:
    """Usage errors (a flag's bad value, an unknown flag, a missing option) as one line
    ``flok: error: ...`` with exit 2, like every other bad input, not a boxed panel."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc]
        except Exception as exc:
            # Typer vendors click privately; its UsageError is the one exception here with a
            # usage exit code (2) and a message, so recognise it by those, not by a private import.
            if getattr(exc, "exit_code", None) != EXIT_INPUT or not hasattr(exc, "format_message"):
                raise
            message = " ".join(exc.format_message().split())
            print(f"flok: error: {message} (see {ctx.command_path} --help)", file=sys.stderr)
            raise typer.Exit(EXIT_INPUT) from None


class OneLineUsage(_OneLineParse, TyperCommand):
    """A command with one-line usage errors (see ``_OneLineParse``)."""


class OneLineUsageGroup(_OneLineParse, TyperGroup):
    """A command group (``flok pulse`` and its subcommands) with one-line usage errors."""


def info(message: str, *, to_stderr: bool = False) -> None:
    print(message, file=sys.stderr if to_stderr else sys.stdout)
