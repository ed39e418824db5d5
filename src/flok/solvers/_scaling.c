/*
 * flok.solvers._flowcore.scaling: cost-scaling push-relabel for Flok's plain allocation network
 * (Goldberg's algorithm with the participant-side "double push" and price refinement of Goldberg
 * & Kennedy's CSA), specialised to the network's shape.
 *
 * Network: participants 0..P-1 (supply sup[i]), opportunities 0..Q-1, a sink t.
 *   i -> j   capacity 1, cost cost[e]          (the ranked pairs, sorted by participant)
 *   j -> t   capacity cap[j], cost 0
 *   i -> t   capacity sup[i], cost M           (a unit of i stays unseated: the bypass)
 * Every unit reaches t, so the flow is feasible; M makes "most seats, then least cost" one
 * objective when it exceeds what any augmenting path can save. That is *checked*, not assumed:
 * after the solve a breadth-first search looks for an unseated unit that can still reach a free
 * seat; if one can, M was too small: it grows 4-fold and refinement goes on from the optimum just
 * found. A small M keeps the first refinements cheap (measured: 8 x the cost span solves the
 * benchmark's crowded instances without a second attempt, 2-3x faster than a safe worst-case M).
 *
 * Why cost scaling: successive shortest paths (the general core, _flowcore.c) pay one Dijkstra
 * over the tight part of the graph per rise of the marginal cost, and on crowded instances the
 * last seats cost many such rises. Cost scaling does O(log(K*C)) refinements of local work.
 *
 * Prices p, reduced cost c_p(v,w) = c(v,w) + p(v) - p(w), costs multiplied by K. Every cycle of the
 * residual graph alternates participants with {opportunities, t}, so a simple cycle has at most
 * L = 2*min(P, Q+1) arcs; with K = L + 1 an eps-optimal flow (every residual arc c_p >= -eps) with
 * eps = 1 has no negative cycle, hence is optimal. refine(eps) first keeps each one-seat
 * participant's seat if it is within eps of its best other option (re-pricing the participant so
 * every arc is eps-optimal) and frees it otherwise; other arcs of negative reduced cost are
 * saturated. Then it discharges active nodes in FIFO order: push on an admissible arc (residual,
 * c_p < 0) or relabel p(v) = max over residual arcs (p(w) - c(v,w)) - eps. A participant pushes on
 * its cheapest arc and takes its price from the second cheapest (a valid relabel that saves a
 * rescan); an opportunity sends its excess on to t while it has room, else back to the member
 * whose key c(i,j) + p(i) is high enough (members and keys sit side by side, read in order).
 *
 * Exact duals and the warm start (_repair.c): after the last refinement, label-correcting turns
 * the 1-optimal prices into exact ones (every residual arc's reduced cost >= 0), returned with
 * the scale they are in (K, cost offset, M). A warm start in that scale keeps the given seats
 * and prices, saturates the arcs whose reduced cost has the wrong sign and routes the resulting
 * imbalance by shortest paths. (Starting refinement from the previous prices instead was as
 * slow as a cold solve: after a 1% change the first eps they violate is close to the cold one,
 * and starting lower ends in bidding wars of eps-steps.) M is checked as after any solve.
 */
#include "_scaling.h"
#include "_scaling_int.h"

#include <stdlib.h>
#include <string.h>

#ifndef WARM_SHARE
#define WARM_SHARE 8 /* a warm start off balance by more than 1/8 of the units solves cold */
#endif
#ifndef WARM_BUDGET
#define WARM_BUDGET 16 /* ... and so does a repair that scans more than 16x the arcs and nodes */
#endif

/* of the last solve, for tests and benchmarks */
static long long last_refines, last_attempts, last_repaired, last_imbalance, last_exact;

long long flok_scaling_refines(void) { return last_refines; }
long long flok_scaling_attempts(void) { return last_attempts; }
long long flok_scaling_repaired(void) { return last_repaired; }
long long flok_scaling_imbalance(void) { return last_imbalance; }
long long flok_scaling_exact(void) { return last_exact; }

