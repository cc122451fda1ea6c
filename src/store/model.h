/*
 * model.h - the engine's in-memory model of one shard: master data, stock levels, supply,
 * orders and lines. The writer thread owns it: only the writer reads or changes it, so none
 * of it is locked. Encoders (src/http/json_*.c) read it through a const pointer, on the
 * writer thread, while building an answer.
 *
 * Invariants the writer keeps (checked by oms_state_check() in tests):
 *  - every level: allocated == the sum of the allocations of open lines at that location;
 *  - every level: reserved == the sum of the allocs of active holds' lines at that location;
 *  - every line: qty == allocated + backordered + shipped + cancelled + rejected, where
 *    allocated and backordered are the sums of its allocs and pegs;
 *  - every open supply: pegged == the sum of the pegs on it; pegged <= qty - received;
 *  - an item's queue holds exactly its lines with open units, in queue order (rule 3).
 * Records are never deleted; indexes into the arrays are stable for the life of the state.
 * Strings are owned by the record that holds them. The model lives in store/ because the
 * store persists it record by record; the engine owns the one instance.
 */
#ifndef OMS_STORE_MODEL_H
#define OMS_STORE_MODEL_H

#include "base/platform.h"
#include "base/strmap.h"
#include "core/channel.h"
#include "core/region.h"
#include "core/stock.h"
#include "core/types.h"

#define OMS_NONE UINT32_MAX
#define OMS_SKU_BYTES_MAX 64
#define OMS_CODE_BYTES_MAX 64
#define OMS_ID_BYTES_MAX 128
#define OMS_TEXT_BYTES_MAX 512
#define OMS_LINES_PER_ORDER_MAX 1000

enum oms_location_kind { OMS_LOCATION_WAREHOUSE, OMS_LOCATION_STORE, OMS_LOCATION_DC };

struct oms_item {
    char *sku;
    char *name;
    int64_t price_minor;
    char currency[4];
    enum oms_policy policy;
    oms_qty backorder_limit;     /* -1: no limit. */
    int32_t lead_time_days;      /* -1: no lead time (only known supply backs a backorder). */
    oms_qty low_stock_threshold; /* -1: none. */
    oms_qty min_order_qty;       /* >= 1. */
    oms_day release_day;         /* OMS_DAY_NONE: released. */
    bool allow_split;
    struct oms_stock_level *levels; /* One per location, levels_count == locations_count. */
    uint32_t levels_count;
    uint32_t *supplies; /* Open supply lines of the item (indexes), any order. */
    uint32_t supplies_count, supplies_cap;
    uint32_t *queue; /* Lines with open units, in queue order (rule 3). */
    oms_qty backordered; /* Units its lines have on backorder (derived): 0 lets readers skip
                          * walking a queue of allocated lines. */
    uint32_t queue_count, queue_cap;
    /* Channel rules for this item (core/channel.h), sorted by channel; NULL for the many items
     * without any: 12 bytes per item when unused. */
    struct oms_channel_rule *rules;
    uint32_t rules_count;
};

struct oms_location {
    char *code;
    char *name;
    enum oms_location_kind kind;
    char *region;
    uint32_t region_id; /* Interned region, for the core's comparisons. */
    int32_t priority;
    uint32_t rank;      /* Position of code in code order. */
    char *timezone;
    int32_t handling_days;
    uint32_t working_mask; /* Bit 0 Monday .. bit 6 Sunday. */
    oms_day today;         /* Local date at the engine clock (refreshed by the writer). */
    oms_day ship_day;      /* today + handling working days. */
};

struct oms_channel {
    char *code;
    char *name;
    uint64_t visible;        /* Bit i: location i serves this channel. */
    uint64_t ships;          /* The visible locations that ship its orders and count in its
                              * availability: without stores when exclude_stores (derived). */
    uint32_t first_location; /* Smallest priority then code among ships; OMS_NONE if none. */
    oms_qty buffer;          /* Default buffer per item, in units ... */
    int32_t buffer_percent;  /* ... and in percent of its availability (the larger counts). */
    bool exclude_stores;     /* Locations of kind store neither ship nor count for it. */
    bool allow_backorder;
    int32_t priority;
    bool cancel_on_delay;    /* A delay past a line's latest_date cancels it (else holds it). */
    char **location_codes;   /* As given, for answers. */
    uint32_t location_codes_count;
};

