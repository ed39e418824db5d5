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
 * cost >= 0 (the caller saturates those that do not). Each round runs Dijkstra from every node
 * with an excess at once, stops at the first node with a deficit, moves the prices of the nodes
 * it settled by their distance (which keeps every reduced cost >= 0 and makes the path's arcs
 * 0), sends a unit along that path, then sends what else it can along tight arcs depth first
 * (bounded by a few times the search's own work). Prices jump by whole distances, so a newcomer
 * at a crowded opportunity costs a search, not a bidding war of eps-steps. Work is counted in
 * arcs scanned; past the budget the repair gives up and the caller solves cold, so a bad start
 * never costs much more than a cold solve.
 *
 * Measured (flok bench resolve, second table): at 100k x 2k about 17-20x faster than a cold
 * solve when one person leaves and one joins, about 10x for ten and ten, 2-3.5x for the 1%
 * change. Not more: in a crowded market many options tie at the exact prices, and the last few
 * newcomers' searches wade through tens of thousands of tied nodes (README "Performance" has
 * the measurements).
 */
#include "_heap.h"
#include "_scaling_int.h"

#include <stdlib.h>
#include <string.h>

#ifndef DFS_SHARE
#define DFS_SHARE 4 /* a round's depth-first sends may scan this many times what its search did */
#endif

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
                i64 e = ms[k], i = g->own[e], rc = -g->cs[e] + p[u] - p[i];
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

typedef struct {
    i64 *dist, *mark; /* tentative distance; round in which it was set */
    i64 *done;        /* round in which the node was settled */
    i32 *pred, *pe;   /* predecessor node (-1 at a source) and pair arc (-1: an arc of t) */
    i32 *settled;
    i64 nsettled, round, work;
    Heap h; /* (distance, node), lazy deletion */
} Search;

/* Residual capacity of the arc u -> v by which the search reached v. */
static i64 residual(const CS *g, i64 u, i64 v, i64 e) {
    const i64 P = g->P, T = g->T;
    if (e >= 0) return 1; /* a pair, either way */
    if (v == T) return u < P ? g->sup[u] - g->b[u] : g->cap[u - P] - g->fT[u - P];
    return v < P ? g->b[v] : g->fT[v - P];
}

static void send(CS *g, i64 u, i64 v, i64 e, i64 amt) {
    const i64 P = g->P, T = g->T;
    if (e >= 0) {
        if (u < P) { g->fl[e] = 1; cs_member_add(g, e); }
        else { g->fl[e] = 0; cs_member_remove(g, e); }
    } else if (v == T) {
        if (u < P) {
            g->b[u] += amt;
            if (!g->inbyp[u]) { g->inbyp[u] = 1; g->byp[g->nbyp++] = (i32)u; }
        } else g->fT[u - P] += amt;
    } else if (v < P) g->b[v] -= amt;
    else g->fT[v - P] -= amt;
}

/* 0, or 1 out of memory, or 2 a negative reduced cost (cannot happen: the caller saturated
 * those arcs; the repair then gives up rather than return a flow it cannot vouch for) */
static inline int relax(Search *s, i64 u, i64 v, i64 e, i64 d, i64 rc) {
    if (s->done[v] == s->round) return 0;
    if (rc < 0) return 2;
    i64 nd = d + rc;
    if (s->mark[v] != s->round || nd < s->dist[v]) {
        s->mark[v] = s->round;
        s->dist[v] = nd;
        s->pred[v] = (i32)u;
        s->pe[v] = (i32)e;
        return heap_push(&s->h, nd, (i32)v) ? 1 : 0;
    }
    return 0;
}

/* One round: Dijkstra from every excess at once to the nearest deficit, at distance D. Returns
 * that deficit, -1 if none is reachable, -2 out of memory, -3 over budget or a negative reduced
 * cost. (Measured on the benchmark's 1% change: one search per excess settles more in all, and
 * so does settling the whole ball of radius D.) */