#define ALPHA 4     /* eps shrinks 4-fold per refinement (measured best of 2..32 on 2 cores) */
#ifndef M_FACTOR
#define M_FACTOR 8 /* first bypass cost, in units of the cost span (+1) */
#endif
#ifndef M_GROWTH
#define M_GROWTH 4 /* ... raised this many times when too small */
#endif

/* Participant i: push its excess, one unit at a time, on its cheapest residual arc; its new price
 * comes from the second cheapest. */
static void discharge_participant(CS *g, i64 i, i64 eps) {
    const i64 P = g->P, T = g->T;
    i64 *p = g->p;
    while (g->ex[i] > 0) {
        i64 best = INF, second = INF, be = -1;
        for (i64 e = g->off[i]; e < g->off[i + 1]; e++) {
            if (g->fl[e]) continue;
            i64 t = g->cs[e] - p[P + g->opp[e]];
            if (t < best) { second = best; best = t; be = e; }
            else if (t < second) second = t;
        }
        if (g->b[i] < g->sup[i]) {
            i64 t = g->MK - p[T];
            if (t < best) { second = best; best = t; be = -1; }
            else if (t < second) second = t;
            if (g->b[i] + 1 < g->sup[i] && t < second) second = t; /* the bypass stays residual */
        }
        if (best == INF) return; /* cannot happen: the bypass is residual while i has an excess */
        if (best + p[i] >= 0) p[i] = -best - eps; /* relabel: the cheapest arc becomes admissible */
        if (be >= 0) {
            g->fl[be] = 1;
            i64 j = P + g->opp[be];
            g->ex[j]++;
            activate(g, j);
        } else {
            if (!g->inbyp[i]) { g->inbyp[i] = 1; g->byp[g->nbyp++] = (i32)i; }
            g->b[i]++;
            g->ex[T]++;
            activate(g, T);
        }
        g->ex[i]--;
        /* CSA: with the cheapest arc used, the second cheapest sets the price (a valid relabel:
         * every residual arc keeps c_p >= -eps, the arc just used gets c_p >= +eps backwards). */
        if (second != INF) {
            i64 np = -second - eps;
            if (np < p[i]) p[i] = np;
        }
        if (be >= 0) cs_member_add(g, be, i);
        if (g->sup[i] > 1)
            for (i64 e = g->off[i]; e < g->off[i + 1]; e++)
                if (g->fl[e]) g->mkey[g->mpos[e]] = g->cs[e] + p[i];
    }
}

/* Opportunity j: its excess goes on to t while there is room, else back to members; standard
 * current-arc push/relabel over [t, members...]. */
static void discharge_opportunity(CS *g, i64 j, i64 eps) {
    const i64 P = g->P, T = g->T;
    i64 v = P + j, *p = g->p;
    while (g->ex[v] > 0) {
        i64 deg = 1 + g->mlen[j];
        if (g->ptr[v] >= deg) {
            /* relabel: p(v) = max over residual arcs (p(w) - c(v,w)) - eps */
            i64 mx = -INF + 1;
            if (g->fT[j] < g->cap[j]) mx = p[T];
            const i64 *mk = g->mkey + g->mstart[j];
            for (i64 k = 0, len = g->mlen[j]; k < len; k++)
                if (mk[k] > mx) mx = mk[k];
            p[v] = mx - eps;
            g->ptr[v] = 0;
            continue;
        }
        i64 k = g->ptr[v];
        if (k == 0) {
            if (g->fT[j] < g->cap[j] && p[v] - p[T] < 0) {
                i64 amt = g->ex[v] < g->cap[j] - g->fT[j] ? g->ex[v] : g->cap[j] - g->fT[j];
                g->fT[j] += amt;
                g->ex[v] -= amt;
                g->ex[T] += amt;
                activate(g, T);
                continue;
            }
            g->ptr[v]++;
            continue;
        }
        if (g->mkey[g->mstart[j] + k - 1] > p[v]) { /* admissible: -c(i,j) + p(j) - p(i) < 0 */
            i64 e = g->mem[g->mstart[j] + k - 1];
            i64 i = g->mown[g->mstart[j] + k - 1];
            g->fl[e] = 0;
            cs_member_remove(g, e); /* the last member moves into slot k-1: look at it next */
            g->ex[v]--;
            g->ex[i]++;
            activate(g, i);
            continue;
        }
        g->ptr[v]++;
    }
}

