/*
 * apply_supply.c - the supply lifecycle after creation (rule 3): a delay or an earlier date,
 * a cut or an increase, cancellation, closing short; and a manual re-run of an item's queue.
 * Each change re-runs the item's queue so promises follow the supply, with one event per
 * promise that moves. Transfers give back to their source what will no longer arrive.
 */
#include "base/platform.h"

#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "core/calendar.h"
#include "engine/writer.h"

static enum oms_err validate(struct oms_writer *w, struct oms_command *cmd, uint32_t *index)
{
    const struct oms_cmd_supply_update *c = &cmd->u.supply_update;
    *index = oms_state_supply(&w->state, c->id);
    if (*index == OMS_NONE) {
        return oms__fail(cmd, OMS_EUNKNOWN_SUPPLY, NULL, "no supply line '%s'", c->id);
    }
    const struct oms_supply *supply = &w->state.supplies[*index];
    if (supply->status != OMS_SUPPLY_OPEN) {
        return oms__fail(cmd, OMS_ESUPPLY_CLOSED, NULL, "supply line '%s' is %s", c->id,
                         oms_supply_status_name(supply->status));
    }
    if (c->has_qty && c->qty < supply->received) {
        return oms__fail(cmd, OMS_EINVAL, "qty",
                         "%lld units of '%s' were received already; qty cannot be less",
                         (long long)supply->received, c->id);
    }
    if (c->has_status) {
        OMS_ASSERT(c->status == OMS_SUPPLY_CANCELLED || c->status == OMS_SUPPLY_CLOSED);
    }
    if (c->has_qty && supply->transfer && c->qty > supply->qty) {
        const struct oms_stock_level *source =
            &w->state.items[supply->item].levels[supply->from_location];
        if (oms_stock_free(source) < c->qty - supply->qty) {
            return oms__fail(cmd, OMS_ECONFLICT, "qty", "the transfer's source lacks the units");
        }
    }
    return OMS_OK;
}

static void emit_delayed(struct oms_writer *w, uint32_t index, oms_day old_day)
{
    const struct oms_supply *supply = &w->state.supplies[index];
    char old_text[11], new_text[11];
    oms_day_format(old_day, old_text);
    oms_day_format(supply->expected_day, new_text);
    struct oms_jsonw json;
    oms_jsonw_begin(&json);
    oms_jsonw_str(&json, "supply", supply->id);
    oms_jsonw_str(&json, "sku", w->state.items[supply->item].sku);
    oms_jsonw_str(&json, "location", w->state.locations[supply->location].code);
    oms_jsonw_str(&json, "old_date", old_text);
    oms_jsonw_str(&json, "new_date", new_text);
    oms__emit(w, "supply.delayed", supply->id, oms_jsonw_end(&json));
}

/* A transfer's source gets back the units that will no longer come. */
static void give_back(struct oms_writer *w, uint32_t index, oms_qty units)
{
    const struct oms_supply *supply = &w->state.supplies[index];
    if (!supply->transfer || units <= 0) return;
    const struct oms_stock_level *source =
        &w->state.items[supply->item].levels[supply->from_location];
    oms__move(w, supply->item, supply->from_location, OMS_ON_HAND, source->on_hand + units,
              "transfer back", supply->id);
}

enum oms_err oms__apply_supply_update(struct oms_writer *w, struct oms_command *cmd)
{
    const struct oms_cmd_supply_update *c = &cmd->u.supply_update;
    uint32_t index;
    enum oms_err err = validate(w, cmd, &index);
    if (err) return err;
    struct oms_supply *supply = &w->state.supplies[index];
    char cause[OMS_ID_BYTES_MAX + 64];
    snprintf(cause, sizeof cause, "supply %s changed", c->id);
    if (c->has_expected && c->expected_day != supply->expected_day) {
        oms_day old_day = supply->expected_day;
        supply->expected_day = c->expected_day;
        char day[11];
        oms_day_format(c->expected_day, day);
        snprintf(cause, sizeof cause, "supply %s %s to %s", c->id,
                 c->expected_day > old_day ? "delayed" : "brought forward", day);
        if (c->expected_day > old_day) emit_delayed(w, index, old_day);
    }
    if (c->has_qty && c->qty != supply->qty) {
        oms_qty old_qty = supply->qty;
        if (supply->transfer && c->qty > old_qty) {
            const struct oms_stock_level *source =
                &w->state.items[supply->item].levels[supply->from_location];
            oms__move(w, supply->item, supply->from_location, OMS_ON_HAND,
                      source->on_hand - (c->qty - old_qty), "transfer out", supply->id);
        }
        give_back(w, index, old_qty - c->qty);
        supply = &w->state.supplies[index];
        supply->qty = c->qty;
        snprintf(cause, sizeof cause, "supply %s %s to %lld units", c->id,
                 c->qty < old_qty ? "cut" : "raised", (long long)c->qty);
        if (supply->received >= supply->qty) {
            /* Cut to what came: received; cut to nothing before anything came: cancelled. */
            supply->status = supply->received > 0 ? OMS_SUPPLY_RECEIVED : OMS_SUPPLY_CANCELLED;
            oms__close_supply(&w->state, index);
        }
    }
    if (c->has_status && supply->status == OMS_SUPPLY_OPEN) {
        /* A cancelled transfer never left: its units go back. A closed one came short: what
         * did not arrive is lost in transit. */
        if (c->status == OMS_SUPPLY_CANCELLED) give_back(w, index, supply->qty - supply->received);
        supply = &w->state.supplies[index];
        supply->status = c->status;
        oms__close_supply(&w->state, index);
        snprintf(cause, sizeof cause, "supply %s %s", c->id, oms_supply_status_name(c->status));
    }
    oms__save_supply(w, index);
    w->cause = cause;
    oms__repeg(w, w->state.supplies[index].item, OMS_NONE);
    w->cause = NULL;
    cmd->status = 200;
    cmd->result_index = index;
    return OMS_OK;
}

enum oms_err oms__apply_repeg(struct oms_writer *w, struct oms_command *cmd)
{
    uint32_t item = oms_state_item(&w->state, cmd->u.sku);
    if (item == OMS_NONE) return oms__fail(cmd, OMS_ENOTFOUND, NULL, "no item '%s'", cmd->u.sku);
    w->cause = "manual re-run";
    oms__repeg(w, item, OMS_NONE);
    w->cause = NULL;
    cmd->status = 200;
    cmd->result_index = item;
    return OMS_OK;
}
