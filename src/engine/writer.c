/*
 * writer.c - what every command handler shares: the one path that moves a stock counter
 * (with its ledger entry), events, saves, errors, and the local days of locations.
 */
#include "base/platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "core/calendar.h"
#include "engine/notices.h"
#include "engine/tz.h"
#include "engine/writer.h"

void oms__must(enum oms_err err, const char *what)
{
    if (err == OMS_OK) return;
    /* The model already holds the change; nothing of this batch was acknowledged. Stopping
     * here keeps the last commit as the truth, which the next start loads. */
    oms_log(OMS_LOG_ERROR, "cannot %s: %s; stopping so no unsaved change is acknowledged", what,
            oms_err_message(err));
    abort();
}

void oms__mark_dirty(struct oms_writer *w, uint32_t item)
{
    oms__notices_touch(w->notices, item); /* Per command; the list below is per batch. */
    if (item >= w->item_dirty_cap) {
        uint32_t old = w->item_dirty_cap;
        oms_grow((void **)&w->item_dirty, &w->item_dirty_cap, item + 1, 1);
        memset(w->item_dirty + old, 0, w->item_dirty_cap - old);
    }
    if (w->item_dirty[item]) return;
    w->item_dirty[item] = 1;
    oms_grow((void **)&w->dirty_items, &w->dirty_cap, w->dirty_count + 1, sizeof(uint32_t));
    w->dirty_items[w->dirty_count++] = item;
}

void oms__level_stale(struct oms_writer *w, uint32_t item, uint32_t location)
{
    if (item >= w->level_dirty_cap) {
        uint32_t old = w->level_dirty_cap;
        oms_grow((void **)&w->level_dirty, &w->level_dirty_cap, item + 1, sizeof(uint64_t));
        memset(w->level_dirty + old, 0, (w->level_dirty_cap - old) * sizeof(uint64_t));
    }
    uint64_t bit = UINT64_C(1) << location;
    if (w->level_dirty[item] & bit) return;
    w->level_dirty[item] |= bit;
    w->levels_stale++;
}

/* Saves the stale levels of items [from, to): one page of stock_levels holds the levels of
 * neighbouring items, so a range costs few pages however many of its levels changed. */
static void save_stale_range(struct oms_writer *w, uint32_t from, uint32_t to)
{
    if (to > w->level_dirty_cap) to = w->level_dirty_cap;
    for (uint32_t item = from; item < to; item++) {
        for (uint64_t bits = w->level_dirty[item]; bits != 0; bits &= bits - 1) {
            uint32_t location = (uint32_t)__builtin_ctzll(bits);
            oms__must(oms_store_save_level(w->store, &w->state, item, location),
                      "save a stock level");
            w->levels_stale--;
        }
        w->level_dirty[item] = 0;
    }
}

static void start_sweep(struct oms_writer *w)
{
    w->sweep_item = 0;
    w->sweep_batch = 0;
    w->sweep_seq = oms_store_ledger_seq(w->store);
}

void oms__save_levels(struct oms_writer *w, bool now)
{
    int64_t tail = oms_store_levels_tail(w->store);
    if (now || tail >= OMS_LEVELS_TAIL_MAX) {
        if (w->levels_stale == 0 && tail == 0) return;
        save_stale_range(w, 0, w->level_dirty_cap);
        OMS_ASSERT(w->levels_stale == 0);
        oms__must(oms_store_levels_checkpoint(w->store), "save the levels checkpoint");
        start_sweep(w);
        return;
    }
    /* The pass is as far along as its share of sweep_batches batches, or of
     * OMS_LEVELS_SWEEP_ROWS ledger rows if those come first (big batches). */
    uint64_t items = w->state.items_count;
    uint64_t rows = (uint64_t)(oms_store_ledger_seq(w->store) - w->sweep_seq);
    w->sweep_batch++;
    uint64_t by_batches = items * w->sweep_batch / w->sweep_batches;
    uint64_t by_rows = items * rows / OMS_LEVELS_SWEEP_ROWS;
    uint64_t target = by_batches > by_rows ? by_batches : by_rows;
    if (target > items) target = items;
    if (target > w->sweep_item) {
        save_stale_range(w, w->sweep_item, (uint32_t)target);
        w->sweep_item = (uint32_t)target;
    }
    if (w->sweep_item < items) return;
    /* Every level stale when the pass began has been saved since: the rows reflect the
     * ledger up to there at least (a load's replay sets counters to their `after`, so the
     * rows saved later than that are replayed onto harmlessly). */
    oms__must(oms_store_levels_checkpoint_at(w->store, w->sweep_seq),
              "save the levels checkpoint");
    start_sweep(w);
}

