/*
 * writer.h - private to the engine: the writer's context while it applies one batch, and
 * the functions command handlers share (counter moves, events, saves, the queue re-run).
 * Everything here runs on the writer thread only.
 *
 * A handler validates everything first and returns an error without touching the model;
 * once it starts changing the model it cannot fail: a store error then is fatal (the
 * process stops before anything is acknowledged; the last commit is intact).
 */
#ifndef OMS_ENGINE_WRITER_H
#define OMS_ENGINE_WRITER_H

#include "base/platform.h"
#include "engine/engine.h"
#include "store/model.h"
#include "store/store.h"

struct oms_tz;
struct oms_notices;

enum oms_counter { OMS_ON_HAND, OMS_ALLOCATED, OMS_RESERVED, OMS_SAFETY, OMS_UNAVAILABLE };

struct oms_writer {
    struct oms_state state;
    struct oms_store *store;
    struct oms_tz **tz; /* One per location. */
    int64_t day_end_ms[OMS_LOCATIONS_MAX]; /* Per location: the instant its local today ends. */
    int64_t event_seq;  /* Last event seq written. */
    int64_t at_ms;      /* The current command's instant in the world. */
    uint8_t *item_dirty; /* Items whose availability changed in this batch. */
    uint32_t *dirty_items;
    uint32_t dirty_count, dirty_cap, item_dirty_cap;
    bool webhooks_changed; /* The webhooks generation moved in this batch. */
    bool master_dirty;   /* Locations or channels changed in this batch. */
    const char *cause;   /* Why promises move now: "receipt of PO-1", "order o1"... */
    bool record_fills;      /* The re-run records the allocations it makes in fills. */
    struct oms_fill *fills;
    uint32_t fills_count, fills_cap;
    uint32_t fills_location; /* Only allocations at this location count (OMS_NONE: all). */
    uint32_t *to_cancel; /* Lines a delay past their latest_date cancels after a re-run. */
    uint32_t to_cancel_count, to_cancel_cap;
    bool dry_run; /* Change the model only: no store writes, no events; restored after. */
    struct oms_promise_change *changes; /* Promise moves of the current command. */
    uint32_t changes_count, changes_cap;
    struct oms_notices *notices; /* Published statuses and back-in-stock waves (notices.h). */
    struct {
        uint32_t item, location;
    } *touched; /* Levels the current command changed: one stock.changed each at its end. */
    uint32_t touched_count, touched_cap;
    uint64_t *touched_locations; /* Per item, bit l: (item, l) is in touched (a snapshot may
                                  * touch 100,000 levels: no scan of the list per move). */
    uint32_t touched_locations_cap;
    uint64_t *level_dirty; /* Per item, bit l: the level at location l changed since its row
                            * was last saved (the row in the store is stale). */
    uint32_t level_dirty_cap;
    uint32_t levels_stale;  /* Bits set in level_dirty. */
    /* The levels sweep (oms__save_levels): each batch saves the stale levels of the next few
     * items, so that a pass over every item takes sweep_batches batches. */
    uint32_t sweep_item;    /* The next item to save. */
    uint32_t sweep_batch;   /* Batches since the current pass began. */
    uint32_t sweep_batches; /* OMS_LEVELS_SWEEP_BATCHES, or env of that name (tests). */
    int64_t sweep_seq;      /* The ledger's last row when the current pass began. */
    void *spare_view; /* repeg.c's planning view, kept between calls (NULL while in use). */
};

/* Stock level rows are a checkpoint, not written with every move (issue 4): a load replays
 * the ledger rows after it. A sweep saves the stale levels of a few items per batch, a pass
 * over every item in SWEEP_BATCHES batches or SWEEP_ROWS ledger rows, whichever comes first,
 * and a finished pass moves the checkpoint to where it began (decision 50). Past TAIL_MAX
 * ledger rows to replay, or at close, every stale level is saved at once. */
#define OMS_LEVELS_SWEEP_BATCHES 1024
#define OMS_LEVELS_SWEEP_ROWS 50000
#define OMS_LEVELS_TAIL_MAX 200000

/* Fatal on a store error: the model and the store would disagree. */
void oms__must(enum oms_err err, const char *what);

/* The one code path that moves a stock counter: sets it, checks the level, writes the
 * ledger entry and the level row, and marks the item dirty. */
void oms__move(struct oms_writer *w, uint32_t item, uint32_t location, enum oms_counter counter,
               oms_qty value, const char *reason, const char *ref);
void oms__mark_dirty(struct oms_writer *w, uint32_t item);

/* Appends an event to the outbox (seq assigned here). data_json is a JSON object's text. */
void oms__emit(struct oms_writer *w, const char *type, const char *subject,
               const char *data_json);
