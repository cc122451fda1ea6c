/*
 * sqlite.c - the SQLite backend of store.h: WAL, synchronous=FULL (NORMAL plus an explicit
 * sync of the WAL for the engine's pipelined writer), versioned migrations,
 * prepared statements cached for the life of the connection. Records are keyed by their
 * index in the model (records are never deleted, so indexes are stable).
 * A line's allocations and pegs are stored as compact text on the line's row
 * ("location:qty:ship_day:reason,..." and "supply:release:qty:promise_day,...") so that a changed
 * line is one statement, not a delete and re-insert of child rows.
 */
#include "base/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/log.h"
#include "store/sqlite_outbox.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_vfs.h"
#include "store/store.h"

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ITEM,
    ST_LOCATION,
    ST_CHANNEL,
    ST_LEVEL,
    ST_SUPPLY,
    ST_ORDER,
    ST_LINE,
    ST_LEDGER,
    ST_LAST_EVENT,
    ST_LIST_EVENTS,
    ST_IDEM_GET,
    ST_IDEM_PUT,
    ST_ORDER_ANSWER,
    ST_META_GET,
    ST_META_PUT,
    ST_MOVES_AFTER,
    ST_SUBSCRIPTION,
    ST_ITEM_STATUS,
    ST_LIST_ITEM_STATUS,
    ST_SUBJECT_EVENTS,
    ST_LAST_COUNT,
    ST_RULE,
    ST_RULE_DELETE,
    ST_RECEIPTS_AFTER,
    ST_LAST_LEDGER,
    ST_SHIPPED_FROM,
    ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_SUBSCRIPTION] = "INSERT OR REPLACE INTO subscriptions(idx, item, channel, contact,"
                        " created_ms, notified_ms) VALUES(?,?,?,?,?,?)",
    [ST_ITEM_STATUS] = "INSERT OR REPLACE INTO item_status(item, channel, status, available,"
                       " sellable) VALUES(?,?,?,?,?)",
    [ST_LIST_ITEM_STATUS] = "SELECT item, channel, status, available, sellable FROM item_status",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ITEM] = "INSERT OR REPLACE INTO items(idx, sku, name, price_minor, currency, policy,"
                " backorder_limit, lead_time_days, low_stock_threshold, min_order_qty,"
                " release_day, allow_split) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_LOCATION] = "INSERT OR REPLACE INTO locations(idx, code, name, kind, region, priority,"
                    " timezone, handling_days, working_mask) VALUES(?,?,?,?,?,?,?,?,?)",
    [ST_CHANNEL] = "INSERT OR REPLACE INTO channels(idx, code, name, buffer, allow_backorder,"
                   " priority, locations, delay_policy, buffer_percent, exclude_stores)"
                   " VALUES(?,?,?,?,?,?,?,?,?,?)",
    [ST_RULE] = "INSERT OR REPLACE INTO channel_item_rules(channel, item, buffer, buffer_percent,"
                " cap_qty, cap_period, floor) VALUES(?,?,?,?,?,?,?)",
    [ST_RULE_DELETE] = "DELETE FROM channel_item_rules WHERE channel = ? AND item = ?",
    [ST_LEVEL] = "INSERT OR REPLACE INTO stock_levels(item, location, on_hand, allocated,"
                 " reserved, safety, unavailable) VALUES(?,?,?,?,?,?,?)",
    [ST_SUPPLY] = "INSERT OR REPLACE INTO supply(idx, id, item, location, qty, received,"
                  " expected_day, status, kind, from_location) VALUES(?,?,?,?,?,?,?,?,?,?)",
    [ST_ORDER] = "INSERT INTO orders(idx, id, channel, region, customer_ref, contact, at_ms,"
                 " created_ms, first_line, lines_count, fingerprint, answer, collect)"
                 " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(idx) DO UPDATE SET"
                 " customer_ref = excluded.customer_ref, contact = excluded.contact",
    [ST_LINE] = "INSERT OR REPLACE INTO lines(idx, order_idx, line_no, item, sku, qty, shipped,"
                " cancelled, rejected, reason, ship_complete, price_minor, promise_day, allocs,"
                " pegs, latest_day, held, returned, first_promise_day)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_LEDGER] = "INSERT INTO ledger(at_ms, recorded_ms, sku, location, counter, before, after,"
                  " reason, ref) VALUES(?,?,?,?,?,?,?,?,?)",
    [ST_LAST_EVENT] = "SELECT coalesce(max(seq), 0) FROM events",
    [ST_LIST_EVENTS] = "SELECT seq, type, at_ms, subject, data FROM events WHERE seq > ?"
                       " ORDER BY seq LIMIT ?",
    [ST_IDEM_GET] = "SELECT fingerprint, status, body FROM idempotency WHERE key = ?",
    [ST_IDEM_PUT] = "INSERT INTO idempotency(key, fingerprint, status, body, created_ms)"
                    " VALUES(?,?,?,?,?)",
    [ST_ORDER_ANSWER] = "SELECT answer FROM orders WHERE idx = ?",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?",
    [ST_META_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?,?)",
    /* The type terms repeat the index's WHERE (migration 11), so SQLite uses it. */
    [ST_SUBJECT_EVENTS] = "SELECT seq, type, at_ms, subject, data FROM events WHERE subject = ?"
                          " AND seq > ? AND type <> 'stock.changed' AND type <> 'stock.short'"
                          " AND type <> 'item.status_changed' ORDER BY seq LIMIT ?",
    [ST_LAST_COUNT] = "SELECT coalesce(max(at_ms), 0) FROM ledger WHERE sku = ? AND location = ?"
                      " AND reason = 'count'",
    [ST_RECEIPTS_AFTER] = "SELECT coalesce(sum(after - before), 0) FROM ledger WHERE sku = ?"
                          " AND location = ? AND counter = 'on_hand' AND reason = 'receipt'"
                          " AND at_ms > ?",
    [ST_LAST_LEDGER] = "SELECT coalesce(max(seq), 0) FROM ledger",
    [ST_SHIPPED_FROM] = "SELECT location, sum(before - after) FROM ledger WHERE sku = ?"
                        " AND ref = ? AND counter = 'on_hand'"
                        " AND reason IN ('shipment', 'shipment cancelled') GROUP BY location",
    [ST_MOVES_AFTER] = "SELECT coalesce(sum(after - before), 0) FROM ledger WHERE sku = ?"
                       " AND location = ? AND counter = 'on_hand' AND at_ms > ?",
};

struct oms_store {
    sqlite3 *db;
    sqlite3_stmt *stmts[ST_COUNT_];
    int lock_fd; /* The lock file held while a writer has the database open; -1 when none. */
    int64_t ledger_seq; /* The last ledger row (writer connections). */
    int64_t levels_seq; /* The ledger row the level rows reflect (meta levels_ledger_seq). */
    int wal_fd;         /* The WAL, for oms_store_sync(); -1 until oms_store_defer_sync(). */
    uint32_t wal_frames; /* Frames in the WAL after the last commit (with defer_sync). */
    struct oms_outbox_rows *outbox; /* Events not yet inserted (read-write connections). */
};

static const char *const LEVELS_SEQ_KEY = "levels_ledger_seq";

static enum oms_err single_int(struct oms_store *store, sqlite3_stmt *stmt, int64_t *value);

static enum oms_err map_rc(int rc)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return OMS_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return OMS_EBUSY;
    case SQLITE_NOMEM:
        return OMS_ENOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_CONSTRAINT:
        return OMS_ECORRUPT;
    default:
        return OMS_ESTORE;
    }
}

