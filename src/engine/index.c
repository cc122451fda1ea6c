/*
 * index.c - snapshots of items and master data for the read path; see index.h, and
 * index_int.h for the layout and its memory bound.
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
#include "engine/index_int.h"

/* The writer's scratch copy of one item while it builds a snapshot (or answers statuses). */
struct snap_build {
    oms_qty free[OMS_LOCATIONS_MAX];
    struct oms_plan_supply supplies[OMS_SUPPLIES_MAX];
    uint32_t supplies_count;
    struct snap_held *held;
    uint32_t held_count, held_cap;
    const struct oms_channel_rule *rules; /* The model's, borrowed until pack() copies them. */
};

struct item_ref oms__snap_ref(const struct snap_item *s)
{
    const struct oms_plan_supply *supplies = (const struct oms_plan_supply *)(s->free + s->free_count);
    const struct snap_held *held = (const struct snap_held *)(supplies + s->supplies_count);
    return (struct item_ref){s, s->free, supplies, held,
                             (const struct oms_channel_rule *)(held + s->held_count)};
}

const char *oms__snap_sku(const struct snap_item *s)
{
    struct item_ref ref = oms__snap_ref(s);
    return (const char *)(ref.rules + s->rules_count);
}

static void snap_free(struct snap_item *s)
{
    if (!s) return;
    free(s->answers);
    free(s);
}

struct oms_index *oms_index_new(void)
{
    struct oms_index *index = calloc(1, sizeof *index);
    OMS_ASSERT(index != NULL);
    /* Writers first: readers hold the lock for a whole request, and a steady stream of them
     * must not keep the writer from publishing (glibc prefers readers by default). */
    pthread_rwlockattr_t attr;
    OMS_ASSERT(pthread_rwlockattr_init(&attr) == 0);
    OMS_ASSERT(pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) == 0);
    OMS_ASSERT(pthread_rwlock_init(&index->lock, &attr) == 0);
    pthread_rwlockattr_destroy(&attr);
    oms_strmap_init(&index->region_by_name);
    oms__feed_init(index);
    return index;
}

void oms_index_free(struct oms_index *index)
{
    if (!index) return;
    for (uint32_t i = 0; i < index->items_count; i++) snap_free(index->items[i]);
    free(index->items);
    free(index->skus);
    for (uint32_t i = 0; i < index->regions_count; i++) free(index->regions[i]);
    free(index->regions);
    free(index->region_rows);
    free(index->cells);
    oms_strmap_release(&index->region_by_name);
    oms__feed_release(index);
    pthread_rwlock_destroy(&index->lock);
    free(index);
}

/* snprintf(out, cap, "%s", code) without the printf machinery (two per evaluated item). */
static void copy_code(char *out, size_t cap, const char *code)
{
    size_t n = strnlen(code, cap - 1);
    memcpy(out, code, n);
    out[n] = '\0';
}

static void fill_location(const struct oms_location *l, struct snap_location *s)
{
    memset(s, 0, sizeof *s); /* Padding too: the feed compares copies field by field. */
    copy_code(s->code, sizeof s->code, l->code);
    s->plan = (struct oms_plan_location){0, l->priority, l->rank, l->region_id, l->ship_day};
    s->today = l->today;
    s->handling_days = l->handling_days;
    s->working_mask = l->working_mask;
}

static void fill_channel(const struct oms_channel *c, struct snap_channel *s)
{
    memset(s, 0, sizeof *s);
    copy_code(s->code, sizeof s->code, c->code);
    s->visible = c->ships;
    s->listed = c->visible;
    s->first_location = c->first_location;
    s->buffer = c->buffer;
    s->buffer_percent = c->buffer_percent;
    s->allow_backorder = c->allow_backorder;
    s->priority = c->priority;
}

/* Master data as the index keeps it, built by the writer outside the lock. */
struct master_copy {
    struct snap_location locations[OMS_LOCATIONS_MAX];
    uint32_t locations_count;
    struct snap_channel channels[OMS_CHANNELS_MAX];
    uint32_t channels_count;
};

static void fill_master(const struct oms_state *state, struct master_copy *m)
{
    OMS_ASSERT(state->locations_count <= OMS_LOCATIONS_MAX);
    OMS_ASSERT(state->channels_count <= OMS_CHANNELS_MAX);
    m->locations_count = state->locations_count;
    for (uint32_t i = 0; i < state->locations_count; i++) {
        fill_location(&state->locations[i], &m->locations[i]);
    }
    m->channels_count = state->channels_count;
    for (uint32_t i = 0; i < state->channels_count; i++) {
        fill_channel(&state->channels[i], &m->channels[i]);
    }
}

