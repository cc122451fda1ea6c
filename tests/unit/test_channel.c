/*
 * test_channel.c - a channel's rules for one item (core/channel.h): periods, buffers in units
 * and percent (rounded down), other channels' floors, caps and how an item rule overrides the
 * channel's defaults; B33 (store stock excluded, each location clamped at 0), B35 with a
 * percent buffer, B37.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/calendar.h"
#include "core/channel.h"

static oms_day ymd(int32_t y, int32_t m, int32_t d) { return oms_day_from_ymd(y, m, d); }

static void test_channel__periods_are_local_days_iso_weeks_and_calendar_months(void **state)
{
    (void)state;
    oms_day wed = ymd(2030, 1, 2); /* A Wednesday. */
    assert_int_equal(oms_period_start(wed, OMS_PERIOD_DAY), wed);
    assert_int_equal(oms_period_next(wed, OMS_PERIOD_DAY), wed + 1);
    assert_int_equal(oms_period_start(wed, OMS_PERIOD_WEEK), ymd(2029, 12, 31)); /* Monday. */
    assert_int_equal(oms_period_start(ymd(2029, 12, 31), OMS_PERIOD_WEEK), ymd(2029, 12, 31));
    assert_int_equal(oms_period_start(ymd(2030, 1, 6), OMS_PERIOD_WEEK), ymd(2029, 12, 31));
    assert_int_equal(oms_period_next(ymd(2029, 12, 31), OMS_PERIOD_WEEK), ymd(2030, 1, 7));
    assert_int_equal(oms_period_start(ymd(2030, 2, 28), OMS_PERIOD_MONTH), ymd(2030, 2, 1));
    assert_int_equal(oms_period_next(ymd(2030, 12, 1), OMS_PERIOD_MONTH), ymd(2031, 1, 1));
    assert_int_equal(oms_period_next(ymd(2032, 2, 1), OMS_PERIOD_MONTH), ymd(2032, 3, 1));
    enum oms_cap_period p;
    assert_true(oms_period_parse("week", &p));
    assert_int_equal(p, OMS_PERIOD_WEEK);
    assert_false(oms_period_parse("year", &p));
    assert_string_equal(oms_period_name(OMS_PERIOD_MONTH), "month");
}

static void test_channel__a_percent_buffer_is_rounded_down_and_the_larger_buffer_counts(
    void **state)
{
    (void)state;
    assert_int_equal(oms_buffer_units(0, 10, 25), 2); /* 2.5 -> 2. */
    assert_int_equal(oms_buffer_units(0, 10, 9), 0);
    assert_int_equal(oms_buffer_units(0, 10, 10), 1);
    assert_int_equal(oms_buffer_units(3, 10, 25), 3);  /* Units beat the percent. */
    assert_int_equal(oms_buffer_units(1, 20, 25), 5);  /* The percent beats the units. */
    assert_int_equal(oms_buffer_units(0, 100, 25), 25);
    assert_int_equal(oms_buffer_units(0, 0, 25), 0);
    assert_int_equal(oms_buffer_units(0, 99, OMS_QTY_MAX * OMS_LOCATIONS_MAX),
                     OMS_QTY_MAX * OMS_LOCATIONS_MAX * 99 / 100); /* No overflow. */
}

static void test_channel__percent_of_availability_b35(void **state)
{
    (void)state;
    /* B35 with a percent: WH 10 on hand; WEB took 6; MKT holds 30% of what it sees back:
     * floor(0.3 x 4) = 1, so MKT may have 3. */
    oms_qty free[] = {4};
    struct oms_channel_limits mkt = {.visible = 0x1, .buffer_percent = 30, .cap_left = OMS_QTY_MAX};
    assert_int_equal(oms_channel_available_with(free, 1, &mkt), 3);
    mkt.buffer = 3; /* And at least 3 units: 4 - 3. */
    assert_int_equal(oms_channel_available_with(free, 1, &mkt), 1);
}

