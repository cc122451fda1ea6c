/*
 * engine.h - the command pipeline of one shard. Callers (HTTP loops, the CLI) fill a struct
 * oms_command and submit it; one writer thread takes commands in batches, applies each to the
 * in-memory model with the pure core, writes the whole batch (rows, ledger, outbox events,
 * idempotency answers) in ONE store transaction and commits it; a syncer thread then makes it
 * durable (one fdatasync of the WAL for every batch committed meanwhile, while the writer
 * decides the next batch), updates the availability index, and only then calls each
 * command's `done`, in commit order. An acknowledged command is durable; a command that fails
 * validation changes nothing.
 *
 * Ownership: the caller owns the command and everything it points to until `done` is called
 * (on the syncer thread); after `done` the engine keeps no pointer into it. `answer` is
 * malloc'd by the encoder and handed to the caller with `done`.
 * Threads: oms_engine_submit() and the index reads are safe from any thread.
 */
#ifndef OMS_ENGINE_H
#define OMS_ENGINE_H

#include "base/err.h"
#include "base/platform.h"
#include "core/channel.h"
#include "core/types.h"
#include "store/model.h"

#define OMS_BATCH_MAX 1024        /* Commands per transaction. */
#define OMS_QUEUE_MAX 65536       /* Commands waiting for the writer; beyond: OMS_EBUSY. */
#define OMS_AVAILABILITY_SKUS_MAX 1000
#define OMS_SNAPSHOT_OUT_ID_BYTES 160 /* Room for any snapshot id (OMS_ID_BYTES_MAX + NUL). */

enum oms_cmd_kind {
    OMS_CMD_READ,        /* No change: the encoder reads the state (GET of items, orders, ...). */
    OMS_CMD_PUT_ITEM,
    OMS_CMD_PUT_LOCATION,
    OMS_CMD_PUT_CHANNEL,
    OMS_CMD_ADJUST,
    OMS_CMD_SUPPLY_CREATE,
    OMS_CMD_SUPPLY_RECEIVE,
    OMS_CMD_ORDER_PLACE,
    OMS_CMD_ORDER_CANCEL,
    OMS_CMD_ORDER_SHIP,
    OMS_CMD_CLOCK,
    OMS_CMD_SUPPLY_UPDATE, /* Delay, cut, cancel or close a supply line. */
    OMS_CMD_REPEG,         /* Re-run an item's queue now (usually as a dry run). */
    OMS_CMD_ORDER_RETURN,
    OMS_CMD_ORDER_UNSHIP,       /* A shipment cancelled before it left: units allocated again. */
    OMS_CMD_ORDER_ACCEPT_DELAY, /* The customer accepts a promise past latest_date. */
    OMS_CMD_SUBSCRIBE, /* A back-in-stock notice request (rule 7). */
    OMS_CMD_WEBHOOK_CREATE, /* Webhooks (engine/webhooks.h). */
    OMS_CMD_WEBHOOK_DELETE,
    OMS_CMD_DELIVERY_REDELIVER,
    OMS_CMD_DELIVERY_UPDATE, /* The dispatcher's bookkeeping, never from the API. */
    OMS_CMD_HOLD_CREATE,     /* Reserve units for a cart or checkout until an expiry. */
    OMS_CMD_HOLD_RELEASE,    /* Release a hold now (DELETE /v1/holds/{id}). */
    OMS_CMD_PUT_CHANNEL_ITEM, /* A channel's rules for one item (buffer, cap, floor). */
    OMS_CMD_PUT_REGION,      /* A region of the distance table and its distances. */
    OMS_CMD_SNAPSHOT,        /* An ERP/POS stock snapshot: many counts, one commit. */
};

