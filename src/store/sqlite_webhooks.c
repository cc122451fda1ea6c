/*
 * sqlite_webhooks.c - the SQLite side of webhooks and their deliveries (store.h). These
 * statements run far less often than the order path (a registration, one batch of delivery
 * results per dispatcher round, a page of the API), so each is prepared per call rather than
 * cached on the connection; a batch of delivery rows shares one statement.
 */
#include "base/platform.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "store/store.h"

/* Defined in sqlite.c: the connection of a store. */
sqlite3 *oms__store_db(struct oms_store *store);

#define WEBHOOK_COLUMNS "idx, id, url, secret, types, created_ms, cursor, active"
#define DELIVERY_COLUMNS                                                                       \
    "d.webhook, d.seq, d.attempts, d.next_ms, d.status, d.last_error, e.type, e.subject,"     \
    " e.data, e.at_ms"

static enum oms_err map_rc(sqlite3 *db, int rc, const char *what)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return OMS_OK;
    oms_log(OMS_LOG_ERROR, "sqlite cannot %s: %s", what, sqlite3_errmsg(db));
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return OMS_EBUSY;
    if (rc == SQLITE_NOMEM) return OMS_ENOMEM;
    if (rc == SQLITE_CORRUPT || rc == SQLITE_CONSTRAINT) return OMS_ECORRUPT;
    return OMS_ESTORE;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt)
{
    return sqlite3_prepare_v2(db, sql, -1, stmt, NULL);
}

static const char *col_text(sqlite3_stmt *stmt, int i)
{
    return (const char *)sqlite3_column_text(stmt, i);
}

static void bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text) {
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(stmt, index);
    }
}

/* Runs a prepared statement that returns no rows and finalizes it. */
static enum oms_err run_done(sqlite3 *db, sqlite3_stmt *stmt, int rc, const char *what)
{
    if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
    enum oms_err err = rc == SQLITE_DONE ? OMS_OK : map_rc(db, rc, what);
    sqlite3_finalize(stmt);
    return err;
}

enum oms_err oms_store_webhook_count(struct oms_store *store, int64_t *count)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    int rc = prepare(db, "SELECT count(*) FROM webhooks", &stmt);
    if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) *count = sqlite3_column_int64(stmt, 0);
    enum oms_err err = rc == SQLITE_ROW ? OMS_OK : map_rc(db, rc, "count webhooks");
    sqlite3_finalize(stmt);
    return err;
}

enum oms_err oms_store_webhook_insert(struct oms_store *store, const struct oms_webhook_row *row)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    int rc = prepare(db,
                     "INSERT INTO webhooks(" WEBHOOK_COLUMNS ") VALUES(?,?,?,?,?,?,?,?)", &stmt);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, row->idx);
        bind_text(stmt, 2, row->id);
        bind_text(stmt, 3, row->url);
        bind_text(stmt, 4, row->secret);
        bind_text(stmt, 5, row->types);
        sqlite3_bind_int64(stmt, 6, row->created_ms);
        sqlite3_bind_int64(stmt, 7, row->cursor);
        sqlite3_bind_int(stmt, 8, row->active);
    }
    return run_done(db, stmt, rc, "insert a webhook");
}

enum oms_err oms_store_webhook_get(struct oms_store *store, const char *id,
                                   oms_webhook_visit_fn visit, void *ctx)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    int rc = prepare(db,
                     id ? "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE id = ?"
                        : "SELECT " WEBHOOK_COLUMNS " FROM webhooks ORDER BY idx",
                     &stmt);
    if (rc == SQLITE_OK && id) bind_text(stmt, 1, id);
    bool found = false;
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct oms_webhook_row row = {
            .idx = sqlite3_column_int64(stmt, 0),
            .id = col_text(stmt, 1),
            .url = col_text(stmt, 2),
            .secret = col_text(stmt, 3),
            .types = col_text(stmt, 4),
            .created_ms = sqlite3_column_int64(stmt, 5),
            .cursor = sqlite3_column_int64(stmt, 6),
            .active = sqlite3_column_int(stmt, 7) != 0,
        };
        found = true;
        if (row.id && row.url && row.secret && row.types) visit(ctx, &row);
        rc = SQLITE_OK;
    }
    enum oms_err err = rc == SQLITE_DONE ? OMS_OK : map_rc(db, rc, "read webhooks");
    sqlite3_finalize(stmt);
    if (!err && id && !found) err = OMS_ENOTFOUND;
    return err;
}

enum oms_err oms_store_webhook_set_active(struct oms_store *store, int64_t idx, bool active)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    int rc = prepare(db, "UPDATE webhooks SET active = ? WHERE idx = ?", &stmt);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(stmt, 1, active);
        sqlite3_bind_int64(stmt, 2, idx);
    }
    return run_done(db, stmt, rc, "change a webhook");
}

