/*
 * replay_int.h - private to replay.c and replay_report.c: the replay's running state and its
 * two tallies. `struct replay_tally` is written only on the engine's writer thread (encoders
 * and done callbacks); `struct replay_stats` only on the main thread. The main thread reads
 * the tally after cli_pipe_drain().
 */
#ifndef OMS_CLI_REPLAY_INT_H
#define OMS_CLI_REPLAY_INT_H

#include "base/platform.h"

#include "base/strmap.h"
#include "cli/common.h"
#include "cli/replay.h"

#define REPLAY_REASONS (OMS_REJECT_BELOW_MIN_ORDER_QTY + 1)

struct replay_tally {
    uint64_t orders, lines, units;
    uint64_t allocated_lines, allocated_units, full_lines; /* full: every unit allocated. */
    uint64_t backordered_lines, backordered_units;
    uint64_t rejected_lines, rejected_units;
    uint64_t reason_lines[REPLAY_REASONS], reason_units[REPLAY_REASONS];
    int64_t revenue_now, revenue_backorder, revenue_lost; /* Minor units. */
    int32_t *leads; /* Promise lead in days of each backordered line. */
    size_t leads_count, leads_cap;
    oms_day first_promise, last_promise;
    uint32_t *orders_placed; /* Model indexes of the orders this replay placed. */
    size_t orders_placed_count, orders_placed_cap;
    uint64_t receipts, receipt_units, over_received;
    uint8_t *filled; /* By model line index: filled by a receipt at least once. */
    size_t filled_cap;
    uint64_t filled_lines, filled_units;
    uint64_t cancelled_units; /* What the engine says it cancelled. */
    uint8_t *was_backordered; /* By model line index: backordered when placed. */
    size_t was_backordered_cap;
    uint64_t delays;          /* Supply delays announced. */
};

struct replay_code_count {
    char code[OMS_SKU_BYTES_MAX];
    uint64_t lines;
};

struct replay_stats {
    uint64_t rows, invoices, cancel_invoices;
    int64_t first_at_ms, last_at_ms;
    uint64_t skipped_lines;
    struct replay_code_count *skipped;
    size_t skipped_count;
    uint64_t other_lines;
    uint64_t cancel_lines, cancel_units, cancel_sent_units, cancel_order_lines;
    uint64_t cancel_already_rejected, cancel_no_customer, cancel_no_order;
    uint64_t writeoff_lines, writeoff_units, written_off, not_written_off;
    uint64_t receipts_submitted, receipts_left, receipts_left_units;
    int64_t elapsed_ms;
};

/* One earlier order line that a later cancellation of the same customer and SKU may hit. */
struct replay_candidate {
    uint32_t order; /* Index into order_ids. */
    uint32_t line_no;
    oms_qty rejected_matched; /* Rejected units already matched by earlier cancellations. */
};

struct replay_list {
    uint32_t *items; /* Candidate indexes, oldest first. */
    uint32_t count, cap;
};

struct replay {
    struct oms_engine *engine;
    const struct replay_options *options;
    struct cli_pipe pipe;
    struct replay_tally tally;
    struct replay_stats stats;
    size_t next_receipt;
    char **order_ids; /* Orders this replay submitted, in order. */
    uint32_t order_ids_count, order_ids_cap;
    struct replay_candidate *candidates;
    uint32_t candidates_count, candidates_cap;
    struct oms_strmap list_by_key; /* "customer\x1fSKU" -> index into lists. */
    char **list_keys;
    struct replay_list *lists;
    uint32_t lists_count, lists_cap;
};

/* The final figures over the replayed orders, from the engine's state. */
struct replay_final {
    oms_qty ordered, allocated, backordered, rejected, cancelled, shipped;
    uint64_t lines, bad_lines, backordered_lines;
    /* Promises of the lines backordered when placed, judged by their state at the end: kept
     * when the date they ship (or are promised now) is no later than their first promise. */
    uint64_t promised_lines, kept_lines, slipped_lines;
    int64_t slip_days_total, slip_days_max;
    /* Age of the lines still waiting at the end, from their order's time to the clock. */
    int64_t queue_age_days_total, queue_age_days_max;
    /* Events written during the history. */
    uint64_t promise_changed_events, delay_exceeded_events, back_in_stock_events,
        supply_delayed_events;
    int64_t last_event_seq;
    bool model_ok;
    char why[256];
};

/* replay_report.c */
OMS_MUST_CHECK bool replay_final_check(struct replay *rp, struct replay_final *final);
void replay_print(const struct replay *rp, const struct replay_final *final, FILE *out);
OMS_MUST_CHECK bool replay_write_json(const struct replay *rp, const struct replay_final *final,
                                      const char *path);

#endif
