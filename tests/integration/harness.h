/*
 * harness.h - helpers for integration tests that drive the engine on a real SQLite file:
 * fresh database paths, synchronous commands, and running a check on the writer thread
 * (the only thread that may read the model).
 */
#ifndef OMS_TEST_HARNESS_H
#define OMS_TEST_HARNESS_H

#include "base/platform.h"
#include "engine/engine.h"
#include "store/model.h"

/* A fresh database path under OMS_TEST_TMP (or /tmp), unique per call; old files removed. */
void harness_db_path(char *out, size_t cap, const char *name);
struct oms_engine *harness_open(const char *path);

/* Runs fn(state, ctx) on the writer thread, between batches. */
void harness_inspect(struct oms_engine *engine, void (*fn)(const struct oms_state *, void *),
                     void *ctx);
/* oms_state_check() on the writer thread; fails the test with its reason. */
void harness_assert_consistent(struct oms_engine *engine);

/* Master data and stock in one call each; fail the test on any error. */
void harness_location(struct oms_engine *e, const char *code, const char *region, int32_t priority,
                      int32_t handling_days);
void harness_channel(struct oms_engine *e, const char *code, const char *const *locations,
                     uint32_t count, oms_qty buffer, bool allow_backorder, int32_t priority);
void harness_item(struct oms_engine *e, const char *sku, enum oms_policy policy,
                  oms_qty backorder_limit, int32_t lead_time_days, bool allow_split);
void harness_set_stock(struct oms_engine *e, const char *sku, const char *location, oms_qty on_hand);
void harness_supply(struct oms_engine *e, const char *id, const char *sku, const char *location,
                    oms_qty qty, const char *expected_date);
enum oms_err harness_receive(struct oms_engine *e, const char *id, oms_qty qty);

/* Places an order of (sku, qty) lines at the given instant ("2026-01-01T10:00:00Z", or NULL
 * for now) and returns its engine error. */
enum oms_err harness_order(struct oms_engine *e, const char *id, const char *channel,
                           const char *region, const char *at, const char *const *skus,
                           const oms_qty *qtys, uint32_t count);
enum oms_err harness_cancel_all(struct oms_engine *e, const char *id);
enum oms_err harness_ship(struct oms_engine *e, const char *id, const char *location,
                          uint32_t line_no, oms_qty qty);

/* What a line holds now. */
struct harness_line {
    oms_qty allocated, backordered, shipped, cancelled, rejected;
    enum oms_reject_reason reason;
    oms_day promise_day;
    char first_supply[64]; /* Supply of the first peg, "" for lead time or none. */
};
struct harness_line harness_get_line(struct oms_engine *e, const char *order, uint32_t line_no);
struct oms_stock_level harness_get_level(struct oms_engine *e, const char *sku,
                                         const char *location);

/* Every command the harness sends without an instant of its own carries this one (0, the
 * default: the engine takes now). Tests that check dates set it so the engine clock is theirs;
 * the clock never runs backwards, so set it before the first command and only move it on. */
void harness_set_clock(int64_t at_ms);
int64_t harness_clock(void);              /* The instant harness_set_clock() set (0: none). */
int64_t harness_ms(const char *rfc3339); /* "2026-07-01T09:00:00Z" -> ms; fails on bad text. */
oms_day harness_day(const char *date);    /* "2026-07-01" -> day; fails on bad text. */

/* Executes cmd (with the harness clock when cmd->at_ms is 0), releases what the engine
 * allocated in it (answer, fills) and returns its error. */
enum oms_err harness_run(struct oms_engine *e, struct oms_command *cmd);
/* Checks the invariants, closes the engine, reopens the file, checks them again and that the
 * model reloaded equals the one before (harness_digest). */
void harness_reopen(struct oms_engine **e, const char *path);

/* Master data with the fields the basic helpers leave at their defaults. */
void harness_location_days(struct oms_engine *e, const char *code, uint32_t working_mask);
void harness_item_min_qty(struct oms_engine *e, const char *sku, oms_qty min_order_qty);
void harness_item_release(struct oms_engine *e, const char *sku, const char *release_date);

/* Stock: a delta of on_hand, a count at an instant (as_of_ms 0: the command's instant), and
 * the unavailable counter; each returns the engine error. */
enum oms_err harness_adjust(struct oms_engine *e, const char *sku, const char *location,
                            oms_qty delta);
enum oms_err harness_count(struct oms_engine *e, const char *sku, const char *location,
                           oms_qty on_hand, int64_t as_of_ms);
enum oms_err harness_unavailable(struct oms_engine *e, const char *sku, const char *location,
                                 oms_qty unavailable);
/* Creates a supply line (expected long ago) and receives qty of it at once: a "receipt" with no
 * purchase order. */
void harness_receipt(struct oms_engine *e, const char *id, const char *sku, const char *location,
                     oms_qty qty);
/* A clock tick at the instant (RFC 3339). */
enum oms_err harness_tick(struct oms_engine *e, const char *at);

/* Orders with every field: lines with ship_complete, an explicit fingerprint (NULL: the id, as
 * harness_order does) and idempotency key (NULL: none). *replayed says whether the engine
 * answered with the first answer. */
struct harness_order_spec {
    const char *id, *channel, *region, *at, *fingerprint, *idem_key;
    const struct oms_cmd_line *lines;
    uint32_t lines_count;
    const char *hold; /* The hold the order consumes first; NULL: none. */
    const char *customer_ref, *contact, *collect; /* NULL: none. */
};
enum oms_err harness_order_spec(struct oms_engine *e, const struct harness_order_spec *spec,
                                bool *replayed);
/* Cancels qty units of one line; *cancelled (may be NULL) says how many were cancelled now. */
enum oms_err harness_cancel_line(struct oms_engine *e, const char *id, uint32_t line_no,
                                 oms_qty qty, oms_qty *cancelled);

/* Events in the outbox of a type (and subject, when not NULL). */
uint32_t harness_count_events(struct oms_engine *e, const char *type, const char *subject);

/* Number of orders in the model; a digest of the model's durable content (levels, supply, orders,
 * lines with their allocations and pegs, queues, master data, clock), equal before a close and
 * after the reopen. */
uint32_t harness_orders_count(struct oms_engine *e);
uint64_t harness_digest(struct oms_engine *e);
uint64_t harness_state_digest(const struct oms_state *state);

#endif
