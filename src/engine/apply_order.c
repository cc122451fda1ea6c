/*
 * apply_order.c - placing, cancelling and shipping orders (rules 2, 5 and 8). Placing
 * decides every line in the writer on current data; cancelling releases exactly the open
 * remainder once and hands freed units to the waiting queue first; shipping consumes the
 * line's own allocation at the shipping location (found per line when the request names none,
 * decision 54).
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "core/calendar.h"
#include "engine/clock.h"
#include "engine/tz.h"
#include "engine/writer.h"

/* snprintf(out, cap, "%s%s", prefix, text) without the printf machinery (700 instructions a
 * call; placing an order made two). */
static void join_text(char *out, size_t cap, const char *prefix, const char *text)
{
    size_t a = strnlen(prefix, cap - 1);
    memcpy(out, prefix, a);
    size_t b = strnlen(text, cap - 1 - a);
    memcpy(out + a, text, b);
    out[a + b] = '\0';
}

/* A line event with its qty (and location, unless OMS_NONE), reason when rejected, and the
 * line's promise when it has one. */
static void emit_line_at(struct oms_writer *w, const char *type, uint32_t index,
                         uint32_t location, oms_qty qty)
{
    const struct oms_line *line = &w->state.lines[index];
    const char *order_id = w->state.orders[line->order].id;
    struct oms_jsonw json;
    oms__line_event_begin(&json, w, index);
    if (location != OMS_NONE) oms_jsonw_str(&json, "location", w->state.locations[location].code);
    oms_jsonw_int(&json, "qty", qty);
    if (strcmp(type, "line.rejected") == 0) {
        oms_jsonw_str(&json, "reason", oms_reject_reason_name(line->reason));
    }
    if (line->promise_day != OMS_DAY_NONE) {
        char day[11];
        oms_day_format(line->promise_day, day);
        oms_jsonw_str(&json, "promise_date", day);
    }
    oms__emit(w, type, order_id, oms_jsonw_end(&json));
}

static void emit_line(struct oms_writer *w, const char *type, uint32_t index, oms_qty qty)
{
    emit_line_at(w, type, index, OMS_NONE, qty);
}

static uint32_t add_order(struct oms_writer *w, const struct oms_command *cmd, uint32_t channel,
                          uint32_t collect)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_order *c = &cmd->u.order;
    oms_grow((void **)&state->orders, &state->orders_cap, state->orders_count + 1,
             sizeof *state->orders);
    uint32_t index = state->orders_count++;
    struct oms_order *order = &state->orders[index];
    memset(order, 0, sizeof *order);
    order->id = oms_strdup(c->id);
    order->channel = channel;
    order->region = oms_strdup(c->region ? c->region : "");
    order->region_id = oms_state_region(state, order->region);
    order->collect = collect;
    order->customer_ref = oms_strdup(c->customer_ref);
    order->contact = oms_strdup(c->contact);
    order->at_ms = w->at_ms;
    order->created_ms = state->clock_ms;
    order->first_line = state->lines_count;
    order->lines_count = c->lines_count;
    join_text(order->fingerprint, sizeof order->fingerprint, "", cmd->fingerprint);
    oms_strmap_put(&state->order_by_id, order->id, index);
    oms_grow((void **)&state->lines, &state->lines_cap, state->lines_count + c->lines_count,
             sizeof *state->lines);
    for (uint32_t i = 0; i < c->lines_count; i++) {
        struct oms_line *line = &state->lines[state->lines_count++];
        memset(line, 0, sizeof *line);
        line->order = index;
        line->line_no = i + 1;
        line->sku = oms_strdup(c->lines[i].sku);
        line->item = oms_state_item(state, c->lines[i].sku);
        line->qty = c->lines[i].qty;
        line->ship_complete = c->lines[i].ship_complete;
        line->price_minor = c->lines[i].price_minor;
        line->promise_day = OMS_DAY_NONE;
        line->first_promise_day = OMS_DAY_NONE;
        line->latest_day = c->lines[i].has_latest ? c->lines[i].latest_day : OMS_DAY_NONE;
    }
    return index;
}

/* The order's date: the earliest local day of its instant at the channel's locations (UTC
 * when it lists none). No promise is earlier than the day it is made at its location, and
 * the earliest zone is taken so that no date a promise could meet is refused. */
