"""What a side rule is: its user-facing surface, its rows, its independent check, its words.

A side rule is one module in this package exposing ``RULE``. Everything Flok does with the
rule goes through the :class:`Rule` record, so adding a rule means writing its module and
adding one line to ``RULES`` in ``__init__``:

- ``options``: the JSON ``options`` keys it reads, each with a parser raising the precise
  ``InputError(source, field)`` (registered into ``flok.options`` when this package loads);
- ``cli``: the ``flok allocate`` flags (a value, or a file read by a named ``flok.io`` reader);
- ``form``: the dashboard's constraint keys;
- ``build``: its rows of the linear model (solvers only);
- ``check``: its verification, written without ``build``'s code so a modelling slip shows up;
- ``reason`` / ``conflicts``: its words in explanations and in infeasibility messages.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from flok.errors import InputError

if TYPE_CHECKING:  # numpy and the model load when a rule runs, not for `flok --help`
    import numpy as np

    from flok.model import Problem


class Pairs(Protocol):
    """The model's candidate (participant, opportunity) pairs, one binary variable each."""

    @property
    def participant(self) -> np.ndarray: ...

    @property
    def opportunity(self) -> np.ndarray: ...


class LinearModel(Protocol):
    """What a rule writes its rows to: the solvers' linear model, seen structurally.

    A protocol rather than an import: the model's module builds by running the rules, so the
    rules naming it back would be an import cycle.
    """

    runs: dict[int, int]  # opportunity -> its "runs" variable, shared by the rules that need it
    together: list[tuple[int, str]]  # soft-group "sit together" variables, priced by the objective

    @property
    def pairs(self) -> Pairs: ...

    def var(self, lo: int = 0, hi: int = 1) -> int: ...

    def row(
        self,
        idx: list[int] | np.ndarray,
        coef: list[float] | np.ndarray,
        lo: float = ...,
        hi: float = ...,
        rule: str | None = None,
    ) -> None: ...


OptionParser = Callable[[Any, str, str], Any]
"""(raw JSON value, source, key) -> the Options field value; raises InputError(source, field=key)."""


@dataclass(frozen=True)
class OptionField:
    """One JSON ``options`` key the rule owns; ``key`` is also the ``Options`` field name.

    ``to_json`` writes the parsed value back as JSON (report.json ``options``); None keeps
    ``dataclasses.asdict``'s form.
    """

    key: str
    parse: OptionParser
    to_json: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class CliFlag:
    """One ``flok allocate`` flag.

    ``kind="value"``: typer parses ``type``; ``to_option`` turns it into the option value, which
    replaces the option. ``kind="file"``: the flag is a path read by ``flok.io``'s reader named
    ``file_reader`` (``flok.io.rule_files.READERS``); what it reads is appended to the option.
    """

    flag: str
    option: str
    help: str
    kind: Literal["value", "file"] = "value"
    type: type = str
    choices: tuple[str, ...] = ()
    to_option: Callable[[Any], Any] = field(default=lambda value: value)
    file_reader: str | None = None

    @property
    def param(self) -> str:
        """The Python parameter name typer derives the flag from (``--group-mode`` -> group_mode)."""
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def annotation(self) -> Any:
        return Path | None if self.kind == "file" else self.type | None


@dataclass(frozen=True)
class FormField:
    """One key of the dashboard's side-rule form (the JSON "constraints" box today).

    ``parse`` turns the submitted text of a single-field input into the JSON value the
    rule's option parser accepts (for example "1" -> 1, or JSON text -> list).
    """

    key: str
    label: str
    option: str
    parse: Callable[[str], Any]
    example: str = ""


@dataclass
class BuildContext:
    """What a rule needs to add rows: the problem, the model and the pair indexes by side."""

    problem: Problem
    lm: LinearModel
    by_p: dict[int, list[int]]
    by_o: dict[int, list[int]]

    @cached_property
    def where(self) -> dict[tuple[int, int], int]:
        pairs = self.lm.pairs
        return {
            (p, o): i
            for i, (p, o) in enumerate(
                zip(pairs.participant.tolist(), pairs.opportunity.tolist(), strict=True)
            )
        }

    def runs(self, o: int) -> int:
        """A 0/1 variable: the opportunity runs (has anyone), linked both ways to its size."""
        import numpy as np

        lm = self.lm
        if o not in lm.runs:
            idx = self.by_o.get(o, [])
            r = lm.var()
            cap = int(self.problem.capacity[o])
            lm.row([*idx, r], [*np.ones(len(idx)), -cap], hi=0)  # size ≤ cap·runs
            lm.row([*idx, r], [*np.ones(len(idx)), -1], lo=0)  # size ≥ runs
            lm.runs[o] = r
        return lm.runs[o]