/* Which optional fields a PUT carries: a field left out keeps its value (rule 9). */
enum {
    OMS_F_NAME = 1u << 0,
    OMS_F_PRICE = 1u << 1,
    OMS_F_CURRENCY = 1u << 2,
    OMS_F_POLICY = 1u << 3,
    OMS_F_BACKORDER_LIMIT = 1u << 4,
    OMS_F_LEAD_TIME = 1u << 5,
    OMS_F_LOW_STOCK = 1u << 6,
    OMS_F_MIN_ORDER_QTY = 1u << 7,
    OMS_F_RELEASE_DATE = 1u << 8,
    OMS_F_ALLOW_SPLIT = 1u << 9,
    OMS_F_KIND = 1u << 10,
    OMS_F_REGION = 1u << 11,
    OMS_F_PRIORITY = 1u << 12,
    OMS_F_TIMEZONE = 1u << 13,
    OMS_F_HANDLING = 1u << 14,
    OMS_F_WORKING_DAYS = 1u << 15,
    OMS_F_LOCATIONS = 1u << 16,
    OMS_F_BUFFER = 1u << 17,
    OMS_F_ALLOW_BACKORDER = 1u << 18,
    OMS_F_DELAY_POLICY = 1u << 19,
    OMS_F_BUFFER_PERCENT = 1u << 20,
    OMS_F_EXCLUDE_STORES = 1u << 21,
};

struct oms_cmd_item {
    const char *sku;
    uint32_t fields;
    const char *name;
    int64_t price_minor;
    const char *currency;
    enum oms_policy policy;
    oms_qty backorder_limit; /* -1: no limit. */
    int32_t lead_time_days;  /* -1: none. */
    oms_qty low_stock_threshold;
    oms_qty min_order_qty;
    oms_day release_day; /* OMS_DAY_NONE: none. */
    bool allow_split;
};

struct oms_cmd_location {
    const char *code;
    uint32_t fields;
    const char *name;
    enum oms_location_kind kind;
    const char *region;
    int32_t priority;
    const char *timezone; /* Checked by the engine (ICU); an unknown zone is EINVAL. */
    int32_t handling_days;
    uint32_t working_mask;
};

struct oms_cmd_channel {
    const char *code;
    uint32_t fields;
    const char *name;
    const char *const *locations;
    uint32_t locations_count;
    oms_qty buffer;
    bool allow_backorder;
    int32_t priority;
    bool cancel_on_delay; /* delay_policy "cancel" (else "hold"). */
    int32_t buffer_percent;
    bool exclude_stores;
};

/* PUT /v1/channels/{code}/items/{sku}: fields present set, fields sent as null are removed,
 * the others keep their value (rule 9). Also the key of the GET (a READ). */
struct oms_cmd_channel_item {
    const char *channel, *sku;
    uint32_t fields;  /* OMS_RULE_* bits present with a value. */
    uint32_t cleared; /* OMS_RULE_* bits sent as null. */
    oms_qty buffer;
    int32_t buffer_percent;
    oms_qty cap_qty;
    enum oms_cap_period cap_period;
    oms_qty floor;
};

struct oms_cmd_distance {
    const char *region; /* The other region's code. */
    int32_t distance;   /* OMS_DISTANCE_UNKNOWN: forget the pair (JSON null). */
};

struct oms_cmd_region {
    const char *code;
    uint32_t fields; /* OMS_F_NAME. */
    const char *name;
    const struct oms_cmd_distance *distances; /* Pairs to set or forget; others keep theirs. */
    uint32_t distances_count;
};

struct oms_cmd_adjust {
    const char *sku, *location, *reason;
    bool is_set;      /* set (a count) rather than delta. */
    oms_qty delta;    /* on_hand change when !is_set. */
    oms_qty set;      /* on_hand counted at as_ms when is_set. */
    int64_t as_of_ms; /* When the count was taken; 0: when the command happened. */
    bool has_safety, has_unavailable;
    oms_qty safety, unavailable;
    bool superseded; /* Out: a newer count was applied already; on_hand kept its value. */
};

/* ERP and POS snapshots (rule 6 for many levels at once; apply_snapshot.c). Every row is a
 * count of one level taken at as_of, applied by the same code as a single count; the whole
 * snapshot is checked first and applied in one command (one commit), or refused whole. */