static enum oms_err fail(struct oms_store *store, int rc, const char *what)
{
    oms_log(OMS_LOG_ERROR, "sqlite cannot %s: %s", what, sqlite3_errmsg(store->db));
    return map_rc(rc);
}

static enum oms_err exec(struct oms_store *store, const char *sql)
{
    char *message = NULL;
    int rc = sqlite3_exec(store->db, sql, NULL, NULL, &message);
    if (rc != SQLITE_OK) {
        oms_log(OMS_LOG_ERROR, "sqlite cannot run '%.60s': %s", sql, message ? message : "?");
        sqlite3_free(message);
        return map_rc(rc);
    }
    return OMS_OK;
}

/* Runs a statement that returns no rows, then resets it for the next use. */
static enum oms_err step_done(struct oms_store *store, enum stmt_id id)
{
    sqlite3_stmt *stmt = store->stmts[id];
    int rc = sqlite3_step(stmt);
    enum oms_err err = rc == SQLITE_DONE ? OMS_OK : fail(store, rc, "write");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

/* step_done for the statements of every order (line, order, ledger, event, level), whose
 * savers bind every parameter on every call: no sqlite3_clear_bindings, which walks them all
 * again (a few hundred instructions a statement). Their SQLITE_STATIC texts stay bound to
 * the caller's memory until the next call binds them again; nothing reads them meanwhile. */
static enum oms_err step_rebound(struct oms_store *store, enum stmt_id id)
{
    sqlite3_stmt *stmt = store->stmts[id];
    int rc = sqlite3_step(stmt);
    enum oms_err err = rc == SQLITE_DONE ? OMS_OK : fail(store, rc, "write");
    sqlite3_reset(stmt);
    return err;
}

static enum oms_err migrate(struct oms_store *store)
{
    int64_t version = 0;
    enum oms_err err = exec(store, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER)");
    if (err) return err;
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(store->db, "SELECT coalesce(max(version), 0) FROM schema_version",
                                -1, &stmt, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) version = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) return fail(store, rc, "read the schema version");
    int64_t latest = (int64_t)OMS_ARRAY_LEN(oms_sqlite_migrations);
    if (version > latest) {
        oms_log(OMS_LOG_ERROR, "database schema %lld is newer than this oms (%lld)",
                (long long)version, (long long)latest);
        return OMS_ECORRUPT;
    }
    if (version == latest) return OMS_OK;
    if ((err = exec(store, "BEGIN IMMEDIATE"))) return err;
    for (int64_t v = version; v < latest; v++) {
        if ((err = exec(store, oms_sqlite_migrations[v]))) break;
        char sql[96];
        snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES(%lld)", (long long)v + 1);
        if ((err = exec(store, sql))) break;
    }
    if (err) {
        (void)exec(store, "ROLLBACK");
        return err;
    }
    return exec(store, "COMMIT");
}