@dataclass
class Held:
    """An allocation as the verifier sees it: parallel index arrays, validated in range."""

    problem: Problem
    part: np.ndarray
    opp: np.ndarray

    @cached_property
    def used(self) -> np.ndarray:
        import numpy as np

        return np.bincount(self.opp, minlength=self.problem.n_opportunities)

    @cached_property
    def by_participant(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for p, o in zip(self.part.tolist(), self.opp.tolist(), strict=True):
            out[p].append(o)
        return out

    @cached_property
    def pairs(self) -> set[tuple[int, int]]:
        return set(zip(self.part.tolist(), self.opp.tolist(), strict=True))


@dataclass
class ExplainView:
    """An allocation as explanations see it: seats held and seats used per opportunity.

    ``part``/``opp`` are the seats; ``held`` groups them per participant on first use (a loop
    over seats that only the rules needing it pay for).
    """

    problem: Problem
    part: np.ndarray
    opp: np.ndarray
    used: np.ndarray

    @cached_property
    def held(self) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {}
        for a, b in zip(self.part.tolist(), self.opp.tolist(), strict=True):
            out.setdefault(a, set()).add(b)
        return out

    @cached_property
    def clashes(self) -> set[tuple[int, int]]:
        return set(map(tuple, self.problem.clashing_pairs().tolist()))


@dataclass(frozen=True)
class Reason:
    """Why a better-ranked opportunity with free seats went elsewhere, in the rule's words.

    ``blocks`` marks which (participant, opportunity) rows this rule explains. Among rules
    that block a row with free seats, the lowest ``precedence`` names it (a group member is
    told about the group before a clash). ``always`` reasons (a forbidden pair) win even over
    "full". ``text`` is formatted with opp, cap, min_size and objective.
    """

    code: str
    text: str
    blocks: Callable[[ExplainView, np.ndarray, np.ndarray], np.ndarray]
    precedence: int = 100
    always: bool = False


def no_rows(ctx: BuildContext) -> None:
    """For rules enforced before the model (for example by leaving pairs out)."""


@dataclass(frozen=True)
class Rule:
    name: str
    words: str | None  # in "the problem has ..." (flow cannot solve it); None: the flow can
    present: Callable[[Problem], bool]
    build: Callable[[BuildContext], None]
    check: Callable[[Held], list[str]]
    options: tuple[OptionField, ...] = ()
    cli: tuple[CliFlag, ...] = ()
    form: tuple[FormField, ...] = ()
    reason: Reason | None = None
    conflicts: Callable[[Problem, Pairs], list[str]] | None = None
    validate: Callable[[Problem], None] | None = None  # option vs problem (ids exist), InputError
    # When its problem check and its rows come (lower first). CP-SAT's unsatisfiable core, and
    # so the infeasibility message, depends on row order: these keep the order from before.
    model_order: int = 100


def parse_pairs(raw: Any, source: str, key: str) -> tuple[tuple[str, str], ...]:
    """A list of [participant_id, opportunity_id] pairs (or objects with those keys)."""
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise InputError("must be a list of [participant_id, opportunity_id] pairs", source=source, field=key)
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, Mapping):
            item = [item.get("participant_id"), item.get("opportunity_id")]
        if (
            not isinstance(item, Sequence)
            or isinstance(item, str)
            or len(item) != 2
            or not all(isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip() for v in item)
        ):
            raise InputError(
                f"item {i + 1} must be [participant_id, opportunity_id], got {item!r}",
                source=source,
                field=key,
            )
        out.append((str(item[0]).strip(), str(item[1]).strip()))
    return tuple(out)


def pairs_to_json(pairs: tuple[tuple[str, str], ...]) -> list[list[str]]:
    return [list(p) for p in pairs]


def form_json(key: str) -> Callable[[str], Any]:
    """A form field whose text is the option's JSON value ("1", '[["ana", "T1"]]', ...)."""

    def parse(text: str) -> Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc.msg}", source="options", field=key) from None

    return parse
