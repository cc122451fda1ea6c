/*
 * route_channel_items.c - a channel's rules for one item: PUT and GET of
 * /v1/channels/{code}/items/{sku} (buffer in units or percent, cap per period, floor;
 * core/channel.h has the formulas). A field sent as null removes it, a field left out keeps its
 * value (rule 9). The answer shows the rule as set, the rule in effect (item over channel),
 * the cap's counter in the current period and the availability it gives now.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "engine/index.h"
#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"

/* The fields a rule may hold (decode.h): "cap_qty" or "cap_period" (the CSV import's columns)
 * are refused here, not ignored: the API's cap is {"qty", "period"}. */
static const struct oms_body_field cap_fields[] = {{"qty", NULL}, {"period", NULL}, {NULL, NULL}};
static const struct oms_body_field rule_fields[] = {
    {"buffer", NULL}, {"buffer_percent", NULL}, {"cap", cap_fields}, {"floor", NULL}, {"at", NULL},
    {NULL, NULL}};

static json_t *qty_if(bool set, oms_qty value) { return set ? json_integer(value) : json_null(); }

static json_t *cap_json(bool set, oms_qty qty, enum oms_cap_period period)
{
    if (!set) return json_null();
    return json_pack("{s:I, s:s}", "qty", (json_int_t)qty, "period", oms_period_name(period));
}

static json_t *counters_json(const struct oms_channel_rule *rule, oms_day today)
{
    if (!rule || !(rule->set & OMS_RULE_CAP)) return json_null();
    oms_day start = oms_period_start(today, rule->cap_period);
    return json_pack("{s:o, s:o, s:I, s:I}", "period_start", oms_json_date(start), "period_end",
                     oms_json_date(oms_period_next(start, rule->cap_period) - 1), "sold",
                     (json_int_t)oms_rule_sold(rule, today), "cap_left",
                     (json_int_t)oms_rule_cap_left(rule, today));
}

static json_t *availability_json(const struct oms_state *state, uint32_t item, uint32_t channel,
                                 const struct oms_channel_limits *limits)
{
    oms_qty free[OMS_LOCATIONS_MAX];
    for (uint32_t l = 0; l < state->locations_count; l++) {
        free[l] = oms_stock_free(&state->items[item].levels[l]);
    }
    struct oms_channel_breakdown parts;
    oms_channel_breakdown_of(free, state->locations_count, limits, &parts);
    struct oms_channel_status statuses[OMS_CHANNELS_MAX];
    oms_index_statuses(state, item, statuses);
    return json_pack("{s:I, s:I, s:I, s:I, s:s}", "stock", (json_int_t)parts.sum, "buffer",
                     (json_int_t)parts.buffer, "held_for_other_channels", (json_int_t)parts.held,
                     "available", (json_int_t)statuses[channel].available, "status",
                     oms_avail_status_name(statuses[channel].status));
}

/* The rule view of one item on one channel (the ChannelItemRule schema). */
static json_t *rule_json(const struct oms_state *state, uint32_t item, uint32_t channel)
{
    const struct oms_item *it = &state->items[item];
    const struct oms_channel *ch = &state->channels[channel];
    const struct oms_channel_rule *rule = oms_rule_find(it->rules, it->rules_count, channel);
    uint32_t set = rule ? rule->set : 0;
    struct oms_floor floors[OMS_CHANNELS_MAX];
    struct oms_channel_limits limits;
    oms_state_channel_limits(state, item, channel, floors, &limits);
    bool item_buffer = (set & (OMS_RULE_BUFFER | OMS_RULE_BUFFER_PERCENT)) != 0;
    oms_day today = oms_state_channel_today(state, channel);
    json_t *rules = json_pack(
        "{s:o, s:o, s:o, s:o}", "buffer", qty_if(set & OMS_RULE_BUFFER, rule ? rule->buffer : 0),
        "buffer_percent", qty_if(set & OMS_RULE_BUFFER_PERCENT, rule ? rule->buffer_percent : 0),
        "cap", cap_json(set & OMS_RULE_CAP, rule ? rule->cap_qty : 0, rule ? rule->cap_period : 0),
        "floor", qty_if(set & OMS_RULE_FLOOR, rule ? rule->floor : 0));
    json_t *effective = json_pack(
        "{s:I, s:i, s:s, s:o, s:I, s:b}", "buffer", (json_int_t)limits.buffer, "buffer_percent",
        limits.buffer_percent, "buffer_from", item_buffer ? "item" : "channel", "cap",
        cap_json(set & OMS_RULE_CAP, rule ? rule->cap_qty : 0, rule ? rule->cap_period : 0),
        "floor", (json_int_t)((set & OMS_RULE_FLOOR) ? rule->floor : 0), "exclude_stores",
        ch->exclude_stores);
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "channel", oms_json_text(ch->code), "sku",
                     oms_json_text(it->sku), "rules", rules, "effective", effective, "counters",
                     counters_json(rule, today), "availability",
                     availability_json(state, item, channel, &limits));
}

