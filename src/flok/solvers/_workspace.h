/* Scratch memory of the cost-scaling core, kept from one solve to the next.
 *
 * Why: a solve at 100k x 2k uses about 40 MB of scratch arrays. Allocated and freed on every call,
 * the C library hands them back to the system, and the next solve takes a page fault on each
 * 4 KiB page it touches again (about 10,000 faults): measured, 8-10 ms of a 60 ms warm re-solve.
 * So each array lives in a numbered slot of a Workspace that grows when a solve needs more and is
 * otherwise reused as it is.
 *
 * Who owns it: _flowcore.c keeps one Workspace between calls and hands it to one solve at a time,
 * taking and returning it while it holds the GIL (a second solve running at the same time in
 * another thread gets a fresh one, freed afterwards). A Workspace above WS_KEEP bytes is freed
 * after the solve rather than kept, so a very large solve does not pin its memory for the life of
 * the process. */
#ifndef FLOK_WORKSPACE_H
#define FLOK_WORKSPACE_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WS_KEEP ((size_t)256 << 20) /* bytes kept between solves at most */

enum {
    /* _scaling.c */
    WS_MEM, WS_MOWN, WS_MPOS, WS_MKEY, WS_CS, WS_FL, WS_MSTART, WS_MLEN, WS_FT, WS_B,
    WS_EX, WS_PTR, WS_QUEUE, WS_INQ, WS_P, WS_BYP, WS_INBYP, WS_SEEN, WS_BFS,
    /* _repair.c */
    WS_LABEL, WS_FSETTLED, WS_FZQ, WS_BSETTLED, WS_BZQ, WS_BSEEN, WS_POS, WS_PNODE, WS_PARC, WS_SRC, WS_DST,
    WS_ISTART, WS_IARC, WS_IOWN,
    WS_SLOTS
};

typedef struct {
    void *p[WS_SLOTS];
    size_t n[WS_SLOTS];
    int64_t round; /* the warm repair's last round: its labels carry round stamps (see cs_repair) */
} Workspace;

/* Slot `slot` with room for `bytes` (zeroed if `zero`), or NULL when out of memory. A slot that
 * must grow gets an eighth more than asked, so the next, slightly larger problem fits; a new
 * slot is always zeroed (calloc: free for fresh pages). */
static inline void *ws_get(Workspace *w, int slot, size_t bytes, int zero) {
    if (bytes == 0) bytes = 1;
    if (w->n[slot] < bytes) {
        free(w->p[slot]);
        size_t room = bytes + bytes / 8;
        w->p[slot] = calloc(room, 1);
        w->n[slot] = w->p[slot] ? room : 0;
        return w->p[slot];
    }
    if (zero) memset(w->p[slot], 0, bytes);
    return w->p[slot];
}

static inline size_t ws_bytes(const Workspace *w) {
    size_t total = 0;
    for (int k = 0; k < WS_SLOTS; k++) total += w->n[k];
    return total;
}

static inline void ws_free(Workspace *w) {
    if (!w) return;
    for (int k = 0; k < WS_SLOTS; k++) free(w->p[k]);
    free(w);
}

#endif
