"""The side rules, one module each, and the registry every layer derives its view from.

``RULES`` is the only list of rules: the linear model adds their rows, the verifier runs
their checks, ``flok allocate`` grows their flags, ``Options.from_mapping``
parses their keys, explanations and infeasibility messages use their words. To add a rule,
write ``flok/solvers/rules/<rule>.py`` exposing ``RULE`` and add it to ``RULES`` below (if it
owns a JSON key, ``flok.options.Options`` needs that field too: it is the typed data carrier).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flok.options import register_option_check, register_parser
from flok.solvers.rules import (
    capacity_groups,
    category_limits,
    clashes,
    forbidden,
    forced,
    groups,
    keep,
    min_sizes,
    quotas,
)
from flok.solvers.rules.base import (
    BuildContext,
    CliFlag,
    ExplainView,
    FormField,
    Held,
    OptionField,
    Reason,
    Rule,
)

if TYPE_CHECKING:  # the model (NumPy, pyarrow) loads when a rule runs, not for `flok --help`
    from flok.model import Problem

__all__ = [
    "RULES",
    "BuildContext",
    "CliFlag",
    "ExplainView",
    "FormField",
    "Held",
    "OptionField",
    "Reason",
    "Rule",
    "cli_flags",
    "form_fields",
    "form_values",
    "in_model_order",
    "parse_form",
    "rule",
    "side_constraints",
]

# Order: of words in strategy reasons, of verifier messages, of CLI flags and rule files read,
# of obvious conflicts. Problem checks and rows follow Rule.model_order; explanations follow
# Reason.precedence (both keep the behaviour from before the registry).
RULES: tuple[Rule, ...] = (
    clashes.RULE,
    category_limits.RULE,
    groups.RULE,
    quotas.RULE,
    min_sizes.RULE,
    forbidden.RULE,
    forced.RULE,
    capacity_groups.RULE,
)


def in_model_order() -> list[Rule]:
    """The rules in the order their problem checks run and their rows enter the linear model."""
    return sorted(RULES, key=lambda r: r.model_order)


def rule(name: str) -> Rule:
    """The registered rule called ``name`` (KeyError otherwise)."""
    for r in RULES:
        if r.name == name:
            return r
    raise KeyError(name)


def side_constraints(problem: Problem) -> list[str]:
    """The rules present that a plain flow cannot express, in words ("groups", "quotas", ...)."""
    return [r.words for r in RULES if r.words is not None and r.present(problem)]


def cli_flags() -> list[CliFlag]:
    """Every rule's ``flok allocate`` flags, in registry order."""
    return [flag for r in RULES for flag in r.cli]


def form_fields() -> list[FormField]:
    """Every rule's dashboard form fields, in registry order."""
    return [f for r in RULES for f in r.form]


def parse_form(values: Mapping[str, str]) -> dict[str, Any]:
    """JSON ``options`` entries from a side-rule form, one input per ``FormField`` (blank = unset).

    The values are then checked like any JSON options (``Options.from_mapping``), so the form
    reports the same field-level errors as the API.
    """
    out: dict[str, Any] = {}
    for f in form_fields():
        text = values.get(f.key, "")
        if text.strip():
            out[f.option] = f.parse(text)
    return out


def form_values(options: Mapping[str, Any]) -> dict[str, str]:
    """The form inputs showing stored JSON ``options`` (the inverse of :func:`parse_form`)."""
    return {f.key: json.dumps(options[f.option]) for f in form_fields() if f.option in options}


def _register() -> None:
    """Hand the core (options, model) the rules' parsers and checks; it cannot import rules."""
    keys = [f.key for r in RULES for f in r.options]
    if len(keys) != len(set(keys)):
        raise RuntimeError(f"two rules claim the same option key: {sorted(keys)}")
    for r in RULES:
        for f in r.options:
            register_parser(f.key, f.parse, f.to_json)
    register_parser(keep.OPTION.key, keep.OPTION.parse, keep.OPTION.to_json)  # an objective, not a rule
    for r in in_model_order():
        if r.validate is not None:
            register_option_check(r.validate)
    register_option_check(keep.validate)


_register()
