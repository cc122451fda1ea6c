/*
 * test_engine_load.c - what the load refuses and what migration 13 keeps. Since migration 13
 * no SQLite index keeps order ids unique nor an order's lines in place (decision 49): the
 * writer does, and the load refuses a file that breaks either (two orders of one id, a line
 * out of its order's range or with the wrong number) instead of serving it. A file made
 * before migration 13 (with both UNIQUE indexes) is rebuilt without them and keeps every row,
 * and a retried order still gets its first answer, now read by the order's row number.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"
#include "store/sqlite_schema.h"

static const char *const WH1[] = {"WH1"};

/* WH1, channel web, item A with 10 units; orders O1 (A x2, B x1) and O2 (A x3). */
static struct oms_engine *start(char *path, size_t cap, const char *name)
{
    harness_set_clock(harness_ms("2026-07-01T09:00:00Z"));
    harness_db_path(path, cap, name);
    struct oms_engine *e = harness_open(path);
    harness_location(e, "WH1", "UK", 1, 0);
    harness_channel(e, "web", WH1, 1, 0, false, 10);
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    harness_item(e, "B", OMS_POLICY_DENY, -1, -1, true);
    harness_set_stock(e, "A", "WH1", 10);
    harness_set_stock(e, "B", "WH1", 10);
    const char *skus[] = {"A", "B"};
    oms_qty two_one[] = {2, 1}, three[] = {3};
    assert_int_equal(harness_order(e, "O1", "web", "UK", NULL, skus, two_one, 2), OMS_OK);
    assert_int_equal(harness_order(e, "O2", "web", "UK", NULL, skus, three, 1), OMS_OK);
    return e;
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *message = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &message);
    if (rc != SQLITE_OK) fprintf(stderr, "%s: %s\n", sql, message ? message : "?");
    sqlite3_free(message);
    assert_int_equal(rc, SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static int64_t count_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    return n;
}

static enum oms_err open_engine(const char *path)
{
    struct oms_engine_options options = {.db_path = path, .exclusive = true};
    struct oms_engine *e = NULL;
    enum oms_err err = oms_engine_open(&options, &e);
    if (err == OMS_OK) oms_engine_close(e);
    return err;
}

/* A file the engine cannot open is an error for the caller to tell, not a crash: no folder,
 * not a database, a database another engine holds. */
static void test_load__a_file_it_cannot_open_is_an_error(void **state)
{
    (void)state;
    char path[512], junk[540];
    assert_int_not_equal(open_engine("/nonexistent-oms-dir/x.db"), OMS_OK);
    struct oms_engine *e = start(path, sizeof path, "load_cannot_open");
    assert_int_not_equal(open_engine(path), OMS_OK); /* Held by e. */
    oms_engine_close(e);
    assert_int_equal(open_engine(path), OMS_OK);
    snprintf(junk, sizeof junk, "%s.junk", path);
    FILE *f = fopen(junk, "wb");
    assert_non_null(f);
    fputs("garbage, not a database; garbage, not a database; garbage, not a database\n", f);
    fclose(f);
    assert_int_not_equal(open_engine(junk), OMS_OK);
}

static void test_load__refuses_two_orders_of_one_id(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "load_twice");
    oms_engine_close(e);
    assert_int_equal(open_engine(path), OMS_OK);
    /* A third order row that says it is O1 (as a bug in a writer would leave it). */
    exec_sql(path, "INSERT INTO orders SELECT 2, shard, 'O1', channel, region, customer_ref,"
                   " contact, at_ms, created_ms, 3, 1, fingerprint, answer, hold, hold_use,"
                   " collect FROM orders WHERE idx = 1;"
                   "INSERT INTO lines SELECT 3, shard, 2, 1, item, sku, qty, shipped, cancelled,"
                   " rejected, reason, ship_complete, price_minor, promise_day, '', pegs,"
                   " latest_day, held, returned, first_promise_day FROM lines WHERE idx = 2;"
                   "UPDATE lines SET cancelled = qty WHERE idx = 3;");
    assert_int_equal(open_engine(path), OMS_ECORRUPT);
    /* Under another id the same rows load: the refusal was the id, nothing else. */
    exec_sql(path, "UPDATE orders SET id = 'O3' WHERE idx = 2;");
    assert_int_equal(open_engine(path), OMS_OK);
    harness_set_clock(0);
}