static char *not_found(struct oms_command *cmd, const char *what, const char *key, size_t *len)
{
    snprintf(cmd->err_message, sizeof cmd->err_message, "no %s '%s'", what, key);
    cmd->err = OMS_ENOTFOUND;
    *len = 0;
    return NULL;
}

static char *encode_rule(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    const struct oms_cmd_channel_item *c = &cmd->u.channel_item;
    uint32_t channel = oms_state_channel(state, c->channel);
    if (channel == OMS_NONE) return not_found(cmd, "channel", c->channel, len);
    uint32_t item = oms_state_item(state, c->sku);
    if (item == OMS_NONE) return not_found(cmd, "item", c->sku, len);
    return oms_json_answer(rule_json(state, item, channel), len);
}

/* GET /v1/channels/{code}/items: the items with a rule of the channel, in item order (the
 * order they were created), a page at a time; `next` is the cursor of the next page. */
#define RULES_LIMIT_DEFAULT 100
#define RULES_LIMIT_MAX 500

struct rules_page {
    int64_t after, limit;
};

static char *encode_rules(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    const struct oms_call *call = cmd->user;
    const struct rules_page *page = call->spec;
    uint32_t channel = oms_state_channel(state, cmd->u.channel_item.channel);
    if (channel == OMS_NONE) return not_found(cmd, "channel", cmd->u.channel_item.channel, len);
    json_t *items = json_array();
    json_t *next = json_null();
    int64_t found = 0;
    for (uint32_t i = (uint32_t)(page->after < state->items_count ? page->after
                                                                   : state->items_count);
         i < state->items_count; i++) {
        const struct oms_item *it = &state->items[i];
        if (!oms_rule_find(it->rules, it->rules_count, channel)) continue;
        if (found == page->limit) {
            next = json_integer(i);
            break;
        }
        json_array_append_new(items, rule_json(state, i, channel));
        found++;
    }
    return oms_json_answer(json_pack("{s:o, s:o, s:o}", "channel",
                                     oms_json_text(state->channels[channel].code), "items",
                                     items, "next", next),
                           len);
}

static bool query_int(struct oms_http_request *req, struct oms_decoder *d, const char *key,
                      int64_t min, int64_t max, int64_t *out)
{
    const char *text = oms_http_query_first(req, key);
    if (!text) return false;
    char *end;
    long long value = strtoll(text, &end, 10);
    if (!(text[0] >= '0' && text[0] <= '9') || *end || value < min || value > max) {
        oms_decoder_fail(d, 422, "invalid_field", key,
                         "%s must be a whole number from %lld to %lld", key, (long long)min,
                         (long long)max);
        return false;
    }
    *out = value;
    return true;
}

