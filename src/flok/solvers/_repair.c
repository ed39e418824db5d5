/*
 * Exact prices and the warm repair of the cost-scaling core (see _scaling.c for the network).
 *
 * Why: cost scaling ends 1-optimal (every residual arc has reduced cost >= -1 in scaled units),
 * which proves the flow optimal but leaves every participant's second choice one unit "too
 * cheap". A re-solve after a small change wants prices under which *every* residual arc has
 * reduced cost >= 0 (exact duals): then only the changed part of the network violates them.
 *
 * cs_exact_prices: label-correcting (FIFO Bellman-Ford) from the 1-optimal prices to exact ones on
 * the optimal flow's residual graph; it has no negative cycle, so this ends, and the prices move
 * by less than K in all.
 *
 * cs_repair: successive shortest paths from a pseudoflow whose residual arcs all have reduced
 * cost >= 0 (the caller saturates those that do not). Each round takes one node with an excess
 * (in turn) and finds a shortest path from it to any node with a deficit: Dijkstra forward from
 * it, joined by Dijkstra backward from every deficit once the forward side has worked a while
 * (see search). The prices of the nodes settled move by their distances, which keeps every
 * reduced cost >= 0 and makes the path's arcs 0, and a unit goes along the path. (Sending more
 * along tight arcs depth first after each search was measured too: once the searches start from
 * one excess, it found almost nothing more and cost a fifth of the work.) Prices jump by whole
 * distances, so a newcomer at a crowded opportunity costs a search, not a bidding war of
 * eps-steps. Work is counted in arcs scanned; past the budget the repair gives up and the caller
 * solves cold, so a bad start never costs much more than a cold solve.
 *
 * Most of a round's work was labelling nodes it never settles. Nodes with many arcs (an
 * opportunity's members and listers, the sink's arcs both ways) label only their tight arcs when
 * they settle; the rest wait as one heap entry (see "Arcs that wait"). The sink's arcs back to the
 * unseated participants, which are all tight, are relaxed one at a time from a mark in the queue
 * (see lazy_step). Together: 81% fewer arcs relaxed on the benchmark's 1% change, 91% fewer when
 * 1% of the people are replaced.
 *
 * Measured (flok bench resolve, second table; README "Performance" has each run's figures): at
 * 100k x 2k the 1% change re-solves about 11x faster than a cold solve, one person leaving and
 * one joining about 23x, and replacing 1% of the people by newcomers who crowd the same
 * opportunities about 6x. What it cost before, per unit moved, and why: in a crowded market many
 * options tie at the exact prices. A search from every excess at once settled the tied region
 * around each of them before any reached a deficit (3x the work); a forward search alone, once
 * the sink is balanced, settled the whole tied region around it before reaching a freed seat one
 * rank away (tens of thousands of nodes, for each of the last few units); seen from the seat,
 * that region is usually far.
 */
#include "_heap.h"
#include "_scaling.h"
#include "_scaling_int.h"

#include <stdlib.h>
#include <string.h>

#ifndef BI_AFTER
#define BI_AFTER 4096 /* a round's forward search scans this many arcs before the backward one joins */
#endif
static i64 bi_after = BI_AFTER;
#define LAZY_T (-1) /* in a forward queue: t's bypass arcs, still to relax (see lazy_step) */
/* Heap entries that stand for arcs still to relax (see "Arcs that wait"): */
#define MEMBERS(j) (-2 - (j)) /* forward: from opportunity j to its members */
#define LISTERS(j) (-2 - (j)) /* backward: into opportunity j from those who list it unseated there */
#define FROM_T INT32_MIN      /* forward: from t back to the opportunities it takes seats from */
#define INTO_T INT32_MIN      /* backward: from the seated participants into t */
static long long last_rounds, last_bi_rounds;
static i64 stamp_limit = (i64)1 << 30; /* rounds counted before the stamps start again (see cs_repair) */

long long flok_repair_tune(long long work) {
    long long old = bi_after;
    if (work >= 0) bi_after = work;
    return old;
}
long long flok_repair_stamp_limit(long long limit) {
    long long old = stamp_limit;
    if (limit >= 0) stamp_limit = limit;
    return old;
}
long long flok_repair_rounds(void) { return last_rounds; }
long long flok_repair_bi_rounds(void) { return last_bi_rounds; }
void flok_repair_reset(void) { last_rounds = last_bi_rounds = 0; }

static inline void push_fifo(i32 *q, char *inq, i64 N, i64 *qt, i64 *cnt, i64 v) {
    if (inq[v]) return;
    inq[v] = 1;
    q[*qt] = (i32)v;
    *qt = *qt + 1 == N ? 0 : *qt + 1;
    (*cnt)++;
}

