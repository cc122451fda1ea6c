/*
 * clock.c - RFC 3339 instants in UTC; calendar arithmetic comes from the core's calendar.
 */
#include "base/platform.h"

#include <stdio.h>
#include <time.h>

#include "engine/clock.h"
#include "core/calendar.h"

int64_t oms_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static bool take_digits(const char **p, int count, int32_t *out)
{
    int32_t value = 0;
    for (int i = 0; i < count; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    *p += count;
    *out = value;
    return true;
}

static bool take_char(const char **p, char c)
{
    if (**p != c) return false;
    (*p)++;
    return true;
}

bool oms_instant_parse(const char *name, const char *text, int64_t *ms, char *why,
                       size_t why_len)
{
    int64_t parsed;
    if (!oms_rfc3339_parse(text, &parsed)) {
        snprintf(why, why_len, "%s must be an RFC 3339 instant like 2010-12-01T08:26:00Z", name);
        return false;
    }
    if (parsed < OMS_INSTANT_MIN_MS || parsed > OMS_INSTANT_MAX_MS) {
        char lo[OMS_RFC3339_LEN], hi[OMS_RFC3339_LEN];
        oms_rfc3339_format(OMS_INSTANT_MIN_MS, lo);
        oms_rfc3339_format(OMS_INSTANT_MAX_MS, hi);
        snprintf(why, why_len, "%s must be an instant from %s to %s", name, lo, hi);
        return false;
    }
    *ms = parsed;
    return true;
}

bool oms_date_parse(const char *name, const char *text, int32_t *day, char *why, size_t why_len)
{
    oms_day parsed;
    if (!oms_day_parse(text, &parsed)) {
        snprintf(why, why_len, "%s must be a date YYYY-MM-DD like 2010-12-01", name);
        return false;
    }
    if (parsed < OMS_DATE_MIN_DAY || parsed > OMS_DATE_MAX_DAY) {
        char lo[11], hi[11];
        oms_day_format(OMS_DATE_MIN_DAY, lo);
        oms_day_format(OMS_DATE_MAX_DAY, hi);
        snprintf(why, why_len, "%s must be a date from %s to %s", name, lo, hi);
        return false;
    }
    *day = parsed;
    return true;
}

bool oms_rfc3339_parse(const char *text, int64_t *ms)
{
    const char *p = text;
    int32_t year, month, mday, hour, minute, second, millis = 0;
    if (!take_digits(&p, 4, &year) || !take_char(&p, '-') || !take_digits(&p, 2, &month) ||
        !take_char(&p, '-') || !take_digits(&p, 2, &mday)) {
        return false;
    }
    if (*p != 'T' && *p != 't') return false;
    p++;
    if (!take_digits(&p, 2, &hour) || !take_char(&p, ':') || !take_digits(&p, 2, &minute) ||
        !take_char(&p, ':') || !take_digits(&p, 2, &second)) {
        return false;
    }
    if (*p == '.') {
        p++;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (digits < 3) millis = millis * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (digits == 0) return false;
        for (; digits < 3; digits++) millis *= 10;
    }
    int32_t offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int32_t oh, om;
        p++;
        if (!take_digits(&p, 2, &oh) || !take_char(&p, ':') || !take_digits(&p, 2, &om)) {
            return false;
        }
        if (oh > 23 || om > 59) return false;
        offset_min = sign * (oh * 60 + om);
    } else {
        return false;
    }
    if (*p != '\0') return false;
    if (!oms_ymd_valid(year, month, mday) || hour > 23 || minute > 59 || second > 60) {
        return false;
    }
    int64_t day = oms_day_from_ymd(year, month, mday);
    int64_t seconds = day * 86400 + hour * 3600 + minute * 60 + (second == 60 ? 59 : second);
    *ms = (seconds - (int64_t)offset_min * 60) * 1000 + millis;
    return true;
}

void oms_rfc3339_format(int64_t ms, char out[OMS_RFC3339_LEN])
{
    int64_t day = ms >= 0 ? ms / OMS_MS_PER_DAY : -((-ms + OMS_MS_PER_DAY - 1) / OMS_MS_PER_DAY);
    int64_t rest = ms - day * OMS_MS_PER_DAY;
    int32_t year, month, mday;
    oms_day_to_ymd((oms_day)day, &year, &month, &mday);
    int hour = (int)(rest / 3600000), minute = (int)(rest / 60000 % 60);
    int second = (int)(rest / 1000 % 60), millis = (int)(rest % 1000);
    if (year >= 0 && year <= 9999) { /* The common case by hand: snprintf cost 3,000. */
        int parts[] = {year / 100, year % 100, month, mday, hour, minute, second};
        static const char before[] = {0, 0, '-', '-', 'T', ':', ':'}; /* YYYY-MM-DDThh:mm:ss */
        char *p = out;
        for (int i = 0; i < 7; i++) {
            if (before[i]) *p++ = before[i];
            *p++ = (char)('0' + parts[i] / 10);
            *p++ = (char)('0' + parts[i] % 10);
        }
        if (millis) {
            *p++ = '.';
            *p++ = (char)('0' + millis / 100);
            *p++ = (char)('0' + millis / 10 % 10);
            *p++ = (char)('0' + millis % 10);
        }
        *p++ = 'Z';
        *p = '\0';
    } else if (millis) {
        snprintf(out, OMS_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month, mday,
                 hour, minute, second, millis);
    } else {
        snprintf(out, OMS_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, mday, hour,
                 minute, second);
    }
}