struct oms_supply {
    char *id;
    uint32_t item, location;
    oms_qty qty;      /* Expected in total. */
    oms_qty received;
    oms_day expected_day;
    enum oms_supply_status status;
    oms_qty pegged;   /* Units promised to backordered lines (derived, not stored). */
    bool transfer;    /* A transfer from from_location rather than a purchase order. */
    uint32_t from_location; /* OMS_NONE for purchase orders. */
};

struct oms_line_alloc {
    uint32_t location;
    oms_qty qty;
    oms_day ship_day; /* Promise of these units, fixed when they were allocated. */
    enum oms_source_reason reason; /* Why these units were allocated at this location. */
};

struct oms_line_peg {
    uint32_t supply; /* Index of the supply, or OMS_NONE for lead time / release. */
    bool release;    /* Pegged to a preorder's release. */
    oms_qty qty;
    oms_day promise_day;
};

struct oms_line {
    uint32_t order;
    uint32_t line_no; /* 1-based within the order. */
    uint32_t item;    /* OMS_NONE for an unknown SKU (then sku holds the text asked). */
    char *sku;
    oms_qty qty, shipped, cancelled, rejected;
    enum oms_reject_reason reason;
    bool ship_complete;
    int64_t price_minor; /* -1 when the order did not say; the item's price applies. */
    struct oms_line_alloc *allocs;
    uint32_t allocs_count, allocs_cap;
    struct oms_line_peg *pegs;
    uint32_t pegs_count, pegs_cap;
    oms_day promise_day; /* OMS_DAY_NONE when nothing is open. */
    oms_day first_promise_day; /* The first promise given (promise accuracy). */
    oms_day latest_day;  /* The customer waits until this date at most; OMS_DAY_NONE: any. */
    bool held;           /* A delay passed latest_day: waiting for the customer's answer. */
    oms_qty returned;    /* Units returned, never more than shipped. */
};

/* What an order did with the hold it named (API.md: an order consumes its hold first). */
enum oms_hold_use {
    OMS_HOLD_USE_NONE,          /* The order names no hold. */
    OMS_HOLD_USE_APPLIED,       /* The hold was active: its units went to the order first. */
    OMS_HOLD_USE_NOT_ACTIVE,    /* It had ended (consumed, released, expired): placed without. */
    OMS_HOLD_USE_OTHER_CHANNEL, /* It belongs to another channel: placed without it. */
};

struct oms_order {
    char *id;
    uint32_t channel;
    char *region;
    uint32_t region_id;
    uint32_t collect;    /* Click-and-collect location (every line allocates there only), or
                          * OMS_NONE for an order shipped to its region. */
    char *customer_ref, *contact; /* May be NULL. */
    int64_t at_ms;       /* When it happened (the request's "at", else arrival). */
    int64_t created_ms;  /* When the engine learned of it (engine clock). */
    uint32_t first_line; /* Lines are contiguous: first_line .. first_line + lines_count - 1. */
    uint32_t lines_count;
    char fingerprint[65]; /* SHA-256 hex of the canonical request body ("" when unknown). */
    char *hold_id;        /* The hold the order named, or NULL. */
    enum oms_hold_use hold_use;
};

/* A back-in-stock notice request (rule 7): notified once, at the first wave that reaches it;
 * waiting ones are served first-subscribed first (index order). */
struct oms_subscription {
    uint32_t item, channel;
    char *contact;
    int64_t created_ms;
    bool notified;
    int64_t notified_ms; /* Meaningful when notified. */
};

/* A hold (a cart or checkout, API.md "Holds"): units reserved for a channel until an expiry on
 * the engine clock. While active, each line's allocs are counted in `reserved` of their levels;
 * a hold ends once (consumed by an order, released, or expired) and its units are then freed.
 * A hold that held nothing when placed is never active: it ends at once as unfilled. */
enum oms_hold_status {
    OMS_HOLD_ACTIVE,
    OMS_HOLD_CONSUMED,
    OMS_HOLD_RELEASED,
    OMS_HOLD_EXPIRED,
    OMS_HOLD_UNFILLED, /* Stored as 4 (migration 12). */
};

struct oms_hold_alloc {
    uint32_t location;
    oms_qty qty;
};

struct oms_hold_line {
    uint32_t hold;
    uint32_t line_no; /* 1-based within the hold. */
    uint32_t item;    /* OMS_NONE for an unknown SKU (then sku holds the text asked). */
    char *sku;
    oms_qty qty;      /* Asked. */
    oms_qty consumed; /* Units an order took from this line. */
    enum oms_reject_reason reason; /* Why fewer than qty were held; NONE when all were. */
    struct oms_hold_alloc *allocs; /* Held now (active) or when the hold ended. */
    uint32_t allocs_count, allocs_cap;
};

