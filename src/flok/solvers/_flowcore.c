/*
 * flok.solvers._flowcore: exact min-cost flow by successive shortest paths on a pseudoflow.
 *
 * Why this algorithm: Flok's networks have small non-negative integer costs (ranks 1..R, 0/1
 * levels), so shortest-path distances are small integers and Dijkstra runs on a bucket queue
 * (Dial) in near-linear time; one Dijkstra per *phase* is followed by a depth-first search that
 * sends as many units as it can along zero-reduced-cost paths (many augmentations per phase).
 * Starting from a *pseudoflow* (any flow within the bounds, with node excesses allowed) plus node
 * potentials makes the warm start exact for free: arcs whose reduced cost has the wrong sign are
 * saturated or emptied, which keeps reduced-cost optimality and turns the change into excesses
 * that the same shortest-path phases then route away. Nodes that can no longer reach a deficit
 * are frozen (see freeze()), so the last, long augmenting paths do not search them again.
 *
 * Measured (flok bench allocate): faster than OR-Tools' cost scaling on small networks, level
 * around 65k arcs, slower beyond — the number of phases grows with the final marginal cost and
 * each phase scans the tight part of the graph. Flok's ``auto`` uses it accordingly.
 *
 * Invariant: every residual arc has reduced cost c(u,v) + pot[u] - pot[v] >= 0. When no node has
 * an excess the flow is a minimum-cost flow for the given supplies. If some excess cannot reach a
 * deficit, the supplies are infeasible (status 1).
 *
 * Interface (buffers, no NumPy headers needed to build):
 *   solve(n_nodes, tail:int64[m], head:int64[m], cap:int64[m], cost:int64[m], supply:int64[n],
 *         flow:int64[m] (in: start, out: result), pot:int64[n] (in: start, out: result)) -> status
 *   status 0 = optimal, 1 = infeasible, 2 = out of memory, 3 = bad input.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_heap.h"
#include "_scaling.h"

typedef int64_t i64;
typedef int32_t i32;

#define NB 4096 /* bucket window of the Dial queue; longer keys wait in a binary heap */
#define NBMASK (NB - 1)
#ifndef FREEZE
#define FREEZE 1
#endif

typedef struct {
    i32 *data;
    i64 len, cap;
} Stack;

static int stack_push(Stack *s, i32 v) {
    if (s->len == s->cap) {
        i64 nc = s->cap ? s->cap * 2 : 64;
        i32 *nd = (i32 *)realloc(s->data, (size_t)nc * sizeof(i32));
        if (!nd) return -1;
        s->data = nd;
        s->cap = nc;
    }
    s->data[s->len++] = v;
    return 0;
}

typedef struct {
    Stack bucket[NB];
    i64 in_buckets;
    Heap heap; /* keys beyond the bucket window */
    i64 cur;
} Queue;

static void queue_reset(Queue *q) {
    for (int b = 0; b < NB; b++) q->bucket[b].len = 0;
    q->in_buckets = 0;
    q->heap.n = 0;
    q->cur = 0;
}

/* Keys pushed are never below the last key popped (Dijkstra), so the window [cur, cur+NB) maps
 * each key to one bucket. */
static int queue_push(Queue *q, i64 key, i32 node) {
    if (key < q->cur + NB) {
        q->in_buckets++;
        return stack_push(&q->bucket[key & NBMASK], node);
    }
    return heap_push(&q->heap, key, node);
}

static int queue_pop(Queue *q, i64 *key, i32 *node) {
    for (;;) {
        if (q->in_buckets == 0) {
            if (q->heap.n == 0) return 0;
            if (q->heap.a[0].key > q->cur) q->cur = q->heap.a[0].key;
        }
        if (q->heap.n && q->heap.a[0].key <= q->cur) {
            HeapItem it = heap_pop(&q->heap);
            *key = it.key;
            *node = it.node;
            return 1;
        }
        Stack *b = &q->bucket[q->cur & NBMASK];
        if (b->len) {
            *node = b->data[--b->len];
            *key = q->cur;
            q->in_buckets--;
            return 1;
        }
        q->cur++;
    }
}

