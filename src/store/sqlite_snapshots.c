/*
 * sqlite_snapshots.c - the SQLite side of stock snapshots (store.h): one row per applied
 * snapshot with its reconciliation report. A snapshot is written once and read by id (a GET, a
 * replay of the same id), far less often than the order path, so each statement is prepared
 * per call rather than cached on the connection.
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

static enum oms_err map_rc(sqlite3 *db, int rc, const char *what)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return OMS_OK;
    oms_log(OMS_LOG_ERROR, "sqlite cannot %s: %s", what, sqlite3_errmsg(db));
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return OMS_EBUSY;
    if (rc == SQLITE_NOMEM) return OMS_ENOMEM;
    if (rc == SQLITE_CORRUPT || rc == SQLITE_CONSTRAINT) return OMS_ECORRUPT;
    return OMS_ESTORE;
}

static void bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text) {
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(stmt, index);
    }
}

enum oms_err oms_store_snapshot_save(struct oms_store *store,
                                     const struct oms_snapshot_record *record)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO snapshots(id, fingerprint, source, as_of_ms,"
                                " recorded_ms, rows, changed, report) VALUES(?,?,?,?,?,?,?,?)",
                                -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        bind_text(stmt, 1, record->id);
        bind_text(stmt, 2, record->fingerprint);
        bind_text(stmt, 3, record->source);
        sqlite3_bind_int64(stmt, 4, record->as_of_ms);
        sqlite3_bind_int64(stmt, 5, record->recorded_ms);
        sqlite3_bind_int64(stmt, 6, record->rows);
        sqlite3_bind_int64(stmt, 7, record->changed);
        if (record->report) {
            sqlite3_bind_blob64(stmt, 8, record->report, record->report_len, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(stmt, 8);
        }
        rc = sqlite3_step(stmt);
    }
    enum oms_err err = rc == SQLITE_DONE ? OMS_OK : map_rc(db, rc, "save a snapshot");
    sqlite3_finalize(stmt);
    return err;
}

enum oms_err oms_store_snapshot_get(struct oms_store *store, const char *id, char fingerprint[65],
                                    char **report, size_t *report_len)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    *report = NULL;
    *report_len = 0;
    int rc = sqlite3_prepare_v2(db, "SELECT fingerprint, report FROM snapshots WHERE id = ?", -1,
                                &stmt, NULL);
    if (rc == SQLITE_OK) {
        bind_text(stmt, 1, id);
        rc = sqlite3_step(stmt);
    }
    enum oms_err err = OMS_OK;
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(stmt, 0);
        snprintf(fingerprint, 65, "%s", text ? text : "");
        const void *data = sqlite3_column_blob(stmt, 1);
        size_t len = (size_t)sqlite3_column_bytes(stmt, 1);
        if (data) {
            *report = malloc(len + 1);
            OMS_ASSERT(*report != NULL);
            memcpy(*report, data, len);
            (*report)[len] = '\0';
            *report_len = len;
        }
    } else {
        err = rc == SQLITE_DONE ? OMS_ENOTFOUND : map_rc(db, rc, "read a snapshot");
    }
    sqlite3_finalize(stmt);
    return err;
}

enum oms_err oms_store_snapshot_count(struct oms_store *store, int64_t *count)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM snapshots", -1, &stmt, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) *count = sqlite3_column_int64(stmt, 0);
    enum oms_err err = rc == SQLITE_ROW ? OMS_OK : map_rc(db, rc, "count snapshots");
    sqlite3_finalize(stmt);
    return err;
}