/* t: back along j → t or i → t (rare: only after a refine's initial saturation). */
static void discharge_sink(CS *g, i64 eps) {
    const i64 P = g->P, Q = g->Q, T = g->T;
    i64 *p = g->p;
    while (g->ex[T] > 0) {
        i64 deg = Q + g->nbyp;
        if (g->ptr[T] >= deg) {
            i64 mx = -INF + 1;
            for (i64 j = 0; j < Q; j++)
                if (g->fT[j] > 0 && p[P + j] > mx) mx = p[P + j];
            for (i64 k = 0; k < g->nbyp; k++) {
                i64 i = g->byp[k];
                if (g->b[i] > 0 && p[i] + g->MK > mx) mx = p[i] + g->MK;
            }
            p[T] = mx - eps;
            g->ptr[T] = 0;
            continue;
        }
        i64 k = g->ptr[T];
        if (k < Q) {
            if (g->fT[k] > 0 && p[T] - p[P + k] < 0) {
                i64 amt = g->ex[T] < g->fT[k] ? g->ex[T] : g->fT[k];
                g->fT[k] -= amt;
                g->ex[T] -= amt;
                g->ex[P + k] += amt;
                activate(g, P + k);
                continue;
            }
        } else {
            i64 i = g->byp[k - Q];
            if (g->b[i] > 0 && -g->MK + p[T] - p[i] < 0) {
                i64 amt = g->ex[T] < g->b[i] ? g->ex[T] : g->b[i];
                g->b[i] -= amt;
                g->ex[T] -= amt;
                g->ex[i] += amt;
                activate(g, i);
                continue;
            }
        }
        g->ptr[T]++;
    }
}

