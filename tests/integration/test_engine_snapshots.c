/*
 * test_engine_snapshots.c - ERP and POS stock snapshots (DESIGN.md rule 6, many levels in one
 * command) through the whole engine on a real SQLite file: movements after as_of re-applied
 * (an order or a shipment since is never resurrected), receipts since re-applied and flagged,
 * a newer count superseding the snapshot, all-or-nothing on a bad row, dry runs that change
 * nothing, replays of the same id (also after a restart), the reconciliation report and its
 * warnings, and the field scenarios B43, B45 and B46 driven by snapshots. Each test checks the
 * model's invariants, reopens the file and checks them again.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine/engine.h"
#include "harness.h"
#include "http/encode.h"
#include "store/store.h"

#define ALL_DAYS 0x7Fu

static const char *const BOTH[] = {"WH1", "WH2"};

/* Warehouses WH1 and WH2 (open every day, handling 0), channel "web" on both (takes
 * backorders), items A and B with the given policy and lead time, no stock; clock at `now`. */
static struct oms_engine *setup(char *path, size_t cap, const char *name, const char *now,
                                enum oms_policy policy, int32_t lead)
{
    harness_set_clock(harness_ms(now));
    harness_db_path(path, cap, name);
    struct oms_engine *e = harness_open(path);
    harness_location(e, "WH1", "UK", 1, 0);
    harness_location_days(e, "WH1", ALL_DAYS);
    harness_location(e, "WH2", "UK", 2, 0);
    harness_location_days(e, "WH2", ALL_DAYS);
    harness_channel(e, "web", BOTH, 2, 0, true, 10);
    harness_item(e, "A", policy, -1, lead, true);
    harness_item(e, "B", policy, -1, lead, true);
    return e;
}

static void finish(struct oms_engine *e, const char *path)
{
    harness_reopen(&e, path);
    oms_engine_close(e);
    harness_set_clock(0);
}

/* Runs a snapshot as of `as_of` at the harness clock, with the report the API answers
 * (cmd->answer). The caller reads cmd and then calls oms_command_release. The fingerprint
 * stands for the request body: equal bodies, equal fingerprints. */
static enum oms_err snapshot(struct oms_engine *e, struct oms_command *cmd, const char *id,
                             const char *fingerprint, const char *as_of,
                             const struct oms_snapshot_row *rows, uint32_t count, bool dry_run)
{
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = OMS_CMD_SNAPSHOT;
    cmd->dry_run = dry_run;
    cmd->at_ms = harness_clock();
    cmd->encode = oms_encode_snapshot;
    snprintf(cmd->fingerprint, sizeof cmd->fingerprint, "%s", fingerprint ? fingerprint : "fp");
    cmd->u.snapshot = (struct oms_cmd_snapshot){
        .id = id,
        .source = "test ERP",
        .as_of_ms = harness_ms(as_of),
        .rows = rows,
        .rows_count = count,
        .change_units = OMS_SNAPSHOT_CHANGE_UNITS_DEFAULT,
        .change_percent = OMS_SNAPSHOT_CHANGE_PERCENT_DEFAULT,
        .stale_hours = OMS_SNAPSHOT_STALE_HOURS_DEFAULT,
    };
    return oms_engine_execute(e, cmd);
}

/* A snapshot that must be applied; returns nothing, checks the counts of its report. */
static void snapshot_ok(struct oms_engine *e, const char *as_of,
                        const struct oms_snapshot_row *rows, uint32_t count, uint32_t changed)
{
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, NULL, NULL, as_of, rows, count, false), OMS_OK);
    assert_int_equal(cmd.status, 201);
    assert_int_equal(cmd.u.snapshot.changed, changed);
    oms_command_release(&cmd);
}

static struct oms_availability avail(struct oms_engine *e, const char *sku)
{
    struct oms_availability out;
    assert_int_equal(oms_engine_availability(e, "web", sku, 1, NULL, &out), OMS_OK);
    return out;
}

static void assert_level(struct oms_engine *e, const char *sku, const char *location,
                         oms_qty on_hand, oms_qty allocated)
{
    struct oms_stock_level level = harness_get_level(e, sku, location);
    assert_int_equal(level.on_hand, on_hand);
    assert_int_equal(level.allocated, allocated);
}

static enum oms_err order1(struct oms_engine *e, const char *id, const char *sku, oms_qty qty)
{
    return harness_order(e, id, "web", "UK", NULL, &sku, &qty, 1);
}

static void visit_count(void *ctx, const struct oms_event_row *row)
{
    int64_t *last = ctx;
    *last = row->seq;
}

static int64_t last_event_seq(struct oms_engine *e)
{
    int64_t last = 0, before;
    do {
        before = last;
        assert_int_equal(oms_engine_events(e, last, 1000, visit_count, &last), OMS_OK);
    } while (last != before);
    return last;
}

/* The report's JSON (the API's answer), parsed; the caller decrefs. */
static json_t *report_of(const struct oms_command *cmd)
{
    assert_non_null(cmd->answer);
    json_t *report = json_loadb(cmd->answer, cmd->answer_len, 0, NULL);
    assert_non_null(report);
    return report;
}

