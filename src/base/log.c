/*
 * log.c - writes one logfmt line per call; a single fprintf per line so lines from threads
 * do not interleave.
 */
#include "base/platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "base/log.h"

enum oms_log_level oms_log_threshold = OMS_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void oms_log_write(enum oms_log_level level, const char *fmt, ...)
{
    char msg[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(msg, sizeof msg, fmt, args);
    va_end(args);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "ts=%s.%03ldZ level=%s msg=\"%s\"\n", ts, now.tv_nsec / 1000000L,
            level_names[level], msg);
}
