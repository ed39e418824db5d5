"""The house rules that import-linter cannot express: no private module of another package.

The layer contract itself (which layer may import which, no cycles) is checked by
``lint-imports`` in ``make lint``; see docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "flok"


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return out


def test_no_private_module_of_a_third_party_package_is_imported() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        for line, name in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            parts = name.split(".")
            if parts[0] == "flok" or parts[0] == "__future__":
                continue
            # A leading underscore marks a private module (e.g. scipy.optimize._highspy);
            # names inside a public module (``from x import _y``) are caught the same way.
            if any(p.startswith("_") and not p.startswith("__") for p in parts[1:]):
                offenders.append(f"{path.relative_to(SRC.parent)}:{line}: {name}")
    assert not offenders, "private modules of other packages imported:\n" + "\n".join(offenders)


def test_the_check_itself_sees_a_private_import() -> None:
    tree = ast.parse("from scipy.optimize._highspy import _core as hs\nimport numpy as np\n")
    names = [n for _, n in _imported_modules(tree)]
    assert "scipy.optimize._highspy" in names and "numpy" in names
