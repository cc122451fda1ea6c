/*
 * replay_report.c - the end of a replay: the final check read from the engine's state (every
 * replayed line keeps ordered = allocated + backordered + rejected + cancelled + shipped, the
 * totals agree with what was counted while replaying, and the model's own invariants hold),
 * the aligned text summary, and the same figures as JSON for tests.
 */
#include "base/platform.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/replay_int.h"
#include "store/store.h"
#include "core/calendar.h"
#include "core/line.h"
#include "engine/clock.h"
#include "http/dump.h"

struct final_read {
    const struct replay_tally *tally;
    struct replay_final *final;
};

/* Promise accuracy and queue age of one line (see struct replay_final). */
static void judge_promise(const struct replay_tally *t, const struct oms_state *state,
                          uint32_t index, struct replay_final *f)
{
    const struct oms_line *line = &state->lines[index];
    const struct oms_order *order = &state->orders[line->order];
    if (oms_line_backordered(line) > 0) {
        int64_t age = (state->clock_ms - order->at_ms) / OMS_MS_PER_DAY;
        f->queue_age_days_total += age;
        if (age > f->queue_age_days_max) f->queue_age_days_max = age;
    }
    bool was_backordered = index < t->was_backordered_cap && t->was_backordered[index];
    if (!was_backordered || line->first_promise_day == OMS_DAY_NONE ||
        line->promise_day == OMS_DAY_NONE) {
        return; /* Never backordered, or cancelled since: no promise left to judge. */
    }
    f->promised_lines++;
    int64_t slip = (int64_t)line->promise_day - line->first_promise_day;
    if (slip <= 0) {
        f->kept_lines++;
        return;
    }
    f->slipped_lines++;
    f->slip_days_total += slip;
    if (slip > f->slip_days_max) f->slip_days_max = slip;
}

static void read_final(void *ctx, const struct oms_state *state)
{
    struct final_read *read = ctx;
    struct replay_final *f = read->final;
    for (size_t i = 0; i < read->tally->orders_placed_count; i++) {
        const struct oms_order *order = &state->orders[read->tally->orders_placed[i]];
        for (uint32_t k = 0; k < order->lines_count; k++) {
            struct oms_line_counts c;
            judge_promise(read->tally, state, order->first_line + k, f);
            oms_line_counts_get(&state->lines[order->first_line + k], &c);
            f->lines++;
            f->bad_lines += !oms_line_counts_valid(&c);
            f->backordered_lines += c.backordered > 0;
            f->ordered += c.ordered;
            f->allocated += c.allocated;
            f->backordered += c.backordered;
            f->rejected += c.rejected;
            f->cancelled += c.cancelled;
            f->shipped += c.shipped;
        }
    }
    f->model_ok = oms_state_check(state, f->why, sizeof f->why);
}

static bool final_holds(const struct replay *rp, const struct replay_final *f)
{
    return f->model_ok && f->bad_lines == 0 &&
           f->ordered == f->allocated + f->backordered + f->rejected + f->cancelled + f->shipped &&
           (uint64_t)f->ordered == rp->tally.units &&
           (uint64_t)f->rejected == rp->tally.rejected_units &&
           (uint64_t)f->cancelled == rp->tally.cancelled_units;
}

static void count_event(void *ctx, const struct oms_event_row *row)
{
    struct replay_final *f = ctx;
    f->promise_changed_events += strcmp(row->type, "line.promise_changed") == 0;
    f->delay_exceeded_events += strcmp(row->type, "line.delay_exceeded") == 0;
    f->back_in_stock_events += strcmp(row->type, "item.back_in_stock") == 0;
    f->supply_delayed_events += strcmp(row->type, "supply.delayed") == 0;
    f->last_event_seq = row->seq;
}

