/*
 * index.c - snapshots of items and master data for the read path; see index.h.
 * An item snapshot holds free stock per location, the residual of its open supply (what the
 * waiting queue has not pegged) and the lead-time budget left, so a read answers rule 1 with
 * the same pure plan the writer uses, as if a new line of `want` units were placed now.
 */
#include "base/platform.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/strmap.h"
#include "core/calendar.h"
#include "core/channel.h"
#include "core/plan.h"
#include "core/stock.h"
#include "engine/index.h"

/* Units of a supply (or of lead time: slot -1) that waiting lines of one channel priority
 * hold. A new order may take what lower-priority lines hold (rule 2), so what is left for it
 * depends on its channel's priority. */
struct snap_held {
    int32_t priority;
    int32_t slot;
    oms_qty qty;
};

struct snap_item {
    char *sku;
    enum oms_policy policy;
    bool allow_split;
    int32_t lead_time_days;
    oms_qty backorder_limit; /* -1: none. */
    struct snap_held *held;
    uint32_t held_count;
    oms_qty low_stock_threshold, min_order_qty;
    oms_day release_day;
    oms_qty free[OMS_LOCATIONS_MAX];
    uint32_t supplies_count;
    struct oms_plan_supply supplies[OMS_SUPPLIES_MAX];
    struct oms_channel_rule *rules; /* The item's channel rules (a copy); NULL when none. */
    uint32_t rules_count;
};

struct snap_location {
    char code[OMS_CODE_BYTES_MAX + 1];
    struct oms_plan_location plan; /* free unset. */
    oms_day today;
    int32_t handling_days;
    uint32_t working_mask;
};

struct snap_channel {
    char code[OMS_CODE_BYTES_MAX + 1];
    uint64_t visible; /* Where it ships from (stores left out when it excludes them). */
    uint64_t listed;  /* Every location it lists: click-and-collect may use any of them. */
    uint32_t first_location;
    oms_qty buffer;
    int32_t buffer_percent;
    bool allow_backorder;
    int32_t priority;
};

struct oms_index {
    pthread_rwlock_t lock;
    struct snap_location locations[OMS_LOCATIONS_MAX];
    uint32_t locations_count;
    struct snap_channel channels[OMS_CHANNELS_MAX];
    uint32_t channels_count;
    char **regions;
    uint32_t regions_count;
    struct oms_strmap region_by_name;
    /* The region distance table, compact: table_count rows of table_count cells. */
    uint32_t *region_rows;
    uint32_t region_rows_count;
    int32_t *cells;
    uint32_t table_count;
    struct snap_item **items;
    uint32_t items_count, items_cap;
    struct oms_strmap item_by_sku;
    int64_t clock_ms;
};

static void snap_item_free(struct snap_item *s)
{
    if (!s) return;
    free(s->sku);
    free(s->held);
    free(s->rules);
    free(s);
}

struct oms_index *oms_index_new(void)
{
    struct oms_index *index = calloc(1, sizeof *index);
    OMS_ASSERT(index != NULL);
    OMS_ASSERT(pthread_rwlock_init(&index->lock, NULL) == 0);
    oms_strmap_init(&index->item_by_sku);
    oms_strmap_init(&index->region_by_name);
    return index;
}

void oms_index_free(struct oms_index *index)
{
    if (!index) return;
    for (uint32_t i = 0; i < index->items_count; i++) {
        snap_item_free(index->items[i]);
    }
    free(index->items);
    for (uint32_t i = 0; i < index->regions_count; i++) free(index->regions[i]);
    free(index->regions);
    free(index->region_rows);
    free(index->cells);
    oms_strmap_release(&index->item_by_sku);
    oms_strmap_release(&index->region_by_name);
    pthread_rwlock_destroy(&index->lock);
    free(index);
}

static void fill_location(const struct oms_location *l, struct snap_location *s)
{
    snprintf(s->code, sizeof s->code, "%s", l->code);
    s->plan = (struct oms_plan_location){0, l->priority, l->rank, l->region_id, l->ship_day};
    s->today = l->today;
    s->handling_days = l->handling_days;
    s->working_mask = l->working_mask;
}

static void fill_channel(const struct oms_channel *c, struct snap_channel *s)
{
    snprintf(s->code, sizeof s->code, "%s", c->code);
    s->visible = c->ships;
    s->listed = c->visible;
    s->first_location = c->first_location;
    s->buffer = c->buffer;
    s->buffer_percent = c->buffer_percent;
    s->allow_backorder = c->allow_backorder;
    s->priority = c->priority;
}