struct oms_hold {
    char *id;
    uint32_t channel;
    char *region;
    uint32_t region_id;
    int64_t at_ms;       /* When it happened (the request's "at", else arrival). */
    int64_t created_ms;  /* Engine clock when it was placed: newest first in rule 3b. */
    int64_t expires_ms;  /* Engine clock instant at which it expires. */
    int64_t ended_ms;    /* Engine clock when it stopped being active; 0 while active. */
    enum oms_hold_status status;
    char *order_id;      /* The order that consumed it, or NULL. */
    uint32_t first_line; /* Lines are contiguous in state->hold_lines. */
    uint32_t lines_count;
    char fingerprint[65];
};

/* A due entry of the expiry heap (derived, never stored): stale entries (the hold ended) are
 * skipped when they reach the top. */
struct oms_hold_due {
    int64_t expires_ms;
    uint32_t hold;
};

/* A region of the distance table (PUT /v1/regions/{code}); its index is its row. */
struct oms_region {
    char *code; /* The region's name as locations and orders spell it. */
    char *name;
    uint32_t region_id; /* Its interned id. */
};

struct oms_state {
    struct oms_item *items;
    uint32_t items_count, items_cap;
    struct oms_location *locations;
    uint32_t locations_count;
    struct oms_channel *channels;
    uint32_t channels_count;
    struct oms_supply *supplies;
    uint32_t supplies_count, supplies_cap;
    struct oms_order *orders;
    uint32_t orders_count, orders_cap;
    struct oms_line *lines;
    uint32_t lines_count, lines_cap;
    struct oms_subscription *subscriptions;
    uint32_t subscriptions_count, subscriptions_cap;
    struct oms_strmap item_by_sku, location_by_code, channel_by_code, supply_by_id,
        order_by_id, region_by_name;
    char **regions; /* Interned region names, indexed by region id. */
    uint32_t regions_count;
    /* The region distance table: rows in the order regions were configured. */
    struct oms_region *table_regions;
    uint32_t table_regions_count;
    uint32_t *region_rows;      /* By region id: its row, or OMS_REGION_NO_ROW. */
    uint32_t region_rows_count; /* Ids covered; ids beyond have no row. */
    int32_t *distances;         /* OMS_REGIONS_MAX rows of OMS_REGIONS_MAX (allocated with the
                                 * first row); OMS_DISTANCE_UNKNOWN where nobody set a pair. */
    int64_t clock_ms; /* The engine clock: the latest instant seen; never runs backwards. */
    struct oms_hold *holds;
    uint32_t holds_count, holds_cap;
    struct oms_hold_line *hold_lines;
    uint32_t hold_lines_count, hold_lines_cap;
    struct oms_strmap hold_by_id;
    uint32_t *active_holds; /* Holds in creation order (rule 3b: newest last): every active
                             * one, and ended ones until the list is compacted (skip them). */
    uint32_t active_holds_count, active_holds_cap;
    uint32_t active_holds_live; /* How many of the list are active. */
    struct oms_hold_due *hold_due; /* Min-heap by expires_ms, then hold index. */
    uint32_t hold_due_count, hold_due_cap;
};

void oms_state_init(struct oms_state *state);
void oms_state_release(struct oms_state *state);

/* Lookups: OMS_NONE when absent. */
uint32_t oms_state_item(const struct oms_state *state, const char *sku);
uint32_t oms_state_location(const struct oms_state *state, const char *code);
uint32_t oms_state_channel(const struct oms_state *state, const char *code);
uint32_t oms_state_supply(const struct oms_state *state, const char *id);
uint32_t oms_state_order(const struct oms_state *state, const char *id);
uint32_t oms_state_region(struct oms_state *state, const char *name); /* Interns. */
uint32_t oms_state_hold(const struct oms_state *state, const char *id);

/* Holds: units a hold line holds now (the sum of its allocs). */
oms_qty oms_hold_line_held(const struct oms_hold_line *line);
/* What the line reports as `held` (API): what it holds while active, what it held when the
 * hold ended once it has (the units its order took included): one meaning for every end. */
