"""Entry point of the ``flok`` command: importing a command module registers its commands."""

from __future__ import annotations

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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