/* What one batch changed, copied out of the writer's model by oms_index_prepare() and applied
 * later by oms_index_apply() on the publishing thread, which never reads the model: so the
 * writer can decide the next batch while this one waits for its sync. */
struct oms_index_change {
    int64_t clock_ms;
    uint32_t state_items_count;
    uint32_t *items;
    uint32_t items_count;
    struct snap_item **fresh;   /* fresh[k]: the snapshot of items[k]. */
    struct master_copy *master; /* NULL: master data did not change. */
    /* With master only: every region name, and the distance table, sized to what the
     * merchant configured (table_count rows of table_count cells). */
    char **regions;
    uint32_t regions_count;
    uint32_t *region_rows;
    uint32_t region_rows_count;
    int32_t *cells;
    uint32_t table_count;
};

static void copy_regions(const struct oms_state *state, struct oms_index_change *c)
{
    c->regions_count = state->regions_count;
    c->regions = calloc(state->regions_count ? state->regions_count : 1, sizeof *c->regions);
    OMS_ASSERT(c->regions != NULL);
    for (uint32_t i = 0; i < state->regions_count; i++) c->regions[i] = oms_strdup(state->regions[i]);
    uint32_t n = state->table_regions_count;
    c->region_rows_count = state->region_rows_count;
    c->table_count = n;
    if (state->region_rows_count > 0) {
        c->region_rows = malloc(state->region_rows_count * sizeof *c->region_rows);
        OMS_ASSERT(c->region_rows != NULL);
        memcpy(c->region_rows, state->region_rows,
               state->region_rows_count * sizeof *c->region_rows);
    }
    if (n > 0) {
        c->cells = malloc((size_t)n * n * sizeof *c->cells);
        OMS_ASSERT(c->cells != NULL);
        for (uint32_t a = 0; a < n; a++) {
            memcpy(&c->cells[(size_t)a * n], &state->distances[(size_t)a * OMS_REGIONS_MAX],
                   n * sizeof *c->cells);
        }
    }
}

/* Under the write lock (master data changes rarely): the change's copies move into the
 * index. */
static void copy_master(struct oms_index *index, struct oms_index_change *c)
{
    const struct master_copy *m = c->master;
    index->generation++;
    index->locations_count = m->locations_count;
    memcpy(index->locations, m->locations, m->locations_count * sizeof *m->locations);
    index->channels_count = m->channels_count;
    memcpy(index->channels, m->channels, m->channels_count * sizeof *m->channels);
    /* Regions are only ever added: the index keeps its names (the map points at them). */
    for (uint32_t i = index->regions_count; i < c->regions_count; i++) {
        uint32_t cap = index->regions_count;
        oms_grow((void **)&index->regions, &cap, i + 1, sizeof(char *));
        index->regions[i] = c->regions[i];
        c->regions[i] = NULL;
        oms_strmap_put(&index->region_by_name, index->regions[i], i);
        index->regions_count = i + 1;
    }
    free(index->region_rows);
    free(index->cells);
    index->region_rows = c->region_rows;
    index->region_rows_count = c->region_rows_count;
    index->cells = c->cells;
    index->table_count = c->table_count;
    c->region_rows = NULL;
    c->cells = NULL;
}

static void finish_counts(struct snap_item *head, const struct snap_build *s)
{
    OMS_ASSERT(s->supplies_count <= OMS_SUPPLIES_MAX);
    OMS_ASSERT(s->held_count <= UINT16_MAX);
    head->supplies_count = (uint8_t)s->supplies_count;
    head->held_count = (uint16_t)s->held_count;
}

static oms_day supply_promise(const struct oms_state *state, const struct oms_supply *supply)
{
    const struct oms_location *location = &state->locations[supply->location];
    oms_day from = supply->expected_day > location->today ? supply->expected_day : location->today;
    return oms_day_add_working(from, location->handling_days, location->working_mask);
}

static int32_t line_priority_at(const struct oms_state *state, const struct oms_item *item,
                                uint32_t q)
{
    const struct oms_line *line = &state->lines[item->queue[q]];
    return state->channels[state->orders[line->order].channel].priority;
}