/* Lower p(w) to p(u) + c(u, w) wherever a residual arc u -> w has negative reduced cost. */
int cs_exact_prices(CS *g, i64 budget) {
    const i64 P = g->P, Q = g->Q, T = g->T, N = g->N;
    i64 *p = g->p, qh = 0, qt = 0, cnt = 0, work = 0;
    i32 *q = g->queue;
    char *inq = g->inq;
    memset(inq, 0, (size_t)N);
    for (i64 v = 0; v < N; v++) push_fifo(q, inq, N, &qt, &cnt, v);
    while (cnt > 0) {
        i64 u = q[qh];
        qh = qh + 1 == N ? 0 : qh + 1;
        cnt--;
        inq[u] = 0;
        if (u < P) {
            for (i64 e = g->off[u]; e < g->off[u + 1]; e++) {
                if (g->fl[e]) continue;
                i64 w = P + g->opp[e], rc = g->cs[e] + p[u] - p[w];
                if (rc < 0) { p[w] += rc; push_fifo(q, inq, N, &qt, &cnt, w); }
            }
            work += g->off[u + 1] - g->off[u] + 1;
            if (g->b[u] < g->sup[u]) {
                i64 rc = g->MK + p[u] - p[T];
                if (rc < 0) { p[T] += rc; push_fifo(q, inq, N, &qt, &cnt, T); }
            }
        } else if (u < T) {
            i64 j = u - P;
            const i32 *ms = g->mem + g->mstart[j];
            for (i64 k = 0, len = g->mlen[j]; k < len; k++) {
                i64 e = ms[k], i = g->mown[g->mstart[j] + k], rc = -g->cs[e] + p[u] - p[i];
                if (rc < 0) { p[i] += rc; push_fifo(q, inq, N, &qt, &cnt, i); }
            }
            work += g->mlen[j] + 1;
            if (g->fT[j] < g->cap[j]) {
                i64 rc = p[u] - p[T];
                if (rc < 0) { p[T] += rc; push_fifo(q, inq, N, &qt, &cnt, T); }
            }
        } else {
            for (i64 j = 0; j < Q; j++) {
                i64 rc = p[T] - p[P + j];
                if (g->fT[j] > 0 && rc < 0) { p[P + j] += rc; push_fifo(q, inq, N, &qt, &cnt, P + j); }
            }
            for (i64 k = 0; k < g->nbyp; k++) {
                i64 i = g->byp[k], rc = -g->MK + p[T] - p[i];
                if (g->b[i] > 0 && rc < 0) { p[i] += rc; push_fifo(q, inq, N, &qt, &cnt, i); }
            }
            work += Q + g->nbyp;
        }
        if (work > budget) return 1;
    }
    return 0;
}

/* One search's label of a node: tentative distance, round labelled, round settled, and the
 * node (and pair arc, -1 for an arc of t) it was labelled from: its predecessor toward an excess
 * forward, its successor toward a deficit backward (-1 at an excess or a deficit). */
typedef struct {
    i64 d;
    i32 mark, done, from, arc;
} Side;

/* What both searches know of a node, side by side: one cache line where six arrays were. The
 * round stamps say whether a label belongs to this round. */
typedef struct {
    Side f, b;
} Label;

/* One of a round's two Dijkstras: forward from the excesses over the residual arcs, or backward
 * from the deficits over the same arcs reversed (bidirectional rounds only). */
typedef struct {
    int back;
    i32 *settled, *zq; /* settled nodes; nodes reached by a tight arc (see relax) */
    i32 *seen;         /* nodes labelled this round (kept backward only, see lazy_step) */
    i64 nseen;
    i64 zh, zt, nsettled, work;
    Heap h; /* (distance, node), lazy deletion */
} Dir;

typedef struct {
    Label *n;
    Dir fw, bw;
    i64 *istart; /* every pair arc by opportunity (built when a backward search first runs) */
    i32 *iarc, *iown; /* ... and its participant beside it */
    i64 *pos;   /* where a node sits on the path being assembled (round stamped, see path_of) */
    i32 *pnode, *parc;
    i64 mu;     /* the shortest excess-to-deficit length found so far, through node meet */
    i64 meet;
    i64 round, work;
    i64 tcur, tdist; /* t's bypass arcs still to relax forward (from byp[tcur]), t's distance */
    int tlazy;       /* some of them are still waiting (a LAZY_T mark is in the forward queue) */
    int both; /* this round searched backward too */
} Search;

