/*
 * route_master.c - PUT and GET of items, locations and channels (API.md "Master data").
 * A PUT decodes only the fields present: a field left out keeps its value (rule 9).
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"

#define NAME_BYTES_MAX 256
#define PRIORITY_MAX 1000000

/* The fields each PUT may hold (decode.h): any other is refused before a field is read. */
static const struct oms_body_field item_fields[] = {
    {"name", NULL}, {"price", NULL}, {"currency", NULL}, {"policy", NULL},
    {"backorder_limit", NULL}, {"lead_time_days", NULL}, {"low_stock_threshold", NULL},
    {"min_order_qty", NULL}, {"release_date", NULL}, {"allow_split", NULL}, {"at", NULL},
    {NULL, NULL}};
static const struct oms_body_field location_fields[] = {
    {"name", NULL}, {"kind", NULL}, {"region", NULL}, {"priority", NULL}, {"timezone", NULL},
    {"handling_days", NULL}, {"working_days", NULL}, {"at", NULL}, {NULL, NULL}};
static const struct oms_body_field channel_fields[] = {
    {"name", NULL}, {"locations", NULL}, {"buffer", NULL}, {"buffer_percent", NULL},
    {"exclude_stores", NULL}, {"allow_backorder", NULL}, {"priority", NULL}, {"delay_policy", NULL},
    {"at", NULL}, {NULL, NULL}};

static bool path_id(struct oms_http_request *req, const char *name, size_t max, const char **out)
{
    *out = oms_path_id(req, name, max);
    return *out != NULL;
}

static void submit(struct oms_http_request *req, struct oms_call *call, oms_encode_fn encode,
                   const char *kind, const char *key)
{
    char resource[OMS_ID_BYTES_MAX + 32];
    snprintf(resource, sizeof resource, "%s/%s", kind, key);
    oms_call_submit(req, call, encode, resource);
}

void oms_route_put_item(struct oms_http_request *req)
{
    const char *sku;
    if (!path_id(req, "sku", OMS_SKU_BYTES_MAX, &sku)) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_PUT_ITEM, item_fields);
    if (!call) return;
    struct oms_cmd_item *c = &call->cmd.u.item;
    c->sku = oms_call_strdup(call, sku);
    json_t *b = call->body;
    struct oms_decoder d;
    oms_decoder_init(&d);
    int64_t v;
    const char *text;
    if (oms_get_text(&d, b, "", "name", false, NAME_BYTES_MAX, &c->name)) c->fields |= OMS_F_NAME;
    if (oms_get_int(&d, b, "", "price", false, 0, INT64_MAX / 4, &c->price_minor)) {
        c->fields |= OMS_F_PRICE;
    }
    if (oms_get_text(&d, b, "", "currency", false, 3, &c->currency)) {
        if (strlen(c->currency) != 3 || strspn(c->currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3) {
            oms_decoder_fail(&d, 422, "invalid_field", "currency",
                             "currency must be a three-letter ISO 4217 code in capitals (GBP)");
        }
        c->fields |= OMS_F_CURRENCY;
    }
    if (oms_get_text(&d, b, "", "policy", false, 16, &text)) {
        if (!oms_policy_parse(text, &c->policy)) {
            oms_decoder_fail(&d, 422, "invalid_field", "policy",
                             "policy must be deny, backorder or preorder");
        }
        c->fields |= OMS_F_POLICY;
    }
    if (oms_is_null(b, "backorder_limit")) {
        c->backorder_limit = -1;
        c->fields |= OMS_F_BACKORDER_LIMIT;
    } else if (oms_get_int(&d, b, "", "backorder_limit", false, 0, OMS_QTY_MAX, &v)) {
        c->backorder_limit = v;
        c->fields |= OMS_F_BACKORDER_LIMIT;
    }
    if (oms_is_null(b, "lead_time_days")) {
        c->lead_time_days = -1;
        c->fields |= OMS_F_LEAD_TIME;
    } else if (oms_get_int(&d, b, "", "lead_time_days", false, 0, OMS_LEAD_TIME_DAYS_MAX, &v)) {
        c->lead_time_days = (int32_t)v;
        c->fields |= OMS_F_LEAD_TIME;
    }
    if (oms_is_null(b, "low_stock_threshold")) {
        c->low_stock_threshold = -1;
        c->fields |= OMS_F_LOW_STOCK;
    } else if (oms_get_int(&d, b, "", "low_stock_threshold", false, 0, OMS_QTY_MAX, &v)) {
        c->low_stock_threshold = v;
        c->fields |= OMS_F_LOW_STOCK;
    }
    if (oms_get_int(&d, b, "", "min_order_qty", false, 1, OMS_QTY_MAX, &v)) {
        c->min_order_qty = v;
        c->fields |= OMS_F_MIN_ORDER_QTY;
    }
    if (oms_is_null(b, "release_date")) {
        c->release_day = OMS_DAY_NONE;
        c->fields |= OMS_F_RELEASE_DATE;
    } else if (oms_get_date(&d, b, "", "release_date", false, &c->release_day)) {
        c->fields |= OMS_F_RELEASE_DATE;
    }
    if (oms_get_bool(&d, b, "", "allow_split", false, &c->allow_split)) {
        c->fields |= OMS_F_ALLOW_SPLIT;
    }
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    submit(req, call, oms_encode_item, "items", sku);
}