/* Fills head and s (both zeroed by the caller) from the model; the SKU is left to pack(). */
static void fill_item(const struct oms_state *state, uint32_t i, struct snap_item *head,
                      struct snap_build *s)
{
    const struct oms_item *item = &state->items[i];
    OMS_ASSERT(item->supplies_count <= OMS_SUPPLIES_MAX);
    OMS_ASSERT(state->locations_count <= OMS_LOCATIONS_MAX);
    head->policy = (uint8_t)item->policy;
    head->allow_split = item->allow_split;
    head->lead_time_days = item->lead_time_days;
    head->low_stock_threshold = item->low_stock_threshold;
    head->min_order_qty = item->min_order_qty;
    head->release_day = item->release_day;
    head->free_count = (uint8_t)state->locations_count;
    for (uint32_t l = 0; l < state->locations_count; l++) {
        s->free[l] = oms_stock_free(&item->levels[l]);
    }
    head->backorder_limit = item->backorder_limit;
    OMS_ASSERT(item->rules_count <= OMS_CHANNELS_MAX);
    head->rules_count = (uint8_t)item->rules_count;
    s->rules = item->rules;
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
    if (item->backordered > 0 && line_priority_at(state, item, 0) ==
                                     line_priority_at(state, item, item->queue_count - 1)) {
        int32_t priority = line_priority_at(state, item, 0);
        oms_qty on_supply = 0;
        oms_grow((void **)&s->held, &s->held_cap, s->supplies_count + 1, sizeof *s->held);
        for (uint32_t k = 0; k < s->supplies_count; k++) {
            oms_qty pegged = state->supplies[model_index[k]].pegged;
            on_supply += pegged;
            if (pegged > 0) s->held[s->held_count++] = (struct snap_held){priority, (int32_t)k, pegged};
        }
        /* Pegs on supply lines not open any more are gone by the invariant (pegged == 0). */
        oms_qty on_lead = item->backordered - on_supply;
        if (on_lead > 0) s->held[s->held_count++] = (struct snap_held){priority, -1, on_lead};
        finish_counts(head, s);
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
                oms_grow((void **)&s->held, &s->held_cap, s->held_count + 1, sizeof *s->held);
                s->held[s->held_count++] = (struct snap_held){priority, slot, 0};
            }
            s->held[h].qty += line->pegs[p].qty;
        }
    }
    finish_counts(head, s);
}

static struct item_ref build_ref(const struct snap_item *head, const struct snap_build *s)
{
    return (struct item_ref){head, s->free, s->supplies, s->held, s->rules};
}

/* One allocation holding the header, the arrays and the SKU (index_int.h). */
static struct snap_item *pack(const struct snap_item *head, const struct snap_build *s,
                              const char *sku)
{
    size_t sku_len = strlen(sku);
    OMS_ASSERT(sku_len <= OMS_SKU_BYTES_MAX);
    size_t free_bytes = head->free_count * sizeof(oms_qty);
    size_t supply_bytes = head->supplies_count * sizeof(struct oms_plan_supply);
    size_t held_bytes = head->held_count * sizeof(struct snap_held);
    size_t rule_bytes = head->rules_count * sizeof(struct oms_channel_rule);
    struct snap_item *p =
        malloc(sizeof *p + free_bytes + supply_bytes + held_bytes + rule_bytes + sku_len + 1);
    OMS_ASSERT(p != NULL);
    *p = *head;
    p->sku_len = (uint8_t)sku_len;
    memcpy(p->free, s->free, free_bytes);
    struct item_ref ref = oms__snap_ref(p);
    memcpy((void *)ref.supplies, s->supplies, supply_bytes);
    if (held_bytes > 0) memcpy((void *)ref.held, s->held, held_bytes);
    if (rule_bytes > 0) memcpy((void *)ref.rules, s->rules, rule_bytes);
    memcpy((char *)ref.rules + rule_bytes, sku, sku_len + 1);
    return p;
}

static struct snap_item *snapshot(const struct oms_state *state, uint32_t i)
{
    struct snap_item head;
    memset(&head, 0, sizeof head);
    struct snap_build s; /* The arrays are read up to the counts fill_item() sets. */
    s.supplies_count = s.held_count = s.held_cap = 0;
    s.held = NULL;
    s.rules = NULL;
    fill_item(state, i, &head, &s);
    struct snap_item *p = pack(&head, &s, state->items[i].sku);
    free(s.held);
    return p;
}

/* The SKU table (index_int.h). The high half of the string hash is kept to skip most SKU
 * comparisons; the low half picks the slot. */
static uint32_t sku_find(const struct oms_index *index, const char *sku)
{
    if (index->skus_cap == 0) return OMS_NONE;
    uint64_t h = oms_hash_string(sku);
    uint32_t mask = index->skus_cap - 1;
    for (uint32_t at = (uint32_t)h & mask;; at = (at + 1) & mask) {
        const struct sku_slot *slot = &index->skus[at];
        if (slot->item == 0) return OMS_NONE;
        if (slot->hash == (uint32_t)(h >> 32) &&
            strcmp(oms__snap_sku(index->items[slot->item - 1]), sku) == 0) {
            return slot->item - 1;
        }
    }
}

