/*
 * stock.c - free, available and short stock, a channel's availability and status (rule 1),
 * and how a shortage is split (rule 3b). Pure.
 */
#include "base/platform.h"

#include "base/assert.h"
#include "core/stock.h"

bool oms_stock_level_valid(const struct oms_stock_level *level)
{
    return oms_qty_valid(level->on_hand) && oms_qty_valid(level->allocated) &&
           oms_qty_valid(level->reserved) && oms_qty_valid(level->safety) &&
           oms_qty_valid(level->unavailable) && level->unavailable <= level->on_hand;
}

bool oms_count_valid(oms_qty on_hand, oms_qty unavailable)
{
    return oms_qty_valid(on_hand) && oms_qty_valid(unavailable) && unavailable <= on_hand;
}

oms_qty oms_stock_free(const struct oms_stock_level *level)
{
    OMS_ASSERT(oms_stock_level_valid(level));
    return level->on_hand - level->allocated - level->reserved - level->safety -
           level->unavailable;
}

oms_qty oms_stock_available(const struct oms_stock_level *level)
{
    oms_qty free = oms_stock_free(level);
    return free > 0 ? free : 0;
}

oms_qty oms_stock_short(const struct oms_stock_level *level)
{
    oms_qty free = oms_stock_free(level);
    return free < 0 ? -free : 0;
}

oms_qty oms_channel_available(const oms_qty *free, uint32_t count, uint64_t visible,
                              oms_qty buffer)
{
    OMS_ASSERT(count <= OMS_LOCATIONS_MAX);
    OMS_ASSERT(oms_qty_valid(buffer));
    oms_qty sum = 0;
    for (uint32_t i = 0; i < count; i++) {
        if ((visible >> i) & 1u && free[i] > 0) sum += free[i];
    }
    return sum > buffer ? sum - buffer : 0;
}

enum oms_avail_status oms_avail_status_for(const struct oms_avail_query *q)
{
    OMS_ASSERT(q->want > 0);
    OMS_ASSERT(q->available >= 0);
    if (q->unreleased) return OMS_AVAIL_PREORDER;
    if (q->available >= q->want && !q->cannot_allocate) {
        if (q->low_stock_threshold >= 0 && q->available <= q->low_stock_threshold) {
            return OMS_AVAIL_LOW_STOCK;
        }
        return OMS_AVAIL_IN_STOCK;
    }
    return q->backorder_covers ? OMS_AVAIL_BACKORDER : OMS_AVAIL_OUT_OF_STOCK;
}

static oms_qty min_qty(oms_qty a, oms_qty b) { return a < b ? a : b; }

struct oms_shortage_split oms_shortage_split_of(const struct oms_stock_level *level)
{
    struct oms_shortage_split split = {0, 0, 0};
    oms_qty missing = oms_stock_short(level);
    split.from_safety = min_qty(missing, level->safety);
    missing -= split.from_safety;
    split.from_reserved = min_qty(missing, level->reserved);
    missing -= split.from_reserved;
    split.from_allocated = min_qty(missing, level->allocated);
    missing -= split.from_allocated;
    /* What is left is short even with nothing bound: unavailable > on_hand, refused at the edge. */
    OMS_ASSERT(missing == 0);
    return split;
}
