"""Fit scores ``S ∈ [0, 1]`` for (participant, opportunity) pairs, with the reasons behind them.

Three components, each in [0, 1]: interest overlap (shared tags over the smaller tag set),
distance (1 at the same place, 0 at ``max_km``; beyond it the pair is ineligible) and
schedule (the share of the opportunity's time inside the union of the participant's
availability windows; below ``min_coverage`` the pair is ineligible). A participant without a
location is matched by ``FitConfig.no_location``: "anywhere" (distance score 0.5) or
"online_only" (only opportunities without a location). ``S`` is their weighted mean, or,
with a trained :class:`RsvpModel`, the predicted probability of an RSVP.

Each term spans [0, 1] over the *eligible* pairs, so each can change a ranking: distance is 0
at ``max_km``, and the schedule term is coverage rescaled from ``min_coverage`` (0) to full
(1). With ``min_coverage = 1`` (the default) every eligible pair is fully covered, the
schedule is a gate rather than a score, and its weight is set aside instead of adding the
same constant to every pair.

Everything works on parallel index arrays of pairs, so callers score millions of pairs
without a Python loop per pair.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:  # SciPy loads where a fit is computed, not when the package is imported
    from scipy import sparse
from flok.errors import InputError
from flok.pulse.community import ACCEPTED, Events, Opportunities, ParticipantProfiles

EARTH_KM = 6371.0088
FEATURES = ("interest", "distance", "schedule")
NoLocation = Literal["anywhere", "online_only"]
NO_LOCATION_RULES: tuple[str, ...] = get_args(NoLocation)


@dataclass(frozen=True)
class FitConfig:
    """Weights of the three components, the two eligibility cut-offs, and the rule for people
    without a location.

    ``no_location``: "anywhere" (the default) matches a participant who gave no location to
    opportunities at any distance, with a neutral distance score of 0.5 (a one-place community
    where people skip the field keeps working); "online_only" matches them only to
    opportunities without a location, so nobody is sent across the world (a multi-city one).
    """

    interest_weight: float = 0.5
    distance_weight: float = 0.3
    schedule_weight: float = 0.2
    max_km: float = 25.0
    min_coverage: float = 1.0
    no_location: NoLocation = "anywhere"

    @classmethod
    def with_weights(cls, weights: dict[str, float] | None = None, **rest: object) -> FitConfig:
        """A config from ``{"interest": …, "distance": …, "schedule": …}`` (missing ones keep their
        defaults): the one way the CLI and the service name the weights."""
        unknown = sorted(set(weights or {}) - set(FEATURES))
        if unknown:
            raise InputError(
                f"unknown fit weight {unknown[0]!r}; weights are {', '.join(FEATURES)}",
                source="fit config",
                field="weights",
            )
        named = {f"{k}_weight": float(v) for k, v in (weights or {}).items()}
        return cls(**named, **rest)  # type: ignore[arg-type]

    def weights(self) -> dict[str, float]:
        return {
            "interest": self.interest_weight,
            "distance": self.distance_weight,
            "schedule": self.schedule_weight,
        }

    def __post_init__(self) -> None:
        if self.no_location not in NO_LOCATION_RULES:
            raise InputError(
                f"no_location must be one of {', '.join(NO_LOCATION_RULES)}, got {self.no_location!r}",
                source="fit config",
                field="no_location",
            )
        w = (self.interest_weight, self.distance_weight, self.schedule_weight)
        if not all(np.isfinite(w)) or min(w) < 0 or sum(w) <= 0:
            raise InputError("fit weights must be ≥ 0 and not all zero", source="fit config", field="weights")
        if not self.max_km > 0:
            raise InputError("max_km must be positive", source="fit config", field="max_km")
        if not 0 <= self.min_coverage <= 1:
            raise InputError(
                "min_coverage must be between 0 and 1", source="fit config", field="min_coverage"
            )


@dataclass(frozen=True)
class PairFit:
    """Components, eligibility and score of a batch of pairs (all arrays are parallel).

    ``too_far`` also holds a participant without a location facing a placed opportunity under
    ``no_location="online_only"`` (``km`` is NaN there)."""

    participant: np.ndarray
    opportunity: np.ndarray
    shared: np.ndarray
    interest: np.ndarray
    km: np.ndarray
    distance: np.ndarray
    coverage: np.ndarray
    too_far: np.ndarray
    unavailable: np.ndarray
    score: np.ndarray

    def features(self) -> np.ndarray:
        return np.column_stack([self.interest, self.distance, self.coverage])


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km (NaN where a coordinate is missing)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, so "within r km" becomes one matrix product and a threshold."""
    p, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(p) * np.cos(lam), np.cos(p) * np.sin(lam), np.sin(p)])


