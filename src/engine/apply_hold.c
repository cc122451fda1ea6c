/*
 * apply_hold.c - holds for carts and checkouts (API.md "Holds"): placing one (units reserved
 * from free stock like an allocation of the channel, never more than rule 1 allows, never a
 * backorder), releasing it, expiring it on the engine clock, an order consuming its own hold,
 * and rule 3b taking a shortage from holds, newest first.
 *
 * A hold ends exactly once (consumed, released or expired): its units leave `reserved` then,
 * and the items' queues re-run, so freed units go to waiting backorders first (rule 3).
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "core/plan.h"
#include "engine/clock.h"
#include "engine/writer.h"

void oms__save_hold(struct oms_writer *w, uint32_t hold)
{
    if (w->dry_run) return;
    oms__must(oms_store_save_hold(w->store, &w->state, hold), "save a hold");
}

static oms_qty hold_held(const struct oms_state *state, uint32_t index)
{
    const struct oms_hold *hold = &state->holds[index];
    oms_qty held = 0;
    for (uint32_t i = 0; i < hold->lines_count; i++) {
        held += oms_hold_line_reported(&state->hold_lines[hold->first_line + i]);
    }
    return held;
}

/* One event about a hold: its id, channel, status and the units it holds (or held). */
static void emit_hold(struct oms_writer *w, const char *type, uint32_t index)
{
    const struct oms_hold *hold = &w->state.holds[index];
    char expires[OMS_RFC3339_LEN];
    oms_rfc3339_format(hold->expires_ms, expires);
    struct oms_jsonw json;
    oms_jsonw_begin(&json);
    oms_jsonw_str(&json, "hold", hold->id);
    oms_jsonw_str(&json, "channel", w->state.channels[hold->channel].code);
    oms_jsonw_str(&json, "status", oms_hold_status_name(hold->status));
    oms_jsonw_int(&json, "held", hold_held(&w->state, index));
    oms_jsonw_str(&json, "expires_at", expires);
    if (hold->order_id) oms_jsonw_str(&json, "order", hold->order_id);
    oms__emit(w, type, hold->id, oms_jsonw_end(&json));
}

/* Releases the units an active hold still reserves, ends it with `status`, then re-runs the
 * queue of every item it held (freed units go to waiting backorders first). */
static void end_hold(struct oms_writer *w, uint32_t index, enum oms_hold_status status,
                     const char *reason)
{
    struct oms_state *state = &w->state;
    struct oms_hold *hold = &state->holds[index];
    OMS_ASSERT(hold->status == OMS_HOLD_ACTIVE);
    OMS_ASSERT(status != OMS_HOLD_ACTIVE);
    for (uint32_t i = 0; i < hold->lines_count; i++) {
        const struct oms_hold_line *line = &state->hold_lines[hold->first_line + i];
        for (uint32_t a = 0; a < line->allocs_count; a++) {
            const struct oms_hold_alloc *alloc = &line->allocs[a];
            const struct oms_stock_level *level = &state->items[line->item].levels[alloc->location];
            oms__move(w, line->item, alloc->location, OMS_RESERVED, level->reserved - alloc->qty,
                      reason, hold->id);
        }
    }
    hold->status = status;
    /* An expiry happens at its instant (decision 21), however late a tick notices it: the
     * ledger and the event say so too (oms__expire_holds). */
    hold->ended_ms = status == OMS_HOLD_EXPIRED ? hold->expires_ms : state->clock_ms;
    oms_state_hold_deactivate(state, index);
    oms__save_hold(w, index);
    for (uint32_t i = 0; i < hold->lines_count; i++) {
        const struct oms_hold_line *line = &state->hold_lines[hold->first_line + i];
        if (line->allocs_count == 0) continue;
        bool seen = false; /* One re-run per item, however many lines it has. */
        for (uint32_t k = 0; k < i && !seen; k++) {
            const struct oms_hold_line *before = &state->hold_lines[hold->first_line + k];
            seen = before->item == line->item && before->allocs_count > 0;
        }
        if (!seen) oms__repeg(w, line->item, OMS_NONE);
        hold = &state->holds[index];
    }
}

