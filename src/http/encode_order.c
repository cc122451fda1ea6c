/*
 * encode_order.c - an order's answer (API.md "Orders") written straight into JSON text, without
 * a jansson tree. The writer thread encodes the answer of every order it places (the text is
 * stored with the order, for idempotent retries); building and freeing a tree cost it more than
 * dumping it (issue 4, bench/README.md "The write path"). The bytes are exactly those json_dumps
 * wrote for the tree the previous encoder built (keys in insertion order, compact, jansson's
 * escaping through base/jbuf.h): stored answers and retries compare byte for byte.
 * tests/integration/order_oracle.c keeps that tree encoder, and the tests compare both. The
 * answers built of order lines are here too: a shipment's, an item's backorder queue and the
 * list of orders.
 */
#include "base/platform.h"

#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/jbuf.h"
#include "core/calendar.h"
#include "core/line.h"
#include "engine/clock.h"
#include "http/encode.h"

#define LIT(t, literal) oms_jbuf_lit(t, literal)

/* A string, or null for NULL. */
static void put_str(struct oms_jbuf *t, const char *text)
{
    if (text) {
        oms_jbuf_str(t, text);
    } else {
        LIT(t, "null");
    }
}

static void put_bool(struct oms_jbuf *t, bool value)
{
    if (value) {
        LIT(t, "true");
    } else {
        LIT(t, "false");
    }
}

/* Names, dates and instants hold no character JSON escapes: written as they are. */
static void put_name(struct oms_jbuf *t, const char *name)
{
    LIT(t, "\"");
    oms_jbuf_raw(t, name, strlen(name));
    LIT(t, "\"");
}

static void put_date(struct oms_jbuf *t, oms_day day)
{
    if (day == OMS_DAY_NONE) {
        LIT(t, "null");
        return;
    }
    char text[11];
    oms_day_format(day, text);
    put_name(t, text);
}

static void put_instant(struct oms_jbuf *t, int64_t ms)
{
    char text[OMS_RFC3339_LEN];
    oms_rfc3339_format(ms, text);
    put_name(t, text);
}

static void put_allocs(struct oms_jbuf *t, const struct oms_state *state,
                       const struct oms_line *line)
{
    LIT(t, "[");
    for (uint32_t i = 0; i < line->allocs_count; i++) {
        const struct oms_line_alloc *a = &line->allocs[i];
        const char *why = oms_source_reason_name(a->reason);
        if (i) LIT(t, ",");
        LIT(t, "{\"location\":");
        put_str(t, state->locations[a->location].code);
        LIT(t, ",\"qty\":");
        oms_jbuf_int(t, a->qty);
        LIT(t, ",\"ship_date\":");
        put_date(t, a->ship_day);
        LIT(t, ",\"source_reason\":");
        put_str(t, why);
        LIT(t, "}");
    }
    LIT(t, "]");
}

static void put_pegs(struct oms_jbuf *t, const struct oms_state *state,
                     const struct oms_line *line)
{
    LIT(t, "[");
    for (uint32_t i = 0; i < line->pegs_count; i++) {
        const struct oms_line_peg *peg = &line->pegs[i];
        if (i) LIT(t, ",");
        LIT(t, "{\"qty\":");
        oms_jbuf_int(t, peg->qty);
        LIT(t, ",\"supply\":");
        put_str(t, peg->supply == OMS_NONE ? NULL : state->supplies[peg->supply].id);
        LIT(t, ",\"source\":");
        put_name(t, peg->supply != OMS_NONE             ? "supply"
                    : peg->release                      ? "release"
                    : peg->promise_day == OMS_DAY_NONE ? "unsourced"
                                                        : "lead_time");
        LIT(t, ",\"promise_date\":");
        put_date(t, peg->promise_day);
        LIT(t, "}");
    }
    LIT(t, "]");
}

