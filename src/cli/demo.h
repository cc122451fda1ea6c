/*
 * demo.h - the demo's deterministic starting position, derived from real data (docs/demo.md
 * states the rules and why): locations UK1 and EU1, channel "web", one item per product code
 * of the UCI week, opening stock well below the week's demand, and inbound purchase orders for
 * the top sellers whose lead times and lateness come from the USAID SCMS delivery history,
 * scaled to the week. The same inputs always give the same position, byte for byte.
 */
#ifndef OMS_CLI_DEMO_H
#define OMS_CLI_DEMO_H

#include "base/platform.h"

#include <stdio.h>

#include "cli/replay.h"
#include "engine/engine.h"

#define DEMO_STOCK_PERCENT 40      /* Opening stock: this share of the week's demand... */
#define DEMO_UK1_PERCENT 70        /* ...of which UK1 holds this share, EU1 the rest. */
#define DEMO_PO_SKUS 200           /* Purchase orders for this many top sellers... */
#define DEMO_PO_PERCENT 50         /* ...each for this share of the week's demand. */
#define DEMO_LIMIT_PERCENT 25      /* backorder_limit: this share of the week's demand. */
#define DEMO_LEAD_FAST_DAYS 7      /* Lead time of backorder items selling >= the median. */
#define DEMO_LEAD_SLOW_DAYS 14     /* Lead time of the others. */
#define DEMO_HORIZON_DAYS 3        /* The median SCMS planned lead becomes this many days. */
#define DEMO_PO_LEAD_MIN_DAYS 1
#define DEMO_PO_LEAD_MAX_DAYS 6
#define DEMO_RECEIPT_HOUR 7        /* Goods are received at 07:00 UK time. */

struct demo_name {
    char *text;
    uint32_t count;
};

struct demo_sku {
    char code[OMS_SKU_BYTES_MAX];
    int64_t demand;      /* Units on the week's sale lines. */
    uint32_t sale_lines;
    int64_t *prices;     /* UnitPrice of each sale line (of each row when it has none). */
    size_t prices_count, prices_cap;
    bool sale_prices;    /* prices come from sale lines. */
    struct demo_name *names;
    size_t names_count;
    /* Derived. */
    const char *name;
    int64_t price_minor;
    enum oms_policy policy;
    int32_t lead_time_days; /* -1 for deny items. */
    oms_qty backorder_limit;
    oms_qty stock_uk1, stock_eu1;
};

struct demo_po {
    char id[OMS_ID_BYTES_MAX];
    const char *sku;
    oms_qty qty;
    int64_t scms_id, planned_lead_days, lateness_days; /* The SCMS row used. */
    oms_day expected_day, receipt_day;
};

struct demo_start {
    struct demo_sku *skus; /* In code order. */
    size_t skus_count;
    struct demo_po *pos;   /* By demand rank. */
    size_t pos_count;
    char first_invoice[OMS_ID_BYTES_MAX];
    oms_day week_start;    /* UK date of the first invoice. */
    int64_t start_ms;      /* 00:00 UK time that day: when the position is set. */
    int64_t median_demand;
    int64_t scms_median_x2; /* Twice the median planned lead (exact for even counts). */
    size_t scms_rows;
};

/* Reads the UCI week (once) and the SCMS table and derives the position. */
OMS_MUST_CHECK bool demo_derive(const char *uci_path, const char *scms_path,
                                struct demo_start *start);
void demo_start_release(struct demo_start *start);
/* Submits the position to a fresh engine and waits; false (printed) when a command failed. */
OMS_MUST_CHECK bool demo_load(struct oms_engine *engine, const struct demo_start *start);
/* The purchase orders' receipts, by instant, for the replay (malloc'd). */
/* The receipts of the POs at their real dates and, for late ones, the supplier's notice of
 * the delay; sorted by time. *delays counts the notices. */
struct replay_receipt *demo_receipts(const struct demo_start *start, size_t *count,
                                     size_t *delays);
void demo_print_start(const struct demo_start *start, FILE *out);

#endif
