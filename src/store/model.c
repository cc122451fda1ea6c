/*
 * model.c - lifecycle, lookups and the invariant check of the in-memory model.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "core/line.h"
#include "core/plan.h"
#include "store/model.h"

char *oms_strdup(const char *text)
{
    if (!text) return NULL;
    char *copy = strdup(text);
    OMS_ASSERT(copy != NULL);
    return copy;
}

void oms_grow(void **array, uint32_t *cap, uint32_t need, size_t elem_size)
{
    if (need <= *cap) return;
    uint32_t next = *cap ? *cap : 4;
    while (next < need) next *= 2;
    void *grown = realloc(*array, (size_t)next * elem_size);
    OMS_ASSERT(grown != NULL);
    *array = grown;
    *cap = next;
}

void oms_state_init(struct oms_state *state)
{
    memset(state, 0, sizeof *state);
    oms_strmap_init(&state->item_by_sku);
    oms_strmap_init(&state->location_by_code);
    oms_strmap_init(&state->channel_by_code);
    oms_strmap_init(&state->supply_by_id);
    oms_strmap_init(&state->order_by_id);
    oms_strmap_init(&state->region_by_name);
    oms_strmap_init(&state->hold_by_id);
}

void oms_state_release(struct oms_state *state)
{
    for (uint32_t i = 0; i < state->items_count; i++) {
        struct oms_item *item = &state->items[i];
        free(item->sku);
        free(item->name);
        free(item->levels);
        free(item->supplies);
        free(item->queue);
        free(item->rules);
    }
    for (uint32_t i = 0; i < state->locations_count; i++) {
        struct oms_location *location = &state->locations[i];
        free(location->code);
        free(location->name);
        free(location->region);
        free(location->timezone);
    }
    for (uint32_t i = 0; i < state->channels_count; i++) {
        struct oms_channel *channel = &state->channels[i];
        free(channel->code);
        free(channel->name);
        for (uint32_t k = 0; k < channel->location_codes_count; k++) {
            free(channel->location_codes[k]);
        }
        free(channel->location_codes);
    }
    for (uint32_t i = 0; i < state->supplies_count; i++) free(state->supplies[i].id);
    for (uint32_t i = 0; i < state->orders_count; i++) {
        struct oms_order *order = &state->orders[i];
        free(order->id);
        free(order->region);
        free(order->customer_ref);
        free(order->contact);
        free(order->hold_id);
    }
    for (uint32_t i = 0; i < state->lines_count; i++) {
        free(state->lines[i].sku);
        free(state->lines[i].allocs);
        free(state->lines[i].pegs);
    }
    for (uint32_t i = 0; i < state->regions_count; i++) free(state->regions[i]);
    free(state->regions);
    for (uint32_t i = 0; i < state->table_regions_count; i++) {
        free(state->table_regions[i].code);
        free(state->table_regions[i].name);
    }
    free(state->table_regions);
    free(state->region_rows);
    free(state->distances);
    for (uint32_t i = 0; i < state->subscriptions_count; i++) {
        free(state->subscriptions[i].contact);
    }
    free(state->subscriptions);
    for (uint32_t i = 0; i < state->holds_count; i++) {
        free(state->holds[i].id);
        free(state->holds[i].region);
        free(state->holds[i].order_id);
    }
    for (uint32_t i = 0; i < state->hold_lines_count; i++) {
        free(state->hold_lines[i].sku);
        free(state->hold_lines[i].allocs);
    }
    free(state->holds);
    free(state->hold_lines);
    free(state->active_holds);
    free(state->hold_due);
    oms_strmap_release(&state->hold_by_id);
    free(state->items);
    free(state->locations);
    free(state->channels);
    free(state->supplies);
    free(state->orders);
    free(state->lines);
    oms_strmap_release(&state->item_by_sku);
    oms_strmap_release(&state->location_by_code);
    oms_strmap_release(&state->channel_by_code);
    oms_strmap_release(&state->supply_by_id);
    oms_strmap_release(&state->order_by_id);
    oms_strmap_release(&state->region_by_name);
    memset(state, 0, sizeof *state);
}

static uint32_t lookup(const struct oms_strmap *map, const char *key)
{
    uint32_t value;
    return oms_strmap_get(map, key, &value) ? value : OMS_NONE;
}

uint32_t oms_state_item(const struct oms_state *s, const char *sku)
{
    return lookup(&s->item_by_sku, sku);
}

uint32_t oms_state_location(const struct oms_state *s, const char *code)
{
    return lookup(&s->location_by_code, code);
}

uint32_t oms_state_channel(const struct oms_state *s, const char *code)
{
    return lookup(&s->channel_by_code, code);
}

uint32_t oms_state_supply(const struct oms_state *s, const char *id)
{
    return lookup(&s->supply_by_id, id);
}

uint32_t oms_state_order(const struct oms_state *s, const char *id)
{
    return lookup(&s->order_by_id, id);
}

uint32_t oms_state_hold(const struct oms_state *s, const char *id)
{
    return lookup(&s->hold_by_id, id);
}

oms_qty oms_hold_line_reported(const struct oms_hold_line *line)
{
    return oms_hold_line_held(line) + line->consumed; /* consumed is 0 while active. */
}