/* Residual capacity of the arc u -> v (pair arc e, or -1 for an arc of t). */
static i64 residual(const CS *g, i64 u, i64 v, i64 e) {
    const i64 P = g->P, T = g->T;
    if (e >= 0) return 1; /* a pair, either way */
    if (v == T) return u < P ? g->sup[u] - g->b[u] : g->cap[u - P] - g->fT[u - P];
    return v < P ? g->b[v] : g->fT[v - P];
}

static void send(CS *g, i64 u, i64 v, i64 e, i64 amt) {
    const i64 P = g->P, T = g->T;
    if (e >= 0) {
        if (u < P) { g->fl[e] = 1; cs_member_add(g, e, u); }
        else { g->fl[e] = 0; cs_member_remove(g, e); }
    } else if (v == T) {
        if (u < P) {
            g->b[u] += amt;
            if (!g->inbyp[u]) { g->inbyp[u] = 1; g->byp[g->nbyp++] = (i32)u; }
        } else g->fT[u - P] += amt;
    } else if (v < P) g->b[v] -= amt;
    else g->fT[v - P] -= amt;
}

/* A path through a node labelled both ways is a candidate for the shortest one. */
static inline void meet_at(Search *s, i64 v) {
    const Label *x = &s->n[v];
    if (x->f.mark == s->round && x->b.mark == s->round && x->f.d + x->b.d < s->mu) {
        s->mu = x->f.d + x->b.d;
        s->meet = v;
    }
}

static inline Side *side(Search *s, const Dir *dir, i64 v) { return dir->back ? &s->n[v].b : &s->n[v].f; }

/* Label v from u, settled at distance d, over the arc between them (u -> v forward, v -> u
 * backward; pair arc e, or -1). 0, or 1 out of memory, or 2 a negative reduced cost (cannot
 * happen: the caller saturated those arcs; the repair then gives up rather than return a flow it
 * cannot vouch for). A node reached by a tight arc is at the distance being settled: it goes to
 * a first-in-first-out queue instead of the heap, which saves the heap most of its work in a
 * tied market and settles breadth first, so the paths found are short. */
static inline int relax(Search *s, Dir *dir, i64 u, i64 v, i64 e, i64 d, i64 rc) {
    Side *x = side(s, dir, v);
    if (x->done == s->round) return 0;
    if (rc < 0) return 2;
    i64 nd = d + rc;
    if (x->mark != s->round || nd < x->d) {
        if (dir->seen && x->mark != s->round) dir->seen[dir->nseen++] = (i32)v;
        x->mark = (i32)s->round;
        x->d = nd;
        x->from = (i32)u;
        x->arc = (i32)e;
        meet_at(s, v);
        if (rc == 0) { dir->zq[dir->zt++] = (i32)v; return 0; }
        return heap_push(&dir->h, nd, (i32)v) ? 1 : 0;
    }
    return 0;
}

/* A node labelled at distance 0 from the start of a round: an excess forward, a deficit back. */
static inline void start_at(Search *s, Dir *dir, i64 v) {
    Side *x = side(s, dir, v);
    if (dir->seen) dir->seen[dir->nseen++] = (i32)v;
    x->mark = (i32)s->round;
    x->d = 0;
    x->from = x->arc = -1;
    dir->zq[dir->zt++] = (i32)v;
}

/* The smallest distance a search may still settle (INF when it has nothing left). */
static inline i64 next_key(Search *s, Dir *dir) {
    if (dir->zh < dir->zt) return dir->zq[dir->zh] == LAZY_T ? s->tdist : side(s, dir, dir->zq[dir->zh])->d;
    return dir->h.n > 0 ? dir->h.a[0].key : INF;
}

/* The node a search settles next, its distance in *d; -1 for an outdated heap entry. */
static i64 settle(Search *s, Dir *dir, i64 *d) {
    i64 u;
    if (dir->zh < dir->zt) {
        u = dir->zq[dir->zh++];
        *d = side(s, dir, u)->d;
    } else {
        HeapItem top = heap_pop(&dir->h);
        *d = top.key;
        u = top.node;
    }
    Side *x = side(s, dir, u);
    if (x->done == s->round || *d != x->d) return -1;
    x->done = (i32)s->round;
    dir->settled[dir->nsettled++] = (i32)u;
    return u;
}

/* While t's bypass arcs wait (see lazy_step), relax the one into participant v now if v is
 * labelled backward: a path through t and v may be the shortest, and a label on both sides finds
 * it early. 0, or 1 / 2 as relax. */
static inline int t_bypass(CS *g, Search *s, i64 v) {
    if (!s->tlazy || v >= g->P || g->b[v] <= 0) return 0;
    return relax(s, &s->fw, g->T, v, -1, s->tdist, -g->MK + g->p[g->T] - g->p[v]);
}

