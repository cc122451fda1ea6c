/*
 * calendar.c - civil day numbers (Howard Hinnant's days_from_civil / civil_from_days, exact
 * for the proleptic Gregorian calendar) and working-day arithmetic. Pure.
 */
#include "base/platform.h"

#include "base/assert.h"
#include "core/calendar.h"

static bool is_leap(int32_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int32_t days_in_month(int32_t year, int32_t month)
{
    static const int32_t days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

bool oms_ymd_valid(int32_t year, int32_t month, int32_t day)
{
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
    return day <= days_in_month(year, month);
}

oms_day oms_day_from_ymd(int32_t year, int32_t month, int32_t day)
{
    OMS_ASSERT(oms_ymd_valid(year, month, day));
    int32_t y = month <= 2 ? year - 1 : year;
    int32_t era = (y >= 0 ? y : y - 399) / 400;
    int32_t yoe = y - era * 400;
    int32_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void oms_day_to_ymd(oms_day day, int32_t *year, int32_t *month, int32_t *mday)
{
    int32_t z = day + 719468;
    int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    int32_t doe = z - era * 146097;
    int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int32_t mp = (5 * doy + 2) / 153;
    *mday = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (*month <= 2 ? 1 : 0);
}

int32_t oms_day_weekday(oms_day day)
{
    /* Day 0 (1970-01-01) was a Thursday, weekday 3. */
    int32_t weekday = (day + 3) % 7;
    return weekday < 0 ? weekday + 7 : weekday;
}

static bool digits(const char *text, int count, int32_t *out)
{
    int32_t value = 0;
    for (int i = 0; i < count; i++) {
        if (text[i] < '0' || text[i] > '9') return false;
        value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return true;
}

bool oms_day_parse(const char *text, oms_day *out)
{
    int32_t year, month, mday;
    if (!digits(text, 4, &year) || text[4] != '-' || !digits(text + 5, 2, &month) ||
        text[7] != '-' || !digits(text + 8, 2, &mday) || text[10] != '\0') {
        return false;
    }
    if (!oms_ymd_valid(year, month, mday)) return false;
    *out = oms_day_from_ymd(year, month, mday);
    return true;
}

void oms_day_format(oms_day day, char out[11])
{
    int32_t year, month, mday;
    oms_day_to_ymd(day, &year, &month, &mday);
    OMS_ASSERT(year >= 0 && year <= 9999);
    out[0] = (char)('0' + year / 1000);
    out[1] = (char)('0' + year / 100 % 10);
    out[2] = (char)('0' + year / 10 % 10);
    out[3] = (char)('0' + year % 10);
    out[4] = '-';
    out[5] = (char)('0' + month / 10);
    out[6] = (char)('0' + month % 10);
    out[7] = '-';
    out[8] = (char)('0' + mday / 10);
    out[9] = (char)('0' + mday % 10);
    out[10] = '\0';
}

static bool is_working(oms_day day, uint32_t working_mask)
{
    return (working_mask >> oms_day_weekday(day)) & 1u;
}

oms_day oms_day_add_working(oms_day day, int32_t count, uint32_t working_mask)
{
    OMS_ASSERT((working_mask & 0x7Fu) != 0);
    OMS_ASSERT(count >= 0);
    while (!is_working(day, working_mask)) day++;
    /* Whole weeks first, so long handling times cost O(1) per week. */
    int32_t per_week = __builtin_popcount(working_mask & 0x7Fu);
    day += (count / per_week) * 7;
    count %= per_week;
    while (count > 0) {
        day++;
        if (is_working(day, working_mask)) count--;
    }
    return day;
}