static oms_day order_day(const struct oms_writer *w, uint32_t channel)
{
    const struct oms_channel *ch = &w->state.channels[channel];
    oms_day day = OMS_DAY_NONE;
    for (uint32_t l = 0; l < w->state.locations_count; l++) {
        if (!(ch->visible >> l & 1)) continue;
        oms_day local = oms_tz_day(w->tz[l], w->at_ms);
        if (day == OMS_DAY_NONE || local < day) day = local;
    }
    return day == OMS_DAY_NONE ? (oms_day)(w->at_ms / OMS_MS_PER_DAY) : day;
}

/* A customer's latest date (the last promise they accept) before the order's own date can
 * never be met: refused naming the line, before anything changes, rather than the line
 * decided and held at once for a consent nobody could give (decisions.md 46). */
static enum oms_err check_latest(struct oms_writer *w, struct oms_command *cmd, uint32_t channel)
{
    const struct oms_cmd_order *c = &cmd->u.order;
    oms_day day = OMS_DAY_NONE; /* Computed once, and only when a line gives a date. */
    for (uint32_t i = 0; i < c->lines_count; i++) {
        if (!c->lines[i].has_latest) continue;
        if (day == OMS_DAY_NONE) day = order_day(w, channel);
        if (c->lines[i].latest_day >= day) continue;
        char field[48], latest[11], placed[11];
        snprintf(field, sizeof field, "lines[%u].latest_date", i);
        oms_day_format(c->lines[i].latest_day, latest);
        oms_day_format(day, placed);
        return oms__fail(cmd, OMS_EINVAL, field,
                         "%s (%s) is before the order's date (%s): no promise can meet it",
                         field, latest, placed);
    }
    return OMS_OK;
}

enum oms_err oms__apply_order_place(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_order *c = &cmd->u.order;
    uint32_t channel = oms_state_channel(state, c->channel);
    if (channel == OMS_NONE) {
        return oms__fail(cmd, OMS_EINVAL, "channel", "no channel '%s'", c->channel);
    }
    uint32_t collect = OMS_NONE;
    if (c->collect) {
        /* Any location the channel lists, stores included: a channel that ships no orders
         * from its stores still lets customers collect there. */
        collect = oms_state_location(state, c->collect);
        if (collect == OMS_NONE || !oms_channel_lists(state, channel, collect)) {
            return oms__fail(cmd, OMS_EINVAL, "collect", "channel '%s' has no location '%s'",
                             c->channel, c->collect);
        }
    }
    OMS_ASSERT(c->lines_count > 0 && c->lines_count <= OMS_LINES_PER_ORDER_MAX);
    enum oms_err err = check_latest(w, cmd, channel);
    if (err) return err;
    uint32_t hold;
    enum oms_hold_use hold_use;
    err = oms__order_hold(w, cmd, channel, &hold, &hold_use);
    if (err) return err;
    uint32_t index = add_order(w, cmd, channel, collect);
    state->orders[index].hold_id = oms_strdup(c->hold);
    state->orders[index].hold_use = hold_use;
    char cause[OMS_ID_BYTES_MAX + 16];
    join_text(cause, sizeof cause, "order ", c->id);
    w->cause = cause;
    oms__emit(w, "order.created", c->id, "{}");
    /* Lines in line order: lines of one SKU are served in that order; lines of other SKUs
     * never see each other (each plan reads only its own item). */
    const struct oms_order *order = &state->orders[index];
    for (uint32_t i = 0; i < c->lines_count; i++) {
        uint32_t line_index = order->first_line + i;
        struct oms_line *line = &state->lines[line_index];
        if (line->item == OMS_NONE) {
            line->rejected = line->qty;
            line->reason = OMS_REJECT_UNKNOWN_SKU;
        } else {
            /* The order's own hold first (its units were kept for this customer), then the
             * rest as any new line. */
            oms__hold_consume_line(w, hold, line_index);
            /* The hold's units count first (decision 24: all the order's accepted units, even
             * when other orders spent the cap meanwhile), so the rest is planned within the
             * cap they leave; then what the plan accepted. */
            oms_qty counted = oms__cap_follow(w, line_index, 0);
            oms__repeg(w, state->lines[line_index].item, line_index);
            oms__cap_follow(w, line_index, counted);
        }
        line = &state->lines[line_index];
        line->first_promise_day = line->promise_day;
        oms_qty allocated = oms_line_allocated(line), backordered = oms_line_backordered(line);
        if (allocated > 0) emit_line(w, "line.allocated", line_index, allocated);
        if (backordered > 0) emit_line(w, "line.backordered", line_index, backordered);
        if (line->rejected > 0) emit_line(w, "line.rejected", line_index, line->rejected);
        oms__save_line(w, line_index);
        order = &state->orders[index];
    }
    oms__hold_consumed(w, hold, index);
    w->cause = NULL;
    cmd->status = 201;
    cmd->result_index = index;
    return OMS_OK;
}

