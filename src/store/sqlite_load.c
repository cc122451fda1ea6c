/*
 * sqlite_load.c - rebuilds the in-memory model from the SQLite store at startup: records in
 * index order, then what is derived and never stored (levels of locations added after an
 * item, supply pegged counts, queues in queue order). Every row is input: values are checked
 * and a bad one is OMS_ECORRUPT, never an assertion.
 */
#include "base/platform.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "core/calendar.h"
#include "store/store.h"

/* Defined in sqlite.c: the connection of a store. */
sqlite3 *oms__store_db(struct oms_store *store);
/* Defined in sqlite_holds.c: holds, their lines and the holds orders named. */
enum oms_err oms__store_load_holds(struct oms_store *store, struct oms_state *state);

typedef enum oms_err (*row_fn)(struct oms_state *state, sqlite3_stmt *row);

static const char *col_text(sqlite3_stmt *row, int i)
{
    const char *text = (const char *)sqlite3_column_text(row, i);
    return text ? text : "";
}

static oms_day col_day(sqlite3_stmt *row, int i)
{
    return sqlite3_column_type(row, i) == SQLITE_NULL ? OMS_DAY_NONE
                                                      : (oms_day)sqlite3_column_int64(row, i);
}

static enum oms_err each_row(sqlite3 *db, const char *sql, struct oms_state *state, row_fn fn)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
    enum oms_err err = rc == SQLITE_OK ? OMS_OK : OMS_ESTORE;
    while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) err = fn(state, stmt);
    if (!err && rc != SQLITE_DONE) err = OMS_ESTORE;
    if (err == OMS_ECORRUPT) {
        oms_log(OMS_LOG_ERROR, "cannot load '%.40s': a row contradicts the rows before it", sql);
    } else if (err) {
        oms_log(OMS_LOG_ERROR, "cannot load '%.40s': %s", sql, sqlite3_errmsg(db));
    }
    sqlite3_finalize(stmt);
    return err;
}

static enum oms_err load_location(struct oms_state *state, sqlite3_stmt *row)
{
    if (sqlite3_column_int64(row, 0) != state->locations_count) return OMS_ECORRUPT;
    if (state->locations_count >= OMS_LOCATIONS_MAX) return OMS_ECORRUPT;
    uint32_t cap = state->locations_count;
    oms_grow((void **)&state->locations, &cap, state->locations_count + 1,
             sizeof *state->locations);
    struct oms_location *l = &state->locations[state->locations_count];
    memset(l, 0, sizeof *l);
    l->code = oms_strdup(col_text(row, 1));
    l->name = oms_strdup(col_text(row, 2));
    l->kind = (enum oms_location_kind)sqlite3_column_int(row, 3);
    l->region = oms_strdup(col_text(row, 4));
    l->region_id = oms_state_region(state, l->region);
    l->priority = sqlite3_column_int(row, 5);
    l->timezone = oms_strdup(col_text(row, 6));
    l->handling_days = sqlite3_column_int(row, 7);
    l->working_mask = (uint32_t)sqlite3_column_int(row, 8);
    l->today = OMS_DAY_NONE;
    oms_strmap_put(&state->location_by_code, l->code, state->locations_count);
    state->locations_count++;
    return l->working_mask == 0 ? OMS_ECORRUPT : OMS_OK;
}

static enum oms_err load_item(struct oms_state *state, sqlite3_stmt *row)
{
    if (sqlite3_column_int64(row, 0) != state->items_count) return OMS_ECORRUPT;
    oms_grow((void **)&state->items, &state->items_cap, state->items_count + 1,
             sizeof *state->items);
    struct oms_item *it = &state->items[state->items_count];
    memset(it, 0, sizeof *it);
    it->sku = oms_strdup(col_text(row, 1));
    it->name = oms_strdup(col_text(row, 2));
    it->price_minor = sqlite3_column_int64(row, 3);
    snprintf(it->currency, sizeof it->currency, "%s", col_text(row, 4));
    it->policy = (enum oms_policy)sqlite3_column_int(row, 5);
    it->backorder_limit = sqlite3_column_int64(row, 6);
    it->lead_time_days = (int32_t)sqlite3_column_int64(row, 7);
    it->low_stock_threshold = sqlite3_column_int64(row, 8);
    it->min_order_qty = sqlite3_column_int64(row, 9);
    it->release_day = sqlite3_column_type(row, 10) == SQLITE_NULL
                          ? OMS_DAY_NONE
                          : (oms_day)sqlite3_column_int64(row, 10);
    it->allow_split = sqlite3_column_int(row, 11) != 0;
    it->levels_count = state->locations_count;
    it->levels = calloc(state->locations_count ? state->locations_count : 1, sizeof *it->levels);
    OMS_ASSERT(it->levels != NULL);
    oms_strmap_put(&state->item_by_sku, it->sku, state->items_count);
    state->items_count++;
    return OMS_OK;
}

