/*
 * apply_snapshot.c - ERP and POS stock snapshots (rule 6 for many levels at once) and their
 * reconciliation report. Every row is a count of one level taken at the snapshot's as_of and
 * goes through the same code as a single count (oms__level_plan, oms__level_apply in
 * apply_stock.c): a newer count supersedes it, movements recorded after as_of are re-applied,
 * a shortage is resolved by rule 3b. The snapshot is one command, so it is applied in one
 * commit or not at all: every row is checked before the first is applied, and each item's
 * queue is re-run once, after every row of the snapshot landed (so the queue sees the whole
 * new truth, not the first half of it).
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "engine/tz.h"
#include "engine/writer.h"

static const char *const warning_names[] = {
    [OMS_SNAPSHOT_W_STALE] = "stale_snapshot",
    [OMS_SNAPSHOT_W_LARGE_CHANGE] = "large_change",
    [OMS_SNAPSHOT_W_BELOW_ALLOCATED] = "below_allocated",
    [OMS_SNAPSHOT_W_SHORT] = "short",
    [OMS_SNAPSHOT_W_RECEIPTS_AFTER] = "receipts_after_as_of",
    [OMS_SNAPSHOT_W_MOVES_EXCEED] = "movements_exceed_count",
    [OMS_SNAPSHOT_W_SUPPLY_DUE] = "open_supply_due",
};

const char *oms_snapshot_warning_name(enum oms_snapshot_warning_code code)
{
    OMS_ASSERT((size_t)code < OMS_ARRAY_LEN(warning_names));
    return warning_names[code];
}

struct row_key {
    uint64_t level; /* item * locations_count + location. */
    uint32_t row;
};