typedef struct {
    i64 n, m;
    /* arcs sorted by tail: a in [out_start[v], out_start[v+1]) leave v */
    i64 *out_start;
    i32 *tail, *head;
    i64 *cap, *cost, *flow;
    /* per node, the arcs entering it that carry flow (their reverse arcs are residual) */
    i64 *in_start, *in_len;
    i32 *in_arc;
    i64 *in_pos; /* position of arc in its head's list, -1 when absent */
    i64 *pot, *excess;
    i32 *in_all; /* every arc entering v, in [in_start[v], in_start[v+1]) */
} Net;

static void in_add(Net *g, i64 a) {
    i64 v = g->head[a];
    i64 p = g->in_start[v] + g->in_len[v]++;
    g->in_arc[p] = (i32)a;
    g->in_pos[a] = p;
}

static void in_remove(Net *g, i64 a) {
    i64 v = g->head[a];
    i64 p = g->in_pos[a];
    i64 last = g->in_start[v] + --g->in_len[v];
    i32 b = g->in_arc[last];
    g->in_arc[p] = b;
    g->in_pos[b] = p;
    g->in_pos[a] = -1;
}

static void set_flow(Net *g, i64 a, i64 f) {
    i64 old = g->flow[a];
    g->flow[a] = f;
    if (old == 0 && f > 0) in_add(g, a);
    else if (old > 0 && f == 0) in_remove(g, a);
}

/* Freeze every node (other than the single source ``src``) that cannot reach a deficit node in
 * the residual graph without passing through ``src``. Augmenting along source-to-deficit paths
 * never lets such a node reach a deficit again, and no cycle of the residual graph enters the
 * frozen region except through ``src``, whose potential falls at least as fast as any potential
 * next to the region: so the frozen part is never searched again and the optimum is unchanged.
 * This is what keeps the last, long augmenting paths cheap: participants who can never get a
 * seat stop being searched. */
static void freeze(Net *g, i32 src, char *frozen, i64 *mark, i64 stamp, i32 *bfs) {
    i64 qh = 0, qt = 0;
    for (i64 v = 0; v < g->n; v++)
        if (g->excess[v] < 0 && !frozen[v]) { mark[v] = stamp; bfs[qt++] = (i32)v; }
    while (qh < qt) {
        i32 v = bfs[qh++];
        for (i64 k = g->in_start[v]; k < g->in_start[v + 1]; k++) {
            i64 a = g->in_all[k];
            i32 x = g->tail[a];
            if (g->flow[a] >= g->cap[a] || x == src || frozen[x] || mark[x] == stamp) continue;
            mark[x] = stamp;
            bfs[qt++] = x;
        }
        for (i64 a = g->out_start[v]; a < g->out_start[v + 1]; a++) {
            i32 x = g->head[a];
            if (g->flow[a] == 0 || x == src || frozen[x] || mark[x] == stamp) continue;
            mark[x] = stamp;
            bfs[qt++] = x;
        }
    }
    for (i64 v = 0; v < g->n; v++)
        if (v != src && mark[v] != stamp) frozen[v] = 1;
}

/* Phases of the last solve (for benchmarks; not thread-safe, informative only). */
static long long last_phases;

