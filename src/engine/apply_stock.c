/*
 * apply_stock.c - stock adjustments and counts (rules 3b and 6), supply creation and
 * receipts (rule 4). Every change to free stock or supply re-runs the item's queue, so the
 * waiting backorders are served before any new order.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "core/calendar.h"
#include "engine/clock.h"
#include "engine/writer.h"

static enum oms_err find_level(struct oms_writer *w, struct oms_command *cmd, const char *sku,
                               const char *location, uint32_t *item, uint32_t *loc)
{
    *item = oms_state_item(&w->state, sku);
    if (*item == OMS_NONE) return oms__fail(cmd, OMS_EINVAL, "sku", "no item '%s'", sku);
    *loc = oms_state_location(&w->state, location);
    if (*loc == OMS_NONE) {
        return oms__fail(cmd, OMS_EINVAL, "location", "no location '%s'", location);
    }
    return OMS_OK;
}

static void emit_short(struct oms_writer *w, uint32_t item, uint32_t location, oms_qty qty)
{
    struct oms_jsonw json;
    oms_jsonw_begin(&json);
    oms_jsonw_str(&json, "sku", w->state.items[item].sku);
    oms_jsonw_str(&json, "location", w->state.locations[location].code);
    oms_jsonw_int(&json, "short", qty);
    oms__emit(w, "stock.short", w->state.items[item].sku, oms_jsonw_end(&json));
}

enum oms_err oms__level_plan(struct oms_writer *w, struct oms_command *cmd,
                             struct oms__level_change *change)
{
    const struct oms_item *it = &w->state.items[change->item];
    const struct oms_stock_level *level = &it->levels[change->location];
    const char *location = w->state.locations[change->location].code;
    change->superseded = false;
    change->clamped = false;
    change->last_count_ms = 0;
    change->since = 0;
    change->receipts_since = 0;
    oms_qty on_hand = level->on_hand;
    if (change->is_count && change->has_unavailable &&
        !oms_count_valid(change->counted, change->unavailable)) {
        /* Checked as counted, first: movements since as_of could lift on_hand above the
         * figure, and a newer count could supersede the row, but neither makes 5 unavailable
         * of 4 counted a count (a snapshot would apply it and leave the location short). */
        return oms__fail(cmd, OMS_EINVAL, change->unavailable_field,
                         "unavailable (%lld) cannot exceed the on_hand counted (%lld) at '%s'",
                         (long long)change->unavailable, (long long)change->counted, location);
    }
    if (change->is_count) {
        /* Rule 6: a count is true at as_of. A newer count already applied supersedes it; else
         * movements recorded after as_of are re-applied on top, so a late count never
         * resurrects units sold since. */
        oms__must(oms_store_last_count_ms(w->store, it->sku, location, &change->last_count_ms),
                  "read the ledger");
        if (change->last_count_ms > change->as_of_ms) {
            change->superseded = true;
        } else {
            oms__must(oms_store_on_hand_moves_after(w->store, it->sku, location,
                                                    change->as_of_ms, &change->since),
                      "read the ledger");
            oms__must(oms_store_receipts_after(w->store, it->sku, location, change->as_of_ms,
                                               &change->receipts_since),
                      "read the ledger");
            change->clamped = change->counted + change->since < 0;
            on_hand = change->clamped ? 0 : change->counted + change->since;
        }
    } else {
        on_hand = level->on_hand + change->delta;
        if (on_hand < 0) {
            return oms__fail(cmd, OMS_EINVAL, change->on_hand_field,
                             "on_hand is %lld; a delta of %lld would make it negative",
                             (long long)level->on_hand, (long long)change->delta);
        }
    }
    if (on_hand > OMS_QTY_MAX) {
        return oms__fail(cmd, OMS_EINVAL, change->on_hand_field, "on_hand above %lld",
                         (long long)OMS_QTY_MAX);
    }
    oms_qty unavailable = change->has_unavailable ? change->unavailable : level->unavailable;
    if (unavailable > on_hand) {
        return oms__fail(cmd, OMS_EINVAL,
                         change->has_unavailable ? change->unavailable_field
                                                 : change->on_hand_field,
                         "unavailable (%lld) cannot exceed on_hand (%lld) at '%s'",
                         (long long)unavailable, (long long)on_hand, location);
    }
    change->on_hand = on_hand;
    change->unavailable_after = unavailable;
    return OMS_OK;
}

