/*
 * encode.c - the API's JSON for items, locations, channels, stock, supply and orders.
 */
#include "base/platform.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "core/calendar.h"
#include "engine/clock.h"
#include "http/dump.h"
#include "http/encode.h"

static const char *const kind_names[] = {"warehouse", "store", "dc"};
static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* The answer that stands in for one that cannot be built (memory ran out): the change, if any,
 * was made, so the status stays; the body says why it is not the usual one. */
static const char unencodable_json[] =
    "{\"error\":{\"code\":\"internal_error\",\"message\":\"the answer could not be built "
    "(out of memory); the request was carried out\",\"field\":null}}";

json_t *oms_json_date(oms_day day)
{
    if (day == OMS_DAY_NONE) return json_null();
    char text[11];
    oms_day_format(day, text);
    return json_string(text);
}

json_t *oms_json_instant(int64_t ms)
{
    char text[OMS_RFC3339_LEN];
    oms_rfc3339_format(ms, text);
    return json_string(text);
}

static json_t *qty_or_null(oms_qty value) { return value < 0 ? json_null() : json_integer(value); }

json_t *oms_json_item(const struct oms_state *state, uint32_t index)
{
    (void)state;
    const struct oms_item *item = &state->items[index];
    return json_pack("{s:o, s:o, s:I, s:o, s:s, s:o, s:o, s:o, s:I, s:o, s:b}", "sku",
                     oms_json_text(item->sku), "name", oms_json_text(item->name), "price",
                     (json_int_t)item->price_minor, "currency", oms_json_text(item->currency),
                     "policy", oms_policy_name(item->policy), "backorder_limit",
                     qty_or_null(item->backorder_limit), "lead_time_days",
                     qty_or_null(item->lead_time_days), "low_stock_threshold",
                     qty_or_null(item->low_stock_threshold), "min_order_qty",
                     (json_int_t)item->min_order_qty, "release_date",
                     oms_json_date(item->release_day), "allow_split", item->allow_split);
}

json_t *oms_json_item_channels(struct oms_engine *engine, const struct oms_state *state,
                               uint32_t index, uint32_t only_channel)
{
    const struct oms_item *it = &state->items[index];
    json_t *item = oms_json_item(state, index);
    json_t *channels = json_array();
    for (uint32_t c = 0; c < state->channels_count; c++) {
        if (only_channel != OMS_NONE && c != only_channel) continue;
        struct oms_availability a;
        if (oms_engine_availability(engine, state->channels[c].code, it->sku, 1, NULL, &a) !=
            OMS_OK) {
            continue;
        }
        json_array_append_new(channels,
                              json_pack("{s:o, s:s, s:I, s:o}", "channel",
                                        oms_json_text(state->channels[c].code), "status",
                                        oms_avail_status_name(a.status), "available",
                                        (json_int_t)a.available, "promise_date",
                                        oms_json_date(a.promise_day)));
    }
    json_object_set_new(item, "channels", channels);
    return item;
}

json_t *oms_json_location(const struct oms_state *state, uint32_t index)
{
    const struct oms_location *l = &state->locations[index];
    json_t *days = json_array();
    for (int i = 0; i < 7; i++) {
        if ((l->working_mask >> i) & 1u) json_array_append_new(days, json_string(day_names[i]));
    }
    /* No region is stored as "" and shown as null: an answer holds no value that a request
     * would be refused for (decisions.md 53). */
    return json_pack("{s:o, s:o, s:s, s:o, s:i, s:o, s:i, s:o}", "code", oms_json_text(l->code),
                     "name", oms_json_text(l->name), "kind", kind_names[l->kind], "region",
                     l->region[0] ? oms_json_text(l->region) : json_null(), "priority",
                     l->priority, "timezone", oms_json_text(l->timezone), "handling_days",
                     l->handling_days, "working_days", days);
}

json_t *oms_json_channel(const struct oms_state *state, uint32_t index)
{
    const struct oms_channel *c = &state->channels[index];
    json_t *locations = json_array();
    for (uint32_t i = 0; i < c->location_codes_count; i++) {
        json_array_append_new(locations, oms_json_text(c->location_codes[i]));
    }
    return json_pack("{s:o, s:o, s:o, s:I, s:i, s:b, s:b, s:i, s:s}", "code",
                     oms_json_text(c->code), "name", oms_json_text(c->name), "locations",
                     locations, "buffer", (json_int_t)c->buffer,
                     "buffer_percent", c->buffer_percent, "exclude_stores", c->exclude_stores,
                     "allow_backorder", c->allow_backorder, "priority", c->priority,
                     "delay_policy", c->cancel_on_delay ? "cancel" : "hold");
}

json_t *oms_json_supply(const struct oms_state *state, uint32_t index)
{
    const struct oms_supply *s = &state->supplies[index];
    return json_pack("{s:o, s:s, s:o, s:o, s:o, s:I, s:I, s:o, s:s, s:I}", "id",
                     oms_json_text(s->id), "kind", s->transfer ? "transfer" : "purchase_order",
                     "sku", oms_json_text(state->items[s->item].sku), "location",
                     oms_json_text(state->locations[s->location].code), "from",
                     oms_json_text(s->transfer ? state->locations[s->from_location].code : NULL),
                     "qty", (json_int_t)s->qty, "received", (json_int_t)s->received,
                     "expected_date", oms_json_date(s->expected_day), "status",
                     oms_supply_status_name(s->status), "pegged", (json_int_t)s->pegged);
}

