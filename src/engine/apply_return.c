/*
 * apply_return.c - what happens to a line after its promise or shipment: returns (rule 5:
 * units come back to a location, never more than the line shipped, once; sellable units are
 * free stock again and go to the waiting queue first, the others are on hand but unavailable),
 * shipments cancelled before they left, and the customer's answer to a delay.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "core/calendar.h"
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
        if (err) break; /* A line that shipped nothing may have no item (an unknown SKU). */
        const struct oms_stock_level *level = &state->items[line->item].levels[location];
        if (level->on_hand + want[no - 1] > OMS_QTY_MAX) {
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
        oms__line_event_begin(&json, w, index);
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

static oms_qty shipped_not_returned(const struct oms_state *state, const struct oms_line *line,
                                    uint32_t location)
{
    (void)state;
    (void)location;
    return line->shipped - line->returned;
}

struct shipped_from {
    const struct oms_state *state;
    oms_qty units[OMS_LOCATIONS_MAX]; /* Per location: shipped and not brought back. */
};

static void add_shipped(void *ctx, const char *code, oms_qty units)
{
    struct shipped_from *from = ctx;
    uint32_t location = oms_state_location(from->state, code);
    if (location != OMS_NONE && units > 0) from->units[location] += units;
}

/* Where each line's units of a cancelled shipment that names no location come back (decision
 * 54): the one location the order's units of the line's SKU left from and were not brought
 * back to, from the ledger. Several such locations: only the dock knows which parcel stopped,
 * and a wrong guess would put the units on the wrong shelf, so the request must name it. */
static enum oms_err unship_from(struct oms_writer *w, struct oms_command *cmd, uint32_t order,
                                const oms_qty *want, uint32_t *from)
{
    const struct oms_order *o = &w->state.orders[order];
    for (uint32_t k = 0; k < o->lines_count; k++) {
        from[k] = OMS_NONE;
        if (want[k] == 0) continue;
        const struct oms_line *line = &w->state.lines[o->first_line + k];
        struct shipped_from found = {.state = &w->state};
        enum oms_err err = oms_store_shipped_from(w->store, line->sku, o->id, add_shipped, &found);
        if (err) return oms__fail(cmd, err, NULL, "cannot read where order '%s' shipped from",
                                  o->id);
        uint32_t count = 0;
        for (uint32_t l = 0; l < w->state.locations_count; l++) {
            if (found.units[l] > 0 && count++ == 0) from[k] = l;
        }
        if (count == 1) continue;
        if (count == 0) {
            return oms__fail(cmd, OMS_EMISSING, "location",
                             "location is required: no shipment of line %u is on record",
                             line->line_no);
        }
        char list[OMS_CANDIDATES_TEXT_BYTES];
        oms__candidates_text(&w->state, found.units, list, sizeof list);
        return oms__fail(cmd, OMS_EMISSING, "location",
                         "location is required: line %u shipped from %s (units not brought "
                         "back); name the one the cancelled shipment was at",
                         line->line_no, list);
    }
    return OMS_OK;
}

/* Brings qty shipped units of a line back at a location: on hand and allocated to the line
 * again, as they were before the shipment. */
static void unship_at(struct oms_writer *w, uint32_t index, uint32_t location, oms_qty qty)
{
    struct oms_state *state = &w->state;
    struct oms_line *line = &state->lines[index];
    const char *order_id = state->orders[line->order].id;
    const struct oms_stock_level *level = &state->items[line->item].levels[location];
    oms__move(w, line->item, location, OMS_ON_HAND, level->on_hand + qty, "shipment cancelled",
              order_id);
    oms__move(w, line->item, location, OMS_ALLOCATED, level->allocated + qty,
              "shipment cancelled", order_id);
    bool was_open = line->allocs_count + line->pegs_count > 0;
    line->shipped -= qty;
    oms_grow((void **)&line->allocs, &line->allocs_cap, line->allocs_count + 1,
             sizeof *line->allocs);
    line->allocs[line->allocs_count++] =
        (struct oms_line_alloc){location, qty, state->locations[location].ship_day,
                                OMS_SOURCE_REASON_SHIPMENT_CANCELLED};
    if (!was_open) oms_state_queue_insert(state, index);
    line->promise_day = oms_line_promise(line);
    struct oms_jsonw json;
    oms__line_event_begin(&json, w, index);
    oms_jsonw_str(&json, "location", state->locations[location].code);
    oms_jsonw_int(&json, "qty", qty);
    oms__emit(w, "line.shipment_cancelled", order_id, oms_jsonw_end(&json));
    oms__save_line(w, index);
}

/* A cancelled shipment that names its location takes back there no more of a SKU than the
 * order's shipments took from there and did not bring back (the ledger's moves, as above):
 * the rest left another shelf, and taking it back here would make stock this location never
 * had. Lines of one SKU share what left. */
static enum oms_err check_shipped_there(struct oms_writer *w, struct oms_command *cmd,
                                        uint32_t order, const oms_qty *want, uint32_t location)
{
    const struct oms_order *o = &w->state.orders[order];
    const struct oms_line *lines = &w->state.lines[o->first_line];
    for (uint32_t k = 0; k < o->lines_count; k++) {
        if (want[k] == 0) continue;
        oms_qty asked = 0;
        bool told = false; /* An earlier line of the SKU was checked with this one. */
        for (uint32_t j = 0; j < o->lines_count; j++) {
            if (lines[j].item != lines[k].item) continue;
            told |= j < k && want[j] > 0;
            asked += want[j];
        }
        if (told) continue;
        struct shipped_from found = {.state = &w->state};
        enum oms_err err = oms_store_shipped_from(w->store, lines[k].sku, o->id, add_shipped,
                                                  &found);
        if (err) return oms__fail(cmd, err, NULL, "cannot read where order '%s' shipped from",
                                  o->id);
        if (asked > found.units[location]) {
            return oms__fail(cmd, OMS_EINSUFFICIENT_SHIPPED, "location",
                             "%lld of '%s' left '%s' for order '%s' and did not come back; "
                             "cannot take back %lld there",
                             (long long)found.units[location], lines[k].sku,
                             w->state.locations[location].code, o->id, (long long)asked);
        }
    }
    return OMS_OK;
}

/* A shipment cancelled before it left the dock (B28): the units are on hand again and bound to
 * the line again at that location, as they were before the shipment; free stock does not move,
 * so no queue runs. Never more than the line shipped and did not get back. */
enum oms_err oms__apply_order_unship(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    struct oms_cmd_ship *c = &cmd->u.ship;
    struct oms_line_request request = {
        .id = c->id,
        .location = c->location,
        .lines = c->lines,
        .lines_count = c->lines_count,
        .limit = shipped_not_returned,
        .over = OMS_EINSUFFICIENT_SHIPPED,
        .what = "shipped and not returned to take back",
        .what_there = "shipped and not returned to take back",
    };
    uint32_t order, location, moves_cap = 0;
    oms_qty *want;
    enum oms_err err = oms__order_location_lines(w, cmd, &request, &order, &location, &want);
    if (err) return err;
    const struct oms_order *o = &state->orders[order];
    uint32_t *from = calloc(o->lines_count, sizeof *from);
    OMS_ASSERT(from != NULL);
    if (location == OMS_NONE) {
        err = unship_from(w, cmd, order, want, from);
    } else if (!((state->channels[o->channel].visible >> location) & 1u)) {
        /* A named location: at least one the order's channel could have shipped from. */
        err = oms__fail(cmd, OMS_EINVAL, "location", "'%s' does not serve order '%s'",
                        c->location, o->id);
    } else {
        for (uint32_t k = 0; k < o->lines_count; k++) from[k] = location;
        err = check_shipped_there(w, cmd, order, want, location);
    }
    for (uint32_t k = 0; !err && k < o->lines_count; k++) {
        if (want[k] == 0) continue;
        unship_at(w, o->first_line + k, from[k], want[k]);
        oms__ship_move_add(c, &moves_cap, o->first_line + k, from[k], want[k]);
    }
    free(from);
    free(want);
    if (err) return err;
    cmd->status = 200;
    cmd->result_index = order;
    return OMS_OK;
}

/* The customer's answer to a delay past latest_date: the new date is accepted (with a new
 * latest date, or any date), the hold is lifted. Declining is a cancellation. */
enum oms_err oms__apply_accept_delay(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_accept *c = &cmd->u.accept;
    uint32_t order = oms_state_order(state, c->id);
    if (order == OMS_NONE) return oms__fail(cmd, OMS_ENOTFOUND, NULL, "no order '%s'", c->id);
    const struct oms_order *o = &state->orders[order];
    for (uint32_t i = 0; i < c->lines_count; i++) {
        char field[48];
        uint32_t no = c->lines[i].line_no;
        snprintf(field, sizeof field, "lines[%u].line", i);
        if (no < 1 || no > o->lines_count) {
            return oms__fail(cmd, OMS_EINVAL, field, "order '%s' has no line %u", o->id, no);
        }
        const struct oms_line *line = &state->lines[o->first_line + no - 1];
        if (!line->held) {
            return oms__fail(cmd, OMS_ECONFLICT, field, "line %u is not held for an answer", no);
        }
        if (c->lines[i].has_latest && line->promise_day != OMS_DAY_NONE &&
            c->lines[i].latest_day < line->promise_day) {
            snprintf(field, sizeof field, "lines[%u].latest_date", i);
            return oms__fail(cmd, OMS_EINVAL, field,
                             "the new latest date is before the promise it accepts");
        }
    }
    for (uint32_t i = 0; i < c->lines_count; i++) {
        uint32_t index = o->first_line + c->lines[i].line_no - 1;
        struct oms_line *line = &state->lines[index];
        line->held = false;
        line->latest_day = c->lines[i].has_latest ? c->lines[i].latest_day : OMS_DAY_NONE;
        struct oms_jsonw json;
        oms__line_event_begin(&json, w, index);
        char day[11] = "";
        if (line->latest_day != OMS_DAY_NONE) oms_day_format(line->latest_day, day);
        oms_jsonw_str(&json, "latest_date", line->latest_day == OMS_DAY_NONE ? NULL : day);
        oms__emit(w, "line.delay_accepted", o->id, oms_jsonw_end(&json));
        oms__save_line(w, index);
    }
    cmd->status = 200;
    cmd->result_index = order;
    return OMS_OK;
}