static void test_load__refuses_a_line_out_of_its_order(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "load_line");
    oms_engine_close(e);
    /* O1's second line numbered 1 again. */
    exec_sql(path, "UPDATE lines SET line_no = 1 WHERE idx = 1;");
    assert_int_equal(open_engine(path), OMS_ECORRUPT);
    exec_sql(path, "UPDATE lines SET line_no = 2 WHERE idx = 1;");
    assert_int_equal(open_engine(path), OMS_OK);
    /* O2's line said to belong to O1 (whose range does not hold it). */
    exec_sql(path, "UPDATE lines SET order_idx = 0, line_no = 3 WHERE idx = 2;");
    assert_int_equal(open_engine(path), OMS_ECORRUPT);
    exec_sql(path, "UPDATE lines SET order_idx = 1, line_no = 1 WHERE idx = 2;");
    assert_int_equal(open_engine(path), OMS_OK);
    harness_set_clock(0);
}

/* The file as migration 12 left it: both UNIQUE indexes back, the version one lower. */
static void back_to_schema_12(const char *path)
{
    exec_sql(path, "BEGIN;"
                   "CREATE TABLE orders_old AS SELECT * FROM orders; DROP TABLE orders;"
                   "CREATE TABLE orders(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
                   "  id TEXT NOT NULL UNIQUE, channel INTEGER NOT NULL, region TEXT NOT NULL,"
                   "  customer_ref TEXT, contact TEXT, at_ms INTEGER NOT NULL,"
                   "  created_ms INTEGER NOT NULL, first_line INTEGER NOT NULL,"
                   "  lines_count INTEGER NOT NULL, fingerprint TEXT NOT NULL, answer BLOB,"
                   "  hold TEXT, hold_use INTEGER NOT NULL DEFAULT 0, collect INTEGER);"
                   "INSERT INTO orders SELECT * FROM orders_old; DROP TABLE orders_old;"
                   "CREATE TABLE lines_old AS SELECT * FROM lines; DROP TABLE lines;"
                   "CREATE TABLE lines(idx INTEGER PRIMARY KEY, shard INTEGER NOT NULL DEFAULT 0,"
                   "  order_idx INTEGER NOT NULL, line_no INTEGER NOT NULL, item INTEGER,"
                   "  sku TEXT NOT NULL, qty INTEGER NOT NULL CHECK(qty > 0),"
                   "  shipped INTEGER NOT NULL CHECK(shipped >= 0),"
                   "  cancelled INTEGER NOT NULL CHECK(cancelled >= 0),"
                   "  rejected INTEGER NOT NULL CHECK(rejected >= 0), reason INTEGER NOT NULL,"
                   "  ship_complete INTEGER NOT NULL, price_minor INTEGER NOT NULL,"
                   "  promise_day INTEGER, allocs TEXT NOT NULL, pegs TEXT NOT NULL,"
                   "  latest_day INTEGER, held INTEGER NOT NULL DEFAULT 0,"
                   "  returned INTEGER NOT NULL DEFAULT 0 CHECK(returned >= 0),"
                   "  first_promise_day INTEGER, UNIQUE(order_idx, line_no));"
                   "INSERT INTO lines SELECT * FROM lines_old; DROP TABLE lines_old;"
                   "DELETE FROM schema_version WHERE version = 13;"
                   "COMMIT;");
}

static void test_load__migration_13_keeps_every_order_and_its_first_answer(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "load_migration");
    uint64_t digest = harness_digest(e);
    oms_engine_close(e);
    back_to_schema_12(path);
    const char *indexes = "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                          " AND tbl_name IN ('orders', 'lines')";
    assert_int_equal(count_sql(path, indexes), 2);
    e = harness_open(path);
    assert_true(harness_digest(e) == digest);
    assert_int_equal(count_sql(path, "SELECT max(version) FROM schema_version"),
                     (int64_t)OMS_ARRAY_LEN(oms_sqlite_migrations));
    assert_int_equal(count_sql(path, indexes), 0);
    assert_int_equal(count_sql(path, "SELECT count(*) FROM lines"), 3);
    /* The retried order is answered from its row, found by number now, not by id. */
    const char *skus[] = {"A"};
    oms_qty three[] = {3};
    bool replayed = false;
    const struct oms_cmd_line line = {.sku = skus[0], .qty = three[0], .price_minor = -1};
    struct harness_order_spec spec = {
        .id = "O2", .channel = "web", .region = "UK", .lines = &line, .lines_count = 1};
    assert_int_equal(harness_order_spec(e, &spec, &replayed), OMS_OK);
    assert_true(replayed);
    assert_int_equal(harness_orders_count(e), 2);
    assert_true(harness_digest(e) == digest);
    harness_reopen(&e, path);
    assert_true(harness_digest(e) == digest);
    oms_engine_close(e);
    harness_set_clock(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load__a_file_it_cannot_open_is_an_error),
        cmocka_unit_test(test_load__refuses_two_orders_of_one_id),
        cmocka_unit_test(test_load__refuses_a_line_out_of_its_order),
        cmocka_unit_test(test_load__migration_13_keeps_every_order_and_its_first_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
