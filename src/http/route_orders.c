/*
 * route_orders.c - placing, cancelling and shipping orders (API.md "Orders"). A well-formed
 * line that cannot be served is not bad input: the engine decides it and says why on the
 * line. Only malformed or out-of-range fields are refused here, naming the field.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"

#define CONTACT_BYTES_MAX 256

/* The fields each body may hold (decode.h): any other is refused before a field is read. */
static const struct oms_body_field customer_fields[] = {
    {"ref", NULL}, {"contact", NULL}, {NULL, NULL}};
static const struct oms_body_field order_line_fields[] = {
    {"sku", NULL}, {"qty", NULL}, {"price", NULL}, {"ship_complete", NULL}, {"latest_date", NULL},
    {NULL, NULL}};
static const struct oms_body_field order_fields[] = {
    {"id", NULL}, {"channel", NULL}, {"region", NULL}, {"collect", NULL},
    {"customer", customer_fields}, {"lines", order_line_fields}, {"at", NULL}, {"hold", NULL},
    {NULL, NULL}};
static const struct oms_body_field qty_line_fields[] = {
    {"line", NULL}, {"qty", NULL}, {NULL, NULL}};
static const struct oms_body_field cancel_fields[] = {
    {"lines", qty_line_fields}, {"at", NULL}, {NULL, NULL}};
static const struct oms_body_field ship_fields[] = {
    {"location", NULL}, {"lines", qty_line_fields}, {"at", NULL}, {NULL, NULL}};
static const struct oms_body_field return_line_fields[] = {
    {"line", NULL}, {"qty", NULL}, {"sellable", NULL}, {NULL, NULL}};
static const struct oms_body_field return_fields[] = {
    {"location", NULL}, {"lines", return_line_fields}, {"at", NULL}, {NULL, NULL}};
static const struct oms_body_field accept_line_fields[] = {
    {"line", NULL}, {"latest_date", NULL}, {NULL, NULL}};
static const struct oms_body_field accept_fields[] = {
    {"lines", accept_line_fields}, {"at", NULL}, {NULL, NULL}};

void oms_route_post_order(struct oms_http_request *req)
{
    struct oms_call *call = oms_call_new(req, OMS_CMD_ORDER_PLACE, order_fields);
    if (!call) return;
    struct oms_cmd_order *c = &call->cmd.u.order;
    json_t *b = call->body;
    struct oms_decoder d;
    oms_decoder_init(&d);
    json_t *lines = NULL, *customer;
    oms_get_id(&d, b, "", "id", true, OMS_ID_BYTES_MAX, &c->id);
    oms_get_id(&d, b, "", "channel", true, OMS_CODE_BYTES_MAX, &c->channel);
    oms_get_id(&d, b, "", "region", false, OMS_CODE_BYTES_MAX, &c->region);
    oms_get_id(&d, b, "", "collect", false, OMS_CODE_BYTES_MAX, &c->collect);
    customer = oms_field_value(b, "customer");
    if (customer) {
        if (!json_is_object(customer)) {
            oms_decoder_fail(&d, 422, "invalid_field", "customer", "customer must be an object");
        }
        oms_get_text(&d, customer, "customer", "ref", false, OMS_ID_BYTES_MAX, &c->customer_ref);
        oms_get_text(&d, customer, "customer", "contact", false, CONTACT_BYTES_MAX, &c->contact);
    }
    if (oms_get_array(&d, b, "", "lines", true, OMS_LINES_PER_ORDER_MAX, &lines) &&
        json_array_size(lines) == 0) {
        oms_decoder_fail(&d, 422, "invalid_field", "lines", "lines needs at least one line");
    }
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    oms_get_id(&d, b, "", "hold", false, OMS_ID_BYTES_MAX, &c->hold);
    size_t count = lines ? json_array_size(lines) : 0;
    struct oms_cmd_line *out = oms_call_own(call, calloc(count + 1, sizeof *out));
    for (size_t i = 0; i < count && !d.failed; i++) {
        char path[32];
        snprintf(path, sizeof path, "lines[%zu]", i);
        json_t *line = json_array_get(lines, i);
        if (!json_is_object(line)) {
            oms_decoder_fail(&d, 422, "invalid_field", path, "%s must be an object", path);
            break;
        }
        oms_get_id(&d, line, path, "sku", true, OMS_SKU_BYTES_MAX, &out[i].sku);
        oms_get_int(&d, line, path, "qty", true, 1, OMS_QTY_MAX, &out[i].qty);
        if (!oms_get_int(&d, line, path, "price", false, 0, INT64_MAX / 4, &out[i].price_minor)) {
            out[i].price_minor = -1;
        }
        oms_get_bool(&d, line, path, "ship_complete", false, &out[i].ship_complete);
        out[i].has_latest = oms_get_date(&d, line, path, "latest_date", false, &out[i].latest_day);
    }
    c->lines = out;
    c->lines_count = (uint32_t)count;
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    oms_call_submit(req, call, oms_encode_order, "orders");
}