static bool parse_working_days(struct oms_decoder *d, json_t *b, uint32_t *mask)
{
    static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    json_t *days;
    if (!oms_get_array(d, b, "", "working_days", false, 7, &days)) return false;
    *mask = 0;
    size_t i;
    json_t *day;
    json_array_foreach(days, i, day) {
        char field[48];
        snprintf(field, sizeof field, "working_days[%zu]", i);
        uint32_t bit = 0;
        for (uint32_t k = 0; k < 7; k++) {
            if (json_is_string(day) && strcmp(json_string_value(day), names[k]) == 0) {
                bit = 1u << k;
            }
        }
        if (!bit || (*mask & bit)) {
            oms_decoder_fail(d, 422, "invalid_field", field,
                             bit ? "%s repeats a day" : "%s must be one of mon .. sun", field);
            return false;
        }
        *mask |= bit;
    }
    if (*mask == 0) {
        oms_decoder_fail(d, 422, "invalid_field", "working_days",
                         "working_days needs at least one day");
        return false;
    }
    return true;
}

void oms_route_put_location(struct oms_http_request *req)
{
    const char *code;
    if (!path_id(req, "code", OMS_CODE_BYTES_MAX, &code)) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_PUT_LOCATION, location_fields);
    if (!call) return;
    struct oms_cmd_location *c = &call->cmd.u.location;
    c->code = oms_call_strdup(call, code);
    json_t *b = call->body;
    struct oms_decoder d;
    oms_decoder_init(&d);
    int64_t v;
    const char *text;
    if (oms_get_text(&d, b, "", "name", false, NAME_BYTES_MAX, &c->name)) c->fields |= OMS_F_NAME;
    if (oms_get_text(&d, b, "", "kind", false, 16, &text)) {
        static const char *const kinds[] = {"warehouse", "store", "dc"};
        bool known = false;
        for (int k = 0; k < 3; k++) {
            if (strcmp(text, kinds[k]) == 0) {
                c->kind = (enum oms_location_kind)k;
                known = true;
            }
        }
        if (!known) {
            oms_decoder_fail(&d, 422, "invalid_field", "kind",
                             "kind must be warehouse, store or dc");
        }
        c->fields |= OMS_F_KIND;
    }
    if (oms_is_null(b, "region")) {
        c->region = ""; /* No region, as a new location has (decisions.md 9 and 53). */
        c->fields |= OMS_F_REGION;
    } else if (oms_get_id(&d, b, "", "region", false, OMS_CODE_BYTES_MAX, &c->region)) {
        c->fields |= OMS_F_REGION;
    }
    if (oms_get_int(&d, b, "", "priority", false, 1, PRIORITY_MAX, &v)) {
        c->priority = (int32_t)v;
        c->fields |= OMS_F_PRIORITY;
    }
    if (oms_get_text(&d, b, "", "timezone", false, 64, &c->timezone)) c->fields |= OMS_F_TIMEZONE;
    if (oms_get_int(&d, b, "", "handling_days", false, 0, OMS_HANDLING_DAYS_MAX, &v)) {
        c->handling_days = (int32_t)v;
        c->fields |= OMS_F_HANDLING;
    }
    if (parse_working_days(&d, b, &c->working_mask)) c->fields |= OMS_F_WORKING_DAYS;
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    submit(req, call, oms_encode_location, "locations", code);
}