#define OMS_SNAPSHOT_ROWS_MAX 100000
#define OMS_SNAPSHOT_SOURCE_BYTES_MAX 128
/* Default thresholds of the report's warnings (decisions.md). */
#define OMS_SNAPSHOT_CHANGE_UNITS_DEFAULT 10
#define OMS_SNAPSHOT_CHANGE_PERCENT_DEFAULT 50
#define OMS_SNAPSHOT_STALE_HOURS_DEFAULT 24
#define OMS_SNAPSHOT_ID_PREFIX "snap_" /* Ids the engine gives snapshots sent without one. */

struct oms_snapshot_row {
    const char *sku, *location;
    oms_qty on_hand; /* Counted at as_of; >= 0. */
    bool has_unavailable;
    oms_qty unavailable;
};

enum oms_snapshot_outcome {
    OMS_SNAPSHOT_UNCHANGED,  /* The count agreed with the engine (after re-applied moves). */
    OMS_SNAPSHOT_CHANGED,
    OMS_SNAPSHOT_SUPERSEDED, /* A newer count of the level was applied already. */
};

/* Out: what the snapshot did to one row. */
struct oms_snapshot_result {
    enum oms_snapshot_outcome outcome;
    oms_qty movements_after;  /* Net on_hand moves recorded after as_of (re-applied). */
    oms_qty receipts_after;   /* Of which receipts (the ERP may count them already). */
    oms_qty on_hand_before, on_hand_after;
    oms_qty unavailable_before, unavailable_after;
    oms_qty allocated_before; /* At the location, before the count. */
    int64_t last_count_ms;    /* SUPERSEDED: when the newer count was taken. */
};

/* Stable codes of what looked wrong (the report's "warnings"); names in oms_snapshot_warning_name. */
enum oms_snapshot_warning_code {
    OMS_SNAPSHOT_W_STALE,            /* as_of is older than stale_hours (whole snapshot). */
    OMS_SNAPSHOT_W_LARGE_CHANGE,     /* |delta| above both thresholds. */
    OMS_SNAPSHOT_W_BELOW_ALLOCATED,  /* The count is below the units allocated there. */
    OMS_SNAPSHOT_W_SHORT,            /* The count left the location short: rule 3b ran. */
    OMS_SNAPSHOT_W_RECEIPTS_AFTER,   /* Receipts recorded after as_of were re-applied. */
    OMS_SNAPSHOT_W_MOVES_EXCEED,     /* Moves since as_of take more than was counted: 0. */
    OMS_SNAPSHOT_W_SUPPLY_DUE,       /* Open supply there was due by as_of: counted twice? */
};
const char *oms_snapshot_warning_name(enum oms_snapshot_warning_code code);

/* A line a shortage took units from (rule 3b), and where it stands after the re-run. */
struct oms_snapshot_line {
    uint32_t line;          /* Index of the line in the model. */
    oms_qty taken;          /* Units moved from allocated to backordered. */
    oms_qty allocated, backordered; /* After the queue re-run. */
    oms_day promise_day;
};

struct oms_snapshot_warning {
    enum oms_snapshot_warning_code code;
    uint32_t row;      /* Index in rows; OMS_SNAPSHOT_NO_ROW for the whole snapshot. */
    oms_qty value;     /* STALE: age in hours; LARGE_CHANGE: delta; BELOW_ALLOCATED: on_hand;
                        * SHORT: units short; RECEIPTS_AFTER: units; MOVES_EXCEED: count + moves;
                        * SUPPLY_DUE: open units. */
    oms_qty limit;     /* STALE: stale_hours; LARGE_CHANGE: units threshold; BELOW_ALLOCATED:
                        * allocated; SHORT: units taken from safety; SUPPLY_DUE: supply lines;
                        * others 0. */
    oms_qty from_holds; /* SHORT: units taken from holds (carts and checkouts). */
    uint32_t lines_first, lines_count; /* SHORT: its lines in the command's lines array. */
};
#define OMS_SNAPSHOT_NO_ROW UINT32_MAX