static i64 search(CS *g, Search *s, const i32 *src, i64 nsrc, i64 budget, i64 *D) {
    const i64 P = g->P, Q = g->Q, T = g->T;
    const i64 *p = g->p;
    s->round++;
    s->h.n = 0;
    s->nsettled = 0;
    for (i64 k = 0; k < nsrc; k++) {
        i64 v = src[k];
        s->mark[v] = s->round;
        s->dist[v] = 0;
        s->pred[v] = -1;
        s->pe[v] = -1;
        if (heap_push(&s->h, 0, (i32)v)) return -2;
    }
    while (s->h.n > 0) {
        HeapItem top = heap_pop(&s->h);
        i64 d = top.key, u = top.node;
        if (s->done[u] == s->round || d != s->dist[u]) continue;
        s->done[u] = s->round;
        s->settled[s->nsettled++] = (i32)u;
        if (g->ex[u] < 0) {
            *D = d;
            return u;
        }
        int err = 0;
        if (u < P) {
            for (i64 e = g->off[u]; e < g->off[u + 1] && !err; e++)
                if (!g->fl[e]) {
                    i64 w = P + g->opp[e];
                    err = relax(s, u, w, e, d, g->cs[e] + p[u] - p[w]);
                }
            if (g->b[u] < g->sup[u] && !err) err = relax(s, u, T, -1, d, g->MK + p[u] - p[T]);
            s->work += g->off[u + 1] - g->off[u] + 1;
        } else if (u < T) {
            i64 j = u - P;
            const i32 *ms = g->mem + g->mstart[j];
            for (i64 k = 0, len = g->mlen[j]; k < len && !err; k++) {
                i64 e = ms[k], i = g->own[e];
                err = relax(s, u, i, e, d, -g->cs[e] + p[u] - p[i]);
            }
            if (g->fT[j] < g->cap[j] && !err) err = relax(s, u, T, -1, d, p[u] - p[T]);
            s->work += g->mlen[j] + 1;
        } else {
            for (i64 j = 0; j < Q && !err; j++)
                if (g->fT[j] > 0) err = relax(s, T, P + j, -1, d, p[T] - p[P + j]);
            for (i64 k = 0; k < g->nbyp && !err; k++) {
                i64 i = g->byp[k];
                if (g->b[i] > 0) err = relax(s, T, i, -1, d, -g->MK + p[T] - p[i]);
            }
            s->work += Q + g->nbyp;
        }
        if (err) return err == 1 ? -2 : -3;
        if (s->work > budget) return -3;
    }
    return -1;
}

/* After a search has made the shortest paths' arcs tight, send every unit it can along tight
 * residual arcs (reduced cost 0) from the excesses to the deficits, depth first: one search pays
 * for many augmentations. A node whose arcs all lead nowhere is dead for the rest of the round;
 * the next search picks up what is left. */
typedef struct {
    i64 *cur;   /* next arc to look at, per node, this round */
    i64 *cround; /* round in which cur was last reset */
    i64 *seen;  /* round in which the node was put on the stack or found dead */
    i32 *stack, *via; /* the path: nodes, and the pair arc (-1: an arc of t) into each */
} Dfs;

/* The k-th residual arc out of u if it is tight: its head (and pair arc in *e), else -1; -2 when
 * u has no k-th arc. */
static i64 tight_arc(const CS *g, i64 u, i64 k, i64 *e) {
    const i64 P = g->P, Q = g->Q, T = g->T;
    const i64 *p = g->p;
    *e = -1;
    if (u < P) {
        i64 deg = g->off[u + 1] - g->off[u];
        if (k < deg) {
            i64 a = g->off[u] + k, w = P + g->opp[a];
            if (g->fl[a] || g->cs[a] + p[u] - p[w] != 0) return -1;
            *e = a;
            return w;
        }
        if (k == deg) return g->b[u] < g->sup[u] && g->MK + p[u] - p[T] == 0 ? T : -1;
        return -2;
    }
    if (u < T) {
        i64 j = u - P;
        if (k < g->mlen[j]) {
            i64 a = g->mem[g->mstart[j] + k], i = g->own[a];
            if (-g->cs[a] + p[u] - p[i] != 0) return -1;
            *e = a;
            return i;
        }
        if (k == g->mlen[j]) return g->fT[j] < g->cap[j] && p[u] == p[T] ? T : -1;
        return -2;
    }
    if (k < Q) return g->fT[k] > 0 && p[T] == p[P + k] ? P + k : -1;
    if (k < Q + g->nbyp) {
        i64 i = g->byp[k - Q];
        return g->b[i] > 0 && -g->MK + p[T] - p[i] == 0 ? i : -1;
    }
    return -2;
}

/* Augment from root while it has an excess, a tight path to a deficit exists this round and the
 * round's depth-first work stays below cap. */
