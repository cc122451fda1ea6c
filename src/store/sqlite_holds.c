/*
 * sqlite_holds.c - the SQLite side of holds (store.h): saving a hold with its lines, its first
 * answer, the hold an order named, and loading them all at start. A hold line's units per
 * location are compact text on its row ("location:qty,..."), as a line's allocations are.
 * Statements are prepared per call: a hold changes a few times in its life (placed, consumed,
 * released or expired), far less often than the order path writes lines.
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
/* Called by oms_store_load (sqlite_load.c) after orders and lines, before the check. */
enum oms_err oms__store_load_holds(struct oms_store *store, struct oms_state *state);

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

static enum oms_err run_done(sqlite3 *db, sqlite3_stmt *stmt, int rc, const char *what)
{
    if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
    enum oms_err err = rc == SQLITE_DONE ? OMS_OK : map_rc(db, rc == SQLITE_ROW ? SQLITE_ERROR : rc, what);
    sqlite3_finalize(stmt);
    return err;
}

/* "location:qty,..." of a hold line's allocs; malloc'd. */
static char *allocs_text(const struct oms_hold_line *line)
{
    size_t cap = 1 + (size_t)line->allocs_count * 48;
    char *text = malloc(cap);
    OMS_ASSERT(text != NULL);
    size_t len = 0;
    text[0] = '\0';
    for (uint32_t i = 0; i < line->allocs_count; i++) {
        len += (size_t)snprintf(text + len, cap - len, "%s%u:%lld", i ? "," : "",
                                line->allocs[i].location, (long long)line->allocs[i].qty);
    }
    return text;
}

static enum oms_err save_line(sqlite3 *db, const struct oms_state *state, uint32_t index)
{
    const struct oms_hold_line *line = &state->hold_lines[index];
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT OR REPLACE INTO hold_lines(idx, hold, line_no, item, sku,"
                                " qty, consumed, reason, allocs) VALUES(?,?,?,?,?,?,?,?,?)",
                                -1, &stmt, NULL);
    char *allocs = allocs_text(line);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, index);
        sqlite3_bind_int64(stmt, 2, line->hold);
        sqlite3_bind_int64(stmt, 3, line->line_no);
        if (line->item == OMS_NONE) {
            sqlite3_bind_null(stmt, 4);
        } else {
            sqlite3_bind_int64(stmt, 4, line->item);
        }
        bind_text(stmt, 5, line->sku);
        sqlite3_bind_int64(stmt, 6, line->qty);
        sqlite3_bind_int64(stmt, 7, line->consumed);
        sqlite3_bind_int64(stmt, 8, line->reason);
        bind_text(stmt, 9, allocs);
    }
    enum oms_err err = run_done(db, stmt, rc, "save a hold line");
    free(allocs);
    return err;
}

enum oms_err oms_store_save_hold(struct oms_store *store, const struct oms_state *state,
                                 uint32_t index)
{
    sqlite3 *db = oms__store_db(store);
    const struct oms_hold *hold = &state->holds[index];
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(
        db,
        "INSERT INTO holds(idx, id, channel, region, at_ms, created_ms, expires_ms, ended_ms,"
        " status, order_id, first_line, lines_count, fingerprint) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(idx) DO UPDATE SET ended_ms = excluded.ended_ms, status = excluded.status,"
        " order_id = excluded.order_id",
        -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, index);
        bind_text(stmt, 2, hold->id);
        sqlite3_bind_int64(stmt, 3, hold->channel);
        bind_text(stmt, 4, hold->region);
        sqlite3_bind_int64(stmt, 5, hold->at_ms);
        sqlite3_bind_int64(stmt, 6, hold->created_ms);
        sqlite3_bind_int64(stmt, 7, hold->expires_ms);
        sqlite3_bind_int64(stmt, 8, hold->ended_ms);
        sqlite3_bind_int64(stmt, 9, hold->status);
        bind_text(stmt, 10, hold->order_id);
        sqlite3_bind_int64(stmt, 11, hold->first_line);
        sqlite3_bind_int64(stmt, 12, hold->lines_count);
        bind_text(stmt, 13, hold->fingerprint);
    }
    enum oms_err err = run_done(db, stmt, rc, "save a hold");
    for (uint32_t i = 0; !err && i < hold->lines_count; i++) {
        err = save_line(db, state, hold->first_line + i);
    }
    return err;
}

