/*
 * test_engine_tz.c - a location's local day (engine/tz.h) from a calendar that has answered
 * before (and keeps the span of its last day) is ICU's answer for a calendar that has not:
 * across a year of instants visited forward with steps from a millisecond to half a day and
 * jumps back, and at every offset transition of the year (the instant before, at, after,
 * an hour either side), in zones with DST at 02:00, a fall-back across midnight
 * (America/Santiago: 24:00 -> 23:00, the same local day twice), half-hour offsets and DST
 * (Australia/Lord_Howe), no DST, and a skipped day (Pacific/Apia, 2011-12-30).
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "core/calendar.h"
#include "engine/tz.h"
#include "../test_random.h"

static const char *const zones[] = {"Europe/London", "America/Santiago", "Australia/Lord_Howe",
                                    "Asia/Kolkata", "UTC", "America/New_York",
                                    "Pacific/Apia", "Pacific/Chatham"};

/* ICU's day for ms, from a calendar with no history. */
static oms_day fresh_day(const char *zone, int64_t ms)
{
    struct oms_tz *tz = oms_tz_open(zone);
    assert_non_null(tz);
    oms_day day = oms_tz_day(tz, ms);
    oms_tz_close(tz);
    return day;
}

static int64_t ms_of(int32_t y, int32_t m, int32_t d) { return (int64_t)oms_day_from_ymd(y, m, d) * 86400000; }

static void check(struct oms_tz *tz, const char *zone, int64_t ms, uint32_t *checked)
{
    oms_day want = fresh_day(zone, ms);
    oms_day got = oms_tz_day(tz, ms);
    if (got != want) fail_msg("%s at %lld: day %d, ICU says %d", zone, (long long)ms, got, want);
    (*checked)++;
}

/* The zone's offset transitions after `from`, up to `to`, through a plain ICU calendar. */
static uint32_t transitions(const char *zone, int64_t from, int64_t to, int64_t *out, uint32_t cap)
{
    UChar id[64];
    UErrorCode status = U_ZERO_ERROR;
    u_strFromUTF8(id, 64, NULL, zone, -1, &status);
    UCalendar *cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &status);
    assert_true(U_SUCCESS(status));
    uint32_t n = 0;
    int64_t at = from;
    while (n < cap) {
        ucal_setMillis(cal, (UDate)at, &status);
        UDate next = 0;
        if (!ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &next, &status)) break;
        if (next > (UDate)to) break;
        out[n++] = (int64_t)next;
        at = (int64_t)next;
    }
    ucal_close(cal);
    return n;
}

static void test_walk_matches_icu(void **unused)
{
    (void)unused;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        struct oms_tz *tz = oms_tz_open(zones[z]);
        assert_non_null(tz);
        uint32_t checked = 0;
        int64_t ms = ms_of(2024, 1, 1) - 3 * 86400000LL, end = ms_of(2025, 1, 1);
        while (ms < end) {
            check(tz, zones[z], ms, &checked);
            uint64_t r = next_random(&seed);
            if (r % 10 == 0) {
                ms -= (int64_t)(r >> 8) % (2 * 86400000LL); /* An older order's instant. */
            } else if (r % 10 < 4) {
                ms += 1 + (int64_t)(r >> 8) % 60000; /* Orders close together. */
            } else {
                ms += 1 + (int64_t)(r >> 8) % (12 * 3600000LL);
            }
        }
        assert_true(checked > 1000);
        oms_tz_close(tz);
    }
}

static void test_transitions_match_icu(void **unused)
{
    (void)unused;
    uint32_t total = 0;
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        int64_t found[64];
        uint32_t n = transitions(zones[z], ms_of(2011, 1, 1), ms_of(2025, 1, 1), found, 64);
        struct oms_tz *tz = oms_tz_open(zones[z]);
        assert_non_null(tz);
        uint32_t checked = 0;
        for (uint32_t i = 0; i < n; i++) {
            int64_t t = found[i];
            const int64_t around[] = {t - 3600000, t - 1, t, t + 1, t + 3600000, t + 7200000};
            for (size_t k = 0; k < sizeof around / sizeof *around; k++) {
                check(tz, zones[z], around[k], &checked);
            }
            /* Every hour of the two local days around it, asked in order. */
            for (int64_t ms = t - 86400000; ms < t + 86400000; ms += 1800000) {
                check(tz, zones[z], ms, &checked);
            }
        }
        total += n;
        oms_tz_close(tz);
    }
    assert_true(total > 40); /* DST zones changed offset twice a year. */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_matches_icu),
        cmocka_unit_test(test_transitions_match_icu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