struct oms_cmd_snapshot {
    const char *id;     /* NULL: the engine names it "snap_<n>". A repeated id replays. */
    const char *source; /* Free text ("SAP nightly"), may be NULL. */
    int64_t as_of_ms;   /* When the counts were taken; > 0. */
    const struct oms_snapshot_row *rows;
    uint32_t rows_count;
    oms_qty change_units, change_percent; /* LARGE_CHANGE thresholds. */
    int64_t stale_hours;
    /* Out, malloc'd by the engine and freed by oms_command_release. */
    char out_id[OMS_SNAPSHOT_OUT_ID_BYTES];
    struct oms_snapshot_result *results; /* One per row. */
    struct oms_snapshot_warning *warnings;
    uint32_t warnings_count;
    struct oms_snapshot_line *lines;
    uint32_t lines_count;
    uint32_t unchanged, changed, superseded;
};

struct oms_cmd_supply {
    const char *id, *sku, *location;
    oms_qty qty;
    oms_day expected_day;
    const char *from; /* A transfer from this location; NULL for a purchase order. */
};

struct oms_cmd_supply_update {
    const char *id;
    bool has_expected, has_qty, has_status;
    oms_day expected_day;
    oms_qty qty;                   /* New total expected; never below what was received. */
    enum oms_supply_status status; /* OMS_SUPPLY_CANCELLED or OMS_SUPPLY_CLOSED. */
};

struct oms_cmd_accept_line {
    uint32_t line_no;
    bool has_latest; /* A new latest date the customer accepts; without it, any date. */
    oms_day latest_day;
};

struct oms_cmd_accept {
    const char *id;
    const struct oms_cmd_accept_line *lines;
    uint32_t lines_count;
};

struct oms_cmd_return_line {
    uint32_t line_no;
    oms_qty qty;
    bool sellable;
};

struct oms_cmd_return {
    const char *id, *location;
    const struct oms_cmd_return_line *lines;
    uint32_t lines_count;
};

struct oms_fill { /* One line a receipt filled. */
    uint32_t line;
    oms_qty qty;
};

/* A promise a change moved (or, in a dry run, would move). */
struct oms_promise_change {
    uint32_t line;       /* Index of the line in the model. */
    oms_day old_day, new_day;
    oms_qty allocated;   /* Units the change allocated to the line. */
};

struct oms_cmd_receive {
    const char *id;
    oms_qty qty;
    /* Out: what the receipt did. fills is malloc'd by the engine, freed by oms_command_release. */
    struct oms_fill *fills;
    uint32_t fills_count;
    oms_qty to_stock, over_received;
};

struct oms_cmd_line {
    const char *sku;
    oms_qty qty;
    int64_t price_minor; /* -1: the item's price. */
    bool ship_complete;
    bool has_latest;    /* The customer accepts promises up to latest_day only. */
    oms_day latest_day;
};

struct oms_cmd_order {
    const char *id, *channel, *region, *customer_ref, *contact;
    const char *collect; /* Click-and-collect location code, or NULL: shipped to region. */
    const struct oms_cmd_line *lines;
    uint32_t lines_count;
    const char *hold; /* A hold whose units the order consumes first; NULL: none. */
};

/* Holds (carts and checkouts). Expiry is on the engine clock, at most OMS_HOLD_TTL_MAX_MS after
 * the hold is placed (the clock at placement), never at or before it. */
#define OMS_HOLD_TTL_MAX_MS ((int64_t)24 * 60 * 60 * 1000) /* hold_ttl_max: 24 hours. */
#define OMS_HOLD_LINES_MAX OMS_LINES_PER_ORDER_MAX         /* hold_lines_max: as an order. */

struct oms_cmd_hold_line {
    const char *sku;
    oms_qty qty;
};

struct oms_cmd_hold {
    const char *id, *channel, *region;
    const struct oms_cmd_hold_line *lines;
    uint32_t lines_count;
    int64_t expires_ms;
    bool all_or_nothing; /* A line holds all its qty or nothing ("partial": false). */
    bool already;        /* Out (RELEASE): the hold had ended before; nothing changed. */
};

