/*
 * apply_return.c - returns (rule 5): units come back to a location, never more than the line
 * shipped, once. Sellable units are free stock again and go to the waiting queue first;
 * units that are not sellable are on hand but unavailable.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "engine/writer.h"

enum oms_err oms__apply_order_return(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_return *c = &cmd->u.ret;
    uint32_t order = oms_state_order(state, c->id);
    if (order == OMS_NONE) return oms__fail(cmd, OMS_ENOTFOUND, NULL, "no order '%s'", c->id);
    uint32_t location = oms_state_location(state, c->location);
    if (location == OMS_NONE) {
        return oms__fail(cmd, OMS_EINVAL, "location", "no location '%s'", c->location);
    }
    const struct oms_order *o = &state->orders[order];
    oms_qty *want = calloc(o->lines_count, sizeof *want);
    OMS_ASSERT(want != NULL);
    enum oms_err err = OMS_OK;
    for (uint32_t i = 0; i < c->lines_count && !err; i++) {
        char field[48];
        uint32_t no = c->lines[i].line_no;
        if (no < 1 || no > o->lines_count) {
            snprintf(field, sizeof field, "lines[%u].line", i);
            err = oms__fail(cmd, OMS_EINVAL, field, "order '%s' has no line %u", o->id, no);
            break;
        }
        const struct oms_line *line = &state->lines[o->first_line + no - 1];
        want[no - 1] += c->lines[i].qty;
        if (want[no - 1] > line->shipped - line->returned) {
            snprintf(field, sizeof field, "lines[%u].qty", i);
            err = oms__fail(cmd, OMS_EINSUFFICIENT_SHIPPED, field,
                            "line %u shipped %lld and %lld came back; cannot return %lld", no,
                            (long long)line->shipped, (long long)line->returned,
                            (long long)want[no - 1]);
        }
        const struct oms_stock_level *level = &state->items[line->item].levels[location];
        if (!err && level->on_hand + want[no - 1] > OMS_QTY_MAX) {
            err = oms__fail(cmd, OMS_EINVAL, field, "on_hand would exceed its limit");
        }
    }
    free(want);
    if (err) return err;
    char cause[OMS_ID_BYTES_MAX + 16];
    snprintf(cause, sizeof cause, "return of order %s", c->id);
    for (uint32_t i = 0; i < c->lines_count; i++) {
        uint32_t index = o->first_line + c->lines[i].line_no - 1;
        struct oms_line *line = &state->lines[index];
        oms_qty qty = c->lines[i].qty;
        line->returned += qty;
        const struct oms_stock_level *level = &state->items[line->item].levels[location];
        oms__move(w, line->item, location, OMS_ON_HAND, level->on_hand + qty, "return", o->id);
        if (!c->lines[i].sellable) {
            oms__move(w, line->item, location, OMS_UNAVAILABLE, level->unavailable + qty,
                      "return, not sellable", o->id);
        }
        struct oms_jsonw json;
        oms_jsonw_begin(&json);
        oms_jsonw_str(&json, "order", o->id);
        oms_jsonw_int(&json, "line", line->line_no);
        oms_jsonw_str(&json, "sku", line->sku);
        oms_jsonw_str(&json, "location", c->location);
        oms_jsonw_int(&json, "qty", qty);
        oms_jsonw_bool(&json, "sellable", c->lines[i].sellable);
        oms__emit(w, "line.returned", o->id, oms_jsonw_end(&json));
        oms__save_line(w, index);
        w->cause = cause;
        oms__repeg(w, line->item, OMS_NONE);
        w->cause = NULL;
        o = &state->orders[order];
    }
    cmd->status = 200;
    cmd->result_index = order;
    return OMS_OK;
}
