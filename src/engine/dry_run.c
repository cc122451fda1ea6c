/*
 * dry_run.c - "what would this change do?" for supply commands and queue re-runs. The
 * command runs for real on the model with the writer in dry-run mode (no ledger, rows or
 * events written; promise moves recorded), then everything it could have touched is put back
 * from a snapshot taken before: the item's levels, queue and open supply list, the queued
 * lines' allocations and pegs, the item's supply lines, and records created since.
 */
#include "base/platform.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "engine/writer.h"

struct saved_line {
    uint32_t index;
    struct oms_line line; /* Scalars; the arrays below hold the contents. */
    struct oms_line_alloc *allocs;
    struct oms_line_peg *pegs;
};

struct saved_hold_line { /* Rule 3b may take units from holds (a count left a level short). */
    uint32_t index;
    struct oms_hold_alloc *allocs;
    uint32_t allocs_count;
};

struct oms_dry_snapshot {
    uint32_t item;
    oms_qty backordered;
    struct oms_stock_level *levels;
    uint32_t *queue, queue_count;
    uint32_t *supply_list, supply_list_count;
    struct saved_line *lines;
    uint32_t lines_count;
    struct oms_supply *supplies; /* The item's open supply lines, by model index. */
    uint32_t *supply_index, supplies_saved;
    uint32_t supplies_total; /* state->supplies_count at the start. */
    struct saved_hold_line *hold_lines; /* The item's lines of active holds. */
    uint32_t hold_lines_count, hold_lines_cap;
};

static void *copy(const void *src, size_t bytes)
{
    void *dst = malloc(bytes ? bytes : 1);
    OMS_ASSERT(dst != NULL);
    if (bytes) memcpy(dst, src, bytes);
    return dst;
}

/* Only an item something holds can lose held units: the walk over holds is skipped otherwise. */
static void save_hold_lines(const struct oms_state *state, uint32_t item_index,
                            struct oms_dry_snapshot *s)
{
    const struct oms_item *item = &state->items[item_index];
    oms_qty reserved = 0;
    for (uint32_t l = 0; l < item->levels_count; l++) reserved += item->levels[l].reserved;
    if (reserved == 0) return;
    for (uint32_t k = 0; k < state->active_holds_count; k++) {
        const struct oms_hold *hold = &state->holds[state->active_holds[k]];
        for (uint32_t i = 0; i < hold->lines_count; i++) {
            const struct oms_hold_line *line = &state->hold_lines[hold->first_line + i];
            if (line->item != item_index) continue;
            oms_grow((void **)&s->hold_lines, &s->hold_lines_cap, s->hold_lines_count + 1,
                     sizeof *s->hold_lines);
            s->hold_lines[s->hold_lines_count++] = (struct saved_hold_line){
                hold->first_line + i,
                copy(line->allocs, line->allocs_count * sizeof *line->allocs),
                line->allocs_count};
        }
    }
}

static void restore_hold_lines(struct oms_state *state, const struct oms_dry_snapshot *s)
{
    for (uint32_t i = 0; i < s->hold_lines_count; i++) {
        const struct saved_hold_line *saved = &s->hold_lines[i];
        struct oms_hold_line *line = &state->hold_lines[saved->index];
        oms_grow((void **)&line->allocs, &line->allocs_cap, saved->allocs_count,
                 sizeof *line->allocs);
        if (saved->allocs_count > 0) {
            memcpy(line->allocs, saved->allocs, saved->allocs_count * sizeof *line->allocs);
        }
        line->allocs_count = saved->allocs_count;
        free(saved->allocs);
    }
    free(s->hold_lines);
}

struct oms_dry_snapshot *oms__dry_begin(struct oms_writer *w, uint32_t item_index)
{
    const struct oms_state *state = &w->state;
    const struct oms_item *item = &state->items[item_index];
    struct oms_dry_snapshot *s = calloc(1, sizeof *s);
    OMS_ASSERT(s != NULL);
    s->item = item_index;
    s->backordered = item->backordered;
    s->levels = copy(item->levels, item->levels_count * sizeof *item->levels);
    s->queue = copy(item->queue, item->queue_count * sizeof *item->queue);
    s->queue_count = item->queue_count;
    s->supply_list = copy(item->supplies, item->supplies_count * sizeof *item->supplies);
    s->supply_list_count = item->supplies_count;
    s->lines = calloc(item->queue_count + 1, sizeof *s->lines);
    OMS_ASSERT(s->lines != NULL);
    for (uint32_t q = 0; q < item->queue_count; q++) {
        const struct oms_line *line = &state->lines[item->queue[q]];
        struct saved_line *saved = &s->lines[s->lines_count++];
        saved->index = item->queue[q];
        saved->line = *line;
        saved->allocs = copy(line->allocs, line->allocs_count * sizeof *line->allocs);
        saved->pegs = copy(line->pegs, line->pegs_count * sizeof *line->pegs);
    }
    s->supplies_total = state->supplies_count;
    /* Only open supply lines can change (a closed or cancelled one is refused by every
     * command, and pegs point at open ones): the item's open list is all there is to save,
     * which keeps a dry run of a snapshot over many items from walking every supply line
     * once per item. */
    s->supplies = malloc((item->supplies_count + 1) * sizeof *s->supplies);
    s->supply_index = malloc((item->supplies_count + 1) * sizeof *s->supply_index);
    OMS_ASSERT(s->supplies && s->supply_index);
    for (uint32_t k = 0; k < item->supplies_count; k++) {
        uint32_t i = item->supplies[k];
        OMS_ASSERT(state->supplies[i].item == item_index);
        s->supplies[s->supplies_saved] = state->supplies[i];
        s->supply_index[s->supplies_saved++] = i;
    }
    save_hold_lines(state, item_index, s);
    w->dry_run = true;
    return s;
}

