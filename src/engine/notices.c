/*
 * notices.c - item.status_changed and back-in-stock waves (rule 7), decided per command on
 * the writer thread; see notices.h for the rules and the choice of per command over per batch.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "engine/index.h"
#include "engine/notices.h"
#include "engine/writer.h"

struct published {
    uint8_t status; /* enum oms_avail_status. */
    bool sellable;
    bool known;     /* False until the pair's first evaluation (a new item or channel). */
};

struct item_notices {
    struct published *published; /* One per channel, published_count of them so far. */
    uint32_t published_count;
    uint32_t *waiting; /* Subscriptions not notified yet, oldest first. */
    uint32_t waiting_count, waiting_cap;
    bool changed; /* In the current command's changed list. */
};

/* What rule 1 reads of master data, for items the command did not touch: when any of it moves
 * (a location or channel edit, a new local day), every item is evaluated again. */
struct master_sig {
    uint32_t locations_count, channels_count;
    int64_t clock_day;
    struct {
        int32_t priority, handling_days;
        uint32_t rank, region_id, working_mask;
        oms_day today, ship_day;
    } locations[OMS_LOCATIONS_MAX];
    struct {
        uint64_t visible, ships;
        oms_qty buffer;
        int32_t buffer_percent;
        uint32_t first_location;
        int32_t priority; /* What a channel's new line may take of what waiting lines hold. */
        bool allow_backorder;
    } channels[OMS_CHANNELS_MAX];
};

struct oms_notices {
    struct item_notices *items;
    uint32_t items_count; /* Allocated entries (>= every item touched so far). */
    uint32_t *changed;    /* Items the current command touched, in first-touch order. */
    uint32_t changed_count, changed_cap;
    struct master_sig sig;
    struct oms_channel_status statuses[OMS_CHANNELS_MAX]; /* Scratch for one item. */
};

static void grow_items(struct oms_notices *n, uint32_t need)
{
    if (need <= n->items_count) return;
    uint32_t old = n->items_count, cap = old;
    oms_grow((void **)&n->items, &cap, need, sizeof *n->items);
    memset(n->items + old, 0, (cap - old) * sizeof *n->items);
    n->items_count = cap;
}

static struct published *published_of(struct oms_notices *n, uint32_t item, uint32_t channel)
{
    OMS_ASSERT(channel < OMS_CHANNELS_MAX);
    grow_items(n, item + 1);
    struct item_notices *in = &n->items[item];
    if (channel >= in->published_count) {
        uint32_t old = in->published_count, cap = old;
        oms_grow((void **)&in->published, &cap, channel + 1, sizeof *in->published);
        memset(in->published + old, 0, (cap - old) * sizeof *in->published);
        in->published_count = cap;
    }
    return &in->published[channel];
}

static void sign_master(const struct oms_state *state, struct master_sig *sig)
{
    /* Only the entries in use are written, padding included: same_master() compares those
     * (zeroing and comparing all 64 + 64 entries cost 1,200 instructions per command). */
    sig->locations_count = state->locations_count;
    sig->channels_count = state->channels_count;
    sig->clock_day = state->clock_ms / 86400000;
    OMS_ASSERT(state->locations_count <= OMS_LOCATIONS_MAX);
    OMS_ASSERT(state->channels_count <= OMS_CHANNELS_MAX);
    memset(sig->locations, 0, state->locations_count * sizeof sig->locations[0]);
    memset(sig->channels, 0, state->channels_count * sizeof sig->channels[0]);
    for (uint32_t i = 0; i < state->locations_count; i++) {
        const struct oms_location *l = &state->locations[i];
        sig->locations[i].priority = l->priority;
        sig->locations[i].handling_days = l->handling_days;
        sig->locations[i].rank = l->rank;
        sig->locations[i].region_id = l->region_id;
        sig->locations[i].working_mask = l->working_mask;
        sig->locations[i].today = l->today;
        sig->locations[i].ship_day = l->ship_day;
    }
    for (uint32_t i = 0; i < state->channels_count; i++) {
        const struct oms_channel *c = &state->channels[i];
        sig->channels[i].visible = c->visible;
        sig->channels[i].ships = c->ships;
        sig->channels[i].buffer = c->buffer;
        sig->channels[i].buffer_percent = c->buffer_percent;
        sig->channels[i].first_location = c->first_location;
        sig->channels[i].priority = c->priority;
        sig->channels[i].allow_backorder = c->allow_backorder;
    }
}