/* The main loop; returns a status. */
static int run(Net *g) {
    i64 n = g->n;
    int status = 0;
    i64 *dist = (i64 *)malloc((size_t)n * sizeof(i64));
    i64 *seen = (i64 *)calloc((size_t)n, sizeof(i64));  /* phase in which dist[v] was set */
    i64 *done = (i64 *)calloc((size_t)n, sizeof(i64));  /* phase in which v was settled */
    i32 *settled = (i32 *)malloc((size_t)n * sizeof(i32));
    i32 *sources = (i32 *)malloc((size_t)n * sizeof(i32));
    i64 *ptr = (i64 *)malloc((size_t)n * sizeof(i64));  /* DFS current position per node */
    i64 *ptr_phase = (i64 *)calloc((size_t)n, sizeof(i64));
    char *onstack = (char *)calloc((size_t)n, 1);
    char *frozen = (char *)calloc((size_t)n, 1);
    i64 *mark = (i64 *)calloc((size_t)n, sizeof(i64));
    i32 *bfs = (i32 *)malloc((size_t)n * sizeof(i32));
    i32 *snode = (i32 *)malloc((size_t)(n + 1) * sizeof(i32));
    i64 *sarc = (i64 *)malloc((size_t)(n + 1) * sizeof(i64)); /* arc into snode[k]; >=0 fwd, -1-a rev */
    Queue *q = (Queue *)calloc(1, sizeof(Queue));
    if (!dist || !seen || !done || !settled || !sources || !ptr || !ptr_phase || !onstack || !frozen || !mark ||
        !bfs || !snode || !sarc || !q) {
        status = 2;
        goto out;
    }
    i64 phase = 0, sweep = 0, last_freeze = 0, freeze_gap = 2;
    for (;;) {
        phase++;
        /* ---- Dijkstra from every node with an excess to the nearest node with a deficit ---- */
        queue_reset(q);
        i64 ns = 0, nset = 0;
        for (i64 v = 0; v < n; v++) {
            if (g->excess[v] > 0) {
                sources[ns++] = (i32)v;
                dist[v] = 0;
                seen[v] = phase;
                if (queue_push(q, 0, (i32)v)) { status = 2; goto out; }
            }
        }
        if (ns == 0) break; /* balanced: optimal */
        last_phases = phase;
        i64 D = -1;
        i64 bound = INT64_MAX; /* smallest tentative distance of a deficit node */
        i64 key;
        i32 u;
        while (queue_pop(q, &key, &u)) {
            if (done[u] == phase || dist[u] != key) continue;
            done[u] = phase;
            settled[nset++] = u;
            if (g->excess[u] < 0) { D = key; break; }
            i64 pu = g->pot[u];
            for (i64 a = g->out_start[u]; a < g->out_start[u + 1]; a++) {
                if (g->flow[a] >= g->cap[a]) continue;
                i32 w = g->head[a];
                if (done[w] == phase || frozen[w]) continue;
                i64 nd = key + g->cost[a] + pu - g->pot[w];
                if (nd >= bound) continue;
                if (seen[w] != phase || nd < dist[w]) {
                    seen[w] = phase;
                    dist[w] = nd;
                    if (g->excess[w] < 0) bound = nd;
                    if (queue_push(q, nd, w)) { status = 2; goto out; }
                }
            }
            i64 s0 = g->in_start[u], s1 = s0 + g->in_len[u];
            for (i64 k = s0; k < s1; k++) {
                i64 a = g->in_arc[k];
                i32 w = g->tail[a];
                if (done[w] == phase || frozen[w]) continue;
                i64 nd = key - g->cost[a] + pu - g->pot[w];
                if (nd >= bound) continue;
                if (seen[w] != phase || nd < dist[w]) {
                    seen[w] = phase;
                    dist[w] = nd;
                    if (g->excess[w] < 0) bound = nd;
                    if (queue_push(q, nd, w)) { status = 2; goto out; }
                }
            }
        }
        if (D < 0) { status = 1; break; } /* an excess that reaches no deficit */
        /* ---- potentials: pot += min(dist, D), shifted by -D so unsettled nodes stay put ---- */
        for (i64 k = 0; k < nset; k++) {
            i32 v = settled[k];
            if (dist[v] < D) g->pot[v] -= D - dist[v];
        }
        /* ---- augment along zero-reduced-cost residual paths, depth first ----
         * One sweep from the excess nodes through the nodes this phase's Dijkstra settled (the
         * only ones whose arcs it made tight), with a current position per node (dead ends are
         * not searched twice) and an on-stack mark against cycles. Paths it misses (reverse arcs
         * opened by its own augmentations) are found by the next phase at distance 0. */
        i64 pushed = 0;
        sweep++;
        for (i64 si = 0; si < ns; si++) {
            i32 s = sources[si];
            if (g->excess[s] <= 0) continue;
            i64 top = 0;
            snode[0] = s;
            sarc[0] = 0;
            onstack[s] = 1;
            if (ptr_phase[s] != sweep) { ptr_phase[s] = sweep; ptr[s] = 0; }
            while (top >= 0 && g->excess[s] > 0) {
                i32 v = snode[top];
                if (top > 0 && g->excess[v] < 0) {
                    /* a path s -> v: send what the path, the excess and the deficit allow */
                    i64 amt = g->excess[s] < -g->excess[v] ? g->excess[s] : -g->excess[v];
                    for (i64 k = 1; k <= top; k++) {
                        i64 e = sarc[k];
                        i64 r = e >= 0 ? g->cap[e] - g->flow[e] : g->flow[-1 - e];
                        if (r < amt) amt = r;
                    }
                    i64 cut = -1;
                    for (i64 k = 1; k <= top; k++) {
                        i64 e = sarc[k];
                        if (e >= 0) {
                            set_flow(g, e, g->flow[e] + amt);
                            if (cut < 0 && g->flow[e] == g->cap[e]) cut = k;
                        } else {
                            i64 a = -1 - e;
                            set_flow(g, a, g->flow[a] - amt);
                            if (cut < 0 && g->flow[a] == 0) cut = k;
                        }
                    }
                    g->excess[s] -= amt;
                    g->excess[v] += amt;
                    pushed += amt;
                    /* retreat to the tail of the first arc used up (or drop the filled target) */
                    i64 keep = cut >= 0 ? cut - 1 : top - 1;
                    while (top > keep) onstack[snode[top--]] = 0;
                    continue;
                }
                /* advance v's current position to an admissible arc */
                i64 outdeg = g->out_start[v + 1] - g->out_start[v];
                i64 pv = g->pot[v];
                int moved = 0;
                while (ptr[v] < outdeg + g->in_len[v]) {
                    i64 e;
                    i32 w;
                    i64 rc;
                    if (ptr[v] < outdeg) {
                        i64 a = g->out_start[v] + ptr[v];
                        if (g->flow[a] >= g->cap[a]) { ptr[v]++; continue; }
                        w = g->head[a];
                        rc = g->cost[a] + pv - g->pot[w];
                        e = a;
                    } else {
                        i64 a = g->in_arc[g->in_start[v] + ptr[v] - outdeg];
                        w = g->tail[a];
                        rc = -g->cost[a] + pv - g->pot[w];
                        e = -1 - a;
                    }
                    if (rc != 0 || onstack[w] || frozen[w]) { ptr[v]++; continue; }
                    if (ptr_phase[w] != sweep) { ptr_phase[w] = sweep; ptr[w] = 0; }
                    else if (g->excess[w] >= 0 &&
                             ptr[w] >= (g->out_start[w + 1] - g->out_start[w]) + g->in_len[w]) {
                        ptr[v]++; /* w is a dead end in this phase */
                        continue;
                    }
                    top++;
                    snode[top] = w;
                    sarc[top] = e;
                    onstack[w] = 1;
                    moved = 1;
                    break;
                }
                if (!moved) {
                    onstack[v] = 0;
                    top--;
                    if (top >= 0) ptr[snode[top]]++;
                }
            }
            while (top >= 0) onstack[snode[top--]] = 0;
        }
        /* each freeze costs a pass over the graph: back off exponentially between them */
        if (FREEZE && ns == 1 && pushed * 32 < nset && phase - last_freeze >= freeze_gap) {
            last_freeze = phase;
            freeze_gap *= 2;
            freeze(g, sources[0], frozen, mark, phase, bfs);
        }
        if (pushed == 0) { status = 3; break; } /* cannot happen with valid potentials */
    }
out:
    free(dist); free(seen); free(done); free(settled); free(sources); free(ptr); free(ptr_phase);
    free(onstack); free(frozen); free(mark); free(bfs); free(snode); free(sarc);
    if (q) {
        for (int b = 0; b < NB; b++) free(q->bucket[b].data);
        free(q->heap.a);
        free(q);
    }
    return status;
}