void oms__expire_holds(struct oms_writer *w)
{
    uint32_t index;
    while ((index = oms_state_hold_pop_due(&w->state, w->state.clock_ms)) != OMS_NONE) {
        const struct oms_hold *hold = &w->state.holds[index];
        char cause[OMS_ID_BYTES_MAX + 16];
        snprintf(cause, sizeof cause, "hold %s expired", hold->id);
        /* The ledger says when it happened in the world: at the expiry, not when noticed. */
        int64_t at = w->at_ms;
        w->at_ms = hold->expires_ms;
        const char *old_cause = w->cause;
        w->cause = cause;
        end_hold(w, index, OMS_HOLD_EXPIRED, "hold expired");
        emit_hold(w, "hold.expired", index);
        w->cause = old_cause;
        w->at_ms = at;
    }
}

/* A preorder item before its release at the channel's first location: nothing is held. */
static bool unreleased(const struct oms_state *state, const struct oms_item *item,
                       const struct oms_channel *channel)
{
    if (item->policy != OMS_POLICY_PREORDER || item->release_day == OMS_DAY_NONE) return false;
    oms_day today = channel->first_location == OMS_NONE
                        ? (oms_day)(state->clock_ms / OMS_MS_PER_DAY)
                        : state->locations[channel->first_location].today;
    return today < item->release_day;
}

static enum oms_err check_create(struct oms_writer *w, struct oms_command *cmd,
                                 uint32_t *channel)
{
    const struct oms_state *state = &w->state;
    const struct oms_cmd_hold *c = &cmd->u.hold;
    if (oms_state_hold(state, c->id) != OMS_NONE) {
        return oms__fail(cmd, OMS_ECONFLICT, "id", "hold '%s' exists already", c->id);
    }
    *channel = oms_state_channel(state, c->channel);
    if (*channel == OMS_NONE) {
        return oms__fail(cmd, OMS_EINVAL, "channel", "no channel '%s'", c->channel);
    }
    OMS_ASSERT(c->lines_count > 0 && c->lines_count <= OMS_HOLD_LINES_MAX);
    char clock[OMS_RFC3339_LEN];
    oms_rfc3339_format(state->clock_ms, clock);
    if (c->expires_ms <= state->clock_ms) {
        return oms__fail(cmd, OMS_EINVAL, "expires_at",
                         "expires_at must be after the engine clock (%s)", clock);
    }
    if (c->expires_ms - state->clock_ms > OMS_HOLD_TTL_MAX_MS) {
        return oms__fail(cmd, OMS_ELIMIT, "expires_at",
                         "a hold lasts at most %lld hours after the engine clock (%s)"
                         " (hold_ttl_max)",
                         (long long)(OMS_HOLD_TTL_MAX_MS / 3600000), clock);
    }
    return OMS_OK;
}

static uint32_t add_hold(struct oms_writer *w, const struct oms_command *cmd, uint32_t channel)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_hold *c = &cmd->u.hold;
    oms_grow((void **)&state->holds, &state->holds_cap, state->holds_count + 1,
             sizeof *state->holds);
    uint32_t index = state->holds_count++;
    struct oms_hold *hold = &state->holds[index];
    memset(hold, 0, sizeof *hold);
    hold->id = oms_strdup(c->id);
    hold->channel = channel;
    hold->region = oms_strdup(c->region ? c->region : "");
    hold->region_id = oms_state_region(state, hold->region);
    hold->at_ms = w->at_ms;
    hold->created_ms = state->clock_ms;
    hold->expires_ms = c->expires_ms;
    hold->status = OMS_HOLD_ACTIVE;
    hold->first_line = state->hold_lines_count;
    hold->lines_count = c->lines_count;
    snprintf(hold->fingerprint, sizeof hold->fingerprint, "%s", cmd->fingerprint);
    oms_strmap_put(&state->hold_by_id, hold->id, index);
    oms_grow((void **)&state->hold_lines, &state->hold_lines_cap,
             state->hold_lines_count + c->lines_count, sizeof *state->hold_lines);
    for (uint32_t i = 0; i < c->lines_count; i++) {
        struct oms_hold_line *line = &state->hold_lines[state->hold_lines_count++];
        memset(line, 0, sizeof *line);
        line->hold = index;
        line->line_no = i + 1;
        line->sku = oms_strdup(c->lines[i].sku);
        line->item = oms_state_item(state, c->lines[i].sku);
        line->qty = c->lines[i].qty;
        line->reason = OMS_REJECT_NONE;
    }
    return index;
}