static bool same_master(const struct master_sig *a, const struct master_sig *b)
{
    return a->locations_count == b->locations_count && a->channels_count == b->channels_count &&
           a->clock_day == b->clock_day &&
           memcmp(a->locations, b->locations, a->locations_count * sizeof a->locations[0]) == 0 &&
           memcmp(a->channels, b->channels, a->channels_count * sizeof a->channels[0]) == 0;
}

static void load_row(void *ctx, const struct oms_item_status_row *row)
{
    struct oms_writer *w = ctx;
    if (row->item >= w->state.items_count || row->channel >= w->state.channels_count ||
        row->status < 0 || row->status >= (int)OMS_AVAIL_UNKNOWN_SKU) {
        oms_log(OMS_LOG_WARN, "ignoring item_status row (item %u, channel %u, status %d):"
                              " the status is computed again",
                row->item, row->channel, row->status);
        return;
    }
    struct published *p = published_of(w->notices, row->item, row->channel);
    *p = (struct published){(uint8_t)row->status, row->sellable, true};
}

enum oms_err oms__notices_open(struct oms_writer *w)
{
    OMS_ASSERT(w->notices == NULL);
    w->notices = calloc(1, sizeof *w->notices);
    if (!w->notices) return OMS_ENOMEM;
    grow_items(w->notices, w->state.items_count);
    enum oms_err err = oms_store_list_item_status(w->store, load_row, w);
    for (uint32_t i = 0; !err && i < w->state.subscriptions_count; i++) {
        if (!w->state.subscriptions[i].notified) oms__notices_add_waiting(w, i);
    }
    return err;
}

static bool sellable(const struct oms_item *item, const struct oms_channel_status *s)
{
    return s->status != OMS_AVAIL_PREORDER && s->available >= item->min_order_qty;
}

void oms__notices_baseline(struct oms_writer *w)
{
    struct oms_notices *n = w->notices;
    for (uint32_t i = 0; i < w->state.items_count; i++) {
        oms_index_statuses(&w->state, i, n->statuses);
        for (uint32_t c = 0; c < w->state.channels_count; c++) {
            struct published *p = published_of(n, i, c);
            if (p->known) continue;
            *p = (struct published){(uint8_t)n->statuses[c].status,
                                    sellable(&w->state.items[i], &n->statuses[c]), true};
        }
    }
    sign_master(&w->state, &n->sig);
}

void oms__notices_free(struct oms_notices *notices)
{
    if (!notices) return;
    for (uint32_t i = 0; i < notices->items_count; i++) {
        free(notices->items[i].published);
        free(notices->items[i].waiting);
    }
    free(notices->items);
    free(notices->changed);
    free(notices);
}

void oms__notices_touch(struct oms_notices *n, uint32_t item)
{
    if (!n) return;
    grow_items(n, item + 1);
    if (n->items[item].changed) return;
    n->items[item].changed = true;
    oms_grow((void **)&n->changed, &n->changed_cap, n->changed_count + 1, sizeof *n->changed);
    n->changed[n->changed_count++] = item;
}

static void subscription_id(uint32_t index, char *out, size_t cap)
{
    snprintf(out, cap, "%s%u", OMS_SUBSCRIPTION_ID_PREFIX, index + 1);
}

static void emit_status(struct oms_writer *w, uint32_t item, uint32_t channel,
                        enum oms_avail_status old_status, const struct oms_channel_status *s)
{
    struct oms_jsonw json;
    oms_jsonw_begin(&json);
    oms_jsonw_str(&json, "sku", w->state.items[item].sku);
    oms_jsonw_str(&json, "channel", w->state.channels[channel].code);
    oms_jsonw_str(&json, "old_status", oms_avail_status_name(old_status));
    oms_jsonw_str(&json, "new_status", oms_avail_status_name(s->status));
    oms_jsonw_int(&json, "available", s->available);
    oms__emit(w, "item.status_changed", w->state.items[item].sku, oms_jsonw_end(&json));
}

static void notify(struct oms_writer *w, uint32_t index, oms_qty available)
{
    struct oms_subscription *sub = &w->state.subscriptions[index];
    OMS_ASSERT(!sub->notified);
    sub->notified = true;
    sub->notified_ms = w->at_ms;
    oms__must(oms_store_save_subscription(w->store, &w->state, index), "save a subscription");
    char id[32];
    subscription_id(index, id, sizeof id);
    struct oms_jsonw json;
    oms_jsonw_begin(&json);
    oms_jsonw_str(&json, "subscription", id);
    oms_jsonw_str(&json, "sku", w->state.items[sub->item].sku);
    oms_jsonw_str(&json, "channel", w->state.channels[sub->channel].code);
    oms_jsonw_str(&json, "contact", sub->contact);
    oms_jsonw_int(&json, "available", available);
    oms__emit(w, "item.back_in_stock", id, oms_jsonw_end(&json));
}