static void refine(CS *g, i64 eps) {
    const i64 P = g->P, Q = g->Q, T = g->T, N = g->N;
    i64 *p = g->p, *ex = g->ex;
    /* saturate every residual arc of negative reduced cost; rebuild members and excesses */
    memset(g->mlen, 0, (size_t)Q * sizeof(i64));
    g->nbyp = 0;
    memset(g->inbyp, 0, (size_t)P);
    for (i64 v = 0; v < N; v++) ex[v] = 0;
    i64 total = 0;
    for (i64 i = 0; i < P; i++) {
        ex[i] = g->sup[i];
        total += g->sup[i];
        if (g->sup[i] == 1) {
            /* One seat: keep it if it is within eps of the best other option (CSA's price
             * refinement) and price the participant so every arc is eps-optimal; otherwise free it. */
            i64 tmin = INF, ta = INF, ea = -2;
            for (i64 e = g->off[i]; e < g->off[i + 1]; e++) {
                g->mpos[e] = -1;
                i64 t = g->cs[e] - p[P + g->opp[e]];
                if (g->fl[e] && ea == -2) { ea = e; ta = t; continue; }
                g->fl[e] = 0;
                if (t < tmin) tmin = t;
            }
            i64 tb = g->MK - p[T];
            if (g->b[i] > 0 && ea == -2) { ea = -1; ta = tb; }
            else {
                g->b[i] = 0;
                if (tb < tmin) tmin = tb;
            }
            if (ea != -2 && ta <= tmin + eps) {
                p[i] = tmin == INF ? -ta : -tmin - eps;
                ex[i] = 0;
                if (ea >= 0) { cs_member_add(g, ea, i); ex[P + g->opp[ea]]++; }
                else { ex[T]++; g->inbyp[i] = 1; g->byp[g->nbyp++] = (i32)i; }
            } else {
                if (ea >= 0) g->fl[ea] = 0;
                else if (ea == -1) g->b[i] = 0;
                if (ta < tmin) tmin = ta;
                p[i] = -tmin - eps;
            }
            continue;
        }
        for (i64 e = g->off[i]; e < g->off[i + 1]; e++) {
            i64 rc = g->cs[e] + p[i] - p[P + g->opp[e]];
            if (rc < 0) g->fl[e] = 1;
            else if (rc > 0) g->fl[e] = 0;
            if (g->fl[e]) { cs_member_add(g, e, i); ex[i]--; ex[P + g->opp[e]]++; }
            else g->mpos[e] = -1;
        }
        i64 rc = g->MK + p[i] - p[T];
        if (rc < 0) g->b[i] = g->sup[i];
        else if (rc > 0) g->b[i] = 0;
        ex[i] -= g->b[i];
        ex[T] += g->b[i];
        if (g->b[i] > 0) { g->inbyp[i] = 1; g->byp[g->nbyp++] = (i32)i; }
    }
    ex[T] -= total;
    for (i64 j = 0; j < Q; j++) {
        i64 rc = p[P + j] - p[T];
        if (rc < 0) g->fT[j] = g->cap[j];
        else if (rc > 0) g->fT[j] = 0;
        ex[P + j] -= g->fT[j];
        ex[T] += g->fT[j];
    }
    g->qh = g->qt = 0;
    memset(g->inq, 0, (size_t)N);
    for (i64 v = 0; v < N; v++) { g->ptr[v] = 0; activate(g, v); }
    while (g->qh != g->qt) {
        i64 v = g->queue[g->qh];
        g->qh = g->qh + 1 == N ? 0 : g->qh + 1;
        g->inq[v] = 0;
        if (v < P) discharge_participant(g, v, eps);
        else if (v < T) discharge_opportunity(g, v - P, eps);
        else discharge_sink(g, eps);
    }
}

/* Can a participant's bypassed unit still reach a free seat? (then M was too small) */
static int augmentable(CS *g, i32 *bfs, char *seen) {
    const i64 P = g->P, Q = g->Q;
    /* locals throughout: a store to seen (a char array) could alias what g points to */
    const i64 *off = g->off, *fT = g->fT, *cap = g->cap, *b = g->b, *mstart = g->mstart, *mlen = g->mlen;
    const i32 *opp = g->opp, *mown = g->mown;
    const unsigned char *fl = g->fl;
    i64 qh = 0, qt = 0;
    memset(seen, 0, (size_t)(P + Q));
    for (i64 i = 0; i < P; i++)
        if (b[i] > 0) { seen[i] = 1; bfs[qt++] = (i32)i; }
    while (qh < qt) {
        i64 v = bfs[qh++];
        if (v < P) {
            for (i64 e = off[v], e1 = off[v + 1]; e < e1; e++) {
                i64 w = P + opp[e];
                if (!fl[e] && !seen[w]) { seen[w] = 1; bfs[qt++] = (i32)w; }
            }
        } else {
            i64 j = v - P;
            if (fT[j] < cap[j]) return 1;
            const i32 *mo = mown + mstart[j];
            for (i64 k = 0, len = mlen[j]; k < len; k++) {
                i64 i = mo[k];
                if (!seen[i]) { seen[i] = 1; bfs[qt++] = (i32)i; }
            }
        }
    }
    return 0;
}


/* The warm start: the given seats (capped at supplies and capacities) and prices, every residual
 * arc of negative reduced cost saturated, then cs_repair. Nodes priced WARM_NEW (new since the
 * previous solve) get a price that fits them: an opportunity the sink's, a participant the best
 * its options allow. Returns 0 repaired, 1 not worth it or over budget (solve cold). */