static void test_channel__excluded_stores_and_short_locations_count_zero_b33(void **state)
{
    (void)state;
    /* B33: SHIP has 2; DEPOT (a store, not shipping online) is short by 2. Online sees 2, not
     * 2 + (-2). The caller leaves DEPOT out of the shipping mask; a short location would count
     * 0 even if it were in. */
    oms_qty free[] = {2, -2};
    struct oms_channel_limits online = {.visible = 0x1, .cap_left = OMS_QTY_MAX};
    assert_int_equal(oms_channel_available_with(free, 2, &online), 2);
    online.visible = 0x3;
    assert_int_equal(oms_channel_available_with(free, 2, &online), 2);
}

static void test_channel__a_floor_holds_only_what_the_other_channel_cannot_find_elsewhere(
    void **state)
{
    (void)state;
    /* WH1 = 0, WH2 = 1, STORE = 2. WEB protects 10 over WH1 and STORE; MKT sees WH1 and WH2. */
    oms_qty free[] = {20, 5, 4};
    struct oms_floor web = {.locations = 0x5, .floor = 10};
    /* The store (outside MKT) holds 4 of the 10: WH1 must keep 6. */
    assert_int_equal(oms_floor_held(free, 3, 0x3, &web), 6);
    assert_int_equal(oms_floor_room(free, 3, &web), 14);
    struct oms_channel_limits mkt = {
        .visible = 0x3, .floors = &web, .floors_count = 1, .cap_left = OMS_QTY_MAX};
    assert_int_equal(oms_channel_available_with(free, 3, &mkt), 25 - 6);
    /* Enough at the store alone: nothing held at MKT's locations. */
    free[2] = 12;
    assert_int_equal(oms_floor_held(free, 3, 0x3, &web), 0);
    /* Less than the floor left: all of it is held. */
    free[0] = 3;
    free[2] = 0;
    assert_int_equal(oms_floor_held(free, 3, 0x3, &web), 3);
    assert_int_equal(oms_floor_room(free, 3, &web), 0);
    /* A floor over locations the channel does not see holds nothing of it. */
    struct oms_floor far = {.locations = 0x4, .floor = 50};
    assert_int_equal(oms_floor_held(free, 3, 0x3, &far), 0);
}

static void test_channel__availability_subtracts_buffer_and_floors_then_caps(void **state)
{
    (void)state;
    oms_qty free[] = {30, -3};
    struct oms_floor floors[] = {{.locations = 0x1, .floor = 8}, {.locations = 0x1, .floor = 5}};
    struct oms_channel_limits limits = {.visible = 0x3,
                                        .buffer = 2,
                                        .buffer_percent = 10, /* 3 of 30. */
                                        .floors = floors,
                                        .floors_count = 2,
                                        .cap_left = OMS_QTY_MAX};
    struct oms_channel_breakdown parts;
    oms_channel_breakdown_of(free, 2, &limits, &parts);
    assert_int_equal(parts.sum, 30);
    assert_int_equal(parts.buffer, 3);
    assert_int_equal(parts.held, 13);
    assert_int_equal(parts.available, 14);
    assert_int_equal(oms_channel_available_with(free, 2, &limits), 14);
    limits.cap_left = 4;
    assert_int_equal(oms_channel_available_with(free, 2, &limits), 4);
    /* Never negative (B37): everything held back. */
    limits.cap_left = OMS_QTY_MAX;
    limits.buffer = 40;
    assert_int_equal(oms_channel_available_with(free, 2, &limits), 0);
}

