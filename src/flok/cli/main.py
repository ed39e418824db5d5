"""Entry point of the ``flok`` command: importing a command module registers its commands."""

from __future__ import annotations

import contextlib
import logging
import os
import sys

from flok.cli import allocate as _allocate  # noqa: F401
from flok.cli import bench as _bench  # noqa: F401
from flok.cli import circles as _circles  # noqa: F401
from flok.cli import demo as _demo  # noqa: F401
from flok.cli import explain as _explain  # noqa: F401
from flok.cli import imports as _imports  # noqa: F401
from flok.cli import keys as _keys  # noqa: F401
from flok.cli import pulse as _pulse  # noqa: F401
from flok.cli import serve as _serve  # noqa: F401
from flok.cli import simulate as _simulate  # noqa: F401
from flok.cli import worker as _worker  # noqa: F401
from flok.cli.app import app

# Native solvers whose thread pools live in C++ globals (OR-Tools' CP-SAT, HiGHS inside SciPy).
_NATIVE = ("ortools", "scipy.optimize")


def main() -> None:
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exit_code(exc.code)
    leave(code)


def exit_code(code: object) -> int:
    """``SystemExit``'s code as the process's: None is 0, a message is printed and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(code: int) -> None:
    """End the process with ``code``; after a native solver was loaded, without C++ teardown.

    Issue 16 saw rare ``terminate called without an active exception`` aborts (exit 134) at the
    end of ``flok circles`` runs. That message is std::terminate from a C++ destructor of a thread
    still joinable: a solver's worker-thread pool held in a static, destroyed during interpreter
    exit while its threads wait. Everything Flok writes is closed and flushed by then, so once a
    native solver is loaded the process ends with ``os._exit`` after flushing Python's streams and
    logs: the static destructors never run, and the exit code is the command's own.
    """
    if not any(name in sys.modules for name in _NATIVE):
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (``| head``): nothing to say
            stream.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    main()