static enum oms_err take_lock(struct oms_store *store, const char *path)
{
    char lock_path[4096];
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    store->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (store->lock_fd < 0) return OMS_EIO;
    if (flock(store->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        close(store->lock_fd);
        store->lock_fd = -1;
        return OMS_ELOCKED;
    }
    return OMS_OK;
}

enum oms_err oms_store_open(const char *path, bool exclusive, bool readonly,
                            struct oms_store **out)
{
    struct oms_store *store = calloc(1, sizeof *store);
    if (!store) return OMS_ENOMEM;
    store->lock_fd = -1;
    store->wal_fd = -1;
    enum oms_err err = exclusive ? take_lock(store, path) : OMS_OK;
    if (err) {
        free(store);
        return err;
    }
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &store->db, flags | SQLITE_OPEN_NOMUTEX, oms__sqlite_vfs());
    if (rc != SQLITE_OK) {
        err = fail(store, rc, "open the database");
        oms_store_close(store);
        return err == OMS_OK ? OMS_ESTORE : err;
    }
    sqlite3_busy_timeout(store->db, 5000);
    if (!readonly) {
        err = exec(store, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                          " PRAGMA foreign_keys=ON;");
        if (!err) err = migrate(store);
    }
    for (int i = 0; !err && i < ST_COUNT_; i++) {
        if (readonly && i != ST_LIST_EVENTS && i != ST_LAST_EVENT && i != ST_META_GET &&
            i != ST_SUBJECT_EVENTS) {
            continue;
        }
        rc = sqlite3_prepare_v3(store->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                &store->stmts[i], NULL);
        if (rc != SQLITE_OK) err = fail(store, rc, "prepare a statement");
    }
    if (!err && !readonly) {
        store->outbox = oms__outbox_rows_new();
        if (!store->outbox) err = OMS_ENOMEM;
    }
    if (!err && !readonly) {
        err = single_int(store, store->stmts[ST_LAST_LEDGER], &store->ledger_seq);
    }
    if (!err && !readonly) {
        err = oms_store_meta_get(store, LEVELS_SEQ_KEY, &store->levels_seq);
        if (err == OMS_ENOTFOUND) err = OMS_OK; /* A new database: no ledger yet. */
    }
    if (err) {
        oms_store_close(store);
        return err;
    }
    *out = store;
    return OMS_OK;
}

void oms_store_close(struct oms_store *store)
{
    if (!store) return;
    if (store->wal_fd >= 0) close(store->wal_fd); /* SQLite holds no lock on the WAL. */
    for (int i = 0; i < ST_COUNT_; i++) sqlite3_finalize(store->stmts[i]);
    oms__outbox_rows_free(store->outbox);
    sqlite3_close(store->db);
    if (store->lock_fd >= 0) close(store->lock_fd);
    free(store);
}

enum oms_err oms_store_begin(struct oms_store *store) { return step_done(store, ST_BEGIN); }
enum oms_err oms_store_commit(struct oms_store *store)
{
    enum oms_err err = oms__outbox_flush(store->outbox, store->db);
    return err ? err : step_done(store, ST_COMMIT);
}

/* Replaces SQLite's automatic checkpoint (itself a WAL hook): only counts. */
static int on_wal_commit(void *ctx, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((struct oms_store *)ctx)->wal_frames = frames > 0 ? (uint32_t)frames : 0;
    return SQLITE_OK;
}

enum oms_err oms_store_defer_sync(struct oms_store *store)
{
    OMS_ASSERT(store->wal_fd < 0);
    /* The WAL exists from the first read of a WAL database on, and is never deleted while
     * this connection is open: one descriptor serves for the life of the store. */
    const char *wal = sqlite3_filename_wal(sqlite3_db_filename(store->db, "main"));
    if (!wal) return OMS_ESTORE;
    store->wal_fd = open(wal, O_RDWR | O_CLOEXEC);
    if (store->wal_fd < 0) {
        oms_log(OMS_LOG_ERROR, "cannot open the WAL %s: %s", wal, strerror(errno));
        return OMS_EIO;
    }
    enum oms_err err = exec(store, "PRAGMA synchronous=NORMAL;");
    if (!err) err = oms_store_sync(store);
    if (!err) sqlite3_wal_hook(store->db, on_wal_commit, store);
    return err;
}

uint32_t oms_store_wal_frames(const struct oms_store *store) { return store->wal_frames; }

enum oms_err oms_store_checkpoint(struct oms_store *store)
{
    int log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(store->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (rc == SQLITE_BUSY) return OMS_OK; /* Another checkpoint runs: it does the work. */
    return rc == SQLITE_OK ? OMS_OK : fail(store, rc, "checkpoint the WAL");
}

enum oms_err oms_store_sync(struct oms_store *store)
{
    if (store->wal_fd < 0) return OMS_OK;
    if (fdatasync(store->wal_fd) != 0) {
        oms_log(OMS_LOG_ERROR, "cannot sync the WAL: %s", strerror(errno));
        return OMS_EIO;
    }
    return OMS_OK;
}

static void bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text) {
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(stmt, index);
    }
}

static void bind_day(sqlite3_stmt *stmt, int index, oms_day day)
{
    if (day == OMS_DAY_NONE) {
        sqlite3_bind_null(stmt, index);
    } else {
        sqlite3_bind_int64(stmt, index, day);
    }
}