/* Arcs that wait. A few kinds of node have many arcs of which few are tight: an opportunity
 * settled forward (one to each member) or backward (one from each person who lists it without a
 * seat there), t settled forward (one to each opportunity it takes seats from) and t settled
 * backward (one from each seated participant). A round usually ends before it settles the far
 * ends of the loose ones, and labelling them all (a cache miss and a heap push each) was most of
 * a round's work. So such a node's scan relaxes its tight arcs, and the rest wait as one heap
 * entry at the nearest distance any of them reaches; when that entry is popped, the arcs that end
 * there are relaxed (at the level being settled) and the entry returns at the next distance.
 * Reading the list again costs less than the labels did.
 * - Exact: next_key and the price update see the entry's key, a lower bound on every waiting
 *   arc's end, and a node no arc has reached keeps its reduced costs, as any unlabelled node does.
 * - No meeting path is missed: the far end y of a waiting arc u -> y, if the other search settles
 *   it, scans the same arc from its side and labels u, which this search has settled, so the
 *   path through u is counted there (the standard stopping rule needs no more).
 * waits: whether the arc waits (keeping in *next the nearest distance beyond `at` it reaches)
 * rather than being relaxed now because it ends at `at` (= d: the scan itself, which relaxes the
 * tight and, to report them, any negative arcs); relax_or_wait does one or the other. */
static inline int waits(i64 rc, i64 d, i64 at, i64 *next) {
    i64 want = at - d; /* arcs below it were relaxed in an earlier pass */
    if (rc == want || rc < 0) return 0;
    if (rc > want && d + rc < *next) *next = d + rc;
    return 1;
}

static inline int relax_or_wait(Search *s, Dir *dir, i64 u, i64 v, i64 e, i64 d, i64 at, i64 rc, i64 *next) {
    return waits(rc, d, at, next) ? 0 : relax(s, dir, u, v, e, at, rc - (at - d));
}

/* Opportunity j's arcs to its members, j settled forward at d (see above). */
static int members(CS *g, Search *s, i64 j, i64 d, i64 at) {
    const i64 u = g->P + j, pu = g->p[u], len = g->mlen[j];
    const i32 *ms = g->mem + g->mstart[j], *mo = g->mown + g->mstart[j];
    const i64 *mk = g->mkey + g->mstart[j]; /* c(i, j) + p(i), kept current (see search) */
    Dir *fw = &s->fw;
    i64 next = INF;
    int err = 0;
    for (i64 k = 0; k < len && !err; k++) err = relax_or_wait(s, fw, u, mo[k], ms[k], d, at, pu - mk[k], &next);
    fw->work += len;
    if (!err && next < INF) err = heap_push(&fw->h, next, (i32)MEMBERS(j)) ? 1 : 0;
    return err;
}

/* t's arcs back to the opportunities it takes seats from, t settled forward at d (see above). */
static int from_t(CS *g, Search *s, i64 d, i64 at) {
    const i64 P = g->P, Q = g->Q, T = g->T, *p = g->p, pT = p[T], *fT = g->fT;
    Dir *fw = &s->fw;
    i64 next = INF;
    int err = 0;
    for (i64 j = 0; j < Q && !err; j++)
        if (fT[j] > 0) err = relax_or_wait(s, fw, T, P + j, -1, d, at, pT - p[P + j], &next);
    fw->work += Q;
    if (!err && next < INF) err = heap_push(&fw->h, next, FROM_T) ? 1 : 0;
    return err;
}

/* The seated participants' arcs into t, t settled backward at d (see above). */
static int into_t(CS *g, Search *s, i64 d, i64 at) {
    const i64 P = g->P, T = g->T, MK = g->MK, *p = g->p, pT = p[T], *b = g->b, *sup = g->sup;
    Dir *bw = &s->bw;
    i64 next = INF;
    int err = 0;
    for (i64 i = 0; i < P && !err; i++)
        if (b[i] < sup[i]) {
            i64 rc = MK + p[i] - pT;
            if (waits(rc, d, at, &next)) continue;
            err = relax(s, bw, T, i, -1, at, rc - (at - d));
            if (!err) err = t_bypass(g, s, i); /* only for a node just labelled backward */
        }
    bw->work += P;
    if (!err && next < INF) err = heap_push(&bw->h, next, INTO_T) ? 1 : 0;
    return err;
}

/* The arcs into opportunity j from everyone who lists it without a seat there, j settled
 * backward at d (see above). */
