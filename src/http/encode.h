/*
 * encode.h - JSON answers built from the engine's model (API.md shapes). They run on the
 * writer thread, inside a batch, as a command's encode callback: the model is read through a
 * const pointer and nothing is kept. The returned text is malloc'd (oms_json_dump, or written
 * straight into a buffer for orders: encode_order.c).
 */
#ifndef OMS_HTTP_ENCODE_H
#define OMS_HTTP_ENCODE_H

#include <jansson.h>

#include "engine/engine.h"
#include "http/dump.h"
#include "store/model.h"

json_t *oms_json_item(const struct oms_state *state, uint32_t item);
/* The item with "channels": its status on each channel (only_channel: that one; OMS_NONE:
 * all), for one unit, from the availability index (what the last commit published). */
json_t *oms_json_item_channels(struct oms_engine *engine, const struct oms_state *state,
                               uint32_t item, uint32_t only_channel);
json_t *oms_json_location(const struct oms_state *state, uint32_t location);
json_t *oms_json_channel(const struct oms_state *state, uint32_t channel);
json_t *oms_json_stock(const struct oms_state *state, uint32_t item);
json_t *oms_json_supply(const struct oms_state *state, uint32_t supply);
json_t *oms_json_hold(const struct oms_state *state, uint32_t hold); /* route_holds.c */
json_t *oms_json_date(oms_day day); /* "YYYY-MM-DD" or null. */
json_t *oms_json_instant(int64_t ms);

/* Encode callbacks for commands (struct oms_command.encode). */
char *oms_encode_item(struct oms_command *cmd, const struct oms_state *state, size_t *len);
char *oms_encode_location(struct oms_command *cmd, const struct oms_state *state, size_t *len);
char *oms_encode_channel(struct oms_command *cmd, const struct oms_state *state, size_t *len);
char *oms_encode_stock(struct oms_command *cmd, const struct oms_state *state, size_t *len);
char *oms_encode_adjustment(struct oms_command *cmd, const struct oms_state *state,
                            size_t *len);
char *oms_encode_supply(struct oms_command *cmd, const struct oms_state *state, size_t *len);
char *oms_encode_receipt(struct oms_command *cmd, const struct oms_state *state, size_t *len);
char *oms_encode_repeg(struct oms_command *cmd, const struct oms_state *state, size_t *len);
char *oms_encode_clock(struct oms_command *cmd, const struct oms_state *state, size_t *len);

/* Orders (encode_order.c): written straight into text, no tree (the writer encodes every
 * order it places). oms_order_text is the order as GET /v1/orders/{id} shows it, malloc'd, with
 * its length in *len; the encode callbacks answer a placement or change (the order) and a
 * cancellation (the order with cancelled_now, and a note when nothing was left). */
char *oms_order_text(const struct oms_state *state, uint32_t order, size_t *len);
char *oms_encode_order(struct oms_command *cmd, const struct oms_state *state, size_t *len);
char *oms_encode_cancel(struct oms_command *cmd, const struct oms_state *state, size_t *len);
/* A shipment's answer: the order with shipped_now (a cancelled shipment's: unshipped_now),
 * [{line, location, qty}] per line and location the command moved. */
char *oms_encode_shipment(struct oms_command *cmd, const struct oms_state *state, size_t *len);

/* An item's backorder queue (GET /v1/items/{sku}/queue, encode_order.c): its lines with units
 * on backorder, in queue order (rule 3: channel priority, order time, order id), each with its
 * 1-based position, order, channel, allocations, pegs and promise; the page holds the lines
 * after position `after`, at most `limit` (> 0) of them. "waiting" counts every waiting line,
 * "next" is the `after` of the next page (null on the last). Malloc'd, *len its length. */
char *oms_queue_text(const struct oms_state *state, uint32_t item, uint32_t after,
                     uint32_t limit, size_t *len);

/* Lists (GET /v1/items, GET /v1/orders): records in creation order from index `after`, at
 * most `limit` that match, scanning at most OMS_LIST_SCAN_MAX records per page so that a rare
 * filter never holds the writer for the whole collection; "next" is the index to go on from
 * (null once the end was scanned), also when the page holds fewer than limit, or none. */
#define OMS_LIST_SCAN_MAX 65536 /* list_scan_max. */
#define OMS_LIST_LIMIT_MAX 500  /* list_page_max. */
#define OMS_LIST_LIMIT_DEFAULT 100
struct oms_order_filter {
    uint32_t channel; /* OMS_NONE: any. */
    const char *sku;  /* NULL: any; else orders with a line of this SKU (as the line spells it). */
    bool has_status;
    enum oms_order_status status;
};
/* {"orders": [the order as GET /v1/orders/{id} shows it...], "next"}, malloc'd. */
char *oms_orders_text(const struct oms_state *state, const struct oms_order_filter *filter,
                      uint32_t after, uint32_t limit, size_t *len);

/* The reconciliation report of a stock snapshot (encode_snapshot.c). */
char *oms_encode_snapshot(struct oms_command *cmd, const struct oms_state *state, size_t *len);
/* Adds "promise_changes" (the lines whose promise the command moved) and "dry_run". */
void oms__add_promise_changes(json_t *answer, const struct oms_command *cmd,
                              const struct oms_state *state);

/* Serialises and frees: the answer text of a command. A NULL json (memory ran out while it was
 * built) gives a fixed note that the answer could not be built, logged: the command was
 * carried out, so its status stands. */
char *oms_json_answer(json_t *json, size_t *len);

#endif