static int compare_keys(const void *a, const void *b)
{
    const struct row_key *x = a, *y = b;
    if (x->level != y->level) return x->level < y->level ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* A level twice in one snapshot is refused: which of two figures would be the count? The
 * error names the first row (in row order) that repeats an earlier one. */
static enum oms_err check_duplicates(struct oms_writer *w, struct oms_command *cmd,
                                     const struct oms__level_change *changes, uint32_t count)
{
    struct row_key *keys = malloc((count + 1) * sizeof *keys);
    OMS_ASSERT(keys != NULL);
    for (uint32_t i = 0; i < count; i++) {
        keys[i].level = (uint64_t)changes[i].item * w->state.locations_count + changes[i].location;
        keys[i].row = i;
    }
    qsort(keys, count, sizeof *keys, compare_keys);
    uint32_t bad = UINT32_MAX, first = 0;
    for (uint32_t i = 1; i < count; i++) {
        if (keys[i].level != keys[i - 1].level || keys[i].row > bad) continue;
        uint32_t k = i; /* Back to the group's first row: the one repeated. */
        while (k > 0 && keys[k - 1].level == keys[i].level) k--;
        bad = keys[i].row;
        first = keys[k].row;
    }
    free(keys);
    if (bad == UINT32_MAX) return OMS_OK;
    char field[48];
    snprintf(field, sizeof field, "rows[%u]", bad);
    const struct oms_snapshot_row *row = &cmd->u.snapshot.rows[bad];
    return oms__fail(cmd, OMS_EINVAL, field,
                     "'%s' at '%s' appears also in rows[%u]; a snapshot counts a level once",
                     row->sku, row->location, first);
}

/* Every row checked, nothing changed: the items and locations exist, each row is a count as
 * taken (unavailable never above its own on_hand, rule 3b), no level twice, and each count is
 * one the engine accepts once the movements since as_of are re-applied. */
static enum oms_err plan_rows(struct oms_writer *w, struct oms_command *cmd,
                              struct oms__level_change *changes, char (*fields)[2][48])
{
    const struct oms_cmd_snapshot *c = &cmd->u.snapshot;
    for (uint32_t i = 0; i < c->rows_count; i++) {
        const struct oms_snapshot_row *row = &c->rows[i];
        snprintf(fields[i][0], sizeof fields[i][0], "rows[%u].on_hand", i);
        snprintf(fields[i][1], sizeof fields[i][1], "rows[%u].unavailable", i);
        changes[i] = (struct oms__level_change){
            .item = oms_state_item(&w->state, row->sku),
            .location = oms_state_location(&w->state, row->location),
            .is_count = true,
            .as_of_ms = c->as_of_ms,
            .counted = row->on_hand,
            .has_unavailable = row->has_unavailable,
            .unavailable = row->unavailable,
            .on_hand_field = fields[i][0],
            .unavailable_field = fields[i][1],
        };
        char field[48];
        if (changes[i].item == OMS_NONE) {
            snprintf(field, sizeof field, "rows[%u].sku", i);
            return oms__fail(cmd, OMS_EINVAL, field,
                             "no item '%s': create it (PUT /v1/items) before its stock", row->sku);
        }
        if (changes[i].location == OMS_NONE) {
            snprintf(field, sizeof field, "rows[%u].location", i);
            return oms__fail(cmd, OMS_EINVAL, field,
                             "no location '%s': create it (PUT /v1/locations) first",
                             row->location);
        }
        if (row->has_unavailable && !oms_count_valid(row->on_hand, row->unavailable)) {
            /* As counted, in row order: what happened since as_of cannot mend it. */
            return oms__fail(cmd, OMS_EINVAL, fields[i][1],
                             "unavailable (%lld) cannot exceed the on_hand counted (%lld)",
                             (long long)row->unavailable, (long long)row->on_hand);
        }
    }
    enum oms_err err = check_duplicates(w, cmd, changes, c->rows_count);
    for (uint32_t i = 0; !err && i < c->rows_count; i++) err = oms__level_plan(w, cmd, &changes[i]);
    return err;
}

static void warn(struct oms_cmd_snapshot *c, uint32_t *cap, enum oms_snapshot_warning_code code,
                 uint32_t row, oms_qty value, oms_qty limit)
{
    oms_grow((void **)&c->warnings, cap, c->warnings_count + 1, sizeof *c->warnings);
    c->warnings[c->warnings_count++] = (struct oms_snapshot_warning){
        .code = code, .row = row, .value = value, .limit = limit};
}

static oms_qty abs_qty(oms_qty value) { return value < 0 ? -value : value; }

/* What looked wrong in one applied row, besides a shortage (reported where it is resolved). */
/* Open supply of the level that was due by the day of as_of (at the location): the ERP may
 * have received it already and counted it, while here it is still to be received. */
static void open_supply_due(const struct oms_writer *w, const struct oms__level_change *change,
                            oms_qty *units, oms_qty *lines)
{
    const struct oms_item *item = &w->state.items[change->item];
    oms_day day = oms_tz_day(w->tz[change->location], change->as_of_ms);
    *units = *lines = 0;
    for (uint32_t k = 0; k < item->supplies_count; k++) {
        const struct oms_supply *supply = &w->state.supplies[item->supplies[k]];
        if (supply->location != change->location || supply->expected_day > day) continue;
        if (supply->qty - supply->received <= 0) continue;
        *units += supply->qty - supply->received;
        (*lines)++;
    }
}

static void warn_row(const struct oms_writer *w, struct oms_cmd_snapshot *c, uint32_t *cap,
                     uint32_t row, const struct oms__level_change *change)
{
    const struct oms_snapshot_result *r = &c->results[row];
    oms_qty delta = r->on_hand_after - r->on_hand_before;
    if (abs_qty(delta) > c->change_units &&
        abs_qty(delta) * 100 > c->change_percent * r->on_hand_before) {
        warn(c, cap, OMS_SNAPSHOT_W_LARGE_CHANGE, row, delta, c->change_units);
    }
    if (r->on_hand_after < r->allocated_before) {
        warn(c, cap, OMS_SNAPSHOT_W_BELOW_ALLOCATED, row, r->on_hand_after, r->allocated_before);
    }
    if (change->receipts_since > 0) {
        warn(c, cap, OMS_SNAPSHOT_W_RECEIPTS_AFTER, row, change->receipts_since, 0);
    }
    if (change->clamped) {
        warn(c, cap, OMS_SNAPSHOT_W_MOVES_EXCEED, row, change->counted + change->since, 0);
    }
    oms_qty due_units, due_lines;
    open_supply_due(w, change, &due_units, &due_lines);
    if (due_units > 0) warn(c, cap, OMS_SNAPSHOT_W_SUPPLY_DUE, row, due_units, due_lines);
}

/* Units each queued line of the item holds at the location, before rule 3b runs. */
struct held {
    uint32_t line;
    oms_qty qty;
};

static struct held *held_at(const struct oms_writer *w, uint32_t item, uint32_t location,
                            uint32_t *count)
{
    const struct oms_item *it = &w->state.items[item];
    struct held *held = malloc((it->queue_count + 1) * sizeof *held);
    OMS_ASSERT(held != NULL);
    *count = 0;
    for (uint32_t q = 0; q < it->queue_count; q++) {
        const struct oms_line *line = &w->state.lines[it->queue[q]];
        oms_qty qty = oms__allocated_at(&w->state, line, location);
        if (qty > 0) held[(*count)++] = (struct held){it->queue[q], qty};
    }
    return held;
}

/* Applies one planned row: the count, and rule 3b when it leaves the location short, with the
 * lines it took units from recorded for the report. */
static void apply_row(struct oms_writer *w, struct oms_cmd_snapshot *c, uint32_t *warnings_cap,
                      uint32_t *lines_cap, uint32_t row, const struct oms__level_change *change)
{
    const struct oms_stock_level before = w->state.items[change->item].levels[change->location];
    struct oms_stock_level planned = before;
    planned.on_hand = change->on_hand;
    planned.unavailable = change->unavailable_after;
    uint32_t held_count = 0;
    struct held *held = oms_stock_free(&planned) < 0
                            ? held_at(w, change->item, change->location, &held_count)
                            : NULL;
    bool short_now = oms__level_apply(w, change, "count", c->out_id[0] ? c->out_id : NULL);
    OMS_ASSERT(short_now == (held != NULL));
    if (!short_now) return;
    const struct oms_stock_level *after = &w->state.items[change->item].levels[change->location];
    uint32_t first = c->lines_count;
    for (uint32_t i = 0; i < held_count; i++) {
        const struct oms_line *line = &w->state.lines[held[i].line];
        oms_qty taken = held[i].qty - oms__allocated_at(&w->state, line, change->location);
        if (taken <= 0) continue;
        oms_grow((void **)&c->lines, lines_cap, c->lines_count + 1, sizeof *c->lines);
        c->lines[c->lines_count++] = (struct oms_snapshot_line){.line = held[i].line,
                                                                .taken = taken};
    }
    free(held);
    warn(c, warnings_cap, OMS_SNAPSHOT_W_SHORT, row, oms_stock_short(&planned),
         before.safety - after->safety);
    c->warnings[c->warnings_count - 1].from_holds = before.reserved - after->reserved;
    c->warnings[c->warnings_count - 1].lines_first = first;
    c->warnings[c->warnings_count - 1].lines_count = c->lines_count - first;
}

/* The snapshot's name: the caller's id, else "snap_<n>" for the n-th snapshot stored (a name a
 * caller took already is skipped). A dry run names nothing it would not keep. */
static void name_snapshot(struct oms_writer *w, struct oms_cmd_snapshot *c, bool dry_run)
{
    if (c->id) {
        snprintf(c->out_id, sizeof c->out_id, "%s", c->id);
        return;
    }
    c->out_id[0] = '\0';
    if (dry_run) return;
    int64_t n = 0;
    oms__must(oms_store_snapshot_count(w->store, &n), "count snapshots");
    for (;;) {
        snprintf(c->out_id, sizeof c->out_id, OMS_SNAPSHOT_ID_PREFIX "%lld", (long long)++n);
        char fingerprint[65];
        char *report = NULL;
        size_t len = 0;
        enum oms_err err = oms_store_snapshot_get(w->store, c->out_id, fingerprint, &report, &len);
        free(report);
        if (err == OMS_ENOTFOUND) return;
        oms__must(err, "read a snapshot");
    }
}

/* Each item the snapshot touched has its queue re-run once; then the lines a shortage took
 * units from are read where they stand. */
static void rerun_queues(struct oms_writer *w, struct oms_cmd_snapshot *c,
                         const struct oms__level_change *changes)
{
    uint8_t *seen = calloc(w->state.items_count + 1, 1);
    OMS_ASSERT(seen != NULL);
    for (uint32_t i = 0; i < c->rows_count; i++) {
        if (c->results[i].outcome != OMS_SNAPSHOT_CHANGED || seen[changes[i].item]) continue;
        seen[changes[i].item] = 1;
        oms__repeg(w, changes[i].item, OMS_NONE);
    }
    w->cause = NULL;
    free(seen);
    for (uint32_t i = 0; i < c->lines_count; i++) {
        const struct oms_line *line = &w->state.lines[c->lines[i].line];
        c->lines[i].allocated = oms_line_allocated(line);
        c->lines[i].backordered = oms_line_backordered(line);
        c->lines[i].promise_day = line->promise_day;
    }
}

/* Applies every planned row in order, with its result and warnings. */
static void apply_rows(struct oms_writer *w, struct oms_cmd_snapshot *c,
                       const struct oms__level_change *changes, uint32_t *warnings_cap)
{
    uint32_t lines_cap = 0;
    for (uint32_t i = 0; i < c->rows_count; i++) {
        const struct oms__level_change *change = &changes[i];
        const struct oms_stock_level *level =
            &w->state.items[change->item].levels[change->location];
        struct oms_snapshot_result *r = &c->results[i];
        *r = (struct oms_snapshot_result){
            .movements_after = change->since,
            .receipts_after = change->receipts_since,
            .on_hand_before = level->on_hand,
            .unavailable_before = level->unavailable,
            .allocated_before = level->allocated,
            .last_count_ms = change->last_count_ms,
        };
        if (change->superseded) {
            /* A newer count is the truth: this row changes nothing, not even unavailable. */
            r->outcome = OMS_SNAPSHOT_SUPERSEDED;
            r->on_hand_after = r->on_hand_before;
            r->unavailable_after = r->unavailable_before;
            c->superseded++;
            continue;
        }
        r->on_hand_after = change->on_hand;
        r->unavailable_after = change->unavailable_after;
        bool changed = r->on_hand_after != r->on_hand_before ||
                       r->unavailable_after != r->unavailable_before;
        r->outcome = changed ? OMS_SNAPSHOT_CHANGED : OMS_SNAPSHOT_UNCHANGED;
        if (changed) c->changed++;
        else c->unchanged++;
        /* An unchanged row is still a count: applied, it is recorded and supersedes older
         * snapshots of the level (decisions.md). */
        apply_row(w, c, warnings_cap, &lines_cap, i, change);
        warn_row(w, c, warnings_cap, i, change);
    }
}

/* One event per applied snapshot, for integrations that act on its outcome (its id is the
 * subject; the report itself is at GET /v1/stock/snapshots/{id}). */
static void emit_applied(struct oms_writer *w, const struct oms_cmd_snapshot *c)
{
    struct oms_jsonw json;
    oms_jsonw_begin(&json);
    oms_jsonw_str(&json, "id", c->out_id);
    oms_jsonw_str(&json, "source", c->source);
    oms_jsonw_int(&json, "rows", c->rows_count);
    oms_jsonw_int(&json, "changed", c->changed);
    oms_jsonw_int(&json, "unchanged", c->unchanged);
    oms_jsonw_int(&json, "superseded", c->superseded);
    oms_jsonw_int(&json, "warnings", c->warnings_count);
    oms__emit(w, "stock.snapshot_applied", c->out_id, oms_jsonw_end(&json));
}

enum oms_err oms__apply_snapshot(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_cmd_snapshot *c = &cmd->u.snapshot;
    if (c->as_of_ms <= 0) return oms__fail(cmd, OMS_EINVAL, "as_of", "as_of is required");
    if (c->rows_count == 0) {
        return oms__fail(cmd, OMS_EINVAL, "rows", "a snapshot needs at least one row");
    }
    if (c->rows_count > OMS_SNAPSHOT_ROWS_MAX) {
        return oms__fail(cmd, OMS_ELIMIT, "rows", "at most %d rows per snapshot (rows_max)",
                         OMS_SNAPSHOT_ROWS_MAX);
    }
    struct oms__level_change *changes = malloc(c->rows_count * sizeof *changes);
    char(*fields)[2][48] = malloc(c->rows_count * sizeof *fields);
    OMS_ASSERT(changes != NULL && fields != NULL);
    enum oms_err err = plan_rows(w, cmd, changes, fields);
    if (err) {
        free(changes);
        free(fields);
        return err;
    }
    name_snapshot(w, c, cmd->dry_run);
    c->results = calloc(c->rows_count, sizeof *c->results);
    OMS_ASSERT(c->results != NULL);
    uint32_t warnings_cap = 0;
    char cause[OMS_SNAPSHOT_OUT_ID_BYTES + 32];
    snprintf(cause, sizeof cause, "stock snapshot%s%s", c->out_id[0] ? " " : "", c->out_id);
    w->cause = cause; /* Lines rule 3b and the re-runs move say why. */
    int64_t age_ms = w->state.clock_ms - c->as_of_ms;
    if (age_ms > c->stale_hours * 3600000) {
        warn(c, &warnings_cap, OMS_SNAPSHOT_W_STALE, OMS_SNAPSHOT_NO_ROW, age_ms / 3600000,
             c->stale_hours);
    }
    apply_rows(w, c, changes, &warnings_cap);
    rerun_queues(w, c, changes);
    if (!cmd->dry_run) emit_applied(w, c);
    free(changes);
    free(fields);
    cmd->status = cmd->dry_run ? 200 : 201; /* A dry run stores no report. */
    return OMS_OK;
}

void oms__save_snapshot(struct oms_writer *w, const struct oms_command *cmd)
{
    const struct oms_cmd_snapshot *c = &cmd->u.snapshot;
    OMS_ASSERT(!cmd->dry_run && c->out_id[0]);
    struct oms_snapshot_record record = {
        .id = c->out_id,
        .fingerprint = cmd->fingerprint,
        .source = c->source,
        .as_of_ms = c->as_of_ms,
        .recorded_ms = w->state.clock_ms,
        .rows = c->rows_count,
        .changed = c->changed,
        .report = cmd->answer,
        .report_len = cmd->answer_len,
    };
    oms__must(oms_store_snapshot_save(w->store, &record), "save a snapshot");
}