enum oms_err oms_store_webhook_set_cursor(struct oms_store *store, int64_t idx, int64_t cursor)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    /* max(): a cursor never moves back, whatever order results arrive in. */
    int rc = prepare(db, "UPDATE webhooks SET cursor = max(cursor, ?) WHERE idx = ?", &stmt);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, cursor);
        sqlite3_bind_int64(stmt, 2, idx);
    }
    return run_done(db, stmt, rc, "move a webhook's cursor");
}

enum oms_err oms_store_deliveries_put(struct oms_store *store, const struct oms_delivery_row *rows,
                                      uint32_t count)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    int rc = prepare(db,
                     "INSERT OR REPLACE INTO deliveries(webhook, seq, attempts, next_ms, status,"
                     " last_error) VALUES(?,?,?,?,?,?)",
                     &stmt);
    for (uint32_t i = 0; rc == SQLITE_OK && i < count; i++) {
        const struct oms_delivery_row *row = &rows[i];
        sqlite3_bind_int64(stmt, 1, row->webhook);
        sqlite3_bind_int64(stmt, 2, row->seq);
        sqlite3_bind_int(stmt, 3, row->attempts);
        sqlite3_bind_int64(stmt, 4, row->next_ms);
        sqlite3_bind_int(stmt, 5, (int)row->status);
        bind_text(stmt, 6, row->last_error);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
    enum oms_err err = map_rc(db, rc, "record deliveries");
    sqlite3_finalize(stmt);
    return err;
}

/* Visits every row of a statement selecting DELIVERY_COLUMNS; *found says whether any came. */
static enum oms_err visit_deliveries(sqlite3 *db, sqlite3_stmt *stmt, int rc,
                                     oms_delivery_visit_fn visit, void *ctx, bool *found)
{
    *found = false;
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int status = sqlite3_column_int(stmt, 4);
        if (status < OMS_DELIVERY_PENDING || status > OMS_DELIVERY_DEAD) {
            rc = SQLITE_CORRUPT; /* A row is input: a status we never write is corruption. */
            break;
        }
        struct oms_delivery_row row = {
            .webhook = sqlite3_column_int64(stmt, 0),
            .seq = sqlite3_column_int64(stmt, 1),
            .attempts = sqlite3_column_int(stmt, 2),
            .next_ms = sqlite3_column_int64(stmt, 3),
            .status = (enum oms_delivery_status)status,
            .last_error = col_text(stmt, 5),
            .type = col_text(stmt, 6) ? col_text(stmt, 6) : "",
            .subject = col_text(stmt, 7) ? col_text(stmt, 7) : "",
            .data_json = col_text(stmt, 8) ? col_text(stmt, 8) : "{}",
            .at_ms = sqlite3_column_int64(stmt, 9),
        };
        *found = true;
        visit(ctx, &row);
        rc = SQLITE_OK;
    }
    enum oms_err err = rc == SQLITE_DONE ? OMS_OK : map_rc(db, rc, "read deliveries");
    sqlite3_finalize(stmt);
    return err;
}

enum oms_err oms_store_delivery_get(struct oms_store *store, int64_t webhook, int64_t seq,
                                    oms_delivery_visit_fn visit, void *ctx)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    int rc = prepare(db,
                     "SELECT " DELIVERY_COLUMNS " FROM deliveries d LEFT JOIN events e"
                     " ON e.seq = d.seq WHERE d.webhook = ? AND d.seq = ?",
                     &stmt);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, webhook);
        sqlite3_bind_int64(stmt, 2, seq);
    }
    bool found;
    enum oms_err err = visit_deliveries(db, stmt, rc, visit, ctx, &found);
    return !err && !found ? OMS_ENOTFOUND : err;
}

enum oms_err oms_store_deliveries_list(struct oms_store *store, int64_t webhook, int status,
                                       int64_t after, uint32_t limit,
                                       oms_delivery_visit_fn visit, void *ctx)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    /* Two statements, so each is served by an index: (webhook, status, seq) or the key. */
    int rc = prepare(db,
                     status >= 0
                         ? "SELECT " DELIVERY_COLUMNS " FROM deliveries d LEFT JOIN events e"
                           " ON e.seq = d.seq WHERE d.webhook = ?1 AND d.status = ?4"
                           " AND d.seq > ?2 ORDER BY d.seq LIMIT ?3"
                         : "SELECT " DELIVERY_COLUMNS " FROM deliveries d LEFT JOIN events e"
                           " ON e.seq = d.seq WHERE d.webhook = ?1 AND d.seq > ?2"
                           " ORDER BY d.seq LIMIT ?3",
                     &stmt);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, webhook);
        sqlite3_bind_int64(stmt, 2, after);
        sqlite3_bind_int64(stmt, 3, limit);
        if (status >= 0) sqlite3_bind_int(stmt, 4, status);
    }
    bool found;
    return visit_deliveries(db, stmt, rc, visit, ctx, &found);
}
