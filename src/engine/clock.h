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

int64_t oms_now_ms(void);
/* Accepts "YYYY-MM-DDTHH:MM:SS[.fff...]" then "Z" or "+HH:MM"/"-HH:MM"; false otherwise. */
bool oms_rfc3339_parse(const char *text, int64_t *ms);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (milliseconds only when non-zero). */
void oms_rfc3339_format(int64_t ms, char out[OMS_RFC3339_LEN]);

#endif