static enum oms_err find_order(struct oms_writer *w, struct oms_command *cmd, const char *id,
                               uint32_t *index)
{
    *index = oms_state_order(&w->state, id);
    if (*index == OMS_NONE) return oms__fail(cmd, OMS_ENOTFOUND, NULL, "no order '%s'", id);
    return OMS_OK;
}

/* Checks "lines[i].line" of a request against the order; returns the line index. */
static enum oms_err find_line(struct oms_writer *w, struct oms_command *cmd, uint32_t order,
                              uint32_t i, uint32_t line_no, uint32_t *line)
{
    const struct oms_order *o = &w->state.orders[order];
    if (line_no < 1 || line_no > o->lines_count) {
        char field[48];
        snprintf(field, sizeof field, "lines[%u].line", i);
        return oms__fail(cmd, OMS_EINVAL, field, "order '%s' has no line %u", o->id, line_no);
    }
    *line = o->first_line + line_no - 1;
    return OMS_OK;
}

/* A line's promise is the day its last open unit ships: after units leave it (cancelled,
 * shipped), the rest may ship earlier, and the customer hears of it (rule 3: every promise
 * that moves gets its event). A line with nothing open left has no promise to tell. */
static void refresh_promise(struct oms_writer *w, uint32_t index)
{
    struct oms_line *line = &w->state.lines[index];
    oms_day old_day = line->promise_day;
    line->promise_day = oms_line_promise(line);
    if (line->promise_day == old_day || line->allocs_count + line->pegs_count == 0) return;
    oms__record_change(w, index, old_day, line->promise_day, 0);
    oms__emit_promise_changed(w, index, old_day);
}

static oms_qty open_qty(const struct oms_line *line)
{
    return oms_line_allocated(line) + oms_line_backordered(line);
}

enum oms_err oms__apply_order_cancel(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    struct oms_cmd_cancel *c = &cmd->u.cancel;
    uint32_t order;
    enum oms_err err = find_order(w, cmd, c->id, &order);
    if (err) return err;
    const struct oms_order *o = &state->orders[order];
    uint32_t count = c->lines ? c->lines_count : o->lines_count;
    oms_qty *want = calloc(o->lines_count, sizeof *want);
    OMS_ASSERT(want != NULL);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t line = o->first_line + i;
        if (c->lines) {
            err = find_line(w, cmd, order, i, c->lines[i].line_no, &line);
            if (err) break;
        }
        want[line - o->first_line] += c->lines ? c->lines[i].qty : open_qty(&state->lines[line]);
        if (want[line - o->first_line] > open_qty(&state->lines[line])) {
            char field[48];
            snprintf(field, sizeof field, "lines[%u].qty", i);
            err = oms__fail(cmd, OMS_ECONFLICT, field,
                            "line %u has %lld open units; cannot cancel %lld",
                            state->lines[line].line_no, (long long)open_qty(&state->lines[line]),
                            (long long)want[line - o->first_line]);
            break;
        }
    }
    if (err) {
        free(want);
        return err;
    }
    char cause[OMS_ID_BYTES_MAX + 32];
    snprintf(cause, sizeof cause, "cancellation of order %s", c->id);
    w->cause = cause;
    c->cancelled = 0;
    for (uint32_t k = 0; k < o->lines_count; k++) {
        if (want[k] == 0) continue;
        uint32_t line = o->first_line + k;
        oms_qty before = oms_line_accepted(&state->lines[line]);
        oms_qty released = oms__release_line(w, line, want[k], "cancel");
        OMS_ASSERT(released == want[k]);
        state->lines[line].cancelled += released;
        oms__cap_follow(w, line, before);
        c->cancelled += released;
        refresh_promise(w, line);
        emit_line(w, "line.cancelled", line, released);
        oms__save_line(w, line);
        /* Freed units go to the waiting backorders first (rule 3). */
        oms__repeg(w, state->lines[line].item, OMS_NONE);
    }
    free(want);
    w->cause = NULL;
    cmd->status = 200;
    cmd->result_index = order;
    return OMS_OK;
}

