/*
 * test_calendar.c - civil day arithmetic (core/calendar.h): day numbers and Y-M-D agree in both
 * directions, weekdays match real calendars, "YYYY-MM-DD" is parsed strictly, and working days
 * are added the way a warehouse counts them (scenario B52), checked against a day-by-day loop.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/calendar.h"
#include "../test_random.h"

#define MASK_MON_SAT 0x3Fu
#define PROPERTY_CASES 20000

static oms_day day_of(const char *text)
{
    oms_day day = 0;
    assert_true(oms_day_parse(text, &day));
    return day;
}

/* The obvious version: step one calendar day at a time and count the working ones. */
static oms_day reference_add_working(oms_day day, int32_t count, uint32_t mask)
{
    while (!((mask >> oms_day_weekday(day)) & 1u)) day++;
    while (count > 0) {
        day++;
        if ((mask >> oms_day_weekday(day)) & 1u) count--;
    }
    return day;
}

static void test_calendar__day_numbers_and_dates_round_trip_every_day_1900_to_2100(void **state)
{
    (void)state;
    oms_day first = oms_day_from_ymd(1900, 1, 1);
    oms_day last = oms_day_from_ymd(2100, 12, 31);
    assert_int_equal(first, -25567);
    assert_int_equal(last, 47846);

    int32_t year = 1900, month = 1, mday = 1; /* Walked forward by hand, independently. */
    for (oms_day day = first; day <= last; day++) {
        int32_t y = 0, m = 0, d = 0;
        oms_day_to_ymd(day, &y, &m, &d);
        assert_int_equal(y, year);
        assert_int_equal(m, month);
        assert_int_equal(d, mday);
        assert_true(oms_ymd_valid(y, m, d));
        assert_int_equal(oms_day_from_ymd(y, m, d), day);

        char text[11];
        oms_day_format(day, text);
        oms_day parsed = 0;
        assert_true(oms_day_parse(text, &parsed));
        assert_int_equal(parsed, day);

        if (oms_ymd_valid(year, month, mday + 1)) {
            mday++;
        } else if (month < 12) {
            month++;
            mday = 1;
        } else {
            year++;
            month = 1;
            mday = 1;
        }
    }
}

static void test_calendar__epoch_and_leap_days_have_the_right_numbers(void **state)
{
    (void)state;
    assert_int_equal(oms_day_from_ymd(1970, 1, 1), 0);
    assert_int_equal(oms_day_from_ymd(2000, 2, 29), 11016);
    assert_true(oms_ymd_valid(2000, 2, 29));  /* Divisible by 400: leap. */
    assert_false(oms_ymd_valid(1900, 2, 29)); /* Divisible by 100 only: not leap. */
    assert_false(oms_ymd_valid(2100, 2, 29));
    assert_true(oms_ymd_valid(2024, 2, 29));
    assert_false(oms_ymd_valid(2026, 2, 29));
    assert_false(oms_ymd_valid(2026, 4, 31));
    assert_false(oms_ymd_valid(2026, 13, 1));
    assert_false(oms_ymd_valid(2026, 0, 1));
    assert_false(oms_ymd_valid(2026, 1, 0));
}

static void test_calendar__weekdays_of_known_dates(void **state)
{
    (void)state;
    assert_int_equal(oms_day_weekday(day_of("2010-12-01")), 2); /* Wednesday. */
    assert_int_equal(oms_day_weekday(day_of("2026-08-26")), 2); /* Wednesday. */
    assert_int_equal(oms_day_weekday(day_of("1970-01-01")), 3); /* Thursday. */
    assert_int_equal(oms_day_weekday(day_of("1900-01-01")), 0); /* Monday, before day 0. */
    assert_int_equal(oms_day_weekday(day_of("2100-12-31")), 4); /* Friday. */
    assert_int_equal(oms_day_weekday(day_of("2026-08-29")), 5); /* Saturday. */
    assert_int_equal(oms_day_weekday(day_of("2026-08-30")), 6); /* Sunday. */
}