static const char *const counter_names[] = {"on_hand", "allocated", "reserved", "safety",
                                            "unavailable"};

static oms_qty *counter_of(struct oms_stock_level *level, enum oms_counter counter)
{
    switch (counter) {
    case OMS_ON_HAND:
        return &level->on_hand;
    case OMS_ALLOCATED:
        return &level->allocated;
    case OMS_RESERVED:
        return &level->reserved;
    case OMS_SAFETY:
        return &level->safety;
    case OMS_UNAVAILABLE:
        return &level->unavailable;
    }
    OMS_ASSERT(false);
    return NULL;
}

void oms__move(struct oms_writer *w, uint32_t item, uint32_t location, enum oms_counter counter,
               oms_qty value, const char *reason, const char *ref)
{
    struct oms_item *it = &w->state.items[item];
    struct oms_stock_level *level = &it->levels[location];
    oms_qty *slot = counter_of(level, counter);
    oms_qty before = *slot;
    if (before == value) return;
    *slot = value;
    OMS_ASSERT(oms_stock_level_valid(level));
    oms__mark_dirty(w, item);
    if (w->dry_run) return;
    struct oms_ledger_entry entry = {
        .at_ms = w->at_ms,
        .recorded_ms = w->state.clock_ms,
        .sku = it->sku,
        .location = w->state.locations[location].code,
        .counter = counter_names[counter],
        .before = before,
        .after = value,
        .reason = reason,
        .ref = ref,
    };
    oms__must(oms_store_append_ledger(w->store, &entry), "append to the ledger");
    oms__level_stale(w, item, location);
    if (item >= w->touched_locations_cap) {
        uint32_t old = w->touched_locations_cap;
        oms_grow((void **)&w->touched_locations, &w->touched_locations_cap, item + 1,
                 sizeof *w->touched_locations);
        memset(w->touched_locations + old, 0,
               (w->touched_locations_cap - old) * sizeof *w->touched_locations);
    }
    _Static_assert(OMS_LOCATIONS_MAX <= 64, "one bit per location in touched_locations");
    OMS_ASSERT(location < OMS_LOCATIONS_MAX);
    uint64_t bit = (uint64_t)1 << location;
    if (w->touched_locations[item] & bit) return;
    w->touched_locations[item] |= bit;
    oms_grow((void **)&w->touched, &w->touched_cap, w->touched_count + 1, sizeof *w->touched);
    w->touched[w->touched_count].item = item;
    w->touched[w->touched_count].location = location;
    w->touched_count++;
}

void oms__emit(struct oms_writer *w, const char *type, const char *subject,
               const char *data_json)
{
    if (w->dry_run) return; /* A dry run reports what would change and writes nothing. */
    w->event_seq++;
    oms__must(oms_store_append_event(w->store, w->event_seq, type, w->state.clock_ms, subject,
                                     data_json),
              "append to the outbox");
}

static void emit_stock(struct oms_writer *w, uint32_t item, uint32_t location)
{
    const struct oms_item *it = &w->state.items[item];
    const struct oms_stock_level *level = &it->levels[location];
    struct oms_jsonw json;
    oms_jsonw_begin(&json);
    oms_jsonw_str(&json, "sku", it->sku);
    oms_jsonw_str(&json, "location", w->state.locations[location].code);
    oms_jsonw_int(&json, "on_hand", level->on_hand);
    oms_jsonw_int(&json, "allocated", level->allocated);
    oms_jsonw_int(&json, "reserved", level->reserved);
    oms_jsonw_int(&json, "safety", level->safety);
    oms_jsonw_int(&json, "unavailable", level->unavailable);
    oms_jsonw_int(&json, "free", oms_stock_free(level));
    oms_jsonw_int(&json, "available", oms_stock_available(level));
    oms__emit(w, "stock.changed", it->sku, oms_jsonw_end(&json));
    if (oms_stock_short(level) > 0) {
        oms_jsonw_begin(&json);
        oms_jsonw_str(&json, "sku", it->sku);
        oms_jsonw_str(&json, "location", w->state.locations[location].code);
        oms_jsonw_int(&json, "short", oms_stock_short(level));
        oms__emit(w, "stock.short", it->sku, oms_jsonw_end(&json));
    }
}

