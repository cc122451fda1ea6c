/*
 * common.c - the helpers every subcommand shares (see common.h): opening the engine, the
 * window of asynchronous commands, synchronous reads of the model, the progress bar, row
 * errors, UK local time and money formatting.
 */
#include "base/platform.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/csv.h"
#include "base/utf8.h"
#include "cli/common.h"
#include "core/calendar.h"

struct oms_engine *cli_engine_open(const char *db_path)
{
    struct oms_engine_options options = {.db_path = db_path, .exclusive = true};
    struct oms_engine *engine = NULL;
    enum oms_err err = oms_engine_open(&options, &engine);
    if (err == OMS_ELOCKED) {
        fprintf(stderr, "oms: database '%s' is held by another oms process\n", db_path);
        return NULL;
    }
    if (err) {
        fprintf(stderr, "oms: cannot open database '%s': %s\n", db_path, oms_err_message(err));
        return NULL;
    }
    return engine;
}

void cli_error(struct cli_errors *errors, const char *fmt, ...)
{
    if (errors->count < CLI_ERRORS_SHOWN_MAX) {
        va_list args;
        va_start(args, fmt);
        fputs("oms: ", stderr);
        vfprintf(stderr, fmt, args);
        fputc('\n', stderr);
        va_end(args);
    }
    errors->count++;
}

void cli_errors_finish(const struct cli_errors *errors)
{
    if (errors->count > CLI_ERRORS_SHOWN_MAX) {
        fprintf(stderr, "oms: ... and %llu more errors\n",
                (unsigned long long)(errors->count - CLI_ERRORS_SHOWN_MAX));
    }
}

/* --- The window --- */

void cli_pipe_init(struct cli_pipe *pipe, struct oms_engine *engine, uint32_t window)
{
    memset(pipe, 0, sizeof *pipe);
    pipe->engine = engine;
    pipe->window = window > 0 && window < OMS_QUEUE_MAX ? window : CLI_WINDOW_DEFAULT;
    pthread_mutex_init(&pipe->lock, NULL);
    pthread_cond_init(&pipe->changed, NULL);
}

void cli_pipe_release(struct cli_pipe *pipe)
{
    for (size_t i = 0; i < CLI_ERRORS_SHOWN_MAX; i++) free(pipe->failures[i]);
    pthread_mutex_destroy(&pipe->lock);
    pthread_cond_destroy(&pipe->changed);
}

/* Waits for a completion, or 10 ms when none is in flight (the queue is busy with another
 * submitter's commands). Called with the lock held. */
