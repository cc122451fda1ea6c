/*
 * types.c - the API's spelling of the core's enums, one table per enum.
 */
#include "base/platform.h"

#include <string.h>

#include "base/assert.h"
#include "core/types.h"

static const char *const policy_names[] = {"deny", "backorder", "preorder"};
static const char *const reject_names[] = {
    NULL, "out_of_stock", "backorder_limit", "channel_disallows_backorder", "unknown_sku",
    "ship_complete_unavailable", "below_min_order_qty", "channel_cap"};
static const char *const line_status_names[] = {"allocated", "partially_allocated",
                                                "backordered", "shipped",
                                                "cancelled", "rejected"};
static const char *const source_reason_names[] = {
    NULL,    "only_location", "nearest_region", "priority",          "code_order",
    "split", "partial",       "receipt",        "collect",           "shipment_cancelled",
    "hold"};
_Static_assert(OMS_ARRAY_LEN(source_reason_names) == OMS_SOURCE_REASON_LAST + 1,
               "one name per source reason");
static const char *const order_status_names[] = {"open", "partially_shipped", "shipped",
                                                 "cancelled", "rejected"};
static const char *const avail_names[] = {"preorder",  "low_stock",    "in_stock",
                                          "backorder", "out_of_stock", "unknown_sku"};
static const char *const supply_status_names[] = {"open", "received", "closed", "cancelled"};

static bool lookup(const char *const *names, size_t count, const char *text, size_t *index)
{
    for (size_t i = 0; i < count; i++) {
        if (names[i] && strcmp(names[i], text) == 0) {
            *index = i;
            return true;
        }
    }
    return false;
}

const char *oms_policy_name(enum oms_policy policy)
{
    OMS_ASSERT((size_t)policy < OMS_ARRAY_LEN(policy_names));
    return policy_names[policy];
}

bool oms_policy_parse(const char *text, enum oms_policy *out)
{
    size_t index;
    if (!lookup(policy_names, OMS_ARRAY_LEN(policy_names), text, &index)) return false;
    *out = (enum oms_policy)index;
    return true;
}

const char *oms_reject_reason_name(enum oms_reject_reason reason)
{
    OMS_ASSERT((size_t)reason < OMS_ARRAY_LEN(reject_names));
    return reject_names[reason];
}

const char *oms_line_status_name(enum oms_line_status status)
{
    OMS_ASSERT((size_t)status < OMS_ARRAY_LEN(line_status_names));
    return line_status_names[status];
}

const char *oms_source_reason_name(enum oms_source_reason reason)
{
    OMS_ASSERT((size_t)reason < OMS_ARRAY_LEN(source_reason_names));
    return source_reason_names[reason];
}

const char *oms_order_status_name(enum oms_order_status status)
{
    OMS_ASSERT((size_t)status < OMS_ARRAY_LEN(order_status_names));
    return order_status_names[status];
}

const char *oms_avail_status_name(enum oms_avail_status status)
{
    OMS_ASSERT((size_t)status < OMS_ARRAY_LEN(avail_names));
    return avail_names[status];
}

const char *oms_supply_status_name(enum oms_supply_status status)
{
    OMS_ASSERT((size_t)status < OMS_ARRAY_LEN(supply_status_names));
    return supply_status_names[status];
}

bool oms_supply_status_parse(const char *text, enum oms_supply_status *out)
{
    size_t index;
    if (!lookup(supply_status_names, OMS_ARRAY_LEN(supply_status_names), text, &index)) {
        return false;
    }
    *out = (enum oms_supply_status)index;
    return true;
}