oms_qty oms__allocated_at(const struct oms_state *state, const struct oms_line *line,
                         uint32_t location)
{
    (void)state;
    oms_qty here = 0;
    for (uint32_t a = 0; a < line->allocs_count; a++) {
        if (location == OMS_NONE || line->allocs[a].location == location) {
            here += line->allocs[a].qty;
        }
    }
    return here;
}

void oms__candidates_text(const struct oms_state *state, const oms_qty *units, char *out,
                          size_t cap)
{
    OMS_ASSERT(cap > 0);
    size_t used = 0;
    uint32_t shown = 0, left = 0;
    out[0] = '\0';
    for (uint32_t k = 0; k < state->locations_count; k++) {
        if (units[k] <= 0) continue;
        if (shown == OMS_CANDIDATES_SHOWN_MAX) {
            left++;
            continue;
        }
        int n = snprintf(out + used, cap - used, "%s%s (%lld)", shown ? ", " : "",
                         state->locations[k].code, (long long)units[k]);
        if (n < 0 || (size_t)n >= cap - used) break; /* Cut: the message says enough. */
        used += (size_t)n;
        shown++;
    }
    if (left > 0 && used < cap) snprintf(out + used, cap - used, " and %u more", left);
}

void oms__ship_move_add(struct oms_cmd_ship *c, uint32_t *cap, uint32_t line, uint32_t location,
                        oms_qty qty)
{
    OMS_ASSERT(qty > 0);
    oms_grow((void **)&c->moves, cap, c->moves_count + 1, sizeof *c->moves);
    c->moves[c->moves_count++] = (struct oms_ship_move){line, location, qty};
}

enum oms_err oms__order_location_lines(struct oms_writer *w, struct oms_command *cmd,
                                       const struct oms_line_request *request, uint32_t *order,
                                       uint32_t *location, oms_qty **want)
{
    struct oms_state *state = &w->state;
    *want = NULL;
    *location = OMS_NONE;
    enum oms_err err = find_order(w, cmd, request->id, order);
    if (err) return err;
    if (request->location) {
        *location = oms_state_location(state, request->location);
        if (*location == OMS_NONE) {
            return oms__fail(cmd, OMS_EINVAL, "location", "no location '%s'",
                             request->location);
        }
    }
    const struct oms_order *o = &state->orders[*order];
    oms_qty *sum = calloc(o->lines_count, sizeof *sum);
    OMS_ASSERT(sum != NULL);
    /* Each line's units so far against its limit there: the first entry past it is named. */
    for (uint32_t i = 0; i < request->lines_count && !err; i++) {
        uint32_t line;
        err = find_line(w, cmd, *order, i, request->lines[i].line_no, &line);
        if (err) break;
        oms_qty *units = &sum[line - o->first_line];
        *units += request->lines[i].qty;
        oms_qty most = request->limit(state, &state->lines[line], *location);
        if (*units > most) {
            char field[48];
            snprintf(field, sizeof field, "lines[%u].qty", i);
            err = oms__fail(cmd, request->over, field, "line %u has %lld %s; not %lld",
                            state->lines[line].line_no, (long long)most,
                            request->location ? request->what_there : request->what,
                            (long long)*units);
        }
    }
    if (err) {
        free(sum);
        return err;
    }
    *want = sum;
    return OMS_OK;
}

/* True when location a is preferred to b: smaller priority number, then code. */
static bool location_before(const struct oms_state *state, uint32_t a, uint32_t b)
{
    const struct oms_location *la = &state->locations[a], *lb = &state->locations[b];
    if (la->priority != lb->priority) return la->priority < lb->priority;
    return la->rank < lb->rank;
}

/* What a shipment that names no location takes of a line's `want` units, in the order taken
 * (decision 54): all of them from one location that holds them (the preferred one), else the
 * line's allocations in order of preference until they are covered. Fills take[] (room for a
 * move per location) and returns how many; want is at most what the line has allocated
 * (checked before). */
