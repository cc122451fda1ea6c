/*
 * route_stock.c - stock adjustments and counts, supply lines and their receipts (API.md
 * "Stock and supply").
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/clock.h"
#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"

#define REASON_BYTES_MAX 128
#define AS_OF_SKEW_MS (5 * 60 * 1000) /* Clocks of ERPs and POS tills drift a little. */

/* The fields each body may hold (decode.h): any other is refused before a field is read. */
static const struct oms_body_field adjustment_fields[] = {
    {"sku", NULL}, {"location", NULL}, {"delta", NULL}, {"set", NULL}, {"as_of", NULL},
    {"reason", NULL}, {"safety", NULL}, {"unavailable", NULL}, {"at", NULL}, {NULL, NULL}};
static const struct oms_body_field supply_fields[] = {
    {"id", NULL}, {"sku", NULL}, {"location", NULL}, {"qty", NULL}, {"expected_date", NULL},
    {"from", NULL}, {"at", NULL}, {NULL, NULL}};
static const struct oms_body_field receipt_fields[] = {{"qty", NULL}, {"at", NULL}, {NULL, NULL}};
static const struct oms_body_field supply_patch_fields[] = {
    {"expected_date", NULL}, {"qty", NULL}, {"status", NULL}, {"at", NULL}, {NULL, NULL}};
static const struct oms_body_field clock_fields[] = {{"at", NULL}, {NULL, NULL}};

static void fail_or_submit(struct oms_http_request *req, struct oms_call *call,
                           struct oms_decoder *d, oms_encode_fn encode, const char *resource)
{
    if (d->failed) {
        oms_call_fail(req, call, d);
        return;
    }
    oms_call_submit(req, call, encode, resource);
}

/* ?dry_run=true|false on the supply and snapshot endpoints; false when absent. */
bool oms_query_dry_run(struct oms_http_request *req, struct oms_decoder *d)
{
    const char *value = oms_http_query_first(req, "dry_run");
    if (!value || strcmp(value, "false") == 0) return false;
    if (strcmp(value, "true") == 0) return true;
    oms_decoder_fail(d, 422, "invalid_field", "dry_run", "dry_run must be true or false");
    return false;
}

void oms_route_post_adjustment(struct oms_http_request *req)
{
    struct oms_call *call = oms_call_new(req, OMS_CMD_ADJUST, adjustment_fields);
    if (!call) return;
    struct oms_cmd_adjust *c = &call->cmd.u.adjust;
    json_t *b = call->body;
    struct oms_decoder d;
    oms_decoder_init(&d);
    oms_get_id(&d, b, "", "sku", true, OMS_SKU_BYTES_MAX, &c->sku);
    oms_get_id(&d, b, "", "location", true, OMS_CODE_BYTES_MAX, &c->location);
    /* Every value is checked on its own before how the fields go together: an error names the
     * field whose value is wrong ({"safety": -1} is about safety, not a missing delta). */
    oms_get_int(&d, b, "", "delta", false, -OMS_QTY_MAX, OMS_QTY_MAX, &c->delta);
    oms_get_int(&d, b, "", "set", false, 0, OMS_QTY_MAX, &c->set);
    if (!oms_get_instant(&d, b, "", "as_of", false, &c->as_of_ms)) c->as_of_ms = 0;
    oms_get_text(&d, b, "", "reason", false, REASON_BYTES_MAX, &c->reason);
    c->has_safety = oms_get_int(&d, b, "", "safety", false, 0, OMS_QTY_MAX, &c->safety);
    c->has_unavailable =
        oms_get_int(&d, b, "", "unavailable", false, 0, OMS_QTY_MAX, &c->unavailable);
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    bool has_delta = oms_field_value(b, "delta") != NULL; /* null is no value (decode.h). */
    bool has_set = oms_field_value(b, "set") != NULL;
    if (!d.failed && has_delta == has_set) {
        oms_decoder_fail(&d, 422, has_delta ? "invalid_field" : "missing_field",
                         has_delta ? "set" : "delta",
                         has_delta ? "give exactly one of delta (a change) or set (a count)"
                                   : "give exactly one of delta (a change) or set (a count); "
                                     "to change only safety or unavailable, send delta 0");
    }
    if (!d.failed && has_delta && oms_field_value(b, "as_of")) {
        oms_decoder_fail(&d, 422, "invalid_field", "as_of",
                         "as_of belongs to a count (set); a delta happens when it is sent");
    }
    c->is_set = has_set;
    /* A count taken in the future is a mistake (a clock or a zone), not a count. */
    int64_t now = call->cmd.at_ms ? call->cmd.at_ms : oms_now_ms();
    if (c->is_set && c->as_of_ms > now + AS_OF_SKEW_MS) {
        oms_decoder_fail(&d, 422, "invalid_field", "as_of", "as_of is later than the request");
    }
    fail_or_submit(req, call, &d, oms_encode_adjustment, "stock/adjustments");
}