void oms__line_event_begin(struct oms_jsonw *json, const struct oms_writer *w, uint32_t index)
{
    const struct oms_line *line = &w->state.lines[index];
    oms_jsonw_begin(json);
    oms_jsonw_str(json, "order", w->state.orders[line->order].id);
    oms_jsonw_int(json, "line", line->line_no);
    oms_jsonw_str(json, "sku", line->sku);
}

void oms__flush_stock_events(struct oms_writer *w)
{
    for (uint32_t i = 0; i < w->touched_count; i++) {
        emit_stock(w, w->touched[i].item, w->touched[i].location);
    }
    oms__touched_clear(w);
}

void oms__touched_clear(struct oms_writer *w)
{
    for (uint32_t i = 0; i < w->touched_count; i++) {
        w->touched_locations[w->touched[i].item] = 0;
    }
    w->touched_count = 0;
}

void oms__save_supply(struct oms_writer *w, uint32_t supply)
{
    if (w->dry_run) return;
    oms__must(oms_store_save_supply(w->store, &w->state, supply), "save a supply line");
}

void oms__save_line(struct oms_writer *w, uint32_t line)
{
    if (w->dry_run) return;
    oms__must(oms_store_save_line(w->store, &w->state, line), "save an order line");
}

enum oms_err oms__fail(struct oms_command *cmd, enum oms_err err, const char *field,
                       const char *fmt, ...)
{
    cmd->err = err;
    snprintf(cmd->err_field, sizeof cmd->err_field, "%s", field ? field : "");
    va_list args;
    va_start(args, fmt);
    vsnprintf(cmd->err_message, sizeof cmd->err_message, fmt, args);
    va_end(args);
    return err;
}

bool oms__refresh_days(struct oms_writer *w)
{
    bool changed = false;
    for (uint32_t i = 0; i < w->state.locations_count; i++) {
        struct oms_location *location = &w->state.locations[i];
        oms_day today = oms_tz_day(w->tz[i], w->state.clock_ms);
        if (today == location->today && w->day_end_ms[i] > w->state.clock_ms) continue;
        w->day_end_ms[i] = oms_tz_day_start_ms(w->tz[i], today + 1);
        if (today == location->today) continue;
        location->today = today;
        location->ship_day =
            oms_day_add_working(today, location->handling_days, location->working_mask);
        changed = true;
    }
    if (changed) w->master_dirty = true;
    return changed;
}

int64_t oms__next_day_end_ms(const struct oms_writer *w)
{
    int64_t next = INT64_MAX;
    for (uint32_t i = 0; i < w->state.locations_count; i++) {
        if (w->state.locations[i].today != OMS_DAY_NONE && w->day_end_ms[i] < next) {
            next = w->day_end_ms[i];
        }
    }
    return next;
}

/* Takes up to qty units from a line's pegs, latest promise first; returns units taken. */
static oms_qty unpeg(struct oms_writer *w, struct oms_line *line, oms_qty qty)
{
    oms_qty taken = 0;
    while (taken < qty && line->pegs_count > 0) {
        uint32_t latest = 0;
        for (uint32_t i = 1; i < line->pegs_count; i++) {
            if (line->pegs[i].promise_day >= line->pegs[latest].promise_day) latest = i;
        }
        struct oms_line_peg *peg = &line->pegs[latest];
        oms_qty take = qty - taken < peg->qty ? qty - taken : peg->qty;
        peg->qty -= take;
        w->state.items[line->item].backordered -= take;
        taken += take;
        if (peg->supply != OMS_NONE) w->state.supplies[peg->supply].pegged -= take;
        if (peg->qty == 0) line->pegs[latest] = line->pegs[--line->pegs_count];
    }
    return taken;
}

oms_qty oms__release_line(struct oms_writer *w, uint32_t index, oms_qty qty, const char *reason)
{
    struct oms_line *line = &w->state.lines[index];
    const char *ref = w->state.orders[line->order].id;
    oms_qty released = unpeg(w, line, qty);
    while (released < qty && line->allocs_count > 0) {
        struct oms_line_alloc *alloc = &line->allocs[line->allocs_count - 1];
        oms_qty take = qty - released < alloc->qty ? qty - released : alloc->qty;
        const struct oms_stock_level *level = &w->state.items[line->item].levels[alloc->location];
        oms__move(w, line->item, alloc->location, OMS_ALLOCATED, level->allocated - take, reason,
                  ref);
        alloc->qty -= take;
        released += take;
        if (alloc->qty == 0) line->allocs_count--;
    }
    if (line->allocs_count + line->pegs_count == 0) oms_state_queue_remove(&w->state, index);
    return released;
}