/* The first warning with that code in a report, or NULL. */
static json_t *warning(json_t *report, const char *code)
{
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(report, "warnings"), i, w)
    {
        if (strcmp(json_string_value(json_object_get(w, "code")), code) == 0) return w;
    }
    return NULL;
}

/* The one entry of promise_changes for the line a short warning refers to (`ref`: its order and
 * line); fails the test unless there is exactly one (each line is listed once). */
static json_t *change_of(json_t *report, json_t *ref)
{
    const char *order = json_string_value(json_object_get(ref, "order"));
    json_int_t line_no = json_integer_value(json_object_get(ref, "line"));
    json_t *found = NULL, *c;
    size_t i, count = 0;
    json_array_foreach(json_object_get(report, "promise_changes"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "order")), order) == 0 &&
            json_integer_value(json_object_get(c, "line")) == line_no) {
            found = c;
            count++;
        }
    }
    assert_int_equal(count, 1);
    /* The reference carries only the key and the units taken: the rest is in the entry. */
    assert_int_equal(json_object_size(ref), 3);
    return found;
}

static json_int_t int_of(json_t *obj, const char *key)
{
    json_t *value = json_object_get(obj, key);
    assert_true(json_is_integer(value));
    return json_integer_value(value);
}

/* Rule 6, the core of it: an ERP count taken at 09:30 arrives at 12:00. An order placed and
 * partly shipped since must not be resurrected: the shipment is re-applied on top of the
 * count, and the allocation of what is not shipped yet stays bound. */
static void test_snapshots__a_late_snapshot_never_resurrects_units_sold_since(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-rule6", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_DENY, -1);
    harness_set_stock(e, "A", "WH1", 10);
    harness_set_clock(harness_ms("2026-07-01T10:00:00Z"));
    assert_int_equal(order1(e, "O1", "A", 5), OMS_OK);
    assert_int_equal(harness_ship(e, "O1", "WH1", 1, 3), OMS_OK);
    harness_set_clock(harness_ms("2026-07-01T11:00:00Z"));
    assert_int_equal(order1(e, "O2", "A", 4), OMS_OK);
    assert_level(e, "A", "WH1", 7, 6);
    assert_int_equal(avail(e, "A").available, 1);

    /* The ERP counted 12 at 09:30 (two more than the engine knew then). */
    harness_set_clock(harness_ms("2026-07-01T12:00:00Z"));
    const struct oms_snapshot_row rows[] = {{.sku = "A", .location = "WH1", .on_hand = 12}};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, "S1", NULL, "2026-07-01T09:30:00Z", rows, 1, false),
                     OMS_OK);
    assert_int_equal(cmd.status, 201);
    const struct oms_snapshot_result *r = &cmd.u.snapshot.results[0];
    assert_int_equal(r->outcome, OMS_SNAPSHOT_CHANGED);
    assert_int_equal(r->movements_after, -3);
    assert_int_equal(r->on_hand_before, 7);
    assert_int_equal(r->on_hand_after, 9);
    json_t *report = report_of(&cmd);
    assert_string_equal(json_string_value(json_object_get(report, "id")), "S1");
    json_t *change = json_array_get(json_object_get(report, "changes"), 0);
    assert_int_equal(int_of(change, "erp_on_hand"), 12);
    assert_int_equal(int_of(change, "movements_after_as_of"), -3);
    assert_int_equal(int_of(change, "on_hand_before"), 7);
    assert_int_equal(int_of(change, "on_hand_after"), 9);
    assert_int_equal(int_of(change, "delta"), 2);
    assert_int_equal(int_of(report, "changed"), 1);
    json_decref(report);
    oms_command_release(&cmd);
    /* 12 - 3 shipped = 9 on hand; the 6 units still allocated stay allocated: 3 free, never
     * 12 or 9. */
    assert_level(e, "A", "WH1", 9, 6);
    assert_int_equal(avail(e, "A").available, 3);
    finish(e, path);
}

static void test_snapshots__receipts_after_as_of_are_reapplied_and_flagged(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-receipt", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_DENY, -1);
    harness_set_stock(e, "A", "WH1", 10);
    harness_set_clock(harness_ms("2026-07-01T11:00:00Z"));
    harness_receipt(e, "R1", "A", "WH1", 4);
    harness_set_clock(harness_ms("2026-07-01T12:00:00Z"));
    const struct oms_snapshot_row rows[] = {{.sku = "A", .location = "WH1", .on_hand = 10}};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, NULL, NULL, "2026-07-01T10:00:00Z", rows, 1, false),
                     OMS_OK);
    /* The engine knew 14 and the ERP's 10 at 10:00 plus the 4 received since agree. */
    assert_int_equal(cmd.u.snapshot.results[0].outcome, OMS_SNAPSHOT_UNCHANGED);
    assert_int_equal(cmd.u.snapshot.results[0].movements_after, 4);
    assert_int_equal(cmd.u.snapshot.unchanged, 1);
    json_t *report = report_of(&cmd);
    json_t *w = warning(report, "receipts_after_as_of");
    assert_non_null(w);
    assert_int_equal(int_of(w, "received"), 4);
    assert_int_equal(int_of(w, "row"), 0);
    /* The engine named it: the first snapshot stored. */
    assert_string_equal(json_string_value(json_object_get(report, "id")), "snap_1");
    json_decref(report);
    oms_command_release(&cmd);
    assert_level(e, "A", "WH1", 14, 0);
    assert_int_equal(harness_count_events(e, "stock.changed", "A") > 0, 1);
    finish(e, path);
}

