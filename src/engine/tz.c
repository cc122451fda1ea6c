/*
 * tz.c - ICU calendars for location time zones: instant -> local civil day.
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
};

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
    return tz;
}

void oms_tz_close(struct oms_tz *tz)
{
    if (!tz) return;
    ucal_close(tz->cal);
    free(tz);
}

oms_day oms_tz_day(struct oms_tz *tz, int64_t ms)
{
    UErrorCode status = U_ZERO_ERROR;
    ucal_setMillis(tz->cal, (UDate)ms, &status);
    int32_t year = ucal_get(tz->cal, UCAL_YEAR, &status);
    int32_t month = ucal_get(tz->cal, UCAL_MONTH, &status) + 1;
    int32_t mday = ucal_get(tz->cal, UCAL_DATE, &status);
    int32_t era = ucal_get(tz->cal, UCAL_ERA, &status);
    OMS_ASSERT(U_SUCCESS(status));
    OMS_ASSERT(era == 1); /* The engine clock is validated to be after year 1. */
    return oms_day_from_ymd(year, month, mday);
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