bool replay_final_check(struct replay *rp, struct replay_final *final)
{
    memset(final, 0, sizeof *final);
    struct final_read read = {&rp->tally, final};
    if (cli_read(rp->engine, read_final, &read) != OMS_OK) {
        snprintf(final->why, sizeof final->why, "the engine did not answer the final read");
        return false;
    }
    /* The outbox, a page at a time (it holds every event of this database). */
    for (int64_t after = 0;; after = final->last_event_seq) {
        if (oms_engine_events(rp->engine, after, 1000, count_event, final) != OMS_OK) break;
        if (final->last_event_seq == after) break;
    }
    if (final->model_ok && !final_holds(rp, final)) {
        snprintf(final->why, sizeof final->why,
                 "%" PRId64 " ordered, %" PRId64 " + %" PRId64 " + %" PRId64 " + %" PRId64
                 " + %" PRId64 " accounted; %" PRIu64 " lines break the line invariant; the "
                 "replay counted %" PRIu64 " ordered, %" PRIu64 " rejected, %" PRIu64
                 " cancelled",
                 final->ordered, final->allocated, final->backordered, final->rejected,
                 final->cancelled, final->shipped, final->bad_lines, rp->tally.units,
                 rp->tally.rejected_units, rp->tally.cancelled_units);
    }
    return final_holds(rp, final);
}

/* --- Text --- */

#define LABEL_WIDTH 34

static void OMS_PRINTF(3, 4) line(FILE *out, const char *label, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(out, "  %-*s", LABEL_WIDTH, label);
    vfprintf(out, fmt, args);
    fputc('\n', out);
    va_end(args);
}

static double ratio(uint64_t part, uint64_t whole)
{
    return whole ? (double)part / (double)whole : 0.0;
}

static void print_history(const struct replay *rp, FILE *out)
{
    const struct replay_stats *s = &rp->stats;
    const struct replay_tally *t = &rp->tally;
    char first[32], last[32];
    cli_format_instant(s->first_at_ms, first);
    cli_format_instant(s->last_at_ms, last);
    fprintf(out, "oms replay of %s\n", rp->options->path);
    line(out, "history", "%" PRIu64 " rows, %s .. %s UTC", s->rows, first, last);
    line(out, "invoices", "%" PRIu64 " (%" PRIu64 " cancellation invoices)", s->invoices,
         s->cancel_invoices);
    line(out, "replayed in", "%.1f s", (double)s->elapsed_ms / 1000.0);
    line(out, "orders placed", "%" PRIu64 " orders, %" PRIu64 " lines, %" PRIu64 " units",
         t->orders, t->lines, t->units);
    fprintf(out, "  %-*s%" PRIu64 " lines", LABEL_WIDTH, "skipped (not products)",
            s->skipped_lines);
    for (size_t i = 0; i < s->skipped_count; i++) {
        fprintf(out, "%s%s %" PRIu64, i ? ", " : ": ", s->skipped[i].code, s->skipped[i].lines);
    }
    fputc('\n', out);
    if (s->other_lines > 0) {
        line(out, "ignored (qty 0 or >0 on a C invoice)", "%" PRIu64 " lines", s->other_lines);
    }
}

static void print_order_time(const struct replay *rp, FILE *out)
{
    const struct replay_tally *t = &rp->tally;
    char a[32], b[32], c[32];
    fputs("at order time\n", out);
    line(out, "allocated now", "%" PRIu64 " lines, %" PRIu64 " units (%" PRIu64 " lines in full)",
         t->allocated_lines, t->allocated_units, t->full_lines);
    line(out, "backordered", "%" PRIu64 " lines, %" PRIu64 " units", t->backordered_lines,
         t->backordered_units);
    if (t->leads_count > 0) {
        int32_t *leads = cli_xcalloc(t->leads_count, sizeof *leads);
        memcpy(leads, t->leads, t->leads_count * sizeof *leads);
        int32_t median = cli_median_i32(leads, t->leads_count);
        oms_day_format(t->first_promise, a);
        oms_day_format(t->last_promise, b);
        line(out, "  promise lead (days)", "min %d, median %d, max %d; dates %s .. %s",
             (int)leads[0], (int)median, (int)leads[t->leads_count - 1], a, b);
        free(leads);
    }
    line(out, "rejected", "%" PRIu64 " lines, %" PRIu64 " units", t->rejected_lines,
         t->rejected_units);
    for (int r = 0; r < REPLAY_REASONS; r++) {
        if (t->reason_lines[r] == 0) continue;
        char label[64];
        snprintf(label, sizeof label, "  %s", oms_reject_reason_name((enum oms_reject_reason)r));
        line(out, label, "%" PRIu64 " lines, %" PRIu64 " units", t->reason_lines[r],
             t->reason_units[r]);
    }
    line(out, "unit fill rate", "%.1f%% (units allocated at order time / units ordered)",
         100.0 * ratio(t->allocated_units, t->units));
    line(out, "line fill rate", "%.1f%% (lines allocated in full / lines ordered)",
         100.0 * ratio(t->full_lines, t->lines));
    cli_format_money(t->revenue_now, a);
    cli_format_money(t->revenue_backorder, b);
    cli_format_money(t->revenue_lost, c);
    line(out, "revenue taken now", "GBP %12s", a);
    line(out, "revenue on backorder", "GBP %12s", b);
    line(out, "revenue lost (rejected)", "GBP %12s", c);
}