static int listers(CS *g, Search *s, i64 j, i64 d, i64 at) {
    const i64 v = g->P + j, *p = g->p, pv = p[v], *cs = g->cs, k0 = s->istart[j], k1 = s->istart[j + 1];
    const unsigned char *fl = g->fl;
    const i32 *iarc = s->iarc, *iown = s->iown;
    Dir *bw = &s->bw;
    i64 next = INF;
    int err = 0;
    for (i64 k = k0; k < k1 && !err; k++) {
        i64 e = iarc[k];
        if (fl[e]) continue;
        i64 i = iown[k], rc = cs[e] + p[i] - pv;
        if (waits(rc, d, at, &next)) continue;
        err = relax(s, bw, v, i, e, at, rc - (at - d));
        if (!err) err = t_bypass(g, s, i); /* only for a node just labelled backward */
    }
    bw->work += k1 - k0;
    if (!err && next < INF) err = heap_push(&bw->h, next, (i32)LISTERS(j)) ? 1 : 0;
    return err;
}

/* A heap entry of waiting arcs at the top of a search's heap: relax those that end at its key. */
static int waiting(CS *g, Search *s, Dir *dir) {
    HeapItem top = heap_pop(&dir->h);
    if (dir->back && top.node == INTO_T) return into_t(g, s, s->n[g->T].b.d, top.key);
    if (dir->back) {
        i64 j = LISTERS(top.node);
        return listers(g, s, j, s->n[g->P + j].b.d, top.key);
    }
    if (top.node == FROM_T) return from_t(g, s, s->n[g->T].f.d, top.key);
    i64 j = MEMBERS(top.node);
    return members(g, s, j, s->n[g->P + j].f.d, top.key);
}

/* Scan the residual arcs out of u, settled forward at distance d. 0, or 1 / 2 as relax. */
static int scan_out(CS *g, Search *s, i64 u, i64 d) {
    /* bounds and prices in locals: relax's stores could alias them, and they were reloaded per arc */
    const i64 P = g->P, T = g->T, MK = g->MK;
    const i64 *p = g->p, pu = p[u], pT = p[T];
    Dir *fw = &s->fw;
    int err = 0;
    if (u < P) {
        const i64 e0 = g->off[u], e1 = g->off[u + 1];
        const unsigned char *fl = g->fl;
        const i32 *opp = g->opp;
        const i64 *cs = g->cs;
        for (i64 e = e0; e < e1 && !err; e++)
            if (!fl[e]) {
                i64 w = P + opp[e];
                err = relax(s, fw, u, w, e, d, cs[e] + pu - p[w]);
            }
        if (g->b[u] < g->sup[u] && !err) err = relax(s, fw, u, T, -1, d, MK + pu - pT);
        fw->work += e1 - e0 + 1;
    } else if (u < T) {
        i64 j = u - P;
        err = members(g, s, j, d, d);
        if (g->fT[j] < g->cap[j] && !err) err = relax(s, fw, u, T, -1, d, pu - pT);
        fw->work += 1;
    } else {
        err = from_t(g, s, d, d);
        /* the bypass arcs (one per unseated participant: thousands) wait in the queue behind a
         * mark (see lazy_step), but for those into nodes the backward search has labelled */
        if (!err && g->nbyp > 0) {
            fw->zq[fw->zt++] = LAZY_T;
            s->tcur = 0;
            s->tdist = d;
            s->tlazy = 1;
            const Dir *bw = &s->bw;
            for (i64 k = 0; k < bw->nseen && !err; k++) err = t_bypass(g, s, bw->seen[k]);
            fw->work += bw->nseen;
        }
    }
    return err;
}

/* Every pair arc grouped by opportunity: what a backward search scans at an opportunity. */
static int build_in_arcs(const CS *g, Search *s) {
    const i64 P = g->P, Q = g->Q, E = g->E;
    s->istart = (i64 *)ws_get(g->ws, WS_ISTART, ((size_t)Q + 2) * sizeof(i64), 0);
    s->iarc = (i32 *)ws_get(g->ws, WS_IARC, ((size_t)E + 1) * sizeof(i32), 0);
    s->iown = (i32 *)ws_get(g->ws, WS_IOWN, ((size_t)E + 1) * sizeof(i32), 0);
    if (!s->istart || !s->iarc || !s->iown) return 1;
    /* opportunity j's range starts where its member slots do (mstart: as many as its arcs); each
     * istart[j + 1] runs from there to the end of j's range, which is where j + 1's starts */
    i64 *at = s->istart + 1; /* locals throughout: the stores could alias what g points to */
    i32 *iarc = s->iarc, *iown = s->iown;
    const i64 *off = g->off;
    const i32 *opp = g->opp;
    s->istart[0] = 0;
    for (i64 j = 0; j <= Q; j++) at[j] = g->mstart[j];
    for (i64 i = 0; i < P; i++)
        for (i64 e = off[i], e1 = off[i + 1]; e < e1; e++) {
            i64 k = at[opp[e]]++;
            iarc[k] = (i32)e;
            iown[k] = (i32)i;
        }
    return 0;
}