void oms_route_put_channel(struct oms_http_request *req)
{
    const char *code;
    if (!path_id(req, "code", OMS_CODE_BYTES_MAX, &code)) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_PUT_CHANNEL, channel_fields);
    if (!call) return;
    struct oms_cmd_channel *c = &call->cmd.u.channel;
    c->code = oms_call_strdup(call, code);
    json_t *b = call->body;
    struct oms_decoder d;
    oms_decoder_init(&d);
    int64_t v;
    json_t *locations;
    if (oms_get_text(&d, b, "", "name", false, NAME_BYTES_MAX, &c->name)) c->fields |= OMS_F_NAME;
    if (oms_get_array(&d, b, "", "locations", false, OMS_LOCATIONS_MAX, &locations)) {
        size_t count = json_array_size(locations);
        const char **codes = oms_call_own(call, calloc(count + 1, sizeof *codes));
        for (size_t i = 0; i < count && !d.failed; i++) {
            char path[48];
            snprintf(path, sizeof path, "locations[%zu]", i);
            json_t *item = json_array_get(locations, i);
            if (!json_is_string(item)) {
                oms_decoder_fail(&d, 422, "invalid_field", path, "%s must be a location code",
                                 path);
                break;
            }
            codes[i] = json_string_value(item);
            if (!oms_check_id(&d, path, codes[i], OMS_CODE_BYTES_MAX)) break;
            for (size_t k = 0; k < i; k++) {
                if (strcmp(codes[k], codes[i]) == 0) {
                    oms_decoder_fail(&d, 422, "invalid_field", path, "%s repeats '%s'", path,
                                     codes[i]);
                }
            }
        }
        c->locations = codes;
        c->locations_count = (uint32_t)count;
        c->fields |= OMS_F_LOCATIONS;
    }
    if (oms_get_int(&d, b, "", "buffer", false, 0, OMS_QTY_MAX, &v)) {
        c->buffer = v;
        c->fields |= OMS_F_BUFFER;
    }
    if (oms_get_int(&d, b, "", "buffer_percent", false, 0, OMS_PERCENT_MAX, &v)) {
        c->buffer_percent = (int32_t)v;
        c->fields |= OMS_F_BUFFER_PERCENT;
    }
    if (oms_get_bool(&d, b, "", "exclude_stores", false, &c->exclude_stores)) {
        c->fields |= OMS_F_EXCLUDE_STORES;
    }
    if (oms_get_bool(&d, b, "", "allow_backorder", false, &c->allow_backorder)) {
        c->fields |= OMS_F_ALLOW_BACKORDER;
    }
    if (oms_get_int(&d, b, "", "priority", false, 1, PRIORITY_MAX, &v)) {
        c->priority = (int32_t)v;
        c->fields |= OMS_F_PRIORITY;
    }
    const char *policy;
    if (oms_get_text(&d, b, "", "delay_policy", false, 16, &policy)) {
        if (strcmp(policy, "hold") != 0 && strcmp(policy, "cancel") != 0) {
            oms_decoder_fail(&d, 422, "invalid_field", "delay_policy",
                             "delay_policy must be hold or cancel");
        }
        c->cancel_on_delay = strcmp(policy, "cancel") == 0;
        c->fields |= OMS_F_DELAY_POLICY;
    }
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    submit(req, call, oms_encode_channel, "channels", code);
}