/* Decision 12: a count taken after the snapshot's as_of is the truth; the snapshot's row is
 * superseded and changes nothing, while its other rows apply. */
static void test_snapshots__a_newer_count_supersedes_the_snapshot(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-superseded", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_DENY, -1);
    harness_set_clock(harness_ms("2026-07-01T12:00:00Z"));
    assert_int_equal(harness_count(e, "A", "WH1", 8, 0), OMS_OK);
    harness_set_clock(harness_ms("2026-07-01T13:00:00Z"));
    const struct oms_snapshot_row rows[] = {{.sku = "A", .location = "WH1", .on_hand = 20},
                                            {.sku = "B", .location = "WH1", .on_hand = 6}};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, NULL, NULL, "2026-07-01T11:00:00Z", rows, 2, false),
                     OMS_OK);
    assert_int_equal(cmd.u.snapshot.superseded, 1);
    assert_int_equal(cmd.u.snapshot.changed, 1);
    assert_int_equal(cmd.u.snapshot.results[0].outcome, OMS_SNAPSHOT_SUPERSEDED);
    assert_int_equal(cmd.u.snapshot.results[0].last_count_ms, harness_ms("2026-07-01T12:00:00Z"));
    json_t *report = report_of(&cmd);
    json_t *row = json_array_get(json_object_get(report, "superseded_rows"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "sku")), "A");
    assert_string_equal(json_string_value(json_object_get(row, "newer_count_at")),
                        "2026-07-01T12:00:00Z");
    json_decref(report);
    oms_command_release(&cmd);
    assert_level(e, "A", "WH1", 8, 0);
    assert_level(e, "B", "WH1", 6, 0);

    /* And a count after the snapshot supersedes the snapshot in turn. */
    assert_int_equal(harness_count(e, "B", "WH1", 2, 0), OMS_OK);
    assert_level(e, "B", "WH1", 2, 0);
    finish(e, path);
}

/* A count that agrees with the engine moves nothing, but it is still a count: an older
 * snapshot arriving later must not override it (the ledger records it with before == after). */
static void test_snapshots__a_count_that_agrees_still_supersedes_older_snapshots(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-agree", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_DENY, -1);
    harness_set_stock(e, "A", "WH1", 7);
    harness_set_clock(harness_ms("2026-07-01T12:00:00Z"));
    const struct oms_snapshot_row agree[] = {{.sku = "A", .location = "WH1", .on_hand = 7}};
    snapshot_ok(e, "2026-07-01T11:00:00Z", agree, 1, 0);
    const struct oms_snapshot_row older[] = {{.sku = "A", .location = "WH1", .on_hand = 10}};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, NULL, NULL, "2026-07-01T10:00:00Z", older, 1, false),
                     OMS_OK);
    assert_int_equal(cmd.u.snapshot.results[0].outcome, OMS_SNAPSHOT_SUPERSEDED);
    oms_command_release(&cmd);
    assert_level(e, "A", "WH1", 7, 0);
    finish(e, path);
}

/* Any bad row refuses the whole snapshot, naming the row; nothing is applied, no event is
 * written, and the refusal is not stored under the id. */
static void test_snapshots__one_bad_row_refuses_the_whole_snapshot(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-bad", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_DENY, -1);
    harness_set_stock(e, "A", "WH1", 5);
    harness_unavailable(e, "A", "WH1", 2);
    uint64_t digest = harness_digest(e);
    int64_t seq = last_event_seq(e);
    static const struct {
        struct oms_snapshot_row rows[3];
        enum oms_err err;
        const char *field;
    } cases[] = {
        {{{"A", "WH1", 9, false, 0}, {"B", "WH1", 3, false, 0}, {"X", "WH1", 1, false, 0}},
         OMS_EINVAL, "rows[2].sku"},
        {{{"A", "WH1", 9, false, 0}, {"B", "WHX", 3, false, 0}, {"B", "WH1", 1, false, 0}},
         OMS_EINVAL, "rows[1].location"},
        {{{"A", "WH1", 9, false, 0}, {"B", "WH1", 3, false, 0}, {"A", "WH1", 1, false, 0}},
         OMS_EINVAL, "rows[2]"},
        {{{"A", "WH1", 9, false, 0}, {"B", "WH1", 3, true, 4}, {"B", "WH2", 1, false, 0}},
         OMS_EINVAL, "rows[1].unavailable"},
        /* The count leaves A's 2 unavailable units above on_hand 1: refused, as one count. */
        {{{"B", "WH1", 9, false, 0}, {"B", "WH2", 3, false, 0}, {"A", "WH1", 1, false, 0}},
         OMS_EINVAL, "rows[2].on_hand"},
    };
    for (size_t i = 0; i < OMS_ARRAY_LEN(cases); i++) {
        struct oms_command cmd;
        assert_int_equal(snapshot(e, &cmd, "S-bad", NULL, "2026-07-01T09:00:00Z", cases[i].rows,
                                  3, false),
                         cases[i].err);
        assert_string_equal(cmd.err_field, cases[i].field);
        oms_command_release(&cmd);
        assert_int_equal(harness_digest(e), digest);
        assert_int_equal(last_event_seq(e), seq);
    }
    /* Too many rows: the named limit, before any row is looked at. */
    struct oms_snapshot_row *many = calloc(OMS_SNAPSHOT_ROWS_MAX + 1, sizeof *many);
    assert_non_null(many);
    for (uint32_t i = 0; i <= OMS_SNAPSHOT_ROWS_MAX; i++) many[i] = (struct oms_snapshot_row){"A", "WH1", 1, false, 0};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, NULL, NULL, "2026-07-01T09:00:00Z", many,
                              OMS_SNAPSHOT_ROWS_MAX + 1, false),
                     OMS_ELIMIT);
    assert_string_equal(cmd.err_field, "rows");
    oms_command_release(&cmd);
    free(many);
    /* The id was not used by the refusals: a good snapshot may take it. */
    const struct oms_snapshot_row good[] = {{"A", "WH1", 9, false, 0}};
    assert_int_equal(snapshot(e, &cmd, "S-bad", NULL, "2026-07-01T09:00:00Z", good, 1, false),
                     OMS_OK);
    assert_int_equal(cmd.status, 201);
    oms_command_release(&cmd);
    assert_level(e, "A", "WH1", 9, 0);
    finish(e, path);
}