static void put_line(struct oms_jbuf *t, const struct oms_state *state,
                     const struct oms_line *line, const struct oms_line_counts *counts)
{
    LIT(t, "{\"line\":");
    oms_jbuf_int(t, line->line_no);
    LIT(t, ",\"sku\":");
    put_str(t, line->sku);
    LIT(t, ",\"qty\":");
    oms_jbuf_int(t, line->qty);
    LIT(t, ",\"status\":");
    put_name(t, oms_line_status_name(oms_line_status_of(counts)));
    LIT(t, ",\"allocated\":");
    put_allocs(t, state, line);
    LIT(t, ",\"backordered\":");
    put_pegs(t, state, line);
    LIT(t, ",\"shipped\":");
    oms_jbuf_int(t, line->shipped);
    LIT(t, ",\"cancelled\":");
    oms_jbuf_int(t, line->cancelled);
    LIT(t, ",\"rejected\":{\"qty\":");
    oms_jbuf_int(t, line->rejected);
    LIT(t, ",\"reason\":");
    put_str(t, oms_reject_reason_name(line->reason));
    LIT(t, "},\"promise_date\":");
    put_date(t, line->promise_day);
    LIT(t, ",\"first_promise_date\":");
    put_date(t, line->first_promise_day);
    LIT(t, ",\"latest_date\":");
    put_date(t, line->latest_day);
    LIT(t, ",\"held\":");
    put_bool(t, line->held);
    LIT(t, ",\"returned\":");
    oms_jbuf_int(t, line->returned);
    LIT(t, "}");
}

/* What the order did with the hold it named: applied (its units went to the order first) or
 * why not (the hold had ended, or belongs to another channel). */
static void put_hold(struct oms_jbuf *t, const struct oms_state *state,
                     const struct oms_order *order)
{
    uint32_t hold = oms_state_hold(state, order->hold_id);
    oms_qty units = 0;
    const char *reason = NULL;
    char ended[32];
    if (order->hold_use == OMS_HOLD_USE_APPLIED && hold != OMS_NONE) {
        const struct oms_hold *h = &state->holds[hold];
        for (uint32_t i = 0; i < h->lines_count; i++) {
            units += state->hold_lines[h->first_line + i].consumed;
        }
    } else if (order->hold_use == OMS_HOLD_USE_OTHER_CHANNEL) {
        reason = "other_channel";
    } else if (hold != OMS_NONE) {
        /* Ended before the order came: its status then is its final status. */
        snprintf(ended, sizeof ended, "hold_%s", oms_hold_status_name(state->holds[hold].status));
        reason = ended;
    }
    LIT(t, ",\"hold\":{\"id\":");
    put_str(t, order->hold_id);
    LIT(t, ",\"applied\":");
    put_bool(t, order->hold_use == OMS_HOLD_USE_APPLIED);
    LIT(t, ",\"units\":");
    oms_jbuf_int(t, units);
    LIT(t, ",\"reason\":");
    put_str(t, reason);
    LIT(t, "}");
}

/* The order's object without its closing brace: the cancel answer adds fields after it. */
static void put_order_fields(struct oms_jbuf *t, const struct oms_state *state, uint32_t index)
{
    const struct oms_order *order = &state->orders[index];
    OMS_ASSERT(order->lines_count <= OMS_LINES_PER_ORDER_MAX);
    /* One allocation for most orders: about 300 bytes plus 200 a line, with the ids. */
    oms_jbuf_grow(t, 512 + 512 * (size_t)order->lines_count);
    struct oms_line_counts counts[OMS_LINES_PER_ORDER_MAX];
    for (uint32_t i = 0; i < order->lines_count; i++) {
        oms_line_counts_get(&state->lines[order->first_line + i], &counts[i]);
    }
    LIT(t, "{\"id\":");
    put_str(t, order->id);
    LIT(t, ",\"channel\":");
    put_str(t, state->channels[order->channel].code);
    LIT(t, ",\"region\":");
    put_str(t, order->region[0] ? order->region : NULL); /* No region is "": null, as input. */
    LIT(t, ",\"customer\":");
    if (order->customer_ref || order->contact) {
        LIT(t, "{\"ref\":");
        put_str(t, order->customer_ref);
        LIT(t, ",\"contact\":");
        put_str(t, order->contact);
        LIT(t, "}");
    } else {
        LIT(t, "null");
    }
    LIT(t, ",\"status\":");
    put_name(t, oms_order_status_name(oms_order_status_of(counts, order->lines_count)));
    LIT(t, ",\"at\":");
    put_instant(t, order->at_ms);
    LIT(t, ",\"created_at\":");
    put_instant(t, order->created_ms);
    LIT(t, ",\"lines\":[");
    for (uint32_t i = 0; i < order->lines_count; i++) {
        if (i) LIT(t, ",");
        put_line(t, state, &state->lines[order->first_line + i], &counts[i]);
    }
    LIT(t, "]");
    if (order->hold_id) put_hold(t, state, order);
    LIT(t, ",\"collect\":");
    put_str(t, order->collect == OMS_NONE ? NULL : state->locations[order->collect].code);
}