static void print_week(const struct replay *rp, FILE *out)
{
    const struct replay_stats *s = &rp->stats;
    const struct replay_tally *t = &rp->tally;
    fputs("during the history\n", out);
    if (rp->options->receipts_count > 0) {
        line(out, "POs received", "%" PRIu64 " of %zu, %" PRIu64 " units (%" PRIu64
             " POs, %" PRIu64 " units due after the history ends)",
             t->receipts, rp->options->receipts_count - rp->options->delays_count,
             t->receipt_units, s->receipts_left,
             s->receipts_left_units);
        line(out, "backorders filled from receipts", "%" PRIu64 " lines, %" PRIu64 " units",
             t->filled_lines, t->filled_units);
    }
    line(out, "cancellations asked", "%" PRIu64 " lines, %" PRIu64 " units", s->cancel_lines,
         s->cancel_units);
    line(out, "  cancelled", "%" PRIu64 " units on %" PRIu64 " order lines", t->cancelled_units,
         s->cancel_order_lines);
    line(out, "  already rejected when ordered", "%" PRIu64 " units", s->cancel_already_rejected);
    line(out, "  matched no order", "%" PRIu64 " units (%" PRIu64 " without customer, %" PRIu64
         " bought before this history)", s->cancel_no_customer + s->cancel_no_order,
         s->cancel_no_customer, s->cancel_no_order);
    if (rp->options->delays_count > 0) {
        line(out, "supplier delays announced", "%" PRIu64 " of %zu POs late", t->delays,
             rp->options->delays_count);
    }
    line(out, "write-offs asked", "%" PRIu64 " lines, %" PRIu64 " units", s->writeoff_lines,
         s->writeoff_units);
    line(out, "  written off", "%" PRIu64 " units (%" PRIu64 " could not be: no stock left)",
         s->written_off, s->not_written_off);
}

void replay_print(const struct replay *rp, const struct replay_final *f, FILE *out)
{
    print_history(rp, out);
    print_order_time(rp, out);
    print_week(rp, out);
    fputs("at the end (engine state of the replayed orders)\n", out);
    line(out, "ordered", "%" PRId64 " units on %" PRIu64 " lines", f->ordered, f->lines);
    line(out, "allocated", "%" PRId64, f->allocated);
    line(out, "backordered", "%" PRId64 " (%" PRIu64 " lines still waiting)", f->backordered,
         f->backordered_lines);
    line(out, "rejected", "%" PRId64, f->rejected);
    line(out, "cancelled", "%" PRId64, f->cancelled);
    line(out, "shipped", "%" PRId64, f->shipped);
    fputs("promises (lines backordered when ordered)\n", out);
    line(out, "kept the first promise", "%" PRIu64 " of %" PRIu64 " lines (%.1f%%)", f->kept_lines,
         f->promised_lines, 100.0 * ratio(f->kept_lines, f->promised_lines));
    line(out, "slipped", "%" PRIu64 " lines, mean %.1f days, worst %" PRId64 " days",
         f->slipped_lines,
         f->slipped_lines ? (double)f->slip_days_total / (double)f->slipped_lines : 0.0,
         f->slip_days_max);
    line(out, "ETA changes sent", "%" PRIu64 " line.promise_changed events (%" PRIu64
         " supply.delayed, %" PRIu64 " line.delay_exceeded)", f->promise_changed_events,
         f->supply_delayed_events, f->delay_exceeded_events);
    line(out, "back-in-stock notices sent", "%" PRIu64, f->back_in_stock_events);
    line(out, "backorder queue age at the end", "mean %.1f days, oldest %" PRId64 " days",
         f->backordered_lines ? (double)f->queue_age_days_total / (double)f->backordered_lines
                              : 0.0,
         f->queue_age_days_max);
    if (final_holds(rp, f)) {
        fputs("invariant: ok (allocated + backordered + rejected + cancelled + shipped == "
              "ordered)\n",
              out);
    } else {
        fprintf(out, "invariant: FAILED: %s\n", f->why);
    }
}

