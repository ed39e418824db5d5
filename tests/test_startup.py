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


NUMERICAL = ("numpy", "pyarrow", "scipy", "ortools", "sklearn", "matplotlib", "pandas")
SERVICE = ("sqlalchemy", "fastapi", "starlette", "jinja2", "uvicorn", "procrastinate", "psycopg", "alembic")
HEAVY = (*NUMERICAL, *SERVICE, "pydantic")


def _loaded_after(code: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """The ``heavy`` modules in ``sys.modules`` once ``code`` has run (its own output ignored)."""
    out = _run(
        "import json, sys\n"
        f"{code}\n"
        f"print('\\nLOADED=' + json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    return json.loads(out.rpartition("LOADED=")[2])


def _help(*args: str) -> str:
    """Code printing ``flok ARGS --help`` the way the console script does (help exits 0)."""
    return (
        "import sys\n"
        f"sys.argv = ['flok', *{list(args)!r}, '--help']\n"
        "from flok.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code"
    )


def test_import_flok_loads_no_numerical_library() -> None:
    assert _loaded_after("import flok") == []


def test_the_command_line_and_its_help_load_no_engine() -> None:
    """``flok --help`` answered in well under a second only if nothing heavy loads (issue 19)."""
    assert _loaded_after("import flok.cli.main") == []
    assert _loaded_after(_help()) == []


def test_command_help_loads_no_engine_and_still_lists_the_rule_flags() -> None:
    """The rule registry gives ``flok allocate`` its flags without NumPy (Typer brings pydantic)."""
    code = _help("allocate")
    assert _loaded_after(code, (*NUMERICAL, *SERVICE)) == []
    text = _run(code)
    for flag in ("--forced", "--quotas", "--capacity-groups", "--group-mode", "--category-limit"):
        assert flag in text
    for command in ("simulate", "pulse", "rebalance", "circles"):
        assert _loaded_after(_help(command), (*NUMERICAL, *SERVICE)) == []


def test_help_defaults_are_the_engines_own() -> None:
    """The defaults --help shows are spelled in flok.cli.defaults; they must be the engine's."""
    from flok.cli import defaults
    from flok.pulse import PulseConfig
    from flok.sim.policies import POLICIES

    config = PulseConfig()
    assert (
        config.tau_hours,
        config.k,
        config.lam,
        config.lead_hours,
    ) == (defaults.TAU_HOURS, defaults.K, defaults.LAM, defaults.LEAD_HOURS)
    assert tuple(POLICIES) == defaults.POLICY_NAMES


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