/* Decides one line on free stock now and reserves what it may hold. */
static void place_line(struct oms_writer *w, uint32_t hold_index, uint32_t line_index, bool whole)
{
    struct oms_state *state = &w->state;
    struct oms_hold_line *line = &state->hold_lines[line_index];
    const struct oms_hold *hold = &state->holds[hold_index];
    if (line->item == OMS_NONE) {
        line->reason = OMS_REJECT_UNKNOWN_SKU;
        return;
    }
    if (unreleased(state, &state->items[line->item], &state->channels[hold->channel])) {
        line->reason = OMS_REJECT_OUT_OF_STOCK; /* Nothing is sold before the release. */
        return;
    }
    struct oms_plan_result result;
    oms__plan_hold(w, line->item, hold->channel, hold->region_id, line->qty, whole, &result);
    OMS_ASSERT(result.pegs_count == 0);
    line->reason = result.reason;
    for (uint32_t i = 0; i < result.allocs_count; i++) {
        const struct oms_plan_alloc *a = &result.allocs[i];
        const struct oms_stock_level *level = &state->items[line->item].levels[a->location];
        oms__move(w, line->item, a->location, OMS_RESERVED, level->reserved + a->qty, "hold",
                  hold->id);
        oms_grow((void **)&line->allocs, &line->allocs_cap, line->allocs_count + 1,
                 sizeof *line->allocs);
        line->allocs[line->allocs_count++] = (struct oms_hold_alloc){a->location, a->qty};
    }
}

enum oms_err oms__apply_hold_create(struct oms_writer *w, struct oms_command *cmd)
{
    const struct oms_cmd_hold *c = &cmd->u.hold;
    uint32_t channel = OMS_NONE; /* Set by check_create; -O2 cannot see it (-Werror). */
    enum oms_err err = check_create(w, cmd, &channel);
    if (err) return err;
    uint32_t index = add_hold(w, cmd, channel);
    /* Lines in line order: a later line of the same SKU sees what the earlier one reserved. */
    for (uint32_t i = 0; i < c->lines_count; i++) {
        place_line(w, index, w->state.holds[index].first_line + i, c->all_or_nothing);
    }
    if (hold_held(&w->state, index) == 0) {
        /* Nothing held (all or nothing and short, nothing free, unknown SKUs): "active" would
         * tell a checkout its cart is kept when nothing is. It ends now, as unfilled; the
         * lines say why, the id is taken (a retry answers the same), nothing will expire. */
        w->state.holds[index].status = OMS_HOLD_UNFILLED;
        w->state.holds[index].ended_ms = w->state.clock_ms;
    } else {
        oms_state_hold_activate(&w->state, index);
    }
    oms__save_hold(w, index);
    emit_hold(w, "hold.created", index);
    cmd->status = 201;
    cmd->result_index = index;
    return OMS_OK;
}

enum oms_err oms__apply_hold_release(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_cmd_hold *c = &cmd->u.hold;
    uint32_t index = oms_state_hold(&w->state, c->id);
    if (index == OMS_NONE) return oms__fail(cmd, OMS_ENOTFOUND, NULL, "no hold '%s'", c->id);
    cmd->status = 200;
    cmd->result_index = index;
    /* Released exactly once: a hold that ended (released, expired, consumed) stays as it is. */
    c->already = w->state.holds[index].status != OMS_HOLD_ACTIVE;
    if (c->already) return OMS_OK;
    char cause[OMS_ID_BYTES_MAX + 16];
    snprintf(cause, sizeof cause, "hold %s released", c->id);
    w->cause = cause;
    end_hold(w, index, OMS_HOLD_RELEASED, "hold released");
    emit_hold(w, "hold.released", index);
    w->cause = NULL;
    return OMS_OK;
}