/* Rule 7's wave: the item became sellable on the channel with `available` units; the oldest
 * waiting subscriptions of that channel, as many as the units serve, are notified. */
static void wave(struct oms_writer *w, uint32_t item, uint32_t channel, oms_qty available)
{
    struct item_notices *in = &w->notices->items[item];
    oms_qty min_order_qty = w->state.items[item].min_order_qty;
    OMS_ASSERT(min_order_qty >= 1 && available >= min_order_qty);
    oms_qty serves = available / min_order_qty;
    uint32_t kept = 0;
    for (uint32_t k = 0; k < in->waiting_count; k++) {
        uint32_t index = in->waiting[k];
        if (serves > 0 && w->state.subscriptions[index].channel == channel) {
            notify(w, index, available);
            serves--;
        } else {
            in->waiting[kept++] = index;
        }
    }
    in->waiting_count = kept;
}

/* One (item, channel) pair: its event when the status flipped, its wave when it rose to
 * sellable, its row when either changed. */
static void publish(struct oms_writer *w, uint32_t item, uint32_t channel,
                    const struct oms_channel_status *s)
{
    struct published *p = published_of(w->notices, item, channel);
    bool now_sellable = sellable(&w->state.items[item], s);
    if (!p->known) {
        *p = (struct published){(uint8_t)s->status, now_sellable, true};
        return;
    }
    bool flipped = p->status != (uint8_t)s->status;
    bool rose = now_sellable && !p->sellable;
    if (!flipped && now_sellable == p->sellable) return;
    if (flipped) emit_status(w, item, channel, (enum oms_avail_status)p->status, s);
    *p = (struct published){(uint8_t)s->status, now_sellable, true};
    struct oms_item_status_row row = {item, channel, (int)s->status, s->available, now_sellable};
    oms__must(oms_store_save_item_status(w->store, &row), "save an item's published status");
    if (rose) wave(w, item, channel, s->available);
}

static void evaluate(struct oms_writer *w, uint32_t item)
{
    struct oms_notices *n = w->notices;
    oms_index_statuses(&w->state, item, n->statuses);
    for (uint32_t c = 0; c < w->state.channels_count; c++) publish(w, item, c, &n->statuses[c]);
}

void oms__notices_after_command(struct oms_writer *w)
{
    struct oms_notices *n = w->notices;
    OMS_ASSERT(n != NULL);
    OMS_ASSERT(!w->dry_run); /* A dry run's model is restored before this runs. */
    struct master_sig sig;
    sign_master(&w->state, &sig);
    if (!same_master(&sig, &n->sig)) {
        n->sig = sig;
        for (uint32_t i = 0; i < w->state.items_count; i++) evaluate(w, i);
    } else {
        for (uint32_t k = 0; k < n->changed_count; k++) evaluate(w, n->changed[k]);
    }
    for (uint32_t k = 0; k < n->changed_count; k++) n->items[n->changed[k]].changed = false;
    n->changed_count = 0;
}

uint32_t oms__notices_find_waiting(const struct oms_writer *w, uint32_t item, uint32_t channel,
                                   const char *contact)
{
    const struct oms_notices *n = w->notices;
    if (item >= n->items_count) return OMS_NONE;
    const struct item_notices *in = &n->items[item];
    for (uint32_t k = 0; k < in->waiting_count; k++) {
        const struct oms_subscription *sub = &w->state.subscriptions[in->waiting[k]];
        if (sub->channel == channel && strcmp(sub->contact, contact) == 0) return in->waiting[k];
    }
    return OMS_NONE;
}

uint32_t oms__notices_waiting_count(const struct oms_writer *w, uint32_t item)
{
    return item < w->notices->items_count ? w->notices->items[item].waiting_count : 0;
}

void oms__notices_add_waiting(struct oms_writer *w, uint32_t subscription)
{
    const struct oms_subscription *sub = &w->state.subscriptions[subscription];
    OMS_ASSERT(!sub->notified);
    grow_items(w->notices, sub->item + 1);
    struct item_notices *in = &w->notices->items[sub->item];
    if (in->waiting_count > 0) OMS_ASSERT(in->waiting[in->waiting_count - 1] < subscription);
    oms_grow((void **)&in->waiting, &in->waiting_cap, in->waiting_count + 1, sizeof(uint32_t));
    in->waiting[in->waiting_count++] = subscription;
}