/* READ encoders: the key travels in the command's first string field. */
static char *not_found(struct oms_command *cmd, const char *what, const char *key, size_t *len)
{
    snprintf(cmd->err_message, sizeof cmd->err_message, "no %s '%s'", what, key);
    cmd->err = OMS_ENOTFOUND;
    *len = 0;
    return NULL;
}

/* The item with its status per channel (rule 1, for one unit), from the index: what the
 * last commit published. */
static char *read_item(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    uint32_t index = oms_state_item(state, cmd->u.item.sku);
    if (index == OMS_NONE) return not_found(cmd, "item", cmd->u.item.sku, len);
    struct oms_call *call = cmd->user;
    return oms_json_answer(oms_json_item_channels(call->engine, state, index, OMS_NONE), len);
}

/* A record read by key: how to find it, how to show it. */
struct record_reader {
    const char *what;
    uint32_t (*find)(const struct oms_state *state, const char *key);
    json_t *(*json)(const struct oms_state *state, uint32_t index);
    char *(*text)(const struct oms_state *state, uint32_t index, size_t *len); /* Or text. */
};

static const struct record_reader location_reader = {"location", oms_state_location,
                                                     oms_json_location, NULL};
static const struct record_reader channel_reader = {"channel", oms_state_channel,
                                                    oms_json_channel, NULL};
static const struct record_reader stock_reader = {"item", oms_state_item, oms_json_stock, NULL};
static const struct record_reader supply_reader = {"supply line", oms_state_supply,
                                                   oms_json_supply, NULL};
static const struct record_reader order_reader = {"order", oms_state_order, NULL,
                                                  oms_order_text};

static char *read_record(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    const struct oms_call *call = cmd->user;
    const struct record_reader *reader = call->spec;
    uint32_t index = reader->find(state, cmd->u.item.sku);
    if (index == OMS_NONE) return not_found(cmd, reader->what, cmd->u.item.sku, len);
    if (reader->text) return reader->text(state, index, len);
    return oms_json_answer(reader->json(state, index), len);
}

/* `max`: the key field's own limit (OMS_SKU_BYTES_MAX for a SKU...), so that a read refuses
 * what no write could have created with the same 422 as the write. */
static void read_by(struct oms_http_request *req, const char *name, size_t max,
                    const struct record_reader *reader, oms_encode_fn encode)
{
    const char *key;
    if (!path_id(req, name, max, &key)) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_READ, NULL);
    if (!call) return;
    call->cmd.u.item.sku = oms_call_strdup(call, key);
    call->spec = reader;
    oms_call_submit(req, call, encode, "");
}

void oms_route_read(struct oms_http_request *req, const char *name, size_t max,
                    oms_encode_fn encode)
{
    read_by(req, name, max, NULL, encode);
}

void oms_route_get_item(struct oms_http_request *req)
{
    read_by(req, "sku", OMS_SKU_BYTES_MAX, NULL, read_item);
}
void oms_route_get_location(struct oms_http_request *req)
{
    read_by(req, "code", OMS_CODE_BYTES_MAX, &location_reader, read_record);
}
void oms_route_get_channel(struct oms_http_request *req)
{
    read_by(req, "code", OMS_CODE_BYTES_MAX, &channel_reader, read_record);
}
void oms_route_get_stock(struct oms_http_request *req)
{
    read_by(req, "sku", OMS_SKU_BYTES_MAX, &stock_reader, read_record);
}
void oms_route_get_supply(struct oms_http_request *req)
{
    read_by(req, "id", OMS_ID_BYTES_MAX, &supply_reader, read_record);
}
void oms_route_get_order(struct oms_http_request *req)
{
    read_by(req, "id", OMS_ID_BYTES_MAX, &order_reader, read_record);
}