static uint32_t ship_plan(const struct oms_state *state, const struct oms_line *line,
                          oms_qty want, struct oms_ship_move *take)
{
    oms_qty held[OMS_LOCATIONS_MAX] = {0};
    uint32_t order[OMS_LOCATIONS_MAX], count = 0;
    for (uint32_t a = 0; a < line->allocs_count; a++) {
        OMS_ASSERT(line->allocs[a].location < state->locations_count);
        held[line->allocs[a].location] += line->allocs[a].qty;
    }
    for (uint32_t l = 0; l < state->locations_count; l++) {
        if (held[l] == 0) continue;
        uint32_t at = count++;
        for (; at > 0 && location_before(state, l, order[at - 1]); at--) order[at] = order[at - 1];
        order[at] = l;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (held[order[i]] < want) continue;
        take[0] = (struct oms_ship_move){OMS_NONE, order[i], want};
        return 1;
    }
    uint32_t taken = 0;
    for (uint32_t i = 0; i < count && want > 0; i++) {
        oms_qty qty = held[order[i]] < want ? held[order[i]] : want;
        take[taken++] = (struct oms_ship_move){OMS_NONE, order[i], qty};
        want -= qty;
    }
    OMS_ASSERT(want == 0);
    return taken;
}

/* Ships qty of a line's units allocated at a location: they leave the allocation (latest
 * first), allocated and on_hand there, and the line counts them shipped. */
static void ship_at(struct oms_writer *w, uint32_t index, uint32_t location, oms_qty qty)
{
    struct oms_state *state = &w->state;
    struct oms_line *line = &state->lines[index];
    const char *order_id = state->orders[line->order].id;
    oms_qty left = qty;
    for (uint32_t a = line->allocs_count; a > 0 && left > 0; a--) {
        struct oms_line_alloc *alloc = &line->allocs[a - 1];
        if (alloc->location != location) continue;
        oms_qty take = alloc->qty < left ? alloc->qty : left;
        alloc->qty -= take;
        left -= take;
        if (alloc->qty == 0) line->allocs[a - 1] = line->allocs[--line->allocs_count];
    }
    OMS_ASSERT(left == 0);
    const struct oms_stock_level *level = &state->items[line->item].levels[location];
    oms__move(w, line->item, location, OMS_ALLOCATED, level->allocated - qty, "shipment",
              order_id);
    oms__move(w, line->item, location, OMS_ON_HAND, level->on_hand - qty, "shipment", order_id);
    line->shipped += qty;
}

enum oms_err oms__apply_order_ship(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    struct oms_cmd_ship *c = &cmd->u.ship;
    struct oms_line_request request = {
        .id = c->id,
        .location = c->location,
        .lines = c->lines,
        .lines_count = c->lines_count,
        .limit = oms__allocated_at,
        .over = OMS_EINSUFFICIENT_ALLOCATION,
        .what = "allocated to ship",
        .what_there = "allocated there to ship",
    };
    uint32_t order, location, moves_cap = 0;
    oms_qty *want;
    enum oms_err err = oms__order_location_lines(w, cmd, &request, &order, &location, &want);
    if (err) return err;
    const struct oms_order *o = &state->orders[order];
    char cause[OMS_ID_BYTES_MAX + 16];
    snprintf(cause, sizeof cause, "shipment of order %s", c->id);
    w->cause = cause;
    struct oms_ship_move take[OMS_LOCATIONS_MAX];
    for (uint32_t k = 0; k < o->lines_count; k++) {
        if (want[k] == 0) continue;
        uint32_t index = o->first_line + k;
        uint32_t count = 1;
        if (location == OMS_NONE) {
            count = ship_plan(state, &state->lines[index], want[k], take);
        } else {
            take[0] = (struct oms_ship_move){OMS_NONE, location, want[k]};
        }
        uint32_t first = c->moves_count;
        for (uint32_t m = 0; m < count; m++) {
            ship_at(w, index, take[m].location, take[m].qty);
            oms__ship_move_add(c, &moves_cap, index, take[m].location, take[m].qty);
        }
        const struct oms_line *line = &state->lines[index];
        if (line->allocs_count + line->pegs_count == 0) oms_state_queue_remove(state, index);
        refresh_promise(w, index);
        for (uint32_t m = first; m < c->moves_count; m++) {
            emit_line_at(w, "line.shipped", index, c->moves[m].location, c->moves[m].qty);
        }
        oms__save_line(w, index);
    }
    free(want);
    w->cause = NULL;
    cmd->status = 200;
    cmd->result_index = order;
    return OMS_OK;
}