oms_qty oms_hold_line_held(const struct oms_hold_line *line)
{
    oms_qty sum = 0;
    for (uint32_t i = 0; i < line->allocs_count; i++) sum += line->allocs[i].qty;
    return sum;
}

const char *oms_hold_status_name(enum oms_hold_status status)
{
    static const char *const names[] = {"active", "consumed", "released", "expired",
                                        "unfilled"};
    OMS_ASSERT((size_t)status < OMS_ARRAY_LEN(names));
    return names[status];
}

static bool due_before(const struct oms_hold_due *a, const struct oms_hold_due *b)
{
    if (a->expires_ms != b->expires_ms) return a->expires_ms < b->expires_ms;
    return a->hold < b->hold;
}

static void due_swap(struct oms_hold_due *heap, uint32_t a, uint32_t b)
{
    struct oms_hold_due t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
}

void oms_state_hold_activate(struct oms_state *state, uint32_t hold)
{
    OMS_ASSERT(state->holds[hold].status == OMS_HOLD_ACTIVE);
    oms_grow((void **)&state->active_holds, &state->active_holds_cap,
             state->active_holds_count + 1, sizeof *state->active_holds);
    state->active_holds[state->active_holds_count++] = hold;
    state->active_holds_live++;
    oms_grow((void **)&state->hold_due, &state->hold_due_cap, state->hold_due_count + 1,
             sizeof *state->hold_due);
    struct oms_hold_due *heap = state->hold_due;
    uint32_t at = state->hold_due_count++;
    heap[at] = (struct oms_hold_due){state->holds[hold].expires_ms, hold};
    while (at > 0 && due_before(&heap[at], &heap[(at - 1) / 2])) {
        due_swap(heap, at, (at - 1) / 2);
        at = (at - 1) / 2;
    }
}

void oms_state_hold_deactivate(struct oms_state *state, uint32_t hold)
{
    OMS_ASSERT(state->holds[hold].status != OMS_HOLD_ACTIVE);
    OMS_ASSERT(state->active_holds_live > 0);
    state->active_holds_live--;
    if (state->active_holds_count < 64 || state->active_holds_live * 2 > state->active_holds_count) {
        return;
    }
    uint32_t kept = 0; /* Compaction keeps creation order. */
    for (uint32_t i = 0; i < state->active_holds_count; i++) {
        uint32_t index = state->active_holds[i];
        if (state->holds[index].status == OMS_HOLD_ACTIVE) state->active_holds[kept++] = index;
    }
    OMS_ASSERT(kept == state->active_holds_live);
    state->active_holds_count = kept;
}