struct oms_cmd_qty_line {
    uint32_t line_no;
    oms_qty qty;
};

struct oms_cmd_cancel {
    const char *id;
    const struct oms_cmd_qty_line *lines; /* NULL: every unshipped unit. */
    uint32_t lines_count;
    oms_qty cancelled; /* Out: units cancelled now (0: nothing was left to cancel). */
};

/* Units one line moved at one location: what a shipment (or a cancelled one) did. */
struct oms_ship_move {
    uint32_t line;     /* Index of the line in the model. */
    uint32_t location; /* Index of the location. */
    oms_qty qty;
};

/* A shipment, or a shipment cancelled before it left (OMS_CMD_ORDER_UNSHIP). Without a location
 * the engine finds it per line (decision 54): a shipment takes the line's allocations (one
 * location holding all the units asked, else several, by location priority then code); a
 * cancelled one brings the units back where the order's units of that SKU shipped from, and
 * is refused when that is more than one location. */
struct oms_cmd_ship {
    const char *id, *location; /* location NULL: not named. */
    const struct oms_cmd_qty_line *lines;
    uint32_t lines_count;
    /* Out: per line (in the order's line order) and location, malloc'd by the engine and
     * freed by oms_command_release. */
    struct oms_ship_move *moves;
    uint32_t moves_count;
};

struct oms_cmd_subscribe {
    const char *sku, *channel, *contact;
};
/* A subscription's id in answers and events: this prefix and its index + 1 ("sub_1"). */
#define OMS_SUBSCRIPTION_ID_PREFIX "sub_"

/* Webhooks (engine/webhooks.h): register, deactivate, re-queue a dead delivery by hand. */
struct oms_cmd_webhook {
    const char *id;           /* DELETE, REDELIVER: the webhook. */
    const char *url, *secret; /* CREATE. */
    const char *const *types; /* CREATE: event type names, or the one name "*". */
    uint32_t types_count;
    int64_t seq;              /* REDELIVER: the event. */
    char created_id[24];      /* Out (CREATE): "wh_1". */
    int64_t created_ms;       /* Out (CREATE): engine clock. */
};

/* The dispatcher's results: delivery rows (store.h) and how far each webhook has read. */
struct oms_delivery_row;
struct oms_webhook_cursor {
    int64_t webhook, cursor;
};
struct oms_cmd_deliveries {
    const struct oms_delivery_row *rows;
    uint32_t rows_count;
    const struct oms_webhook_cursor *cursors;
    uint32_t cursors_count;
};

struct oms_command;
typedef char *(*oms_encode_fn)(struct oms_command *cmd, const struct oms_state *state,
                               size_t *len);
typedef void (*oms_done_fn)(struct oms_command *cmd);

struct oms_command {
    enum oms_cmd_kind kind;
    bool dry_run;               /* Supply commands and repeg: say what would change, change
                                 * nothing (the model is restored, nothing is written). */
    int64_t at_ms;              /* When it happened in the world; 0: now. */
    const char *idem_key;       /* Idempotency-Key, or NULL. */
    char fingerprint[65];       /* SHA-256 hex of the canonical body, "" when none. */
    union {
        struct oms_cmd_item item;
        struct oms_cmd_location location;
        struct oms_cmd_channel channel;
        struct oms_cmd_channel_item channel_item;
        struct oms_cmd_adjust adjust;
        struct oms_cmd_supply supply;
        struct oms_cmd_receive receive;
        struct oms_cmd_order order;
        struct oms_cmd_cancel cancel;
        struct oms_cmd_ship ship;
        struct oms_cmd_supply_update supply_update;
        struct oms_cmd_return ret;
        struct oms_cmd_accept accept;
        const char *sku; /* OMS_CMD_REPEG. */
        /* OMS_CMD_CLOCK: an earlier instant than the clock is refused (POST /v1/clock asks
         * for a move). The server's own ticks leave it false: a tick racing a request that
         * moved the clock past wall time is simply a no-op, not an error. */
        bool forward_only;
        struct oms_cmd_subscribe subscribe;
        struct oms_cmd_webhook webhook;
        struct oms_cmd_deliveries deliveries;
        struct oms_cmd_hold hold;
        struct oms_cmd_region region;
        struct oms_cmd_snapshot snapshot;
    } u;
    oms_encode_fn encode;       /* Builds the answer on the writer thread; may be NULL. */
    oms_done_fn done;           /* Called once, on the syncer thread, once durable. */
    void *user;

