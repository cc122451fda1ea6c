/*
 * clock.h - instants as int64 milliseconds since the Unix epoch, UTC, and their RFC 3339
 * text form ("2010-12-01T08:26:00Z"). The wall clock is read only here and only by the shell
 * (engine, CLI); the core gets instants as arguments.
 */
#ifndef OMS_ENGINE_CLOCK_H
#define OMS_ENGINE_CLOCK_H

#include "base/platform.h"

#define OMS_MS_PER_DAY 86400000LL
#define OMS_RFC3339_LEN 32 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" plus NUL, with room. */

/* Instants taken from outside (a request's at, as_of, expires_at; --as-of): from 2000-01-01,
 * because no stock this engine serves was counted or sold before then, and a year like 1900 or
 * 1970 is a typo or a zero value, not history (decisions.md 53; at_ms 0 still means "now",
 * and every zone's local day stays well after day 0); up to 9000-01-01, because dates are
 * taken up to 9000-12-31 and adding lead times and handling days to them must stay inside the
 * calendar. */
#define OMS_INSTANT_MIN_MS (10957LL * OMS_MS_PER_DAY)   /* 2000-01-01T00:00:00Z */
#define OMS_INSTANT_MAX_MS (2567655LL * OMS_MS_PER_DAY) /* 9000-01-01T00:00:00Z */
/* Dates taken from outside (expected_date, release_date, latest_date, over HTTP and in CSV
 * files): the days of the same years, 2000-01-01 to 9000-12-31 (day numbers as core/calendar
 * counts them; test_calendar checks both). */
#define OMS_DATE_MIN_DAY 10957   /* 2000-01-01 */
#define OMS_DATE_MAX_DAY 2568019 /* 9000-12-31 */

int64_t oms_now_ms(void);
/* Parses an instant from outside: true with *ms set when it is RFC 3339 and in the range
 * above. Else false, with `why` a sentence naming `name` for the caller's error: the form when
 * the text is no instant, the range when it is one outside it. */
bool oms_instant_parse(const char *name, const char *text, int64_t *ms, char *why,
                       size_t why_len);
/* Parses a date from outside, as oms_instant_parse: true with *day set when it is YYYY-MM-DD
 * and from OMS_DATE_MIN_DAY to OMS_DATE_MAX_DAY; else false with `why` naming `name` and
 * giving the form or the range. */
bool oms_date_parse(const char *name, const char *text, int32_t *day, char *why, size_t why_len);
/* Accepts "YYYY-MM-DDTHH:MM:SS[.fff...]" then "Z" or "+HH:MM"/"-HH:MM"; false otherwise. */
bool oms_rfc3339_parse(const char *text, int64_t *ms);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (milliseconds only when non-zero). */
void oms_rfc3339_format(int64_t ms, char out[OMS_RFC3339_LEN]);

#endif