static void due_pop(struct oms_state *state)
{
    struct oms_hold_due *heap = state->hold_due;
    OMS_ASSERT(state->hold_due_count > 0);
    heap[0] = heap[--state->hold_due_count];
    uint32_t at = 0;
    for (;;) {
        uint32_t best = at, l = 2 * at + 1, r = 2 * at + 2;
        if (l < state->hold_due_count && due_before(&heap[l], &heap[best])) best = l;
        if (r < state->hold_due_count && due_before(&heap[r], &heap[best])) best = r;
        if (best == at) return;
        due_swap(heap, at, best);
        at = best;
    }
}

int64_t oms_state_hold_next_expiry(struct oms_state *state)
{
    while (state->hold_due_count > 0) {
        const struct oms_hold_due *top = &state->hold_due[0];
        const struct oms_hold *hold = &state->holds[top->hold];
        if (hold->status == OMS_HOLD_ACTIVE && hold->expires_ms == top->expires_ms) {
            return top->expires_ms;
        }
        due_pop(state); /* The hold ended: a stale entry. */
    }
    return INT64_MAX;
}

uint32_t oms_state_hold_pop_due(struct oms_state *state, int64_t now_ms)
{
    if (oms_state_hold_next_expiry(state) > now_ms) return OMS_NONE;
    uint32_t hold = state->hold_due[0].hold;
    due_pop(state);
    return hold;
}

uint32_t oms_state_region(struct oms_state *state, const char *name)
{
    uint32_t id = lookup(&state->region_by_name, name);
    if (id != OMS_NONE) return id;
    uint32_t cap = state->regions_count;
    oms_grow((void **)&state->regions, &cap, state->regions_count + 1, sizeof(char *));
    id = state->regions_count++;
    state->regions[id] = oms_strdup(name);
    oms_strmap_put(&state->region_by_name, state->regions[id], id);
    return id;
}

uint32_t oms_state_table_region(const struct oms_state *state, const char *code)
{
    uint32_t id = lookup(&state->region_by_name, code);
    if (id == OMS_NONE || id >= state->region_rows_count) return OMS_NONE;
    uint32_t row = state->region_rows[id];
    return row == OMS_REGION_NO_ROW ? OMS_NONE : row;
}

uint32_t oms_state_table_region_add(struct oms_state *state, const char *code)
{
    OMS_ASSERT(oms_state_table_region(state, code) == OMS_NONE);
    OMS_ASSERT(state->table_regions_count < OMS_REGIONS_MAX);
    if (!state->distances) {
        size_t cells = (size_t)OMS_REGIONS_MAX * OMS_REGIONS_MAX;
        state->distances = malloc(cells * sizeof *state->distances);
        OMS_ASSERT(state->distances != NULL);
        for (size_t i = 0; i < cells; i++) state->distances[i] = OMS_DISTANCE_UNKNOWN;
    }
    uint32_t id = oms_state_region(state, code);
    if (id >= state->region_rows_count) {
        uint32_t cap = state->region_rows_count;
        oms_grow((void **)&state->region_rows, &cap, id + 1, sizeof *state->region_rows);
        for (uint32_t i = state->region_rows_count; i <= id; i++) {
            state->region_rows[i] = OMS_REGION_NO_ROW;
        }
        state->region_rows_count = id + 1;
    }
    uint32_t row = state->table_regions_count;
    uint32_t cap = row;
    oms_grow((void **)&state->table_regions, &cap, row + 1, sizeof *state->table_regions);
    state->table_regions[row] = (struct oms_region){
        .code = oms_strdup(code), .name = oms_strdup(code), .region_id = id};
    state->table_regions_count++;
    state->region_rows[id] = row;
    return row;
}

void oms_state_distance_set(struct oms_state *state, uint32_t row_a, uint32_t row_b,
                            int32_t distance)
{
    OMS_ASSERT(row_a < state->table_regions_count && row_b < state->table_regions_count);
    OMS_ASSERT(row_a != row_b);
    OMS_ASSERT(distance == OMS_DISTANCE_UNKNOWN || (distance >= 0 && distance <= OMS_DISTANCE_MAX));
    state->distances[(size_t)row_a * OMS_REGIONS_MAX + row_b] = distance;
    state->distances[(size_t)row_b * OMS_REGIONS_MAX + row_a] = distance;
}