/* Scan the residual arcs into v, settled backward at distance d. 0, or 1 / 2 as relax. */
static int scan_in(CS *g, Search *s, i64 v, i64 d) {
    const i64 P = g->P, Q = g->Q, T = g->T, MK = g->MK;
    const i64 *p = g->p, pv = p[v], pT = p[T];
    const unsigned char *fl = g->fl;
    const i64 *cs = g->cs;
    Dir *bw = &s->bw;
    int err = 0;
    if (v < P) { /* from the opportunities it holds a seat in, and from t if it is unseated */
        const i64 e0 = g->off[v], e1 = g->off[v + 1];
        const i32 *opp = g->opp;
        for (i64 e = e0; e < e1 && !err; e++)
            if (fl[e]) {
                i64 j = P + opp[e];
                err = relax(s, bw, v, j, e, d, -cs[e] + p[j] - pv);
            }
        if (g->b[v] > 0 && !err) err = relax(s, bw, v, T, -1, d, -MK + pT - pv);
        bw->work += e1 - e0 + 1;
    } else if (v < T) { /* from everyone who lists it and has no seat there, and from t */
        i64 j = v - P;
        err = listers(g, s, j, d, d); /* "Arcs that wait" */
        if (g->fT[j] > 0 && !err) err = relax(s, bw, v, T, -1, d, pT - pv);
        bw->work += 1;
    } else { /* t: from every opportunity with a free seat and everyone who may stay unseated */
        const i64 *fT = g->fT, *cap = g->cap;
        for (i64 j = 0; j < Q && !err; j++)
            if (fT[j] < cap[j]) err = relax(s, bw, T, P + j, -1, d, p[P + j] - pT);
        if (!err) err = into_t(g, s, d, d); /* "Arcs that wait" */
        bw->work += Q;
    }
    return err;
}

static int scan_out(CS *g, Search *s, i64 u, i64 d);

/* t's bypass arcs, relaxed one at a time where t's scan left a LAZY_T mark in the forward queue.
 * Why: every unseated participant has one, and a round usually ends before it settles any of
 * them, so labelling them all whenever t settled (a cache miss each, thousands per round) was
 * most of a late round's work. All of them sit at t's distance or beyond, so the mark stands in
 * the queue at t's distance (next_key reads it so: a lower bound on what is behind it, which is
 * all the stopping rule and the price update need; a node behind it keeps its reduced cost, as
 * any unlabelled node does). At the head of the queue it relaxes the next arc; a tight one labels
 * its participant at the level being settled, which is then settled at once. A path through t
 * and a participant the backward search has labelled is found at once: t_bypass relaxes that arc
 * as soon as both ends are known (exactness would not need it: once the backward search settles
 * the participant, its own arc into t labels t, as in "Arcs that wait"; measured before those,
 * waiting for that nearly doubled the arcs relaxed when 1% of the people are replaced). */
static int lazy_step(CS *g, Search *s, Dir *dir) {
    const i64 T = g->T, d = s->tdist;
    while (s->tcur < g->nbyp) {
        i64 i = g->byp[s->tcur++];
        if (g->b[i] <= 0) continue;
        i64 zt = dir->zt;
        dir->work++;
        int err = relax(s, dir, T, i, -1, d, -g->MK + g->p[T] - g->p[i]);
        if (err) return err;
        if (dir->zt > zt) { /* tight: labelled at the level being settled, so settle it now */
            dir->zt--;
            s->n[i].f.done = (i32)s->round;
            dir->settled[dir->nsettled++] = (i32)i;
            return scan_out(g, s, i, d);
        }
    }
    dir->zh++; /* every arc relaxed: the mark leaves the queue */
    s->tlazy = 0;
    return 0;
}


/* Settle the next node of one search and scan its arcs (counting the work). 0, or 1 / 2 as
 * relax. */