enum oms_err oms_store_set_hold_answer(struct oms_store *store, const char *id,
                                       const char *answer, size_t answer_len)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, "UPDATE holds SET answer = ? WHERE id = ? AND answer IS NULL",
                                -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_blob(stmt, 1, answer ? answer : "", (int)answer_len, SQLITE_STATIC);
        bind_text(stmt, 2, id);
    }
    return run_done(db, stmt, rc, "save a hold's answer");
}

enum oms_err oms_store_hold_answer(struct oms_store *store, const char *id, char **body,
                                   size_t *body_len)
{
    sqlite3 *db = oms__store_db(store);
    sqlite3_stmt *stmt = NULL;
    *body = NULL;
    *body_len = 0;
    int rc = sqlite3_prepare_v2(db, "SELECT answer FROM holds WHERE id = ?", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        bind_text(stmt, 1, id);
        rc = sqlite3_step(stmt);
    }
    enum oms_err err = OMS_OK;
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
            size_t len = (size_t)sqlite3_column_bytes(stmt, 0);
            char *copy = malloc(len + 1);
            OMS_ASSERT(copy != NULL);
            if (len) memcpy(copy, sqlite3_column_blob(stmt, 0), len);
            copy[len] = '\0';
            *body = copy;
            *body_len = len;
        }
    } else {
        err = rc == SQLITE_DONE ? OMS_ENOTFOUND : map_rc(db, rc, "read a hold's answer");
    }
    sqlite3_finalize(stmt);
    return err;
}

enum oms_err oms_store_save_order_hold(struct oms_store *store, const struct oms_state *state,
                                       uint32_t index)
{
    sqlite3 *db = oms__store_db(store);
    const struct oms_order *order = &state->orders[index];
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, "UPDATE orders SET hold = ?, hold_use = ? WHERE idx = ?", -1,
                                &stmt, NULL);
    if (rc == SQLITE_OK) {
        bind_text(stmt, 1, order->hold_id);
        sqlite3_bind_int64(stmt, 2, order->hold_use);
        sqlite3_bind_int64(stmt, 3, index);
    }
    return run_done(db, stmt, rc, "save an order's hold");
}

static const char *col_text(sqlite3_stmt *row, int i)
{
    const char *text = (const char *)sqlite3_column_text(row, i);
    return text ? text : "";
}

static enum oms_err load_hold(struct oms_state *state, sqlite3_stmt *row)
{
    if (sqlite3_column_int64(row, 0) != state->holds_count) return OMS_ECORRUPT;
    int64_t channel = sqlite3_column_int64(row, 2), status = sqlite3_column_int64(row, 8);
    if (channel < 0 || channel >= state->channels_count) return OMS_ECORRUPT;
    if (status < OMS_HOLD_ACTIVE || status > OMS_HOLD_UNFILLED) return OMS_ECORRUPT;
    oms_grow((void **)&state->holds, &state->holds_cap, state->holds_count + 1,
             sizeof *state->holds);
    struct oms_hold *h = &state->holds[state->holds_count];
    memset(h, 0, sizeof *h);
    h->id = oms_strdup(col_text(row, 1));
    h->channel = (uint32_t)channel;
    h->region = oms_strdup(col_text(row, 3));
    h->region_id = oms_state_region(state, h->region);
    h->at_ms = sqlite3_column_int64(row, 4);
    h->created_ms = sqlite3_column_int64(row, 5);
    h->expires_ms = sqlite3_column_int64(row, 6);
    h->ended_ms = sqlite3_column_int64(row, 7);
    h->status = (enum oms_hold_status)status;
    if (sqlite3_column_type(row, 9) != SQLITE_NULL) h->order_id = oms_strdup(col_text(row, 9));
    h->first_line = (uint32_t)sqlite3_column_int64(row, 10);
    h->lines_count = (uint32_t)sqlite3_column_int64(row, 11);
    snprintf(h->fingerprint, sizeof h->fingerprint, "%s", col_text(row, 12));
    oms_strmap_put(&state->hold_by_id, h->id, state->holds_count);
    state->holds_count++;
    return OMS_OK;
}

/* Parses "location:qty,..." into the line's allocs; false when malformed. */
static bool parse_allocs(const struct oms_state *state, const char *text,
                         struct oms_hold_line *line)
{
    const char *p = text;
    while (*p) {
        char *end;
        long long location = strtoll(p, &end, 10);
        if (end == p || *end != ':') return false;
        p = end + 1;
        long long qty = strtoll(p, &end, 10);
        if (end == p || (*end != ',' && *end != '\0')) return false;
        p = *end == ',' ? end + 1 : end;
        if (location < 0 || location >= state->locations_count || !oms_qty_valid(qty) || qty == 0) {
            return false;
        }
        if (line->allocs_count >= OMS_LOCATIONS_MAX) return false;
        oms_grow((void **)&line->allocs, &line->allocs_cap, line->allocs_count + 1,
                 sizeof *line->allocs);
        line->allocs[line->allocs_count++] = (struct oms_hold_alloc){(uint32_t)location, qty};
    }
    return true;
}