static void wait_for_room(struct cli_pipe *pipe)
{
    if (pipe->in_flight > 0) {
        pthread_cond_wait(&pipe->changed, &pipe->lock);
        return;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 10 * 1000 * 1000;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    (void)pthread_cond_timedwait(&pipe->changed, &pipe->lock, &until);
}

bool cli_pipe_submit(struct cli_pipe *pipe, struct oms_command *cmd)
{
    pthread_mutex_lock(&pipe->lock);
    for (;;) {
        while (pipe->in_flight >= pipe->window) wait_for_room(pipe);
        pipe->in_flight++;
        pipe->submitted++;
        /* Submitting under the lock: a done callback (which takes it) cannot run before the
         * count above is in place. */
        enum oms_err err = oms_engine_submit(pipe->engine, cmd);
        if (err == OMS_OK) break;
        pipe->in_flight--;
        pipe->submitted--;
        if (err != OMS_EBUSY) {
            pthread_mutex_unlock(&pipe->lock);
            fprintf(stderr, "oms: cannot submit a command: %s\n", oms_err_message(err));
            return false;
        }
        wait_for_room(pipe);
    }
    pthread_mutex_unlock(&pipe->lock);
    return true;
}

void cli_pipe_done(struct cli_pipe *pipe, const char *what, const struct oms_command *cmd)
{
    char *message = NULL;
    if (cmd->err != OMS_OK) {
        char text[512];
        snprintf(text, sizeof text, "%s: %s%s%s%s", what,
                 cmd->err_message[0] ? cmd->err_message : oms_err_message(cmd->err),
                 cmd->err_field[0] ? " (field " : "", cmd->err_field,
                 cmd->err_field[0] ? ")" : "");
        message = cli_xstrdup(text);
    }
    pthread_mutex_lock(&pipe->lock);
    if (message && pipe->failed < CLI_ERRORS_SHOWN_MAX) {
        pipe->failures[pipe->failed] = message;
        message = NULL;
    }
    if (cmd->err != OMS_OK) pipe->failed++;
    pipe->in_flight--;
    pipe->completed++;
    pthread_cond_broadcast(&pipe->changed);
    pthread_mutex_unlock(&pipe->lock);
    free(message);
}

void cli_pipe_drain(struct cli_pipe *pipe)
{
    pthread_mutex_lock(&pipe->lock);
    while (pipe->in_flight > 0) pthread_cond_wait(&pipe->changed, &pipe->lock);
    pthread_mutex_unlock(&pipe->lock);
}

uint64_t cli_pipe_completed(struct cli_pipe *pipe)
{
    pthread_mutex_lock(&pipe->lock);
    uint64_t completed = pipe->completed;
    pthread_mutex_unlock(&pipe->lock);
    return completed;
}

void cli_pipe_print_failures(struct cli_pipe *pipe)
{
    pthread_mutex_lock(&pipe->lock);
    for (uint64_t i = 0; i < pipe->failed && i < CLI_ERRORS_SHOWN_MAX; i++) {
        fprintf(stderr, "oms: %s\n", pipe->failures[i]);
    }
    if (pipe->failed > CLI_ERRORS_SHOWN_MAX) {
        fprintf(stderr, "oms: ... and %llu more failed commands\n",
                (unsigned long long)(pipe->failed - CLI_ERRORS_SHOWN_MAX));
    }
    pthread_mutex_unlock(&pipe->lock);
}

/* --- Reads --- */

struct read_cmd {
    struct oms_command cmd; /* First: the encoder gets &cmd and finds the rest. */
    cli_read_fn *fn;
    void *ctx;
};

static char *read_encode(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    struct read_cmd *read = (struct read_cmd *)cmd;
    read->fn(read->ctx, state);
    *len = 0;
    return NULL;
}

enum oms_err cli_read(struct oms_engine *engine, cli_read_fn *fn, void *ctx)
{
    struct read_cmd read;
    memset(&read, 0, sizeof read);
    read.cmd.kind = OMS_CMD_READ;
    read.cmd.encode = read_encode;
    read.fn = fn;
    read.ctx = ctx;
    enum oms_err err = oms_engine_execute(engine, &read.cmd);
    oms_command_release(&read.cmd);
    return err;
}

/* --- Progress --- */

void cli_progress_init(struct cli_progress *progress, const char *label, uint64_t total)
{
    progress->on = isatty(STDERR_FILENO) == 1;
    progress->label = label;
    progress->total = total;
    progress->last_ms = 0;
}

void cli_progress_update(struct cli_progress *progress, uint64_t done)
{
    if (!progress->on) return;
    int64_t now = cli_monotonic_ms();
    if (now - progress->last_ms < 100 && done < progress->total) return;
    progress->last_ms = now;
    enum { WIDTH = 30 };
    uint64_t total = progress->total ? progress->total : 1;
    uint64_t shown = done > total ? total : done;
    size_t filled = (size_t)(shown * WIDTH / total);
    char bar[WIDTH + 1];
    memset(bar, '#', filled);
    memset(bar + filled, '-', WIDTH - filled);
    bar[WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %3u%% %llu/%llu", progress->label, bar,
            (unsigned)(shown * 100 / total), (unsigned long long)done,
            (unsigned long long)progress->total);
    fflush(stderr);
}

void cli_progress_end(struct cli_progress *progress)
{
    if (!progress->on) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* --- Time and numbers --- */

int64_t cli_monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* 01:00 UTC on the last Sunday of `month` (March or October) of `year`, in ms. */
static int64_t last_sunday_1am_utc(int32_t year, int32_t month)
{
    oms_day day = oms_day_from_ymd(year, month, 31); /* Both months have 31 days. */
    day -= (oms_day_weekday(day) + 1) % 7;           /* Weekday 6 is Sunday. */
    return (int64_t)day * 86400000LL + 3600000LL;
}

int64_t cli_london_to_utc_ms(int32_t year, int32_t month, int32_t day, int32_t hour,
                             int32_t minute)
{
    int64_t local = (int64_t)oms_day_from_ymd(year, month, day) * 86400000LL +
                    ((int64_t)hour * 60 + minute) * 60000LL;
    int64_t if_bst = local - 3600000LL;
    if (if_bst >= last_sunday_1am_utc(year, 3) && if_bst < last_sunday_1am_utc(year, 10)) {
        return if_bst;
    }
    return local;
}

static oms_day utc_day(int64_t ms)
{
    return (oms_day)(ms >= 0 ? ms / 86400000LL : (ms - 86399999LL) / 86400000LL);
}

oms_day cli_london_day(int64_t utc_ms)
{
    int32_t year, month, day;
    oms_day_to_ymd(utc_day(utc_ms), &year, &month, &day);
    bool bst = utc_ms >= last_sunday_1am_utc(year, 3) && utc_ms < last_sunday_1am_utc(year, 10);
    return utc_day(utc_ms + (bst ? 3600000LL : 0));
}

/* Reads 1..max_digits digits at *p into *out; advances p. */
static bool take_digits(const char **p, int max_digits, int32_t *out)
{
    int32_t value = 0;
    int n = 0;
    while (**p >= '0' && **p <= '9' && n < max_digits) {
        value = value * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    if (n == 0 || (**p >= '0' && **p <= '9')) return false;
    *out = value;
    return true;
}

bool cli_parse_uk_datetime(const char *text, int64_t *ms)
{
    const char *p = text;
    int32_t month, day, year, hour, minute;
    if (!take_digits(&p, 2, &month) || *p++ != '/') return false;
    if (!take_digits(&p, 2, &day) || *p++ != '/') return false;
    const char *year_start = p;
    if (!take_digits(&p, 4, &year) || *p++ != ' ') return false;
    if (p - year_start == 3) year += 2000; /* "10 " is two digits and the space. */
    else if (p - year_start != 5) return false;
    if (!take_digits(&p, 2, &hour) || *p++ != ':') return false;
    const char *minute_start = p;
    if (!take_digits(&p, 2, &minute) || p - minute_start != 2 || *p != '\0') return false;
    if (!oms_ymd_valid(year, month, day) || hour > 23 || minute > 59) return false;
    *ms = cli_london_to_utc_ms(year, month, day, hour, minute);
    return true;
}

void cli_format_money(int64_t minor, char out[32])
{
    uint64_t magnitude = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    snprintf(out, 32, "%s%llu.%02llu", minor < 0 ? "-" : "",
             (unsigned long long)(magnitude / 100), (unsigned long long)(magnitude % 100));
}

void cli_format_instant(int64_t ms, char out[32])
{
    oms_day day = utc_day(ms);
    int64_t in_day = ms - (int64_t)day * 86400000LL;
    int32_t y, m, d;
    oms_day_to_ymd(day, &y, &m, &d);
    snprintf(out, 32, "%04d-%02d-%02d %02d:%02d", (int)y, (int)m, (int)d,
             (int)(in_day / 3600000), (int)(in_day / 60000 % 60));
}

bool cli_option_int(const char *option, const char *text, int64_t min, int64_t max,
                    int64_t *out)
{
    if (oms_parse_int64(text, min, max, out)) return true;
    fprintf(stderr, "oms: --%s: '%s' is not a whole number from %lld to %lld\n", option, text,
            (long long)min, (long long)max);
    return false;
}

bool cli_text_ok(const char *text, size_t max_bytes, char *why, size_t why_len)
{
    size_t len = strlen(text), offset = 0;
    if (len == 0 || len > max_bytes) {
        snprintf(why, why_len, "must be 1 to %zu bytes", max_bytes);
        return false;
    }
    if (!oms_utf8_valid(text, len, &offset)) {
        snprintf(why, why_len, "byte 0x%02X at offset %zu is not UTF-8",
                 (unsigned)(unsigned char)text[offset], offset);
        return false;
    }
    size_t control = oms_text_control(text, len);
    if (control < len) {
        snprintf(why, why_len, "contains a control character (byte 0x%02X at offset %zu)",
                 (unsigned)(unsigned char)text[control], control);
        return false;
    }
    if (oms_text_padded(text, len)) {
        snprintf(why, why_len, "begins or ends with a space");
        return false;
    }
    size_t invisible = oms_text_invisible(text, len);
    if (invisible < len) {
        snprintf(why, why_len, "holds an invisible character at offset %zu", invisible);
        return false;
    }
    return true;
}

bool cli_option_text(const char *name, const char *text, size_t max_bytes)
{
    char why[96];
    if (cli_text_ok(text, max_bytes, why, sizeof why)) return true;
    fprintf(stderr, "oms: %s: %s\n", name, why);
    return false;
}

static int compare_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int32_t cli_median_i32(int32_t *values, size_t count)
{
    qsort(values, count, sizeof *values, compare_i32);
    return values[(count - 1) / 2];
}

static void out_of_memory(void)
{
    fputs("oms: out of memory\n", stderr);
    abort();
}

void *cli_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) out_of_memory();
    return p;
}

void *cli_xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p) out_of_memory();
    return p;
}

char *cli_xstrdup(const char *text)
{
    char *copy = strdup(text ? text : "");
    if (!copy) out_of_memory();
    return copy;
}