static enum oms_err load_level(struct oms_state *state, sqlite3_stmt *row)
{
    int64_t item = sqlite3_column_int64(row, 0), location = sqlite3_column_int64(row, 1);
    if (item < 0 || item >= state->items_count || location < 0 ||
        location >= state->locations_count) {
        return OMS_ECORRUPT;
    }
    struct oms_stock_level *level = &state->items[item].levels[location];
    level->on_hand = sqlite3_column_int64(row, 2);
    level->allocated = sqlite3_column_int64(row, 3);
    level->reserved = sqlite3_column_int64(row, 4);
    level->safety = sqlite3_column_int64(row, 5);
    level->unavailable = sqlite3_column_int64(row, 6);
    return oms_stock_level_valid(level) ? OMS_OK : OMS_ECORRUPT;
}

static enum oms_err load_channel(struct oms_state *state, sqlite3_stmt *row)
{
    if (sqlite3_column_int64(row, 0) != state->channels_count) return OMS_ECORRUPT;
    if (state->channels_count >= OMS_CHANNELS_MAX) return OMS_ECORRUPT;
    uint32_t cap = state->channels_count;
    oms_grow((void **)&state->channels, &cap, state->channels_count + 1,
             sizeof *state->channels);
    struct oms_channel *c = &state->channels[state->channels_count];
    memset(c, 0, sizeof *c);
    c->code = oms_strdup(col_text(row, 1));
    c->name = oms_strdup(col_text(row, 2));
    c->buffer = sqlite3_column_int64(row, 3);
    c->allow_backorder = sqlite3_column_int(row, 4) != 0;
    c->priority = sqlite3_column_int(row, 5);
    c->cancel_on_delay = sqlite3_column_int(row, 7) != 0;
    c->buffer_percent = sqlite3_column_int(row, 8);
    c->exclude_stores = sqlite3_column_int(row, 9) != 0;
    if (c->buffer < 0 || c->buffer_percent < 0 || c->buffer_percent > OMS_PERCENT_MAX) {
        return OMS_ECORRUPT;
    }
    char *codes = oms_strdup(col_text(row, 6));
    uint32_t cap_codes = 0;
    for (char *save = NULL, *code = strtok_r(codes, "\n", &save); code;
         code = strtok_r(NULL, "\n", &save)) {
        uint32_t location = oms_state_location(state, code);
        if (location == OMS_NONE) {
            free(codes);
            return OMS_ECORRUPT;
        }
        oms_grow((void **)&c->location_codes, &cap_codes, c->location_codes_count + 1,
                 sizeof(char *));
        c->location_codes[c->location_codes_count++] = oms_strdup(code);
        c->visible |= 1ull << location;
    }
    free(codes);
    oms_strmap_put(&state->channel_by_code, c->code, state->channels_count);
    state->channels_count++;
    return OMS_OK;
}