/* memcpy that accepts empty arrays, which may be NULL (memcpy's contract forbids NULL). */
static void copy_into(void *dst, const void *src, size_t bytes)
{
    if (bytes > 0) memcpy(dst, src, bytes);
}

static void restore_line(struct oms_state *state, const struct saved_line *saved)
{
    struct oms_line *line = &state->lines[saved->index];
    struct oms_line_alloc *allocs = line->allocs;
    uint32_t allocs_cap = line->allocs_cap;
    struct oms_line_peg *pegs = line->pegs;
    uint32_t pegs_cap = line->pegs_cap;
    oms_grow((void **)&allocs, &allocs_cap, saved->line.allocs_count, sizeof *allocs);
    oms_grow((void **)&pegs, &pegs_cap, saved->line.pegs_count, sizeof *pegs);
    *line = saved->line;
    line->allocs = allocs;
    line->allocs_cap = allocs_cap;
    line->pegs = pegs;
    line->pegs_cap = pegs_cap;
    copy_into(line->allocs, saved->allocs, saved->line.allocs_count * sizeof *allocs);
    copy_into(line->pegs, saved->pegs, saved->line.pegs_count * sizeof *pegs);
}

void oms__dry_end(struct oms_writer *w, struct oms_dry_snapshot *s)
{
    struct oms_state *state = &w->state;
    struct oms_item *item = &state->items[s->item];
    /* Supply lines created by the dry run go first: nothing else refers to them any more. */
    while (state->supplies_count > s->supplies_total) {
        struct oms_supply *created = &state->supplies[--state->supplies_count];
        oms_strmap_remove(&state->supply_by_id, created->id);
        free(created->id);
    }
    copy_into(item->levels, s->levels, item->levels_count * sizeof *item->levels);
    item->backordered = s->backordered;
    oms_grow((void **)&item->queue, &item->queue_cap, s->queue_count, sizeof *item->queue);
    copy_into(item->queue, s->queue, s->queue_count * sizeof *item->queue);
    item->queue_count = s->queue_count;
    oms_grow((void **)&item->supplies, &item->supplies_cap, s->supply_list_count,
             sizeof *item->supplies);
    copy_into(item->supplies, s->supply_list, s->supply_list_count * sizeof *item->supplies);
    item->supplies_count = s->supply_list_count;
    for (uint32_t i = 0; i < s->lines_count; i++) restore_line(state, &s->lines[i]);
    for (uint32_t i = 0; i < s->supplies_saved; i++) {
        state->supplies[s->supply_index[i]] = s->supplies[i];
    }
    restore_hold_lines(state, s);
    for (uint32_t i = 0; i < s->lines_count; i++) {
        free(s->lines[i].allocs);
        free(s->lines[i].pegs);
    }
    free(s->lines);
    free(s->levels);
    free(s->queue);
    free(s->supply_list);
    free(s->supplies);
    free(s->supply_index);
    free(s);
    w->dry_run = false;
    oms__touched_clear(w);
}

void oms__record_change(struct oms_writer *w, uint32_t line, oms_day old_day, oms_day new_day,
                        oms_qty allocated)
{
    for (uint32_t i = 0; i < w->changes_count; i++) {
        struct oms_promise_change *change = &w->changes[i];
        if (change->line != line) continue;
        change->new_day = new_day;
        change->allocated += allocated;
        return;
    }
    oms_grow((void **)&w->changes, &w->changes_cap, w->changes_count + 1, sizeof *w->changes);
    w->changes[w->changes_count++] = (struct oms_promise_change){line, old_day, new_day, allocated};
}

uint32_t oms__dry_begin_items(struct oms_writer *w, const struct oms_command *cmd,
                              struct oms_dry_snapshot ***out)
{
    const struct oms_cmd_snapshot *c = &cmd->u.snapshot;
    uint8_t *seen = calloc(w->state.items_count + 1, 1);
    struct oms_dry_snapshot **snapshots = malloc((c->rows_count + 1) * sizeof *snapshots);
    OMS_ASSERT(seen != NULL && snapshots != NULL);
    uint32_t count = 0;
    for (uint32_t i = 0; i < c->rows_count && i < OMS_SNAPSHOT_ROWS_MAX; i++) {
        uint32_t item = oms_state_item(&w->state, c->rows[i].sku);
        if (item == OMS_NONE || seen[item]) continue; /* The handler refuses unknown items. */
        seen[item] = 1;
        snapshots[count++] = oms__dry_begin(w, item);
    }
    free(seen);
    *out = snapshots;
    return count;
}