/* The distance table, rows and cells, sized to what the merchant configured. */
static void copy_table(struct oms_index *index, const struct oms_state *state)
{
    uint32_t n = state->table_regions_count;
    free(index->region_rows);
    free(index->cells);
    index->region_rows = NULL;
    index->cells = NULL;
    index->region_rows_count = state->region_rows_count;
    index->table_count = n;
    if (state->region_rows_count > 0) {
        index->region_rows = malloc(state->region_rows_count * sizeof *index->region_rows);
        OMS_ASSERT(index->region_rows != NULL);
        memcpy(index->region_rows, state->region_rows,
               state->region_rows_count * sizeof *index->region_rows);
    }
    if (n > 0) {
        index->cells = malloc((size_t)n * n * sizeof *index->cells);
        OMS_ASSERT(index->cells != NULL);
        for (uint32_t a = 0; a < n; a++) {
            memcpy(&index->cells[(size_t)a * n], &state->distances[(size_t)a * OMS_REGIONS_MAX],
                   n * sizeof *index->cells);
        }
    }
}

static void copy_master(struct oms_index *index, const struct oms_state *state)
{
    index->locations_count = state->locations_count;
    for (uint32_t i = 0; i < state->locations_count; i++) {
        fill_location(&state->locations[i], &index->locations[i]);
    }
    index->channels_count = state->channels_count;
    for (uint32_t i = 0; i < state->channels_count; i++) {
        fill_channel(&state->channels[i], &index->channels[i]);
    }
    for (uint32_t i = index->regions_count; i < state->regions_count; i++) {
        uint32_t cap = index->regions_count;
        oms_grow((void **)&index->regions, &cap, i + 1, sizeof(char *));
        index->regions[i] = oms_strdup(state->regions[i]);
        oms_strmap_put(&index->region_by_name, index->regions[i], i);
        index->regions_count = i + 1;
    }
    copy_table(index, state);
    index->clock_ms = state->clock_ms;
}

static oms_day supply_promise(const struct oms_state *state, const struct oms_supply *supply)
{
    const struct oms_location *location = &state->locations[supply->location];
    oms_day from = supply->expected_day > location->today ? supply->expected_day : location->today;
    return oms_day_add_working(from, location->handling_days, location->working_mask);
}

/* Fills s (zeroed by the caller) from the model; s->sku is left to the caller. */
static int32_t line_priority_at(const struct oms_state *state, const struct oms_item *item,
                                uint32_t q)
{
    const struct oms_line *line = &state->lines[item->queue[q]];
    return state->channels[state->orders[line->order].channel].priority;
}

