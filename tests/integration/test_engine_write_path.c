/*
 * test_engine_write_path.c - what issue 4 (write-path speed) changed in the store must keep
 * every guarantee: stock level rows are a checkpoint (the writer saves them now and then, a
 * load replays the ledger rows after it), so what a kill -9 leaves (the files as of the last
 * commit) must load to exactly the levels acknowledged; the event subject index leaves out
 * per-SKU events, and a timeline still tells an order's whole story and nothing else.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"
#include "store/store.h"

static const char *const WH1[] = {"WH1"};
static const char *const SKUS[] = {"A", "B", "C", "D", "E"};
#define SKUS_COUNT 5

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    assert_non_null(out);
    if (in) { /* No WAL file is a WAL of nothing. */
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
        fclose(in);
    }
    fclose(out);
}

/* The database and its WAL as a process killed now would leave them (every commit is in
 * the WAL; the shared-memory index is rebuilt from it). */
static void crash_copy(const char *path, const char *copy)
{
    char from[512], to[512];
    copy_file(path, copy);
    snprintf(from, sizeof from, "%s-wal", path);
    snprintf(to, sizeof to, "%s-wal", copy);
    copy_file(from, to);
    snprintf(to, sizeof to, "%s-shm", copy);
    remove(to);
}

static int64_t sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

static struct oms_engine *setup(char *path, size_t cap, const char *name)
{
    harness_db_path(path, cap, name);
    struct oms_engine *e = harness_open(path);
    harness_location(e, "WH1", "UK", 1, 0);
    harness_channel(e, "web", WH1, 1, 0, true, 10);
    for (int i = 0; i < SKUS_COUNT; i++) {
        harness_item(e, SKUS[i], OMS_POLICY_DENY, 0, -1, true);
        harness_set_stock(e, SKUS[i], "WH1", 100);
    }
    return e;
}

/* Orders on every SKU, i+1 units of SKUS[i % 5] each; returns the units per SKU. */
static void place(struct oms_engine *e, const char *prefix, int count, oms_qty *units)
{
    for (int i = 0; i < count; i++) {
        char id[32];
        snprintf(id, sizeof id, "%s-%d", prefix, i);
        const char *sku[] = {SKUS[i % SKUS_COUNT]};
        oms_qty qty[] = {1 + i % 3};
        assert_int_equal(harness_order(e, id, "web", "UK", NULL, sku, qty, 1), OMS_OK);
        units[i % SKUS_COUNT] += qty[0];
    }
}

static void assert_levels(struct oms_engine *e, const oms_qty *units)
{
    for (int i = 0; i < SKUS_COUNT; i++) {
        struct oms_stock_level level = harness_get_level(e, SKUS[i], "WH1");
        assert_int_equal(level.on_hand, 100);
        assert_int_equal(level.allocated, units[i]);
    }
    harness_assert_consistent(e);
}

/* No checkpoint since the stock was set: the file's level rows say nothing was allocated,
 * and the killed copy still loads every acknowledged allocation from the ledger. */
static void test_engine__levels_after_kill_come_from_the_ledger(void **state)
{
    (void)state;
    char path[256], copy[300];
    struct oms_engine *e = setup(path, sizeof path, "levels_kill");
    oms_qty units[SKUS_COUNT] = {0};
    place(e, "o", 12, units);
    oms_qty first[SKUS_COUNT];
    memcpy(first, units, sizeof first);
    snprintf(copy, sizeof copy, "%s.killed", path);
    crash_copy(path, copy);
    /* The replay is what is tested: the copy's level rows are stale. */
    assert_int_equal(sql_int(copy, "SELECT coalesce(sum(allocated), 0) FROM stock_levels"), 0);
    struct oms_engine *k = harness_open(copy);
    assert_levels(k, units);
    /* And it goes on from there: more orders, another kill. */
    place(k, "p", 7, units);
    char copy2[320];
    snprintf(copy2, sizeof copy2, "%s.2", copy);
    crash_copy(copy, copy2);
    struct oms_engine *k2 = harness_open(copy2);
    assert_levels(k2, units);
    oms_engine_close(k2);
    oms_engine_close(k);
    assert_levels(e, first);
    oms_engine_close(e);
    /* A clean close saves every level row: readers of the file see the current levels. */
    int64_t allocated = 0;
    for (int i = 0; i < SKUS_COUNT; i++) allocated += units[i];
    assert_int_equal(sql_int(copy, "SELECT sum(allocated) FROM stock_levels"), allocated);
}

