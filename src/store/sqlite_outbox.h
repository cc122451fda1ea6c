/*
 * sqlite_outbox.h - the writer's outbox rows, written a batch at a time (internal to the
 * SQLite store).
 *
 * An order writes three events; one INSERT statement each cost the writer about 2,000
 * instructions of statement overhead before its row (bench/README.md, "The write path").
 * Within a transaction the rows wait here and go in as one multi-row INSERT of up to
 * OMS_OUTBOX_ROWS_MAX rows, at the latest when the transaction commits: the same rows, the
 * same seqs, in the same transaction. Outside a transaction a row is written at once.
 */
#ifndef OMS_STORE_SQLITE_OUTBOX_H
#define OMS_STORE_SQLITE_OUTBOX_H

#include <sqlite3.h>
#include <stdint.h>

#include "base/err.h"

#define OMS_OUTBOX_ROWS_MAX 16

struct oms_outbox_rows;

struct oms_outbox_rows *oms__outbox_rows_new(void);
void oms__outbox_rows_free(struct oms_outbox_rows *rows);
/* Adds one event (texts copied; subject may be NULL). Writes the rows waiting when they reach
 * OMS_OUTBOX_ROWS_MAX, or this one at once when db is not in a transaction. */
enum oms_err oms__outbox_append(struct oms_outbox_rows *rows, sqlite3 *db, int64_t seq,
                                const char *type, int64_t at_ms, const char *subject,
                                const char *data_json);
/* Writes the rows waiting (before a commit, or before the connection reads the outbox). */
enum oms_err oms__outbox_flush(struct oms_outbox_rows *rows, sqlite3 *db);
/* Rows waiting (for tests). */
uint32_t oms__outbox_pending(const struct oms_outbox_rows *rows);

#endif
