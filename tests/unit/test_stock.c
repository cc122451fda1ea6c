/*
 * test_stock.c - what is left to sell (core/stock.h): free, available and short stock at one
 * location, what a channel may sell (DESIGN.md rule 1, scenarios B33, B35, B37), the status
 * a storefront shows, and how a shortage is split (rule 3b).
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/stock.h"

#define NO_THRESHOLD (-1)

static enum oms_avail_status status_of(oms_qty want, oms_qty available, oms_qty threshold,
                                       bool unreleased, bool backorder_covers)
{
    const struct oms_avail_query query = {.want = want,
                                          .available = available,
                                          .low_stock_threshold = threshold,
                                          .unreleased = unreleased,
                                          .backorder_covers = backorder_covers};
    return oms_avail_status_for(&query);
}

static void test_stock__free_subtracts_every_bound_counter(void **state)
{
    (void)state;
    const struct oms_stock_level level = {
        .on_hand = 20, .allocated = 5, .reserved = 4, .safety = 3, .unavailable = 2};
    assert_int_equal(oms_stock_free(&level), 6);
    assert_int_equal(oms_stock_available(&level), 6);
    assert_int_equal(oms_stock_short(&level), 0);
}

static void test_stock__a_short_location_is_reported_not_hidden(void **state)
{
    (void)state;
    /* A count found 3 where 5 are bound: free is -2, available clamps to 0, short says 2. */
    const struct oms_stock_level level = {.on_hand = 3, .allocated = 4, .reserved = 1};
    assert_int_equal(oms_stock_free(&level), -2);
    assert_int_equal(oms_stock_available(&level), 0);
    assert_int_equal(oms_stock_short(&level), 2);
}

static void test_stock__exactly_sold_out_is_neither_available_nor_short(void **state)
{
    (void)state;
    const struct oms_stock_level level = {.on_hand = 5, .allocated = 3, .safety = 2};
    assert_int_equal(oms_stock_free(&level), 0);
    assert_int_equal(oms_stock_available(&level), 0);
    assert_int_equal(oms_stock_short(&level), 0);
}

static void test_stock__level_validity_refuses_negative_counters_and_excess_unavailable(
    void **state)
{
    (void)state;
    const struct oms_stock_level good = {.on_hand = 5, .unavailable = 5};
    const struct oms_stock_level damaged_over = {.on_hand = 5, .unavailable = 6};
    const struct oms_stock_level negative = {.on_hand = 5, .allocated = -1};
    const struct oms_stock_level too_big = {.on_hand = OMS_QTY_MAX + 1};
    assert_true(oms_stock_level_valid(&good));
    assert_false(oms_stock_level_valid(&damaged_over));
    assert_false(oms_stock_level_valid(&negative));
    assert_false(oms_stock_level_valid(&too_big));
}

static void test_stock__a_count_never_holds_more_unavailable_than_it_counted(void **state)
{
    (void)state;
    assert_true(oms_count_valid(4, 4));
    assert_true(oms_count_valid(0, 0));
    assert_false(oms_count_valid(4, 5));
    assert_false(oms_count_valid(-1, 0));
    assert_false(oms_count_valid(OMS_QTY_MAX + 1, 0));
}

static void test_stock__channel_sums_only_the_locations_it_sees(void **state)
{
    (void)state;
    const oms_qty free[] = {5, 7, 11};
    assert_int_equal(oms_channel_available(free, 3, 0x7u, 0), 23);
    assert_int_equal(oms_channel_available(free, 3, 0x5u, 0), 16);
    assert_int_equal(oms_channel_available(free, 3, 0x0u, 0), 0);
    /* Bits beyond the count are ignored. */
    assert_int_equal(oms_channel_available(free, 2, 0x7u, 0), 12);
}

static void test_stock__a_short_location_does_not_hide_another_locations_stock_b33(void **state)
{
    (void)state;
    /* B33: SHIP free 2 (online), DEPOT free -2 (oversold via POS). */
    const oms_qty free[] = {2, -2};
    /* Online sees only SHIP. */
    assert_int_equal(oms_channel_available(free, 2, 0x1u, 0), 2);
    /* Even a channel that sees DEPOT too gets 2, not 2 + (-2) = 0. */
    assert_int_equal(oms_channel_available(free, 2, 0x3u, 0), 2);
    /* A channel that sees only DEPOT gets 0, never a negative number. */
    assert_int_equal(oms_channel_available(free, 2, 0x2u, 0), 0);
}

static void test_stock__buffers_hold_back_units_per_channel_b35(void **state)
{
    (void)state;
    /* B35: WH on_hand 10, WEB buffer 0, MKT buffer 3. */
    struct oms_stock_level wh = {.on_hand = 10};
    oms_qty free[] = {oms_stock_free(&wh)};
    assert_int_equal(oms_channel_available(free, 1, 0x1u, 0), 10);
    assert_int_equal(oms_channel_available(free, 1, 0x1u, 3), 7);

    /* WEB's O1 = A x6 is allocated. */
    wh.allocated = 6;
    free[0] = oms_stock_free(&wh);
    assert_int_equal(oms_channel_available(free, 1, 0x1u, 0), 4); /* WEB. */
    assert_int_equal(oms_channel_available(free, 1, 0x1u, 3), 1); /* MKT: 10 - 6 - 3. */
}

