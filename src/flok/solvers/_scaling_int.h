/* Internals of the cost-scaling core shared by _scaling.c (refinement) and _repair.c (exact
 * prices and the warm repair by shortest paths): the state of one solve and its member lists. */
#ifndef FLOK_SCALING_INT_H
#define FLOK_SCALING_INT_H
#include <stdint.h>

#include "_workspace.h"

typedef int64_t i64;
typedef int32_t i32;

#define INF INT64_MAX

typedef struct {
    i64 P, Q, T, N, E;
    const i64 *off;
    const i32 *opp;
    i64 *cs; /* scaled costs */
    const i64 *sup, *cap;
    i64 MK;  /* scaled bypass cost */
    unsigned char *fl;
    i64 *fT, *b;
    i64 *mstart, *mlen, *mpos, *mkey;
    i32 *mem, *mown; /* members' pair arcs and, beside them, their participants */
    i64 *p, *ex;
    i64 *ptr;  /* current arc of opportunities and t */
    i32 *queue; /* FIFO ring of active nodes */
    char *inq;
    i64 qh, qt;
    i32 *byp; /* participants whose bypass may carry flow (this refine) */
    i64 nbyp;
    char *inbyp;
    Workspace *ws; /* scratch memory (the repair takes its arrays from it too) */
} CS;

/* Members of j sit in mem[mstart[j] ..) with their participant (mown) and mkey = c(i,j) + p(i)
 * beside them, so j's scans read arrays in order (a participant's price only changes while it has an excess, and then
 * its seated arcs' keys are refreshed). */
static inline void cs_member_add(CS *g, i64 e, i64 i) { /* pair arc e of participant i */
    i64 j = g->opp[e];
    i64 p = g->mstart[j] + g->mlen[j]++;
    g->mem[p] = (i32)e;
    g->mown[p] = (i32)i;
    g->mkey[p] = g->cs[e] + g->p[i];
    g->mpos[e] = p;
}

static inline void cs_member_remove(CS *g, i64 e) {
    i64 j = g->opp[e];
    i64 p = g->mpos[e];
    i64 last = g->mstart[j] + --g->mlen[j];
    i32 b = g->mem[last];
    g->mem[p] = b;
    g->mown[p] = g->mown[last];
    g->mkey[p] = g->mkey[last];
    g->mpos[b] = p;
    g->mpos[e] = -1;
}

static inline void activate(CS *g, i64 v) {
    if (g->ex[v] > 0 && !g->inq[v]) {
        g->inq[v] = 1;
        g->queue[g->qt] = (i32)v;
        g->qt = g->qt + 1 == g->N ? 0 : g->qt + 1;
    }
}

/* _repair.c */
int cs_exact_prices(CS *g, i64 budget);
int cs_repair(CS *g, i64 budget);
void flok_repair_reset(void);

#endif
