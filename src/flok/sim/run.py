"""The simulation loop: one seeded community, one policy, every time step for all agents at once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from time import perf_counter

import numpy as np
from scipy.special import expit

from flok import metrics
from flok.pulse import (
    FitScorer,
    Market,
    Opportunities,
    ParticipantProfiles,
    RebalanceConfig,
    ingest,
    joinable,
    market_pulse,
    rebalance,
)
from flok.pulse.demand import ACTIONS
from flok.sim import agents
from flok.sim.community import HOUR, Community, generate
from flok.sim.config import SimConfig
from flok.sim.pairs import Pairs, possible_pairs
from flok.sim.policies import Policy, policies

CLICK, ACCEPT, DECLINE = "clicked", "accepted", "declined"
CODE = {a: i for i, a in enumerate(ACTIONS)}
COLUMNS = (
    "policy",
    "oversubscription_rate",
    "oversubscription_feed_rate",
    "fill_rate",
    "matched_share",
    "matched_24h_share",
    "ttf_rsvp_median_h",
    "ttf_rsvp_p90_h",
    "inclusion_gap",
    "exposure_gini",
    "mean_fit",
    "high_demand_share",
    "messages_per_participant",
)
"""Columns of ``metrics.csv``, in order."""


@dataclass(frozen=True, eq=False)
class PolicyOutcome:
    """What happened under one policy: the metrics, counts, and pulse per step and opportunity."""

    policy: str
    metrics: dict[str, float | None]
    counts: dict[str, int]
    pulse_history: np.ndarray
    """``(steps, opportunities)`` float32 pulse at the start of each step; NaN when not listed."""
    attempt_opportunity: np.ndarray
    """Every RSVP attempt's opportunity, in the order the simulator processed them."""
    attempt_full: np.ndarray
    """Whether that attempt met "Full"."""
    seconds: float
    events: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] = field(
        default_factory=lambda: (np.zeros(0, np.int64),) * 3 + (np.zeros(0),)
    )
    """The run's event log as (participant, opportunity, action code, time): clicks, declines,
    seats (``accepted``) and refusals (``full``), in the order they happened."""


@dataclass(frozen=True, eq=False)
class SimResult:
    """One community, every policy's outcome, and timings."""

    config: SimConfig
    community: Community
    outcomes: list[PolicyOutcome]
    step_times: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)

    def rows(self) -> list[dict[str, object]]:
        """One dict per policy with the ``COLUMNS`` keys (``metrics.csv`` rows)."""
        return [{"policy": o.policy, **{c: o.metrics[c] for c in COLUMNS[1:]}} for o in self.outcomes]


def simulate(config: SimConfig, policy_names: list[str] | None = None) -> SimResult:
    """Generate the community of ``config`` and run each policy on it (default: all four)."""
    chosen = policies(policy_names)
    t0 = perf_counter()
    community, pairs = prepare(config)
    t1 = perf_counter()
    outcomes = [run_policy(config, community, pairs, p) for p in chosen]
    steps = community.t0 + np.arange(config.steps) * config.step_seconds
    timings = {"community_seconds": t1 - t0, **{f"{o.policy}_seconds": o.seconds for o in outcomes}}
    timings["total_seconds"] = perf_counter() - t0
    return SimResult(config, community, outcomes, steps, timings)


def prepare(config: SimConfig) -> tuple[Community, Pairs]:
    """The community of ``config`` and its possible pairs, fit scored once for every policy."""
    community = generate(config)
    scorer = FitScorer(community.participants, community.opportunities, config.fit)
    return community, possible_pairs(scorer)


def run_policy(config: SimConfig, community: Community, pairs: Pairs, policy: Policy) -> PolicyOutcome:
    """Run one policy on a prepared community (pulse settings may differ from the ones used to
    prepare it: the sweep reuses one community for every λ, τ and k)."""
    return _Run(config, community, pairs, policy).run()


