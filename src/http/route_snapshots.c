/*
 * route_snapshots.c - ERP and POS stock snapshots (API.md "Stock and supply"):
 * POST /v1/stock/snapshots applies one (or, with ?dry_run=true, says what it would do) and
 * answers the reconciliation report; GET /v1/stock/snapshots/{id} serves a stored report.
 * Every row is checked here for its shape (the engine checks it against the model), and the
 * first bad one is named ("rows[12].on_hand"): nothing is applied unless every row is good.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/clock.h"
#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"

#define CHANGE_PERCENT_MAX 1000000
#define STALE_HOURS_MAX (24 * 366 * 10)

/* The fields a snapshot may hold (decode.h): any other is refused before a row is read. */
static const struct oms_body_field row_fields[] = {
    {"sku", NULL}, {"location", NULL}, {"on_hand", NULL}, {"unavailable", NULL}, {NULL, NULL}};
static const struct oms_body_field threshold_fields[] = {
    {"change_units", NULL}, {"change_percent", NULL}, {"stale_hours", NULL}, {NULL, NULL}};
static const struct oms_body_field snapshot_fields[] = {
    {"id", NULL}, {"as_of", NULL}, {"source", NULL}, {"rows", row_fields},
    {"thresholds", threshold_fields}, {"at", NULL}, {NULL, NULL}};

static void decode_rows(struct oms_decoder *d, struct oms_call *call, json_t *rows)
{
    struct oms_cmd_snapshot *c = &call->cmd.u.snapshot;
    size_t count = rows ? json_array_size(rows) : 0;
    struct oms_snapshot_row *out = oms_call_own(call, calloc(count + 1, sizeof *out));
    for (size_t i = 0; i < count && !d->failed; i++) {
        char path[32];
        snprintf(path, sizeof path, "rows[%zu]", i);
        json_t *row = json_array_get(rows, i);
        if (!json_is_object(row)) {
            oms_decoder_fail(d, 422, "invalid_field", path, "%s must be an object", path);
            break;
        }
        oms_get_id(d, row, path, "sku", true, OMS_SKU_BYTES_MAX, &out[i].sku);
        oms_get_id(d, row, path, "location", true, OMS_CODE_BYTES_MAX, &out[i].location);
        oms_get_int(d, row, path, "on_hand", true, 0, OMS_QTY_MAX, &out[i].on_hand);
        out[i].has_unavailable =
            oms_get_int(d, row, path, "unavailable", false, 0, OMS_QTY_MAX, &out[i].unavailable);
        if (!d->failed && out[i].has_unavailable &&
            !oms_count_valid(out[i].on_hand, out[i].unavailable)) {
            /* A row is a count as taken: the movements since as_of cannot mend it. */
            char field[48];
            snprintf(field, sizeof field, "%s.unavailable", path);
            oms_decoder_fail(d, 422, "invalid_field", field,
                             "%s (%lld) cannot exceed the on_hand counted (%lld)", field,
                             (long long)out[i].unavailable, (long long)out[i].on_hand);
        }
    }
    c->rows = out;
    c->rows_count = (uint32_t)count;
}

/* Optional {"change_units", "change_percent", "stale_hours"}: when the report warns. */
static void decode_thresholds(struct oms_decoder *d, json_t *body, struct oms_cmd_snapshot *c)
{
    c->change_units = OMS_SNAPSHOT_CHANGE_UNITS_DEFAULT;
    c->change_percent = OMS_SNAPSHOT_CHANGE_PERCENT_DEFAULT;
    c->stale_hours = OMS_SNAPSHOT_STALE_HOURS_DEFAULT;
    json_t *t = oms_field_value(body, "thresholds"); /* null is no value (decode.h). */
    if (!t || d->failed) return;
    if (!json_is_object(t)) {
        oms_decoder_fail(d, 422, "invalid_field", "thresholds", "thresholds must be an object");
        return;
    }
    oms_get_int(d, t, "thresholds", "change_units", false, 0, OMS_QTY_MAX, &c->change_units);
    oms_get_int(d, t, "thresholds", "change_percent", false, 0, CHANGE_PERCENT_MAX,
                &c->change_percent);
    oms_get_int(d, t, "thresholds", "stale_hours", false, 1, STALE_HOURS_MAX, &c->stale_hours);
}

void oms_route_post_snapshot(struct oms_http_request *req)
{
    struct oms_call *call = oms_call_new(req, OMS_CMD_SNAPSHOT, snapshot_fields);
    if (!call) return;
    struct oms_cmd_snapshot *c = &call->cmd.u.snapshot;
    json_t *b = call->body;
    struct oms_decoder d;
    oms_decoder_init(&d);
    oms_get_id(&d, b, "", "id", false, OMS_ID_BYTES_MAX, &c->id);
    oms_get_instant(&d, b, "", "as_of", true, &c->as_of_ms);
    oms_get_text(&d, b, "", "source", false, OMS_SNAPSHOT_SOURCE_BYTES_MAX, &c->source);
    json_t *rows = NULL;
    oms_get_array(&d, b, "", "rows", true, OMS_SNAPSHOT_ROWS_MAX, &rows);
    if (!d.failed && json_array_size(rows) == 0) {
        oms_decoder_fail(&d, 422, "invalid_field", "rows", "a snapshot needs at least one row");
    }
    decode_rows(&d, call, d.failed ? NULL : rows);
    decode_thresholds(&d, b, c);
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    /* Counted in the future is a mistake (a clock or a zone), not a count. */
    int64_t now = call->cmd.at_ms ? call->cmd.at_ms : oms_now_ms();
    if (!d.failed && c->as_of_ms > now + OMS_AT_SKEW_MS) {
        oms_decoder_fail(&d, 422, "invalid_field", "as_of", "as_of is later than the request");
    }
    call->cmd.dry_run = oms_query_dry_run(req, &d);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    oms_call_submit(req, call, oms_encode_snapshot, "stock/snapshots");
}

void oms_route_get_snapshot(struct oms_http_request *req)
{
    const char *id = oms_path_id(req, "id", OMS_ID_BYTES_MAX);
    if (!id) return;
    char *body = NULL;
    size_t len = 0;
    enum oms_err err = oms_engine_snapshot_report(oms_http_app(req), id, &body, &len);
    if (err == OMS_ENOTFOUND) {
        oms_http_reply_error(req, 404, "not_found", "no such snapshot", NULL);
    } else if (err || !body) {
        oms_http_reply_error(req, 503, "server_busy", "cannot read the snapshot now", NULL);
    } else {
        oms_http_reply_text(req, 200, "application/json", body, len);
    }
    free(body);
}