/* One stock.changed (and stock.short when short) per level the command changed. */
void oms__flush_stock_events(struct oms_writer *w);
/* Forgets the levels the command changed (after their events, or a dry run). */
void oms__touched_clear(struct oms_writer *w);
/* line.promise_changed from old_day to the line's promise now, with w->cause as reason. */
void oms__emit_promise_changed(struct oms_writer *w, uint32_t line, oms_day old_day);
/* Starts a line event's payload with what every line event carries: order, line, sku. */
struct oms_jsonw;
void oms__line_event_begin(struct oms_jsonw *json, const struct oms_writer *w, uint32_t line);
void oms__save_line(struct oms_writer *w, uint32_t line);
/* Writes the stale level rows and the levels checkpoint when a limit above is reached, or
 * always when `now`. Inside a transaction. */
void oms__save_levels(struct oms_writer *w, bool now);
/* Marks a level's row stale: it will be saved by the sweep (or at once, by a full save). */
void oms__level_stale(struct oms_writer *w, uint32_t item, uint32_t location);
void oms__save_supply(struct oms_writer *w, uint32_t supply);

/* Sets the command's error and returns it. */
enum oms_err oms__fail(struct oms_command *cmd, enum oms_err err, const char *field,
                       const char *fmt, ...) OMS_PRINTF(4, 5);

/* Rule 3: re-runs the item's queue against free stock and supply. new_line, when not
 * OMS_NONE, is a line being placed now (rule 2), planned as a new line behind every waiting
 * line of equal or higher priority. */
void oms__repeg(struct oms_writer *w, uint32_t item, uint32_t new_line);
/* Rule 3b: a short location gives up safety, then holds, then allocations (latest first). */
void oms__cover_shortage(struct oms_writer *w, uint32_t item, uint32_t location);
/* Plans a hold line of `qty` units of an item for a channel on free stock only (no supply, no
 * lead time): the allocations it may reserve now, the rest rejected with a reason. `whole`:
 * all of qty or nothing. Changes nothing. */
struct oms_plan_result;
void oms__plan_hold(struct oms_writer *w, uint32_t item, uint32_t channel, uint32_t region,
                    oms_qty qty, bool whole, struct oms_plan_result *result);

/* Holds (apply_hold.c). Expires every active hold due at the engine clock, once each: its units
 * are released and the items' queues re-run (rule 3). */
void oms__expire_holds(struct oms_writer *w);
/* Rule 3b's second step: takes `qty` reserved units of an item at a location from active
 * holds, newest first (each reduced hold is saved and gets a hold.reduced event). */
void oms__holds_cover_shortage(struct oms_writer *w, uint32_t item, uint32_t location,
                               oms_qty qty);
/* Order placement with "hold": the hold (OMS_NONE when the order names none or an unusable
 * one), checked before the order changes anything; the units an order line takes from it
 * (reserved -> allocated on the line); and the hold's end once every line took its part. */
enum oms_err oms__order_hold(struct oms_writer *w, struct oms_command *cmd, uint32_t channel,
                             uint32_t *hold, enum oms_hold_use *use);