/* The non-empty array of line objects at key; NULL when absent (and optional) or invalid
 * (then d failed). *n is its length. */
static json_t *line_array(struct oms_decoder *d, json_t *body, const char *key, bool required,
                          size_t *n)
{
    json_t *lines = NULL;
    *n = 0;
    if (!oms_get_array(d, body, "", key, required, OMS_LINES_PER_ORDER_MAX, &lines)) return NULL;
    if (json_array_size(lines) == 0) {
        oms_decoder_fail(d, 422, "invalid_field", key, "%s needs at least one line", key);
        return NULL;
    }
    *n = json_array_size(lines);
    return lines;
}

/* Entry i as an object, its JSON path in path ("lines[2]"), and its 1-based line number;
 * NULL after failing d. */
static json_t *line_entry(struct oms_decoder *d, json_t *lines, const char *key, size_t i,
                          char path[48], uint32_t *line_no)
{
    snprintf(path, 48, "%s[%zu]", key, i);
    json_t *line = json_array_get(lines, i);
    if (!json_is_object(line)) {
        oms_decoder_fail(d, 422, "invalid_field", path, "%s must be an object", path);
        return NULL;
    }
    int64_t no = 0;
    oms_get_int(d, line, path, "line", true, 1, OMS_LINES_PER_ORDER_MAX, &no);
    *line_no = (uint32_t)no;
    return line;
}

/* Decodes [{line, qty}] at key; lines may be absent when optional. */
static bool qty_lines(struct oms_decoder *d, struct oms_call *call, const char *key,
                      bool required, const struct oms_cmd_qty_line **out, uint32_t *count)
{
    size_t n;
    json_t *lines = line_array(d, call->body, key, required, &n);
    struct oms_cmd_qty_line *parsed = oms_call_own(call, calloc(n + 1, sizeof *parsed));
    for (size_t i = 0; lines && i < n && !d->failed; i++) {
        char path[48];
        json_t *line = line_entry(d, lines, key, i, path, &parsed[i].line_no);
        if (line) oms_get_int(d, line, path, "qty", true, 1, OMS_QTY_MAX, &parsed[i].qty);
    }
    *out = lines ? parsed : NULL;
    *count = (uint32_t)n;
    return lines && !d->failed;
}

static const char *order_path(struct oms_http_request *req, struct oms_decoder *d)
{
    (void)d;
    return oms_path_id(req, "id", OMS_ID_BYTES_MAX);
}

void oms_route_post_cancel(struct oms_http_request *req)
{
    struct oms_decoder d;
    oms_decoder_init(&d);
    const char *id = order_path(req, &d);
    if (!id) return;
    size_t len;
    bool has_body = oms_http_body(req, &len) && len > 0;
    struct oms_call *call =
        oms_call_new(req, OMS_CMD_ORDER_CANCEL, has_body ? cancel_fields : NULL);
    if (!call) return;
    struct oms_cmd_cancel *c = &call->cmd.u.cancel;
    c->id = oms_call_strdup(call, id);
    if (has_body) {
        qty_lines(&d, call, "lines", false, &c->lines, &c->lines_count);
        oms_get_instant(&d, call->body, "", "at", false, &call->cmd.at_ms);
    }
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    char resource[OMS_ID_BYTES_MAX + 16];
    snprintf(resource, sizeof resource, "orders/%s/cancel", id);
    oms_call_submit(req, call, oms_encode_cancel, resource);
}