static void sku_insert(struct sku_slot *slots, uint32_t cap, const char *sku, uint32_t item)
{
    uint64_t h = oms_hash_string(sku);
    uint32_t at = (uint32_t)h & (cap - 1);
    while (slots[at].item != 0) at = (at + 1) & (cap - 1);
    slots[at] = (struct sku_slot){(uint32_t)(h >> 32), item + 1};
}

/* Writer side, outside the lock: a bigger table holding every SKU of the index and of the new
 * snapshots when they would load it past 3/4, else NULL (they go in under the lock). */
static struct sku_slot *sku_table_for(const struct oms_index *index, uint32_t added,
                                      struct snap_item *const *fresh, const uint32_t *items,
                                      uint32_t items_count, uint32_t *cap_out)
{
    uint64_t need = (uint64_t)index->skus_count + added;
    if (need * 4 < (uint64_t)index->skus_cap * 3) return NULL;
    uint32_t cap = index->skus_cap ? index->skus_cap : 1024;
    while (need * 4 >= (uint64_t)cap * 3) cap *= 2;
    struct sku_slot *slots = calloc(cap, sizeof *slots);
    OMS_ASSERT(slots != NULL);
    for (uint32_t i = 0; i < index->items_count; i++) {
        if (index->items[i]) sku_insert(slots, cap, oms__snap_sku(index->items[i]), i);
    }
    for (uint32_t k = 0; k < items_count; k++) {
        bool known = items[k] < index->items_count && index->items[items[k]];
        if (!known) sku_insert(slots, cap, oms__snap_sku(fresh[k]), items[k]);
    }
    *cap_out = cap;
    return slots;
}

struct update_plan {
    uint64_t reset;        /* Channels whose answers moved for every item. */
    uint64_t *masks;       /* Per updated item: channels whose answer moved. */
    struct sku_slot *skus; /* A grown SKU table, or NULL. */
    uint32_t skus_cap, added;
};

/* Publishing side, outside the lock: what the swap will change, and the feed's entries. */
static void plan_update(const struct oms_index *index, const struct oms_index_change *c,
                        struct update_plan *plan)
{
    /* The feed's answers have no destination region: the distance table does not matter. */
    struct snap_view view = {index->locations, index->locations_count, index->channels,
                             index->channels_count, c->clock_ms, NULL};
    if (c->master) {
        view.locations = c->master->locations;
        view.locations_count = c->master->locations_count;
        view.channels = c->master->channels;
        view.channels_count = c->master->channels_count;
    }
    plan->masks = calloc(c->items_count ? c->items_count : 1, sizeof *plan->masks);
    OMS_ASSERT(plan->masks != NULL);
    if (index->loaded) {
        plan->reset = oms__feed_master_changes(index, view.locations, view.locations_count,
                                               view.channels, view.channels_count, c->clock_ms);
    }
    for (uint32_t k = 0; k < c->items_count; k++) {
        uint32_t item = c->items[k];
        const struct snap_item *old = item < index->items_count ? index->items[item] : NULL;
        if (!old) plan->added++;
        /* The first update is the state loaded at open: the feed's baseline, not changes. */
        if (!index->loaded) continue;
        plan->masks[k] = oms__feed_item_changes(&view, old, c->fresh[k]) & ~plan->reset;
    }
    plan->skus = sku_table_for(index, plan->added, c->fresh, c->items, c->items_count,
                               &plan->skus_cap);
}

static void publish_answers(struct oms_index *index, const uint32_t *items, uint32_t items_count);

struct oms_index_change *oms_index_prepare(const struct oms_state *state, bool master,
                                           const uint32_t *items, uint32_t items_count)
{
    struct oms_index_change *c = calloc(1, sizeof *c);
    OMS_ASSERT(c != NULL);
    c->clock_ms = state->clock_ms;
    c->state_items_count = state->items_count;
    c->items_count = items_count;
    c->items = malloc((items_count ? items_count : 1) * sizeof *c->items);
    c->fresh = calloc(items_count ? items_count : 1, sizeof *c->fresh);
    OMS_ASSERT(c->items != NULL && c->fresh != NULL);
    if (items_count > 0) memcpy(c->items, items, items_count * sizeof *items);
    for (uint32_t k = 0; k < items_count; k++) c->fresh[k] = snapshot(state, items[k]);
    if (master) {
        c->master = malloc(sizeof *c->master);
        OMS_ASSERT(c->master != NULL);
        fill_master(state, c->master);
        copy_regions(state, c);
    }
    return c;
}