static int warm_repair(CS *g, const unsigned char *flow, const i64 *pot) {
    const i64 P = g->P, Q = g->Q, T = g->T, N = g->N, E = g->E;
    i64 *p = g->p, *ex = g->ex;
    if (pot[T] == WARM_NEW) return 1;
    for (i64 v = 0; v < N; v++) {
        if (pot[v] == WARM_NEW) continue;
        if (pot[v] > g->MK * (N + 2) || pot[v] < -g->MK * (N + 2)) return 1; /* not a price of ours */
    }
    for (i64 v = 0; v < N; v++) p[v] = pot[v];
    for (i64 j = 0; j < Q; j++)
        if (p[P + j] == WARM_NEW) p[P + j] = p[T];
    memset(g->mlen, 0, (size_t)Q * sizeof(i64));
    memset(g->fT, 0, (size_t)Q * sizeof(i64));
    memset(g->inbyp, 0, (size_t)P);
    g->nbyp = 0;
    for (i64 v = 0; v < N; v++) ex[v] = 0;
    i64 total = 0;
    /* The arrays in locals: the compiler may then keep them in registers (a store through fl, a
     * char array, could otherwise alias every field of g, and each was reloaded per arc). */
    const i64 *const off = g->off, *const cs = g->cs, *const sup = g->sup, *const cap = g->cap;
    const i32 *const opp = g->opp;
    unsigned char *const fl = g->fl;
    i64 *const fT = g->fT, *const b = g->b;
    const i64 MK = g->MK, pT = p[T];
    /* One pass over the participants (their arcs stay in cache): seats, price, saturation. Only
     * participant i's own arcs change at i, so this is the same as three passes; the order only
     * decides who keeps a seat where a capacity was cut, and the repair makes either optimal. */
    for (i64 i = 0; i < P; i++) {
        /* the given seats, within supply and capacity, and the interval its price must lie in:
         * between its best open option and its worst seat where one exists (the given price
         * when it fits), else at the best open option (worse seats are freed below). Members
         * are listed once the price is set (a member's mpos is the only one ever read). */
        const i64 e0 = off[i], e1 = off[i + 1], si = sup[i];
        i64 held = 0, lo = -INF, hi = INF;
        for (i64 e = e0; e < e1; e++) {
            i64 j = opp[e], v = p[P + j] - cs[e];
            int seat = flow[e] && held < si && fT[j] < cap[j];
            fl[e] = (unsigned char)seat;
            if (seat) { held++; fT[j]++; if (v < hi) hi = v; }
            else if (v > lo) lo = v;
        }
        i64 bi = p[i] == WARM_NEW ? 0 : si - held; /* a newcomer starts with its supply */
        if (bi > 0) { g->inbyp[i] = 1; g->byp[g->nbyp++] = (i32)i; }
        if (bi < si && pT - MK > lo) lo = pT - MK;
        if (bi > 0 && pT - MK < hi) hi = pT - MK;
        i64 pi = p[i];
        if (pi == WARM_NEW || lo > hi) pi = lo > -INF ? lo : (hi < INF ? hi : pT - MK);
        else if (pi < lo) pi = lo;
        else if (pi > hi) pi = hi;
        p[i] = pi;
        /* saturate or empty every arc whose reduced cost has the wrong sign; the rest is excess */
        i64 exi = si;
        total += si;
        for (i64 e = e0; e < e1; e++) {
            i64 j = opp[e], rc = cs[e] + pi - p[P + j];
            unsigned char f = rc < 0 ? 1 : rc > 0 ? 0 : fl[e];
            fl[e] = f;
            if (f) { cs_member_add(g, e, i); exi--; ex[P + j]++; }
        }
        i64 rc = MK + pi - pT;
        if (rc < 0) bi = si;
        else if (rc > 0) bi = 0;
        if (bi > 0 && !g->inbyp[i]) { g->inbyp[i] = 1; g->byp[g->nbyp++] = (i32)i; }
        b[i] = bi;
        ex[i] = exi - bi;
        ex[T] += bi;
    }
    ex[T] -= total;
    for (i64 j = 0; j < Q; j++) {
        i64 rc = p[P + j] - p[T];
        if (rc < 0) g->fT[j] = g->cap[j];
        else if (rc > 0) g->fT[j] = 0;
        else if (g->fT[j] > g->cap[j]) g->fT[j] = g->cap[j];
        ex[P + j] -= g->fT[j];
        ex[T] += g->fT[j];
    }
    /* A start far from this optimum is cheaper solved cold. */
    i64 off_balance = 0;
    for (i64 v = 0; v < N; v++)
        if (ex[v] > 0) off_balance += ex[v];
    last_imbalance = off_balance;
    if (off_balance > total / WARM_SHARE + 64) return 1;
    int rs = cs_repair(g, (E + N) * WARM_BUDGET + 65536);
    return rs == 0 ? 0 : 1;
}

