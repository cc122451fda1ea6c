/*
 * route_regions.c - the region distance table (issue 4, sourcing): PUT and GET of one region
 * and the list of all. A region's code is the region name locations and orders use ("FL",
 * "UK"); its distances say how far it is from the other regions of the table, in any unit the
 * merchant likes (kilometres, zones, days), whole numbers from 0 to OMS_DISTANCE_MAX.
 *
 *   PUT /v1/regions/{code}  {name?, distances?: {"<other region>": N | null, ...}}
 *
 * Distances are symmetric (setting FL-AL sets AL-FL). The pairs a PUT names are set (null
 * forgets one); the others keep their value (rule 9). Each other region must already be in
 * the table (engine/apply_region.c), so a typo is refused rather than counted as far.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"

#define NAME_BYTES_MAX 256

/* distances is a map keyed by region code: its keys are data, checked by the engine. */
static const struct oms_body_field region_fields[] = {
    {"name", NULL}, {"distances", NULL}, {"at", NULL}, {NULL, NULL}};

/* The region at `row` with every distance it has, in table order. */
static json_t *region_json(const struct oms_state *state, uint32_t row)
{
    const struct oms_region *region = &state->table_regions[row];
    json_t *distances = json_object();
    for (uint32_t other = 0; other < state->table_regions_count; other++) {
        if (other == row) continue;
        int32_t distance = oms_state_distance(state, row, other);
        if (distance == OMS_DISTANCE_UNKNOWN) continue;
        oms_json_set_text_key(distances, state->table_regions[other].code,
                              json_integer(distance));
    }
    return json_pack("{s:o, s:o, s:o}", "code", oms_json_text(region->code), "name",
                     oms_json_text(region->name), "distances", distances);
}

static char *encode_region(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    return oms_json_answer(region_json(state, cmd->result_index), len);
}

/* Decodes `distances` into the command: each value an integer in range, or null. */
static void decode_distances(struct oms_decoder *d, struct oms_call *call, json_t *body)
{
    struct oms_cmd_region *c = &call->cmd.u.region;
    json_t *distances = oms_field_value(body, "distances"); /* null is no value (decode.h). */
    if (!distances) return;
    if (!json_is_object(distances)) {
        oms_decoder_fail(d, 422, "invalid_field", "distances",
                         "distances must be an object of region codes to whole numbers");
        return;
    }
    size_t count = json_object_size(distances);
    if (count > OMS_REGIONS_MAX) {
        oms_decoder_fail(d, 422, "limit_exceeded", "distances",
                         "distances has more than %d regions (regions_max)", OMS_REGIONS_MAX);
        return;
    }
    struct oms_cmd_distance *out = oms_call_own(call, calloc(count + 1, sizeof *out));
    const char *key;
    json_t *value;
    uint32_t n = 0;
    json_object_foreach(distances, key, value) {
        char field[OMS_CODE_BYTES_MAX + 16];
        snprintf(field, sizeof field, "distances.%.*s", OMS_CODE_BYTES_MAX, key);
        if (!oms_check_key(d, "distances", key, OMS_CODE_BYTES_MAX)) return;
        if (json_is_null(value)) {
            out[n++] = (struct oms_cmd_distance){key, OMS_DISTANCE_UNKNOWN};
            continue;
        }
        json_int_t v = json_is_integer(value) ? json_integer_value(value) : -1;
        if (!json_is_integer(value) || v < 0 || v > OMS_DISTANCE_MAX) {
            oms_decoder_fail(d, 422, "invalid_field", field,
                             "%s must be a whole number from 0 to %d, or null to forget it",
                             field, OMS_DISTANCE_MAX);
            return;
        }
        out[n++] = (struct oms_cmd_distance){key, (int32_t)v};
    }
    c->distances = out;
    c->distances_count = n;
}

void oms_route_put_region(struct oms_http_request *req)
{
    const char *code = oms_path_id(req, "code", OMS_CODE_BYTES_MAX);
    if (!code) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_PUT_REGION, region_fields);
    if (!call) return;
    struct oms_cmd_region *c = &call->cmd.u.region;
    c->code = oms_call_strdup(call, code);
    struct oms_decoder d;
    oms_decoder_init(&d);
    if (oms_get_text(&d, call->body, "", "name", false, NAME_BYTES_MAX, &c->name)) {
        c->fields |= OMS_F_NAME;
    }
    decode_distances(&d, call, call->body);
    oms_get_instant(&d, call->body, "", "at", false, &call->cmd.at_ms);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    char resource[OMS_CODE_BYTES_MAX + 16];
    snprintf(resource, sizeof resource, "regions/%s", code);
    oms_call_submit(req, call, encode_region, resource);
}

static char *read_region(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    uint32_t row = oms_state_table_region(state, cmd->u.item.sku);
    if (row == OMS_NONE) {
        snprintf(cmd->err_message, sizeof cmd->err_message, "no region '%s'", cmd->u.item.sku);
        cmd->err = OMS_ENOTFOUND;
        *len = 0;
        return NULL;
    }
    return oms_json_answer(region_json(state, row), len);
}

void oms_route_get_region(struct oms_http_request *req)
{
    oms_route_read(req, "code", OMS_CODE_BYTES_MAX, read_region);
}

/* Every region of the table, by code. */
static char *read_regions(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    (void)cmd;
    uint32_t n = state->table_regions_count;
    uint32_t *rows = malloc((n ? n : 1) * sizeof *rows);
    OMS_ASSERT(rows != NULL);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t at = i;
        while (at > 0 &&
               strcmp(state->table_regions[rows[at - 1]].code, state->table_regions[i].code) > 0) {
            rows[at] = rows[at - 1];
            at--;
        }
        rows[at] = i;
    }
    json_t *regions = json_array();
    for (uint32_t i = 0; i < n; i++) json_array_append_new(regions, region_json(state, rows[i]));
    free(rows);
    return oms_json_answer(json_pack("{s:o}", "regions", regions), len);
}

void oms_route_get_regions(struct oms_http_request *req)
{
    struct oms_call *call = oms_call_new(req, OMS_CMD_READ, NULL);
    if (!call) return;
    oms_call_submit(req, call, read_regions, "");
}