static void fill_item(const struct oms_state *state, uint32_t i, struct snap_item *s)
{
    const struct oms_item *item = &state->items[i];
    s->policy = item->policy;
    s->allow_split = item->allow_split;
    s->lead_time_days = item->lead_time_days;
    s->low_stock_threshold = item->low_stock_threshold;
    s->min_order_qty = item->min_order_qty;
    s->release_day = item->release_day;
    for (uint32_t l = 0; l < state->locations_count; l++) {
        s->free[l] = oms_stock_free(&item->levels[l]);
    }
    s->backorder_limit = item->backorder_limit;
    if (item->rules_count > 0) {
        s->rules = malloc(item->rules_count * sizeof *s->rules);
        OMS_ASSERT(s->rules != NULL);
        memcpy(s->rules, item->rules, item->rules_count * sizeof *s->rules);
        s->rules_count = item->rules_count;
    }
    uint32_t model_index[OMS_SUPPLIES_MAX];
    for (uint32_t k = 0; k < item->supplies_count; k++) {
        const struct oms_supply *supply = &state->supplies[item->supplies[k]];
        oms_qty open = supply->qty - supply->received;
        if (open <= 0) continue;
        struct oms_plan_supply entry = {supply->location, open, supply_promise(state, supply)};
        uint32_t at = s->supplies_count++;
        while (at > 0 && s->supplies[at - 1].promise_day > entry.promise_day) {
            s->supplies[at] = s->supplies[at - 1];
            model_index[at] = model_index[at - 1];
            at--;
        }
        s->supplies[at] = entry;
        model_index[at] = item->supplies[k];
    }
    /* What waiting lines hold, by their channel's priority. When every open line has one
     * priority (one channel, or channels of equal rank: the usual case) the totals kept on
     * the supply lines and the item say it without walking the queue. */
    uint32_t held_cap = 0;
    if (item->backordered > 0 && line_priority_at(state, item, 0) ==
                                     line_priority_at(state, item, item->queue_count - 1)) {
        int32_t priority = line_priority_at(state, item, 0);
        oms_qty on_supply = 0;
        oms_grow((void **)&s->held, &held_cap, s->supplies_count + 1, sizeof *s->held);
        for (uint32_t k = 0; k < s->supplies_count; k++) {
            oms_qty pegged = state->supplies[model_index[k]].pegged;
            on_supply += pegged;
            if (pegged > 0) s->held[s->held_count++] = (struct snap_held){priority, (int32_t)k, pegged};
        }
        /* Pegs on supply lines not open any more are gone by the invariant (pegged == 0). */
        oms_qty on_lead = item->backordered - on_supply;
        if (on_lead > 0) s->held[s->held_count++] = (struct snap_held){priority, -1, on_lead};
        return;
    }
    for (uint32_t q = 0; item->backordered > 0 && q < item->queue_count; q++) {
        const struct oms_line *line = &state->lines[item->queue[q]];
        int32_t priority = state->channels[state->orders[line->order].channel].priority;
        for (uint32_t p = 0; p < line->pegs_count; p++) {
            int32_t slot = -1;
            for (uint32_t k = 0; k < s->supplies_count && line->pegs[p].supply != OMS_NONE; k++) {
                if (model_index[k] == line->pegs[p].supply) slot = (int32_t)k;
            }
            if (slot < 0 && line->pegs[p].supply != OMS_NONE) continue; /* Not open any more. */
            uint32_t h = 0;
            while (h < s->held_count && !(s->held[h].priority == priority && s->held[h].slot == slot)) {
                h++;
            }
            if (h == s->held_count) {
                oms_grow((void **)&s->held, &held_cap, s->held_count + 1, sizeof *s->held);
                s->held[s->held_count++] = (struct snap_held){priority, slot, 0};
            }
            s->held[h].qty += line->pegs[p].qty;
        }
    }
}

static struct snap_item *snapshot(const struct oms_state *state, uint32_t i)
{
    struct snap_item *s = calloc(1, sizeof *s);
    OMS_ASSERT(s != NULL);
    fill_item(state, i, s);
    s->sku = oms_strdup(state->items[i].sku);
    return s;
}

void oms_index_update(struct oms_index *index, const struct oms_state *state, bool master,
                      const uint32_t *items, uint32_t items_count)
{
    /* Build outside the lock; swap inside it. */
    struct snap_item **fresh = calloc(items_count ? items_count : 1, sizeof *fresh);
    OMS_ASSERT(fresh != NULL);
    for (uint32_t k = 0; k < items_count; k++) fresh[k] = snapshot(state, items[k]);
    OMS_ASSERT(pthread_rwlock_wrlock(&index->lock) == 0);
    if (master) copy_master(index, state);
    index->clock_ms = state->clock_ms;
    oms_grow((void **)&index->items, &index->items_cap, state->items_count, sizeof *index->items);
    for (uint32_t i = index->items_count; i < state->items_count; i++) index->items[i] = NULL;
    if (state->items_count > index->items_count) index->items_count = state->items_count;
    for (uint32_t k = 0; k < items_count; k++) {
        struct snap_item *old = index->items[items[k]];
        index->items[items[k]] = fresh[k];
        /* The map borrows the key: point it at the new snapshot's copy of the SKU. */
        oms_strmap_put(&index->item_by_sku, fresh[k]->sku, items[k]);
        fresh[k] = old; /* Freed below, outside the lock. */
    }
    pthread_rwlock_unlock(&index->lock);
    for (uint32_t k = 0; k < items_count; k++) {
        snap_item_free(fresh[k]);
    }
    free(fresh);
}

static uint32_t find_channel(const struct oms_index *index, const char *code)
{
    for (uint32_t i = 0; i < index->channels_count; i++) {
        if (strcmp(index->channels[i].code, code) == 0) return i;
    }
    return OMS_NONE;
}

/* What answer() reads of the locations: the index's copy, or one made from the model. */
struct snap_view {
    const struct snap_location *locations;
    uint32_t locations_count;
    const struct snap_channel *channels; /* Every channel: their floors need where they ship. */
    uint32_t channels_count;
    int64_t clock_ms;
    const struct oms_region_table *regions; /* Distances between regions; NULL: none. */
};