bool oms__level_apply(struct oms_writer *w, const struct oms__level_change *change,
                      const char *reason, const char *ref)
{
    uint32_t item = change->item, location = change->location;
    const struct oms_stock_level *level = &w->state.items[item].levels[location];
    if (change->is_count) w->at_ms = change->as_of_ms; /* The count is true then. */
    /* Order matters for the level check: never let unavailable exceed on_hand in between. */
    if (change->unavailable_after < level->unavailable) {
        oms__move(w, item, location, OMS_UNAVAILABLE, change->unavailable_after, reason, ref);
    }
    if (change->is_count && change->on_hand == level->on_hand && !w->dry_run) {
        /* A count that agrees is still a count: recorded, it supersedes older ones (rule 6). */
        const struct oms_item *it = &w->state.items[item];
        struct oms_ledger_entry entry = {
            .at_ms = w->at_ms,
            .recorded_ms = w->state.clock_ms,
            .sku = it->sku,
            .location = w->state.locations[location].code,
            .counter = "on_hand",
            .before = level->on_hand,
            .after = level->on_hand,
            .reason = reason,
            .ref = ref,
        };
        oms__must(oms_store_append_ledger(w->store, &entry), "append to the ledger");
    }
    oms__move(w, item, location, OMS_ON_HAND, change->on_hand, reason, ref);
    oms__move(w, item, location, OMS_UNAVAILABLE, change->unavailable_after, reason, ref);
    if (change->has_safety) oms__move(w, item, location, OMS_SAFETY, change->safety, reason, ref);
    level = &w->state.items[item].levels[location];
    if (oms_stock_free(level) >= 0) return false;
    /* Rule 3b resolves the shortage at once, so the stock events at the end of the command
     * never see it: report it here, as the count or damage report left it. */
    emit_short(w, item, location, oms_stock_short(level));
    oms__cover_shortage(w, item, location);
    return true;
}

enum oms_err oms__apply_adjust(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_cmd_adjust *c = &cmd->u.adjust;
    struct oms__level_change change = {
        .is_count = c->is_set,
        /* A count without as_of was taken when the command happened. */
        .as_of_ms = c->as_of_ms > 0 ? c->as_of_ms : w->at_ms,
        .counted = c->set,
        .delta = c->delta,
        .has_unavailable = c->has_unavailable,
        .unavailable = c->unavailable,
        .has_safety = c->has_safety,
        .safety = c->safety,
        .on_hand_field = c->is_set ? "set" : "delta",
        .unavailable_field = "unavailable",
    };
    enum oms_err err = find_level(w, cmd, c->sku, c->location, &change.item, &change.location);
    if (!err) err = oms__level_plan(w, cmd, &change);
    if (err) return err;
    c->superseded = change.superseded;
    /* Counts are found again by their reason (rule 6): the caller's words go to ref. */
    const char *reason = c->is_set ? "count" : c->reason ? c->reason : "adjustment";
    const char *ref = c->is_set ? c->reason : NULL;
    w->cause = c->is_set ? "stock count" : "stock adjustment";
    (void)oms__level_apply(w, &change, reason, ref);
    oms__repeg(w, change.item, OMS_NONE);
    cmd->status = 200;
    cmd->result_index = change.item;
    return OMS_OK;
}

enum oms_err oms__apply_supply_create(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_supply *c = &cmd->u.supply;
    if (oms_state_supply(state, c->id) != OMS_NONE) {
        return oms__fail(cmd, OMS_ECONFLICT, "id", "supply '%s' exists already", c->id);
    }
    uint32_t item, location;
    enum oms_err err = find_level(w, cmd, c->sku, c->location, &item, &location);
    if (err) return err;
    uint32_t from = OMS_NONE;
    if (c->from) {
        from = oms_state_location(state, c->from);
        if (from == OMS_NONE) return oms__fail(cmd, OMS_EINVAL, "from", "no location '%s'", c->from);
        if (from == location) {
            return oms__fail(cmd, OMS_EINVAL, "from", "a transfer needs two locations");
        }
        oms_qty free = oms_stock_free(&state->items[item].levels[from]);
        if (free < c->qty) {
            return oms__fail(cmd, OMS_ECONFLICT, "qty", "'%s' has %lld free units of '%s'",
                             c->from, (long long)(free > 0 ? free : 0), c->sku);
        }
    }
    if (state->items[item].supplies_count >= OMS_SUPPLIES_MAX) {
        return oms__fail(cmd, OMS_ELIMIT, "sku",
                         "item '%s' has %d open supply lines (supplies_per_item_max)", c->sku,
                         OMS_SUPPLIES_MAX);
    }
    oms_grow((void **)&state->supplies, &state->supplies_cap, state->supplies_count + 1,
             sizeof *state->supplies);
    uint32_t index = state->supplies_count++;
    struct oms_supply *supply = &state->supplies[index];
    *supply = (struct oms_supply){
        .id = oms_strdup(c->id),
        .item = item,
        .location = location,
        .qty = c->qty,
        .expected_day = c->expected_day,
        .status = OMS_SUPPLY_OPEN,
        .transfer = from != OMS_NONE,
        .from_location = from,
    };
    oms_strmap_put(&state->supply_by_id, supply->id, index);
    struct oms_item *it = &state->items[item];
    oms_grow((void **)&it->supplies, &it->supplies_cap, it->supplies_count + 1, sizeof(uint32_t));
    it->supplies[it->supplies_count++] = index;
    oms__save_supply(w, index);
    if (from != OMS_NONE) {
        /* The units leave the source now: they are in transit until received. */
        const struct oms_stock_level *source = &state->items[item].levels[from];
        oms__move(w, item, from, OMS_ON_HAND, source->on_hand - c->qty, "transfer out", c->id);
    }
    char cause[OMS_ID_BYTES_MAX + 32];
    snprintf(cause, sizeof cause, "supply %s created", c->id);
    w->cause = cause;
    oms__repeg(w, item, OMS_NONE);
    w->cause = NULL;
    cmd->status = cmd->dry_run ? 200 : 201; /* A dry run creates nothing. */
    cmd->result_index = index;
    return OMS_OK;
}