int flok_scaling(i64 P, i64 Q, const i64 *off, const i32 *opp, const i64 *cost, const i64 *sup,
                 const i64 *cap, unsigned char *flow, i64 *pot, i64 *params, int warm, Workspace *ws) {
    const i64 E = off[P], T = P + Q, N = P + Q + 1;
    i64 K = params[0];
    int status = 0;
    CS g;
    memset(&g, 0, sizeof g);
    g.P = P; g.Q = Q; g.T = T; g.N = N; g.E = E;
    g.off = off; g.sup = sup; g.cap = cap; g.ws = ws;
    /* scratch arrays from the workspace (_workspace.h): calloc'd ones come back zeroed */
#define WS(T, slot, count, zero) ((T *)ws_get(ws, slot, (size_t)(count) * sizeof(T), zero))
    i32 *mem = WS(i32, WS_MEM, E + 1, 0);
    i32 *mown = WS(i32, WS_MOWN, E + 1, 0);
    i64 *mpos = WS(i64, WS_MPOS, E + 1, 0);
    i64 *mkey = WS(i64, WS_MKEY, E + 1, 0);
    i64 *cs = WS(i64, WS_CS, E + 1, 0);
    unsigned char *fl = WS(unsigned char, WS_FL, E + 1, 1);
    i64 *mstart = WS(i64, WS_MSTART, Q + 1, 1);
    i64 *mlen = WS(i64, WS_MLEN, Q + 1, 1);
    i64 *fT = WS(i64, WS_FT, Q + 1, 1);
    i64 *b = WS(i64, WS_B, P + 1, 1);
    i64 *ex = WS(i64, WS_EX, N, 1);
    i64 *ptr = WS(i64, WS_PTR, N, 1);
    i32 *queue = WS(i32, WS_QUEUE, N, 0);
    char *inq = WS(char, WS_INQ, N, 1);
    i64 *p = WS(i64, WS_P, N, 1);
    i32 *byp = WS(i32, WS_BYP, P + 1, 0);
    char *inbyp = WS(char, WS_INBYP, P + 1, 1);
    char *seen = WS(char, WS_SEEN, P + Q + 1, 0);
    i32 *bfs = WS(i32, WS_BFS, P + Q + 1, 0);
#undef WS
    if (!seen || !bfs || !mkey || !byp || !inbyp || !mem || !mown || !mpos || !cs || !fl || !mstart || !mlen || !fT || !b || !ex || !ptr || !queue ||
        !inq || !p) {
        status = 2;
        goto out;
    }
    i64 lo = INF, hi = -INF + 1, seats = 0, total_cap = 0;
    for (i64 i = 0; i < P; i++) seats += sup[i];
    for (i64 j = 0; j < Q; j++) total_cap += cap[j];
    for (i64 e = 0; e < E; e++) {
        if (opp[e] < 0 || opp[e] >= Q) { status = 3; goto out; }
        mstart[opp[e] + 1]++;
        if (cost[e] < lo) lo = cost[e];
        if (cost[e] > hi) hi = cost[e];
    }
    if (E == 0) lo = hi = 0;
    /* A warm start keeps the previous solve's scale, offset and bypass cost, so its prices mean the
     * same; M is checked below as always (against costs measured from that offset). */
    int warm_ok = warm && params[1] <= lo && params[2] >= 1;
    if (warm_ok) lo = params[1];
    const i64 span = hi - lo;
    for (i64 j = 0; j < Q; j++) mstart[j + 1] += mstart[j];
    g.opp = opp; g.mem = mem; g.mown = mown; g.mpos = mpos; g.mkey = mkey; g.cs = cs; g.fl = fl; g.mstart = mstart;
    g.mlen = mlen; g.fT = fT; g.b = b; g.ex = ex; g.ptr = ptr; g.queue = queue; g.inq = inq; g.p = p; g.byp = byp; g.inbyp = inbyp;
    /* Every cycle of the residual graph alternates participants with {opportunities, t}, so a
     * simple one has at most L = 2·min(P, Q + 1) arcs: eps-optimal with eps·L < K is optimal. */
    if (K < 2 * (P < Q + 1 ? P : Q + 1) + 1) { status = 3; goto out; }
    /* M: a first guess well above one path's saving on small networks; raised if the check fails */
    i64 units = seats < total_cap ? seats : total_cap;
    i64 M = (span + 1) * M_FACTOR;
    if (M > (span + 1) * (units + 1)) M = (span + 1) * (units + 1);
    const i64 M_SAFE = (span + 1) * (units + 1); /* a path seats <= units + 1 units at <= span each */
    if (warm_ok) M = params[2]; /* the previous one: the given prices are in its terms */
    last_refines = last_attempts = last_repaired = 0;
    flok_repair_reset();
    last_imbalance = -1;
    i64 M_prev = M;
    int exact = 0;
    for (int attempt = 0;; attempt++) {
        last_attempts++;
        /* prices fall by at most ~3N·eps per refinement, eps shrinking 4-fold from M·K */
        if ((double)M * (double)K * (double)(N + 2) * 4.0 > 9.0e18) { status = 4; goto out; }
        for (i64 e = 0; e < E; e++) cs[e] = (cost[e] - lo) * K;
        g.MK = M * K;
        i64 eps;
        int repaired = 0;
        if (warm_ok && attempt == 0) {
            repaired = warm_repair(&g, flow, pot) == 0;
            last_repaired = repaired;
        }
        if (repaired) {
            eps = 1; /* exact already: only the bypass cost remains to check */
        } else if (attempt > 0) {
            /* M grew: the last optimum is still eps-optimal but for the bypass arcs, whose cost
             * rose by the difference; refine from there (the unseated bid harder) */
            eps = (M - M_prev) * K;
        } else {
            for (i64 v = 0; v < N; v++) p[v] = 0;
            memset(fl, 0, (size_t)E);
            memset(b, 0, (size_t)P * sizeof(i64));
            memset(fT, 0, (size_t)Q * sizeof(i64));
            eps = g.MK;
        }
        while (eps > 1) {
            eps = eps / ALPHA > 1 ? eps / ALPHA : 1;
            refine(&g, eps);
            last_refines++;
            exact = 0;
        }
        if (repaired) exact = 1;
        if (!augmentable(&g, bfs, seen)) break;
        if (M >= M_SAFE) { status = 3; break; } /* cannot happen: M_SAFE exceeds any path's saving */
        M_prev = M;
        M = M * M_GROWTH < M_SAFE ? M * M_GROWTH : M_SAFE;
    }
    if (status == 0) {
        /* exact duals for the next warm start; without them it would still be exact, only slower */
        if (!exact) exact = cs_exact_prices(&g, (E + N) * WARM_BUDGET + 65536) == 0;
        last_exact = exact;
        params[0] = K;
        params[1] = lo;
        params[2] = M;
        memcpy(flow, fl, (size_t)E);
        for (i64 v = 0; v < N; v++) pot[v] = p[v];
    }
out:
    return status;
}
