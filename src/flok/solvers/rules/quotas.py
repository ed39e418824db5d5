"""Quotas: per opportunity (or every one) and participant attribute value: min, max, max_share.

JSON ``"quotas": [{"opportunity": "T1", "attribute": "programme", "value": "cs", "max_share": 0.6}]``;
``--quotas FILE`` (quotas.csv, read by ``flok.io``). ``min`` applies only to opportunities that run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from flok.errors import InputError
from flok.options import Quota, parse_int, parse_number
from flok.solvers.rules.base import (
    BuildContext,
    CliFlag,
    ExplainView,
    FormField,
    Held,
    OptionField,
    Reason,
    Rule,
    form_json,
)

if TYPE_CHECKING:  # numpy and the model load when a rule runs, not for `flok --help`
    import numpy as np

    from flok.model import Problem

KEYS = {"attribute", "value", "opportunity", "opportunity_id", "min", "max", "max_share"}
SHARE_DECIMALS = 6
SHARE_TOO_FINE = (
    f"max_share {{share!r}} has more than {SHARE_DECIMALS} decimal places; shares are exact decimals "
    f"with at most {SHARE_DECIMALS} places (e.g. 0.333333 or 0.333334, not 1/3)"
)


def share_fraction(share: float) -> Fraction | None:
    """The share as the exact decimal the user wrote (0.6666 = 3333/5000), None beyond 6 places.

    Rows and the verifier both compare ``count·den ≤ num·size`` in integers, so the model and
    the check agree exactly; a float share × size rounded or compared with a tolerance does not.
    """
    exact = Fraction(repr(float(share)))
    return exact if 10**SHARE_DECIMALS % exact.denominator == 0 else None


def parse(raw: Any, source: str, key: str) -> tuple[Quota, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise InputError("must be a list of quota objects", source=source, field=key)
    return tuple(_quota(item, source, f"{key}[{i + 1}]") for i, item in enumerate(raw))


def _quota(item: Any, source: str, where: str) -> Quota:
    if not isinstance(item, Mapping):
        raise InputError("must be an object", source=source, field=where)
    extra = set(item) - KEYS
    if extra:
        raise InputError(f"unknown key '{sorted(extra)[0]}'", source=source, field=where)
    attribute, value = item.get("attribute"), item.get("value")
    if not isinstance(attribute, str) or not attribute.strip() or value is None:
        raise InputError("needs 'attribute' and 'value'", source=source, field=where)
    opp = item.get("opportunity", item.get("opportunity_id"))
    lo = None if item.get("min") is None else parse_int(item["min"], source, f"{where}.min")
    hi = None if item.get("max") is None else parse_int(item["max"], source, f"{where}.max")
    share = None
    if item.get("max_share") is not None:
        share = parse_number(item["max_share"], source, f"{where}.max_share", minimum=0.0)
        if share > 1:
            raise InputError(
                "max_share is a fraction between 0 and 1", source=source, field=f"{where}.max_share"
            )
        if share_fraction(share) is None:
            raise InputError(SHARE_TOO_FINE.format(share=share), source=source, field=f"{where}.max_share")
    if lo is None and hi is None and share is None:
        raise InputError("needs at least one of min, max, max_share", source=source, field=where)
    if lo is not None and hi is not None and lo > hi:
        raise InputError(f"min {lo} exceeds max {hi}", source=source, field=where)
    return Quota(
        attribute=attribute.strip().lower(),
        value=str(value).strip(),
        opportunity=None if opp in (None, "", "*") else str(opp).strip(),
        min=lo,
        max=hi,
        max_share=share,
    )


def to_json(quotas: tuple[Quota, ...]) -> list[dict[str, Any]]:
    return [{k: v for k, v in asdict(q).items() if v is not None} for q in quotas]


def _validate(problem: Problem) -> None:
    known = set(map(str, problem.opportunity_ids))
    for i, q in enumerate(problem.options.quotas):
        if q.max_share is not None and share_fraction(q.max_share) is None:  # a Quota built in code
            raise InputError(
                SHARE_TOO_FINE.format(share=q.max_share), source="options", field=f"quotas[{i + 1}].max_share"
            )
        if q.attribute not in problem.participant_attributes:
            raise InputError(
                f"quota names attribute '{q.attribute}', which participants do not have",
                source="options",
                field=f"quotas[{i + 1}].attribute",
            )
        if q.opportunity is not None and q.opportunity not in known:
            raise InputError(
                f"quota names unknown opportunity '{q.opportunity}'",
                source="options",
                field=f"quotas[{i + 1}].opportunity",
            )


def _build(ctx: BuildContext) -> None:
    import numpy as np

    problem, lm = ctx.problem, ctx.lm
    oids = problem.opportunity_ids
    for q in problem.options.quotas:
        attr = problem.participant_attributes[q.attribute]
        targets = [int(np.flatnonzero(oids == q.opportunity)[0])] if q.opportunity else list(ctx.by_o)
        rule = f"quota: {q.describe()}"
        for o in targets:
            idx = ctx.by_o.get(o, [])
            match = np.array([str(attr[lm.pairs.participant[i]]) == q.value for i in idx], dtype=bool)
            if q.max is not None and match.sum() > q.max:
                lm.row(np.array(idx)[match], np.ones(int(match.sum())), hi=q.max, rule=rule)
            share = None if q.max_share is None else share_fraction(q.max_share)
            if share is not None:  # count·den ≤ num·size, exactly (issue 13: was rounded to 1/1000)
                num, den = share.numerator, share.denominator
                lm.row(idx, np.where(match, den - num, -num), hi=0, rule=rule)
            if q.min is not None and q.min > 0:
                r = ctx.runs(o)
                lm.row([*np.array(idx)[match], r], [*np.ones(int(match.sum())), -q.min], lo=0, rule=rule)


def _check(held: Held) -> list[str]:
    problem, part, opp = held.problem, held.part, held.opp
    oids = problem.opportunity_ids
    index_o = {str(o): i for i, o in enumerate(oids)}
    out: list[str] = []
    for q in problem.options.quotas:
        attr = problem.participant_attributes[q.attribute]
        targets = [index_o[q.opportunity]] if q.opportunity else range(problem.n_opportunities)
        for o in targets:
            members = part[opp == o]
            count = int(sum(1 for p in members.tolist() if str(attr[p]) == q.value))
            total = int(members.size)
            if q.max is not None and count > q.max:
                out.append(f"opportunity {oids[o]} has {count} with {q.attribute}={q.value} (max {q.max})")
            if q.min is not None and total > 0 and count < q.min:
                out.append(f"opportunity {oids[o]} has {count} with {q.attribute}={q.value} (min {q.min})")
            share = None if q.max_share is None else share_fraction(q.max_share)
            if share is not None and count * share.denominator > share.numerator * total:
                out.append(
                    f"opportunity {oids[o]} has {count} of {total} with {q.attribute}={q.value} "
                    f"(max share {q.max_share:g})"
                )
    return out


def _blocks(view: ExplainView, p: np.ndarray, o: np.ndarray) -> np.ndarray:
    import numpy as np

    problem = view.problem
    out = np.zeros(o.size, dtype=bool)
    for q in problem.options.quotas:
        attr = problem.participant_attributes[q.attribute]
        for k, (pk, ok) in enumerate(zip(p.tolist(), o.tolist(), strict=True)):
            if (
                not out[k]
                and str(attr[pk]) == q.value
                and q.opportunity in (None, str(problem.opportunity_ids[ok]))
            ):
                out[k] = True
    return out


RULE = Rule(
    name="quotas",
    model_order=50,
    words="quotas",
    present=lambda problem: bool(problem.options.quotas),
    build=_build,
    validate=_validate,
    check=_check,
    options=(OptionField("quotas", parse, to_json),),
    cli=(CliFlag("--quotas", "quotas", "quotas.csv (see README).", kind="file", file_reader="quotas"),),
    form=(
        FormField(
            "quotas",
            "Quotas",
            "quotas",
            form_json("quotas"),
            '[{"attribute": "programme", "value": "cs", "max_share": 0.6}]',
        ),
    ),
    reason=Reason("QUOTA", "{opp} reached a quota that applies to you", _blocks, precedence=50),
)
