/*
 * line.h - an order line's counters, its status and the order status derived from its lines
 * (DESIGN.md section 2). Pure. The invariant, always:
 *     ordered = allocated + backordered + shipped + cancelled + rejected
 */
#ifndef OMS_CORE_LINE_H
#define OMS_CORE_LINE_H

#include "core/types.h"

struct oms_line_counts {
    oms_qty ordered;
    oms_qty allocated;   /* Bound to stock at locations, not shipped. */
    oms_qty backordered; /* Pegged to supply, lead time or release. */
    oms_qty shipped;
    oms_qty cancelled;
    oms_qty rejected;
};

/* True when every counter is a valid quantity and they add up to ordered. */
bool oms_line_counts_valid(const struct oms_line_counts *counts);

/* The status from the open part (asserts the invariant). */
enum oms_line_status oms_line_status_of(const struct oms_line_counts *counts);

/* The order's status from its lines; count > 0. */
enum oms_order_status oms_order_status_of(const struct oms_line_counts *lines, uint32_t count);

#endif
