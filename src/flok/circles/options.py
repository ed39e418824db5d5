"""Options of a circle formation run: sizes, mode, objective weights, solver backend."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from flok.circles.codes import normalize_codes
from flok.errors import InputError

Mode = Literal["preserve", "optimize", "dissolve"]
MODES: tuple[str, ...] = ("preserve", "optimize", "dissolve")


@dataclass(frozen=True)
class Weights:
    """Objective weights; all integers so every backend solves the same exact objective."""

    match: int = 1000
    location: tuple[int, int, int] = (30, 20, 10)
    time: tuple[int, int, int] = (30, 20, 10)
    small_circle: int = 800  # joining an existing circle that has 2–3 members
    four_circle: int = 50  # joining an existing circle that has 4 members
    existing: int = 500  # joining any existing circle
    diversity: int = 10  # per distinct attribute value in an opened circle (used when splitting)
    new_circle: int = 0  # penalty per new circle in the model (the split always opens the fewest anyway)


@dataclass(frozen=True)
class CircleOptions:
    """Everything `flok.circles.form` needs besides the data."""

    mode: Mode = "optimize"
    min_size: int = 5
    max_size: int = 10
    weights: Weights = field(default_factory=Weights)
    attributes: tuple[str, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)  # canonical name → header in the file
    backend: str = "auto"
    time_limit: float = 60.0  # seconds per region and phase
    workers: int = 1  # regions solved in parallel
    prune: bool = True  # drop slots another slot dominates (exact; off only to test that claim)
    strong: bool = False  # add person ≤ circles-at-slot rows: tighter LP, same optimum, slower in HiGHS
    lenient_times: bool = False  # report unparseable times instead of failing
    virtual_words: tuple[str, ...] = ("virtual", "online", "zoom", "remote", "video")
    region_codes: Mapping[str, str] = field(default_factory=dict)  # region or virtual location → id code
    keep: tuple[str, ...] = ()  # participants' columns copied to the outputs (name, e-mail)
    diversity_in_model: bool = False  # let diversity change who is chosen at a slot (slower; opt-in)

    def validate(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"mode must be one of {', '.join(MODES)}, got '{self.mode}'", field="mode")
        if self.min_size < 2:
            raise InputError("min_size must be at least 2", field="min_size")
        if self.max_size < self.min_size:
            raise InputError("max_size must be at least min_size", field="max_size")
        if self.time_limit <= 0:
            raise InputError("time_limit must be positive", field="time_limit")
        w = self.weights
        flat = {
            "match": w.match,
            "small_circle": w.small_circle,
            "four_circle": w.four_circle,
            "existing": w.existing,
            "diversity": w.diversity,
            "new_circle": w.new_circle,
        }
        flat |= {f"location[{i}]": v for i, v in enumerate(w.location)}
        flat |= {f"time[{i}]": v for i, v in enumerate(w.time)}
        for name, value in flat.items():
            # Negative weights would break the exactness arguments (pruning, fewest circles).
            if not isinstance(value, int) or value < 0:
                raise InputError(
                    f"weight {name} must be a non-negative integer, got {value!r}", field="weights"
                )
        if w.match < 1:
            raise InputError("weight match must be at least 1", field="weights")
        if self.workers < 1:
            raise InputError("workers must be at least 1", field="workers")
        normalize_codes(self.region_codes)
