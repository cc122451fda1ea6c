/*
 * calendar.h - civil day arithmetic: day numbers <-> Y-M-D, weekdays, and adding working days.
 * Pure: the caller converts instants to local days (time zones live outside the core).
 * Working days are a 7-bit mask, bit 0 = Monday .. bit 6 = Sunday; a mask of 0 is invalid.
 */
#ifndef OMS_CORE_CALENDAR_H
#define OMS_CORE_CALENDAR_H

#include "core/types.h"

#define OMS_WORKING_DAYS_MON_FRI 0x1Fu

/* Day number of a proleptic Gregorian date; the caller checks ranges first (oms_ymd_valid). */
oms_day oms_day_from_ymd(int32_t year, int32_t month, int32_t day);
void oms_day_to_ymd(oms_day day, int32_t *year, int32_t *month, int32_t *mday);
bool oms_ymd_valid(int32_t year, int32_t month, int32_t day);

/* 0 = Monday .. 6 = Sunday. */
int32_t oms_day_weekday(oms_day day);

/* Parses exactly "YYYY-MM-DD"; false on anything else (no partial parse). */
bool oms_day_parse(const char *text, oms_day *out);
/* Writes "YYYY-MM-DD" and a NUL into out (at least 11 bytes). */
void oms_day_format(oms_day day, char out[11]);

/* The day `count` working days after `day` (count >= 0). With count 0 the result is `day`
 * itself when it is a working day, else the next working day: goods picked on a day the
 * location is closed leave on its next working day. working_mask must be non-zero. */
oms_day oms_day_add_working(oms_day day, int32_t count, uint32_t working_mask);

#endif