/* The channel's limits for the item (core/channel.h), as the writer's plan sees them. */
static void limits_of(const struct snap_view *index, uint32_t channel_index,
                      const struct snap_item *item, oms_day today, struct oms_floor *floors,
                      struct oms_channel_limits *out)
{
    const struct snap_channel *channel = &index->channels[channel_index];
    uint64_t ships[OMS_CHANNELS_MAX];
    for (uint32_t c = 0; c < index->channels_count; c++) ships[c] = index->channels[c].visible;
    struct oms_channel_defaults defaults = {channel->visible, channel->buffer,
                                            channel->buffer_percent};
    oms_channel_limits_of(item->rules, item->rules_count, channel_index, &defaults, ships,
                          index->channels_count, today, floors, out);
}

/* Rule 1 for `want` units, as a new line of the channel would be planned now; for
 * click-and-collect (collect != OMS_NONE) at that one location only. */
static void answer(const struct snap_view *index, uint32_t channel_index,
                   const struct snap_item *item, oms_qty want, uint32_t region, uint32_t collect,
                   struct oms_availability *out)
{
    const struct snap_channel *channel = &index->channels[channel_index];
    uint64_t visible = collect != OMS_NONE ? (uint64_t)1 << collect : channel->visible;
    struct oms_plan_location locations[OMS_LOCATIONS_MAX];
    struct oms_plan_supply supplies[OMS_SUPPLIES_MAX];
    out->locations_count = 0;
    for (uint32_t l = 0; l < index->locations_count; l++) {
        locations[l] = index->locations[l].plan;
        locations[l].free = item->free[l];
        if ((visible >> l) & 1u) {
            uint32_t k = out->locations_count++;
            snprintf(out->locations[k].code, sizeof out->locations[k].code, "%s",
                     index->locations[l].code);
            out->locations[k].available = item->free[l] > 0 ? item->free[l] : 0;
        }
    }
    memcpy(supplies, item->supplies, item->supplies_count * sizeof *supplies);
    /* What lines of equal or higher priority hold is not this channel's to take (rule 2). */
    oms_qty lead_held = 0;
    for (uint32_t h = 0; h < item->held_count; h++) {
        const struct snap_held *held = &item->held[h];
        if (held->priority > channel->priority) continue;
        if (held->slot < 0) {
            lead_held += held->qty;
        } else {
            oms_qty *open = &supplies[held->slot].open;
            *open = *open > held->qty ? *open - held->qty : 0;
        }
    }
    oms_qty lead_budget = item->backorder_limit < 0 ? OMS_QTY_MAX
                          : item->backorder_limit > lead_held ? item->backorder_limit - lead_held
                                                              : 0;
    uint32_t where = collect != OMS_NONE ? collect : channel->first_location;
    const struct snap_location *first = where == OMS_NONE ? NULL : &index->locations[where];
    oms_day today = first && first->today != OMS_DAY_NONE ? first->today
                                                          : (oms_day)(index->clock_ms / 86400000);
    struct oms_floor floors[OMS_CHANNELS_MAX];
    struct oms_channel_limits limits;
    limits_of(index, channel_index, item, today, floors, &limits);
    limits.visible = visible; /* Collecting: that location alone, under the channel's rules. */
    out->available = oms_channel_available_with(item->free, index->locations_count, &limits);
    bool unreleased = item->policy == OMS_POLICY_PREORDER && item->release_day != OMS_DAY_NONE &&
                      today < item->release_day;
    int32_t lead = item->lead_time_days > 0 ? item->lead_time_days : 0;
    struct oms_plan_item plan_item = {
        .allow_split = item->allow_split,
        .backorderable = item->policy != OMS_POLICY_DENY,
        .unreleased = unreleased,
        .release_promise_day =
            item->release_day == OMS_DAY_NONE || !first
                ? item->release_day
                : oms_day_add_working(item->release_day, first->handling_days, first->working_mask),
        .has_lead_time = item->lead_time_days >= 0,
        .lead_budget = lead_budget,
        .min_order_qty = item->min_order_qty,
    };
    struct oms_plan_line line = {
        .visible = visible,
        .region = region,
        .regions = index->regions,
        .collect = collect != OMS_NONE,
        .need = want,
        .is_new = true,
        .channel_backorder = channel->allow_backorder,
        .lead_day = first ? oms_day_add_working(today + lead, first->handling_days,
                                                first->working_mask)
                          : today + lead,
        .buffer = limits.buffer,
        .buffer_percent = limits.buffer_percent,
        .floors = limits.floors,
        .floors_count = limits.floors_count,
        .capped = limits.cap_left != OMS_QTY_MAX,
        .cap_left = limits.cap_left,
    };
    struct oms_plan_result result;
    oms_plan_line(&plan_item, locations, index->locations_count, supplies, item->supplies_count,
                  &line, &result);
    oms_qty allocated = 0;
    for (uint32_t i = 0; i < result.allocs_count; i++) allocated += result.allocs[i].qty;
    struct oms_avail_query query = {
        .cannot_allocate = allocated < want,
        .want = want,
        .available = out->available,
        .low_stock_threshold = item->low_stock_threshold,
        .unreleased = unreleased,
        .backorder_covers = result.rejected == 0 && result.pegs_count > 0,
    };
    out->status = oms_avail_status_for(&query);
    out->promise_day = result.rejected == 0 ? result.promise_day : OMS_DAY_NONE;
    out->release_day = unreleased ? item->release_day : OMS_DAY_NONE;
}