/* The text, malloc'd and NUL-terminated, as every encoder hands it to the writer. */
static char *finish(struct oms_jbuf *t, size_t *len)
{
    LIT(t, "\0");
    OMS_ASSERT(t->heap == t->text);
    if (len) *len = t->len - 1;
    return t->heap;
}

static void start(struct oms_jbuf *t) { oms_jbuf_init(t, NULL, 0); }

char *oms_order_text(const struct oms_state *state, uint32_t index, size_t *len)
{
    struct oms_jbuf t;
    start(&t);
    put_order_fields(&t, state, index);
    LIT(&t, "}");
    return finish(&t, len);
}

char *oms_encode_order(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    return oms_order_text(state, cmd->result_index, len);
}

char *oms_encode_cancel(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    struct oms_jbuf t;
    start(&t);
    put_order_fields(&t, state, cmd->result_index);
    LIT(&t, ",\"cancelled_now\":");
    oms_jbuf_int(&t, cmd->u.cancel.cancelled);
    if (cmd->u.cancel.cancelled == 0) LIT(&t, ",\"note\":\"nothing was left to cancel\"");
    LIT(&t, "}");
    return finish(&t, len);
}

/* The order and what this shipment (or cancelled shipment) moved, per line and location:
 * where the engine took the units from when the request left the location out. */
char *oms_encode_shipment(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    const struct oms_cmd_ship *c = &cmd->u.ship;
    struct oms_jbuf t;
    start(&t);
    put_order_fields(&t, state, cmd->result_index);
    if (cmd->kind == OMS_CMD_ORDER_UNSHIP) {
        LIT(&t, ",\"unshipped_now\":[");
    } else {
        LIT(&t, ",\"shipped_now\":[");
    }
    for (uint32_t m = 0; m < c->moves_count; m++) {
        if (m) LIT(&t, ",");
        LIT(&t, "{\"line\":");
        oms_jbuf_int(&t, state->lines[c->moves[m].line].line_no);
        LIT(&t, ",\"location\":");
        put_str(&t, state->locations[c->moves[m].location].code);
        LIT(&t, ",\"qty\":");
        oms_jbuf_int(&t, c->moves[m].qty);
        LIT(&t, "}");
    }
    LIT(&t, "]}");
    return finish(&t, len);
}

/* One waiting line of a queue answer: where it stands (position, order, channel and its
 * priority, the order's time: the keys of rule 3's order) and what it waits for. */
static void put_queue_line(struct oms_jbuf *t, const struct oms_state *state, uint32_t position,
                           const struct oms_line *line)
{
    const struct oms_order *order = &state->orders[line->order];
    const struct oms_channel *channel = &state->channels[order->channel];
    struct oms_line_counts counts;
    oms_line_counts_get(line, &counts);
    LIT(t, "{\"position\":");
    oms_jbuf_int(t, position);
    LIT(t, ",\"order\":");
    put_str(t, order->id);
    LIT(t, ",\"line\":");
    oms_jbuf_int(t, line->line_no);
    LIT(t, ",\"channel\":");
    put_str(t, channel->code);
    LIT(t, ",\"channel_priority\":");
    oms_jbuf_int(t, channel->priority);
    LIT(t, ",\"at\":");
    put_instant(t, order->at_ms);
    LIT(t, ",\"qty\":");
    oms_jbuf_int(t, line->qty);
    LIT(t, ",\"status\":");
    put_name(t, oms_line_status_name(oms_line_status_of(&counts)));
    LIT(t, ",\"allocated\":");
    put_allocs(t, state, line);
    LIT(t, ",\"backordered\":");
    put_pegs(t, state, line);
    LIT(t, ",\"promise_date\":");
    put_date(t, line->promise_day);
    LIT(t, ",\"latest_date\":");
    put_date(t, line->latest_day);
    LIT(t, ",\"held\":");
    put_bool(t, line->held);
    LIT(t, "}");
}