int32_t oms_state_distance(const struct oms_state *state, uint32_t row_a, uint32_t row_b)
{
    OMS_ASSERT(row_a < state->table_regions_count && row_b < state->table_regions_count);
    if (row_a == row_b) return 0;
    return state->distances[(size_t)row_a * OMS_REGIONS_MAX + row_b];
}

bool oms_channel_lists(const struct oms_state *state, uint32_t channel, uint32_t location)
{
    const struct oms_channel *c = &state->channels[channel];
    for (uint32_t i = 0; i < c->location_codes_count; i++) {
        if (strcmp(c->location_codes[i], state->locations[location].code) == 0) return true;
    }
    return false;
}

void oms_state_region_table(const struct oms_state *state, struct oms_region_table *out)
{
    *out = (struct oms_region_table){.row_of = state->region_rows,
                                     .ids_count = state->region_rows_count,
                                     .cells = state->distances,
                                     .stride = OMS_REGIONS_MAX};
}

oms_day oms_line_promise(const struct oms_line *line)
{
    oms_day promise = OMS_DAY_NONE;
    for (uint32_t i = 0; i < line->allocs_count; i++) {
        if (line->allocs[i].ship_day > promise) promise = line->allocs[i].ship_day;
    }
    for (uint32_t i = 0; i < line->pegs_count; i++) {
        if (line->pegs[i].promise_day == OMS_DAY_NONE) return OMS_DAY_NONE;
        if (line->pegs[i].promise_day > promise) promise = line->pegs[i].promise_day;
    }
    return promise;
}

oms_qty oms_line_allocated(const struct oms_line *line)
{
    oms_qty sum = 0;
    for (uint32_t i = 0; i < line->allocs_count; i++) sum += line->allocs[i].qty;
    return sum;
}

oms_qty oms_line_backordered(const struct oms_line *line)
{
    oms_qty sum = 0;
    for (uint32_t i = 0; i < line->pegs_count; i++) sum += line->pegs[i].qty;
    return sum;
}

oms_qty oms_line_accepted(const struct oms_line *line)
{
    return oms_line_allocated(line) + oms_line_backordered(line) + line->shipped;
}

void oms_line_counts_get(const struct oms_line *line, struct oms_line_counts *counts)
{
    counts->ordered = line->qty;
    counts->allocated = oms_line_allocated(line);
    counts->backordered = oms_line_backordered(line);
    counts->shipped = line->shipped;
    counts->cancelled = line->cancelled;
    counts->rejected = line->rejected;
}

#define CHECK(cond, ...)                                                                        \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            snprintf(why, why_len, __VA_ARGS__);                                                \
            ok = false;                                                                         \
            goto done;                                                                          \
        }                                                                                       \
    } while (0)

