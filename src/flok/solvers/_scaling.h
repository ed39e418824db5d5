/* The cost-scaling core for plain allocation networks (see _scaling.c), called from _flowcore.c. */
#ifndef FLOK_SCALING_H
#define FLOK_SCALING_H
#include <stdint.h>

/* Max flow at least cost on participants (supply) -> opportunities (capacity), unit arcs.
 * pot has P + Q + 1 entries (t last); costs are scaled by K >= 2*min(P, Q+1) + 1; warm starts from
 * the given flow and prices.
 * Status: 0 optimal, 2 out of memory, 3 bad input, 4 costs too large for 64-bit prices. */
int flok_scaling(int64_t P, int64_t Q, const int64_t *off, const int64_t *opp, const int64_t *cost,
                 const int64_t *sup, const int64_t *cap, int64_t *flow, int64_t *pot, int64_t K, int warm);
long long flok_scaling_refines(void);
long long flok_scaling_attempts(void);

#endif
