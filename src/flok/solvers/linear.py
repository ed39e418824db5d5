"""The one linear-model layer every exact solver path shares (allocation side rules, circle formation).

A model is integer or continuous variables with bounds, rows ``lo ≤ coef·x ≤ hi`` (optionally named
after the rule a person could relax) and objective stages. It knows nothing about participants or
circles, so the same backends (`flok.solvers.backends`) solve every problem Flok writes down.
Two ways to write one: row by row (`LinearModel`, readable rule code) or as whole sparse blocks
(`MatrixModel`, vectorized model builders); `LinearModel.to_matrix` turns the first into the second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # SciPy loads where a model is built (issue 19: start-up)
    import scipy.sparse as sp

INF = float("inf")


@dataclass
class Row:
    idx: np.ndarray
    coef: np.ndarray
    lo: float
    hi: float
    rule: str | None = None  # a name a coordinator understands; used to explain infeasibility


@dataclass
class Stage:
    """One objective, minimized; ``fix="le"`` keeps later stages at expr ≤ this stage's optimum."""

    label: str
    idx: np.ndarray
    coef: np.ndarray
    fix: str | None  # "le": later stages keep expr ≤ optimum; None: last stage


@dataclass(frozen=True)
class MatrixModel:
    """The matrix form backends read: ``row_lo ≤ A @ x ≤ row_hi``, ``col_lo ≤ x ≤ col_hi``."""

    A: sp.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integer: np.ndarray  # bool per column
    rules: tuple[str | None, ...] = ()  # per row, when rows carry rule names (else empty)

    @property
    def n_cols(self) -> int:
        return int(self.col_hi.size)

    def with_row(self, idx: np.ndarray, coef: np.ndarray, lo: float = -INF, hi: float = INF) -> MatrixModel:
        """The same model plus one row (e.g. fixing an earlier stage's optimum)."""
        import scipy.sparse as sp

        row = sp.csr_matrix(
            (np.asarray(coef, dtype=np.float64), (np.zeros(len(idx), dtype=np.int64), np.asarray(idx))),
            shape=(1, self.n_cols),
        )
        return MatrixModel(
            sp.vstack([self.A, row], format="csr"),
            np.append(self.row_lo, lo),
            np.append(self.row_hi, hi),
            self.col_lo,
            self.col_hi,
            self.integer,
            (*self.rules, None) if self.rules else (),
        )


def dense_objective(n_cols: int, idx: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """A stage's sparse expression as one coefficient per column (repeated indices add up)."""
    c = np.zeros(n_cols)
    np.add.at(c, np.asarray(idx, dtype=np.int64), np.asarray(coef, dtype=np.float64))
    return c


@dataclass
class LinearModel:
    """Variables, rows and stages written one at a time; all variables are integers."""

    lower: list[int] = field(default_factory=list)
    upper: list[int] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)

    @property
    def n_vars(self) -> int:
        return len(self.lower)

    def var(self, lo: int = 0, hi: int = 1) -> int:
        self.lower.append(lo)
        self.upper.append(hi)
        return len(self.lower) - 1

    def row(
        self,
        idx: list[int] | np.ndarray,
        coef: list[float] | np.ndarray,
        lo: float = -INF,
        hi: float = INF,
        rule: str | None = None,
    ) -> None:
        self.rows.append(
            Row(np.asarray(idx, dtype=np.int64), np.asarray(coef, dtype=np.float64), lo, hi, rule)
        )

    def to_matrix(self) -> MatrixModel:
        import scipy.sparse as sp

        rows = self.rows
        if rows:
            r = np.concatenate([np.full(row.idx.size, k, dtype=np.int64) for k, row in enumerate(rows)])
            c = np.concatenate([row.idx for row in rows])
            v = np.concatenate([row.coef for row in rows])
        else:
            r = c = np.zeros(0, dtype=np.int64)
            v = np.zeros(0)
        return MatrixModel(
            sp.csr_matrix((v, (r, c)), shape=(len(rows), self.n_vars)),
            np.array([row.lo for row in rows], dtype=np.float64),
            np.array([row.hi for row in rows], dtype=np.float64),
            np.array(self.lower, dtype=np.float64),
            np.array(self.upper, dtype=np.float64),
            np.ones(self.n_vars, dtype=bool),
            tuple(row.rule for row in rows),
        )