enum oms_err oms_store_save_item(struct oms_store *store, const struct oms_state *state,
                                 uint32_t index)
{
    const struct oms_item *item = &state->items[index];
    sqlite3_stmt *stmt = store->stmts[ST_ITEM];
    sqlite3_bind_int64(stmt, 1, index);
    bind_text(stmt, 2, item->sku);
    bind_text(stmt, 3, item->name);
    sqlite3_bind_int64(stmt, 4, item->price_minor);
    bind_text(stmt, 5, item->currency);
    sqlite3_bind_int(stmt, 6, (int)item->policy);
    sqlite3_bind_int64(stmt, 7, item->backorder_limit);
    sqlite3_bind_int64(stmt, 8, item->lead_time_days);
    sqlite3_bind_int64(stmt, 9, item->low_stock_threshold);
    sqlite3_bind_int64(stmt, 10, item->min_order_qty);
    bind_day(stmt, 11, item->release_day);
    sqlite3_bind_int(stmt, 12, item->allow_split);
    return step_done(store, ST_ITEM);
}

enum oms_err oms_store_save_location(struct oms_store *store, const struct oms_state *state,
                                     uint32_t index)
{
    const struct oms_location *location = &state->locations[index];
    sqlite3_stmt *stmt = store->stmts[ST_LOCATION];
    sqlite3_bind_int64(stmt, 1, index);
    bind_text(stmt, 2, location->code);
    bind_text(stmt, 3, location->name);
    sqlite3_bind_int(stmt, 4, (int)location->kind);
    bind_text(stmt, 5, location->region);
    sqlite3_bind_int(stmt, 6, location->priority);
    bind_text(stmt, 7, location->timezone);
    sqlite3_bind_int(stmt, 8, location->handling_days);
    sqlite3_bind_int(stmt, 9, (int)location->working_mask);
    return step_done(store, ST_LOCATION);
}

enum oms_err oms_store_save_channel(struct oms_store *store, const struct oms_state *state,
                                    uint32_t index)
{
    const struct oms_channel *channel = &state->channels[index];
    /* Location codes joined by newlines: codes are validated to hold no control characters. */
    size_t len = 1;
    for (uint32_t i = 0; i < channel->location_codes_count; i++) {
        len += strlen(channel->location_codes[i]) + 1;
    }
    char *codes = calloc(1, len);
    if (!codes) return OMS_ENOMEM;
    for (uint32_t i = 0; i < channel->location_codes_count; i++) {
        if (i) strcat(codes, "\n");
        strcat(codes, channel->location_codes[i]);
    }
    sqlite3_stmt *stmt = store->stmts[ST_CHANNEL];
    sqlite3_bind_int64(stmt, 1, index);
    bind_text(stmt, 2, channel->code);
    bind_text(stmt, 3, channel->name);
    sqlite3_bind_int64(stmt, 4, channel->buffer);
    sqlite3_bind_int(stmt, 5, channel->allow_backorder);
    sqlite3_bind_int(stmt, 6, channel->priority);
    bind_text(stmt, 7, codes);
    sqlite3_bind_int(stmt, 8, channel->cancel_on_delay);
    sqlite3_bind_int(stmt, 9, channel->buffer_percent);
    sqlite3_bind_int(stmt, 10, channel->exclude_stores);
    enum oms_err err = step_done(store, ST_CHANNEL);
    free(codes);
    return err;
}

enum oms_err oms_store_save_rule(struct oms_store *store, const struct oms_state *state,
                                 uint32_t item, uint32_t channel)
{
    const struct oms_item *it = &state->items[item];
    const struct oms_channel_rule *rule = oms_rule_find(it->rules, it->rules_count, channel);
    enum stmt_id id = rule ? ST_RULE : ST_RULE_DELETE;
    sqlite3_stmt *stmt = store->stmts[id];
    sqlite3_bind_int64(stmt, 1, channel);
    sqlite3_bind_int64(stmt, 2, item);
    if (rule) {
        /* Unbound parameters are NULL: a field not set. */
        if (rule->set & OMS_RULE_BUFFER) sqlite3_bind_int64(stmt, 3, rule->buffer);
        if (rule->set & OMS_RULE_BUFFER_PERCENT) sqlite3_bind_int(stmt, 4, rule->buffer_percent);
        if (rule->set & OMS_RULE_CAP) {
            sqlite3_bind_int64(stmt, 5, rule->cap_qty);
            sqlite3_bind_int(stmt, 6, (int)rule->cap_period);
        }
        if (rule->set & OMS_RULE_FLOOR) sqlite3_bind_int64(stmt, 7, rule->floor);
    }
    return step_done(store, id);
}

enum oms_err oms_store_save_level(struct oms_store *store, const struct oms_state *state,
                                  uint32_t item, uint32_t location)
{
    const struct oms_stock_level *level = &state->items[item].levels[location];
    sqlite3_stmt *stmt = store->stmts[ST_LEVEL];
    sqlite3_bind_int64(stmt, 1, item);
    sqlite3_bind_int64(stmt, 2, location);
    sqlite3_bind_int64(stmt, 3, level->on_hand);
    sqlite3_bind_int64(stmt, 4, level->allocated);
    sqlite3_bind_int64(stmt, 5, level->reserved);
    sqlite3_bind_int64(stmt, 6, level->safety);
    sqlite3_bind_int64(stmt, 7, level->unavailable);
    return step_rebound(store, ST_LEVEL);
}