static void change_free(struct oms_index_change *c)
{
    for (uint32_t k = 0; k < c->items_count; k++) snap_free(c->fresh[k]);
    for (uint32_t i = 0; c->regions && i < c->regions_count; i++) free(c->regions[i]);
    free(c->regions);
    free(c->region_rows);
    free(c->cells);
    free(c->master);
    free(c->fresh);
    free(c->items);
    free(c);
}

void oms_index_apply(struct oms_index *index, struct oms_index_change *c)
{
    /* Compare outside the lock; swap inside it. */
    struct update_plan plan = {0};
    plan_update(index, c, &plan);
    struct sku_slot *old_skus = NULL;
    OMS_ASSERT(pthread_rwlock_wrlock(&index->lock) == 0);
    if (c->master) copy_master(index, c);
    index->clock_ms = c->clock_ms;
    oms_grow((void **)&index->items, &index->items_cap, c->state_items_count,
             sizeof *index->items);
    for (uint32_t i = index->items_count; i < c->state_items_count; i++) index->items[i] = NULL;
    if (c->state_items_count > index->items_count) index->items_count = c->state_items_count;
    if (plan.skus) {
        old_skus = index->skus;
        index->skus = plan.skus;
        index->skus_cap = plan.skus_cap;
    }
    if (plan.reset) oms__feed_append(index, OMS_NONE, plan.reset);
    for (uint32_t k = 0; k < c->items_count; k++) {
        uint32_t item = c->items[k];
        struct snap_item *old = index->items[item];
        index->items[item] = c->fresh[k];
        if (!old && !plan.skus) {
            sku_insert(index->skus, index->skus_cap, oms__snap_sku(c->fresh[k]), item);
        }
        if (plan.masks[k]) oms__feed_append(index, item, plan.masks[k]);
        c->fresh[k] = old; /* Freed below, outside the lock. */
    }
    index->skus_count += plan.added;
    index->loaded = true;
    pthread_rwlock_unlock(&index->lock);
    free(old_skus);
    free(plan.masks);
    /* New master data (a day rolled over, a location, channel or region changed) can move
     * every item's answer: all of them get fresh common answers. */
    publish_answers(index, c->master ? NULL : c->items, c->items_count);
    change_free(c);
}

void oms_index_update(struct oms_index *index, const struct oms_state *state, bool master,
                      const uint32_t *items, uint32_t items_count)
{
    oms_index_apply(index, oms_index_prepare(state, master, items, items_count));
}

static uint32_t find_channel(const struct oms_index *index, const char *code)
{
    for (uint32_t i = 0; i < index->channels_count; i++) {
        if (strcmp(index->channels[i].code, code) == 0) return i;
    }
    return OMS_NONE;
}

/* The channel's limits for the item (core/channel.h), as the writer's plan sees them. */
static void limits_of(const struct snap_view *index, uint32_t channel_index,
                      const struct item_ref *ref, oms_day today, struct oms_floor *floors,
                      struct oms_channel_limits *out)
{
    const struct snap_channel *channel = &index->channels[channel_index];
    uint64_t ships[OMS_CHANNELS_MAX];
    for (uint32_t c = 0; c < index->channels_count; c++) ships[c] = index->channels[c].visible;
    struct oms_channel_defaults defaults = {channel->visible, channel->buffer,
                                            channel->buffer_percent};
    oms_channel_limits_of(ref->rules, ref->head->rules_count, channel_index, &defaults, ships,
                          index->channels_count, today, floors, out);
}

/* The day a read counts from: that of the location its promises start at (the channel's
 * first, or the collect location), else the engine clock's UTC day. */
static oms_day today_at(const struct snap_view *index, uint32_t where)
{
    const struct snap_location *first = where == OMS_NONE ? NULL : &index->locations[where];
    return first && first->today != OMS_DAY_NONE ? first->today
                                                 : (oms_day)(index->clock_ms / 86400000);
}

/* Decision 36: out->locations (the visible locations in index order, each with its free stock)
 * become the channel's out->available split over them, walking them by priority then code:
 * the buffer, the other channels' floors and the cap come off the last ones first, so the
 * figures add up to out->available and each is what an order could take there alone. */