enum oms_err oms__order_hold(struct oms_writer *w, struct oms_command *cmd, uint32_t channel,
                             uint32_t *hold, enum oms_hold_use *use)
{
    const char *id = cmd->u.order.hold;
    *hold = OMS_NONE;
    *use = OMS_HOLD_USE_NONE;
    if (!id) return OMS_OK;
    uint32_t index = oms_state_hold(&w->state, id);
    /* A hold id that never existed is the caller's mistake (a typo would otherwise place the
     * order without the units the customer was promised, silently). */
    if (index == OMS_NONE) return oms__fail(cmd, OMS_EINVAL, "hold", "no hold '%s'", id);
    const struct oms_hold *h = &w->state.holds[index];
    if (h->status != OMS_HOLD_ACTIVE) {
        *use = OMS_HOLD_USE_NOT_ACTIVE;
    } else if (h->channel != channel) {
        *use = OMS_HOLD_USE_OTHER_CHANNEL;
    } else {
        *use = OMS_HOLD_USE_APPLIED;
        *hold = index;
    }
    return OMS_OK;
}

/* Moves `take` units of a hold line's alloc to an order line: reserved -> allocated there. */
static void move_to_line(struct oms_writer *w, struct oms_hold_line *from, uint32_t alloc,
                         uint32_t line_index, oms_qty take)
{
    struct oms_state *state = &w->state;
    struct oms_line *line = &state->lines[line_index];
    uint32_t location = from->allocs[alloc].location;
    const struct oms_stock_level *level = &state->items[line->item].levels[location];
    const char *hold_id = state->holds[from->hold].id;
    oms__move(w, line->item, location, OMS_RESERVED, level->reserved - take, "hold consumed",
              hold_id);
    oms__move(w, line->item, location, OMS_ALLOCATED, level->allocated + take, "allocate",
              state->orders[line->order].id);
    from->allocs[alloc].qty -= take;
    from->consumed += take;
    for (uint32_t a = 0; a < line->allocs_count; a++) {
        if (line->allocs[a].location == location &&
            line->allocs[a].reason == OMS_SOURCE_REASON_HOLD) {
            line->allocs[a].qty += take;
            return;
        }
    }
    oms_grow((void **)&line->allocs, &line->allocs_cap, line->allocs_count + 1,
             sizeof *line->allocs);
    line->allocs[line->allocs_count++] = (struct oms_line_alloc){
        location, take, state->locations[location].ship_day, OMS_SOURCE_REASON_HOLD};
}

void oms__hold_consume_line(struct oms_writer *w, uint32_t hold_index, uint32_t line_index)
{
    struct oms_state *state = &w->state;
    struct oms_line *line = &state->lines[line_index];
    if (hold_index == OMS_NONE || line->item == OMS_NONE) return;
    const struct oms_item *item = &state->items[line->item];
    const struct oms_hold *hold = &state->holds[hold_index];
    /* A click-and-collect order takes only what the hold kept at its collect location: units
     * elsewhere would have to travel (docs/decisions.md); they are released with the hold. */
    uint32_t collect = state->orders[line->order].collect;
    oms_qty held = 0;
    for (uint32_t i = 0; i < hold->lines_count; i++) {
        const struct oms_hold_line *h = &state->hold_lines[hold->first_line + i];
        if (h->item != line->item) continue;
        for (uint32_t a = 0; a < h->allocs_count; a++) {
            if (collect == OMS_NONE || h->allocs[a].location == collect) held += h->allocs[a].qty;
        }
    }
    if (held == 0 || line->qty < item->min_order_qty) return; /* The plan rejects it whole. */
    /* A line that must be allocated whole (ship_complete, or an item that cannot split) takes
     * the hold's units only when they cover it: part from the hold and part elsewhere would be
     * the split it forbids (docs/decisions.md). */
    if ((line->ship_complete || !item->allow_split) && held < line->qty) return;
    oms_qty want = line->qty;
    for (uint32_t i = 0; i < hold->lines_count && want > 0; i++) {
        struct oms_hold_line *h = &state->hold_lines[hold->first_line + i];
        if (h->item != line->item) continue;
        for (uint32_t a = 0; a < h->allocs_count && want > 0;) {
            if (collect != OMS_NONE && h->allocs[a].location != collect) {
                a++;
                continue;
            }
            oms_qty take = h->allocs[a].qty < want ? h->allocs[a].qty : want;
            move_to_line(w, h, a, line_index, take);
            want -= take;
            if (h->allocs[a].qty == 0) {
                h->allocs[a] = h->allocs[--h->allocs_count];
            } else {
                a++;
            }
        }
    }
    line = &state->lines[line_index];
    line->promise_day = oms_line_promise(line);
}