/* A contiguous buffer of `len` integers of `size` bytes: 8 or 4 (a signed C integer type), or 1
 * (bytes or booleans); the format's type letter (after any byte-order mark) and the item size
 * must match. */
static int get_int(PyObject *obj, Py_buffer *view, i64 len, int writable, const char *name, Py_ssize_t size) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    const char *f = view->format ? view->format : "B";
    if (*f == '<' || *f == '=' || *f == '@') f++;
    if (view->itemsize != size || f[1] != '\0' || !f[0] || !strchr(size == 1 ? "bB?" : "ilq", f[0])) {
        PyErr_Format(PyExc_TypeError, "%s must be a contiguous %s%d buffer", name, size == 1 ? "uint" : "int",
                     (int)(8 * size));
        PyBuffer_Release(view);
        return -1;
    }
    if (view->len / size != len) {
        PyErr_Format(PyExc_ValueError, "%s has %zd items, expected %lld", name, view->len / size, (long long)len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int get_i64(PyObject *obj, Py_buffer *view, i64 len, int writable, const char *name) {
    return get_int(obj, view, len, writable, name, 8);
}

/* The integer buffers o[from..count) (see get_int): lens[k] items of sizes[k] bytes each,
 * writable from index `writable` on. 0, or -1 (a Python error set) with the ones it took
 * released again. */
static int get_ints(PyObject **o, Py_buffer *b, int from, int count, const char *const *names, const i64 *lens,
                    const Py_ssize_t *sizes, int writable) {
    for (int k = from; k < count; k++)
        if (get_int(o[k], &b[k], lens[k], k >= writable, names[k], sizes[k]) < 0) {
            while (k-- > from) PyBuffer_Release(&b[k]);
            return -1;
        }
    return 0;
}

/* Release b[0..count) and answer `status` (NULL when a Python error is set). */
static PyObject *status_of(Py_buffer *b, int count, int status) {
    for (int k = 0; k < count; k++) PyBuffer_Release(&b[k]);
    if (PyErr_Occurred()) return NULL;
    return PyLong_FromLong(status);
}

static PyObject *py_solve(PyObject *self, PyObject *args) {
    (void)self;
    int status = 0;
    long long n_nodes;
    PyObject *o_tail, *o_head, *o_cap, *o_cost, *o_supply, *o_flow, *o_pot;
    if (!PyArg_ParseTuple(args, "LOOOOOOO", &n_nodes, &o_tail, &o_head, &o_cap, &o_cost, &o_supply, &o_flow,
                          &o_pot))
        return NULL;
    Py_buffer b_tail, b_head, b_cap, b_cost, b_supply, b_flow, b_pot;
    if (PyObject_GetBuffer(o_tail, &b_tail, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    i64 m = b_tail.len / 8;
    PyBuffer_Release(&b_tail);
    if (n_nodes < 0 || n_nodes >= INT32_MAX || m >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "network too large for 32-bit node and arc ids");
        return NULL;
    }
    if (get_i64(o_tail, &b_tail, m, 0, "tail") < 0) return NULL;
    if (get_i64(o_head, &b_head, m, 0, "head") < 0) { PyBuffer_Release(&b_tail); return NULL; }
    if (get_i64(o_cap, &b_cap, m, 0, "cap") < 0) goto e2;
    if (get_i64(o_cost, &b_cost, m, 0, "cost") < 0) goto e3;
    if (get_i64(o_supply, &b_supply, n_nodes, 0, "supply") < 0) goto e4;
    if (get_i64(o_flow, &b_flow, m, 1, "flow") < 0) goto e5;
    if (get_i64(o_pot, &b_pot, n_nodes, 1, "pot") < 0) goto e6;

    const i64 *tail = (const i64 *)b_tail.buf, *head = (const i64 *)b_head.buf;
    const i64 *cap = (const i64 *)b_cap.buf, *cost = (const i64 *)b_cost.buf;
    const i64 *supply = (const i64 *)b_supply.buf;
    i64 *flow = (i64 *)b_flow.buf, *pot = (i64 *)b_pot.buf;
    i64 n = n_nodes;
    for (i64 a = 0; a < m; a++) {
        if (tail[a] < 0 || tail[a] >= n || head[a] < 0 || head[a] >= n || cap[a] < 0 || flow[a] < 0 ||
            flow[a] > cap[a]) {
            status = 3;
            break;
        }
    }
    Net g;
    memset(&g, 0, sizeof g);
    i64 *order = NULL;
    if (status == 0) {
        Py_BEGIN_ALLOW_THREADS
        g.n = n;
        g.m = m;
        g.out_start = (i64 *)calloc((size_t)n + 1, sizeof(i64));
        g.in_start = (i64 *)calloc((size_t)n + 1, sizeof(i64));
        g.in_len = (i64 *)calloc((size_t)n + 1, sizeof(i64));
        g.tail = (i32 *)malloc((size_t)(m + 1) * sizeof(i32));
        g.head = (i32 *)malloc((size_t)(m + 1) * sizeof(i32));
        g.cap = (i64 *)malloc((size_t)(m + 1) * sizeof(i64));
        g.cost = (i64 *)malloc((size_t)(m + 1) * sizeof(i64));
        g.flow = (i64 *)calloc((size_t)(m + 1), sizeof(i64));
        g.in_arc = (i32 *)malloc((size_t)(m + 1) * sizeof(i32));
        g.in_pos = (i64 *)malloc((size_t)(m + 1) * sizeof(i64));
        g.in_all = (i32 *)malloc((size_t)(m + 1) * sizeof(i32));
        g.excess = (i64 *)malloc((size_t)(n + 1) * sizeof(i64));
        g.pot = pot;
        order = (i64 *)malloc((size_t)(m + 1) * sizeof(i64));
        if (!g.out_start || !g.in_start || !g.in_len || !g.tail || !g.head || !g.cap || !g.cost || !g.flow ||
            !g.in_arc || !g.in_pos || !g.in_all || !g.excess || !order) {
            status = 2;
        } else {
            /* counting sort of the arcs by tail; order[k] = original index of sorted arc k */
            for (i64 a = 0; a < m; a++) { g.out_start[tail[a] + 1]++; g.in_start[head[a] + 1]++; }
            for (i64 v = 0; v < n; v++) { g.out_start[v + 1] += g.out_start[v]; g.in_start[v + 1] += g.in_start[v]; }
            i64 *fill = g.in_len; /* borrowed as a cursor, reset below */
            for (i64 v = 0; v < n; v++) fill[v] = g.out_start[v];
            for (i64 a = 0; a < m; a++) order[fill[tail[a]]++] = a;
            for (i64 v = 0; v < n; v++) fill[v] = g.in_start[v];
            for (i64 k = 0; k < m; k++) g.in_all[fill[head[order[k]]]++] = (i32)k;
            for (i64 v = 0; v < n; v++) fill[v] = 0;
            for (i64 v = 0; v < n; v++) g.excess[v] = supply[v];
            for (i64 k = 0; k < m; k++) {
                i64 a = order[k];
                g.tail[k] = (i32)tail[a];
                g.head[k] = (i32)head[a];
                g.cap[k] = cap[a];
                g.cost[k] = cost[a];
                g.in_pos[k] = -1;
                /* reduced-cost optimality for the starting potentials: saturate arcs of negative
                 * reduced cost, empty arcs of positive reduced cost, keep the rest */
                i64 rc = cost[a] + pot[tail[a]] - pot[head[a]];
                i64 f = flow[a];
                if (rc < 0) f = cap[a];
                else if (rc > 0) f = 0;
                if (f > 0) set_flow(&g, k, f);
                g.excess[tail[a]] -= f;
                g.excess[head[a]] += f;
            }
            status = run(&g);
            if (status == 0)
                for (i64 k = 0; k < m; k++) flow[order[k]] = g.flow[k];
        }
        free(g.out_start); free(g.in_start); free(g.in_len); free(g.tail); free(g.head); free(g.cap);
        free(g.cost); free(g.flow); free(g.in_arc); free(g.in_pos); free(g.in_all); free(g.excess); free(order);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&b_pot);
e6:
    PyBuffer_Release(&b_flow);
e5:
    PyBuffer_Release(&b_supply);
e4:
    PyBuffer_Release(&b_cost);
e3:
    PyBuffer_Release(&b_cap);
e2:
    PyBuffer_Release(&b_head);
    PyBuffer_Release(&b_tail);
    if (PyErr_Occurred()) return NULL;
    return PyLong_FromLong(status);
}

static Workspace *kept_workspace; /* the cost-scaling core's scratch memory between solves */

/* scaling(P, Q, off, opp, cost, supply, cap, flow, pot, params, warm) -> status (see _scaling.h);
 * opp is int32, flow uint8 (0/1 per arc, in and out), everything else int64 */
static PyObject *py_scaling(PyObject *self, PyObject *args) {
    (void)self;
    long long P, Q;
    int warm = 0;
    PyObject *o[8];
    if (!PyArg_ParseTuple(args, "LLOOOOOOOOp", &P, &Q, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7], &warm))
        return NULL;
    if (P < 0 || Q < 0 || P + Q + 2 >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "network too large for 32-bit node ids");
        return NULL;
    }
    Py_buffer b[8];
    int status = 0;
    if (get_i64(o[0], &b[0], P + 1, 0, "off") < 0) return NULL;
    i64 E = ((const i64 *)b[0].buf)[P];
    if (E < 0 || E >= INT32_MAX) return status_of(b, 1, 3);
    const char *const names[8] = {"off", "opp", "cost", "supply", "cap", "flow", "pot", "params"};
    const i64 lens[8] = {P + 1, E, E, P, Q, E, P + Q + 1, 3};
    const Py_ssize_t sizes[8] = {8, 4, 8, 8, 8, 1, 8, 8}; /* opp int32, flow uint8 */
    if (get_ints(o, b, 1, 8, names, lens, sizes, 5) < 0) return status_of(b, 1, 0);
    const i64 *off = (const i64 *)b[0].buf, *sup = (const i64 *)b[3].buf;
    const int32_t *opp = (const int32_t *)b[1].buf; /* checked against Q by the core (status 3) */
    const i64 *cap = (const i64 *)b[4].buf;
    if (off[0] != 0) status = 3;
    for (i64 i = 0; i < P && !status; i++)
        if (off[i + 1] < off[i] || sup[i] < 0) status = 3;
    for (i64 j = 0; j < Q && !status; j++)
        if (cap[j] < 0) status = 3;
    if (!status) {
        /* the kept workspace, taken and put back under the GIL (see _workspace.h) */
        Workspace *ws = kept_workspace ? kept_workspace : (Workspace *)calloc(1, sizeof(Workspace));
        kept_workspace = NULL;
        if (!ws) status = 2;
        else {
            Py_BEGIN_ALLOW_THREADS
            status = flok_scaling(P, Q, off, opp, (const i64 *)b[2].buf, sup, cap, (unsigned char *)b[5].buf,
                                  (i64 *)b[6].buf, (i64 *)b[7].buf, warm, ws);
            Py_END_ALLOW_THREADS
            if (!kept_workspace && ws_bytes(ws) <= WS_KEEP) kept_workspace = ws;
            else ws_free(ws);
        }
    }
    return status_of(b, 8, status);
}

/* plain_layout(tail, head, cap, supply, participants, opportunities, off, opp, order, counts)
 * -> status (see flok_plain_layout in _scaling.h); the last six are written, opp is int32. */
static PyObject *py_plain_layout(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *o[10];
    if (!PyArg_ParseTuple(args, "OOOOOOOOOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7], &o[8], &o[9]))
        return NULL;
    Py_buffer b[10];
    if (PyObject_GetBuffer(o[0], &b[0], PyBUF_C_CONTIGUOUS) < 0) return NULL;
    i64 E = b[0].len / 8;
    PyBuffer_Release(&b[0]);
    if (PyObject_GetBuffer(o[3], &b[3], PyBUF_C_CONTIGUOUS) < 0) return NULL;
    i64 n = b[3].len / 8;
    PyBuffer_Release(&b[3]);
    const char *const names[10] = {"tail", "head", "cap", "supply", "participants", "opportunities", "off", "opp", "order", "counts"};
    const i64 lens[10] = {E, E, E, n, n, n, n + 1, E, E, 3};
    const Py_ssize_t sizes[10] = {8, 8, 8, 8, 8, 8, 8, 4, 8, 8}; /* opp int32 */
    if (get_ints(o, b, 0, 10, names, lens, sizes, 4) < 0) return NULL;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = flok_plain_layout(n, E, (const i64 *)b[0].buf, (const i64 *)b[1].buf, (const i64 *)b[2].buf,
                               (const i64 *)b[3].buf, (i64 *)b[4].buf, (i64 *)b[5].buf, (i64 *)b[6].buf,
                               (int32_t *)b[7].buf, (i64 *)b[8].buf, (i64 *)b[9].buf);
    Py_END_ALLOW_THREADS
    return status_of(b, 10, status);
}

static PyObject *py_scaling_stats(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return Py_BuildValue("(LLLLLLL)", flok_scaling_refines(), flok_scaling_attempts(), flok_scaling_repaired(),
                         flok_scaling_imbalance(), flok_scaling_exact(), flok_repair_rounds(), flok_repair_bi_rounds());
}

static PyObject *py_repair_tune(PyObject *self, PyObject *args) {
    (void)self;
    long long work;
    if (!PyArg_ParseTuple(args, "L", &work)) return NULL;
    return PyLong_FromLongLong(flok_repair_tune(work));
}

static PyObject *py_repair_stamp_limit(PyObject *self, PyObject *args) {
    (void)self;
    long long limit;
    if (!PyArg_ParseTuple(args, "L", &limit)) return NULL;
    return PyLong_FromLongLong(flok_repair_stamp_limit(limit));
}

static PyObject *py_last_phases(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return PyLong_FromLongLong(last_phases);
}

static PyMethodDef methods[] = {
    {"last_phases", py_last_phases, METH_NOARGS, "Shortest-path phases of the last solve."},
    {"plain_layout", py_plain_layout, METH_VARARGS, "Is a max-flow network one layer of unit arcs? (see _layout.c)"},
    {"scaling", py_scaling, METH_VARARGS, "Max flow at least cost on a plain allocation network (see _scaling.c)."},
    {"scaling_stats", py_scaling_stats, METH_NOARGS,
     "(refinements, attempts, repaired, imbalance, exact, repair rounds, bidirectional rounds) of the last scaling solve."},
    {"repair_tune", py_repair_tune, METH_VARARGS, "Set the forward work after which a repair round searches backward too."},
    {"repair_stamp_limit", py_repair_stamp_limit, METH_VARARGS,
     "Set the repair rounds counted before the label stamps are cleared (tests)."},
    {"solve", py_solve, METH_VARARGS, "Min-cost flow from a pseudoflow and potentials (see the module source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_flowcore", "Exact min-cost flow core.", -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__flowcore(void) { return PyModule_Create(&module); }