void oms__hold_consume_line(struct oms_writer *w, uint32_t hold, uint32_t line);
void oms__hold_consumed(struct oms_writer *w, uint32_t hold, uint32_t order);
enum oms_err oms__apply_hold_create(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_hold_release(struct oms_writer *w, struct oms_command *cmd);
void oms__save_hold(struct oms_writer *w, uint32_t hold);

/* Refreshes each location's today and ship day from the clock; true when a day changed. */
bool oms__refresh_days(struct oms_writer *w);
/* The earliest instant at which some location's local day ends (INT64_MAX without
 * locations): the hold timer ticks the clock then, so reads never answer with yesterday's
 * dates through a night without writes. */
int64_t oms__next_day_end_ms(const struct oms_writer *w);

/* Releases `qty` open units of a line: backordered first (latest promise first), then
 * allocations. Returns the units released. */
oms_qty oms__release_line(struct oms_writer *w, uint32_t line, oms_qty qty, const char *reason);

/* Dry runs: snapshot what a supply command on `item` can change, then put it back. */
struct oms_dry_snapshot;
struct oms_dry_snapshot *oms__dry_begin(struct oms_writer *w, uint32_t item);
void oms__dry_end(struct oms_writer *w, struct oms_dry_snapshot *snapshot);
/* Records a promise move of the current command (and in a dry run, nothing else). */
void oms__record_change(struct oms_writer *w, uint32_t line, oms_day old_day, oms_day new_day,
                        oms_qty allocated);

/* Channel caps (engine/channel_rules.c). A line counts oms_line_accepted() against its
 * channel's cap on its item when its order was placed in the current period. Every path that
 * changes what a line accepts (placement, the hold's units taken first, cancellation, cancel on
 * delay) takes `before` = oms_line_accepted() ahead of the change and calls this after it:
 * the counter moves by the difference, so no path keeps its own idea of the units. Returns
 * what the line accepts now. */
oms_qty oms__cap_follow(struct oms_writer *w, uint32_t line, oms_qty before);
/* Counts again what every cap has sold in its current period, from the orders (at start, and
 * when a channel's first location or its zone, or a cap's period, changes). */
void oms__cap_recount(struct oms_writer *w);
/* A change of one level's on_hand (and unavailable, safety) by a count or a delta: the one
 * path that adjustments, counts (rule 6) and the rows of a snapshot share. */
struct oms__level_change {
    uint32_t item, location;
    bool is_count;
    int64_t as_of_ms;  /* A count: when it was taken. */
    oms_qty counted;   /* A count: on_hand found at as_of. */
    oms_qty delta;     /* Not a count: the change of on_hand. */
    bool has_unavailable, has_safety;
    oms_qty unavailable, safety;
    const char *on_hand_field, *unavailable_field; /* Named in errors ("set", "rows[3].on_hand"). */
    /* Out of oms__level_plan. */
    bool superseded;       /* A newer count was applied already: on_hand keeps its value. */
    int64_t last_count_ms; /* The latest count applied before (0: none). */
    oms_qty since;         /* Net on_hand moves recorded after as_of, re-applied. */
    oms_qty receipts_since; /* Of which receipts. */
    bool clamped;          /* counted + since was negative: on_hand 0. */
    oms_qty on_hand, unavailable_after; /* The level's new counters. */
};
/* Decides the level's new counters and checks them (on_hand within limits, unavailable not
 * above on_hand); reads the ledger, changes nothing. Fails the command naming the field. */
enum oms_err oms__level_plan(struct oms_writer *w, struct oms_command *cmd,
                             struct oms__level_change *change);
/* Moves the counters as planned (a count is recorded at its as_of) and, when the level is
 * left short, reports it (stock.short) and resolves it by rule 3b. Does not re-run the
 * queue: the caller does, once per item. Returns true when the level was short. */
bool oms__level_apply(struct oms_writer *w, const struct oms__level_change *change,
                      const char *reason, const char *ref);

/* Command handlers. */
enum oms_err oms__apply_put_item(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_put_location(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_put_channel(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_put_channel_item(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_put_region(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_adjust(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_supply_create(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_supply_receive(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_order_place(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_order_cancel(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_order_ship(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_clock(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_supply_update(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_repeg(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_order_return(struct oms_writer *w, struct oms_command *cmd);
/* An order's [{line, qty}] at a location, or anywhere, each line's sum checked against a
 * limit. */
struct oms_line_request {
    const char *id, *location; /* location NULL: the request left it out (decision 54). */
    const struct oms_cmd_qty_line *lines;
    uint32_t lines_count;
    /* The most units of the line the request may move at a location (OMS_NONE: anywhere). */
    oms_qty (*limit)(const struct oms_state *state, const struct oms_line *line,
                     uint32_t location);
    enum oms_err over;      /* The error when a line asks more than its limit. */
    const char *what;       /* The limit in words, for the message ... */
    const char *what_there; /* ... and when the request names its location. */
};
/* Validates the request (the order, the location when named, then each line and its units
 * against its limit there, or anywhere when no location is named); on success *location is
 * the location (OMS_NONE when not named) and *want (calloc'd, one per line of the order, the
 * caller frees) holds each line's units. Changes nothing. */
enum oms_err oms__order_location_lines(struct oms_writer *w, struct oms_command *cmd,
                                       const struct oms_line_request *request, uint32_t *order,
                                       uint32_t *location, oms_qty **want);
/* Units of the line allocated at the location; at every location for OMS_NONE. */
oms_qty oms__allocated_at(const struct oms_state *state, const struct oms_line *line,
                         uint32_t location);
/* Appends a move to the command's out list (grown with *cap, which starts at 0). */
void oms__ship_move_add(struct oms_cmd_ship *c, uint32_t *cap, uint32_t line, uint32_t location,
                        oms_qty qty);
/* "UK1 (3), UK2 (2)" into out: the codes of the locations with units[l] > 0, in index order,
 * each with its units, at most OMS_CANDIDATES_SHOWN_MAX then "and N more"; for the message of
 * a request that must name one of them. units has one entry per location. */
#define OMS_CANDIDATES_SHOWN_MAX 8
#define OMS_CANDIDATES_TEXT_BYTES 160
void oms__candidates_text(const struct oms_state *state, const oms_qty *units, char *out,
                          size_t cap);
enum oms_err oms__apply_order_unship(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_accept_delay(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_subscribe(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_snapshot(struct oms_writer *w, struct oms_command *cmd);
/* Stores an applied snapshot with its report (cmd->answer), in the batch's transaction. */
void oms__save_snapshot(struct oms_writer *w, const struct oms_command *cmd);
/* Dry runs of a snapshot: one dry snapshot per item its rows name; *out is malloc'd. */
uint32_t oms__dry_begin_items(struct oms_writer *w, const struct oms_command *cmd,
                              struct oms_dry_snapshot ***out);
/* Takes a supply line out of its item's open list (received, cancelled or closed). */
void oms__close_supply(struct oms_state *state, uint32_t supply);

#endif