/* --- JSON --- */

static json_t *qty_pair(uint64_t lines, uint64_t units)
{
    return json_pack("{s:I, s:I}", "lines", (json_int_t)lines, "units", (json_int_t)units);
}

static json_t *json_order_time(const struct replay_tally *t)
{
    json_t *reasons = json_object();
    for (int r = 0; r < REPLAY_REASONS; r++) {
        if (t->reason_lines[r] == 0) continue;
        json_object_set_new(reasons, oms_reject_reason_name((enum oms_reject_reason)r),
                            qty_pair(t->reason_lines[r], t->reason_units[r]));
    }
    json_t *rejected = qty_pair(t->rejected_lines, t->rejected_units);
    json_object_set_new(rejected, "reasons", reasons);
    json_t *backordered = qty_pair(t->backordered_lines, t->backordered_units);
    if (t->leads_count > 0) {
        int32_t *leads = cli_xcalloc(t->leads_count, sizeof *leads);
        memcpy(leads, t->leads, t->leads_count * sizeof *leads);
        int32_t median = cli_median_i32(leads, t->leads_count);
        char first[11], last[11];
        oms_day_format(t->first_promise, first);
        oms_day_format(t->last_promise, last);
        json_object_set_new(backordered, "promise_lead_days",
                            json_pack("{s:i, s:i, s:i}", "min", leads[0], "median", median, "max",
                                      leads[t->leads_count - 1]));
        json_object_set_new(backordered, "first_promise_date", json_string(first));
        json_object_set_new(backordered, "last_promise_date", json_string(last));
        free(leads);
    }
    json_t *allocated = qty_pair(t->allocated_lines, t->allocated_units);
    json_object_set_new(allocated, "full_lines", json_integer((json_int_t)t->full_lines));
    return json_pack("{s:o, s:o, s:o, s:f, s:f, s:{s:s, s:I, s:I, s:I}}", "allocated", allocated,
                     "backordered", backordered, "rejected", rejected, "unit_fill_rate",
                     ratio(t->allocated_units, t->units), "line_fill_rate",
                     ratio(t->full_lines, t->lines), "revenue_minor", "currency", "GBP", "now",
                     (json_int_t)t->revenue_now, "backorder", (json_int_t)t->revenue_backorder,
                     "lost", (json_int_t)t->revenue_lost);
}

static json_t *json_week(const struct replay *rp)
{
    const struct replay_stats *s = &rp->stats;
    const struct replay_tally *t = &rp->tally;
    return json_pack(
        "{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I,"
        " s:I, s:I, s:I, s:I}}",
        "cancellations", "lines", (json_int_t)s->cancel_lines, "units", (json_int_t)s->cancel_units,
        "cancelled_units", (json_int_t)t->cancelled_units, "cancelled_order_lines",
        (json_int_t)s->cancel_order_lines, "already_rejected_units",
        (json_int_t)s->cancel_already_rejected, "unmatched_no_customer_units",
        (json_int_t)s->cancel_no_customer, "unmatched_no_order_units",
        (json_int_t)s->cancel_no_order, "writeoffs", "lines", (json_int_t)s->writeoff_lines,
        "units", (json_int_t)s->writeoff_units, "written_off_units", (json_int_t)s->written_off,
        "not_written_off_units", (json_int_t)s->not_written_off, "receipts", "scheduled",
        (json_int_t)(rp->options->receipts_count - rp->options->delays_count), "received",
        (json_int_t)t->receipts, "units",
        (json_int_t)t->receipt_units, "over_received_units", (json_int_t)t->over_received,
        "not_received", (json_int_t)s->receipts_left, "not_received_units",
        (json_int_t)s->receipts_left_units, "filled_lines", (json_int_t)t->filled_lines,
        "filled_units", (json_int_t)t->filled_units);
}