/* A row is checked as counted, before the movements since as_of are re-applied and before a
 * newer count is looked at: 5 unavailable of 4 counted is no count at all (rule 3b), even when
 * a receipt since then would lift on_hand above 5 or a newer count would supersede the row.
 * The same holds for a single count (POST /v1/stock/adjustments with set). Nothing changes. */
static void test_snapshots__a_row_is_checked_as_counted_before_movements_are_reapplied(
    void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-as-counted", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_DENY, -1);
    harness_receipt(e, "R1", "A", "WH1", 10); /* At 09:00: after the rows' as_of. */
    assert_int_equal(order1(e, "O1", "A", 3), OMS_OK);
    uint64_t digest = harness_digest(e);
    int64_t seq = last_event_seq(e);
    const struct oms_snapshot_row rows[] = {{"B", "WH1", 2, false, 0}, {"A", "WH1", 4, true, 5}};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, "S1", NULL, "2026-07-01T08:00:00Z", rows, 2, false),
                     OMS_EINVAL);
    assert_string_equal(cmd.err_field, "rows[1].unavailable");
    assert_non_null(strstr(cmd.err_message, "4"));
    oms_command_release(&cmd);
    assert_int_equal(harness_digest(e), digest);
    assert_int_equal(last_event_seq(e), seq);
    /* A dry run is refused the same way. */
    assert_int_equal(snapshot(e, &cmd, NULL, NULL, "2026-07-01T08:00:00Z", rows, 2, true),
                     OMS_EINVAL);
    assert_string_equal(cmd.err_field, "rows[1].unavailable");
    oms_command_release(&cmd);
    /* A count of A at WH1 at 08:30 supersedes a row as of 08:00: the row is still no count. */
    assert_int_equal(harness_count(e, "A", "WH1", 10, harness_ms("2026-07-01T08:30:00Z")),
                     OMS_OK);
    digest = harness_digest(e);
    seq = last_event_seq(e);
    assert_int_equal(snapshot(e, &cmd, "S1", NULL, "2026-07-01T08:00:00Z", rows, 2, false),
                     OMS_EINVAL);
    assert_string_equal(cmd.err_field, "rows[1].unavailable");
    oms_command_release(&cmd);
    /* One count over the adjustments API: the same rule, naming its field. */
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = OMS_CMD_ADJUST;
    cmd.at_ms = harness_clock();
    cmd.u.adjust = (struct oms_cmd_adjust){.sku = "A",
                                           .location = "WH1",
                                           .is_set = true,
                                           .set = 4,
                                           .has_unavailable = true,
                                           .unavailable = 5,
                                           .as_of_ms = harness_ms("2026-07-01T08:45:00Z")};
    assert_int_equal(oms_engine_execute(e, &cmd), OMS_EINVAL);
    assert_string_equal(cmd.err_field, "unavailable");
    oms_command_release(&cmd);
    assert_int_equal(harness_digest(e), digest);
    assert_int_equal(last_event_seq(e), seq);
    assert_level(e, "A", "WH1", 20, 3); /* The 08:30 count, plus the receipt since. */
    assert_int_equal(harness_get_line(e, "O1", 1).allocated, 3);
    finish(e, path);
}

/* A dry run answers the same report (a shortage included) and changes nothing: model, events,
 * ledger and stored snapshots. */