/* The database and its WAL as a kill now would leave them, loaded: it has every
 * acknowledged allocation. */
static void assert_kill_keeps(const char *path, const char *name, const oms_qty *units)
{
    char copy[320];
    snprintf(copy, sizeof copy, "%s.%s", path, name);
    crash_copy(path, copy);
    struct oms_engine *k = harness_open(copy);
    assert_levels(k, units);
    oms_engine_close(k);
}

/* A sweep pass every 2 batches here (decision 50): a kill after any batch, in the middle of
 * a pass or right after one moved the checkpoint, loads the saved rows plus the ledger after
 * the checkpoint. */
static void test_engine__levels_after_kill_between_checkpoints(void **state)
{
    (void)state;
    setenv("OMS_LEVELS_SWEEP_BATCHES", "2", 1);
    char path[256];
    struct oms_engine *e = setup(path, sizeof path, "levels_checkpoints");
    oms_qty units[SKUS_COUNT] = {0};
    for (int i = 0; i < 9; i++) {
        char prefix[16], name[16];
        snprintf(prefix, sizeof prefix, "o%d", i);
        place(e, prefix, 1 + i % SKUS_COUNT, units); /* Not always SKU A first. */
        snprintf(name, sizeof name, "killed%d", i);
        assert_kill_keeps(path, name, units);
    }
    int64_t saved = sql_int(path, "SELECT coalesce(sum(allocated), 0) FROM stock_levels");
    assert_true(saved > 0); /* Passes saved rows... */
    assert_true(sql_int(path, "SELECT value FROM meta WHERE key = 'levels_ledger_seq'") > 0);
    oms_engine_close(e);
    unsetenv("OMS_LEVELS_SWEEP_BATCHES");
}

/* A load replays the ledger after the checkpoint onto rows that stay stale in the file: the
 * reopened engine's first pass must save them before it moves the checkpoint past the rows
 * it replayed, or a second kill would load them without those rows. */
static void test_engine__levels_after_two_kills(void **state)
{
    (void)state;
    char path[256], copy[300];
    struct oms_engine *e = setup(path, sizeof path, "levels_two_kills");
    oms_qty units[SKUS_COUNT] = {0};
    place(e, "o", 10, units); /* No pass ends: 1,024 batches each by default. */
    snprintf(copy, sizeof copy, "%s.killed", path);
    crash_copy(path, copy);
    oms_engine_close(e);
    setenv("OMS_LEVELS_SWEEP_BATCHES", "2", 1);
    struct oms_engine *k = harness_open(copy);
    assert_levels(k, units);
    for (int i = 0; i < 6; i++) { /* Three passes: every checkpoint after the load's rows. */
        char prefix[16], name[16];
        snprintf(prefix, sizeof prefix, "p%d", i);
        place(k, prefix, 1, units);
        snprintf(name, sizeof name, "again%d", i);
        assert_kill_keeps(copy, name, units);
    }
    assert_true(sql_int(copy, "SELECT value FROM meta WHERE key = 'levels_ledger_seq'") > 0);
    oms_engine_close(k);
    unsetenv("OMS_LEVELS_SWEEP_BATCHES");
}

struct types {
    char list[512];
};

static void add_type(void *ctx, const struct oms_event_row *row)
{
    struct types *types = ctx;
    size_t len = strlen(types->list);
    snprintf(types->list + len, sizeof types->list - len, "%s%s", len ? "," : "", row->type);
}

/* An order whose id is also a SKU: its timeline holds its own events, not the SKU's stock
 * events (both have that text as subject). */
static void test_engine__timeline_of_an_order_named_like_a_sku(void **state)
{
    (void)state;
    char path[256];
    struct oms_engine *e = setup(path, sizeof path, "timeline_sku");
    oms_qty units[SKUS_COUNT] = {0};
    const char *sku[] = {"B"};
    oms_qty qty[] = {2};
    assert_int_equal(harness_order(e, "A", "web", "UK", NULL, sku, qty, 1), OMS_OK);
    place(e, "o", 5, units); /* A's stock moves under subject "A" too. */
    struct types types = {""};
    assert_int_equal(oms_engine_subject_events(e, "A", 0, 100, add_type, &types), OMS_OK);
    assert_string_equal(types.list, "order.created,line.allocated");
    oms_engine_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine__levels_after_kill_come_from_the_ledger),
        cmocka_unit_test(test_engine__levels_after_kill_between_checkpoints),
        cmocka_unit_test(test_engine__levels_after_two_kills),
        cmocka_unit_test(test_engine__timeline_of_an_order_named_like_a_sku),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
