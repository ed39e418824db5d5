"""``import flok`` stays light (issue 19), and the rule registry still loads when it is needed.

Each check runs in a fresh interpreter: in this process the test suite has imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_flok_loads_no_numerical_library() -> None:
    heavy = ("numpy", "pyarrow", "scipy", "ortools", "sklearn", "matplotlib", "pandas")
    loaded = _run(f"import sys, json, flok; print(json.dumps([m for m in {heavy!r} if m in sys.modules]))")
    assert json.loads(loaded) == []


def test_the_public_names_still_work_on_first_use() -> None:
    out = _run(
        "import flok\n"
        "p = flok.Problem.from_records(opportunities=[{'opportunity_id': 'A', 'capacity': 1}],"
        " preferences=[{'participant_id': 'x', 'opportunity_id': 'A', 'rank': 1}])\n"
        "print(flok.allocate(p).assignments(), sorted(set(dir(flok)) >= set(flok.__all__) for _ in [0]))"
    )
    assert out == "[('x', 'A')] [True]"


def test_rule_options_parse_without_importing_the_engine_first() -> None:
    """The rules register their parsers when first needed, not as a side effect of ``import flok``."""
    out = _run(
        "from flok.model import Options\n"
        "o = Options.from_mapping({'forced': [['a', 'b']], 'category_limit': 1})\n"
        "print(o.forced, o.to_dict()['category_limit'])"
    )
    assert out.startswith("(('a', 'b'),)")
