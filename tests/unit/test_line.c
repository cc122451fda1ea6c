/*
 * test_line.c - an order line's counters, its status and its order's status (core/line.h,
 * DESIGN.md section 2): each status by example, then every small combination of counters
 * against the definitions read word by word.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/line.h"

#define SMALL_MAX 2 /* Each counter 0..2: every combination of zero, one and many. */

static struct oms_line_counts line_of(oms_qty allocated, oms_qty backordered, oms_qty shipped,
                                      oms_qty cancelled, oms_qty rejected)
{
    return (struct oms_line_counts){
        .ordered = allocated + backordered + shipped + cancelled + rejected,
        .allocated = allocated,
        .backordered = backordered,
        .shipped = shipped,
        .cancelled = cancelled,
        .rejected = rejected,
    };
}

/* DESIGN.md section 2, word by word. */
static enum oms_line_status reference_line_status(const struct oms_line_counts *c)
{
    oms_qty open = c->allocated + c->backordered;
    if (open > 0 && c->backordered == 0) return OMS_LINE_ALLOCATED;
    if (open > 0 && c->allocated > 0) return OMS_LINE_PARTIALLY_ALLOCATED;
    if (open > 0) return OMS_LINE_BACKORDERED;
    if (c->shipped > 0) return OMS_LINE_SHIPPED;
    if (c->cancelled > 0) return OMS_LINE_CANCELLED;
    return OMS_LINE_REJECTED;
}

static enum oms_order_status reference_order_status(const struct oms_line_counts *lines,
                                                    uint32_t count)
{
    bool any_open = false, any_shipped = false, any_cancelled = false;
    for (uint32_t i = 0; i < count; i++) {
        any_open = any_open || lines[i].allocated + lines[i].backordered > 0;
        any_shipped = any_shipped || lines[i].shipped > 0;
        any_cancelled = any_cancelled || lines[i].cancelled > 0;
    }
    if (any_open) return any_shipped ? OMS_ORDER_PARTIALLY_SHIPPED : OMS_ORDER_OPEN;
    if (any_shipped) return OMS_ORDER_SHIPPED;
    if (any_cancelled) return OMS_ORDER_CANCELLED;
    return OMS_ORDER_REJECTED;
}

static void test_line__counts_that_add_up_are_valid(void **state)
{
    (void)state;
    struct oms_line_counts counts = line_of(1, 2, 3, 4, 5);
    assert_int_equal(counts.ordered, 15);
    assert_true(oms_line_counts_valid(&counts));
    struct oms_line_counts empty = {0};
    assert_true(oms_line_counts_valid(&empty));
}

static void test_line__counts_that_do_not_add_up_are_invalid(void **state)
{
    (void)state;
    struct oms_line_counts counts = line_of(1, 2, 3, 4, 5);
    counts.ordered = 14;
    assert_false(oms_line_counts_valid(&counts));
    counts.ordered = 16;
    assert_false(oms_line_counts_valid(&counts));
}

static void test_line__negative_or_oversized_counters_are_invalid(void **state)
{
    (void)state;
    /* -1 backordered hides behind +1 allocated in the sum: still invalid. */
    struct oms_line_counts negative = {.ordered = 3, .allocated = 4, .backordered = -1};
    assert_false(oms_line_counts_valid(&negative));
    struct oms_line_counts big = {.ordered = OMS_QTY_MAX + 1, .allocated = OMS_QTY_MAX + 1};
    assert_false(oms_line_counts_valid(&big));
    struct oms_line_counts max = {.ordered = OMS_QTY_MAX, .shipped = OMS_QTY_MAX};
    assert_true(oms_line_counts_valid(&max));
}

static void test_line__every_open_unit_allocated_is_allocated(void **state)
{
    (void)state;
    struct oms_line_counts counts = line_of(5, 0, 0, 0, 0);
    assert_int_equal(oms_line_status_of(&counts), OMS_LINE_ALLOCATED);
    /* What is closed does not matter: the status is the open part's. */
    counts = line_of(2, 0, 1, 1, 1);
    assert_int_equal(oms_line_status_of(&counts), OMS_LINE_ALLOCATED);
}