/* A channel's rule for an item; its cap counter is derived later (engine). */
static enum oms_err load_rule(struct oms_state *state, sqlite3_stmt *row)
{
    int64_t channel = sqlite3_column_int64(row, 0), item = sqlite3_column_int64(row, 1);
    if (channel < 0 || channel >= state->channels_count || item < 0 ||
        item >= state->items_count) {
        return OMS_ECORRUPT;
    }
    struct oms_channel_rule *rule = oms_item_rule_put(&state->items[item], (uint32_t)channel);
    if (sqlite3_column_type(row, 2) != SQLITE_NULL) {
        rule->set |= OMS_RULE_BUFFER;
        rule->buffer = sqlite3_column_int64(row, 2);
    }
    if (sqlite3_column_type(row, 3) != SQLITE_NULL) {
        rule->set |= OMS_RULE_BUFFER_PERCENT;
        rule->buffer_percent = sqlite3_column_int(row, 3);
    }
    if (sqlite3_column_type(row, 4) != SQLITE_NULL) {
        int period = sqlite3_column_int(row, 5);
        if (period < OMS_PERIOD_DAY || period > OMS_PERIOD_MONTH) return OMS_ECORRUPT;
        rule->set |= OMS_RULE_CAP;
        rule->cap_qty = sqlite3_column_int64(row, 4);
        rule->cap_period = (enum oms_cap_period)period;
    }
    if (sqlite3_column_type(row, 6) != SQLITE_NULL) {
        rule->set |= OMS_RULE_FLOOR;
        rule->floor = sqlite3_column_int64(row, 6);
    }
    bool valid = rule->set != 0 && oms_qty_valid(rule->buffer) && oms_qty_valid(rule->cap_qty) &&
                 oms_qty_valid(rule->floor) && rule->buffer_percent >= 0 &&
                 rule->buffer_percent <= OMS_PERCENT_MAX;
    return valid ? OMS_OK : OMS_ECORRUPT;
}

static enum oms_err load_supply(struct oms_state *state, sqlite3_stmt *row)
{
    if (sqlite3_column_int64(row, 0) != state->supplies_count) return OMS_ECORRUPT;
    int64_t item = sqlite3_column_int64(row, 2), location = sqlite3_column_int64(row, 3);
    if (item < 0 || item >= state->items_count || location < 0 ||
        location >= state->locations_count) {
        return OMS_ECORRUPT;
    }
    oms_grow((void **)&state->supplies, &state->supplies_cap, state->supplies_count + 1,
             sizeof *state->supplies);
    struct oms_supply *s = &state->supplies[state->supplies_count];
    memset(s, 0, sizeof *s);
    s->id = oms_strdup(col_text(row, 1));
    s->item = (uint32_t)item;
    s->location = (uint32_t)location;
    s->qty = sqlite3_column_int64(row, 4);
    s->received = sqlite3_column_int64(row, 5);
    s->expected_day = (oms_day)sqlite3_column_int64(row, 6);
    s->status = (enum oms_supply_status)sqlite3_column_int(row, 7);
    s->transfer = sqlite3_column_int(row, 8) != 0;
    s->from_location = sqlite3_column_type(row, 9) == SQLITE_NULL
                           ? OMS_NONE
                           : (uint32_t)sqlite3_column_int64(row, 9);
    if (s->from_location != OMS_NONE && s->from_location >= state->locations_count) {
        return OMS_ECORRUPT;
    }
    if (s->status == OMS_SUPPLY_OPEN) {
        struct oms_item *it = &state->items[item];
        oms_grow((void **)&it->supplies, &it->supplies_cap, it->supplies_count + 1,
                 sizeof(uint32_t));
        it->supplies[it->supplies_count++] = state->supplies_count;
    }
    oms_strmap_put(&state->supply_by_id, s->id, state->supplies_count);
    state->supplies_count++;
    return OMS_OK;
}

static enum oms_err load_region(struct oms_state *state, sqlite3_stmt *row)
{
    if (sqlite3_column_int64(row, 0) != state->table_regions_count) return OMS_ECORRUPT;
    if (state->table_regions_count >= OMS_REGIONS_MAX) return OMS_ECORRUPT;
    const char *code = col_text(row, 1);
    if (oms_state_table_region(state, code) != OMS_NONE) return OMS_ECORRUPT;
    uint32_t index = oms_state_table_region_add(state, code);
    free(state->table_regions[index].name);
    state->table_regions[index].name = oms_strdup(col_text(row, 2));
    return OMS_OK;
}

static enum oms_err load_distance(struct oms_state *state, sqlite3_stmt *row)
{
    int64_t a = sqlite3_column_int64(row, 0), b = sqlite3_column_int64(row, 1);
    int64_t distance = sqlite3_column_int64(row, 2);
    if (a < 0 || b <= a || b >= state->table_regions_count) return OMS_ECORRUPT;
    if (distance < 0 || distance > OMS_DISTANCE_MAX) return OMS_ECORRUPT;
    oms_state_distance_set(state, (uint32_t)a, (uint32_t)b, (int32_t)distance);
    return OMS_OK;
}