oms_qty oms_hold_line_reported(const struct oms_hold_line *line);
const char *oms_hold_status_name(enum oms_hold_status status);
/* Adds an active hold to the active list and the expiry heap (after creating or loading it). */
void oms_state_hold_activate(struct oms_state *state, uint32_t hold);
/* Counts a hold that just ended out of the active list (its list and heap entries go stale;
 * the list is compacted once most of it is stale, so ending a hold is O(1) amortised). */
void oms_state_hold_deactivate(struct oms_state *state, uint32_t hold);
/* The active hold that expires first at or before now_ms, taken off the heap; OMS_NONE when
 * none is due. Stale heap entries are dropped on the way. */
uint32_t oms_state_hold_pop_due(struct oms_state *state, int64_t now_ms);
/* The earliest expiry of an active hold; INT64_MAX when none. Drops stale entries. */
int64_t oms_state_hold_next_expiry(struct oms_state *state);
/* The row of the distance table for region `code`, or OMS_NONE when it has none. */
uint32_t oms_state_table_region(const struct oms_state *state, const char *code);
/* Adds region `code` to the distance table (name = code, no distances); returns its row.
 * The caller checks OMS_REGIONS_MAX first. */
uint32_t oms_state_table_region_add(struct oms_state *state, const char *code);
/* Sets the distance between two rows in both directions (OMS_DISTANCE_UNKNOWN clears it). */
void oms_state_distance_set(struct oms_state *state, uint32_t row_a, uint32_t row_b,
                            int32_t distance);
int32_t oms_state_distance(const struct oms_state *state, uint32_t row_a, uint32_t row_b);
/* True when the channel lists the location (among its `locations`), whatever it ships from. */
bool oms_channel_lists(const struct oms_state *state, uint32_t channel, uint32_t location);
/* The table as the core reads it; valid until the state changes. */
void oms_state_region_table(const struct oms_state *state, struct oms_region_table *out);

/* The date the line's last open unit can ship: the latest over its allocations and pegs;
 * OMS_DAY_NONE when nothing is open or some units have no date. */
oms_day oms_line_promise(const struct oms_line *line);

/* Derived line counters. */
oms_qty oms_line_allocated(const struct oms_line *line);
oms_qty oms_line_backordered(const struct oms_line *line);
/* The units the line's channel accepted and that still stand: allocated + backordered +
 * shipped (= qty - rejected - cancelled once the line is decided, and while it is being
 * placed, what it holds so far: the units from its hold first). The one definition of what a
 * line counts against its channel's cap (decision 24): placement, cancellation and the
 * recount at start all use it. */
oms_qty oms_line_accepted(const struct oms_line *line);
struct oms_line_counts;
void oms_line_counts_get(const struct oms_line *line, struct oms_line_counts *counts);

/* Every invariant above; returns false and names the first broken one in why. For tests and
 * for the check after loading a database. */
bool oms_state_check(const struct oms_state *state, char *why, size_t why_len);

/* Allocation helpers for the arrays above; abort on out of memory. */
char *oms_strdup(const char *text);
void oms_grow(void **array, uint32_t *cap, uint32_t need, size_t elem_size);

/* Queue order (rule 3) of two lines of one item: true when line a comes before line b. */
bool oms_state_line_before(const struct oms_state *state, uint32_t a, uint32_t b);
/* Inserts line into its item's queue at its place (the line must not be in it). */
void oms_state_queue_insert(struct oms_state *state, uint32_t line);
/* Removes line from its item's queue when it is there. */
void oms_state_queue_remove(struct oms_state *state, uint32_t line);
/* Recomputes every location's rank (code order) and every channel's shipping locations and
 * first location. */
void oms_state_refresh_ranks(struct oms_state *state);

/* Channel rules of one item (core/channel.h). */
struct oms_channel_rule *oms_item_rule(struct oms_item *item, uint32_t channel); /* NULL: none. */
/* The item's rule for the channel, created empty (set == 0) when it has none. */
struct oms_channel_rule *oms_item_rule_put(struct oms_item *item, uint32_t channel);
void oms_item_rule_remove(struct oms_item *item, uint32_t channel);
/* The channel's local day: its first location's today, else the UTC day of the clock. The day
 * its caps count in. */
oms_day oms_state_channel_today(const struct oms_state *state, uint32_t channel);
/* The limits of a channel for an item now (core/channel.h); floors has room for
 * OMS_CHANNELS_MAX and must outlive out. */
void oms_state_channel_limits(const struct oms_state *state, uint32_t item, uint32_t channel,
                              struct oms_floor *floors, struct oms_channel_limits *out);
#endif