static void test_line__some_allocated_and_the_rest_backordered_is_partially_allocated(void **state)
{
    (void)state;
    struct oms_line_counts counts = line_of(10, 5, 0, 0, 0); /* B19 at order time. */
    assert_int_equal(oms_line_status_of(&counts), OMS_LINE_PARTIALLY_ALLOCATED);
    counts = line_of(1, 1, 3, 0, 2);
    assert_int_equal(oms_line_status_of(&counts), OMS_LINE_PARTIALLY_ALLOCATED);
}

static void test_line__none_allocated_and_some_backordered_is_backordered(void **state)
{
    (void)state;
    struct oms_line_counts counts = line_of(0, 3, 0, 0, 0);
    assert_int_equal(oms_line_status_of(&counts), OMS_LINE_BACKORDERED);
    /* B19 after the first shipment: 10 shipped, 5 still backordered. */
    counts = line_of(0, 5, 10, 0, 0);
    assert_int_equal(oms_line_status_of(&counts), OMS_LINE_BACKORDERED);
}

static void test_line__nothing_open_and_something_shipped_is_shipped(void **state)
{
    (void)state;
    struct oms_line_counts counts = line_of(0, 0, 7, 3, 0); /* B22: shipped 7, cancelled 3. */
    assert_int_equal(oms_line_status_of(&counts), OMS_LINE_SHIPPED);
    counts = line_of(0, 0, 1, 0, 4);
    assert_int_equal(oms_line_status_of(&counts), OMS_LINE_SHIPPED);
}

static void test_line__nothing_open_nothing_shipped_some_cancelled_is_cancelled(void **state)
{
    (void)state;
    struct oms_line_counts counts = line_of(0, 0, 0, 2, 0);
    assert_int_equal(oms_line_status_of(&counts), OMS_LINE_CANCELLED);
    counts = line_of(0, 0, 0, 1, 5);
    assert_int_equal(oms_line_status_of(&counts), OMS_LINE_CANCELLED);
}

static void test_line__every_unit_rejected_is_rejected(void **state)
{
    (void)state;
    struct oms_line_counts counts = line_of(0, 0, 0, 0, 3);
    assert_int_equal(oms_line_status_of(&counts), OMS_LINE_REJECTED);
}

static void test_line__status_matches_the_definitions_for_every_small_combination(void **state)
{
    (void)state;
    for (oms_qty a = 0; a <= SMALL_MAX; a++) {
        for (oms_qty b = 0; b <= SMALL_MAX; b++) {
            for (oms_qty s = 0; s <= SMALL_MAX; s++) {
                for (oms_qty c = 0; c <= SMALL_MAX; c++) {
                    for (oms_qty r = 0; r <= SMALL_MAX; r++) {
                        struct oms_line_counts counts = line_of(a, b, s, c, r);
                        if (counts.ordered == 0) continue; /* A line orders at least 1. */
                        assert_int_equal(oms_line_status_of(&counts),
                                         reference_line_status(&counts));
                    }
                }
            }
        }
    }
}

static void test_line__an_order_with_open_units_and_none_shipped_is_open(void **state)
{
    (void)state;
    const struct oms_line_counts lines[] = {line_of(0, 2, 0, 0, 0), line_of(0, 0, 0, 0, 1),
                                            line_of(0, 0, 0, 1, 0)};
    assert_int_equal(oms_order_status_of(lines, 3), OMS_ORDER_OPEN);
}

static void test_line__an_order_with_open_and_shipped_units_is_partially_shipped(void **state)
{
    (void)state;
    /* B18 after the first shipment: 2 shipped from WH-A, 4 still allocated at WH-B. */
    const struct oms_line_counts one_line[] = {line_of(4, 0, 2, 0, 0)};
    assert_int_equal(oms_order_status_of(one_line, 1), OMS_ORDER_PARTIALLY_SHIPPED);
    /* Or across lines: one shipped, another still backordered. */
    const struct oms_line_counts two_lines[] = {line_of(0, 0, 3, 0, 0), line_of(0, 1, 0, 0, 0)};
    assert_int_equal(oms_order_status_of(two_lines, 2), OMS_ORDER_PARTIALLY_SHIPPED);
}