static void test_snapshots__a_dry_run_reports_and_changes_nothing(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-dry", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_BACKORDER, 7);
    harness_set_stock(e, "A", "WH1", 10);
    harness_set_stock(e, "B", "WH1", 4);
    assert_int_equal(order1(e, "O1", "A", 8), OMS_OK);
    uint64_t digest = harness_digest(e);
    int64_t seq = last_event_seq(e);
    const struct oms_snapshot_row rows[] = {{"A", "WH1", 5, false, 0}, {"B", "WH1", 9, false, 0}};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, "S-dry", NULL, "2026-07-01T09:00:00Z", rows, 2, true),
                     OMS_OK);
    assert_int_equal(cmd.status, 200);
    assert_int_equal(cmd.u.snapshot.changed, 2);
    json_t *report = report_of(&cmd);
    assert_true(json_is_true(json_object_get(report, "dry_run")));
    json_t *w = warning(report, "short");
    assert_non_null(w);
    assert_int_equal(int_of(w, "short"), 3);
    json_t *line = json_array_get(json_object_get(w, "lines"), 0);
    assert_string_equal(json_string_value(json_object_get(line, "order")), "O1");
    assert_int_equal(int_of(line, "backordered_by_shortage"), 3);
    json_t *change = change_of(report, line);
    assert_int_equal(int_of(change, "line_allocated"), 5);
    assert_int_equal(int_of(change, "line_backordered"), 3);
    json_decref(report);
    oms_command_release(&cmd);
    assert_int_equal(harness_digest(e), digest);
    assert_int_equal(last_event_seq(e), seq);
    assert_level(e, "A", "WH1", 10, 8);
    /* Nothing was stored under the id: the real run applies. */
    assert_int_equal(snapshot(e, &cmd, "S-dry", NULL, "2026-07-01T09:00:00Z", rows, 2, false),
                     OMS_OK);
    assert_int_equal(cmd.status, 201);
    assert_false(cmd.replayed);
    oms_command_release(&cmd);
    assert_level(e, "A", "WH1", 5, 5);
    assert_level(e, "B", "WH1", 9, 0);
    finish(e, path);
}

/* Rule 8 for snapshots: the id is the key. The same body answers the first report (200) and
 * applies nothing again, also after a restart; another body under the id is a conflict. */
static void test_snapshots__the_same_id_replays_the_first_report_after_a_restart(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-replay", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_DENY, -1);
    harness_set_stock(e, "A", "WH1", 10);
    const struct oms_snapshot_row rows[] = {{"A", "WH1", 4, false, 0}};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, "S1", "body-1", "2026-07-01T09:00:00Z", rows, 1, false),
                     OMS_OK);
    char *first = strdup(cmd.answer);
    oms_command_release(&cmd);
    harness_set_clock(harness_ms("2026-07-01T10:00:00Z"));
    harness_receipt(e, "R1", "A", "WH1", 5);
    harness_reopen(&e, path);
    assert_level(e, "A", "WH1", 9, 0);
    int64_t seq = last_event_seq(e);
    assert_int_equal(snapshot(e, &cmd, "S1", "body-1", "2026-07-01T09:00:00Z", rows, 1, false),
                     OMS_OK);
    assert_int_equal(cmd.status, 200);
    assert_true(cmd.replayed);
    assert_string_equal(cmd.answer, first);
    oms_command_release(&cmd);
    assert_level(e, "A", "WH1", 9, 0); /* Not 4 + 5 applied again over the receipt. */
    assert_int_equal(last_event_seq(e), seq);
    assert_int_equal(snapshot(e, &cmd, "S1", "body-2", "2026-07-01T09:00:00Z", rows, 1, false),
                     OMS_EIDEMPOTENCY);
    assert_string_equal(cmd.err_field, "id");
    oms_command_release(&cmd);
    free(first);
    finish(e, path);
}

/* B43: the ERP is master of on_hand and syncs it; the shop's availability is derived. Receipt
 * 30 (sync), order 29 (sync: the ERP still has 30 on the shelf), receipt 50 (sync: 80): the
 * published availability is 30, 1, 51, never 80. */
static void test_snapshots__b43_erp_syncs_publish_30_then_1_then_51(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-b43", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_DENY, -1);
    const struct oms_snapshot_row r30[] = {{"A", "WH1", 30, false, 0}};
    const struct oms_snapshot_row r80[] = {{"A", "WH1", 80, false, 0}};
    harness_set_clock(harness_ms("2026-07-01T10:00:00Z"));
    snapshot_ok(e, "2026-07-01T10:00:00Z", r30, 1, 1);
    assert_int_equal(avail(e, "A").available, 30);
    harness_set_clock(harness_ms("2026-07-01T11:00:00Z"));
    assert_int_equal(order1(e, "O1", "A", 29), OMS_OK);
    harness_set_clock(harness_ms("2026-07-01T12:00:00Z"));
    snapshot_ok(e, "2026-07-01T12:00:00Z", r30, 1, 0);
    assert_int_equal(avail(e, "A").available, 1);
    harness_set_clock(harness_ms("2026-07-01T13:00:00Z"));
    snapshot_ok(e, "2026-07-01T13:00:00Z", r80, 1, 1);
    struct oms_availability a = avail(e, "A");
    assert_int_equal(a.available, 51);
    assert_int_equal(a.status, OMS_AVAIL_IN_STOCK);
    assert_level(e, "A", "WH1", 80, 29);
    /* The same sync sent late (as of 12:30, before the receipt the engine also recorded at
     * 12:45) re-applies the receipt: still 51, not 80 + 50. */
    harness_set_clock(harness_ms("2026-07-01T14:00:00Z"));
    const struct oms_snapshot_row r60[] = {{"B", "WH1", 30, false, 0}};
    snapshot_ok(e, "2026-07-01T14:00:00Z", r60, 1, 1);
    harness_set_clock(harness_ms("2026-07-01T14:45:00Z"));
    harness_receipt(e, "R-B", "B", "WH1", 50);
    harness_set_clock(harness_ms("2026-07-01T15:00:00Z"));
    assert_int_equal(order1(e, "O2", "B", 29), OMS_OK);
    snapshot_ok(e, "2026-07-01T14:30:00Z", r60, 1, 0);
    assert_int_equal(avail(e, "B").available, 51);
    finish(e, path);
}