void oms_route_post_supply(struct oms_http_request *req)
{
    struct oms_call *call = oms_call_new(req, OMS_CMD_SUPPLY_CREATE, supply_fields);
    if (!call) return;
    struct oms_cmd_supply *c = &call->cmd.u.supply;
    json_t *b = call->body;
    struct oms_decoder d;
    oms_decoder_init(&d);
    oms_get_id(&d, b, "", "id", true, OMS_ID_BYTES_MAX, &c->id);
    oms_get_id(&d, b, "", "sku", true, OMS_SKU_BYTES_MAX, &c->sku);
    oms_get_id(&d, b, "", "location", true, OMS_CODE_BYTES_MAX, &c->location);
    oms_get_int(&d, b, "", "qty", true, 1, OMS_QTY_MAX, &c->qty);
    oms_get_date(&d, b, "", "expected_date", true, &c->expected_day);
    oms_get_id(&d, b, "", "from", false, OMS_CODE_BYTES_MAX, &c->from);
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    call->cmd.dry_run = oms_query_dry_run(req, &d);
    fail_or_submit(req, call, &d, oms_encode_supply, "supply");
}

void oms_route_post_receipt(struct oms_http_request *req)
{
    struct oms_decoder d;
    oms_decoder_init(&d);
    const char *id = oms_path_id(req, "id", OMS_ID_BYTES_MAX);
    if (!id) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_SUPPLY_RECEIVE, receipt_fields);
    if (!call) return;
    struct oms_cmd_receive *c = &call->cmd.u.receive;
    c->id = oms_call_strdup(call, id);
    oms_get_int(&d, call->body, "", "qty", true, 1, OMS_QTY_MAX, &c->qty);
    oms_get_instant(&d, call->body, "", "at", false, &call->cmd.at_ms);
    call->cmd.dry_run = oms_query_dry_run(req, &d);
    char resource[OMS_ID_BYTES_MAX + 16];
    snprintf(resource, sizeof resource, "supply/%s/receipts", id);
    fail_or_submit(req, call, &d, oms_encode_receipt, resource);
}

void oms_route_patch_supply(struct oms_http_request *req)
{
    struct oms_decoder d;
    oms_decoder_init(&d);
    const char *id = oms_path_id(req, "id", OMS_ID_BYTES_MAX);
    if (!id) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_SUPPLY_UPDATE, supply_patch_fields);
    if (!call) return;
    struct oms_cmd_supply_update *c = &call->cmd.u.supply_update;
    json_t *b = call->body;
    c->id = oms_call_strdup(call, id);
    c->has_expected = oms_get_date(&d, b, "", "expected_date", false, &c->expected_day);
    c->has_qty = oms_get_int(&d, b, "", "qty", false, 0, OMS_QTY_MAX, &c->qty);
    const char *status;
    if (oms_get_text(&d, b, "", "status", false, 16, &status)) {
        c->has_status = true;
        if (strcmp(status, "cancelled") == 0) {
            c->status = OMS_SUPPLY_CANCELLED;
        } else if (strcmp(status, "closed") == 0) {
            c->status = OMS_SUPPLY_CLOSED;
        } else {
            oms_decoder_fail(&d, 422, "invalid_field", "status",
                             "status must be cancelled or closed");
        }
    }
    if (!d.failed && !c->has_expected && !c->has_qty && !c->has_status) {
        oms_decoder_fail(&d, 422, "missing_field", "expected_date",
                         "give expected_date, qty or status");
    }
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    call->cmd.dry_run = oms_query_dry_run(req, &d);
    char resource[OMS_ID_BYTES_MAX + 16];
    snprintf(resource, sizeof resource, "supply/%s", id);
    fail_or_submit(req, call, &d, oms_encode_supply, resource);
}

void oms_route_post_repeg(struct oms_http_request *req)
{
    struct oms_decoder d;
    oms_decoder_init(&d);
    const char *sku = oms_path_id(req, "sku", OMS_SKU_BYTES_MAX);
    if (!sku) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_REPEG, NULL);
    if (!call) return;
    call->cmd.u.sku = oms_call_strdup(call, sku);
    call->cmd.dry_run = oms_query_dry_run(req, &d);
    char resource[OMS_ID_BYTES_MAX + 16];
    snprintf(resource, sizeof resource, "items/%s/repeg", sku);
    fail_or_submit(req, call, &d, oms_encode_repeg, resource);
}

void oms_route_post_clock(struct oms_http_request *req)
{
    struct oms_call *call = oms_call_new(req, OMS_CMD_CLOCK, clock_fields);
    if (!call) return;
    struct oms_decoder d;
    oms_decoder_init(&d);
    oms_get_instant(&d, call->body, "", "at", true, &call->cmd.at_ms);
    call->cmd.u.forward_only = true;
    fail_or_submit(req, call, &d, oms_encode_clock, "clock");
}
