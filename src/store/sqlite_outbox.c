/*
 * sqlite_outbox.c - the writer's outbox rows, a multi-row INSERT at a time (see
 * sqlite_outbox.h for why).
 */
#include "base/platform.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "store/sqlite_outbox.h"

#define NO_TEXT UINT32_MAX

struct pending_event {
    int64_t seq, at_ms;
    uint32_t type, subject, data; /* Offsets into text; NO_TEXT for SQL NULL. */
};

struct oms_outbox_rows {
    struct pending_event rows[OMS_OUTBOX_ROWS_MAX];
    uint32_t count;
    char *text; /* The rows' texts, each with its NUL. */
    size_t text_len, text_cap;
    /* stmts[n - 1] inserts n rows; each prepared on its first use, kept for the connection. */
    sqlite3_stmt *stmts[OMS_OUTBOX_ROWS_MAX];
};

struct oms_outbox_rows *oms__outbox_rows_new(void)
{
    return calloc(1, sizeof(struct oms_outbox_rows));
}

void oms__outbox_rows_free(struct oms_outbox_rows *rows)
{
    if (!rows) return;
    for (uint32_t i = 0; i < OMS_OUTBOX_ROWS_MAX; i++) sqlite3_finalize(rows->stmts[i]);
    free(rows->text);
    free(rows);
}

uint32_t oms__outbox_pending(const struct oms_outbox_rows *rows) { return rows->count; }

static uint32_t keep_text(struct oms_outbox_rows *rows, const char *text)
{
    if (!text) return NO_TEXT;
    size_t len = strlen(text) + 1;
    if (rows->text_len + len > rows->text_cap) {
        size_t cap = rows->text_cap ? rows->text_cap : 4096;
        while (cap < rows->text_len + len) cap *= 2;
        char *grown = realloc(rows->text, cap);
        OMS_ASSERT(grown != NULL);
        rows->text = grown;
        rows->text_cap = cap;
    }
    OMS_ASSERT(rows->text_len + len < NO_TEXT);
    uint32_t at = (uint32_t)rows->text_len;
    memcpy(rows->text + at, text, len);
    rows->text_len += len;
    return at;
}

static enum oms_err sqlite_failure(sqlite3 *db, int rc, const char *what)
{
    oms_log(OMS_LOG_ERROR, "sqlite cannot %s: %s", what, sqlite3_errmsg(db));
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return OMS_EBUSY;
    if (rc == SQLITE_NOMEM) return OMS_ENOMEM;
    if (rc == SQLITE_CORRUPT || rc == SQLITE_CONSTRAINT) return OMS_ECORRUPT;
    return OMS_ESTORE;
}

static sqlite3_stmt *statement(struct oms_outbox_rows *rows, sqlite3 *db, uint32_t n,
                               enum oms_err *err)
{
    if (rows->stmts[n - 1]) return rows->stmts[n - 1];
    static const char head[] = "INSERT INTO events(seq, type, at_ms, subject, data) VALUES";
    static const char row[] = "(?,?,?,?,?),";
    char sql[sizeof head + OMS_OUTBOX_ROWS_MAX * (sizeof row - 1)];
    memcpy(sql, head, sizeof head - 1);
    size_t len = sizeof head - 1;
    for (uint32_t i = 0; i < n; i++) {
        memcpy(sql + len, row, sizeof row - 1);
        len += sizeof row - 1;
    }
    sql[len - 1] = '\0'; /* The last row's ',' */
    int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &rows->stmts[n - 1],
                                NULL);
    if (rc != SQLITE_OK) {
        *err = sqlite_failure(db, rc, "prepare the outbox insert");
        return NULL;
    }
    return rows->stmts[n - 1];
}

static void bind_kept(sqlite3_stmt *stmt, int index, const struct oms_outbox_rows *rows,
                      uint32_t at)
{
    if (at == NO_TEXT) {
        sqlite3_bind_null(stmt, index);
    } else {
        sqlite3_bind_text(stmt, index, rows->text + at, -1, SQLITE_STATIC);
    }
}

enum oms_err oms__outbox_flush(struct oms_outbox_rows *rows, sqlite3 *db)
{
    if (rows->count == 0) return OMS_OK;
    enum oms_err err = OMS_OK;
    sqlite3_stmt *stmt = statement(rows, db, rows->count, &err);
    if (!stmt) return err;
    for (uint32_t i = 0; i < rows->count; i++) {
        const struct pending_event *e = &rows->rows[i];
        int p = (int)i * 5;
        sqlite3_bind_int64(stmt, p + 1, e->seq);
        bind_kept(stmt, p + 2, rows, e->type);
        sqlite3_bind_int64(stmt, p + 3, e->at_ms);
        bind_kept(stmt, p + 4, rows, e->subject);
        bind_kept(stmt, p + 5, rows, e->data);
    }
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) err = sqlite_failure(db, rc, "append to the outbox");
    sqlite3_reset(stmt);
    /* The texts are bound SQLITE_STATIC: nothing steps the statement before the next flush
     * binds every parameter again, so they may be overwritten from here on. */
    rows->count = 0;
    rows->text_len = 0;
    return err;
}

enum oms_err oms__outbox_append(struct oms_outbox_rows *rows, sqlite3 *db, int64_t seq,
                                const char *type, int64_t at_ms, const char *subject,
                                const char *data_json)
{
    struct pending_event *e = &rows->rows[rows->count++];
    e->seq = seq;
    e->at_ms = at_ms;
    e->type = keep_text(rows, type);
    e->subject = keep_text(rows, subject);
    e->data = keep_text(rows, data_json);
    if (rows->count == OMS_OUTBOX_ROWS_MAX || sqlite3_get_autocommit(db)) {
        return oms__outbox_flush(rows, db);
    }
    return OMS_OK;
}