void oms__close_supply(struct oms_state *state, uint32_t index)
{
    struct oms_item *item = &state->items[state->supplies[index].item];
    for (uint32_t k = 0; k < item->supplies_count; k++) {
        if (item->supplies[k] == index) {
            item->supplies[k] = item->supplies[--item->supplies_count];
            return;
        }
    }
}

enum oms_err oms__apply_supply_receive(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    struct oms_cmd_receive *c = &cmd->u.receive;
    uint32_t index = oms_state_supply(state, c->id);
    if (index == OMS_NONE) {
        return oms__fail(cmd, OMS_EUNKNOWN_SUPPLY, NULL, "no supply line '%s'", c->id);
    }
    struct oms_supply *supply = &state->supplies[index];
    if (supply->status != OMS_SUPPLY_OPEN) {
        return oms__fail(cmd, OMS_ESUPPLY_CLOSED, NULL, "supply line '%s' is %s", c->id,
                         oms_supply_status_name(supply->status));
    }
    const struct oms_stock_level *level = &state->items[supply->item].levels[supply->location];
    if (level->on_hand + c->qty > OMS_QTY_MAX) {
        return oms__fail(cmd, OMS_EINVAL, "qty", "on_hand would exceed %lld",
                         (long long)OMS_QTY_MAX);
    }
    oms_qty outstanding = supply->qty - supply->received;
    if (supply->transfer && c->qty > outstanding) {
        /* A supplier may deliver more than ordered; units in transit between our own
         * locations cannot multiply: more arriving than left the source is a counting error. */
        return oms__fail(cmd, OMS_ECONFLICT, "qty",
                         "transfer '%s' has %lld in transit; it cannot deliver %lld", c->id,
                         (long long)outstanding, (long long)c->qty);
    }
    c->over_received = c->qty > outstanding ? c->qty - (outstanding > 0 ? outstanding : 0) : 0;
    supply->received += c->qty;
    uint32_t item = supply->item, location = supply->location;
    if (supply->received >= supply->qty) {
        supply->status = OMS_SUPPLY_RECEIVED;
        oms__close_supply(state, index);
    }
    oms__move(w, item, location, OMS_ON_HAND, level->on_hand + c->qty, "receipt", c->id);
    oms__save_supply(w, index);

    char cause[OMS_ID_BYTES_MAX + 32];
    snprintf(cause, sizeof cause, "receipt of supply %s", c->id);
    w->cause = cause;
    w->fills = NULL;
    w->fills_count = w->fills_cap = 0;
    w->fills_location = location;
    w->record_fills = true;
    oms__repeg(w, item, OMS_NONE);
    w->record_fills = false;
    c->fills = w->fills; /* Handed to the command; oms_command_release frees it. */
    c->fills_count = w->fills_count;
    w->fills = NULL;
    w->cause = NULL;
    oms_qty filled = 0;
    for (uint32_t i = 0; i < c->fills_count; i++) filled += c->fills[i].qty;
    c->to_stock = c->qty - filled > 0 ? c->qty - filled : 0;

    struct oms_jsonw json;
    oms_jsonw_begin(&json);
    oms_jsonw_str(&json, "supply", c->id);
    oms_jsonw_str(&json, "sku", state->items[item].sku);
    oms_jsonw_str(&json, "location", state->locations[location].code);
    oms_jsonw_int(&json, "qty", c->qty);
    oms_jsonw_int(&json, "received", state->supplies[index].received);
    oms_jsonw_int(&json, "over_received", c->over_received);
    oms_jsonw_int(&json, "to_backorders", filled);
    oms_jsonw_int(&json, "to_stock", c->to_stock);
    oms__emit(w, "supply.received", c->id, oms_jsonw_end(&json));
    cmd->status = 200;
    cmd->result_index = index;
    return OMS_OK;
}

enum oms_err oms__apply_clock(struct oms_writer *w, struct oms_command *cmd)
{
    /* The engine moved its clock before this handler (never backwards: an earlier instant
     * left it where it was), so a tick has nothing more to do. Asked to move it back, say so:
     * answering 200 with the unchanged clock read as if the clock had been set. */
    if (cmd->u.forward_only && w->at_ms < w->state.clock_ms) {
        char clock[OMS_RFC3339_LEN];
        oms_rfc3339_format(w->state.clock_ms, clock);
        return oms__fail(cmd, OMS_EINVAL, "at",
                         "the engine clock only moves forward; it is at %s, later than at",
                         clock);
    }
    cmd->status = 200;
    return OMS_OK;
}
