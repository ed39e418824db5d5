"""`flok bench constraints` on its small cases: each row comes out, and a case with a reference
strategy is solved again by it and checked to reach the same optimum (the README's reference
rows for the 100k lexicographic and maximin cases are printed the same way)."""

from __future__ import annotations

import pytest

from flok.bench import constraints


@pytest.mark.parametrize("label", ["1k×50 lexicographic", "1k×50 maximin"])
def test_a_reference_row_says_the_optimum_is_the_same(
    label: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(constraints, "REFERENCE", {label: "min_cost_flow"})
    constraints.main(only=label)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(f"| {label}")]
    assert len(lines) == 2
    assert "| native_flow | optimal |" in lines[0]
    assert lines[1].startswith(f"| {label}, min_cost_flow for reference | min_cost_flow | optimal |")
    assert lines[1].endswith("| the same optimum |")


def test_the_reference_cases_exist() -> None:
    labels = {label for label, _ in constraints.cases()}
    assert set(constraints.REFERENCE) <= labels