bool oms_state_check(const struct oms_state *state, char *why, size_t why_len)
{
    bool ok = true;
    uint32_t *open_lines = NULL;
    size_t levels = (size_t)state->items_count * state->locations_count;
    oms_qty *allocated = calloc(levels ? levels : 1, sizeof *allocated);
    oms_qty *pegged = calloc(state->supplies_count ? state->supplies_count : 1, sizeof *pegged);
    OMS_ASSERT(allocated && pegged);
    for (uint32_t i = 0; i < state->lines_count; i++) {
        const struct oms_line *line = &state->lines[i];
        struct oms_line_counts counts;
        oms_line_counts_get(line, &counts);
        CHECK(line->order < state->orders_count, "line %u has no order", i);
        const struct oms_order *order = &state->orders[line->order];
        CHECK(i >= order->first_line && i - order->first_line < order->lines_count &&
                  line->line_no == i - order->first_line + 1,
              "line %u is not line %u of order '%s'", i, line->line_no, order->id);
        CHECK(oms_line_counts_valid(&counts), "line %u of order '%s' breaks the line invariant",
              line->line_no, state->orders[line->order].id);
        for (uint32_t k = 0; k < line->allocs_count; k++) {
            CHECK(line->allocs[k].qty > 0, "empty allocation on line %u", i);
            allocated[(size_t)line->item * state->locations_count + line->allocs[k].location] +=
                line->allocs[k].qty;
        }
        for (uint32_t k = 0; k < line->pegs_count; k++) {
            CHECK(line->pegs[k].qty > 0, "empty peg on line %u", i);
            if (line->pegs[k].supply != OMS_NONE) pegged[line->pegs[k].supply] += line->pegs[k].qty;
        }
    }
    oms_qty *reserved = calloc(levels ? levels : 1, sizeof *reserved);
    OMS_ASSERT(reserved != NULL);
    for (uint32_t i = 0; i < state->hold_lines_count; i++) {
        const struct oms_hold_line *line = &state->hold_lines[i];
        if (state->holds[line->hold].status != OMS_HOLD_ACTIVE || line->item == OMS_NONE) continue;
        for (uint32_t k = 0; k < line->allocs_count; k++) {
            reserved[(size_t)line->item * state->locations_count + line->allocs[k].location] +=
                line->allocs[k].qty;
        }
    }
    uint32_t active = 0;
    for (uint32_t i = 0; i < state->holds_count; i++) {
        active += state->holds[i].status == OMS_HOLD_ACTIVE;
    }
    for (uint32_t i = 0; i < state->items_count && ok; i++) {
        if (state->items[i].levels_count != state->locations_count) continue; /* Checked below. */
        for (uint32_t l = 0; l < state->locations_count && ok; l++) {
            oms_qty want = reserved[(size_t)i * state->locations_count + l];
            if (state->items[i].levels[l].reserved == want) continue;
            snprintf(why, why_len, "level of '%s' at '%s' says reserved %lld, holds hold %lld",
                     state->items[i].sku, state->locations[l].code,
                     (long long)state->items[i].levels[l].reserved, (long long)want);
            ok = false;
        }
    }
    free(reserved);
    if (!ok) goto done;
    CHECK(active == state->active_holds_live, "%u holds are active, the list says %u", active,
          state->active_holds_live);
    uint32_t listed = 0;
    for (uint32_t i = 0; i < state->active_holds_count; i++) {
        if (i > 0) {
            CHECK(state->active_holds[i - 1] < state->active_holds[i],
                  "the active holds are out of creation order");
        }
        listed += state->holds[state->active_holds[i]].status == OMS_HOLD_ACTIVE;
    }
    CHECK(listed == active, "%u holds are active, %u are listed", active, listed);
    open_lines = calloc(state->items_count ? state->items_count : 1, sizeof *open_lines);
    OMS_ASSERT(open_lines != NULL);
    for (uint32_t i = 0; i < state->lines_count; i++) {
        const struct oms_line *line = &state->lines[i];
        if (line->item != OMS_NONE && line->allocs_count + line->pegs_count > 0) {
            open_lines[line->item]++;
        }
    }
    for (uint32_t i = 0; i < state->items_count; i++) {
        const struct oms_item *item = &state->items[i];
        CHECK(item->queue_count == open_lines[i], "queue of '%s' holds %u lines, %u are open",
              item->sku, item->queue_count, open_lines[i]);
        oms_qty backordered = 0;
        for (uint32_t q = 0; q < item->queue_count; q++) {
            backordered += oms_line_backordered(&state->lines[item->queue[q]]);
        }
        CHECK(item->backordered == backordered, "item '%s' says %lld backordered, lines %lld",
              item->sku, (long long)item->backordered, (long long)backordered);
        CHECK(item->levels_count == state->locations_count, "item '%s' lacks levels", item->sku);
        for (uint32_t l = 0; l < state->locations_count; l++) {
            const struct oms_stock_level *level = &item->levels[l];
            CHECK(oms_stock_level_valid(level), "invalid level of '%s'", item->sku);
            CHECK(level->allocated == allocated[(size_t)i * state->locations_count + l],
                  "level of '%s' at '%s' says allocated %lld, lines hold %lld", item->sku,
                  state->locations[l].code, (long long)level->allocated,
                  (long long)allocated[(size_t)i * state->locations_count + l]);
        }
        for (uint32_t q = 0; q < item->queue_count; q++) {
            const struct oms_line *line = &state->lines[item->queue[q]];
            CHECK(line->item == i, "queue of '%s' holds a line of another item", item->sku);
            CHECK(oms_line_allocated(line) + oms_line_backordered(line) > 0,
                  "queue of '%s' holds a closed line", item->sku);
            if (q > 0) {
                CHECK(!oms_state_line_before(state, item->queue[q], item->queue[q - 1]),
                      "queue of '%s' is out of order at %u", item->sku, q);
            }
        }
    }
    for (uint32_t i = 0; i < state->supplies_count; i++) {
        const struct oms_supply *supply = &state->supplies[i];
        CHECK(supply->pegged == pegged[i], "supply '%s' pegged %lld, lines hold %lld", supply->id,
              (long long)supply->pegged, (long long)pegged[i]);
        if (supply->status == OMS_SUPPLY_OPEN) {
            CHECK(supply->pegged <= supply->qty - supply->received,
                  "supply '%s' pegs more than it brings", supply->id);
        } else {
            CHECK(supply->pegged == 0, "closed supply '%s' still pegged", supply->id);
        }
    }
done:
    free(open_lines);
    free(allocated);
    free(pegged);
    return ok;
}