static void test_calendar__weekdays_advance_by_one_each_day(void **state)
{
    (void)state;
    for (oms_day day = -30000; day < 50000; day++) {
        int32_t weekday = oms_day_weekday(day);
        assert_in_range(weekday, 0, 6);
        assert_int_equal(oms_day_weekday(day + 1), (weekday + 1) % 7);
    }
}

static void test_calendar__parse_reads_exactly_one_iso_date(void **state)
{
    (void)state;
    oms_day day = 0;
    assert_true(oms_day_parse("2010-12-01", &day));
    assert_int_equal(day, 14944);
    assert_true(oms_day_parse("2026-08-26", &day));
    assert_int_equal(day, 20691);
}

static void test_calendar__parse_rejects_anything_but_yyyy_mm_dd(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",            "2010-2-01",   "2010-02-1",   "10-02-01",    "2010-02-30",
        "2010-13-01",  "2010-00-10",  "2010-01-00",  "0000-01-01",  "2010-02-01x",
        "2010-02-01 ", " 2010-02-01", "2010/02/01",  "2010-02-01T00:00:00Z", "20100201",
        "2010-02-",    "2010",        "+010-02-01",  "2010--2-01",  "2010-0a-01",
        "2011-02-29",  "1900-02-29",  "2010-04-31",  "-2010-02-01", "2010-02-01\n",
    };
    for (size_t i = 0; i < OMS_ARRAY_LEN(bad); i++) {
        oms_day day = 12345;
        if (oms_day_parse(bad[i], &day)) fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(day, 12345); /* No partial write on failure. */
    }
}

static void test_calendar__format_writes_zero_padded_iso_dates(void **state)
{
    (void)state;
    char text[11];
    oms_day_format(oms_day_from_ymd(2026, 8, 28), text);
    assert_string_equal(text, "2026-08-28");
    oms_day_format(oms_day_from_ymd(1, 1, 1), text);
    assert_string_equal(text, "0001-01-01");
    oms_day_format(oms_day_from_ymd(9999, 12, 31), text);
    assert_string_equal(text, "9999-12-31");
    assert_int_equal(oms_day_from_ymd(9999, 12, 31), OMS_DAY_MAX);
}

static void test_calendar__two_working_days_from_wednesday_is_friday_b52(void **state)
{
    (void)state;
    /* B52: handling 2 business days from Wed 2026-08-26 gives Fri 2026-08-28, not a Saturday. */
    oms_day promise = oms_day_add_working(day_of("2026-08-26"), 2, OMS_WORKING_DAYS_MON_FRI);
    assert_int_equal(promise, day_of("2026-08-28"));
    /* Three working days from Wednesday skips the weekend. */
    assert_int_equal(oms_day_add_working(day_of("2026-08-26"), 3, OMS_WORKING_DAYS_MON_FRI),
                     day_of("2026-08-31"));
    /* B52's PO: 5 business days from Fri 2026-09-04 is Fri 2026-09-11. */
    assert_int_equal(oms_day_add_working(day_of("2026-09-04"), 5, OMS_WORKING_DAYS_MON_FRI),
                     day_of("2026-09-11"));
}

static void test_calendar__zero_working_days_on_a_working_day_is_that_day(void **state)
{
    (void)state;
    assert_int_equal(oms_day_add_working(day_of("2026-08-26"), 0, OMS_WORKING_DAYS_MON_FRI),
                     day_of("2026-08-26"));
}

static void test_calendar__a_closed_day_counts_from_the_next_working_day(void **state)
{
    (void)state;
    oms_day saturday = day_of("2026-08-29");
    oms_day sunday = day_of("2026-08-30");
    assert_int_equal(oms_day_add_working(saturday, 0, OMS_WORKING_DAYS_MON_FRI),
                     day_of("2026-08-31")); /* Monday. */
    assert_int_equal(oms_day_add_working(saturday, 1, OMS_WORKING_DAYS_MON_FRI),
                     day_of("2026-09-01")); /* Tuesday. */
    assert_int_equal(oms_day_add_working(sunday, 0, OMS_WORKING_DAYS_MON_FRI),
                     day_of("2026-08-31"));
    assert_int_equal(oms_day_add_working(sunday, 5, OMS_WORKING_DAYS_MON_FRI),
                     day_of("2026-09-07"));
}

