/*
 * test_engine_orders.c - order decisions through the whole engine on a real SQLite file:
 * allocation, backorder, rejection, cancellation and shipment, with the model's invariants
 * checked after each test and again after reopening the file.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "core/calendar.h"
#include "harness.h"

static const char *const WH1[] = {"WH1"};

/* One warehouse, one web channel that takes backorders, item A with the given policy. */
static struct oms_engine *setup(char *path, size_t cap, const char *name, enum oms_policy policy,
                                oms_qty limit, int32_t lead, oms_qty on_hand)
{
    harness_db_path(path, cap, name);
    struct oms_engine *e = harness_open(path);
    harness_location(e, "WH1", "UK", 1, 0);
    harness_channel(e, "web", WH1, 1, 0, true, 10);
    harness_item(e, "A", policy, limit, lead, true);
    harness_set_stock(e, "A", "WH1", on_hand);
    return e;
}

static void reopen_and_check(struct oms_engine **e, const char *path)
{
    harness_assert_consistent(*e);
    oms_engine_close(*e);
    *e = harness_open(path);
    harness_assert_consistent(*e);
}

static void test_engine__b01_two_orders_for_the_last_units_one_wins(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "b01", OMS_POLICY_DENY, -1, -1, 5);
    /* B01 wants the loser refused whole: partial allocation off (allow_split false means all of
     * a line from one location or nothing; B35 shows the partial variant). */
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, false);
    const char *sku[] = {"A"};
    oms_qty three[] = {3};
    assert_int_equal(harness_order(e, "O1", "web", "UK", NULL, sku, three, 1), OMS_OK);
    assert_int_equal(harness_order(e, "O2", "web", "UK", NULL, sku, three, 1), OMS_OK);
    struct harness_line o1 = harness_get_line(e, "O1", 1), o2 = harness_get_line(e, "O2", 1);
    assert_int_equal(o1.allocated, 3);
    assert_int_equal(o2.allocated, 0);
    assert_int_equal(o2.rejected, 3);
    assert_int_equal(o2.reason, OMS_REJECT_OUT_OF_STOCK);
    struct oms_stock_level level = harness_get_level(e, "A", "WH1");
    assert_int_equal(level.on_hand, 5);
    assert_int_equal(level.allocated, 3);
    reopen_and_check(&e, path);
    assert_int_equal(harness_get_level(e, "A", "WH1").allocated, 3);
    oms_engine_close(e);
}

static void test_engine__b07_cancelled_backorder_adds_no_stock(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "b07", OMS_POLICY_BACKORDER, 10, 7, 0);
    const char *sku[] = {"A"};
    oms_qty three[] = {3};
    assert_int_equal(harness_order(e, "O1", "web", "UK", NULL, sku, three, 1), OMS_OK);
    assert_int_equal(harness_get_line(e, "O1", 1).backordered, 3);
    assert_int_equal(harness_cancel_all(e, "O1"), OMS_OK);
    struct harness_line line = harness_get_line(e, "O1", 1);
    assert_int_equal(line.backordered, 0);
    assert_int_equal(line.cancelled, 3);
    assert_int_equal(harness_get_level(e, "A", "WH1").on_hand, 0);
    /* Capacity is back to 10: a new order of 10 is backordered whole. */
    oms_qty ten[] = {10};
    assert_int_equal(harness_order(e, "O2", "web", "UK", NULL, sku, ten, 1), OMS_OK);
    assert_int_equal(harness_get_line(e, "O2", 1).backordered, 10);
    /* Cancelling again changes nothing. */
    assert_int_equal(harness_cancel_all(e, "O1"), OMS_OK);
    assert_int_equal(harness_get_line(e, "O1", 1).cancelled, 3);
    reopen_and_check(&e, path);
    oms_engine_close(e);
}

static void test_engine__b14_receipt_fills_a_waiting_backorder(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "b14", OMS_POLICY_BACKORDER, -1, 7, 0);
    const char *sku[] = {"A"};
    oms_qty two[] = {2};
    assert_int_equal(harness_order(e, "O1", "web", "UK", NULL, sku, two, 1), OMS_OK);
    assert_int_equal(harness_get_line(e, "O1", 1).backordered, 2);
    harness_supply(e, "PO1", "A", "WH1", 5, "2030-01-01");
    assert_int_equal(harness_receive(e, "PO1", 5), OMS_OK);
    struct harness_line line = harness_get_line(e, "O1", 1);
    assert_int_equal(line.allocated, 2);
    assert_int_equal(line.backordered, 0);
    struct oms_stock_level level = harness_get_level(e, "A", "WH1");
    assert_int_equal(level.on_hand, 5);
    assert_int_equal(level.allocated, 2);
    reopen_and_check(&e, path);
    oms_engine_close(e);
}

