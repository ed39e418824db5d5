/* A binary min-heap of (key, node) pairs, shared by the Dijkstras of both flow cores
 * (_flowcore.c keeps long keys in it beside its bucket queue; _repair.c uses it alone). */
#ifndef FLOK_HEAP_H
#define FLOK_HEAP_H
#include <stdint.h>
#include <stdlib.h>

typedef struct {
    int64_t key;
    int32_t node;
} HeapItem;

typedef struct {
    HeapItem *a;
    int64_t n, cap;
} Heap;

/* 0, or -1 when out of memory. */
static inline int heap_push(Heap *h, int64_t key, int32_t node) {
    if (h->n == h->cap) {
        int64_t nc = h->cap ? h->cap * 2 : 256;
        HeapItem *na = (HeapItem *)realloc(h->a, (size_t)nc * sizeof(HeapItem));
        if (!na) return -1;
        h->a = na;
        h->cap = nc;
    }
    int64_t i = h->n++;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (h->a[p].key <= key) break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i].key = key;
    h->a[i].node = node;
    return 0;
}

/* The smallest pair (the heap must not be empty). */
static inline HeapItem heap_pop(Heap *h) {
    HeapItem top = h->a[0];
    HeapItem last = h->a[--h->n];
    int64_t i = 0, n = h->n;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h->a[c + 1].key < h->a[c].key) c++;
        if (h->a[c].key >= last.key) break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (n) h->a[i] = last;
    return top;
}

#endif