bool oms_state_line_before(const struct oms_state *state, uint32_t a, uint32_t b)
{
    const struct oms_line *la = &state->lines[a], *lb = &state->lines[b];
    const struct oms_order *oa = &state->orders[la->order], *ob = &state->orders[lb->order];
    struct oms_queue_key ka = {state->channels[oa->channel].priority, oa->at_ms, oa->id,
                               la->line_no};
    struct oms_queue_key kb = {state->channels[ob->channel].priority, ob->at_ms, ob->id,
                               lb->line_no};
    return oms_queue_before(&ka, &kb);
}

void oms_state_queue_insert(struct oms_state *state, uint32_t line)
{
    struct oms_item *item = &state->items[state->lines[line].item];
    oms_grow((void **)&item->queue, &item->queue_cap, item->queue_count + 1, sizeof(uint32_t));
    /* New orders come in time order, so a line goes at the end or among the last few (orders
     * of the same millisecond sort by id): gallop back from the end (1, 2, 4, ... lines) to a
     * line that comes before it, then search that stretch, instead of a binary search over
     * the whole queue whose every step touches two lines and two orders far apart. */
    uint32_t count = item->queue_count;
    uint32_t lo = 0, hi = count, step = 1;
    while (hi > 0) {
        uint32_t probe = hi > step ? hi - step : 0;
        if (oms_state_line_before(state, item->queue[probe], line)) {
            lo = probe + 1;
            break;
        }
        hi = probe;
        step *= 2;
    }
    /* Binary search in [lo, hi] for the first queued line that comes after this one: those
     * before lo come before it, the one at hi (if any) does not. */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (oms_state_line_before(state, item->queue[mid], line)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    memmove(&item->queue[lo + 1], &item->queue[lo],
            (item->queue_count - lo) * sizeof(uint32_t));
    item->queue[lo] = line;
    item->queue_count++;
}

void oms_state_queue_remove(struct oms_state *state, uint32_t line)
{
    struct oms_item *item = &state->items[state->lines[line].item];
    for (uint32_t i = 0; i < item->queue_count; i++) {
        if (item->queue[i] != line) continue;
        memmove(&item->queue[i], &item->queue[i + 1],
                (item->queue_count - i - 1) * sizeof(uint32_t));
        item->queue_count--;
        return;
    }
}

void oms_state_refresh_ranks(struct oms_state *state)
{
    for (uint32_t i = 0; i < state->locations_count; i++) {
        uint32_t rank = 0;
        for (uint32_t k = 0; k < state->locations_count; k++) {
            if (strcmp(state->locations[k].code, state->locations[i].code) < 0) rank++;
        }
        state->locations[i].rank = rank;
    }
    for (uint32_t c = 0; c < state->channels_count; c++) {
        struct oms_channel *channel = &state->channels[c];
        channel->ships = channel->visible;
        for (uint32_t i = 0; channel->exclude_stores && i < state->locations_count; i++) {
            if (state->locations[i].kind == OMS_LOCATION_STORE) channel->ships &= ~(1ull << i);
        }
        channel->first_location = OMS_NONE;
        for (uint32_t i = 0; i < state->locations_count; i++) {
            if (!((channel->ships >> i) & 1u)) continue;
            const struct oms_location *cand = &state->locations[i];
            if (channel->first_location == OMS_NONE) {
                channel->first_location = i;
                continue;
            }
            const struct oms_location *best = &state->locations[channel->first_location];
            if (cand->priority < best->priority ||
                (cand->priority == best->priority && cand->rank < best->rank)) {
                channel->first_location = i;
            }
        }
    }
}

struct oms_channel_rule *oms_item_rule(struct oms_item *item, uint32_t channel)
{
    return (struct oms_channel_rule *)oms_rule_find(item->rules, item->rules_count, channel);
}

struct oms_channel_rule *oms_item_rule_put(struct oms_item *item, uint32_t channel)
{
    struct oms_channel_rule *found = oms_item_rule(item, channel);
    if (found) return found;
    uint32_t at = 0;
    while (at < item->rules_count && item->rules[at].channel < channel) at++;
    /* Exact size: rules change rarely and most items have one or two. */
    item->rules = realloc(item->rules, (item->rules_count + 1) * sizeof *item->rules);
    OMS_ASSERT(item->rules != NULL);
    memmove(&item->rules[at + 1], &item->rules[at],
            (item->rules_count - at) * sizeof *item->rules);
    item->rules[at] = (struct oms_channel_rule){.channel = channel, .sold_period = OMS_DAY_NONE};
    item->rules_count++;
    return &item->rules[at];
}

void oms_item_rule_remove(struct oms_item *item, uint32_t channel)
{
    struct oms_channel_rule *found = oms_item_rule(item, channel);
    if (!found) return;
    uint32_t at = (uint32_t)(found - item->rules);
    memmove(&item->rules[at], &item->rules[at + 1],
            (item->rules_count - at - 1) * sizeof *item->rules);
    item->rules_count--;
    if (item->rules_count == 0) {
        free(item->rules);
        item->rules = NULL;
    }
}

oms_day oms_state_channel_today(const struct oms_state *state, uint32_t channel)
{
    const struct oms_channel *c = &state->channels[channel];
    if (c->first_location != OMS_NONE && state->locations[c->first_location].today != OMS_DAY_NONE) {
        return state->locations[c->first_location].today;
    }
    return (oms_day)(state->clock_ms / 86400000);
}

void oms_state_channel_limits(const struct oms_state *state, uint32_t item, uint32_t channel,
                              struct oms_floor *floors, struct oms_channel_limits *out)
{
    const struct oms_item *it = &state->items[item];
    const struct oms_channel *c = &state->channels[channel];
    uint64_t ships[OMS_CHANNELS_MAX];
    for (uint32_t i = 0; i < state->channels_count; i++) ships[i] = state->channels[i].ships;
    struct oms_channel_defaults defaults = {c->ships, c->buffer, c->buffer_percent};
    oms_channel_limits_of(it->rules, it->rules_count, channel, &defaults, ships,
                          state->channels_count, oms_state_channel_today(state, channel), floors,
                          out);
}