void oms__hold_consumed(struct oms_writer *w, uint32_t hold_index, uint32_t order)
{
    if (hold_index == OMS_NONE) return;
    struct oms_hold *hold = &w->state.holds[hold_index];
    hold->order_id = oms_strdup(w->state.orders[order].id);
    char cause[OMS_ID_BYTES_MAX + 16];
    snprintf(cause, sizeof cause, "hold %s consumed", hold->id);
    const char *old_cause = w->cause;
    w->cause = cause;
    /* What the order did not take is released (and goes to the queue first). */
    end_hold(w, hold_index, OMS_HOLD_CONSUMED, "hold consumed");
    emit_hold(w, "hold.consumed", hold_index);
    w->cause = old_cause;
}

void oms__holds_cover_shortage(struct oms_writer *w, uint32_t item, uint32_t location,
                               oms_qty qty)
{
    struct oms_state *state = &w->state;
    oms_qty missing = qty;
    for (uint32_t k = state->active_holds_count; k > 0 && missing > 0; k--) {
        uint32_t index = state->active_holds[k - 1];
        const struct oms_hold *hold = &state->holds[index];
        if (hold->status != OMS_HOLD_ACTIVE) continue; /* Ended, not compacted yet. */
        bool reduced = false;
        for (uint32_t i = 0; i < hold->lines_count && missing > 0; i++) {
            uint32_t line_index = hold->first_line + i;
            struct oms_hold_line *line = &state->hold_lines[line_index];
            if (line->item != item) continue;
            oms_qty taken = 0;
            for (uint32_t a = 0; a < line->allocs_count && missing > 0;) {
                struct oms_hold_alloc *alloc = &line->allocs[a];
                if (alloc->location != location) {
                    a++;
                    continue;
                }
                oms_qty take = alloc->qty < missing ? alloc->qty : missing;
                const struct oms_stock_level *level = &state->items[item].levels[location];
                oms__move(w, item, location, OMS_RESERVED, level->reserved - take, "shortage",
                          hold->id);
                alloc->qty -= take;
                missing -= take;
                taken += take;
                if (alloc->qty == 0) {
                    *alloc = line->allocs[--line->allocs_count];
                } else {
                    a++;
                }
            }
            if (taken == 0) continue;
            reduced = true;
            struct oms_jsonw json;
            oms_jsonw_begin(&json);
            oms_jsonw_str(&json, "hold", hold->id);
            oms_jsonw_int(&json, "line", line->line_no);
            oms_jsonw_str(&json, "sku", line->sku);
            oms_jsonw_str(&json, "location", state->locations[location].code);
            oms_jsonw_int(&json, "qty", taken);
            oms_jsonw_int(&json, "held", oms_hold_line_held(line));
            oms_jsonw_str(&json, "reason", "shortage");
            oms__emit(w, "hold.reduced", hold->id, oms_jsonw_end(&json));
        }
        if (reduced) oms__save_hold(w, index);
    }
    OMS_ASSERT(missing == 0);
}
