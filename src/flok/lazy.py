"""Package attributes that load their module on first use (PEP 562), for a light ``import``.

``import flok`` (or ``flok.pulse``, ``flok.sim``) used to pull in NumPy, pyarrow, SciPy and
OR-Tools before any work (1.3 s, issue 19). A package lists its public names here instead and
imports them under ``TYPE_CHECKING`` for type checkers; the module behind a name loads the
first time the name is read.

A lazy name must not also be a submodule's name (``flok.pulse`` has both a module ``market`` and
a function ``market``): importing the submodule sets the package attribute to the module, and
the function would never be looked up. :func:`lazy_exports` refuses such a name; that package
keeps its eager imports.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    namespace: dict[str, Any], names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose ``names`` map to ``module[:attr]``."""
    package = namespace["__name__"]
    clashes = [n for n in names if importlib.util.find_spec(f"{package}.{n}") is not None]
    if clashes:
        raise ValueError(f"{package}: lazy names that are also submodules: {', '.join(clashes)}")

    def __getattr__(name: str) -> Any:
        target = names.get(name)
        if target is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        module, _, attr = target.partition(":")
        value = getattr(importlib.import_module(module), attr or name)
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *names})

    return __getattr__, __dir__
