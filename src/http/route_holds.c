/*
 * route_holds.c - holds for carts and checkouts (API.md "Holds"): POST /v1/holds places one
 * and answers what each line could hold, GET /v1/holds/{id} reads it, DELETE /v1/holds/{id}
 * releases it now (again: 200, nothing changes). A line that cannot be held in full is not
 * bad input: the answer says how many units it holds and why not more.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"

/* The fields a hold may hold (decode.h): any other is refused before a field is read. */
static const struct oms_body_field hold_line_fields[] = {
    {"sku", NULL}, {"qty", NULL}, {NULL, NULL}};
static const struct oms_body_field hold_fields[] = {
    {"id", NULL}, {"channel", NULL}, {"region", NULL}, {"lines", hold_line_fields},
    {"expires_at", NULL}, {"partial", NULL}, {"at", NULL}, {NULL, NULL}};

static json_t *json_hold_line(const struct oms_state *state, uint32_t index)
{
    const struct oms_hold_line *line = &state->hold_lines[index];
    json_t *locations = json_array();
    for (uint32_t i = 0; i < line->allocs_count; i++) {
        json_array_append_new(locations,
                              json_pack("{s:o, s:I}", "location",
                                        oms_json_text(
                                            state->locations[line->allocs[i].location].code),
                                        "qty", (json_int_t)line->allocs[i].qty));
    }
    const char *reason = oms_reject_reason_name(line->reason);
    return json_pack("{s:i, s:o, s:I, s:I, s:I, s:o, s:o}", "line", (int)line->line_no, "sku",
                     oms_json_text(line->sku), "qty", (json_int_t)line->qty, "held",
                     (json_int_t)oms_hold_line_reported(line), "consumed", (json_int_t)line->consumed,
                     "locations", locations, "reason",
                     reason ? json_string(reason) : json_null());
}

json_t *oms_json_hold(const struct oms_state *state, uint32_t index)
{
    const struct oms_hold *hold = &state->holds[index];
    json_t *lines = json_array();
    oms_qty held = 0;
    for (uint32_t i = 0; i < hold->lines_count; i++) {
        json_array_append_new(lines, json_hold_line(state, hold->first_line + i));
        held += oms_hold_line_reported(&state->hold_lines[hold->first_line + i]);
    }
    /* A hold stores "" for "no region" (no region code is empty); the API says null, as an
     * order does. */
    json_t *region = oms_json_text(hold->region[0] ? hold->region : NULL);
    return json_pack("{s:o, s:o, s:o, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "id",
                     oms_json_text(hold->id), "channel",
                     oms_json_text(state->channels[hold->channel].code), "region", region,
                     "status", oms_hold_status_name(hold->status), "held", (json_int_t)held,
                     "created_at", oms_json_instant(hold->created_ms), "expires_at",
                     oms_json_instant(hold->expires_ms), "ended_at",
                     hold->ended_ms ? oms_json_instant(hold->ended_ms) : json_null(), "order",
                     oms_json_text(hold->order_id), "lines", lines);
}

static char *encode_hold(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    return oms_json_answer(oms_json_hold(state, cmd->result_index), len);
}

static char *encode_release(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    json_t *hold = oms_json_hold(state, cmd->result_index);
    json_object_set_new(hold, "released_now", json_boolean(!cmd->u.hold.already));
    if (cmd->u.hold.already) {
        char note[64];
        snprintf(note, sizeof note, "the hold was %s already; nothing changed",
                 oms_hold_status_name(state->holds[cmd->result_index].status));
        json_object_set_new(hold, "note", json_string(note));
    }
    return oms_json_answer(hold, len);
}

void oms_route_post_hold(struct oms_http_request *req)
{
    struct oms_call *call = oms_call_new(req, OMS_CMD_HOLD_CREATE, hold_fields);
    if (!call) return;
    struct oms_cmd_hold *c = &call->cmd.u.hold;
    json_t *b = call->body;
    struct oms_decoder d;
    oms_decoder_init(&d);
    json_t *lines = NULL;
    oms_get_id(&d, b, "", "id", true, OMS_ID_BYTES_MAX, &c->id);
    oms_get_id(&d, b, "", "channel", true, OMS_CODE_BYTES_MAX, &c->channel);
    oms_get_id(&d, b, "", "region", false, OMS_CODE_BYTES_MAX, &c->region);
    if (oms_get_array(&d, b, "", "lines", true, OMS_HOLD_LINES_MAX, &lines) &&
        json_array_size(lines) == 0) {
        oms_decoder_fail(&d, 422, "invalid_field", "lines", "lines needs at least one line");
    }
    size_t count = lines ? json_array_size(lines) : 0;
    struct oms_cmd_hold_line *out = oms_call_own(call, calloc(count + 1, sizeof *out));
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
    }
    c->lines = out;
    c->lines_count = (uint32_t)count;
    oms_get_instant(&d, b, "", "expires_at", true, &c->expires_ms);
    bool partial = true;
    oms_get_bool(&d, b, "", "partial", false, &partial);
    c->all_or_nothing = !partial;
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    oms_call_submit(req, call, encode_hold, "holds");
}

static char *read_hold(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    const char *id = cmd->u.item.sku; /* oms_route_read's key. */
    uint32_t index = oms_state_hold(state, id);
    if (index == OMS_NONE) {
        snprintf(cmd->err_message, sizeof cmd->err_message, "no hold '%s'", id);
        cmd->err = OMS_ENOTFOUND;
        *len = 0;
        return NULL;
    }
    return oms_json_answer(oms_json_hold(state, index), len);
}

void oms_route_get_hold(struct oms_http_request *req) { oms_route_read(req, "id", OMS_ID_BYTES_MAX, read_hold); }

void oms_route_delete_hold(struct oms_http_request *req)
{
    const char *id = oms_path_id(req, "id", OMS_ID_BYTES_MAX);
    if (!id) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_HOLD_RELEASE, NULL);
    if (!call) return;
    call->cmd.u.hold.id = oms_call_strdup(call, id);
    char resource[OMS_ID_BYTES_MAX + 16];
    snprintf(resource, sizeof resource, "holds/%s", id);
    oms_call_submit(req, call, encode_release, resource);
}