static enum oms_err load_order(struct oms_state *state, sqlite3_stmt *row)
{
    if (sqlite3_column_int64(row, 0) != state->orders_count) return OMS_ECORRUPT;
    int64_t channel = sqlite3_column_int64(row, 2);
    if (channel < 0 || channel >= state->channels_count) return OMS_ECORRUPT;
    /* No index keeps ids unique in the file (migration 13): the writer does, and the load
     * refuses what it would have refused. */
    uint32_t taken;
    if (oms_strmap_get(&state->order_by_id, col_text(row, 1), &taken)) {
        oms_log(OMS_LOG_ERROR, "orders %u and %u have one id '%s'", taken, state->orders_count,
                col_text(row, 1));
        return OMS_ECORRUPT;
    }
    oms_grow((void **)&state->orders, &state->orders_cap, state->orders_count + 1,
             sizeof *state->orders);
    struct oms_order *o = &state->orders[state->orders_count];
    memset(o, 0, sizeof *o);
    o->id = oms_strdup(col_text(row, 1));
    o->channel = (uint32_t)channel;
    o->region = oms_strdup(col_text(row, 3));
    o->region_id = oms_state_region(state, o->region);
    if (sqlite3_column_type(row, 4) != SQLITE_NULL) o->customer_ref = oms_strdup(col_text(row, 4));
    if (sqlite3_column_type(row, 5) != SQLITE_NULL) o->contact = oms_strdup(col_text(row, 5));
    o->at_ms = sqlite3_column_int64(row, 6);
    o->created_ms = sqlite3_column_int64(row, 7);
    o->first_line = (uint32_t)sqlite3_column_int64(row, 8);
    o->lines_count = (uint32_t)sqlite3_column_int64(row, 9);
    snprintf(o->fingerprint, sizeof o->fingerprint, "%s", col_text(row, 10));
    o->collect = OMS_NONE;
    if (sqlite3_column_type(row, 11) != SQLITE_NULL) {
        int64_t collect = sqlite3_column_int64(row, 11);
        if (collect < 0 || collect >= state->locations_count) return OMS_ECORRUPT;
        o->collect = (uint32_t)collect;
    }
    oms_strmap_put(&state->order_by_id, o->id, state->orders_count);
    state->orders_count++;
    return OMS_OK;
}

/* Parses "a:b:c,..." into groups of `width` integers; returns the groups or -1 if malformed. */
static int64_t parse_groups(const char *text, int width, long long *out, int64_t out_max)
{
    int64_t groups = 0;
    const char *p = text;
    while (*p) {
        if (groups >= out_max) return -1;
        for (int k = 0; k < width; k++) {
            char *end;
            out[groups * width + k] = strtoll(p, &end, 10);
            if (end == p) return -1;
            p = end;
            char want = k + 1 < width ? ':' : ',';
            if (*p == want) {
                p++;
            } else if (!(k + 1 == width && *p == '\0')) {
                return -1;
            }
        }
        groups++;
    }
    return groups;
}

