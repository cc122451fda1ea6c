/*
 * apply_region.c - the region distance table (PUT /v1/regions/{code}): how far regions are
 * from each other, for sourcing from the location nearest an order's destination (rule 2,
 * issue 4). A distance is symmetric: setting A-B from either side sets both directions. A PUT
 * sets the pairs it names (null forgets one) and keeps the others, as any PUT keeps the fields
 * it leaves out (rule 9). A pair names regions already in the table, so a typo in a code is
 * refused instead of silently counting as "far".
 *
 * Distances choose where new allocations come from; nothing already allocated moves (rule 2:
 * allocations once made are never taken back), so no queue is re-run.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "engine/writer.h"

/* Checks every pair before anything changes. */
static enum oms_err check_pairs(struct oms_writer *w, struct oms_command *cmd)
{
    const struct oms_cmd_region *c = &cmd->u.region;
    for (uint32_t i = 0; i < c->distances_count; i++) {
        const struct oms_cmd_distance *d = &c->distances[i];
        char field[OMS_CODE_BYTES_MAX + 16];
        snprintf(field, sizeof field, "distances.%s", d->region);
        if (strcmp(d->region, c->code) == 0) {
            if (d->distance == 0 || d->distance == OMS_DISTANCE_UNKNOWN) continue;
            return oms__fail(cmd, OMS_EINVAL, field, "a region's distance to itself is 0");
        }
        if (oms_state_table_region(&w->state, d->region) == OMS_NONE) {
            return oms__fail(cmd, OMS_EINVAL, field,
                             "no region '%s' in the distance table (PUT /v1/regions/%s first)",
                             d->region, d->region);
        }
    }
    return OMS_OK;
}

enum oms_err oms__apply_put_region(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_region *c = &cmd->u.region;
    uint32_t row = oms_state_table_region(state, c->code);
    bool created = row == OMS_NONE;
    if (created && state->table_regions_count >= OMS_REGIONS_MAX) {
        return oms__fail(cmd, OMS_ELIMIT, "code", "at most %d regions (regions_max)",
                         OMS_REGIONS_MAX);
    }
    enum oms_err err = check_pairs(w, cmd);
    if (err) return err;
    if (created) row = oms_state_table_region_add(state, c->code);
    struct oms_region *region = &state->table_regions[row];
    if (c->fields & OMS_F_NAME) {
        free(region->name);
        region->name = oms_strdup(c->name);
    }
    for (uint32_t i = 0; i < c->distances_count; i++) {
        uint32_t other = oms_state_table_region(state, c->distances[i].region);
        if (other == row) continue;
        oms_state_distance_set(state, row, other, c->distances[i].distance);
    }
    oms__must(oms_store_save_region(w->store, state, row), "save a region");
    w->master_dirty = true;
    cmd->status = created ? 201 : 200;
    cmd->result_index = row;
    return OMS_OK;
}