static uint32_t find_location(const struct oms_index *index, const char *code)
{
    for (uint32_t i = 0; i < index->locations_count; i++) {
        if (strcmp(index->locations[i].code, code) == 0) return i;
    }
    return OMS_NONE;
}

enum oms_err oms_index_query(struct oms_index *index, const char *channel_code, const char *sku,
                             oms_qty want, const char *region, const char *collect,
                             struct oms_availability *out)
{
    OMS_ASSERT(want > 0 && want <= OMS_QTY_MAX);
    memset(out, 0, sizeof *out);
    out->promise_day = OMS_DAY_NONE;
    out->release_day = OMS_DAY_NONE;
    OMS_ASSERT(pthread_rwlock_rdlock(&index->lock) == 0);
    enum oms_err err = OMS_OK;
    uint32_t channel = find_channel(index, channel_code);
    uint32_t item = OMS_NONE;
    uint32_t at = collect ? find_location(index, collect) : OMS_NONE;
    if (channel == OMS_NONE) {
        err = OMS_ENOTFOUND;
    } else if (collect && (at == OMS_NONE || !((index->channels[channel].listed >> at) & 1u))) {
        err = OMS_EINVAL;
    } else if (!oms_strmap_get(&index->item_by_sku, sku, &item) || !index->items[item]) {
        out->status = OMS_AVAIL_UNKNOWN_SKU;
    } else {
        uint32_t region_id = OMS_NONE;
        if (region) (void)oms_strmap_get(&index->region_by_name, region, &region_id);
        struct oms_region_table table = {index->region_rows, index->region_rows_count,
                                         index->cells, index->table_count};
        struct snap_view view = {index->locations, index->locations_count, index->channels,
                                 index->channels_count, index->clock_ms, &table};
        answer(&view, channel, index->items[item], want, region_id, at, out);
    }
    pthread_rwlock_unlock(&index->lock);
    return err;
}

void oms_index_statuses(const struct oms_state *state, uint32_t item,
                        struct oms_channel_status *out)
{
    OMS_ASSERT(item < state->items_count);
    OMS_ASSERT(state->locations_count <= OMS_LOCATIONS_MAX);
    struct snap_location locations[OMS_LOCATIONS_MAX];
    for (uint32_t l = 0; l < state->locations_count; l++) {
        fill_location(&state->locations[l], &locations[l]);
    }
    struct snap_item snap;
    memset(&snap, 0, sizeof snap);
    fill_item(state, item, &snap);
    struct snap_channel channels[OMS_CHANNELS_MAX];
    for (uint32_t c = 0; c < state->channels_count; c++) fill_channel(&state->channels[c], &channels[c]);
    /* No destination region: distances cannot tell locations apart here. */
    struct snap_view view = {locations, state->locations_count, channels, state->channels_count,
                             state->clock_ms, NULL};
    for (uint32_t c = 0; c < state->channels_count; c++) {
        struct oms_availability a;
        answer(&view, c, &snap, 1, OMS_NONE, OMS_NONE, &a);
        out[c] = (struct oms_channel_status){.status = a.status, .available = a.available};
    }
    free(snap.held);
    free(snap.rules);
}