void oms_route_get_channel_items(struct oms_http_request *req)
{
    const char *code = oms_path_id(req, "code", OMS_CODE_BYTES_MAX);
    if (!code) return;
    struct oms_decoder d;
    oms_decoder_init(&d);
    struct rules_page page = {0, RULES_LIMIT_DEFAULT};
    query_int(req, &d, "after", 0, UINT32_MAX, &page.after);
    query_int(req, &d, "limit", 1, RULES_LIMIT_MAX, &page.limit);
    if (d.failed) {
        oms_reply_decoder(req, &d);
        return;
    }
    struct oms_call *call = oms_call_new(req, OMS_CMD_READ, NULL);
    if (!call) return;
    struct rules_page *owned = oms_call_own(call, malloc(sizeof *owned));
    *owned = page;
    call->spec = owned;
    call->cmd.u.channel_item.channel = oms_call_strdup(call, code);
    oms_call_submit(req, call, encode_rules, "");
}

static void decode_cap(struct oms_decoder *d, json_t *body, struct oms_cmd_channel_item *c)
{
    json_t *cap = json_object_get(body, "cap");
    if (!cap || d->failed) return;
    if (json_is_null(cap)) {
        c->cleared |= OMS_RULE_CAP;
        return;
    }
    if (!json_is_object(cap)) {
        oms_decoder_fail(d, 422, "invalid_field", "cap",
                         "cap must be {\"qty\": units, \"period\": \"day\"|\"week\"|\"month\"} "
                         "or null");
        return;
    }
    int64_t qty;
    const char *period;
    if (!oms_get_int(d, cap, "cap", "qty", true, 0, OMS_QTY_MAX, &qty)) return;
    if (!oms_get_text(d, cap, "cap", "period", true, 16, &period)) return;
    if (!oms_period_parse(period, &c->cap_period)) {
        oms_decoder_fail(d, 422, "invalid_field", "cap.period",
                         "cap.period must be day, week or month");
        return;
    }
    c->cap_qty = qty;
    c->fields |= OMS_RULE_CAP;
}

/* A field that is null (removed), absent (kept) or a whole number in [0, max]. */
static void decode_qty(struct oms_decoder *d, json_t *body, const char *key, uint32_t bit,
                       int64_t max, struct oms_cmd_channel_item *c, int64_t *out)
{
    if (oms_is_null(body, key)) {
        c->cleared |= bit;
    } else if (oms_get_int(d, body, "", key, false, 0, max, out)) {
        c->fields |= bit;
    }
}

void oms_route_put_channel_item(struct oms_http_request *req)
{
    const char *code = oms_path_id(req, "code", OMS_CODE_BYTES_MAX);
    if (!code) return;
    const char *sku = oms_path_id(req, "sku", OMS_SKU_BYTES_MAX);
    if (!sku) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_PUT_CHANNEL_ITEM, rule_fields);
    if (!call) return;
    struct oms_cmd_channel_item *c = &call->cmd.u.channel_item;
    c->channel = oms_call_strdup(call, code);
    c->sku = oms_call_strdup(call, sku);
    json_t *b = call->body;
    struct oms_decoder d;
    oms_decoder_init(&d);
    int64_t percent = 0;
    decode_qty(&d, b, "buffer", OMS_RULE_BUFFER, OMS_QTY_MAX, c, &c->buffer);
    decode_qty(&d, b, "buffer_percent", OMS_RULE_BUFFER_PERCENT, OMS_PERCENT_MAX, c, &percent);
    c->buffer_percent = (int32_t)percent;
    decode_cap(&d, b, c);
    decode_qty(&d, b, "floor", OMS_RULE_FLOOR, OMS_QTY_MAX, c, &c->floor);
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    char resource[OMS_CODE_BYTES_MAX + OMS_SKU_BYTES_MAX + 32];
    snprintf(resource, sizeof resource, "channels/%s/items/%s", code, sku);
    oms_call_submit(req, call, encode_rule, resource);
}

void oms_route_get_channel_item(struct oms_http_request *req)
{
    const char *code = oms_path_id(req, "code", OMS_CODE_BYTES_MAX);
    if (!code) return;
    const char *sku = oms_path_id(req, "sku", OMS_SKU_BYTES_MAX);
    if (!sku) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_READ, NULL);
    if (!call) return;
    call->cmd.u.channel_item.channel = oms_call_strdup(call, code);
    call->cmd.u.channel_item.sku = oms_call_strdup(call, sku);
    oms_call_submit(req, call, encode_rule, "");
}