class _Run:
    """Mutable state of one policy's run (seats, who is still looking, demand)."""

    def __init__(self, config: SimConfig, community: Community, pairs: Pairs, policy: Policy) -> None:
        self.cfg, self.com, self.pairs, self.policy = config, community, pairs, policy
        # Common random numbers: every policy starts from the same behaviour stream.
        self.rng = np.random.default_rng([config.seed, 1])
        parts, opps = community.participants, community.opportunities
        n, m = len(parts), len(opps)
        self.n, self.m = n, m
        self.capacity = opps.capacity
        self.first_timer = parts.first_timer
        self.confirmed = np.zeros(m, dtype=np.int64)
        self.ft_confirmed = np.zeros(m, dtype=np.int64)
        self.reserve = (
            np.floor(config.reserve_share * self.capacity).astype(np.int64)
            if policy.reserve
            else np.zeros(m, dtype=np.int64)
        )
        self.held = np.full((n, int(community.wanted.max(initial=1))), -1, dtype=np.int64)
        self.held_count = np.zeros(n, dtype=np.int64)
        self.active = np.ones(n, dtype=bool)
        self.first_seat_at = np.full(n, np.nan)
        self.demand = np.zeros(m)
        self.popularity = np.zeros(m)
        self.impressions = np.zeros(m, dtype=np.int64)
        self.fit_sum = 0.0
        self.log_opp: list[np.ndarray] = []
        self.log_full: list[np.ndarray] = []
        self.log_feed: list[np.ndarray] = []
        self.events: list[tuple[np.ndarray, float]] = []
        self.log: list[tuple[np.ndarray, np.ndarray, int, float]] = []
        self.pulse_cfg = config.pulse if policy.pulse else replace(config.pulse, lam=0.0)
        self.counts = {
            "sessions": 0,
            "invites": 0,
            "invites_accepted": 0,
            "declines": 0,
            "gave_up": 0,
            "quit": 0,
        }

    # --- seats ------------------------------------------------------------------------------
    def seats_for(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Seats left per opportunity for first-timers and for everyone else at time ``t``."""
        free = self.capacity - self.confirmed
        if not self.policy.reserve:
            return free, free
        held_back = t < self.com.opportunities.start - self.cfg.release_hours * HOUR
        reserved_left = np.where(held_back, np.maximum(self.reserve - self.ft_confirmed, 0), 0)
        return free, np.maximum(free - reserved_left, 0)

    def record(self, t: float, who: np.ndarray, opp: np.ndarray, action: str) -> None:
        """Log events and fold their weight into demand at the end of the step."""
        if who.size:
            self.log.append((who, opp, CODE[action], t))
            self.events.append((opp, self.cfg.pulse.weight(action)))

    def attempt(
        self, t: float, who: np.ndarray, opp: np.ndarray, fit: np.ndarray, *, feed: bool = True
    ) -> np.ndarray:
        """RSVP attempts made at ``t`` (from the feed, or accepted invitations and pushes when
        ``feed`` is False); returns who got the seat. Under a reserve, the attempts of everyone
        else are served first (they cannot use held seats), then the first-timers'."""
        ok = np.zeros(who.size, dtype=bool)
        groups = (
            [~self.first_timer[who], self.first_timer[who]]
            if self.policy.reserve
            else [np.ones(who.size, bool)]
        )
        for g, mask in enumerate(groups):
            idx = np.flatnonzero(mask)
            if idx.size == 0:
                continue
            ft_seats, other_seats = self.seats_for(t)
            seats = ft_seats if (self.policy.reserve and g == 1) else other_seats
            got, order = agents.resolve(self.rng, opp[idx], seats)
            self.log_opp.append(opp[idx][order])
            self.log_full.append(~got[order])
            self.log_feed.append(np.full(idx.size, feed))
            self.record(t, who[idx][~got], opp[idx][~got], "full")
            won = idx[got]
            ok[won] = True
            p, o = who[won], opp[won]
            np.add.at(self.confirmed, o, 1)
            np.add.at(self.ft_confirmed, o[self.first_timer[p]], 1)
            self.held[p, self.held_count[p]] = o
            self.held_count[p] += 1
            self.first_seat_at[p] = np.fmin(self.first_seat_at[p], t)
            self.fit_sum += float(fit[won].sum())
            self.popularity += np.bincount(o, minlength=self.m)
            self.record(t, p, o, ACCEPT)
        return ok

    def free_of_clash(self, who: np.ndarray, opp: np.ndarray) -> np.ndarray:
        """Pairs whose opportunity the participant does not hold and that does not overlap one they hold."""
        start, end = self.com.opportunities.start, self.com.opportunities.end
        ok = np.ones(who.size, dtype=bool)
        for j in range(self.held.shape[1]):
            h = self.held[who, j]
            has = h >= 0
            hh = np.maximum(h, 0)
            ok &= ~(has & ((h == opp) | ((start[hh] < end[opp]) & (start[opp] < end[hh]))))
        return ok

    # --- Flok's periodic rebalance -------------------------------------------------------------
    def offer(self, t: float, p: np.ndarray, o: np.ndarray, f: np.ndarray) -> None:
        """Invitations (or pushes) ``p → o``: read with probability ``invite_seen``, then taken
        with the RSVP probability of the feed; a read one not taken is declined."""
        u = f + self.appeal_now[o]
        seen = self.rng.random(p.size) < self.cfg.invite_seen
        take = self.rng.random(p.size) < expit((u - self.cfg.rsvp_mid) / self.cfg.rsvp_width)
        yes = seen & take
        self.counts["invites"] += int(p.size)
        self.counts["invites_accepted"] += int(yes.sum())
        no = seen & ~take
        self.counts["declines"] += int(no.sum())
        self.record(t, p[no], o[no], DECLINE)
        tried = p[yes]
        got = self.attempt(t, tried, o[yes], f[yes], feed=False)
        # "Full" after tapping an invitation or a push is the same dead-end as from the feed.
        missed = tried[~got]
        gone = missed[agents.give_up(self.rng, self.cfg, self.first_timer[missed])]
        self.active[gone] = False
        self.counts["gave_up"] += int(gone.size)

    def push(self, t: float, listed: np.ndarray, seeking: np.ndarray) -> None:
        """``fit_push``: each person still looking is sent their best open opportunity by fit,
        each on their own (nobody checks how many were pushed the same last seat)."""
        who = np.flatnonzero(seeking & self.active)
        if who.size == 0:
            return
        owner, opp, fit = self.open_pairs(t, who, listed)
        sel, _ = agents.top_per_owner(owner, fit, opp, 1)
        self.offer(t, owner[sel], opp[sel], fit[sel])

    def open_pairs(
        self, t: float, who: np.ndarray, listed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The possible pairs of ``who`` a policy may show: listed, no clash with a seat held,
        and, for capacity-aware policies, joinable with a seat left for that person."""
        pos = self.pairs.of(who)
        owner, opp, fit = self.pairs.participant[pos], self.pairs.opportunity[pos], self.pairs.fit[pos]
        ok = listed[opp] & self.free_of_clash(owner, opp)
        if self.policy.capacity_aware:
            ft_seats, other_seats = self.seats_for(t)
            seats = np.where(self.first_timer[owner], ft_seats[opp], other_seats[opp])
            ok &= joinable(self.com.opportunities.start[opp], seats, t, self.cfg.pulse)
        return owner[ok], opp[ok], fit[ok]

    def invite(self, t: float, listed: np.ndarray, pulse_now: np.ndarray, seeking: np.ndarray) -> None:
        """Run ``flok.pulse.rebalance`` for the people still looking and send each recommendation
        as an invitation. Under a reserve, everyone else is matched first to the seats open to
        them, then first-timers to what is left, reserved seats included (no extra priority)."""
        groups = (
            [seeking & ~self.first_timer, seeking & self.first_timer] if self.policy.reserve else [seeking]
        )
        for g, mask in enumerate(groups):
            who = np.flatnonzero(mask & self.active & (self.held_count < self.com.wanted))
            opp_idx = np.flatnonzero(listed)
            if who.size == 0 or opp_idx.size == 0:
                continue
            ft_seats, other_seats = self.seats_for(t)
            seats = ft_seats if (self.policy.reserve and g == 1) else other_seats
            result = rebalance(
                FitScorer(
                    _participants(self.com.participants, who),
                    _opportunities(self.com.opportunities, opp_idx),
                    self.cfg.fit,
                ),
                self._market(t, who, opp_idx, seats, pulse_now),
                RebalanceConfig(top_k=self.cfg.rebalance_top_k),
            )
            got = np.flatnonzero(result.seat >= 0)
            self.offer(t, who[got], opp_idx[result.seat[got]], result.fit[got])

    def _market(
        self, t: float, who: np.ndarray, opp_idx: np.ndarray, seats: np.ndarray, pulse_now: np.ndarray
    ) -> Market:
        """A ``flok.pulse.Market`` of the listed opportunities, seats as this group sees them."""
        local = np.full(self.m, -1, dtype=np.int64)
        local[opp_idx] = np.arange(opp_idx.size)
        rows, slots = np.nonzero(self.held[who] >= 0)
        held_local = local[self.held[who][rows, slots]]
        keep = held_local >= 0
        cap = self.capacity[opp_idx]
        return Market(
            at=t,
            demand=self.demand[opp_idx],
            pulse=pulse_now[opp_idx],
            capacity=cap,
            confirmed=cap - seats[opp_idx],
            attending_participant=self.com.participants.ids[who[rows[keep]]],
            attending_opportunity=held_local[keep],
            config=self.pulse_cfg,
        )

    # --- one step: sessions, feeds, clicks, RSVPs -------------------------------------------
    def sessions(
        self, t: float, hour: float, listed: np.ndarray, pulse_now: np.ndarray, seeking: np.ndarray
    ) -> None:
        cfg = self.cfg
        who = agents.sessions(
            self.rng,
            seeking & (self.held_count < self.com.wanted),
            self.com.session_rate,
            hour,
            cfg.step_seconds / HOUR,
        )
        self.counts["sessions"] += int(who.size)
        if who.size == 0:
            return
        owner, opp, fit = self.open_pairs(t, who, listed)
        key = self.policy.feed_key(fit, opp, pulse_now, self.popularity, self.pulse_cfg.lam)
        sel, rank = agents.top_per_owner(owner, key, opp, cfg.feed_size)
        owner, opp, fit = owner[sel], opp[sel], fit[sel]
        self.impressions += np.bincount(opp, minlength=self.m)
        clicked, nth = agents.intentions(self.rng, cfg, owner, rank, fit + self.appeal_now[opp])
        self.popularity += 0.2 * np.bincount(opp[clicked], minlength=self.m)
        self.record(t, owner[clicked], opp[clicked], CLICK)
        # A click not followed by an attempt is "not for me" with some probability.
        passed = clicked & (nth < 0)
        declined = passed & (self.rng.random(owner.size) < cfg.decline_after_click)
        self.counts["declines"] += int(declined.sum())
        self.record(t, owner[declined], opp[declined], DECLINE)
        trying = np.zeros(self.n, dtype=bool)
        trying[owner[nth == 0]] = True
        idle = np.setdiff1d(who, owner[nth == 0])
        quit_ = idle[self.rng.random(idle.size) < cfg.quit_after_empty_session]
        self.active[quit_] = False
        self.counts["quit"] += int(quit_.size)
        for j in range(cfg.attempts_per_session):
            go = np.flatnonzero((nth == j) & trying[owner])
            if go.size == 0:
                break
            p = owner[go]
            got = self.attempt(t, p, opp[go], fit[go])
            trying[p[got]] = False
            missed = p[~got]
            gone = missed[agents.give_up(self.rng, cfg, self.first_timer[missed])]
            self.active[gone] = False
            trying[gone] = False
            self.counts["gave_up"] += int(gone.size)

    def run(self) -> PolicyOutcome:
        began = perf_counter()
        cfg, com = self.cfg, self.com
        opps = com.opportunities
        tau = cfg.pulse.tau_seconds
        every = max(1, round(cfg.rebalance_every_hours * 3600 / cfg.step_seconds))
        first = round(8 * 3600 / cfg.step_seconds) % every
        history = np.full((cfg.steps, self.m), np.nan, dtype=np.float32)
        self.appeal_now = com.appeal
        for s in range(cfg.steps):
            t = com.t0 + s * cfg.step_seconds
            hour = (s * cfg.step_seconds / HOUR) % 24
            if s:
                self.demand *= np.exp(-cfg.step_seconds / tau)
            pulse_now = market_pulse(self.demand, self.capacity, self.confirmed, opps.start, t, cfg.pulse)
            self.appeal_now = com.appeal_at(t)
            # Listed: published, and still joinable in time (the product's own rule; every
            # policy, baselines too, since nobody can sign up after sign-up closes).
            listed = (com.created_at <= t) & joinable(opps.start, None, t, cfg.pulse)
            history[s, listed] = pulse_now[listed]
            seeking = self.active & (com.participants.joined_at <= t) & (self.held_count < com.wanted)
            if self.policy.rebalance and s % every == first:
                self.invite(t, listed, pulse_now, seeking)
            if self.policy.push and s % every == first:
                self.push(t, listed, seeking)
            self.sessions(t, hour, listed, pulse_now, seeking)
            self._ingest(t)
        return self._outcome(history, perf_counter() - began)

    def _ingest(self, t: float) -> None:
        """Fold this step's clicks and seats into demand with ``flok.pulse.ingest``."""
        if not self.events:
            return
        opp = np.concatenate([o for o, _ in self.events])
        w = np.concatenate([np.full(o.size, w) for o, w in self.events])
        self.events.clear()
        if opp.size:
            state = ingest(opp, w, np.full(opp.size, t), self.m, tau_seconds=self.cfg.pulse.tau_seconds)
            self.demand += state.at(t)

    def _outcome(self, history: np.ndarray, seconds: float) -> PolicyOutcome:
        parts = self.com.participants
        att_opp = np.concatenate(self.log_opp) if self.log_opp else np.zeros(0, dtype=np.int64)
        att_full = np.concatenate(self.log_full) if self.log_full else np.zeros(0, dtype=bool)
        att_feed = np.concatenate(self.log_feed) if self.log_feed else np.zeros(0, dtype=bool)
        listed = ~np.isnan(history)
        hot = np.where(listed, history, 0.0) >= self.cfg.pulse.high_demand_pulse
        matched = self.held_count > 0
        seats = int(self.confirmed.sum())
        ttf = metrics.time_to_first(parts.joined_at, self.first_seat_at)
        values: dict[str, float | None] = {
            # Recorded outcomes, as the library and the service count them: attempts refused
            # as full (reserve refusals included) ÷ attempts.
            "oversubscription_rate": metrics.oversubscription_rate(int(att_full.sum()), int(att_full.size)),
            # The same, over attempts made from the feed only: invitations (which a rebalance
            # never sends to a full opportunity) cannot dilute it.
            "oversubscription_feed_rate": metrics.oversubscription_rate(
                int((att_full & att_feed).sum()), int(att_feed.sum())
            ),
            "fill_rate": metrics.fill_rate(self.confirmed, self.capacity),
            "matched_share": metrics.matched_share(matched),
            "matched_24h_share": metrics.matched_within(parts.joined_at, self.first_seat_at, 24.0),
            "ttf_rsvp_median_h": _opt_float(ttf["median_hours"]),
            "ttf_rsvp_p90_h": _opt_float(ttf["p90_hours"]),
            "inclusion_gap": metrics.inclusion_gap(matched, parts.first_timer),
            "exposure_gini": metrics.gini(self.impressions),
            "mean_fit": self.fit_sum / seats if seats else None,
            # Share of listed opportunity-hours labelled "High demand".
            "high_demand_share": float(hot.sum() / listed.sum()) if listed.any() else None,
            # Invitations and pushes sent per participant: the cost of reaching out.
            "messages_per_participant": self.counts["invites"] / max(self.n, 1),
        }
        counts = {
            **self.counts,
            "attempts": int(att_opp.size),
            "feed_attempts": int(att_feed.sum()),
            "feed_full": int((att_full & att_feed).sum()),
            "full": int(att_full.sum()),
            "seats": seats,
            "matched": int(matched.sum()),
        }
        return PolicyOutcome(
            self.policy.name, values, counts, history, att_opp, att_full, seconds, self._event_log()
        )

    def _event_log(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self.log:
            return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        who = np.concatenate([w for w, _, _, _ in self.log]).astype(np.int64)
        opp = np.concatenate([o for _, o, _, _ in self.log]).astype(np.int64)
        act = np.concatenate([np.full(w.size, a) for w, _, a, _ in self.log]).astype(np.int64)
        at = np.concatenate([np.full(w.size, t) for w, _, _, t in self.log])
        return who, opp, act, at


def _opt_float(value: float | int | None) -> float | None:
    return None if value is None else float(value)


def _participants(parts: ParticipantProfiles, idx: np.ndarray) -> ParticipantProfiles:
    """The participants at ``idx``, as a new ``ParticipantProfiles`` (for a rebalance of a subset)."""
    return ParticipantProfiles(
        ids=parts.ids[idx],
        interests=parts.interests.take(idx),
        lat=parts.lat[idx],
        lon=parts.lon[idx],
        avail_start=parts.avail_start[idx],
        avail_end=parts.avail_end[idx],
        first_timer=parts.first_timer[idx],
        joined_at=parts.joined_at[idx],
    )


def _opportunities(opps: Opportunities, idx: np.ndarray) -> Opportunities:
    return Opportunities(
        ids=opps.ids[idx],
        capacity=opps.capacity[idx],
        start=opps.start[idx],
        end=opps.end[idx],
        lat=opps.lat[idx],
        lon=opps.lon[idx],
        tags=opps.tags.take(idx),
        title=opps.title[idx],
    )
