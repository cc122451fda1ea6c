/*
 * tz.c - ICU calendars for location time zones: instant -> local civil day.
 *
 * Each calendar remembers the last day it computed and the instants [from_ms, until_ms) known
 * to share it: from the instant asked up to the zone's next offset transition or the local
 * midnight under the current offset, whichever comes first. Inside that span the offset is
 * constant, so local time only moves forward and stays within the day: the answer is the one
 * ICU would give, without ICU (1,800 instructions a call; the writer asks at least twice per
 * order).
 */
#include "base/platform.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "base/assert.h"
#include "core/calendar.h"
#include "engine/tz.h"

struct oms_tz {
    UCalendar *cal;
    int64_t from_ms, until_ms; /* Instants known to fall on local day `day`; empty if from > until. */
    oms_day day;
};

enum { DAY_MS = 86400000 };

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool to_uchars(const char *zone, UChar *out, int32_t cap)
{
    UErrorCode status = U_ZERO_ERROR;
    int32_t len = 0;
    u_strFromUTF8(out, cap, &len, zone, -1, &status);
    return U_SUCCESS(status) && len < cap;
}

bool oms_tz_valid(const char *zone)
{
    UChar id[128], canonical[128];
    if (!zone[0] || !to_uchars(zone, id, 128)) return false;
    UErrorCode status = U_ZERO_ERROR;
    UBool system = false;
    ucal_getCanonicalTimeZoneID(id, -1, canonical, 128, &system, &status);
    return U_SUCCESS(status) && system;
}

struct oms_tz *oms_tz_open(const char *zone)
{
    UChar id[128];
    if (!to_uchars(zone, id, 128)) return NULL;
    UErrorCode status = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &status);
    if (U_FAILURE(status)) return NULL;
    struct oms_tz *tz = malloc(sizeof *tz);
    OMS_ASSERT(tz != NULL);
    tz->cal = cal;
    tz->from_ms = 1;
    tz->until_ms = 0;
    tz->day = OMS_DAY_NONE;
    return tz;
}

void oms_tz_close(struct oms_tz *tz)
{
    if (!tz) return;
    ucal_close(tz->cal);
    free(tz);
}

/* Records [ms, until) as day's span when ICU's fields agree with plain arithmetic on the
 * offset at ms (always, for the proleptic Gregorian days oms uses); otherwise caches nothing. */
static void remember(struct oms_tz *tz, int64_t ms, oms_day day)
{
    tz->from_ms = 1;
    tz->until_ms = 0;
    UErrorCode status = U_ZERO_ERROR;
    int64_t offset = (int64_t)ucal_get(tz->cal, UCAL_ZONE_OFFSET, &status) +
                     ucal_get(tz->cal, UCAL_DST_OFFSET, &status);
    if (U_FAILURE(status) || ms > INT64_MAX / 2 || ms < INT64_MIN / 2) return;
    if (floor_div(ms + offset, DAY_MS) != day) return;
    int64_t until = ((int64_t)day + 1) * DAY_MS - offset; /* Local midnight at this offset. */
    UDate next = 0;
    if (ucal_getTimeZoneTransitionDate(tz->cal, UCAL_TZ_TRANSITION_NEXT, &next, &status) &&
        U_SUCCESS(status) && next < (double)until) {
        int64_t at = (int64_t)next; /* Rounded down: the offset changes at next, not after. */
        if ((double)at > next) at--;
        until = at;
    }
    if (U_FAILURE(status)) return;
    tz->from_ms = ms;
    tz->until_ms = until;
    tz->day = day;
}

oms_day oms_tz_day(struct oms_tz *tz, int64_t ms)
{
    if (ms >= tz->from_ms && ms < tz->until_ms) return tz->day;
    UErrorCode status = U_ZERO_ERROR;
    ucal_setMillis(tz->cal, (UDate)ms, &status);
    int32_t year = ucal_get(tz->cal, UCAL_YEAR, &status);
    int32_t month = ucal_get(tz->cal, UCAL_MONTH, &status) + 1;
    int32_t mday = ucal_get(tz->cal, UCAL_DATE, &status);
    int32_t era = ucal_get(tz->cal, UCAL_ERA, &status);
    OMS_ASSERT(U_SUCCESS(status));
    OMS_ASSERT(era == 1); /* The engine clock is validated to be after year 1. */
    oms_day day = oms_day_from_ymd(year, month, mday);
    remember(tz, ms, day);
    return day;
}

int64_t oms_tz_day_start_ms(struct oms_tz *tz, oms_day day)
{
    int32_t year, month, mday;
    oms_day_to_ymd(day, &year, &month, &mday);
    UErrorCode status = U_ZERO_ERROR;
    ucal_clear(tz->cal);
    ucal_setDateTime(tz->cal, year, month - 1, mday, 0, 0, 0, &status);
    ucal_set(tz->cal, UCAL_MILLISECOND, 0);
    UDate ms = ucal_getMillis(tz->cal, &status);
    OMS_ASSERT(U_SUCCESS(status));
    return (int64_t)ms;
}