char *oms_queue_text(const struct oms_state *state, uint32_t item, uint32_t after,
                     uint32_t limit, size_t *len)
{
    OMS_ASSERT(item < state->items_count);
    OMS_ASSERT(limit > 0);
    const struct oms_item *it = &state->items[item];
    struct oms_jbuf t;
    start(&t);
    LIT(&t, "{\"sku\":");
    put_str(&t, it->sku);
    LIT(&t, ",\"backordered\":");
    oms_jbuf_int(&t, it->backordered);
    LIT(&t, ",\"lines\":[");
    uint32_t position = 0, shown = 0;
    /* Units on backorder are counted per item: none means no line waits (skip the walk). */
    for (uint32_t q = 0; it->backordered > 0 && q < it->queue_count; q++) {
        const struct oms_line *line = &state->lines[it->queue[q]];
        if (oms_line_backordered(line) == 0) continue; /* Allocated, waiting to ship only. */
        position++;
        if (position <= after || shown == limit) continue; /* Counted in waiting all the same. */
        if (shown > 0) LIT(&t, ",");
        put_queue_line(&t, state, position, line);
        shown++;
    }
    LIT(&t, "],\"waiting\":");
    oms_jbuf_int(&t, position);
    LIT(&t, ",\"next\":");
    if (position > after + shown) {
        oms_jbuf_int(&t, (int64_t)after + shown);
    } else {
        LIT(&t, "null");
    }
    LIT(&t, "}");
    return finish(&t, len);
}

/* The order's status, from its lines' counts. */
static enum oms_order_status order_status(const struct oms_state *state, uint32_t index)
{
    const struct oms_order *order = &state->orders[index];
    OMS_ASSERT(order->lines_count > 0 && order->lines_count <= OMS_LINES_PER_ORDER_MAX);
    struct oms_line_counts counts[OMS_LINES_PER_ORDER_MAX];
    for (uint32_t i = 0; i < order->lines_count; i++) {
        oms_line_counts_get(&state->lines[order->first_line + i], &counts[i]);
    }
    return oms_order_status_of(counts, order->lines_count);
}

static bool order_matches(const struct oms_state *state, uint32_t index,
                          const struct oms_order_filter *filter)
{
    const struct oms_order *order = &state->orders[index];
    if (filter->channel != OMS_NONE && order->channel != filter->channel) return false;
    if (filter->sku) {
        bool found = false;
        for (uint32_t i = 0; i < order->lines_count && !found; i++) {
            found = strcmp(state->lines[order->first_line + i].sku, filter->sku) == 0;
        }
        if (!found) return false;
    }
    return !filter->has_status || order_status(state, index) == filter->status;
}

char *oms_orders_text(const struct oms_state *state, const struct oms_order_filter *filter,
                      uint32_t after, uint32_t limit, size_t *len)
{
    OMS_ASSERT(limit > 0);
    struct oms_jbuf t;
    start(&t);
    LIT(&t, "{\"orders\":[");
    uint32_t i = after < state->orders_count ? after : state->orders_count;
    uint32_t shown = 0, scanned = 0;
    for (; i < state->orders_count && shown < limit && scanned < OMS_LIST_SCAN_MAX; i++) {
        scanned++;
        if (!order_matches(state, i, filter)) continue;
        if (shown > 0) LIT(&t, ",");
        put_order_fields(&t, state, i);
        LIT(&t, "}");
        shown++;
    }
    LIT(&t, "],\"next\":");
    if (i < state->orders_count) {
        oms_jbuf_int(&t, i);
    } else {
        LIT(&t, "null");
    }
    LIT(&t, "}");
    return finish(&t, len);
}
