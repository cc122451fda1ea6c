/*
 * stock.h - what is left to sell of one SKU at one location, and what a channel may sell
 * (DESIGN.md rule 1). Pure: no I/O, no allocation, no clock. Quantities are in
 * [0, OMS_QTY_MAX]; free may be negative (the location is short).
 */
#ifndef OMS_CORE_STOCK_H
#define OMS_CORE_STOCK_H

#include "core/types.h"

struct oms_stock_level {
    oms_qty on_hand;     /* Counted and physically present. */
    oms_qty allocated;   /* Bound to order lines, not shipped yet. */
    oms_qty reserved;    /* Held for carts, not expired yet. */
    oms_qty safety;      /* Never sold from this location. */
    oms_qty unavailable; /* On hand but damaged or on hold; never more than on_hand. */
};

bool oms_stock_level_valid(const struct oms_stock_level *level);

/* A count as it was taken (a snapshot row, an adjustment's `set`, a CSV stock row): both
 * figures in [0, OMS_QTY_MAX] and no more unavailable than counted on hand (rule 3b). Callers
 * check it before re-applying the movements recorded since the count and before asking whether
 * a newer count supersedes it: a count that contradicts itself is refused whatever came after. */
bool oms_count_valid(oms_qty on_hand, oms_qty unavailable);

/* Signed: negative means the location is short. Decisions never make it negative. */
oms_qty oms_stock_free(const struct oms_stock_level *level);
/* max(0, free): what may be sold here. */
oms_qty oms_stock_available(const struct oms_stock_level *level);
/* max(0, -free): how many bound units the location lacks. */
oms_qty oms_stock_short(const struct oms_stock_level *level);

/* Rule 1: the sum of available over the locations the channel sees (bit i of `visible` for
 * free[i]), minus the channel's buffer, floored at 0. Short locations count as 0, never as a
 * negative that hides another location's stock. */
oms_qty oms_channel_available(const oms_qty *free, uint32_t count, uint64_t visible,
                              oms_qty buffer);

/* Rule 1's status for an asked quantity. */
struct oms_avail_query {
    oms_qty want;                /* > 0. */
    oms_qty available;           /* oms_channel_available(). */
    oms_qty low_stock_threshold; /* Negative: the item has none. */
    bool unreleased;             /* Preorder item before its release. */
    bool backorder_covers;       /* Policy and channel take backorders and a plan places all of
                                  * `want` beyond what is available. */
    bool cannot_allocate;        /* A plan for `want` would not allocate all of it now (an item
                                  * that cannot split, a minimum order quantity): then the
                                  * units available do not make it in stock. */
};
enum oms_avail_status oms_avail_status_for(const struct oms_avail_query *query);

/* Rule 3b: a short location gives up `short_qty` units, first from safety, then from holds,
 * then from allocations. Says how much each step takes; the caller takes the allocation part
 * from lines in reverse queue order. */
struct oms_shortage_split {
    oms_qty from_safety;
    oms_qty from_reserved;
    oms_qty from_allocated;
};
struct oms_shortage_split oms_shortage_split_of(const struct oms_stock_level *level);

#endif
