/*
 * common.h - what the subcommands of the `oms` binary share: opening the engine with a clear
 * message when another process holds the database, a bounded window of commands in flight
 * (submit asynchronously, block when the window is full, drain at the end), synchronous READ
 * commands whose callback inspects the writer's model, a progress bar for terminals, a capped
 * list of row-numbered errors, and the small parsers and formatters of the CLI (UK local
 * time, money).
 *
 * Threads: the main thread submits; `done` and READ callbacks run on the engine's writer
 * thread. A cli_pipe's counters are guarded by its lock; anything else a callback writes must
 * be read by the main thread only after cli_pipe_drain() (its lock orders the two threads).
 */
#ifndef OMS_CLI_COMMON_H
#define OMS_CLI_COMMON_H

#include "base/platform.h"

#include <pthread.h>
#include <stdio.h>

#include "core/types.h"
#include "engine/engine.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

#define CLI_ERRORS_SHOWN_MAX 50  /* Row errors printed before "... and N more". */
#define CLI_WINDOW_DEFAULT 4096  /* Commands in flight; well below OMS_QUEUE_MAX. */
#define CLI_BODY_MAX_DEFAULT ((size_t)1 << 20)

/* --- Engine --- */

/* Opens the engine on `db_path` (exclusive). On failure prints why on stderr ("database 'x' is
 * held by another oms process" for OMS_ELOCKED) and returns NULL. */
struct oms_engine *cli_engine_open(const char *db_path);

/* --- Errors found while checking input, printed as they are found, up to a cap --- */

struct cli_errors {
    uint64_t count;
};

void cli_error(struct cli_errors *errors, const char *fmt, ...) OMS_PRINTF(2, 3);
/* Prints "... and N more errors" when some were not shown. */
void cli_errors_finish(const struct cli_errors *errors);

/* --- The window of commands in flight --- */

struct cli_pipe {
    struct oms_engine *engine;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    uint32_t window, in_flight;
    uint64_t submitted, completed, failed;
    char *failures[CLI_ERRORS_SHOWN_MAX]; /* The first failures' messages, malloc'd. */
};

void cli_pipe_init(struct cli_pipe *pipe, struct oms_engine *engine, uint32_t window);
/* Frees the stored failure messages; the pipe must be drained. */
void cli_pipe_release(struct cli_pipe *pipe);
/* Submits cmd (its done must end with cli_pipe_done), waiting while the window is full or
 * the engine's queue is busy. False only when the engine is shutting down. */
OMS_MUST_CHECK bool cli_pipe_submit(struct cli_pipe *pipe, struct oms_command *cmd);
/* Call last in every done callback: counts the completion and, when cmd failed, keeps its
 * message prefixed by `what` ("row 12", "order UCI-536365"). After this call the main thread
 * may free the command: do not touch it again. */
void cli_pipe_done(struct cli_pipe *pipe, const char *what, const struct oms_command *cmd);
/* Waits until every submitted command is done. */
void cli_pipe_drain(struct cli_pipe *pipe);
uint64_t cli_pipe_completed(struct cli_pipe *pipe);
/* Prints the kept failure messages (after a drain). */
void cli_pipe_print_failures(struct cli_pipe *pipe);

/* --- Reading the writer's model --- */

typedef void cli_read_fn(void *ctx, const struct oms_state *state);
/* Runs fn(ctx, state) on the writer thread, after every command submitted before it, and
 * waits for it. */
OMS_MUST_CHECK enum oms_err cli_read(struct oms_engine *engine, cli_read_fn *fn, void *ctx);

/* --- Progress on a terminal --- */

struct cli_progress {
    bool on; /* stderr is a terminal. */
    const char *label;
    uint64_t total;
    int64_t last_ms;
};

void cli_progress_init(struct cli_progress *progress, const char *label, uint64_t total);
/* Redraws at most ten times a second. */
void cli_progress_update(struct cli_progress *progress, uint64_t done);
/* Clears the bar. */
void cli_progress_end(struct cli_progress *progress);

/* --- Time and numbers --- */

int64_t cli_monotonic_ms(void);
/* The UTC instant of a wall-clock time in the United Kingdom (Europe/London): GMT, or BST
 * (UTC+1) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
 * October, the rule in force since 1996. A time in the spring gap counts as GMT; a time in the
 * autumn overlap as its first (BST) occurrence. */
int64_t cli_london_to_utc_ms(int32_t year, int32_t month, int32_t day, int32_t hour,
                             int32_t minute);
/* The UK calendar day (Europe/London, same rule) of a UTC instant. */
oms_day cli_london_day(int64_t utc_ms);
/* "M/D/YY H:MM" (UCI Online Retail; YY is 20YY, a four-digit year is accepted too), UK local
 * time, to a UTC instant. False on anything else. */
OMS_MUST_CHECK bool cli_parse_uk_datetime(const char *text, int64_t *ms);
/* "1234.56" (minor units to two decimals, '-' when negative). */
void cli_format_money(int64_t minor, char out[32]);
/* "2010-12-01 08:26" (UTC). */
void cli_format_instant(int64_t ms, char out[32]);
/* Parses a whole number in [min, max] from an option's text, or prints an error naming the
 * option and returns false. */
OMS_MUST_CHECK bool cli_option_int(const char *option, const char *text, int64_t min,
                                   int64_t max, int64_t *out);

/* Text from the command line that the engine stores or looks up (decision 51): 1 to
 * max_bytes bytes of well-formed UTF-8 without a control byte (C0 or DEL), as the API takes
 * its ids and texts. True, or false with why (why_len bytes) saying what is wrong. */
OMS_MUST_CHECK bool cli_text_ok(const char *text, size_t max_bytes, char *why, size_t why_len);
/* cli_text_ok() for an option or argument, named as typed ("--source", "SKU"): false after
 * printing "oms: --source: byte 0xE9 at offset 4 is not UTF-8". */
OMS_MUST_CHECK bool cli_option_text(const char *name, const char *text, size_t max_bytes);

/* Sorts and returns the lower median of values (count > 0); values is reordered. */
int32_t cli_median_i32(int32_t *values, size_t count);

/* Aborting allocation helpers (the CLI has nothing to roll back). */
void *cli_xcalloc(size_t count, size_t size);
void *cli_xrealloc(void *ptr, size_t size);
char *cli_xstrdup(const char *text);

#endif
