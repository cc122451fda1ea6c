/*
 * line.c - line and order status from the counters (DESIGN.md section 2). Pure.
 */
#include "base/platform.h"

#include "base/assert.h"
#include "core/line.h"

bool oms_line_counts_valid(const struct oms_line_counts *c)
{
    if (!oms_qty_valid(c->ordered) || !oms_qty_valid(c->allocated) ||
        !oms_qty_valid(c->backordered) || !oms_qty_valid(c->shipped) ||
        !oms_qty_valid(c->cancelled) || !oms_qty_valid(c->rejected)) {
        return false;
    }
    return c->ordered == c->allocated + c->backordered + c->shipped + c->cancelled + c->rejected;
}

enum oms_line_status oms_line_status_of(const struct oms_line_counts *c)
{
    OMS_ASSERT(oms_line_counts_valid(c));
    if (c->allocated > 0 && c->backordered == 0) return OMS_LINE_ALLOCATED;
    if (c->allocated > 0) return OMS_LINE_PARTIALLY_ALLOCATED;
    if (c->backordered > 0) return OMS_LINE_BACKORDERED;
    if (c->shipped > 0) return OMS_LINE_SHIPPED;
    if (c->cancelled > 0) return OMS_LINE_CANCELLED;
    return OMS_LINE_REJECTED;
}

enum oms_order_status oms_order_status_of(const struct oms_line_counts *lines, uint32_t count)
{
    OMS_ASSERT(count > 0);
    oms_qty open = 0, shipped = 0, cancelled = 0;
    for (uint32_t i = 0; i < count; i++) {
        OMS_ASSERT(oms_line_counts_valid(&lines[i]));
        open += lines[i].allocated + lines[i].backordered;
        shipped += lines[i].shipped;
        cancelled += lines[i].cancelled;
    }
    if (open > 0) return shipped > 0 ? OMS_ORDER_PARTIALLY_SHIPPED : OMS_ORDER_OPEN;
    if (shipped > 0) return OMS_ORDER_SHIPPED;
    if (cancelled > 0) return OMS_ORDER_CANCELLED;
    return OMS_ORDER_REJECTED;
}
