/*
 * apply_subscription.c - a back-in-stock notice request (rule 7): a contact asks to hear once
 * when an item is sellable again on a channel. One waiting subscription per (item, channel,
 * contact): asking again while it waits returns the same one. Any status may be subscribed to,
 * a backorderable one too (B38); a subscription made while the item is in stock waits for the
 * next rise, like every other (notices.h).
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "engine/notices.h"
#include "engine/writer.h"

enum oms_err oms__apply_subscribe(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_subscribe *c = &cmd->u.subscribe;
    uint32_t item = oms_state_item(state, c->sku);
    if (item == OMS_NONE) return oms__fail(cmd, OMS_EINVAL, "sku", "no item '%s'", c->sku);
    uint32_t channel = oms_state_channel(state, c->channel);
    if (channel == OMS_NONE) {
        return oms__fail(cmd, OMS_EINVAL, "channel", "no channel '%s'", c->channel);
    }
    uint32_t existing = oms__notices_find_waiting(w, item, channel, c->contact);
    if (existing != OMS_NONE) {
        cmd->status = 200;
        cmd->result_index = existing;
        return OMS_OK;
    }
    if (oms__notices_waiting_count(w, item) >= OMS_SUBSCRIPTIONS_WAITING_MAX) {
        return oms__fail(cmd, OMS_ELIMIT, "sku",
                         "item '%s' has %d waiting subscriptions (subscriptions_waiting_max)",
                         c->sku, OMS_SUBSCRIPTIONS_WAITING_MAX);
    }
    oms_grow((void **)&state->subscriptions, &state->subscriptions_cap,
             state->subscriptions_count + 1, sizeof *state->subscriptions);
    uint32_t index = state->subscriptions_count++;
    state->subscriptions[index] = (struct oms_subscription){
        .item = item,
        .channel = channel,
        .contact = oms_strdup(c->contact),
        .created_ms = w->at_ms,
    };
    oms__must(oms_store_save_subscription(w->store, state, index), "save a subscription");
    oms__notices_add_waiting(w, index);
    cmd->status = 201;
    cmd->result_index = index;
    return OMS_OK;
}
