/* The cost-scaling core for plain allocation networks (see _scaling.c), called from _flowcore.c. */
#ifndef FLOK_SCALING_H
#define FLOK_SCALING_H
#include <stdint.h>

#include "_workspace.h"

/* A warm start's price for a node that is new since the previous solve (one is chosen for it). */
#define WARM_NEW INT64_MIN

/* Max flow at least cost on participants (supply) -> opportunities (capacity), unit arcs: off
 * (P + 1) the participants' arc ranges, opp (E) each arc's opportunity, flow (E) a seat or not
 * per arc (in: a warm start's; out: the optimum's). pot has P + Q + 1 entries (t last). params = {K, lo, M}: in, K >= 2*min(P, Q+1) + 1 scales the
 * costs; out, the scale, cost offset and bypass cost the returned prices are in. With warm, the
 * given flow and prices (and params, from the previous solve) are repaired by shortest paths;
 * the returned prices are exact duals (every residual arc's reduced cost >= 0) when
 * flok_scaling_exact() says so. Scratch memory comes from ws (see _workspace.h).
 * Status: 0 optimal, 2 out of memory, 3 bad input, 4 costs too large for 64-bit prices. */
int flok_scaling(int64_t P, int64_t Q, const int64_t *off, const int32_t *opp, const int64_t *cost,
                 const int64_t *sup, const int64_t *cap, unsigned char *flow, int64_t *pot, int64_t *params,
                 int warm, Workspace *ws);
/* Whether a network (arcs tail -> head of capacity cap, node supplies) is one bipartite layer of
 * unit arcs from supply nodes to demand nodes, as flok_scaling takes it (_layout.c). If so,
 * participants[0..P) and opportunities[0..Q) are the node ids at either end (in node order), off
 * (P + 1) the participants' arc ranges and opp (E) each arc's opportunity in participant order;
 * when the arcs were not in that order, order (E) holds the arc at each position.
 * counts = {P, Q, already in order}. Status: 0 plain, 1 not plain, 2 out of memory. */
int flok_plain_layout(int64_t n_nodes, int64_t E, const int64_t *tail, const int64_t *head, const int64_t *cap,
                      const int64_t *supply, int64_t *participants, int64_t *opportunities, int64_t *off,
                      int32_t *opp, int64_t *order, int64_t *counts);
long long flok_scaling_refines(void);
long long flok_scaling_attempts(void);
long long flok_scaling_repaired(void);
long long flok_scaling_imbalance(void);
long long flok_scaling_exact(void);
/* The warm repair's rounds (shortest paths found) and how many of them also searched backward,
 * in the last solve; flok_repair_tune sets the forward work after which a round also searches
 * backward (tests force both kinds of round; a negative value only reads it) and returns the
 * previous value. */
long long flok_repair_rounds(void);
long long flok_repair_bi_rounds(void);
long long flok_repair_tune(long long work);
/* How many repair rounds the workspace's label stamps count before they are cleared and start
 * from 0 again (a negative value only reads it; tests lower it); returns the previous value. */
long long flok_repair_stamp_limit(long long limit);

#endif