static void test_stock__buffers_never_give_a_negative_feed_b37(void **state)
{
    (void)state;
    /* B37: on_hand 3, one unit held for a cart; MKT buffer 5, WEB buffer 0. */
    struct oms_stock_level level = {.on_hand = 3, .reserved = 1};
    oms_qty free[] = {oms_stock_free(&level)};
    assert_int_equal(oms_channel_available(free, 1, 0x1u, 5), 0); /* max(0, 3 - 1 - 5). */
    assert_int_equal(oms_channel_available(free, 1, 0x1u, 0), 2);

    /* on_hand drops to 0 with the hold still there: short by 1, both feeds 0. */
    level.on_hand = 0;
    free[0] = oms_stock_free(&level);
    assert_int_equal(free[0], -1);
    assert_int_equal(oms_channel_available(free, 1, 0x1u, 5), 0);
    assert_int_equal(oms_channel_available(free, 1, 0x1u, 0), 0);
}

static void test_stock__buffer_applies_to_the_sum_not_to_each_location(void **state)
{
    (void)state;
    const oms_qty free[] = {2, 2, -5};
    /* 2 + 2 (the short location counts 0) - 3 = 1. */
    assert_int_equal(oms_channel_available(free, 3, 0x7u, 3), 1);
    assert_int_equal(oms_channel_available(free, 3, 0x7u, 4), 0);
    assert_int_equal(oms_channel_available(free, 3, 0x7u, 9), 0);
}

static void test_stock__status_is_preorder_before_release_whatever_the_stock(void **state)
{
    (void)state;
    assert_int_equal(status_of(1, 100, NO_THRESHOLD, true, false), OMS_AVAIL_PREORDER);
    assert_int_equal(status_of(5, 0, 10, true, true), OMS_AVAIL_PREORDER);
}

static void test_stock__status_is_low_stock_at_or_below_the_threshold(void **state)
{
    (void)state;
    assert_int_equal(status_of(1, 5, 5, false, false), OMS_AVAIL_LOW_STOCK);
    assert_int_equal(status_of(1, 1, 5, false, false), OMS_AVAIL_LOW_STOCK);
    assert_int_equal(status_of(1, 6, 5, false, false), OMS_AVAIL_IN_STOCK);
    /* Low stock needs the asked quantity to be there: 3 of 5 wanted is not low stock. */
    assert_int_equal(status_of(5, 3, 5, false, false), OMS_AVAIL_OUT_OF_STOCK);
    assert_int_equal(status_of(5, 3, 5, false, true), OMS_AVAIL_BACKORDER);
}

static void test_stock__status_has_no_low_stock_without_a_threshold(void **state)
{
    (void)state;
    assert_int_equal(status_of(1, 1, NO_THRESHOLD, false, false), OMS_AVAIL_IN_STOCK);
    /* Threshold 0: an available quantity that covers the ask is never <= 0. */
    assert_int_equal(status_of(1, 1, 0, false, false), OMS_AVAIL_IN_STOCK);
}

static void test_stock__status_is_in_stock_when_available_covers_the_ask(void **state)
{
    (void)state;
    assert_int_equal(status_of(3, 3, NO_THRESHOLD, false, false), OMS_AVAIL_IN_STOCK);
    assert_int_equal(status_of(3, 3, NO_THRESHOLD, false, true), OMS_AVAIL_IN_STOCK);
}

static void test_stock__status_is_backorder_when_available_falls_short_and_backorder_covers(
    void **state)
{
    (void)state;
    assert_int_equal(status_of(4, 3, NO_THRESHOLD, false, true), OMS_AVAIL_BACKORDER);
    assert_int_equal(status_of(1, 0, NO_THRESHOLD, false, true), OMS_AVAIL_BACKORDER);
}

static void test_stock__status_is_out_of_stock_otherwise(void **state)
{
    (void)state;
    assert_int_equal(status_of(4, 3, NO_THRESHOLD, false, false), OMS_AVAIL_OUT_OF_STOCK);
    assert_int_equal(status_of(1, 0, NO_THRESHOLD, false, false), OMS_AVAIL_OUT_OF_STOCK);
    assert_int_equal(status_of(1, 0, 10, false, false), OMS_AVAIL_OUT_OF_STOCK);
}

static void test_stock__a_location_that_is_not_short_has_nothing_to_split(void **state)
{
    (void)state;
    const struct oms_stock_level level = {
        .on_hand = 10, .allocated = 4, .reserved = 2, .safety = 2};
    struct oms_shortage_split split = oms_shortage_split_of(&level);
    assert_int_equal(split.from_safety, 0);
    assert_int_equal(split.from_reserved, 0);
    assert_int_equal(split.from_allocated, 0);
}