/* B45: an ERP import raises A from 0 to 10: availability and status follow at once, and the
 * waiting subscriber is notified, with no re-save of the item. */
static void test_snapshots__b45_import_raises_stock_status_and_notice_follow(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-b45", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_DENY, -1);
    struct oms_command sub = {.kind = OMS_CMD_SUBSCRIBE};
    sub.u.subscribe = (struct oms_cmd_subscribe){"A", "web", "s1@example.com"};
    assert_int_equal(harness_run(e, &sub), OMS_OK);
    assert_int_equal(avail(e, "A").status, OMS_AVAIL_OUT_OF_STOCK);
    const struct oms_snapshot_row rows[] = {{"A", "WH1", 10, false, 0}};
    snapshot_ok(e, "2026-07-01T09:00:00Z", rows, 1, 1);
    struct oms_availability a = avail(e, "A");
    assert_int_equal(a.available, 10);
    assert_int_equal(a.status, OMS_AVAIL_IN_STOCK);
    assert_int_equal(harness_count_events(e, "item.status_changed", "A"), 1);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", "sub_1"), 1);
    assert_int_equal(harness_count_events(e, "stock.changed", "A"), 1);
    finish(e, path);
}

/* B46 by ERP counts: WH1 has 10, O1 holds 5. A count of 8 leaves 3 available; a count of 3
 * backorders 2 of O1's units (re-promised on lead time), with a shortage event, and the report
 * names the line. */
static void test_snapshots__b46_second_count_backorders_and_reports_the_shortage(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-b46", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_BACKORDER, 7);
    harness_set_stock(e, "A", "WH1", 10);
    assert_int_equal(order1(e, "O1", "A", 5), OMS_OK);
    const struct oms_snapshot_row r8[] = {{"A", "WH1", 8, false, 0}};
    snapshot_ok(e, "2026-07-01T09:00:00Z", r8, 1, 1);
    assert_int_equal(avail(e, "A").available, 3);
    assert_int_equal(harness_count_events(e, "stock.short", NULL), 0);

    harness_set_clock(harness_ms("2026-07-01T10:00:00Z"));
    const struct oms_snapshot_row r3[] = {{"A", "WH1", 3, false, 0}};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, NULL, NULL, "2026-07-01T10:00:00Z", r3, 1, false),
                     OMS_OK);
    json_t *report = report_of(&cmd);
    json_t *w = warning(report, "short");
    assert_non_null(w);
    assert_int_equal(int_of(w, "short"), 2);
    json_t *line = json_array_get(json_object_get(w, "lines"), 0);
    assert_string_equal(json_string_value(json_object_get(line, "order")), "O1");
    assert_int_equal(int_of(line, "line"), 1);
    assert_int_equal(int_of(line, "backordered_by_shortage"), 2);
    json_t *change = change_of(report, line);
    assert_int_equal(int_of(change, "line_allocated"), 3);
    assert_int_equal(int_of(change, "line_backordered"), 2);
    assert_string_equal(json_string_value(json_object_get(change, "new_date")), "2026-07-08");
    w = warning(report, "below_allocated");
    assert_non_null(w);
    assert_int_equal(int_of(w, "on_hand"), 3);
    assert_int_equal(int_of(w, "allocated"), 5);
    assert_int_equal(json_array_size(json_object_get(report, "promise_changes")), 1);
    json_decref(report);
    oms_command_release(&cmd);
    struct harness_line l = harness_get_line(e, "O1", 1);
    assert_int_equal(l.allocated, 3);
    assert_int_equal(l.backordered, 2);
    assert_int_equal(l.promise_day, harness_day("2026-07-08"));
    assert_int_equal(avail(e, "A").available, 0);
    assert_level(e, "A", "WH1", 3, 3);
    assert_int_equal(harness_count_events(e, "stock.short", "A"), 1);
    assert_int_equal(harness_count_events(e, "line.backordered", "O1"), 1);
    assert_int_equal(harness_count_events(e, "line.promise_changed", "O1"), 1);
    finish(e, path);
}