static enum oms_err load_line(struct oms_state *state, sqlite3_stmt *row)
{
    if (sqlite3_column_int64(row, 0) != state->lines_count) return OMS_ECORRUPT;
    int64_t order = sqlite3_column_int64(row, 1);
    if (order < 0 || order >= state->orders_count) return OMS_ECORRUPT;
    oms_grow((void **)&state->lines, &state->lines_cap, state->lines_count + 1,
             sizeof *state->lines);
    struct oms_line *l = &state->lines[state->lines_count];
    memset(l, 0, sizeof *l);
    l->order = (uint32_t)order;
    l->line_no = (uint32_t)sqlite3_column_int64(row, 2);
    /* An order's lines are the rows first_line.. in line order (no index checks it in the
     * file: migration 13). */
    const struct oms_order *o = &state->orders[order];
    uint32_t at = state->lines_count;
    if (at < o->first_line || at - o->first_line >= o->lines_count ||
        l->line_no != at - o->first_line + 1) {
        return OMS_ECORRUPT;
    }
    l->item = sqlite3_column_type(row, 3) == SQLITE_NULL ? OMS_NONE
                                                         : (uint32_t)sqlite3_column_int64(row, 3);
    if (l->item != OMS_NONE && l->item >= state->items_count) return OMS_ECORRUPT;
    l->sku = oms_strdup(col_text(row, 4));
    l->qty = sqlite3_column_int64(row, 5);
    l->shipped = sqlite3_column_int64(row, 6);
    l->cancelled = sqlite3_column_int64(row, 7);
    l->rejected = sqlite3_column_int64(row, 8);
    l->reason = (enum oms_reject_reason)sqlite3_column_int(row, 9);
    l->ship_complete = sqlite3_column_int(row, 10) != 0;
    l->price_minor = sqlite3_column_int64(row, 11);
    l->promise_day = col_day(row, 12);
    l->latest_day = col_day(row, 15);
    l->held = sqlite3_column_int(row, 16) != 0;
    l->returned = sqlite3_column_int64(row, 17);
    l->first_promise_day = col_day(row, 18);
    state->lines_count++;
    long long values[OMS_PEGS_MAX * 4];
    int64_t n = parse_groups(col_text(row, 13), 4, values, OMS_LOCATIONS_MAX);
    if (n < 0) return OMS_ECORRUPT;
    for (int64_t i = 0; i < n; i++) {
        if (values[i * 4] < 0 || values[i * 4] >= state->locations_count) return OMS_ECORRUPT;
        long long reason = values[i * 4 + 3];
        if (reason < 0 || reason > OMS_SOURCE_REASON_LAST) return OMS_ECORRUPT;
        oms_grow((void **)&l->allocs, &l->allocs_cap, l->allocs_count + 1, sizeof *l->allocs);
        l->allocs[l->allocs_count++] = (struct oms_line_alloc){
            (uint32_t)values[i * 4], values[i * 4 + 1], (oms_day)values[i * 4 + 2],
            (enum oms_source_reason)values[i * 4 + 3]};
    }
    n = parse_groups(col_text(row, 14), 4, values, OMS_PEGS_MAX);
    if (n < 0) return OMS_ECORRUPT;
    for (int64_t i = 0; i < n; i++) {
        long long supply = values[i * 4];
        if (supply < -1 || supply >= state->supplies_count) return OMS_ECORRUPT;
        oms_grow((void **)&l->pegs, &l->pegs_cap, l->pegs_count + 1, sizeof *l->pegs);
        l->pegs[l->pegs_count++] = (struct oms_line_peg){
            supply < 0 ? OMS_NONE : (uint32_t)supply, values[i * 4 + 1] != 0, values[i * 4 + 2],
            (oms_day)values[i * 4 + 3]};
        if (supply >= 0) state->supplies[supply].pegged += values[i * 4 + 2];
        if (l->item != OMS_NONE) state->items[l->item].backordered += values[i * 4 + 2];
    }
    return OMS_OK;
}

static enum oms_err load_subscription(struct oms_state *state, sqlite3_stmt *row)
{
    if (sqlite3_column_int64(row, 0) != state->subscriptions_count) return OMS_ECORRUPT;
    int64_t item = sqlite3_column_int64(row, 1), channel = sqlite3_column_int64(row, 2);
    if (item < 0 || item >= state->items_count) return OMS_ECORRUPT;
    if (channel < 0 || channel >= state->channels_count) return OMS_ECORRUPT;
    oms_grow((void **)&state->subscriptions, &state->subscriptions_cap,
             state->subscriptions_count + 1, sizeof *state->subscriptions);
    state->subscriptions[state->subscriptions_count++] = (struct oms_subscription){
        .item = (uint32_t)item,
        .channel = (uint32_t)channel,
        .contact = oms_strdup(col_text(row, 3)),
        .created_ms = sqlite3_column_int64(row, 4),
        .notified = sqlite3_column_type(row, 5) != SQLITE_NULL,
        .notified_ms = sqlite3_column_int64(row, 5),
    };
    return OMS_OK;
}