static void test_engine__b22_cancel_after_partial_shipment_releases_the_rest(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "b22", OMS_POLICY_DENY, -1, -1, 100);
    harness_item(e, "B", OMS_POLICY_DENY, -1, -1, true);
    harness_set_stock(e, "B", "WH1", 100);
    const char *skus[] = {"A", "B"};
    oms_qty qtys[] = {10, 10};
    assert_int_equal(harness_order(e, "O1", "web", "UK", NULL, skus, qtys, 2), OMS_OK);
    assert_int_equal(harness_ship(e, "O1", "WH1", 1, 7), OMS_OK);
    assert_int_equal(harness_ship(e, "O1", "WH1", 2, 6), OMS_OK);
    assert_int_equal(harness_ship(e, "O1", "WH1", 2, 5), OMS_EINSUFFICIENT_ALLOCATION);
    assert_int_equal(harness_cancel_all(e, "O1"), OMS_OK);
    struct oms_stock_level a = harness_get_level(e, "A", "WH1"), b = harness_get_level(e, "B", "WH1");
    assert_int_equal(a.on_hand, 93);
    assert_int_equal(a.allocated, 0);
    assert_int_equal(b.on_hand, 94);
    assert_int_equal(b.allocated, 0);
    assert_int_equal(harness_get_line(e, "O1", 1).cancelled, 3);
    assert_int_equal(harness_get_line(e, "O1", 2).cancelled, 4);
    reopen_and_check(&e, path);
    oms_engine_close(e);
}

/* Places one order of two lines of A (the second with the latest date given) at `at`; the
 * engine's error and field come back. */
static enum oms_err order_latest(struct oms_engine *e, const char *id, const char *at,
                                 const char *latest, char field[96])
{
    const struct oms_cmd_line lines[] = {
        {.sku = "A", .qty = 1, .price_minor = -1},
        {.sku = "A", .qty = 1, .price_minor = -1, .has_latest = true,
         .latest_day = harness_day(latest)}};
    struct oms_command cmd = {.kind = OMS_CMD_ORDER_PLACE, .at_ms = harness_ms(at)};
    snprintf(cmd.fingerprint, sizeof cmd.fingerprint, "%s", id);
    cmd.u.order = (struct oms_cmd_order){
        .id = id, .channel = "web", .region = "UK", .lines = lines, .lines_count = 2};
    enum oms_err err = oms_engine_execute(e, &cmd);
    snprintf(field, 96, "%s", cmd.err_field);
    oms_command_release(&cmd);
    return err;
}

/* A latest date before the day the order was placed can never be met (no promise is earlier
 * than that day): refused naming the line's field, nothing placed, rather than the line
 * allocated and held at once for a consent the customer could not have given. The order's
 * own day is a date like any other; an order dated in the past is judged on its own day. */
static void test_engine__a_latest_date_before_the_order_date_is_refused(void **state)
{
    (void)state;
    char path[512], field[96];
    harness_set_clock(harness_ms("2026-07-01T09:00:00Z"));
    struct oms_engine *e = setup(path, sizeof path, "latest", OMS_POLICY_BACKORDER, -1, 7, 10);
    uint64_t digest = harness_digest(e);
    assert_int_equal(order_latest(e, "O1", "2026-07-01T09:00:00Z", "2026-06-30", field),
                     OMS_EINVAL);
    assert_string_equal(field, "lines[1].latest_date");
    assert_int_equal(order_latest(e, "O1", "2026-07-01T09:00:00Z", "2000-01-01", field),
                     OMS_EINVAL);
    assert_int_equal(harness_digest(e), digest);
    assert_int_equal(harness_orders_count(e), 0);
    /* The order's own day: allocated today, within the date. */
    assert_int_equal(order_latest(e, "O1", "2026-07-01T09:00:00Z", "2026-07-01", field),
                     OMS_OK);
    assert_int_equal(harness_get_line(e, "O1", 2).allocated, 1);
    /* A late-arriving order placed on 28 June: its day is the bound. */
    assert_int_equal(order_latest(e, "O2", "2026-06-28T09:00:00Z", "2026-06-27", field),
                     OMS_EINVAL);
    assert_string_equal(field, "lines[1].latest_date");
    assert_int_equal(order_latest(e, "O2", "2026-06-28T09:00:00Z", "2026-06-28", field),
                     OMS_OK);
    reopen_and_check(&e, path);
    oms_engine_close(e);
    harness_set_clock(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine__b01_two_orders_for_the_last_units_one_wins),
        cmocka_unit_test(test_engine__a_latest_date_before_the_order_date_is_refused),
        cmocka_unit_test(test_engine__b07_cancelled_backorder_adds_no_stock),
        cmocka_unit_test(test_engine__b14_receipt_fills_a_waiting_backorder),
        cmocka_unit_test(test_engine__b22_cancel_after_partial_shipment_releases_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
