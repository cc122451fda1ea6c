/*
 * types.h - the vocabulary of the pure core: quantities, calendar days, limits and the enums
 * every layer shares (policies, line and order statuses, rejection reasons, availability
 * statuses). Pure: no I/O, no allocation, no clock. Quantities are whole units in
 * [0, OMS_QTY_MAX]; a difference of quantities may be negative (a location is short).
 */
#ifndef OMS_CORE_TYPES_H
#define OMS_CORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t oms_qty;               /* Whole units of the item's stock unit. Never float. */
#define OMS_QTY_MAX ((oms_qty)1 << 40) /* About 1.1e12 units. */

typedef int32_t oms_day;        /* Civil day number (days since 1970-01-01) in some location's zone. */
#define OMS_DAY_NONE INT32_MIN  /* No date (no release date, no promise). */
#define OMS_DAY_MIN (-1000000)  /* About year -770: bounds checked at the edge. */
#define OMS_DAY_MAX 2932896     /* 9999-12-31. */

#define OMS_LOCATIONS_MAX 64   /* Locations per merchant: a channel's set is one uint64_t mask. */
#define OMS_CHANNELS_MAX 64    /* Channels per merchant. */
#define OMS_SUPPLIES_MAX 64    /* Open supply lines per item that promises consider. */
#define OMS_PEGS_MAX (OMS_SUPPLIES_MAX + 1) /* A backordered part: every supply line plus lead time. */
#define OMS_HANDLING_DAYS_MAX 60
#define OMS_LEAD_TIME_DAYS_MAX 3650

_Static_assert(OMS_LOCATIONS_MAX <= 64, "a channel's locations are a 64-bit mask");
_Static_assert(OMS_QTY_MAX * (OMS_SUPPLIES_MAX + OMS_LOCATIONS_MAX + 1) < INT64_MAX,
               "free stock plus every supply line must fit in an oms_qty");

static inline bool oms_qty_valid(oms_qty qty) { return qty >= 0 && qty <= OMS_QTY_MAX; }

enum oms_policy { OMS_POLICY_DENY, OMS_POLICY_BACKORDER, OMS_POLICY_PREORDER };

/* Why units of a line were refused (API.md). NONE when nothing was rejected. */
enum oms_reject_reason {
    OMS_REJECT_NONE,
    OMS_REJECT_OUT_OF_STOCK,
    OMS_REJECT_BACKORDER_LIMIT,
    OMS_REJECT_CHANNEL_DISALLOWS_BACKORDER,
    OMS_REJECT_UNKNOWN_SKU,
    OMS_REJECT_SHIP_COMPLETE_UNAVAILABLE,
    OMS_REJECT_BELOW_MIN_ORDER_QTY,
    OMS_REJECT_CHANNEL_CAP, /* Beyond what the channel may still sell of the item this period. */
};

/* Why an allocation was made where it was (the order answer's `source_reason`). Stored with
 * the allocation as its number: values are never renumbered, new ones go at the end.
 * UNRECORDED marks allocations made before reasons were kept (shown as null). */
enum oms_source_reason {
    OMS_SOURCE_REASON_UNRECORDED = 0,
    OMS_SOURCE_REASON_ONLY_LOCATION = 1,  /* The only location that could fill the line. */
    OMS_SOURCE_REASON_NEAREST_REGION = 2, /* Several could: this one is nearest the destination. */
    OMS_SOURCE_REASON_PRIORITY = 3,       /* As near as another: a better location priority. */
    OMS_SOURCE_REASON_CODE_ORDER = 4,     /* As near, same priority: first by code. */
    OMS_SOURCE_REASON_SPLIT = 5,          /* No one location could: the fewest that fill it. */
    OMS_SOURCE_REASON_PARTIAL = 6,        /* Free stock fell short of the line: what there was. */
    OMS_SOURCE_REASON_RECEIPT = 7,        /* Supply pegged to the line arrived here (rule 4). */
    OMS_SOURCE_REASON_COLLECT = 8,        /* The order's click-and-collect location. */
    OMS_SOURCE_REASON_SHIPMENT_CANCELLED = 9, /* A shipment cancelled before it left. */
    OMS_SOURCE_REASON_HOLD = 10,          /* The order's hold kept these units here. */
};
#define OMS_SOURCE_REASON_LAST OMS_SOURCE_REASON_HOLD

enum oms_line_status {
    OMS_LINE_ALLOCATED,
    OMS_LINE_PARTIALLY_ALLOCATED,
    OMS_LINE_BACKORDERED,
    OMS_LINE_SHIPPED,
    OMS_LINE_CANCELLED,
    OMS_LINE_REJECTED,
};

enum oms_order_status {
    OMS_ORDER_OPEN,
    OMS_ORDER_PARTIALLY_SHIPPED,
    OMS_ORDER_SHIPPED,
    OMS_ORDER_CANCELLED,
    OMS_ORDER_REJECTED,
};

enum oms_avail_status {
    OMS_AVAIL_PREORDER,
    OMS_AVAIL_LOW_STOCK,
    OMS_AVAIL_IN_STOCK,
    OMS_AVAIL_BACKORDER,
    OMS_AVAIL_OUT_OF_STOCK,
    OMS_AVAIL_UNKNOWN_SKU,
};

enum oms_supply_status {
    OMS_SUPPLY_OPEN,
    OMS_SUPPLY_RECEIVED,
    OMS_SUPPLY_CLOSED,
    OMS_SUPPLY_CANCELLED,
};

/* Names as the API spells them; the inverse lookups return false for unknown text. */
const char *oms_policy_name(enum oms_policy policy);
bool oms_policy_parse(const char *text, enum oms_policy *out);
const char *oms_reject_reason_name(enum oms_reject_reason reason); /* NULL for NONE. */
const char *oms_line_status_name(enum oms_line_status status);
const char *oms_source_reason_name(enum oms_source_reason reason); /* NULL for UNRECORDED. */
const char *oms_order_status_name(enum oms_order_status status);
const char *oms_avail_status_name(enum oms_avail_status status);
const char *oms_supply_status_name(enum oms_supply_status status);
bool oms_supply_status_parse(const char *text, enum oms_supply_status *out);

#endif