static json_t *json_history(const struct replay *rp)
{
    const struct replay_stats *s = &rp->stats;
    json_t *codes = json_object();
    for (size_t i = 0; i < s->skipped_count; i++) {
        json_object_set_new(codes, s->skipped[i].code,
                            json_integer((json_int_t)s->skipped[i].lines));
    }
    char first[OMS_RFC3339_LEN], last[OMS_RFC3339_LEN];
    oms_rfc3339_format(s->first_at_ms, first);
    oms_rfc3339_format(s->last_at_ms, last);
    /* A file's name need not be UTF-8: shown with U+FFFD for what is not (decision 51). */
    return json_pack("{s:o, s:I, s:s, s:s, s:I, s:I, s:{s:I, s:o}, s:I, s:f}", "file",
                     oms_json_text(rp->options->path), "rows", (json_int_t)s->rows, "first_at",
                     first, "last_at", last, "invoices", (json_int_t)s->invoices,
                     "cancel_invoices", (json_int_t)s->cancel_invoices, "skipped", "lines",
                     (json_int_t)s->skipped_lines, "codes", codes, "ignored_lines",
                     (json_int_t)s->other_lines, "seconds", (double)s->elapsed_ms / 1000.0);
}

bool replay_write_json(const struct replay *rp, const struct replay_final *f, const char *path)
{
    const struct replay_tally *t = &rp->tally;
    json_t *root = json_history(rp);
    json_object_set_new(root, "orders",
                        json_pack("{s:I, s:I, s:I}", "placed", (json_int_t)t->orders, "lines",
                                  (json_int_t)t->lines, "units", (json_int_t)t->units));
    json_object_set_new(root, "at_order_time", json_order_time(t));
    json_t *week = json_week(rp);
    json_object_update(root, week);
    json_decref(week);
    json_object_set_new(
        root, "final",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "ordered", (json_int_t)f->ordered,
                  "allocated", (json_int_t)f->allocated, "backordered", (json_int_t)f->backordered,
                  "rejected", (json_int_t)f->rejected, "cancelled", (json_int_t)f->cancelled,
                  "shipped", (json_int_t)f->shipped, "backordered_lines",
                  (json_int_t)f->backordered_lines, "invariant", final_holds(rp, f)));
    json_object_set_new(
        root, "promises",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "backordered_lines",
                  (json_int_t)f->promised_lines, "kept_first_promise", (json_int_t)f->kept_lines,
                  "slipped", (json_int_t)f->slipped_lines, "slip_days_total",
                  (json_int_t)f->slip_days_total, "slip_days_max", (json_int_t)f->slip_days_max,
                  "promise_changed_events", (json_int_t)f->promise_changed_events,
                  "supply_delayed_events", (json_int_t)f->supply_delayed_events,
                  "delay_exceeded_events", (json_int_t)f->delay_exceeded_events,
                  "back_in_stock_events", (json_int_t)f->back_in_stock_events,
                  "queue_age_days_total", (json_int_t)f->queue_age_days_total,
                  "queue_age_days_max", (json_int_t)f->queue_age_days_max));
    json_object_set_new(root, "supplier_delays", json_integer((json_int_t)t->delays));
    json_object_set_new(root, "failed_commands", json_integer((json_int_t)rp->pipe.failed));
    bool ok = json_dump_file(root, path, JSON_INDENT(2)) == 0;
    if (!ok) fprintf(stderr, "oms: cannot write the JSON summary to '%s'\n", path);
    json_decref(root);
    return ok;
}
