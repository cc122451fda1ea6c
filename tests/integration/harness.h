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

#endif