    /* Out. */
    enum oms_err err;
    char err_field[96];         /* JSON path of the offending field, "" when none. */
    char err_message[256];
    int status;                 /* 200, 201 (created), or the replayed first status. */
    bool replayed;              /* An idempotent retry: answer is the first answer. */
    uint32_t result_index;      /* The record the command created or changed (order, item...). */
    char *answer;
    size_t answer_len;
    struct oms_promise_change *changes; /* Promises the command moved, malloc'd (or NULL). */
    uint32_t changes_count;
};

struct oms_engine;

struct oms_engine_options {
    const char *db_path;
    bool exclusive; /* Refuse to open a database another process holds (default true). */
    bool no_webhooks;              /* Start no webhook dispatcher (tests, batch tools). */
    int64_t webhook_backoff_ms;    /* First retry delay; 0: env OMS_WEBHOOK_BACKOFF_MS, else 1 s. */
    uint32_t webhook_attempts_max; /* Attempts before a delivery is dead; 0: 12. */
    int64_t webhook_timeout_ms;    /* One attempt in total; 0: 5 s (connecting: 2 s at most). */
};

OMS_MUST_CHECK enum oms_err oms_engine_open(const struct oms_engine_options *options,
                                            struct oms_engine **out);
/* Holds expire on the engine clock at the first command after their expiry. This starts a
 * timer that also ticks the clock to now (wall time) once an active hold's expiry has passed,
 * checking every period_ms, so holds expire with no traffic (oms serve). Without it (tests,
 * batch tools) the clock is the caller's own. Call at most once, before serving. */
void oms_engine_start_hold_timer(struct oms_engine *engine, int64_t period_ms);
/* Stops the writer after the commands already submitted, then closes the store. */
void oms_engine_close(struct oms_engine *engine);

/* Queues a command; `done` runs later on the syncer thread. Returns OMS_EBUSY (and does not
 * call done) when the queue is full, OMS_ESHUTDOWN when closing. */
OMS_MUST_CHECK enum oms_err oms_engine_submit(struct oms_engine *engine, struct oms_command *cmd);
/* Queues commands all at once, in order (none when it returns an error): a writer that is
 * waiting takes them in one batch (up to OMS_BATCH_MAX). For tools and benchmarks. */
OMS_MUST_CHECK enum oms_err oms_engine_submit_many(struct oms_engine *engine,
                                                   struct oms_command **cmds, uint32_t count);
/* Submits and waits for the answer (uses cmd->done and cmd->user itself). */
enum oms_err oms_engine_execute(struct oms_engine *engine, struct oms_command *cmd);
/* Frees what the engine and encoder allocated in cmd (answer, fills). */
void oms_command_release(struct oms_command *cmd);

/* The hot read path: rule 1 for one SKU and channel, from the index, without the writer. */
struct oms_availability {
    enum oms_avail_status status;
    oms_qty available;
    oms_day promise_day; /* OMS_DAY_NONE when the quantity cannot be promised. */
    oms_day release_day; /* For preorders. */
    uint32_t locations_count;
    struct {
        char code[OMS_CODE_BYTES_MAX + 1];
        oms_qty available;
    } locations[OMS_LOCATIONS_MAX];
};
/* False, with why, when a PUT of an item would be refused against the state (a new currency
 * without its price on a priced item, decision 57): the writer's rule, which the CSV import
 * asks before it sends a row, so that a file is applied whole or not at all. */
bool oms_item_put_allowed(const struct oms_state *state, const struct oms_cmd_item *c, char *why,
                          size_t why_len);