enum oms_err oms_store_save_supply(struct oms_store *store, const struct oms_state *state,
                                   uint32_t index)
{
    const struct oms_supply *supply = &state->supplies[index];
    sqlite3_stmt *stmt = store->stmts[ST_SUPPLY];
    sqlite3_bind_int64(stmt, 1, index);
    bind_text(stmt, 2, supply->id);
    sqlite3_bind_int64(stmt, 3, supply->item);
    sqlite3_bind_int64(stmt, 4, supply->location);
    sqlite3_bind_int64(stmt, 5, supply->qty);
    sqlite3_bind_int64(stmt, 6, supply->received);
    sqlite3_bind_int64(stmt, 7, supply->expected_day);
    sqlite3_bind_int(stmt, 8, (int)supply->status);
    sqlite3_bind_int(stmt, 9, supply->transfer);
    if (supply->from_location == OMS_NONE) {
        sqlite3_bind_null(stmt, 10);
    } else {
        sqlite3_bind_int64(stmt, 10, supply->from_location);
    }
    return step_done(store, ST_SUPPLY);
}

enum oms_err oms_store_save_order(struct oms_store *store, const struct oms_state *state,
                                  uint32_t index, const char *answer, size_t answer_len)
{
    const struct oms_order *order = &state->orders[index];
    sqlite3_stmt *stmt = store->stmts[ST_ORDER];
    sqlite3_bind_int64(stmt, 1, index);
    bind_text(stmt, 2, order->id);
    sqlite3_bind_int64(stmt, 3, order->channel);
    bind_text(stmt, 4, order->region);
    bind_text(stmt, 5, order->customer_ref);
    bind_text(stmt, 6, order->contact);
    sqlite3_bind_int64(stmt, 7, order->at_ms);
    sqlite3_bind_int64(stmt, 8, order->created_ms);
    sqlite3_bind_int64(stmt, 9, order->first_line);
    sqlite3_bind_int64(stmt, 10, order->lines_count);
    bind_text(stmt, 11, order->fingerprint);
    if (answer) {
        sqlite3_bind_blob(stmt, 12, answer, (int)answer_len, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(stmt, 12);
    }
    if (order->collect == OMS_NONE) {
        sqlite3_bind_null(stmt, 13);
    } else {
        sqlite3_bind_int64(stmt, 13, order->collect);
    }
    return step_rebound(store, ST_ORDER);
}

/* A growing text buffer, on the stack until it outgrows it; aborts on out of memory. A
 * line's allocations and pegs are written by hand, not by snprintf (a fifth of the cost of
 * saving a line), character for character what "%u:%lld:%d:%d" and "%lld:%d:%lld:%d" give. */
struct text {
    char *data;
    size_t len, cap;
    char local[256];
};

static void text_init(struct text *text)
{
    text->data = text->local;
    text->len = 0;
    text->cap = sizeof text->local;
    text->local[0] = '\0';
}

static void text_free(struct text *text)
{
    if (text->data != text->local) free(text->data);
}

static void text_put(struct text *text, const char *part, size_t n)
{
    if (text->len + n + 1 > text->cap) {
        size_t cap = (text->len + n + 1) * 2;
        char *grown = text->data == text->local ? malloc(cap) : realloc(text->data, cap);
        OMS_ASSERT(grown != NULL);
        if (text->data == text->local) memcpy(grown, text->local, text->len);
        text->data = grown;
        text->cap = cap;
    }
    memcpy(text->data + text->len, part, n);
    text->len += n;
    text->data[text->len] = '\0';
}

static void text_int(struct text *text, int64_t value)
{
    char digits[24];
    size_t n = 0;
    uint64_t magnitude = value < 0 ? 0u - (uint64_t)value : (uint64_t)value;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (value < 0) digits[sizeof digits - 1 - n++] = '-';
    text_put(text, digits + sizeof digits - n, n);
}

/* The integers of one group, colon separated, after a comma unless it is the first. */
static void text_group(struct text *text, bool first, const int64_t *values, size_t count)
{
    if (!first) text_put(text, ",", 1);
    for (size_t i = 0; i < count; i++) {
        if (i) text_put(text, ":", 1);
        text_int(text, values[i]);
    }
}

enum oms_err oms_store_save_line(struct oms_store *store, const struct oms_state *state,
                                 uint32_t index)
{
    const struct oms_line *line = &state->lines[index];
    struct text allocs, pegs;
    text_init(&allocs);
    text_init(&pegs);
    for (uint32_t i = 0; i < line->allocs_count; i++) {
        const struct oms_line_alloc *a = &line->allocs[i];
        const int64_t group[] = {a->location, a->qty, a->ship_day, (int)a->reason};
        text_group(&allocs, i == 0, group, 4);
    }
    for (uint32_t i = 0; i < line->pegs_count; i++) {
        const struct oms_line_peg *p = &line->pegs[i];
        const int64_t group[] = {p->supply == OMS_NONE ? -1 : (int64_t)p->supply, p->release,
                                 p->qty, p->promise_day};
        text_group(&pegs, i == 0, group, 4);
    }
    sqlite3_stmt *stmt = store->stmts[ST_LINE];
    sqlite3_bind_int64(stmt, 1, index);
    sqlite3_bind_int64(stmt, 2, line->order);
    sqlite3_bind_int64(stmt, 3, line->line_no);
    if (line->item == OMS_NONE) {
        sqlite3_bind_null(stmt, 4);
    } else {
        sqlite3_bind_int64(stmt, 4, line->item);
    }
    bind_text(stmt, 5, line->sku);
    sqlite3_bind_int64(stmt, 6, line->qty);
    sqlite3_bind_int64(stmt, 7, line->shipped);
    sqlite3_bind_int64(stmt, 8, line->cancelled);
    sqlite3_bind_int64(stmt, 9, line->rejected);
    sqlite3_bind_int(stmt, 10, (int)line->reason);
    sqlite3_bind_int(stmt, 11, line->ship_complete);
    sqlite3_bind_int64(stmt, 12, line->price_minor);
    bind_day(stmt, 13, line->promise_day);
    sqlite3_bind_text(stmt, 14, allocs.data, (int)allocs.len, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 15, pegs.data, (int)pegs.len, SQLITE_STATIC);
    bind_day(stmt, 16, line->latest_day);
    sqlite3_bind_int(stmt, 17, line->held);
    sqlite3_bind_int64(stmt, 18, line->returned);
    bind_day(stmt, 19, line->first_promise_day);
    enum oms_err err = step_rebound(store, ST_LINE);
    text_free(&allocs);
    text_free(&pegs);
    return err;
}

enum oms_err oms_store_append_ledger(struct oms_store *store, const struct oms_ledger_entry *e)
{
    sqlite3_stmt *stmt = store->stmts[ST_LEDGER];
    sqlite3_bind_int64(stmt, 1, e->at_ms);
    sqlite3_bind_int64(stmt, 2, e->recorded_ms);
    bind_text(stmt, 3, e->sku);
    bind_text(stmt, 4, e->location);
    bind_text(stmt, 5, e->counter);
    sqlite3_bind_int64(stmt, 6, e->before);
    sqlite3_bind_int64(stmt, 7, e->after);
    bind_text(stmt, 8, e->reason);
    bind_text(stmt, 9, e->ref);
    enum oms_err err = step_rebound(store, ST_LEDGER);
    if (!err) store->ledger_seq = sqlite3_last_insert_rowid(store->db);
    return err;
}

enum oms_err oms_store_levels_checkpoint(struct oms_store *store)
{
    return oms_store_levels_checkpoint_at(store, store->ledger_seq);
}

enum oms_err oms_store_levels_checkpoint_at(struct oms_store *store, int64_t seq)
{
    OMS_ASSERT(seq >= store->levels_seq && seq <= store->ledger_seq);
    if (seq == store->levels_seq) return OMS_OK;
    enum oms_err err = oms_store_meta_put(store, LEVELS_SEQ_KEY, seq);
    if (!err) store->levels_seq = seq;
    return err;
}

int64_t oms_store_ledger_seq(const struct oms_store *store) { return store->ledger_seq; }

enum oms_err oms_store_each_tail_level(struct oms_store *store, const struct oms_state *state,
                                       void (*fn)(void *ctx, uint32_t item, uint32_t location),
                                       void *ctx)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(store->db,
                                "SELECT DISTINCT sku, location FROM ledger WHERE seq > ?", -1,
                                &stmt, NULL);
    if (rc != SQLITE_OK) return fail(store, rc, "list the levels the ledger's tail moved");
    sqlite3_bind_int64(stmt, 1, store->levels_seq);
    enum oms_err err = OMS_OK;
    while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        uint32_t item = oms_state_item(state, (const char *)sqlite3_column_text(stmt, 0));
        uint32_t location = oms_state_location(state, (const char *)sqlite3_column_text(stmt, 1));
        if (item == OMS_NONE || location == OMS_NONE) {
            err = OMS_ECORRUPT;
        } else {
            fn(ctx, item, location);
        }
    }
    if (!err && rc != SQLITE_DONE) err = fail(store, rc, "list the levels the ledger's tail moved");
    sqlite3_finalize(stmt);
    return err;
}