static void test_line__an_order_with_nothing_open_and_something_shipped_is_shipped(void **state)
{
    (void)state;
    /* B22: A shipped 7 cancelled 3, B shipped 6 cancelled 4. */
    const struct oms_line_counts lines[] = {line_of(0, 0, 7, 3, 0), line_of(0, 0, 6, 4, 0)};
    assert_int_equal(oms_order_status_of(lines, 2), OMS_ORDER_SHIPPED);
}

static void test_line__an_order_with_nothing_open_or_shipped_but_cancelled_is_cancelled(
    void **state)
{
    (void)state;
    const struct oms_line_counts lines[] = {line_of(0, 0, 0, 2, 0), line_of(0, 0, 0, 0, 3)};
    assert_int_equal(oms_order_status_of(lines, 2), OMS_ORDER_CANCELLED);
}

static void test_line__an_order_with_every_unit_rejected_is_rejected(void **state)
{
    (void)state;
    const struct oms_line_counts lines[] = {line_of(0, 0, 0, 0, 3), line_of(0, 0, 0, 0, 1)};
    assert_int_equal(oms_order_status_of(lines, 2), OMS_ORDER_REJECTED);
}

static void test_line__order_status_matches_the_definitions_for_every_pair_of_lines(void **state)
{
    (void)state;
    /* Each line one of 3^5 small combinations; every pair (in both orders). */
    struct oms_line_counts all[243];
    uint32_t count = 0;
    for (uint32_t code = 0; code < 243; code++) {
        uint32_t x = code;
        oms_qty digit[5];
        for (int k = 0; k < 5; k++) {
            digit[k] = (oms_qty)(x % 3);
            x /= 3;
        }
        struct oms_line_counts counts = line_of(digit[0], digit[1], digit[2], digit[3], digit[4]);
        if (counts.ordered > 0) all[count++] = counts;
    }
    for (uint32_t i = 0; i < count; i++) {
        assert_int_equal(oms_order_status_of(&all[i], 1), reference_order_status(&all[i], 1));
        for (uint32_t j = 0; j < count; j++) {
            const struct oms_line_counts pair[] = {all[i], all[j]};
            assert_int_equal(oms_order_status_of(pair, 2), reference_order_status(pair, 2));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line__counts_that_add_up_are_valid),
        cmocka_unit_test(test_line__counts_that_do_not_add_up_are_invalid),
        cmocka_unit_test(test_line__negative_or_oversized_counters_are_invalid),
        cmocka_unit_test(test_line__every_open_unit_allocated_is_allocated),
        cmocka_unit_test(
            test_line__some_allocated_and_the_rest_backordered_is_partially_allocated),
        cmocka_unit_test(test_line__none_allocated_and_some_backordered_is_backordered),
        cmocka_unit_test(test_line__nothing_open_and_something_shipped_is_shipped),
        cmocka_unit_test(test_line__nothing_open_nothing_shipped_some_cancelled_is_cancelled),
        cmocka_unit_test(test_line__every_unit_rejected_is_rejected),
        cmocka_unit_test(test_line__status_matches_the_definitions_for_every_small_combination),
        cmocka_unit_test(test_line__an_order_with_open_units_and_none_shipped_is_open),
        cmocka_unit_test(test_line__an_order_with_open_and_shipped_units_is_partially_shipped),
        cmocka_unit_test(test_line__an_order_with_nothing_open_and_something_shipped_is_shipped),
        cmocka_unit_test(
            test_line__an_order_with_nothing_open_or_shipped_but_cancelled_is_cancelled),
        cmocka_unit_test(test_line__an_order_with_every_unit_rejected_is_rejected),
        cmocka_unit_test(
            test_line__order_status_matches_the_definitions_for_every_pair_of_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