/* OMS_ENOTFOUND for an unknown channel; an unknown SKU answers status OMS_AVAIL_UNKNOWN_SKU. */
OMS_MUST_CHECK enum oms_err oms_engine_availability(struct oms_engine *engine,
                                                    const char *channel, const char *sku,
                                                    oms_qty want, const char *region,
                                                    struct oms_availability *out);
/* The same for click-and-collect at location `collect` (NULL: shipped): what that one location
 * can give the channel. OMS_EINVAL when the channel does not list that location. */
OMS_MUST_CHECK enum oms_err oms_engine_availability_collect(struct oms_engine *engine,
                                                            const char *channel, const char *sku,
                                                            oms_qty want, const char *region,
                                                            const char *collect,
                                                            struct oms_availability *out);

/* The channel feed (GET /v1/channels/{code}/feed): the availability of every item whose
 * answer for one unit on the channel (status, available, promise or release date) changed
 * since a cursor, or every item (a full snapshot), a page at a time, from the index. Cursors
 * are opaque text; a cursor this run cannot answer (another run, older than the retained
 * changes) gets a full snapshot flagged reset. */
#define OMS_FEED_CHANGES_MAX (1u << 20) /* Changes retained; an older cursor starts over. */
#define OMS_FEED_SCAN_MAX 65536u        /* Changes one page reads at most (bounds the lock). */
#define OMS_FEED_LIMIT_MAX 1000
#define OMS_FEED_LIMIT_DEFAULT 500
#define OMS_FEED_CURSOR_LEN 51
struct oms_feed_page {
    bool full;  /* This page is part of a snapshot of every item. */
    bool reset; /* The first page of a snapshot sent because the cursor could not be answered:
                 * the client replaces its copy. */
    bool more;  /* More is there now: ask again with next at once. */
    char next[OMS_FEED_CURSOR_LEN + 1];
    char why[128]; /* Why a cursor was refused (OMS_EINVAL). */
};
typedef void (*oms_feed_visit)(void *ctx, const char *sku, const struct oms_availability *a);
/* after NULL: a full snapshot. OMS_ENOTFOUND: no such channel; OMS_EINVAL: a cursor that this
 * server never gave for this channel (page->why). visit runs under the index's read lock. */
OMS_MUST_CHECK enum oms_err oms_engine_feed(struct oms_engine *engine, const char *channel,
                                            const char *after, uint32_t limit,
                                            oms_feed_visit visit, void *ctx,
                                            struct oms_feed_page *page);

/* The same for many SKUs at once, under one lock of the index: visit(ctx, i, answer) for each
 * of skus[0..count) in order, none on an error. The hot read path (GET /v1/availability). */
OMS_MUST_CHECK enum oms_err oms_engine_availability_many(
    struct oms_engine *engine, const char *channel, const char *const *skus, size_t count,
    oms_qty want, const char *region, const char *collect,
    void (*visit)(void *ctx, size_t i, const struct oms_availability *a), void *ctx);

/* The event feed, read from the store's read connection (never blocks the writer). */
struct oms_event_row;
OMS_MUST_CHECK enum oms_err oms_engine_events(struct oms_engine *engine, int64_t after,
                                              uint32_t limit,
                                              void (*visit)(void *ctx,
                                                            const struct oms_event_row *row),
                                              void *ctx);

/* The events of one subject (an order id: its timeline), in commit order. */
OMS_MUST_CHECK enum oms_err oms_engine_subject_events(
    struct oms_engine *engine, const char *subject, int64_t after, uint32_t limit,
    void (*visit)(void *ctx, const struct oms_event_row *row), void *ctx);

/* The stored report of snapshot `id` (the first answer to it), read from the store's read
 * connection: *body is malloc'd; OMS_ENOTFOUND when no such snapshot was applied. */
OMS_MUST_CHECK enum oms_err oms_engine_snapshot_report(struct oms_engine *engine, const char *id,
                                                       char **body, size_t *len);

/* Instant of the engine clock (for answers). */
int64_t oms_engine_clock_ms(struct oms_engine *engine);

#endif
