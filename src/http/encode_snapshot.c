/*
 * encode_snapshot.c - the reconciliation report of a stock snapshot (POST /v1/stock/snapshots):
 * what changed per row, what a newer count superseded, and what looked wrong, with stable
 * warning codes a program can act on. The same text is stored with the snapshot and served
 * again by GET /v1/stock/snapshots/{id}, so it says everything without the model behind it.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"
#include "http/encode.h"

static json_t *row_place(const struct oms_cmd_snapshot *c, uint32_t row)
{
    return json_pack("{s:I, s:o, s:o}", "row", (json_int_t)row, "sku",
                     oms_json_text(c->rows[row].sku), "location",
                     oms_json_text(c->rows[row].location));
}

static json_t *change_json(const struct oms_cmd_snapshot *c, uint32_t row)
{
    const struct oms_snapshot_result *r = &c->results[row];
    json_t *out = row_place(c, row);
    json_object_set_new(out, "erp_on_hand", json_integer(c->rows[row].on_hand));
    json_object_set_new(out, "movements_after_as_of", json_integer(r->movements_after));
    json_object_set_new(out, "on_hand_before", json_integer(r->on_hand_before));
    json_object_set_new(out, "on_hand_after", json_integer(r->on_hand_after));
    json_object_set_new(out, "delta", json_integer(r->on_hand_after - r->on_hand_before));
    if (r->unavailable_after != r->unavailable_before || c->rows[row].has_unavailable) {
        json_object_set_new(out, "unavailable_before", json_integer(r->unavailable_before));
        json_object_set_new(out, "unavailable_after", json_integer(r->unavailable_after));
    }
    return out;
}

/* The lines a short row took units from, by reference: each line is listed once, under
 * promise_changes (snapshot_promise_changes() below); here its key and the units this row's
 * count took from it (a line short at two rows is referred to by both). */
static json_t *lines_json(const struct oms_cmd_snapshot *c, const struct oms_snapshot_warning *w,
                          const struct oms_state *state)
{
    json_t *lines = json_array();
    for (uint32_t i = w->lines_first; i < w->lines_first + w->lines_count; i++) {
        const struct oms_snapshot_line *l = &c->lines[i];
        const struct oms_line *line = &state->lines[l->line];
        json_array_append_new(lines, json_pack("{s:o, s:i, s:I}", "order",
                                               oms_json_text(state->orders[line->order].id),
                                               "line",
                                               (int)line->line_no, "backordered_by_shortage",
                                               (json_int_t)l->taken));
    }
    return lines;
}

/* promise_changes, the one list of the lines the snapshot moved: the lines whose promise the
 * queue re-run moved, and every line a shortage took units from (its promise may not have
 * moved: then old_date equals new_date), each once; those carry what the line has after the
 * change (line_allocated, line_backordered), which the short warnings used to repeat. */
static void snapshot_promise_changes(json_t *answer, const struct oms_command *cmd,
                                     const struct oms_state *state)
{
    const struct oms_cmd_snapshot *c = &cmd->u.snapshot;
    oms__add_promise_changes(answer, cmd, state);
    json_t *changes = json_object_get(answer, "promise_changes");
    /* One entry per change, unless memory ran out while they were built (answer NULL, or an
     * entry missing): then the answer says less rather than the server stopping. */
    if (!json_is_array(changes) || json_array_size(changes) != cmd->changes_count) return;
    for (uint32_t i = 0; i < c->lines_count; i++) {
        const struct oms_snapshot_line *l = &c->lines[i];
        bool seen = false;
        for (uint32_t k = 0; k < i && !seen; k++) seen = c->lines[k].line == l->line;
        if (seen) continue; /* Short at two rows: one entry. */
        json_t *entry = NULL;
        for (uint32_t k = 0; k < cmd->changes_count && !entry; k++) {
            if (cmd->changes[k].line == l->line) entry = json_array_get(changes, k);
        }
        if (!entry) {
            const struct oms_line *line = &state->lines[l->line];
            entry = json_pack("{s:o, s:i, s:o, s:o, s:o, s:I}", "order",
                              oms_json_text(state->orders[line->order].id), "line",
                              (int)line->line_no, "sku", oms_json_text(line->sku), "old_date",
                              oms_json_date(l->promise_day), "new_date",
                              oms_json_date(l->promise_day), "allocated", (json_int_t)0);
            json_array_append_new(changes, entry);
        }
        json_object_set_new(entry, "line_allocated", json_integer(l->allocated));
        json_object_set_new(entry, "line_backordered", json_integer(l->backordered));
    }
}

/* One warning: its code, the row it concerns (null for the whole snapshot), a sentence, and
 * the figures behind it under names that do not change. */