static void split_locations(const struct snap_view *view, uint32_t channel_index,
                            const struct item_ref *ref, uint64_t visible, const oms_qty *free_now,
                            struct oms_availability *out)
{
    oms_qty sum = 0;
    for (uint32_t k = 0; k < out->locations_count; k++) sum += out->locations[k].available;
    if (sum <= out->available) return; /* Nothing held back: each shows its free stock. */
    struct oms_floor floors[OMS_CHANNELS_MAX];
    struct oms_channel_limits limits;
    limits_of(view, channel_index, ref,
              today_at(view, view->channels[channel_index].first_location), floors, &limits);
    limits.visible = visible;
    uint32_t order[OMS_LOCATIONS_MAX], order_count = 0;
    for (uint32_t l = 0; l < view->locations_count; l++) {
        if (!((visible >> l) & 1u)) continue;
        const struct oms_plan_location *p = &view->locations[l].plan;
        uint32_t at = order_count++;
        while (at > 0) {
            const struct oms_plan_location *q = &view->locations[order[at - 1]].plan;
            if (q->priority < p->priority || (q->priority == p->priority && q->rank < p->rank)) {
                break;
            }
            order[at] = order[at - 1];
            at--;
        }
        order[at] = l;
    }
    oms_qty part[OMS_LOCATIONS_MAX];
    oms_channel_split(free_now, view->locations_count, &limits, order, order_count,
                      out->available, part);
    uint32_t k = 0;
    for (uint32_t l = 0; l < view->locations_count; l++) {
        if ((visible >> l) & 1u) out->locations[k++].available = part[l];
    }
    OMS_ASSERT(k == out->locations_count);
}

