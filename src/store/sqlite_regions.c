/*
 * sqlite_regions.c - the SQLite side of the region distance table (store.h). A region is
 * saved with all of its distances at once: a PUT of a region is rare (configuration), so its
 * statements are prepared per call, and its pairs are rewritten whole rather than diffed.
 * Each unordered pair is one row (a < b, by row); a pair nobody configured has no row.
 */
#include "base/platform.h"

#include <sqlite3.h>

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

/* Steps a statement that returns no rows and resets it for the next bindings. */
static int step_reset(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

enum oms_err oms_store_save_region(struct oms_store *store, const struct oms_state *state,
                                   uint32_t row)
{
    sqlite3 *db = oms__store_db(store);
    const struct oms_region *region = &state->table_regions[row];
    sqlite3_stmt *upsert = NULL, *clear = NULL, *pair = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO regions(idx, code, name) VALUES(?,?,?)",
                                -1, &upsert, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db, "DELETE FROM region_distances WHERE a = ?1 OR b = ?1", -1,
                                &clear, NULL);
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db, "INSERT INTO region_distances(a, b, distance) VALUES(?,?,?)",
                                -1, &pair, NULL);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(upsert, 1, row);
        sqlite3_bind_text(upsert, 2, region->code, -1, SQLITE_STATIC);
        sqlite3_bind_text(upsert, 3, region->name, -1, SQLITE_STATIC);
        rc = step_reset(upsert);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(clear, 1, row);
        rc = step_reset(clear);
    }
    for (uint32_t other = 0; rc == SQLITE_OK && other < state->table_regions_count; other++) {
        if (other == row) continue;
        int32_t distance = oms_state_distance(state, row, other);
        if (distance == OMS_DISTANCE_UNKNOWN) continue;
        sqlite3_bind_int64(pair, 1, row < other ? row : other);
        sqlite3_bind_int64(pair, 2, row < other ? other : row);
        sqlite3_bind_int64(pair, 3, distance);
        rc = step_reset(pair);
    }
    enum oms_err err = map_rc(db, rc, "save a region");
    sqlite3_finalize(upsert);
    sqlite3_finalize(clear);
    sqlite3_finalize(pair);
    return err;
}