static json_t *warning_json(const struct oms_cmd_snapshot *c, const struct oms_snapshot_warning *w,
                            const struct oms_state *state)
{
    json_t *out = w->row == OMS_SNAPSHOT_NO_ROW ? json_pack("{s:n}", "row") : row_place(c, w->row);
    json_object_set_new(out, "code", json_string(oms_snapshot_warning_name(w->code)));
    const struct oms_snapshot_result *r = w->row == OMS_SNAPSHOT_NO_ROW ? NULL : &c->results[w->row];
    char message[256];
    long long value = (long long)w->value, limit = (long long)w->limit;
    switch (w->code) {
    case OMS_SNAPSHOT_W_STALE:
        snprintf(message, sizeof message,
                 "as_of is %lld hours old (more than %lld): many movements were re-applied on "
                 "top of it; check that the ERP export is the latest",
                 value, limit);
        json_object_set_new(out, "age_hours", json_integer(w->value));
        json_object_set_new(out, "stale_after_hours", json_integer(w->limit));
        break;
    case OMS_SNAPSHOT_W_LARGE_CHANGE:
        snprintf(message, sizeof message,
                 "on_hand moves by %lld (from %lld to %lld), more than %lld units and %lld%%",
                 value, (long long)r->on_hand_before, (long long)r->on_hand_after, limit,
                 (long long)c->change_percent);
        json_object_set_new(out, "delta", json_integer(w->value));
        json_object_set_new(out, "threshold_units", json_integer(c->change_units));
        json_object_set_new(out, "threshold_percent", json_integer(c->change_percent));
        break;
    case OMS_SNAPSHOT_W_BELOW_ALLOCATED:
        snprintf(message, sizeof message,
                 "on_hand %lld is below the %lld units allocated to order lines here", value,
                 limit);
        json_object_set_new(out, "on_hand", json_integer(w->value));
        json_object_set_new(out, "allocated", json_integer(w->limit));
        break;
    case OMS_SNAPSHOT_W_SHORT:
        snprintf(message, sizeof message,
                 "the count left the location %lld units short: %lld taken from safety stock, "
                 "%lld from holds (newest first), the rest from allocations (latest first; "
                 "rule 3b)",
                 value, limit, (long long)w->from_holds);
        json_object_set_new(out, "short", json_integer(w->value));
        json_object_set_new(out, "from_safety", json_integer(w->limit));
        json_object_set_new(out, "from_holds", json_integer(w->from_holds));
        json_object_set_new(out, "lines", lines_json(c, w, state));
        break;
    case OMS_SNAPSHOT_W_RECEIPTS_AFTER:
        snprintf(message, sizeof message,
                 "%lld units received after as_of were re-applied; if the ERP figure already "
                 "counts them, on_hand is that much too high",
                 value);
        json_object_set_new(out, "received", json_integer(w->value));
        break;
    case OMS_SNAPSHOT_W_MOVES_EXCEED:
        snprintf(message, sizeof message,
                 "the movements recorded after as_of take %lld more units than were counted; "
                 "on_hand is set to 0",
                 -value);
        json_object_set_new(out, "erp_on_hand", json_integer(c->rows[w->row].on_hand));
        json_object_set_new(out, "movements_after_as_of", json_integer(r->movements_after));
        break;
    case OMS_SNAPSHOT_W_SUPPLY_DUE:
        snprintf(message, sizeof message,
                 "%lld units of open supply (%lld lines) were due here by as_of: if the ERP "
                 "received and counted them, receive them here too, or they count twice",
                 value, limit);
        json_object_set_new(out, "open_units", json_integer(w->value));
        json_object_set_new(out, "supply_lines", json_integer(w->limit));
        break;
    }
    json_object_set_new(out, "message", json_string(message));
    return out;
}

char *oms_encode_snapshot(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    const struct oms_cmd_snapshot *c = &cmd->u.snapshot;
    json_t *changes = json_array(), *superseded = json_array(), *warnings = json_array();
    for (uint32_t i = 0; i < c->rows_count; i++) {
        const struct oms_snapshot_result *r = &c->results[i];
        if (r->outcome == OMS_SNAPSHOT_CHANGED) json_array_append_new(changes, change_json(c, i));
        if (r->outcome != OMS_SNAPSHOT_SUPERSEDED) continue;
        json_t *row = row_place(c, i);
        json_object_set_new(row, "erp_on_hand", json_integer(c->rows[i].on_hand));
        json_object_set_new(row, "newer_count_at", oms_json_instant(r->last_count_ms));
        json_array_append_new(superseded, row);
    }
    for (uint32_t i = 0; i < c->warnings_count; i++) {
        json_array_append_new(warnings, warning_json(c, &c->warnings[i], state));
    }
    json_t *answer = json_pack(
        "{s:o, s:o, s:o, s:o, s:b, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "id",
        oms_json_text(c->out_id[0] ? c->out_id : NULL), "as_of", oms_json_instant(c->as_of_ms),
        "source", oms_json_text(c->source),
        "recorded_at", oms_json_instant(state->clock_ms), "dry_run", cmd->dry_run, "rows",
        (json_int_t)c->rows_count, "unchanged", (json_int_t)c->unchanged, "changed",
        (json_int_t)c->changed, "superseded", (json_int_t)c->superseded, "changes", changes,
        "superseded_rows", superseded, "warnings", warnings);
    snapshot_promise_changes(answer, cmd, state);
    return oms_json_answer(answer, len);
}