static void augment_tight(CS *g, Dfs *d, i64 round, i64 root, i64 *work, i64 cap) {
    while (g->ex[root] > 0 && *work < cap) {
        i64 top = 0;
        d->stack[0] = (i32)root;
        d->seen[root] = round;
        i64 found = -1;
        while (top >= 0 && found < 0 && *work < cap) {
            i64 u = d->stack[top], e, w = -2;
            if (d->cround[u] != round) { d->cround[u] = round; d->cur[u] = 0; }
            for (;;) {
                w = tight_arc(g, u, d->cur[u], &e);
                (*work)++;
                if (w == -2) break;
                if (w >= 0 && (g->ex[w] < 0 || d->seen[w] != round)) break;
                d->cur[u]++;
            }
            if (w == -2) { top--; continue; } /* dead: stays seen this round */
            d->stack[++top] = (i32)w;
            d->via[top] = (i32)e;
            if (g->ex[w] < 0) found = w;
            else d->seen[w] = round;
        }
        if (found < 0) return;
        i64 amt = g->ex[root] < -g->ex[found] ? g->ex[root] : -g->ex[found];
        for (i64 k = 1; k <= top; k++) {
            i64 r = residual(g, d->stack[k - 1], d->stack[k], d->via[k]);
            if (r < amt) amt = r;
        }
        for (i64 k = 1; k <= top; k++) send(g, d->stack[k - 1], d->stack[k], d->via[k], amt);
        g->ex[root] -= amt;
        g->ex[found] += amt;
        for (i64 k = 1; k < top; k++) d->seen[d->stack[k]] = 0; /* the path's nodes may serve again */
    }
}

/* Route every excess to a deficit along shortest paths. 0 done, 1 over budget, 2 out of memory,
 * 3 an excess cannot reach a deficit (cannot happen: every imbalance came from a saturation the
 * reverse arc can undo). */
int cs_repair(CS *g, i64 budget) {
    const i64 N = g->N;
    Search s;
    memset(&s, 0, sizeof s);
    s.dist = (i64 *)malloc((size_t)N * sizeof(i64));
    s.mark = (i64 *)calloc((size_t)N, sizeof(i64));
    s.done = (i64 *)calloc((size_t)N, sizeof(i64));
    s.pred = (i32 *)malloc((size_t)N * sizeof(i32));
    s.pe = (i32 *)malloc((size_t)N * sizeof(i32));
    s.settled = (i32 *)malloc((size_t)N * sizeof(i32));
    i32 *src = (i32 *)malloc((size_t)N * sizeof(i32));
    Dfs d;
    d.cur = (i64 *)malloc((size_t)N * sizeof(i64));
    d.seen = (i64 *)calloc((size_t)N, sizeof(i64));
    d.cround = (i64 *)calloc((size_t)N, sizeof(i64));
    d.stack = (i32 *)malloc((size_t)(N + 1) * sizeof(i32));
    d.via = (i32 *)malloc((size_t)(N + 1) * sizeof(i32));
    int status = 0;
    if (!s.dist || !s.mark || !s.done || !s.pred || !s.pe || !s.settled || !src || !d.cur || !d.seen || !d.cround || !d.stack ||
        !d.via) {
        status = 2;
        goto out;
    }
    i64 nsrc = 0;
    for (i64 v = 0; v < N; v++)
        if (g->ex[v] > 0) src[nsrc++] = (i32)v;
    while (nsrc > 0) {
        i64 D = 0, before = s.work, w = search(g, &s, src, nsrc, budget, &D);
        if (w == -3) { status = 1; goto out; }
        if (w == -2) { status = 2; goto out; }
        if (w < 0) { status = 3; goto out; }
        for (i64 k = 0; k < s.nsettled; k++) {
            i64 v = s.settled[k];
            g->p[v] += s.dist[v] - D;
        }
        /* the path the search found (progress for sure), then whatever else is tight: the
         * depth-first sends may cost a few times what the search did; beyond that the next
         * search is the cheaper way on */
        i64 root = w, amt = -g->ex[w];
        for (; s.pred[root] >= 0; root = s.pred[root]) {
            i64 r = residual(g, s.pred[root], root, s.pe[root]);
            if (r < amt) amt = r;
        }
        if (g->ex[root] < amt) amt = g->ex[root];
        for (i64 v = w; s.pred[v] >= 0; v = s.pred[v]) send(g, s.pred[v], v, s.pe[v], amt);
        g->ex[root] -= amt;
        g->ex[w] += amt;
        i64 work = 0, cap = DFS_SHARE * (s.work - before) + 1024;
        for (i64 k = 0; k < nsrc && work < cap; k++) augment_tight(g, &d, s.round, src[k], &work, cap);
        s.work += work;
        i64 kept = 0;
        for (i64 k = 0; k < nsrc; k++)
            if (g->ex[src[k]] > 0) src[kept++] = src[k];
        nsrc = kept;
    }
out:
    free(d.cur); free(d.seen); free(d.cround); free(d.stack); free(d.via);
    free(s.dist); free(s.mark); free(s.done); free(s.pred); free(s.pe); free(s.settled); free(src);
    free(s.h.a);
    return status;
}