static enum oms_err load_line(struct oms_state *state, sqlite3_stmt *row)
{
    if (sqlite3_column_int64(row, 0) != state->hold_lines_count) return OMS_ECORRUPT;
    int64_t hold = sqlite3_column_int64(row, 1);
    if (hold < 0 || hold >= state->holds_count) return OMS_ECORRUPT;
    oms_grow((void **)&state->hold_lines, &state->hold_lines_cap, state->hold_lines_count + 1,
             sizeof *state->hold_lines);
    struct oms_hold_line *l = &state->hold_lines[state->hold_lines_count];
    memset(l, 0, sizeof *l);
    state->hold_lines_count++;
    l->hold = (uint32_t)hold;
    l->line_no = (uint32_t)sqlite3_column_int64(row, 2);
    l->item = sqlite3_column_type(row, 3) == SQLITE_NULL ? OMS_NONE
                                                         : (uint32_t)sqlite3_column_int64(row, 3);
    if (l->item != OMS_NONE && l->item >= state->items_count) return OMS_ECORRUPT;
    l->sku = oms_strdup(col_text(row, 4));
    l->qty = sqlite3_column_int64(row, 5);
    l->consumed = sqlite3_column_int64(row, 6);
    l->reason = (enum oms_reject_reason)sqlite3_column_int(row, 7);
    if (!parse_allocs(state, col_text(row, 8), l)) return OMS_ECORRUPT;
    if (l->item == OMS_NONE && l->allocs_count > 0) return OMS_ECORRUPT;
    return OMS_OK;
}

static enum oms_err load_order_hold(struct oms_state *state, sqlite3_stmt *row)
{
    int64_t order = sqlite3_column_int64(row, 0), use = sqlite3_column_int64(row, 2);
    if (order < 0 || order >= state->orders_count) return OMS_ECORRUPT;
    if (use < OMS_HOLD_USE_NONE || use > OMS_HOLD_USE_OTHER_CHANNEL) return OMS_ECORRUPT;
    struct oms_order *o = &state->orders[order];
    free(o->hold_id);
    o->hold_id = oms_strdup(col_text(row, 1));
    o->hold_use = (enum oms_hold_use)use;
    return OMS_OK;
}

typedef enum oms_err (*row_fn)(struct oms_state *state, sqlite3_stmt *row);

static enum oms_err each_row(sqlite3 *db, const char *sql, struct oms_state *state, row_fn fn)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
    enum oms_err err = rc == SQLITE_OK ? OMS_OK : OMS_ESTORE;
    while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) err = fn(state, stmt);
    if (!err && rc != SQLITE_DONE) err = OMS_ESTORE;
    if (err) oms_log(OMS_LOG_ERROR, "cannot load '%.40s': %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return err;
}

enum oms_err oms__store_load_holds(struct oms_store *store, struct oms_state *state)
{
    sqlite3 *db = oms__store_db(store);
    enum oms_err err = each_row(db,
                                "SELECT idx, id, channel, region, at_ms, created_ms, expires_ms,"
                                " ended_ms, status, order_id, first_line, lines_count, fingerprint"
                                " FROM holds ORDER BY idx",
                                state, load_hold);
    if (!err) {
        err = each_row(db,
                       "SELECT idx, hold, line_no, item, sku, qty, consumed, reason, allocs"
                       " FROM hold_lines ORDER BY idx",
                       state, load_line);
    }
    if (!err) {
        err = each_row(db, "SELECT idx, hold, hold_use FROM orders WHERE hold IS NOT NULL", state,
                       load_order_hold);
    }
    if (err) return err;
    for (uint32_t i = 0; i < state->holds_count; i++) {
        const struct oms_hold *h = &state->holds[i];
        if ((uint64_t)h->first_line + h->lines_count > state->hold_lines_count) return OMS_ECORRUPT;
        for (uint32_t k = 0; k < h->lines_count; k++) {
            if (state->hold_lines[h->first_line + k].hold != i) return OMS_ECORRUPT;
        }
        /* Index order is creation order: the active list keeps it (rule 3b, newest first). */
        if (h->status == OMS_HOLD_ACTIVE) oms_state_hold_activate(state, i);
    }
    return OMS_OK;
}