static int step(CS *g, Search *s, Dir *dir) {
    i64 w0 = dir->work;
    if (dir->zh < dir->zt && dir->zq[dir->zh] == LAZY_T) {
        int err = lazy_step(g, s, dir);
        s->work += dir->work - w0;
        return err;
    }
    if (dir->zh >= dir->zt && dir->h.n > 0 && dir->h.a[0].node <= MEMBERS(0)) {
        int err = waiting(g, s, dir);
        s->work += dir->work - w0;
        return err;
    }
    i64 d, u = settle(s, dir, &d);
    if (u < 0) return 0;
    int err = dir->back ? scan_in(g, s, u, d) : scan_out(g, s, u, d);
    s->work += dir->work - w0;
    return err;
}

/* The path through s->meet: back along the forward labels to an excess, on along the backward
 * ones to a deficit, with any
 * loop where the two halves cross cut out (the loop has length 0, as the whole is shortest).
 * Returns its number of arcs; pnode[0..k] are its nodes, parc[1..k] the arcs into them. */
static i64 path_of(Search *s) {
    i64 k = 0, m = s->meet;
    for (i64 v = m; v >= 0; v = s->n[v].f.from) k++;
    i64 len = k - 1, at = len;
    for (i64 v = m; v >= 0; v = s->n[v].f.from, at--) {
        s->pnode[at] = (i32)v;
        s->parc[at] = s->n[v].f.arc;
    }
    /* pos holds round << 32 | index, so an entry from another round never matches */
    for (i64 q = 0; q <= len; q++) s->pos[s->pnode[q]] = (s->round << 32) | q;
    for (i64 v = m; s->n[v].b.from >= 0 && s->n[v].b.mark == s->round;) {
        i64 w = s->n[v].b.from, e = s->n[v].b.arc;
        i64 q = s->pos[w] & 0xffffffffLL;
        if ((s->pos[w] >> 32) == s->round && q <= len && s->pnode[q] == w) { /* on the path: drop the loop */
            len = q;
            v = w;
            continue;
        }
        len++;
        s->pnode[len] = (i32)w;
        s->parc[len] = (i32)e;
        s->pos[w] = (s->round << 32) | len;
        v = w;
    }
    return len;
}

/* p(v) += delta, and the keys of a participant's seats with it (opportunities scan those). */
static void move_price(CS *g, i64 v, i64 delta) {
    g->p[v] += delta;
    if (v < g->P)
        for (i64 e = g->off[v]; e < g->off[v + 1]; e++)
            if (g->fl[e]) g->mkey[g->mpos[e]] += delta;
}

/* One round: the shortest path from the excesses in src (the caller gives one) to any deficit,
 * by Dijkstra forward from them and, once that has scanned more than bi_after arcs, also
 * backward from every deficit (the side that has worked less steps next; standard stopping
 * rule: the two next keys add up to the best path found, mu). Then the prices of the nodes
 * settled move so that this path (and every other shortest one) is tight and every reduced cost
 * stays >= 0: forward-settled v by dist(v) - rf, backward-settled v by rb - bdist(v), where
 * rf = min(forward's next key, mu) and rb = mu - rf; nothing else moves. (Why that is enough:
 * a node closer than rf to the sources, or than rb to a deficit, has been settled on that side,
 * and none is both, as the two distances add up to at least mu.) Returns the path's length in
 * arcs (>= 1), -1 if no deficit is reachable, -2 out of memory, -3 over budget or a negative
 * reduced cost. */
static i64 search(CS *g, Search *s, const i32 *src, i64 nsrc, const i32 *dst, i64 ndst, i64 budget) {
    Dir *fw = &s->fw, *bw = &s->bw;
    s->round++;
    fw->h.n = bw->h.n = 0;
    fw->zh = fw->zt = bw->zh = bw->zt = 0;
    fw->nsettled = bw->nsettled = 0;
    fw->work = bw->work = 0;
    s->mu = INF;
    s->meet = -1;
    s->tlazy = 0;
    bw->nseen = 0;
    for (i64 k = 0; k < ndst; k++) start_at(s, bw, dst[k]); /* settled only in bidirectional rounds */
    for (i64 k = 0; k < nsrc; k++) start_at(s, fw, src[k]);
    int both = s->both = 0;
    for (;;) {
        i64 tf = next_key(s, fw);
        i64 tb = both ? next_key(s, bw) : 0;
        if (s->mu < INF && (tf >= INF || tb >= INF || tf + tb >= s->mu)) break;
        if (tf >= INF && (tb >= INF || !both)) return -1;
        int err;
        if (!both && fw->work > bi_after) {
            if (!s->istart && build_in_arcs(g, s)) return -2;
            both = s->both = 1;
            continue;
        }
        if (!both || (tb >= INF) || (tf < INF && fw->work <= bw->work)) err = step(g, s, fw);
        else err = step(g, s, bw);
        if (err) return err == 1 ? -2 : -3;
        if (s->work > budget) return -3;
    }
    i64 tf = next_key(s, fw);
    i64 rf = tf < s->mu ? tf : s->mu, rb = s->mu - rf;
    for (i64 k = 0; k < fw->nsettled; k++) {
        i64 v = fw->settled[k];
        if (s->n[v].f.d < rf) move_price(g, v, s->n[v].f.d - rf);
    }
    for (i64 k = 0; k < bw->nsettled; k++) {
        i64 v = bw->settled[k];
        if (s->n[v].b.d < rb) move_price(g, v, rb - s->n[v].b.d);
    }
    return path_of(s);
}