/* {location?, lines: [{line, qty}]} on an order: shipments, and shipments cancelled. Without a
 * location the engine finds it per line (decision 54). */
static void post_location_lines(struct oms_http_request *req, enum oms_cmd_kind kind,
                                const char *what)
{
    struct oms_decoder d;
    oms_decoder_init(&d);
    const char *id = order_path(req, &d);
    if (!id) return;
    struct oms_call *call = oms_call_new(req, kind, ship_fields);
    if (!call) return;
    struct oms_cmd_ship *c = &call->cmd.u.ship;
    c->id = oms_call_strdup(call, id);
    oms_get_id(&d, call->body, "", "location", false, OMS_CODE_BYTES_MAX, &c->location);
    qty_lines(&d, call, "lines", true, &c->lines, &c->lines_count);
    oms_get_instant(&d, call->body, "", "at", false, &call->cmd.at_ms);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    char resource[OMS_ID_BYTES_MAX + 32];
    snprintf(resource, sizeof resource, "orders/%s/%s", id, what);
    oms_call_submit(req, call, oms_encode_shipment, resource);
}

void oms_route_post_shipment(struct oms_http_request *req)
{
    post_location_lines(req, OMS_CMD_ORDER_SHIP, "shipments");
}

void oms_route_post_return(struct oms_http_request *req)
{
    struct oms_decoder d;
    oms_decoder_init(&d);
    const char *id = order_path(req, &d);
    if (!id) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_ORDER_RETURN, return_fields);
    if (!call) return;
    struct oms_cmd_return *c = &call->cmd.u.ret;
    c->id = oms_call_strdup(call, id);
    oms_get_id(&d, call->body, "", "location", true, OMS_CODE_BYTES_MAX, &c->location);
    size_t n;
    json_t *lines = line_array(&d, call->body, "lines", true, &n);
    struct oms_cmd_return_line *out = oms_call_own(call, calloc(n + 1, sizeof *out));
    for (size_t i = 0; lines && i < n && !d.failed; i++) {
        char path[48];
        json_t *line = line_entry(&d, lines, "lines", i, path, &out[i].line_no);
        if (!line) break;
        oms_get_int(&d, line, path, "qty", true, 1, OMS_QTY_MAX, &out[i].qty);
        oms_get_bool(&d, line, path, "sellable", true, &out[i].sellable);
    }
    c->lines = out;
    c->lines_count = (uint32_t)n;
    oms_get_instant(&d, call->body, "", "at", false, &call->cmd.at_ms);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    char resource[OMS_ID_BYTES_MAX + 16];
    snprintf(resource, sizeof resource, "orders/%s/returns", id);
    oms_call_submit(req, call, oms_encode_order, resource);
}

void oms_route_post_unship(struct oms_http_request *req)
{
    post_location_lines(req, OMS_CMD_ORDER_UNSHIP, "shipments/cancel");
}

void oms_route_post_accept_delay(struct oms_http_request *req)
{
    struct oms_decoder d;
    oms_decoder_init(&d);
    const char *id = order_path(req, &d);
    if (!id) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_ORDER_ACCEPT_DELAY, accept_fields);
    if (!call) return;
    struct oms_cmd_accept *c = &call->cmd.u.accept;
    c->id = oms_call_strdup(call, id);
    size_t n;
    json_t *lines = line_array(&d, call->body, "lines", true, &n);
    struct oms_cmd_accept_line *out = oms_call_own(call, calloc(n + 1, sizeof *out));
    for (size_t i = 0; lines && i < n && !d.failed; i++) {
        char path[48];
        json_t *line = line_entry(&d, lines, "lines", i, path, &out[i].line_no);
        if (!line) break;
        out[i].has_latest = oms_get_date(&d, line, path, "latest_date", false, &out[i].latest_day);
    }
    c->lines = out;
    c->lines_count = (uint32_t)n;
    oms_get_instant(&d, call->body, "", "at", false, &call->cmd.at_ms);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    char resource[OMS_ID_BYTES_MAX + 32];
    snprintf(resource, sizeof resource, "orders/%s/accept_delay", id);
    oms_call_submit(req, call, oms_encode_order, resource);
}