int64_t oms_store_levels_tail(const struct oms_store *store)
{
    return store->ledger_seq - store->levels_seq;
}

enum oms_err oms_store_append_event(struct oms_store *store, int64_t seq, const char *type,
                                    int64_t at_ms, const char *subject, const char *data_json)
{
    OMS_ASSERT(store->outbox != NULL); /* A read-only connection writes no event. */
    return oms__outbox_append(store->outbox, store->db, seq, type, at_ms, subject, data_json);
}

static enum oms_err single_int(struct oms_store *store, sqlite3_stmt *stmt, int64_t *value)
{
    int rc = sqlite3_step(stmt);
    enum oms_err err = OMS_OK;
    if (rc == SQLITE_ROW) {
        *value = sqlite3_column_int64(stmt, 0);
    } else if (rc == SQLITE_DONE) {
        err = OMS_ENOTFOUND;
    } else {
        err = fail(store, rc, "read");
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

enum oms_err oms_store_last_event_seq(struct oms_store *store, int64_t *seq)
{
    enum oms_err err = store->outbox ? oms__outbox_flush(store->outbox, store->db) : OMS_OK;
    return err ? err : single_int(store, store->stmts[ST_LAST_EVENT], seq);
}

static enum oms_err visit_events(struct oms_store *store, sqlite3_stmt *stmt,
                                 void (*visit)(void *ctx, const struct oms_event_row *row),
                                 void *ctx)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct oms_event_row row = {
            .seq = sqlite3_column_int64(stmt, 0),
            .type = (const char *)sqlite3_column_text(stmt, 1),
            .at_ms = sqlite3_column_int64(stmt, 2),
            .subject = (const char *)sqlite3_column_text(stmt, 3),
            .data_json = (const char *)sqlite3_column_text(stmt, 4),
        };
        visit(ctx, &row);
    }
    enum oms_err err = rc == SQLITE_DONE ? OMS_OK : fail(store, rc, "list events");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

enum oms_err oms_store_list_events(struct oms_store *store, int64_t after, uint32_t limit,
                                   void (*visit)(void *ctx, const struct oms_event_row *row),
                                   void *ctx)
{
    enum oms_err err = store->outbox ? oms__outbox_flush(store->outbox, store->db) : OMS_OK;
    if (err) return err;
    sqlite3_stmt *stmt = store->stmts[ST_LIST_EVENTS];
    sqlite3_bind_int64(stmt, 1, after);
    sqlite3_bind_int64(stmt, 2, limit);
    return visit_events(store, stmt, visit, ctx);
}

enum oms_err oms_store_list_subject_events(struct oms_store *store, const char *subject,
                                           int64_t after, uint32_t limit,
                                           void (*visit)(void *ctx,
                                                         const struct oms_event_row *row),
                                           void *ctx)
{
    enum oms_err err = store->outbox ? oms__outbox_flush(store->outbox, store->db) : OMS_OK;
    if (err) return err;
    sqlite3_stmt *stmt = store->stmts[ST_SUBJECT_EVENTS];
    bind_text(stmt, 1, subject);
    sqlite3_bind_int64(stmt, 2, after);
    sqlite3_bind_int64(stmt, 3, limit);
    return visit_events(store, stmt, visit, ctx);
}

static char *copy_blob(sqlite3_stmt *stmt, int column, size_t *len)
{
    const void *data = sqlite3_column_blob(stmt, column);
    *len = (size_t)sqlite3_column_bytes(stmt, column);
    if (!data) return NULL;
    char *copy = malloc(*len + 1);
    OMS_ASSERT(copy != NULL);
    memcpy(copy, data, *len);
    copy[*len] = '\0';
    return copy;
}

enum oms_err oms_store_idem_get(struct oms_store *store, const char *key, char fingerprint[65],
                                int *status, char **body, size_t *body_len)
{
    sqlite3_stmt *stmt = store->stmts[ST_IDEM_GET];
    bind_text(stmt, 1, key);
    int rc = sqlite3_step(stmt);
    enum oms_err err = OMS_OK;
    if (rc == SQLITE_ROW) {
        snprintf(fingerprint, 65, "%s", (const char *)sqlite3_column_text(stmt, 0));
        *status = sqlite3_column_int(stmt, 1);
        *body = copy_blob(stmt, 2, body_len);
    } else {
        err = rc == SQLITE_DONE ? OMS_ENOTFOUND : fail(store, rc, "read an idempotency key");
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

enum oms_err oms_store_idem_put(struct oms_store *store, const char *key, const char *fingerprint,
                                int status, const char *body, size_t body_len, int64_t created_ms)
{
    sqlite3_stmt *stmt = store->stmts[ST_IDEM_PUT];
    bind_text(stmt, 1, key);
    bind_text(stmt, 2, fingerprint);
    sqlite3_bind_int(stmt, 3, status);
    sqlite3_bind_blob(stmt, 4, body, (int)body_len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, created_ms);
    return step_done(store, ST_IDEM_PUT);
}

enum oms_err oms_store_order_answer(struct oms_store *store, uint32_t order, char **body,
                                    size_t *body_len)
{
    sqlite3_stmt *stmt = store->stmts[ST_ORDER_ANSWER];
    sqlite3_bind_int64(stmt, 1, order);
    int rc = sqlite3_step(stmt);
    enum oms_err err = OMS_OK;
    *body = NULL;
    *body_len = 0;
    if (rc == SQLITE_ROW) {
        *body = copy_blob(stmt, 0, body_len);
    } else {
        err = rc == SQLITE_DONE ? OMS_ENOTFOUND : fail(store, rc, "read an order's answer");
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

enum oms_err oms_store_meta_get(struct oms_store *store, const char *key, int64_t *value)
{
    sqlite3_stmt *stmt = store->stmts[ST_META_GET];
    bind_text(stmt, 1, key);
    return single_int(store, stmt, value);
}

enum oms_err oms_store_meta_put(struct oms_store *store, const char *key, int64_t value)
{
    sqlite3_stmt *stmt = store->stmts[ST_META_PUT];
    bind_text(stmt, 1, key);
    sqlite3_bind_int64(stmt, 2, value);
    return step_done(store, ST_META_PUT);
}

enum oms_err oms_store_on_hand_moves_after(struct oms_store *store, const char *sku,
                                           const char *location, int64_t after_ms, oms_qty *net)
{
    sqlite3_stmt *stmt = store->stmts[ST_MOVES_AFTER];
    bind_text(stmt, 1, sku);
    bind_text(stmt, 2, location);
    sqlite3_bind_int64(stmt, 3, after_ms);
    return single_int(store, stmt, net);
}

enum oms_err oms_store_receipts_after(struct oms_store *store, const char *sku,
                                      const char *location, int64_t after_ms, oms_qty *units)
{
    sqlite3_stmt *stmt = store->stmts[ST_RECEIPTS_AFTER];
    bind_text(stmt, 1, sku);
    bind_text(stmt, 2, location);
    sqlite3_bind_int64(stmt, 3, after_ms);
    return single_int(store, stmt, units);
}

enum oms_err oms_store_shipped_from(struct oms_store *store, const char *sku,
                                    const char *order_id,
                                    void (*visit)(void *ctx, const char *location, oms_qty units),
                                    void *ctx)
{
    sqlite3_stmt *stmt = store->stmts[ST_SHIPPED_FROM];
    bind_text(stmt, 1, sku);
    bind_text(stmt, 2, order_id);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *location = (const char *)sqlite3_column_text(stmt, 0);
        if (location) visit(ctx, location, sqlite3_column_int64(stmt, 1));
    }
    enum oms_err err = rc == SQLITE_DONE ? OMS_OK : fail(store, rc, "read where units shipped");
    sqlite3_reset(stmt);
    return err;
}

enum oms_err oms_store_last_count_ms(struct oms_store *store, const char *sku,
                                     const char *location, int64_t *at_ms)
{
    sqlite3_stmt *stmt = store->stmts[ST_LAST_COUNT];
    bind_text(stmt, 1, sku);
    bind_text(stmt, 2, location);
    return single_int(store, stmt, at_ms);
}

enum oms_err oms_store_count(struct oms_store *store, const char *table, int64_t *count)
{
    static const char *const allowed[] = {"ledger", "events", "orders", "lines", "idempotency"};
    bool ok = false;
    for (size_t i = 0; i < OMS_ARRAY_LEN(allowed); i++) ok |= strcmp(allowed[i], table) == 0;
    if (!ok) return OMS_EINVAL;
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK) return fail(store, rc, "count");
    enum oms_err err = single_int(store, stmt, count);
    sqlite3_finalize(stmt);
    return err;
}

sqlite3 *oms__store_db(struct oms_store *store);
sqlite3 *oms__store_db(struct oms_store *store) { return store->db; }

enum oms_err oms_store_save_subscription(struct oms_store *store, const struct oms_state *state,
                                         uint32_t index)
{
    const struct oms_subscription *sub = &state->subscriptions[index];
    sqlite3_stmt *stmt = store->stmts[ST_SUBSCRIPTION];
    sqlite3_bind_int64(stmt, 1, index);
    sqlite3_bind_int64(stmt, 2, sub->item);
    sqlite3_bind_int64(stmt, 3, sub->channel);
    bind_text(stmt, 4, sub->contact);
    sqlite3_bind_int64(stmt, 5, sub->created_ms);
    if (sub->notified) {
        sqlite3_bind_int64(stmt, 6, sub->notified_ms);
    } else {
        sqlite3_bind_null(stmt, 6);
    }
    return step_done(store, ST_SUBSCRIPTION);
}

enum oms_err oms_store_save_item_status(struct oms_store *store,
                                        const struct oms_item_status_row *row)
{
    sqlite3_stmt *stmt = store->stmts[ST_ITEM_STATUS];
    sqlite3_bind_int64(stmt, 1, row->item);
    sqlite3_bind_int64(stmt, 2, row->channel);
    sqlite3_bind_int(stmt, 3, row->status);
    sqlite3_bind_int64(stmt, 4, row->available);
    sqlite3_bind_int(stmt, 5, row->sellable);
    return step_done(store, ST_ITEM_STATUS);
}

enum oms_err oms_store_list_item_status(struct oms_store *store,
                                        void (*visit)(void *ctx,
                                                      const struct oms_item_status_row *row),
                                        void *ctx)
{
    sqlite3_stmt *stmt = store->stmts[ST_LIST_ITEM_STATUS];
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t item = sqlite3_column_int64(stmt, 0), channel = sqlite3_column_int64(stmt, 1);
        struct oms_item_status_row row = {
            /* Out of range indexes become OMS_NONE, which the caller refuses as corrupt. */
            .item = item >= 0 && item < OMS_NONE ? (uint32_t)item : OMS_NONE,
            .channel = channel >= 0 && channel < OMS_NONE ? (uint32_t)channel : OMS_NONE,
            .status = sqlite3_column_int(stmt, 2),
            .available = sqlite3_column_int64(stmt, 3),
            .sellable = sqlite3_column_int(stmt, 4) != 0,
        };
        visit(ctx, &row);
    }
    enum oms_err err = rc == SQLITE_DONE ? OMS_OK : fail(store, rc, "list item statuses");
    sqlite3_reset(stmt);
    return err;
}