static void test_snapshots__warnings_for_stale_large_and_impossible_figures(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-warn", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_DENY, -1);
    harness_set_stock(e, "A", "WH1", 100);
    harness_set_stock(e, "B", "WH1", 10);
    harness_set_clock(harness_ms("2026-07-03T09:00:00Z"));
    assert_int_equal(order1(e, "O1", "B", 6), OMS_OK);
    assert_int_equal(harness_ship(e, "O1", "WH1", 1, 6), OMS_OK);
    harness_supply(e, "PO-1", "A", "WH1", 5, "2026-07-01"); /* Due on the day of the count. */
    harness_supply(e, "PO-2", "A", "WH1", 7, "2026-07-02"); /* Due after it. */
    harness_set_clock(harness_ms("2026-07-03T12:00:00Z"));
    /* As of two days ago: A was counted 40 (a large change: 60 units, 60%); B was counted 2,
     * yet 6 were shipped since: the ERP and the ledger disagree, on_hand goes to 0. */
    const struct oms_snapshot_row rows[] = {{"A", "WH1", 40, false, 0},
                                            {"B", "WH1", 2, false, 0},
                                            {"A", "WH2", 5, false, 0}};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, NULL, NULL, "2026-07-01T10:00:00Z", rows, 3, false),
                     OMS_OK);
    json_t *report = report_of(&cmd);
    json_t *w = warning(report, "stale_snapshot");
    assert_non_null(w);
    assert_true(json_is_null(json_object_get(w, "row")));
    assert_int_equal(int_of(w, "age_hours"), 50);
    w = warning(report, "large_change");
    assert_non_null(w);
    assert_int_equal(int_of(w, "row"), 0);
    assert_int_equal(int_of(w, "delta"), -60);
    w = warning(report, "movements_exceed_count");
    assert_non_null(w);
    assert_int_equal(int_of(w, "row"), 1);
    assert_int_equal(int_of(w, "movements_after_as_of"), -6);
    w = warning(report, "open_supply_due");
    assert_non_null(w);
    assert_int_equal(int_of(w, "row"), 0);
    assert_int_equal(int_of(w, "open_units"), 5);
    assert_int_equal(int_of(w, "supply_lines"), 1);
    /* 0 to 5 is 5 units: under the 10-unit threshold, not large. */
    size_t i;
    json_t *each;
    json_array_foreach(json_object_get(report, "warnings"), i, each)
    {
        json_t *row = json_object_get(each, "row");
        assert_false(json_is_integer(row) && json_integer_value(row) == 2);
    }
    json_decref(report);
    oms_command_release(&cmd);
    assert_level(e, "A", "WH1", 40, 0);
    assert_level(e, "B", "WH1", 0, 0);
    assert_level(e, "A", "WH2", 5, 0);
    finish(e, path);
}

/* One stock.changed per level the snapshot changed, none for rows that agree; the ledger
 * names the snapshot. */
static void test_snapshots__one_stock_event_per_changed_level(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-events", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_DENY, -1);
    harness_set_stock(e, "A", "WH1", 3);
    uint32_t before = harness_count_events(e, "stock.changed", NULL);
    const struct oms_snapshot_row rows[] = {{"A", "WH1", 3, false, 0},
                                            {"A", "WH2", 4, false, 0},
                                            {"B", "WH1", 2, true, 1}};
    snapshot_ok(e, "2026-07-01T09:00:00Z", rows, 3, 2);
    assert_int_equal(harness_count_events(e, "stock.changed", NULL) - before, 2);
    assert_int_equal(harness_count_events(e, "stock.snapshot_applied", "snap_1"), 1);
    struct oms_stock_level b = harness_get_level(e, "B", "WH1");
    assert_int_equal(b.on_hand, 2);
    assert_int_equal(b.unavailable, 1);
    assert_int_equal(avail(e, "A").available, 7);
    assert_int_equal(avail(e, "B").available, 1);
    finish(e, path);
}

static void units_held(const struct oms_state *state, void *ctx)
{
    oms_qty *held = ctx;
    *held = 0;
    for (uint32_t i = 0; i < state->hold_lines_count; i++) {
        *held += oms_hold_line_held(&state->hold_lines[i]);
    }
}

/* Rule 3b after a count: safety first, then holds (newest first), then allocations. A dry run
 * reports what the holds would give and gives nothing. */
