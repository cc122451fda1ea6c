/*
 * channel_rules.c - a channel's rules for one item (buffer, cap, floor: core/channel.h): the
 * PUT that sets them and the cap counters. A cap counts the units the channel accepted
 * (allocated, backordered or shipped: oms_line_accepted, the units from an order's hold
 * included) of the item in orders the engine learned of in the current period (local day, ISO
 * week or calendar month at the channel's first location), less what was cancelled of those
 * orders. The counters are derived from the orders, never stored: at
 * start and whenever what a period means changes, they are counted again.
 */
#include "base/platform.h"

#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "engine/tz.h"
#include "engine/writer.h"

/* The channel's local day of an instant: where its caps count. */
static oms_day channel_day_of(const struct oms_writer *w, uint32_t channel, int64_t ms)
{
    uint32_t first = w->state.channels[channel].first_location;
    if (first != OMS_NONE && w->tz[first]) return oms_tz_day(w->tz[first], ms);
    return (oms_day)(ms / 86400000);
}

/* Moves the counter to the current period: a new period starts from 0. */
static void roll(struct oms_channel_rule *rule, oms_day today)
{
    oms_day start = oms_period_start(today, rule->cap_period);
    if (rule->sold_period == start) return;
    rule->sold_period = start;
    rule->sold = 0;
}

oms_qty oms__cap_follow(struct oms_writer *w, uint32_t index, oms_qty before)
{
    const struct oms_line *line = &w->state.lines[index];
    oms_qty now = oms_line_accepted(line);
    oms_qty units = now - before;
    /* A dry run's cancellations are put back. */
    if (w->dry_run || units == 0 || line->item == OMS_NONE) return now;
    const struct oms_order *order = &w->state.orders[line->order];
    struct oms_channel_rule *rule = oms_item_rule(&w->state.items[line->item], order->channel);
    if (!rule || !(rule->set & OMS_RULE_CAP)) return now;
    oms_day today = oms_state_channel_today(&w->state, order->channel);
    roll(rule, today);
    oms_day placed = channel_day_of(w, order->channel, order->created_ms);
    if (oms_period_start(placed, rule->cap_period) != rule->sold_period) return now;
    rule->sold += units;
    OMS_ASSERT(rule->sold >= 0);
    oms__mark_dirty(w, line->item); /* The cap left moved: the index and statuses follow. */
    return now;
}

void oms__cap_recount(struct oms_writer *w)
{
    struct oms_state *state = &w->state;
    oms_day earliest = OMS_DAY_NONE;
    for (uint32_t i = 0; i < state->items_count; i++) {
        struct oms_item *item = &state->items[i];
        for (uint32_t r = 0; r < item->rules_count; r++) {
            struct oms_channel_rule *rule = &item->rules[r];
            if (!(rule->set & OMS_RULE_CAP)) continue;
            rule->sold_period = OMS_DAY_NONE;
            roll(rule, oms_state_channel_today(state, rule->channel));
            if (earliest == OMS_DAY_NONE || rule->sold_period < earliest) {
                earliest = rule->sold_period;
            }
        }
    }
    if (earliest == OMS_DAY_NONE) return;
    /* Orders are appended in the order the engine learned of them and the clock never runs
     * backwards: walking back, the first order a day before every period ends the walk (a
     * day of margin covers the zones' offsets from UTC). */
    for (uint32_t o = state->orders_count; o > 0; o--) {
        const struct oms_order *order = &state->orders[o - 1];
        if ((oms_day)(order->created_ms / 86400000) < earliest - 1) break;
        oms_day placed = channel_day_of(w, order->channel, order->created_ms);
        for (uint32_t k = 0; k < order->lines_count; k++) {
            const struct oms_line *line = &state->lines[order->first_line + k];
            if (line->item == OMS_NONE) continue;
            struct oms_channel_rule *rule = oms_item_rule(&state->items[line->item], order->channel);
            if (!rule || !(rule->set & OMS_RULE_CAP)) continue;
            if (oms_period_start(placed, rule->cap_period) != rule->sold_period) continue;
            rule->sold += oms_line_accepted(line);
        }
    }
}

/* Sets the fields present, removes the fields sent as null. */
static void apply_fields(struct oms_channel_rule *rule, const struct oms_cmd_channel_item *c)
{
    rule->set &= ~c->cleared;
    rule->set |= c->fields;
    if (c->fields & OMS_RULE_BUFFER) rule->buffer = c->buffer;
    if (c->fields & OMS_RULE_BUFFER_PERCENT) rule->buffer_percent = c->buffer_percent;
    if (c->fields & OMS_RULE_CAP) {
        rule->cap_qty = c->cap_qty;
        rule->cap_period = c->cap_period;
    }
    if (c->fields & OMS_RULE_FLOOR) rule->floor = c->floor;
    if (!(rule->set & OMS_RULE_BUFFER)) rule->buffer = 0;
    if (!(rule->set & OMS_RULE_BUFFER_PERCENT)) rule->buffer_percent = 0;
    if (!(rule->set & OMS_RULE_CAP)) {
        /* All of the cap goes, its counter too: a reload knows nothing of a cap removed, and
         * a cap set again is counted again from the orders. */
        rule->cap_qty = 0;
        rule->cap_period = OMS_PERIOD_DAY;
        rule->sold = 0;
        rule->sold_period = OMS_DAY_NONE;
    }
    if (!(rule->set & OMS_RULE_FLOOR)) rule->floor = 0;
}

enum oms_err oms__apply_put_channel_item(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_channel_item *c = &cmd->u.channel_item;
    OMS_ASSERT((c->fields & c->cleared) == 0);
    uint32_t channel = oms_state_channel(state, c->channel);
    if (channel == OMS_NONE) {
        return oms__fail(cmd, OMS_ENOTFOUND, NULL, "no channel '%s'", c->channel);
    }
    uint32_t index = oms_state_item(state, c->sku);
    if (index == OMS_NONE) return oms__fail(cmd, OMS_ENOTFOUND, NULL, "no item '%s'", c->sku);
    struct oms_item *item = &state->items[index];
    const struct oms_channel_rule *before = oms_item_rule(item, channel);
    bool recount = (c->fields & OMS_RULE_CAP) &&
                   (!before || !(before->set & OMS_RULE_CAP) ||
                    before->cap_period != c->cap_period);
    struct oms_channel_rule *rule = oms_item_rule_put(item, channel);
    apply_fields(rule, c);
    if (rule->set == 0) oms_item_rule_remove(item, channel);
    oms__must(oms_store_save_rule(w->store, state, index, channel), "save a channel rule");
    if (recount) oms__cap_recount(w);
    /* Buffers and floors change what waiting lines may take: the item's queue runs again
     * (rule 3), and its statuses on every channel are evaluated after the command. */
    w->cause = "channel rules changed";
    if (item->queue_count > 0) oms__repeg(w, index, OMS_NONE);
    oms__mark_dirty(w, index);
    w->cause = NULL;
    cmd->status = 200;
    cmd->result_index = index;
    return OMS_OK;
}