def coverage(
    avail_start: np.ndarray, avail_end: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Share of each opportunity's time inside the union of its participant's availability windows.

    ``avail_*`` are ``(pairs, W)`` with NaN padding, disjoint (``pad_windows`` merges
    overlapping and touching ones), so the union's overlap is the sum of each window's;
    ``start``/``end`` are ``(pairs,)``. An opportunity without a time, or a participant without
    windows, counts as fully covered; an instant (start = end) is covered when it falls inside
    a window.
    """
    total = np.zeros(start.shape, dtype=np.float64)
    inside = np.zeros(start.shape, dtype=bool)
    duration = end - start
    instant = duration <= 0
    with np.errstate(invalid="ignore"):
        for w in range(avail_start.shape[1]):
            ws, we = avail_start[:, w], avail_end[:, w]
            overlap = np.minimum(we, end) - np.maximum(ws, start)
            total += np.clip(np.nan_to_num(overlap, nan=0.0), 0.0, None)
            inside |= (ws <= start) & (start <= we)
        share = np.where(
            instant, inside, np.divide(total, duration, where=~instant, out=np.zeros_like(total))
        )
    out = np.clip(share, 0.0, 1.0)
    no_windows = np.isnan(avail_start).all(axis=1) if avail_start.shape[1] else np.ones(start.shape, bool)
    return np.where(np.isnan(start) | no_windows, 1.0, out)


class RsvpModel:
    """Logistic model of P(RSVP | fit components), trained with scikit-learn, stored as JSON."""

    def __init__(self, coef: np.ndarray, intercept: float) -> None:
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        if self.coef.shape != (len(FEATURES),):
            raise InputError(
                f"expected {len(FEATURES)} coefficients ({', '.join(FEATURES)})",
                source="rsvp model",
                field="coef",
            )

    @classmethod
    def fit(cls, features: np.ndarray, rsvp: np.ndarray, *, c: float = 1.0) -> RsvpModel:
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(rsvp, dtype=bool)
        if y.all() or not y.any():
            raise InputError("training needs both pairs with and without an RSVP", source="training data")
        model = LogisticRegression(C=c, max_iter=1000).fit(features, y)
        return cls(model.coef_[0], float(model.intercept_[0]))

    def predict(self, features: np.ndarray) -> np.ndarray:
        from scipy.special import expit

        return np.asarray(expit(features @ self.coef + self.intercept))

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": "flok.pulse.RsvpModel",
            "features": list(FEATURES),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RsvpModel:
        if data.get("features") != list(FEATURES):
            raise InputError(
                f"model features must be {list(FEATURES)}", source="rsvp model", field="features"
            )
        coef = data.get("coef")
        intercept = data.get("intercept")
        if not isinstance(coef, list) or not isinstance(intercept, int | float):
            raise InputError("model needs a 'coef' list and a numeric 'intercept'", source="rsvp model")
        return cls(np.asarray(coef, dtype=np.float64), float(intercept))


class FitScorer:
    """Scores pairs of one participant set against one opportunity set (tags encoded once)."""

    def __init__(
        self,
        participants: ParticipantProfiles,
        opportunities: Opportunities,
        config: FitConfig | None = None,
        model: RsvpModel | None = None,
    ) -> None:
        self.participants = participants
        self.opportunities = opportunities
        self.config = config or FitConfig()
        self.model = model
        self.vocabulary, self._p_tags, self._o_tags = _encode(participants.interests, opportunities.tags)
        # Up to 256 tags, each side's tags fit in four 64-bit words and a pair's shared count
        # is a popcount of an AND: a few nanoseconds per pair.
        self._p_bits = _bitmasks(self._p_tags) if self.vocab_size <= 256 else None
        self._o_bits = _bitmasks(self._o_tags) if self.vocab_size <= 256 else None
        self._n_interests = np.diff(self._p_tags.indptr)
        self._n_tags = np.diff(self._o_tags.indptr)
        self._p_xyz = unit_vectors(participants.lat, participants.lon)
        self._o_xyz = unit_vectors(opportunities.lat, opportunities.lon)
        self._p_nowhere = np.isnan(self._p_xyz[:, 0])
        self._o_nowhere = np.isnan(self._o_xyz[:, 0])
        self._p_xyz32 = np.asfortranarray(np.nan_to_num(self._p_xyz), dtype=np.float32)
        self._o_xyz32 = np.asfortranarray(np.nan_to_num(self._o_xyz), dtype=np.float32)
        self._p_cols = [np.ascontiguousarray(c) for c in np.nan_to_num(self._p_xyz).T]
        self._o_cols = [np.ascontiguousarray(c) for c in np.nan_to_num(self._o_xyz).T]
        timed = np.flatnonzero(~np.isnan(opportunities.start))
        self._by_start = timed[np.argsort(opportunities.start[timed], kind="stable")]
        self._sorted_start = opportunities.start[self._by_start]
        self._untimed = np.flatnonzero(np.isnan(opportunities.start))

    @property
    def vocab_size(self) -> int:
        return len(self.vocabulary)

    def shared_counts(self, participant: np.ndarray, opportunity: np.ndarray) -> np.ndarray:
        """Number of tags each pair shares."""
        if self._p_bits is None or self._o_bits is None:
            return np.asarray(
                self._p_tags[participant].multiply(self._o_tags[opportunity]).sum(axis=1)
            ).ravel()
        out = np.zeros(participant.size, dtype=np.int64)
        for w in range(self._p_bits.shape[1]):
            out += np.bitwise_count(self._p_bits[participant, w] & self._o_bits[opportunity, w])
        return out

    # --- blocks: one chunk of participants against every opportunity ----------------------
    def nearby_block(self, rows: slice) -> np.ndarray:
        """Mask ``(rows, m)`` of pairs possibly within ``max_km``, or without a location.

        A float32 product of unit vectors with 0.5 km of slack: a pre-filter only, since
        :meth:`evaluate` decides ``too_far`` exactly.
        """
        p_xyz = self._p_xyz32[rows]
        dot = p_xyz @ self._o_xyz32.T
        near = dot >= np.float32(np.cos(min((self.config.max_km + 0.5) / EARTH_KM, np.pi)))
        if self.config.no_location == "anywhere":
            near[self._p_nowhere[rows]] = True
        if self._o_nowhere.any():
            near[:, self._o_nowhere] = True
        return np.asarray(near)

    def available_block(self, rows: slice) -> np.ndarray:
        """Mask ``(rows, m)`` of pairs whose opportunity time is covered enough (see ``coverage``)."""
        opp = self.opportunities
        ws, we = self.participants.avail_start[rows], self.participants.avail_end[rows]
        start, end = opp.start[None, :], opp.end[None, :]
        ok = np.repeat(np.isnan(start), ws.shape[0], axis=0)
        ok[np.isnan(ws).all(axis=1)] = True
        with np.errstate(invalid="ignore"):
            if self.config.min_coverage >= 1.0:
                # Full coverage is containment: two comparisons, no arithmetic (also right
                # for instants, where start = end).
                for w in range(ws.shape[1]):
                    ok |= (ws[:, w : w + 1] <= start) & (end <= we[:, w : w + 1])
                return ok
            # Partial coverage counts the union of the (disjoint) windows, as ``coverage`` does.
            need = self.config.min_coverage * (end - start) - 1e-6
            instant = (end - start) <= 0
            covered = np.zeros(ok.shape)
            inside = np.zeros(ok.shape, dtype=bool)
            for w in range(ws.shape[1]):
                a, b = ws[:, w : w + 1], we[:, w : w + 1]
                overlap = np.minimum(b, end) - np.maximum(a, start)
                covered += np.clip(np.nan_to_num(overlap, nan=0.0), 0.0, None)
                inside |= (a <= start) & (start <= b)
            ok |= np.where(instant, inside, covered >= need)
        return ok

    def timely_pairs(self, rows: slice) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (row within the chunk, opportunity) whose time lies inside an availability window.

        Found by binary search over opportunities sorted by start, so the cost grows with the
        pairs found rather than with rows × opportunities. Exact for ``min_coverage = 1``
        (containment), which windows being disjoint (see ``pad_windows``) makes unique.
        """
        ws, we = self.participants.avail_start[rows], self.participants.avail_end[rows]
        has = ~np.isnan(ws)
        r, w = np.nonzero(has)
        a, b = ws[r, w], we[r, w]
        lo = np.searchsorted(self._sorted_start, a, side="left")
        hi = np.searchsorted(self._sorted_start, b, side="right")
        length = hi - lo
        wi = np.repeat(np.arange(r.size), length)
        pos = np.arange(wi.size) - np.repeat(np.cumsum(length) - length, length) + lo[wi]
        opp = self._by_start[pos]
        inside = self.opportunities.end[opp] <= b[wi]
        local, opp = r[wi[inside]], opp[inside]
        free = np.flatnonzero(~has.any(axis=1))
        if free.size == 0 and self._untimed.size == 0:
            return local, opp
        m = len(self.opportunities)
        timed_rows = np.setdiff1d(np.arange(ws.shape[0]), free)
        extra_rows = [np.repeat(free, m), np.repeat(timed_rows, self._untimed.size)]
        extra_opps = [np.tile(np.arange(m), free.size), np.tile(self._untimed, timed_rows.size)]
        local = np.concatenate([local, *extra_rows])
        opp = np.concatenate([opp, *extra_opps])
        order = np.argsort(local, kind="stable")
        return local[order], opp[order]

    def near_pairs(self, participant: np.ndarray, opportunity: np.ndarray) -> np.ndarray:
        """Mask of pairs possibly within ``max_km`` or without a location: a float32 pre-filter
        with 0.5 km of slack (float32 chords are good to ~0.1 km); ``evaluate`` decides exactly."""
        chord = np.float32(2 * np.sin(min((self.config.max_km + 0.5) / EARTH_KM, np.pi) / 2))
        d2 = np.zeros(participant.size, dtype=np.float32)
        for w in range(3):
            d2 += np.square(self._p_xyz32[participant, w] - self._o_xyz32[opportunity, w])
        anywhere = self.config.no_location == "anywhere"
        unplaced = self._p_nowhere[participant] & anywhere
        return np.asarray((d2 <= chord * chord) | unplaced | self._o_nowhere[opportunity])

    # --- pairs ----------------------------------------------------------------------------
    def evaluate(
        self,
        participant: np.ndarray,
        opportunity: np.ndarray,
        covered: np.ndarray | None = None,
    ) -> PairFit:
        """Every component, the eligibility flags and ``S`` for parallel index arrays.

        ``covered`` (schedule coverage) may be passed when the caller already knows it, e.g.
        pairs found by containment in a window are fully covered.
        """
        pi = np.asarray(participant, dtype=np.int64)
        oi = np.asarray(opportunity, dtype=np.int64)
        part, opp, cfg = self.participants, self.opportunities, self.config
        shared = self.shared_counts(pi, oi).astype(np.float64)
        denom = np.minimum(self._n_interests[pi], self._n_tags[oi])
        interest = np.divide(shared, denom, out=np.zeros(pi.size), where=denom > 0)
        # Chord length between unit vectors: the haversine distance without trigonometry per
        # pair, and exact for short distances (no 1 − cos cancellation).
        d2 = np.zeros(pi.size)
        for pc_, oc in zip(self._p_cols, self._o_cols, strict=True):
            d2 += np.square(pc_[pi] - oc[oi])
        chord = np.where(self._p_nowhere[pi] | self._o_nowhere[oi], np.nan, np.sqrt(d2))
        km = 2 * EARTH_KM * np.arcsin(np.minimum(chord / 2, 1.0))
        known = ~np.isnan(km)
        distance = np.where(known, np.clip(1.0 - np.nan_to_num(km) / cfg.max_km, 0.0, 1.0), 0.5)
        too_far = known & (np.nan_to_num(km) > cfg.max_km)
        if cfg.no_location == "online_only":
            too_far |= self._p_nowhere[pi] & ~self._o_nowhere[oi]
        if covered is None:
            cov = coverage(part.avail_start[pi], part.avail_end[pi], opp.start[oi], opp.end[oi])
        else:
            cov = np.asarray(covered, dtype=np.float64)
        unavailable = cov < cfg.min_coverage - 1e-12
        fit = PairFit(pi, oi, shared, interest, km, distance, cov, too_far, unavailable, np.empty(0))
        return replace(fit, score=self._score(fit))

    def _score(self, fit: PairFit) -> np.ndarray:
        if self.model is not None:
            return self.model.predict(fit.features())
        cfg = self.config
        sched_w = cfg.schedule_weight if cfg.min_coverage < 1.0 else 0.0
        total = cfg.interest_weight + cfg.distance_weight + sched_w
        if total <= 0:  # only a schedule weight, and the schedule is a gate: every eligible pair ties
            return np.ones(fit.interest.size)
        s = cfg.interest_weight * fit.interest + cfg.distance_weight * fit.distance
        return np.asarray((s + sched_w * schedule_term(fit.coverage, cfg.min_coverage)) / total)

    def reasons(self, fit: PairFit, index: int) -> list[str]:
        """Plain-language reasons for one evaluated pair ("shares 3 interests (…)", "1.2 km away")."""
        out = []
        p, o = int(fit.participant[index]), int(fit.opportunity[index])
        shared = sorted(set(self.participants.interests[p].as_py()) & set(self.opportunities.tags[o].as_py()))
        if shared:
            noun = "interest" if len(shared) == 1 else "interests"
            out.append(f"shares {len(shared)} {noun} ({', '.join(shared)})")
        else:
            out.append("no shared interests")
        km = float(fit.km[index])
        if np.isnan(km):
            out.append("location not given")
        else:
            out.append(f"{km:.1f} km away")
        if np.isnan(self.opportunities.start[o]):
            out.append("no fixed time")
        elif fit.coverage[index] >= 1.0:
            out.append("fits your availability")
        else:
            out.append(f"{100 * float(fit.coverage[index]):.0f}% of it is in your availability")
        if self.model is not None:
            out.append(f"predicted RSVP chance {100 * float(fit.score[index]):.0f}%")
        return out


def schedule_term(coverage: np.ndarray, min_coverage: float) -> np.ndarray:
    """Coverage rescaled over the eligible range: 0 at ``min_coverage``, 1 when fully covered.

    Every eligible pair has coverage ≥ ``min_coverage``, so raw coverage would give each one a
    free floor of ``schedule_weight·min_coverage`` (0.2 with the old defaults) that changes no
    ranking and keeps a pair with nothing else in common above any score floor.
    """
    if min_coverage >= 1.0:
        return np.ones(np.shape(coverage))
    return np.clip((np.asarray(coverage) - min_coverage) / (1.0 - min_coverage), 0.0, 1.0)


def _bitmasks(tags: sparse.csr_matrix) -> np.ndarray:
    """Each row's tag set as ``ceil(V/64)`` uint64 words."""
    words = max(1, -(-tags.shape[1] // 64))
    out = np.zeros((tags.shape[0], words), dtype=np.uint64)
    rows = np.repeat(np.arange(tags.shape[0]), np.diff(tags.indptr))
    cols = tags.indices.astype(np.int64)
    np.bitwise_or.at(out, (rows, cols // 64), np.left_shift(np.uint64(1), (cols % 64).astype(np.uint64)))
    return out


def _encode(
    interests: pa.ListArray, tags: pa.ListArray
) -> tuple[np.ndarray, sparse.csr_matrix, sparse.csr_matrix]:
    """One vocabulary for both sides and a 0/1 CSR matrix for each (duplicate tags count once)."""
    from scipy import sparse

    flat = pa.concat_arrays([pc.list_flatten(interests), pc.list_flatten(tags)])
    enc = pc.dictionary_encode(flat)
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    v = len(enc.dictionary)
    k = len(pc.list_flatten(interests))

    def matrix(lists: pa.ListArray, col: np.ndarray) -> sparse.csr_matrix:
        rows = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
        m = sparse.csr_matrix((np.ones(col.size, dtype=np.float32), (rows, col)), shape=(len(lists), v))
        m.sum_duplicates()
        m.data[:] = 1.0
        return m

    vocab = np.asarray(enc.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return vocab, matrix(interests, codes[:k]), matrix(tags, codes[k:])


def training_data(scorer: FitScorer, events: Events) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels from logged feedback: each (participant, opportunity) pair that has
    any event is one sample, positive when it includes an ``accepted``. Unknown participants
    are skipped."""
    ev = events.unique()
    found = pc.index_in(
        pa.array(ev.participant_id.astype(str)), value_set=pa.array(scorer.participants.ids.astype(str))
    )
    known = np.asarray(pc.is_valid(found).to_numpy(zero_copy_only=False), dtype=bool)
    pi = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)[known]
    oi = ev.opportunity[known]
    m = max(len(scorer.opportunities), 1)
    key = pi * m + oi
    uniq, inverse = np.unique(key, return_inverse=True)
    positive = np.zeros(uniq.size, dtype=bool)
    np.logical_or.at(positive, inverse, ev.action[known] == ACCEPTED)
    fit = scorer.evaluate(uniq // m, uniq % m)
    return fit.features(), positive
