/*
 * log.h - one logfmt line per event on stderr: ts=... level=... msg="...". The level is
 * checked before the arguments are evaluated. The core never logs.
 */
#ifndef OMS_LOG_H
#define OMS_LOG_H

#include "base/platform.h"

enum oms_log_level { OMS_LOG_DEBUG, OMS_LOG_INFO, OMS_LOG_WARN, OMS_LOG_ERROR };

extern enum oms_log_level oms_log_threshold; /* Set once at startup, before threads start. */

void oms_log_write(enum oms_log_level level, const char *fmt, ...) OMS_PRINTF(2, 3);

#define oms_log(level, ...)                                                                     \
    do {                                                                                        \
        if ((level) >= oms_log_threshold) oms_log_write((level), __VA_ARGS__);                  \
    } while (0)

#endif