/* Level rows are a checkpoint: each ledger row after it sets one counter to its `after`. */
static enum oms_err replay_level(struct oms_state *state, sqlite3_stmt *row)
{
    uint32_t item = oms_state_item(state, col_text(row, 0));
    uint32_t location = oms_state_location(state, col_text(row, 1));
    const char *counter = col_text(row, 2);
    oms_qty after = sqlite3_column_int64(row, 3);
    if (item == OMS_NONE || location == OMS_NONE || after < 0 || after > OMS_QTY_MAX) {
        return OMS_ECORRUPT;
    }
    struct oms_stock_level *level = &state->items[item].levels[location];
    if (strcmp(counter, "on_hand") == 0) {
        level->on_hand = after;
    } else if (strcmp(counter, "allocated") == 0) {
        level->allocated = after;
    } else if (strcmp(counter, "reserved") == 0) {
        level->reserved = after;
    } else if (strcmp(counter, "safety") == 0) {
        level->safety = after;
    } else if (strcmp(counter, "unavailable") == 0) {
        level->unavailable = after;
    } else {
        return OMS_ECORRUPT;
    }
    return OMS_OK; /* Levels are checked once every row is replayed (oms_state_check). */
}

/* The ledger rows after the levels checkpoint (migration 10), in commit order. */
static enum oms_err replay_ledger_tail(struct oms_store *store, struct oms_state *state)
{
    int64_t after = 0;
    enum oms_err err = oms_store_meta_get(store, "levels_ledger_seq", &after);
    if (err && err != OMS_ENOTFOUND) return err;
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT sku, location, counter, after FROM ledger WHERE seq > %lld ORDER BY seq",
             (long long)after);
    return each_row(oms__store_db(store), sql, state, replay_level);
}

enum oms_err oms_store_load(struct oms_store *store, struct oms_state *state)
{
    sqlite3 *db = oms__store_db(store);
    static const struct {
        const char *sql;
        row_fn fn;
    } steps[] = {
        {"SELECT idx, code, name, kind, region, priority, timezone, handling_days, working_mask"
         " FROM locations ORDER BY idx",
         load_location},
        {"SELECT idx, sku, name, price_minor, currency, policy, backorder_limit, lead_time_days,"
         " low_stock_threshold, min_order_qty, release_day, allow_split FROM items ORDER BY idx",
         load_item},
        {"SELECT item, location, on_hand, allocated, reserved, safety, unavailable"
         " FROM stock_levels",
         load_level},
        {"SELECT idx, code, name, buffer, allow_backorder, priority, locations, delay_policy,"
         " buffer_percent, exclude_stores FROM channels ORDER BY idx",
         load_channel},
        {"SELECT channel, item, buffer, buffer_percent, cap_qty, cap_period, floor"
         " FROM channel_item_rules ORDER BY item, channel",
         load_rule},
        {"SELECT idx, id, item, location, qty, received, expected_day, status, kind,"
         " from_location FROM supply"
         " ORDER BY idx",
         load_supply},
        {"SELECT idx, code, name FROM regions ORDER BY idx", load_region},
        {"SELECT a, b, distance FROM region_distances", load_distance},
        {"SELECT idx, id, channel, region, customer_ref, contact, at_ms, created_ms, first_line,"
         " lines_count, fingerprint, collect FROM orders ORDER BY idx",
         load_order},
        {"SELECT idx, order_idx, line_no, item, sku, qty, shipped, cancelled, rejected, reason,"
         " ship_complete, price_minor, promise_day, allocs, pegs, latest_day, held, returned,"
         " first_promise_day FROM lines ORDER BY idx",
         load_line},
        {"SELECT idx, item, channel, contact, created_ms, notified_ms FROM subscriptions"
         " ORDER BY idx",
         load_subscription},
    };
    for (size_t i = 0; i < OMS_ARRAY_LEN(steps); i++) {
        enum oms_err err = each_row(db, steps[i].sql, state, steps[i].fn);
        if (err) return err;
    }
    enum oms_err err = replay_ledger_tail(store, state);
    if (err) return err;
    oms_state_refresh_ranks(state);
    for (uint32_t i = 0; i < state->lines_count; i++) {
        const struct oms_line *line = &state->lines[i];
        if (line->item != OMS_NONE && line->allocs_count + line->pegs_count > 0) {
            oms_state_queue_insert(state, i);
        }
    }
    err = oms__store_load_holds(store, state);
    if (err) return err;
    int64_t clock = 0;
    err = oms_store_meta_get(store, "clock_ms", &clock);
    if (err && err != OMS_ENOTFOUND) return err;
    state->clock_ms = clock;
    char why[256];
    if (!oms_state_check(state, why, sizeof why)) {
        oms_log(OMS_LOG_ERROR, "database breaks an invariant: %s", why);
        return OMS_ECORRUPT;
    }
    return OMS_OK;
}