void oms__index_answer(const struct snap_view *index, uint32_t channel_index,
                       const struct item_ref *ref, oms_qty want, uint32_t region, uint32_t collect,
                       struct oms_availability *out)
{
    OMS_ASSERT(channel_index < index->channels_count);
    const struct snap_channel *channel = &index->channels[channel_index];
    const struct snap_item *item = ref->head;
    uint64_t visible = collect != OMS_NONE ? (uint64_t)1 << collect : channel->visible;
    struct oms_plan_location locations[OMS_LOCATIONS_MAX];
    struct oms_plan_supply supplies[OMS_SUPPLIES_MAX];
    oms_qty free_now[OMS_LOCATIONS_MAX];
    out->locations_count = 0;
    for (uint32_t l = 0; l < index->locations_count; l++) {
        /* A location newer than the snapshot holds none of the item yet. */
        free_now[l] = l < item->free_count ? ref->free[l] : 0;
        locations[l] = index->locations[l].plan;
        locations[l].free = free_now[l];
        if ((visible >> l) & 1u) {
            uint32_t k = out->locations_count++;
            /* Both are NUL-terminated arrays of one size: no formatting on the hot path. */
            _Static_assert(sizeof out->locations[k].code == sizeof index->locations[l].code,
                           "location codes have one size");
            memcpy(out->locations[k].code, index->locations[l].code, sizeof out->locations[k].code);
            out->locations[k].available = free_now[l] > 0 ? free_now[l] : 0;
        }
    }
    memcpy(supplies, ref->supplies, item->supplies_count * sizeof *supplies);
    /* What lines of equal or higher priority hold is not this channel's to take (rule 2). */
    oms_qty lead_held = 0;
    for (uint32_t h = 0; h < item->held_count; h++) {
        const struct snap_held *held = &ref->held[h];
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
    oms_day today = today_at(index, where);
    struct oms_floor floors[OMS_CHANNELS_MAX];
    struct oms_channel_limits limits;
    limits_of(index, channel_index, ref, today, floors, &limits);
    limits.visible = visible; /* Collecting: that location alone, under the channel's rules. */
    out->available = oms_channel_available_with(free_now, index->locations_count, &limits);
    split_locations(index, channel_index, ref, visible, free_now, out);
    bool unreleased = item->policy == (uint8_t)OMS_POLICY_PREORDER && item->release_day != OMS_DAY_NONE &&
                      today < item->release_day;
    int32_t lead = item->lead_time_days > 0 ? item->lead_time_days : 0;
    struct oms_plan_item plan_item = {
        .allow_split = item->allow_split,
        .backorderable = item->policy != (uint8_t)OMS_POLICY_DENY,
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

/* The index's master data as reads see it; `table` holds the region distances. */
static struct snap_view index_view(const struct oms_index *index, struct oms_region_table *table)
{
    *table = (struct oms_region_table){index->region_rows, index->region_rows_count, index->cells,
                                       index->table_count};
    return (struct snap_view){index->locations, index->locations_count, index->channels,
                              index->channels_count, index->clock_ms, table};
}

static struct snap_answers *common_answers(const struct snap_view *view,
                                           const struct snap_item *item, uint64_t generation)
{
    struct snap_answers *answers =
        malloc(sizeof *answers + view->channels_count * sizeof answers->of[0]);
    OMS_ASSERT(answers != NULL);
    answers->generation = generation;
    answers->count = view->channels_count;
    struct item_ref ref = oms__snap_ref(item);
    for (uint32_t c = 0; c < view->channels_count; c++) {
        struct oms_availability a;
        oms__index_answer(view, c, &ref, 1, OMS_NONE, OMS_NONE, &a);
        answers->of[c] = (struct snap_answer){
            .available = a.available,
            .today = today_at(view, view->channels[c].first_location),
            .promise_day = a.promise_day,
            .release_day = a.release_day,
            .status = (uint8_t)a.status,
        };
    }
    return answers;
}

/* Publishing side, after the snapshots of `items` (NULL: every item) were swapped in. Only
 * this thread changes the index, so it reads it without the lock; it takes the write lock only
 * to hang the answers on the snapshots. Until then readers compute the answers themselves. */
static void publish_answers(struct oms_index *index, const uint32_t *items, uint32_t items_count)
{
    uint32_t count = items ? items_count : index->items_count;
    if (count == 0) return;
    struct oms_region_table table;
    struct snap_view view = index_view(index, &table);
    struct snap_answers **fresh = calloc(count, sizeof *fresh);
    OMS_ASSERT(fresh != NULL);
    for (uint32_t k = 0; k < count; k++) {
        const struct snap_item *item = index->items[items ? items[k] : k];
        if (item) fresh[k] = common_answers(&view, item, index->generation);
    }
    OMS_ASSERT(pthread_rwlock_wrlock(&index->lock) == 0);
    for (uint32_t k = 0; k < count; k++) {
        struct snap_item *item = index->items[items ? items[k] : k];
        if (!item) continue;
        struct snap_answers *old = item->answers;
        item->answers = fresh[k];
        fresh[k] = old; /* Freed below, outside the lock. */
    }
    pthread_rwlock_unlock(&index->lock);
    for (uint32_t k = 0; k < count; k++) free(fresh[k]);
    free(fresh);
}

/* The answers' locations: each one the channel ships from, with its part of out->available
 * (split_locations(): its free stock, 0 when negative, unless the channel holds some back; a
 * location newer than the snapshot holds none of the item yet). */
static void common_locations(const struct snap_view *view, uint32_t channel,
                             const struct snap_item *item, struct oms_availability *out)
{
    uint64_t visible = view->channels[channel].visible;
    oms_qty free_now[OMS_LOCATIONS_MAX];
    out->locations_count = 0;
    for (uint32_t l = 0; l < view->locations_count; l++) {
        free_now[l] = l < item->free_count ? item->free[l] : 0;
        if (!((visible >> l) & 1u)) continue;
        uint32_t k = out->locations_count++;
        memcpy(out->locations[k].code, view->locations[l].code, sizeof out->locations[k].code);
        out->locations[k].available = free_now[l] > 0 ? free_now[l] : 0;
    }
    struct item_ref ref = oms__snap_ref(item);
    split_locations(view, channel, &ref, visible, free_now, out);
}

/* The common read from the writer's answers when they are current; false when the caller must
 * compute it. */
static bool common_answer(const struct snap_view *view, uint32_t channel,
                          const struct snap_item *item, uint64_t generation,
                          struct oms_availability *out)
{
    const struct snap_answers *answers = item->answers;
    if (!answers || answers->generation != generation || channel >= answers->count) return false;
    const struct snap_answer *a = &answers->of[channel];
    if (a->today != today_at(view, view->channels[channel].first_location)) return false;
    out->status = (enum oms_avail_status)a->status;
    out->available = a->available;
    out->promise_day = a->promise_day;
    out->release_day = a->release_day;
    common_locations(view, channel, item, out);
#ifndef NDEBUG
    /* Debug builds (the test suite) prove every copied answer equal to a fresh one. */
    struct oms_availability fresh;
    struct item_ref ref = oms__snap_ref(item);
    oms__index_answer(view, channel, &ref, 1, OMS_NONE, OMS_NONE, &fresh);
    OMS_ASSERT(fresh.status == out->status && fresh.available == out->available &&
               fresh.promise_day == out->promise_day && fresh.release_day == out->release_day &&
               fresh.locations_count == out->locations_count);
    for (uint32_t k = 0; k < out->locations_count; k++) {
        OMS_ASSERT(fresh.locations[k].available == out->locations[k].available &&
                   strcmp(fresh.locations[k].code, out->locations[k].code) == 0);
    }
#endif
    return true;
}

/* One SKU's answer, under the caller's read lock. */
static void query_one(struct oms_index *index, const struct snap_view *view, uint32_t channel,
                      const char *sku, oms_qty want, const char *region, uint32_t region_id,
                      uint32_t at, struct oms_availability *out)
{
    /* The header only: locations[] (3 KB) is filled up to locations_count. */
    out->status = OMS_AVAIL_UNKNOWN_SKU;
    out->available = 0;
    out->locations_count = 0;
    out->promise_day = OMS_DAY_NONE;
    out->release_day = OMS_DAY_NONE;
    uint32_t item = sku_find(index, sku);
    if (item == OMS_NONE) return;
    const struct snap_item *snap = index->items[item];
    if (region || at != OMS_NONE || want != 1 ||
        !common_answer(view, channel, snap, index->generation, out)) {
        struct item_ref ref = oms__snap_ref(snap);
        oms__index_answer(view, channel, &ref, want, region_id, at, out);
    }
}

enum oms_err oms_index_query_many(struct oms_index *index, const char *channel_code,
                                  const char *const *skus, size_t count, oms_qty want,
                                  const char *region, const char *collect,
                                  void (*visit)(void *ctx, size_t i,
                                                const struct oms_availability *a),
                                  void *ctx)
{
    OMS_ASSERT(want > 0 && want <= OMS_QTY_MAX);
    /* One read lock for the whole request: two loop threads taking it once per SKU make its
     * counter's cache line bounce between the cores 40 times per 20-SKU read. */
    OMS_ASSERT(pthread_rwlock_rdlock(&index->lock) == 0);
    enum oms_err err = OMS_OK;
    uint32_t channel = find_channel(index, channel_code);
    uint32_t at = collect ? find_location(index, collect) : OMS_NONE;
    if (channel == OMS_NONE) {
        err = OMS_ENOTFOUND;
    } else if (collect && (at == OMS_NONE || !((index->channels[channel].listed >> at) & 1u))) {
        err = OMS_EINVAL;
    } else {
        uint32_t region_id = OMS_NONE;
        if (region) (void)oms_strmap_get(&index->region_by_name, region, &region_id);
        struct oms_region_table table;
        struct snap_view view = index_view(index, &table);
        struct oms_availability a;
        for (size_t i = 0; i < count; i++) {
            query_one(index, &view, channel, skus[i], want, region, region_id, at, &a);
            visit(ctx, i, &a);
        }
    }
    pthread_rwlock_unlock(&index->lock);
    return err;
}

static void copy_out(void *ctx, size_t i, const struct oms_availability *a)
{
    (void)i;
    struct oms_availability *out = ctx;
    out->status = a->status;
    out->available = a->available;
    out->promise_day = a->promise_day;
    out->release_day = a->release_day;
    out->locations_count = a->locations_count;
    memcpy(out->locations, a->locations, a->locations_count * sizeof a->locations[0]);
}

enum oms_err oms_index_query(struct oms_index *index, const char *channel_code, const char *sku,
                             oms_qty want, const char *region, const char *collect,
                             struct oms_availability *out)
{
    out->status = OMS_AVAIL_UNKNOWN_SKU;
    out->available = 0;
    out->locations_count = 0;
    out->promise_day = OMS_DAY_NONE;
    out->release_day = OMS_DAY_NONE;
    return oms_index_query_many(index, channel_code, &sku, 1, want, region, collect, copy_out, out);
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
    struct snap_item head;
    memset(&head, 0, sizeof head);
    /* As snapshot(): the arrays are read up to the counts fill_item() sets (zeroing 2 KiB
     * and a heap block per evaluated item cost the writer 2,600 instructions an order). */
    struct snap_build build;
    build.supplies_count = build.held_count = build.held_cap = 0;
    build.held = NULL;
    build.rules = NULL;
    struct snap_build *snap = &build;
    fill_item(state, item, &head, snap);
    struct item_ref ref = build_ref(&head, snap);
    struct snap_channel channels[OMS_CHANNELS_MAX];
    for (uint32_t c = 0; c < state->channels_count; c++) {
        fill_channel(&state->channels[c], &channels[c]);
    }
    /* No destination region: distances cannot tell locations apart here. */
    struct snap_view view = {locations, state->locations_count, channels, state->channels_count,
                             state->clock_ms, NULL};
    for (uint32_t c = 0; c < state->channels_count; c++) {
        struct oms_availability a;
        oms__index_answer(&view, c, &ref, 1, OMS_NONE, OMS_NONE, &a);
        out[c] = (struct oms_channel_status){.status = a.status, .available = a.available};
    }
    free(snap->held);
}