static void test_snapshots__a_shortage_takes_from_holds_and_a_dry_run_gives_them_back(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-holds", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_BACKORDER, 7);
    harness_set_stock(e, "A", "WH1", 10);
    assert_int_equal(order1(e, "O1", "A", 4), OMS_OK);
    const struct oms_cmd_hold_line hold_line = {"A", 3};
    struct oms_command hold = {.kind = OMS_CMD_HOLD_CREATE};
    snprintf(hold.fingerprint, sizeof hold.fingerprint, "H1");
    hold.u.hold = (struct oms_cmd_hold){.id = "H1", .channel = "web", .lines = &hold_line,
                                        .lines_count = 1,
                                        .expires_ms = harness_ms("2026-07-01T10:00:00Z")};
    assert_int_equal(harness_run(e, &hold), OMS_OK);
    assert_int_equal(harness_get_level(e, "A", "WH1").reserved, 3);
    uint64_t digest = harness_digest(e);
    int64_t seq = last_event_seq(e);

    const struct oms_snapshot_row five[] = {{"A", "WH1", 5, false, 0}};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, NULL, NULL, "2026-07-01T09:00:00Z", five, 1, true),
                     OMS_OK);
    json_t *report = report_of(&cmd);
    json_t *w = warning(report, "short");
    assert_non_null(w);
    assert_int_equal(int_of(w, "short"), 2);
    assert_int_equal(int_of(w, "from_holds"), 2);
    assert_int_equal(json_array_size(json_object_get(w, "lines")), 0);
    json_decref(report);
    oms_command_release(&cmd);
    oms_qty held = 0;
    harness_inspect(e, units_held, &held);
    assert_int_equal(held, 3);
    assert_int_equal(harness_digest(e), digest);
    assert_int_equal(last_event_seq(e), seq);
    harness_assert_consistent(e);

    const struct oms_snapshot_row two[] = {{"A", "WH1", 2, false, 0}};
    assert_int_equal(snapshot(e, &cmd, NULL, NULL, "2026-07-01T09:00:00Z", two, 1, false),
                     OMS_OK);
    report = report_of(&cmd);
    w = warning(report, "short");
    assert_int_equal(int_of(w, "short"), 5);
    assert_int_equal(int_of(w, "from_holds"), 3);
    json_t *line = json_array_get(json_object_get(w, "lines"), 0);
    assert_string_equal(json_string_value(json_object_get(line, "order")), "O1");
    assert_int_equal(int_of(line, "backordered_by_shortage"), 2);
    assert_non_null(change_of(report, line)); /* Listed once, in promise_changes. */
    json_decref(report);
    oms_command_release(&cmd);
    harness_inspect(e, units_held, &held);
    assert_int_equal(held, 0);
    struct oms_stock_level level = harness_get_level(e, "A", "WH1");
    assert_int_equal(level.reserved, 0);
    assert_int_equal(level.allocated, 2);
    assert_int_equal(harness_count_events(e, "hold.reduced", "H1"), 1);
    finish(e, path);
}

/* Decision 37: a line a count leaves short at two locations is referred to by both short
 * warnings (with the units each row took) and listed once, in promise_changes, with where it
 * stands after the re-run. */
static void test_snapshots__a_line_short_at_two_rows_is_listed_once(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "snap-once", "2026-07-01T09:00:00Z",
                                 OMS_POLICY_BACKORDER, 7);
    harness_set_stock(e, "A", "WH1", 4);
    harness_set_stock(e, "A", "WH2", 4);
    assert_int_equal(order1(e, "O1", "A", 8), OMS_OK);
    harness_set_clock(harness_ms("2026-07-01T10:00:00Z"));
    const struct oms_snapshot_row rows[] = {{"A", "WH1", 1, false, 0}, {"A", "WH2", 1, false, 0}};
    struct oms_command cmd;
    assert_int_equal(snapshot(e, &cmd, NULL, NULL, "2026-07-01T10:00:00Z", rows, 2, true),
                     OMS_OK);
    json_t *report = report_of(&cmd);
    size_t i, shorts = 0;
    json_t *w;
    json_array_foreach(json_object_get(report, "warnings"), i, w)
    {
        if (strcmp(json_string_value(json_object_get(w, "code")), "short") != 0) continue;
        shorts++;
        json_t *lines = json_object_get(w, "lines");
        assert_int_equal(json_array_size(lines), 1);
        json_t *ref = json_array_get(lines, 0);
        assert_int_equal(int_of(ref, "backordered_by_shortage"), 3);
        json_t *change = change_of(report, ref); /* Exactly one entry. */
        assert_int_equal(int_of(change, "line_allocated"), 2);
        assert_int_equal(int_of(change, "line_backordered"), 6);
    }
    assert_int_equal(shorts, 2);
    assert_int_equal(json_array_size(json_object_get(report, "promise_changes")), 1);
    json_decref(report);
    oms_command_release(&cmd);
    finish(e, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshots__a_late_snapshot_never_resurrects_units_sold_since),
        cmocka_unit_test(test_snapshots__receipts_after_as_of_are_reapplied_and_flagged),
        cmocka_unit_test(test_snapshots__a_newer_count_supersedes_the_snapshot),
        cmocka_unit_test(test_snapshots__a_count_that_agrees_still_supersedes_older_snapshots),
        cmocka_unit_test(test_snapshots__one_bad_row_refuses_the_whole_snapshot),
        cmocka_unit_test(
            test_snapshots__a_row_is_checked_as_counted_before_movements_are_reapplied),
        cmocka_unit_test(test_snapshots__a_dry_run_reports_and_changes_nothing),
        cmocka_unit_test(test_snapshots__the_same_id_replays_the_first_report_after_a_restart),
        cmocka_unit_test(test_snapshots__b43_erp_syncs_publish_30_then_1_then_51),
        cmocka_unit_test(test_snapshots__b45_import_raises_stock_status_and_notice_follow),
        cmocka_unit_test(test_snapshots__b46_second_count_backorders_and_reports_the_shortage),
        cmocka_unit_test(test_snapshots__warnings_for_stale_large_and_impossible_figures),
        cmocka_unit_test(test_snapshots__one_stock_event_per_changed_level),
        cmocka_unit_test(test_snapshots__a_shortage_takes_from_holds_and_a_dry_run_gives_them_back),
        cmocka_unit_test(test_snapshots__a_line_short_at_two_rows_is_listed_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