/* Route every excess to a deficit along shortest paths. 0 done, 1 over budget, 2 out of memory,
 * 3 an excess cannot reach a deficit (cannot happen: every imbalance came from a saturation the
 * reverse arc can undo). */
int cs_repair(CS *g, i64 budget) {
    const i64 N = g->N;
    Search s;
    memset(&s, 0, sizeof s);
#define WS(T, slot, count, zero) ((T *)ws_get(g->ws, slot, (size_t)(count) * sizeof(T), zero))
    /* Labels and path positions carry round stamps, and the rounds go on counting from the
     * previous repair, so a stale entry never matches and nothing needs clearing (5 MB at 100k);
     * they are cleared and counted from 0 again long before the 32-bit stamps could wrap. */
    int restart = g->ws->round > stamp_limit;
    s.round = restart ? 0 : g->ws->round;
    s.n = WS(Label, WS_LABEL, N, restart);
    s.bw.back = 1;
    s.fw.settled = WS(i32, WS_FSETTLED, N, 0);
    s.fw.zq = WS(i32, WS_FZQ, N + 1, 0); /* + a LAZY_T mark */
    s.bw.settled = WS(i32, WS_BSETTLED, N, 0);
    s.bw.zq = WS(i32, WS_BZQ, N, 0);
    s.bw.seen = WS(i32, WS_BSEEN, N, 0);
    s.pos = WS(i64, WS_POS, N, restart);
    s.pnode = WS(i32, WS_PNODE, N + 1, 0);
    s.parc = WS(i32, WS_PARC, N + 1, 0);
    i32 *src = WS(i32, WS_SRC, N, 0);
    i32 *dst = WS(i32, WS_DST, N, 0);
#undef WS
    int status = 0;
    if (!s.n || !s.fw.settled || !s.fw.zq || !s.bw.settled || !s.bw.zq || !s.bw.seen || !s.pos || !s.pnode || !s.parc || !src || !dst) {
        status = 2;
        goto out;
    }
    i64 nsrc = 0, ndst = 0;
    for (i64 v = 0; v < N; v++) {
        if (g->ex[v] > 0) src[nsrc++] = (i32)v;
        else if (g->ex[v] < 0) dst[ndst++] = (i32)v;
    }
    i64 turn = 0;
    last_rounds = last_bi_rounds = 0;
    while (nsrc > 0) {
        /* one excess at a time, taking turns: a search from every excess at once settles the
         * tied region around each of them before any reaches a deficit (measured: about three
         * times the work on the benchmark's 1% change); the answer is the same either way, as
         * a shortest path from any excess keeps every reduced cost >= 0 */
        if (turn >= nsrc) turn = 0;
        i64 len = search(g, &s, src + turn, 1, dst, ndst, budget);
        turn++;
        if (len == -3) { status = 1; goto out; }
        if (len == -2) { status = 2; goto out; }
        if (len < 0) { status = 3; goto out; }
        last_rounds++;
        last_bi_rounds += s.both;
        i64 root = s.pnode[0], w = s.pnode[len];
        i64 amt = g->ex[root] < -g->ex[w] ? g->ex[root] : -g->ex[w];
        for (i64 k = 1; k <= len; k++) {
            i64 r = residual(g, s.pnode[k - 1], s.pnode[k], s.parc[k]);
            if (r < amt) amt = r;
        }
        for (i64 k = 1; k <= len; k++) send(g, s.pnode[k - 1], s.pnode[k], s.parc[k], amt);
        g->ex[root] -= amt;
        g->ex[w] += amt;
        i64 kept = 0;
        for (i64 k = 0; k < nsrc; k++)
            if (g->ex[src[k]] > 0) src[kept++] = src[k];
        nsrc = kept;
        kept = 0;
        for (i64 k = 0; k < ndst; k++)
            if (g->ex[dst[k]] < 0) dst[kept++] = dst[k];
        ndst = kept;
    }
out:
    g->ws->round = s.round;
    free(s.fw.h.a); free(s.bw.h.a);
    return status;
}
