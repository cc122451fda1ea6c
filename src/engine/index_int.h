/*
 * index_int.h - private to index.c and index_feed.c: the layout of the availability index.
 *
 * Memory: an item costs one allocation (struct snap_item: a 48-byte header, then the item's
 * free stock per location, its open supply, what waiting lines hold and its SKU; plus its
 * common answers per channel, a second allocation of 16 + 24 bytes per channel), one pointer
 * in `items` and one 8-byte slot of the SKU table, so the bound of 256 bytes per (item,
 * location) holds from one location up (bench/index_memory.c measures it).
 *
 * Threads: the writer builds snapshots from its model (oms_index_prepare); one publishing
 * thread (engine.c's syncer, once the batch is durable) is the only one that changes the
 * index. It compares answers outside the lock (reading the index without the lock is safe:
 * nobody else writes it) and holds the write lock only to swap pointers and append to the
 * change log. Readers hold the read lock for one bounded piece of work (one availability answer, one
 * feed page).
 */
#ifndef OMS_ENGINE_INDEX_INT_H
#define OMS_ENGINE_INDEX_INT_H

#include "base/platform.h"

#include <pthread.h>

#include "core/channel.h"
#include "core/plan.h"
#include "core/region.h"
#include "engine/index.h"

/* Units of a supply (or of lead time: slot -1) that waiting lines of one channel priority
 * hold. A new order may take what lower-priority lines hold (rule 2), so what is left for it
 * depends on its channel's priority. */
struct snap_held {
    int32_t priority;
    int32_t slot;
    oms_qty qty;
};

/* One item, in one allocation: after the header come free[free_count] (locations added after
 * the snapshot was taken have no stock of it yet: free 0), supplies[supplies_count] (open
 * supply, by promise day), held[held_count], rules[rules_count] (its channel rules, a copy),
 * then the SKU and its NUL. */
/* The answer to the common read of an item (one unit, no region, no collect) on one channel,
 * computed by the writer after it swapped the snapshot in, so that the hot read path copies
 * it instead of running the plan. Valid for reads of master data of `generation` on `today`:
 * any other read computes afresh with oms__index_answer(), the one place rule 1 is computed
 * for reads (decisions 32). */
struct snap_answer {
    oms_qty available;
    oms_day today, promise_day, release_day;
    uint8_t status; /* enum oms_avail_status. */
};

struct snap_answers {
    uint64_t generation;
    uint32_t count; /* Channels. */
    struct snap_answer of[];
};

struct snap_item {
    struct snap_answers *answers; /* Its own allocation; NULL until the writer computed them. */
    oms_qty backorder_limit;      /* -1: none. */
    oms_qty low_stock_threshold, min_order_qty;
    int32_t lead_time_days;
    oms_day release_day;
    uint8_t policy; /* enum oms_policy. */
    bool allow_split;
    uint8_t free_count;     /* <= OMS_LOCATIONS_MAX. */
    uint8_t supplies_count; /* <= OMS_SUPPLIES_MAX. */
    uint16_t held_count;    /* <= (OMS_SUPPLIES_MAX + 1) * OMS_CHANNELS_MAX. */
    uint8_t sku_len;        /* <= OMS_SKU_BYTES_MAX. */
    uint8_t rules_count;    /* <= OMS_CHANNELS_MAX: one rule per channel at most. */
    oms_qty free[];
};

_Static_assert(OMS_LOCATIONS_MAX <= UINT8_MAX, "free_count is a uint8_t");
_Static_assert(OMS_SUPPLIES_MAX <= UINT8_MAX, "supplies_count is a uint8_t");
_Static_assert((OMS_SUPPLIES_MAX + 1) * OMS_CHANNELS_MAX <= UINT16_MAX, "held_count is a uint16_t");
_Static_assert(OMS_SKU_BYTES_MAX <= UINT8_MAX, "sku_len is a uint8_t");
_Static_assert(OMS_CHANNELS_MAX <= UINT8_MAX, "rules_count is a uint8_t");

/* What answer() reads of an item: a packed snapshot, or the writer's scratch copy. */
struct item_ref {
    const struct snap_item *head; /* Counts and settings. */
    const oms_qty *free;
    const struct oms_plan_supply *supplies;
    const struct snap_held *held;
    const struct oms_channel_rule *rules;
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

/* The SKU table: open addressing, linear probing. item is the item's index + 1 (0: empty);
 * the key is the snapshot's own SKU, so a slot is 8 bytes. */
struct sku_slot {
    uint32_t hash;
    uint32_t item;
};

/* The feed's change log: a ring of (item, channels whose answer changed) entries, entry
 * number `head - count` .. `head - 1` retained. An entry with item OMS_NONE marks a change of
 * master data after which those channels' cursors get a full snapshot. */
struct feed_log {
    uint64_t *masks;
    uint32_t *items;
    uint32_t cap, start, count; /* start: ring slot of the oldest retained entry. */
    uint64_t head;              /* Number of the next entry (entries ever appended). */
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
    struct sku_slot *skus;
    uint32_t skus_cap, skus_count;
    int64_t clock_ms;
    uint64_t generation; /* Copies of master data so far: answers of another are stale. */
    /* The feed (index_feed.c). */
    uint64_t epoch;  /* Random per process: cursors of another run are not ours to answer. */
    bool loaded;     /* The first update (the state loaded at open) is the log's baseline. */
    struct feed_log log;
    uint64_t reset_after[OMS_CHANNELS_MAX]; /* A cursor below this gets a full snapshot. */
};

/* What answer() reads of master data: the index's copy, or one made from the model. */
struct snap_view {
    const struct snap_location *locations;
    uint32_t locations_count;
    const struct snap_channel *channels; /* Every channel: their floors need where they ship. */
    uint32_t channels_count;
    int64_t clock_ms;
    const struct oms_region_table *regions; /* Distances between regions; NULL: none. */
};

struct item_ref oms__snap_ref(const struct snap_item *s);
const char *oms__snap_sku(const struct snap_item *s);
/* Rule 1 for `want` units of the item on view->channels[channel], as a new line placed now
 * would get; for click-and-collect (collect != OMS_NONE) at that one location only. */
void oms__index_answer(const struct snap_view *view, uint32_t channel, const struct item_ref *item,
                       oms_qty want, uint32_t region, uint32_t collect,
                       struct oms_availability *out);

/* Feed side (index_feed.c). Publishing thread, outside the lock: the channels whose answer for
 * one unit differs between two snapshots of an item (old NULL: a new item, every channel). */
uint64_t oms__feed_item_changes(const struct snap_view *view, const struct snap_item *old,
                                const struct snap_item *fresh);
/* The channels whose answers may move for every item because master data they read moved. */
uint64_t oms__feed_master_changes(const struct oms_index *index,
                                  const struct snap_location *locations,
                                  uint32_t locations_count, const struct snap_channel *channels,
                                  uint32_t channels_count, int64_t clock_ms);
/* Under the write lock: appends an entry (item OMS_NONE: the channels in mask start over). */
void oms__feed_append(struct oms_index *index, uint32_t item, uint64_t mask);
void oms__feed_init(struct oms_index *index);
void oms__feed_release(struct oms_index *index);

#endif