static void test_calendar__custom_masks_count_only_their_days(void **state)
{
    (void)state;
    oms_day wednesday = day_of("2026-08-26");
    /* Monday to Saturday: Saturday is a working day, Sunday is not. */
    assert_int_equal(oms_day_add_working(wednesday, 3, MASK_MON_SAT), day_of("2026-08-29"));
    assert_int_equal(oms_day_add_working(wednesday, 4, MASK_MON_SAT), day_of("2026-08-31"));
    assert_int_equal(oms_day_add_working(day_of("2026-08-30"), 0, MASK_MON_SAT),
                     day_of("2026-08-31"));
    /* Every day works: working days are calendar days. */
    assert_int_equal(oms_day_add_working(wednesday, 10, 0x7Fu), wednesday + 10);
    /* Sundays only. */
    assert_int_equal(oms_day_add_working(wednesday, 0, 0x40u), day_of("2026-08-30"));
    assert_int_equal(oms_day_add_working(wednesday, 2, 0x40u), day_of("2026-09-13"));
    /* Mondays only, starting on a Monday. */
    assert_int_equal(oms_day_add_working(day_of("2026-08-31"), 1, 0x01u), day_of("2026-09-07"));
}

static void test_calendar__add_working_matches_a_day_by_day_count(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < PROPERTY_CASES; i++) {
        oms_day start = (oms_day)pick(&seed, 80000) - 30000;
        int32_t count = (int32_t)pick(&seed, i % 10 == 0 ? 3000u : 40u);
        uint32_t mask = 1u + pick(&seed, 0x7Fu); /* Any non-zero 7-bit mask. */
        oms_day fast = oms_day_add_working(start, count, mask);
        oms_day slow = reference_add_working(start, count, mask);
        if (fast != slow) {
            fail_msg("start %d count %d mask 0x%x: got %d, want %d", (int)start, (int)count,
                     (unsigned)mask, (int)fast, (int)slow);
        }
        assert_true((mask >> oms_day_weekday(fast)) & 1u); /* Always lands on a working day. */
        assert_true(fast >= start);
    }
}

static void test_calendar__ymd_round_trips_at_random_over_the_whole_range(void **state)
{
    (void)state;
    uint64_t seed = 0xD1B54A32D192ED03u;
    oms_day first = oms_day_from_ymd(1, 1, 1);
    for (int i = 0; i < PROPERTY_CASES; i++) {
        oms_day day = first + (oms_day)pick(&seed, (uint32_t)(OMS_DAY_MAX - first + 1));
        int32_t y = 0, m = 0, d = 0;
        oms_day_to_ymd(day, &y, &m, &d);
        assert_true(oms_ymd_valid(y, m, d));
        assert_int_equal(oms_day_from_ymd(y, m, d), day);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar__day_numbers_and_dates_round_trip_every_day_1900_to_2100),
        cmocka_unit_test(test_calendar__epoch_and_leap_days_have_the_right_numbers),
        cmocka_unit_test(test_calendar__weekdays_of_known_dates),
        cmocka_unit_test(test_calendar__weekdays_advance_by_one_each_day),
        cmocka_unit_test(test_calendar__parse_reads_exactly_one_iso_date),
        cmocka_unit_test(test_calendar__parse_rejects_anything_but_yyyy_mm_dd),
        cmocka_unit_test(test_calendar__format_writes_zero_padded_iso_dates),
        cmocka_unit_test(test_calendar__two_working_days_from_wednesday_is_friday_b52),
        cmocka_unit_test(test_calendar__zero_working_days_on_a_working_day_is_that_day),
        cmocka_unit_test(test_calendar__a_closed_day_counts_from_the_next_working_day),
        cmocka_unit_test(test_calendar__custom_masks_count_only_their_days),
        cmocka_unit_test(test_calendar__add_working_matches_a_day_by_day_count),
        cmocka_unit_test(test_calendar__ymd_round_trips_at_random_over_the_whole_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
