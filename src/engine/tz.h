/*
 * tz.h - local calendar days of locations, through ICU (glibc has no thread-safe per-zone
 * conversion). Only the writer thread uses these calendars.
 */
#ifndef OMS_ENGINE_TZ_H
#define OMS_ENGINE_TZ_H

#include "base/platform.h"
#include "core/types.h"

struct oms_tz;

/* True when ICU knows the zone as a system zone ("Europe/London", "UTC"). */
bool oms_tz_valid(const char *zone);
/* A calendar for the zone; NULL if ICU cannot open it. */
struct oms_tz *oms_tz_open(const char *zone);
void oms_tz_close(struct oms_tz *tz); /* NULL is a no-op. */
/* The local calendar day at instant ms. */
oms_day oms_tz_day(struct oms_tz *tz, int64_t ms);
/* The first instant of local day `day` (its midnight, or the first instant after a gap). */
int64_t oms_tz_day_start_ms(struct oms_tz *tz, oms_day day);

#endif