json_t *oms_json_stock(const struct oms_state *state, uint32_t index)
{
    const struct oms_item *item = &state->items[index];
    json_t *locations = json_array();
    for (uint32_t l = 0; l < state->locations_count; l++) {
        const struct oms_stock_level *v = &item->levels[l];
        json_array_append_new(
            locations,
            json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "location",
                      oms_json_text(state->locations[l].code), "on_hand",
                      (json_int_t)v->on_hand, "allocated", (json_int_t)v->allocated, "reserved",
                      (json_int_t)v->reserved, "safety", (json_int_t)v->safety, "unavailable",
                      (json_int_t)v->unavailable, "free", (json_int_t)oms_stock_free(v),
                      "available", (json_int_t)oms_stock_available(v), "short",
                      (json_int_t)oms_stock_short(v)));
    }
    json_t *supply = json_array();
    for (uint32_t i = 0; i < state->supplies_count; i++) {
        if (state->supplies[i].item == index) json_array_append_new(supply, oms_json_supply(state, i));
    }
    oms_qty backordered = item->backordered;
    return json_pack("{s:o, s:o, s:o, s:I}", "sku", oms_json_text(item->sku), "locations",
                     locations, "supply", supply, "backordered", (json_int_t)backordered);
}

char *oms_json_answer(json_t *json, size_t *len)
{
    char *text = oms_json_dump(json, false, len); /* NULL for a NULL json. */
    json_decref(json);
    if (text) return text;
    oms_log(OMS_LOG_ERROR, "cannot build an answer (out of memory?): sent a note instead");
    text = strdup(unencodable_json);
    OMS_ASSERT(text != NULL); /* Memory ran out twice: nothing left to answer with. */
    *len = sizeof unencodable_json - 1;
    return text;
}

char *oms_encode_item(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    return oms_json_answer(oms_json_item(state, cmd->result_index), len);
}

char *oms_encode_location(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    return oms_json_answer(oms_json_location(state, cmd->result_index), len);
}

char *oms_encode_channel(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    return oms_json_answer(oms_json_channel(state, cmd->result_index), len);
}

char *oms_encode_stock(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    return oms_json_answer(oms_json_stock(state, cmd->result_index), len);
}

/* What a change did to promises: every line whose promise moved (or would, in a dry run). */
static void add_changes(json_t *answer, const struct oms_command *cmd,
                        const struct oms_state *state)
{
    json_t *changes = json_array();
    for (uint32_t i = 0; i < cmd->changes_count; i++) {
        const struct oms_promise_change *c = &cmd->changes[i];
        const struct oms_line *line = &state->lines[c->line];
        json_array_append_new(changes,
                              json_pack("{s:o, s:i, s:o, s:o, s:o, s:I}", "order",
                                        oms_json_text(state->orders[line->order].id), "line",
                                        (int)line->line_no, "sku", oms_json_text(line->sku),
                                        "old_date",
                                        oms_json_date(c->old_day), "new_date",
                                        oms_json_date(c->new_day), "allocated",
                                        (json_int_t)c->allocated));
    }
    json_object_set_new(answer, "promise_changes", changes);
    json_object_set_new(answer, "dry_run", json_boolean(cmd->dry_run));
}

char *oms_encode_adjustment(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    json_t *answer = oms_json_stock(state, cmd->result_index);
    if (cmd->u.adjust.superseded) {
        json_object_set_new(answer, "superseded", json_true());
        json_object_set_new(answer, "note",
                            json_string("a newer count was applied already; on_hand is kept"));
    }
    return oms_json_answer(answer, len);
}

char *oms_encode_supply(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    if (cmd->dry_run && cmd->kind == OMS_CMD_SUPPLY_CREATE) {
        /* The supply line was not kept: say what it would have done. */
        json_t *answer = json_object();
        add_changes(answer, cmd, state);
        return oms_json_answer(answer, len);
    }
    json_t *answer = oms_json_supply(state, cmd->result_index);
    add_changes(answer, cmd, state);
    return oms_json_answer(answer, len);
}

char *oms_encode_repeg(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    json_t *answer = json_pack("{s:o}", "sku", oms_json_text(state->items[cmd->result_index].sku));
    add_changes(answer, cmd, state);
    return oms_json_answer(answer, len);
}

char *oms_encode_receipt(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    const struct oms_cmd_receive *r = &cmd->u.receive;
    json_t *to = json_array();
    for (uint32_t i = 0; i < r->fills_count; i++) {
        const struct oms_line *line = &state->lines[r->fills[i].line];
        json_array_append_new(to, json_pack("{s:o, s:i, s:I}", "order",
                                            oms_json_text(state->orders[line->order].id), "line",
                                            (int)line->line_no, "qty",
                                            (json_int_t)r->fills[i].qty));
    }
    json_t *answer =
        json_pack("{s:I, s:o, s:I, s:I, s:o}", "received", (json_int_t)r->qty, "allocated_to", to,
                  "to_stock", (json_int_t)r->to_stock, "over_received",
                  (json_int_t)r->over_received, "supply",
                  oms_json_supply(state, cmd->result_index));
    add_changes(answer, cmd, state);
    return oms_json_answer(answer, len);
}

char *oms_encode_clock(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    (void)cmd;
    return oms_json_answer(json_pack("{s:o}", "clock", oms_json_instant(state->clock_ms)), len);
}

void oms__add_promise_changes(json_t *answer, const struct oms_command *cmd,
                              const struct oms_state *state)
{
    add_changes(answer, cmd, state);
}
