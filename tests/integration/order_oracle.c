/*
 * order_oracle.c - the order answer as the engine encoded it before encode_order.c: a jansson
 * tree (json_pack, keys in insertion order) dumped by oms_json_dump, i.e. json_dumps' bytes.
 * Kept only as the tests' oracle: the direct encoder must write exactly these bytes, since
 * answers stored before it are returned byte for byte on retries.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "core/line.h"
#include "http/dump.h"
#include "http/encode.h"
#include "order_oracle.h"

static json_t *oracle_json_line(const struct oms_state *state, uint32_t index)
{
    const struct oms_line *line = &state->lines[index];
    struct oms_line_counts counts;
    oms_line_counts_get(line, &counts);
    json_t *allocated = json_array();
    for (uint32_t i = 0; i < line->allocs_count; i++) {
        const char *why = oms_source_reason_name(line->allocs[i].reason);
        json_array_append_new(allocated,
                              json_pack("{s:s, s:I, s:o, s:o}", "location",
                                        state->locations[line->allocs[i].location].code, "qty",
                                        (json_int_t)line->allocs[i].qty, "ship_date",
                                        oms_json_date(line->allocs[i].ship_day), "source_reason",
                                        why ? json_string(why) : json_null()));
    }
    json_t *backordered = json_array();
    for (uint32_t i = 0; i < line->pegs_count; i++) {
        const struct oms_line_peg *peg = &line->pegs[i];
        json_t *supply = peg->supply == OMS_NONE ? json_null()
                                                 : json_string(state->supplies[peg->supply].id);
        json_array_append_new(backordered,
                              json_pack("{s:I, s:o, s:s, s:o}", "qty", (json_int_t)peg->qty,
                                        "supply", supply, "source",
                                        peg->supply != OMS_NONE        ? "supply"
                                        : peg->release                ? "release"
                                        : peg->promise_day == OMS_DAY_NONE ? "unsourced"
                                                                      : "lead_time",
                                        "promise_date", oms_json_date(peg->promise_day)));
    }
    const char *reason = oms_reject_reason_name(line->reason);
    json_t *json = json_pack(
        "{s:i, s:s, s:I, s:s, s:o, s:o, s:I, s:I, s:{s:I, s:o}, s:o}", "line", (int)line->line_no,
        "sku", line->sku, "qty", (json_int_t)line->qty, "status",
        oms_line_status_name(oms_line_status_of(&counts)), "allocated", allocated, "backordered",
        backordered, "shipped", (json_int_t)line->shipped, "cancelled",
        (json_int_t)line->cancelled, "rejected", "qty", (json_int_t)line->rejected, "reason",
        reason ? json_string(reason) : json_null(), "promise_date",
        oms_json_date(line->promise_day));
    json_object_set_new(json, "first_promise_date", oms_json_date(line->first_promise_day));
    json_object_set_new(json, "latest_date", oms_json_date(line->latest_day));
    json_object_set_new(json, "held", json_boolean(line->held));
    json_object_set_new(json, "returned", json_integer(line->returned));
    return json;
}

/* What the order did with the hold it named: applied (its units went to the order first) or
 * why not (the hold had ended, or belongs to another channel). */
static json_t *oracle_hold(const struct oms_state *state, const struct oms_order *order)
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
    return json_pack("{s:s, s:b, s:I, s:o}", "id", order->hold_id, "applied",
                     order->hold_use == OMS_HOLD_USE_APPLIED, "units", (json_int_t)units,
                     "reason", reason ? json_string(reason) : json_null());
}

json_t *oracle_json_order(const struct oms_state *state, uint32_t index)
{
    const struct oms_order *order = &state->orders[index];
    json_t *lines = json_array();
    struct oms_line_counts counts[OMS_LINES_PER_ORDER_MAX];
    for (uint32_t i = 0; i < order->lines_count; i++) {
        json_array_append_new(lines, oracle_json_line(state, order->first_line + i));
        oms_line_counts_get(&state->lines[order->first_line + i], &counts[i]);
    }
    json_t *customer = order->customer_ref || order->contact
                           ? json_pack("{s:o, s:o}", "ref",
                                       order->customer_ref ? json_string(order->customer_ref)
                                                           : json_null(),
                                       "contact",
                                       order->contact ? json_string(order->contact) : json_null())
                           : json_null();
    json_t *json = json_pack(
        "{s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o}", "id", order->id, "channel",
        state->channels[order->channel].code, "region",
        order->region[0] ? json_string(order->region) : json_null(), "customer", customer,
        "status", oms_order_status_name(oms_order_status_of(counts, order->lines_count)), "at",
        oms_json_instant(order->at_ms), "created_at", oms_json_instant(order->created_ms),
        "lines", lines);
    if (order->hold_id) json_object_set_new(json, "hold", oracle_hold(state, order));
    json_object_set_new(json, "collect",
                        order->collect == OMS_NONE
                            ? json_null()
                            : json_string(state->locations[order->collect].code));
    return json;
}

char *oracle_order_text(const struct oms_state *state, uint32_t index, oms_qty cancelled_now,
                        size_t *len)
{
    json_t *order = oracle_json_order(state, index);
    OMS_ASSERT(order != NULL);
    if (cancelled_now >= 0) {
        json_object_set_new(order, "cancelled_now", json_integer(cancelled_now));
        if (cancelled_now == 0) {
            json_object_set_new(order, "note", json_string("nothing was left to cancel"));
        }
    }
    char *text = oms_json_dump(order, false, len);
    json_decref(order);
    OMS_ASSERT(text != NULL);
    return text;
}

static bool same_text(struct oracle_check *c, const char *what, uint32_t index, const char *got,
                      size_t got_len, const char *want, size_t want_len)
{
    if (got_len == want_len && memcmp(got, want, got_len) == 0) return true;
    snprintf(c->why, sizeof c->why, "order %u %s: direct %.*s\n oracle %.*s", index, what,
             (int)got_len, got, (int)want_len, want);
    return false;
}

void oracle_compare_orders(const struct oms_state *state, void *ctx)
{
    struct oracle_check *c = ctx;
    for (uint32_t i = 0; i < state->orders_count && !c->why[0]; i++) {
        size_t got_len = 0, want_len = 0;
        char *got = oms_order_text(state, i, &got_len);
        char *want = oracle_order_text(state, i, -1, &want_len);
        bool same = same_text(c, "answer", i, got, got_len, want, want_len);
        free(got);
        free(want);
        if (!same) return;
        /* A cancellation's answer: the order, what was cancelled now, a note when nothing. */
        struct oms_command cmd = {.kind = OMS_CMD_ORDER_CANCEL, .result_index = i};
        cmd.u.cancel.cancelled = (oms_qty)(i % 3);
        got = oms_encode_cancel(&cmd, state, &got_len);
        want = oracle_order_text(state, i, cmd.u.cancel.cancelled, &want_len);
        same_text(c, "cancel answer", i, got, got_len, want, want_len);
        free(got);
        free(want);
        c->orders++;
    }
}