static void test_stock__shortage_comes_from_safety_first(void **state)
{
    (void)state;
    /* Free = 5 - 2 - 2 - 3 = -2: safety alone covers it. */
    const struct oms_stock_level level = {.on_hand = 5, .allocated = 2, .reserved = 2, .safety = 3};
    struct oms_shortage_split split = oms_shortage_split_of(&level);
    assert_int_equal(split.from_safety, 2);
    assert_int_equal(split.from_reserved, 0);
    assert_int_equal(split.from_allocated, 0);
}

static void test_stock__shortage_comes_from_holds_after_safety(void **state)
{
    (void)state;
    /* Free = 3 - 2 - 3 - 1 = -3: 1 from safety, 2 from holds. */
    const struct oms_stock_level level = {.on_hand = 3, .allocated = 2, .reserved = 3, .safety = 1};
    struct oms_shortage_split split = oms_shortage_split_of(&level);
    assert_int_equal(split.from_safety, 1);
    assert_int_equal(split.from_reserved, 2);
    assert_int_equal(split.from_allocated, 0);
}

static void test_stock__shortage_comes_from_allocations_last(void **state)
{
    (void)state;
    /* B46's second count: on_hand 3 with 5 allocated; plus safety 1 and a hold of 1.
     * Free = 3 - 5 - 1 - 1 = -4: 1 from safety, 1 from the hold, 2 from allocations. */
    const struct oms_stock_level level = {.on_hand = 3, .allocated = 5, .reserved = 1, .safety = 1};
    struct oms_shortage_split split = oms_shortage_split_of(&level);
    assert_int_equal(split.from_safety, 1);
    assert_int_equal(split.from_reserved, 1);
    assert_int_equal(split.from_allocated, 2);
}

static void test_stock__shortage_split_leaves_the_location_exactly_at_zero(void **state)
{
    (void)state;
    /* Every combination of small counters: taking the split leaves free == 0 when short, and
     * never takes more than a counter holds. */
    for (oms_qty on_hand = 0; on_hand <= 6; on_hand++) {
        for (oms_qty allocated = 0; allocated <= 6; allocated++) {
            for (oms_qty reserved = 0; reserved <= 6; reserved++) {
                for (oms_qty safety = 0; safety <= 4; safety++) {
                    for (oms_qty unavailable = 0; unavailable <= on_hand; unavailable++) {
                        struct oms_stock_level level = {on_hand, allocated, reserved, safety,
                                                        unavailable};
                        oms_qty before = oms_stock_free(&level);
                        struct oms_shortage_split split = oms_shortage_split_of(&level);
                        assert_true(split.from_safety >= 0 && split.from_safety <= safety);
                        assert_true(split.from_reserved >= 0 && split.from_reserved <= reserved);
                        assert_true(split.from_allocated >= 0 &&
                                    split.from_allocated <= allocated);
                        /* Earlier steps are used up before later ones take anything. */
                        if (split.from_reserved > 0) assert_int_equal(split.from_safety, safety);
                        if (split.from_allocated > 0) {
                            assert_int_equal(split.from_reserved, reserved);
                        }
                        level.safety -= split.from_safety;
                        level.reserved -= split.from_reserved;
                        level.allocated -= split.from_allocated;
                        assert_int_equal(oms_stock_free(&level), before < 0 ? 0 : before);
                    }
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stock__free_subtracts_every_bound_counter),
        cmocka_unit_test(test_stock__a_short_location_is_reported_not_hidden),
        cmocka_unit_test(test_stock__exactly_sold_out_is_neither_available_nor_short),
        cmocka_unit_test(
            test_stock__level_validity_refuses_negative_counters_and_excess_unavailable),
        cmocka_unit_test(test_stock__a_count_never_holds_more_unavailable_than_it_counted),
        cmocka_unit_test(test_stock__channel_sums_only_the_locations_it_sees),
        cmocka_unit_test(test_stock__a_short_location_does_not_hide_another_locations_stock_b33),
        cmocka_unit_test(test_stock__buffers_hold_back_units_per_channel_b35),
        cmocka_unit_test(test_stock__buffers_never_give_a_negative_feed_b37),
        cmocka_unit_test(test_stock__buffer_applies_to_the_sum_not_to_each_location),
        cmocka_unit_test(test_stock__status_is_preorder_before_release_whatever_the_stock),
        cmocka_unit_test(test_stock__status_is_low_stock_at_or_below_the_threshold),
        cmocka_unit_test(test_stock__status_has_no_low_stock_without_a_threshold),
        cmocka_unit_test(test_stock__status_is_in_stock_when_available_covers_the_ask),
        cmocka_unit_test(
            test_stock__status_is_backorder_when_available_falls_short_and_backorder_covers),
        cmocka_unit_test(test_stock__status_is_out_of_stock_otherwise),
        cmocka_unit_test(test_stock__a_location_that_is_not_short_has_nothing_to_split),
        cmocka_unit_test(test_stock__shortage_comes_from_safety_first),
        cmocka_unit_test(test_stock__shortage_comes_from_holds_after_safety),
        cmocka_unit_test(test_stock__shortage_comes_from_allocations_last),
        cmocka_unit_test(test_stock__shortage_split_leaves_the_location_exactly_at_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