static void test_channel__an_item_rule_overrides_the_channels_buffer_and_others_floors_apply(
    void **state)
{
    (void)state;
    oms_day today = ymd(2030, 1, 2);
    struct oms_channel_rule rules[] = {
        {.channel = 0, .set = OMS_RULE_FLOOR, .floor = 7},
        {.channel = 2,
         .set = OMS_RULE_BUFFER | OMS_RULE_CAP,
         .buffer = 1,
         .cap_qty = 5,
         .cap_period = OMS_PERIOD_DAY,
         .sold_period = ymd(2030, 1, 2),
         .sold = 3},
    };
    uint64_t ships[] = {0x1, 0x3, 0x2};
    struct oms_floor floors[OMS_CHANNELS_MAX];
    struct oms_channel_limits limits;
    struct oms_channel_defaults mkt = {.ships = 0x2, .buffer = 4, .buffer_percent = 50};
    oms_channel_limits_of(rules, 2, 2, &mkt, ships, 3, today, floors, &limits);
    assert_int_equal(limits.buffer, 1);         /* The item's units ... */
    assert_int_equal(limits.buffer_percent, 0); /* ... replace the channel's percent too. */
    assert_int_equal(limits.floors_count, 1);
    assert_int_equal(limits.floors[0].locations, 0x1);
    assert_int_equal(limits.floors[0].floor, 7);
    assert_int_equal(limits.cap_left, 2);
    /* The next day the counter starts afresh. */
    oms_channel_limits_of(rules, 2, 2, &mkt, ships, 3, today + 1, floors, &limits);
    assert_int_equal(limits.cap_left, 5);
    /* Channel 1 has no rule: its defaults, channel 0's floor, no cap. */
    struct oms_channel_defaults web = {.ships = 0x3, .buffer = 4, .buffer_percent = 50};
    oms_channel_limits_of(rules, 2, 1, &web, ships, 3, today, floors, &limits);
    assert_int_equal(limits.buffer, 4);
    assert_int_equal(limits.buffer_percent, 50);
    assert_int_equal(limits.floors_count, 1);
    assert_int_equal(limits.cap_left, OMS_QTY_MAX);
    /* Channel 0 never sees its own floor. */
    oms_channel_limits_of(rules, 2, 0, &web, ships, 3, today, floors, &limits);
    assert_int_equal(limits.floors_count, 0);
    assert_ptr_equal(oms_rule_find(rules, 2, 2), &rules[1]);
    assert_null(oms_rule_find(rules, 2, 1));
}

static void test_channel__a_cap_counts_only_its_current_period(void **state)
{
    (void)state;
    struct oms_channel_rule rule = {.set = OMS_RULE_CAP,
                                    .cap_qty = 10,
                                    .cap_period = OMS_PERIOD_MONTH,
                                    .sold_period = ymd(2030, 1, 1),
                                    .sold = 12};
    assert_int_equal(oms_rule_sold(&rule, ymd(2030, 1, 31)), 12);
    assert_int_equal(oms_rule_cap_left(&rule, ymd(2030, 1, 31)), 0); /* Never negative. */
    assert_int_equal(oms_rule_cap_left(&rule, ymd(2030, 2, 1)), 10);
    rule.set = OMS_RULE_FLOOR;
    assert_int_equal(oms_rule_cap_left(&rule, ymd(2030, 1, 31)), OMS_QTY_MAX);
    assert_int_equal(oms_rule_cap_left(NULL, ymd(2030, 1, 31)), OMS_QTY_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channel__periods_are_local_days_iso_weeks_and_calendar_months),
        cmocka_unit_test(test_channel__a_percent_buffer_is_rounded_down_and_the_larger_buffer_counts),
        cmocka_unit_test(test_channel__percent_of_availability_b35),
        cmocka_unit_test(test_channel__excluded_stores_and_short_locations_count_zero_b33),
        cmocka_unit_test(test_channel__a_floor_holds_only_what_the_other_channel_cannot_find_elsewhere),
        cmocka_unit_test(test_channel__availability_subtracts_buffer_and_floors_then_caps),
        cmocka_unit_test(test_channel__an_item_rule_overrides_the_channels_buffer_and_others_floors_apply),
        cmocka_unit_test(test_channel__a_cap_counts_only_its_current_period),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
