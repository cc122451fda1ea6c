/*
 * plan.c - one line's decision: allocate free stock, peg the rest to the earliest sources,
 * reject what is left (DESIGN.md rules 2 and 3). Pure; see plan.h for the contract.
 */
#include "base/platform.h"

#include <string.h>

#include "base/assert.h"
#include "core/plan.h"

static oms_qty min_qty(oms_qty a, oms_qty b) { return a < b ? a : b; }

/* What ranks one line's candidate locations: their distance from its destination region,
 * looked up once per plan. */
struct ranking {
    const struct oms_plan_location *locations;
    const struct oms_plan_line *line;
    int32_t distance[OMS_LOCATIONS_MAX];
};

static void ranking_init(struct ranking *r, const struct oms_plan_location *locations,
                         uint32_t locations_count, const struct oms_plan_line *line)
{
    r->locations = locations;
    r->line = line;
    for (uint32_t i = 0; i < locations_count; i++) {
        if (!((line->visible >> i) & 1u)) continue; /* Never ranked: never a candidate. */
        r->distance[i] = oms_region_distance(line->regions, line->region, locations[i].region);
    }
}

static bool is_preferred(const struct oms_plan_line *line, uint32_t location)
{
    return line->prefer && location == line->preferred_location;
}

/* Sourcing preference: the preferred location (a receipt's), then the nearest to the
 * destination region, then priority, then code. */
static bool location_better(const struct ranking *r, uint32_t a, uint32_t b)
{
    if (is_preferred(r->line, a) != is_preferred(r->line, b)) return is_preferred(r->line, a);
    if (r->distance[a] != r->distance[b]) return r->distance[a] < r->distance[b];
    if (r->locations[a].priority != r->locations[b].priority) {
        return r->locations[a].priority < r->locations[b].priority;
    }
    return r->locations[a].rank < r->locations[b].rank;
}

/* Why `best` fills the whole line rather than `next`, the next location that also could
 * (OMS_LOCATIONS_MAX: none could). The first rule that tells them apart. */
static enum oms_source_reason single_reason(const struct ranking *r, uint32_t best, uint32_t next)
{
    if (r->line->collect) return OMS_SOURCE_REASON_COLLECT;
    if (is_preferred(r->line, best)) return OMS_SOURCE_REASON_RECEIPT;
    if (next == OMS_LOCATIONS_MAX) return OMS_SOURCE_REASON_ONLY_LOCATION;
    if (r->distance[best] != r->distance[next]) return OMS_SOURCE_REASON_NEAREST_REGION;
    if (r->locations[best].priority != r->locations[next].priority) {
        return OMS_SOURCE_REASON_PRIORITY;
    }
    return OMS_SOURCE_REASON_CODE_ORDER;
}

static void add_alloc(struct oms_plan_result *result, struct oms_plan_location *locations,
                      uint32_t location, oms_qty qty, enum oms_source_reason reason)
{
    OMS_ASSERT(qty > 0);
    OMS_ASSERT(qty <= locations[location].free);
    OMS_ASSERT(result->allocs_count < OMS_LOCATIONS_MAX);
    OMS_ASSERT(reason != OMS_SOURCE_REASON_UNRECORDED);
    locations[location].free -= qty;
    result->allocs[result->allocs_count++] = (struct oms_plan_alloc){location, qty, reason};
}

static void add_peg(struct oms_plan_result *result, int32_t source, oms_qty qty, oms_day day)
{
    OMS_ASSERT(qty > 0);
    OMS_ASSERT(result->pegs_count < OMS_PEGS_MAX);
    OMS_ASSERT(day != OMS_DAY_NONE || source == OMS_SOURCE_LEAD);
    result->pegs[result->pegs_count++] = (struct oms_plan_peg){source, qty, day};
}

/* Rule 1: what the line's channel may allocate now: its visible available stock less its
 * buffer and what other channels' floors hold (core/channel.h). */
static oms_qty channel_cap(const struct oms_plan_location *locations,
                           uint32_t locations_count, const struct oms_plan_line *line)
{
    oms_qty free[OMS_LOCATIONS_MAX];
    for (uint32_t i = 0; i < locations_count; i++) free[i] = locations[i].free;
    struct oms_channel_limits limits = {
        .visible = line->visible,
        .buffer = line->buffer,
        .buffer_percent = line->buffer_percent,
        .floors = line->floors,
        .floors_count = line->floors_count,
        .cap_left = OMS_QTY_MAX,
    };
    struct oms_channel_breakdown parts;
    oms_channel_breakdown_of(free, locations_count, &limits, &parts);
    return parts.available;
}

/* What each floor still lets the line take out of its locations. */
struct floor_rooms {
    oms_qty room[OMS_CHANNELS_MAX];
};

static void rooms_init(const struct oms_plan_location *locations, uint32_t locations_count,
                       const struct oms_plan_line *line, struct floor_rooms *rooms)
{
    OMS_ASSERT(line->floors_count <= OMS_CHANNELS_MAX);
    oms_qty free[OMS_LOCATIONS_MAX];
    for (uint32_t i = 0; i < locations_count; i++) free[i] = locations[i].free;
    for (uint32_t f = 0; f < line->floors_count; f++) {
        rooms->room[f] = oms_floor_room(free, locations_count, &line->floors[f]);
    }
}

/* Units the floors let the line take at one location. */
static oms_qty room_at(const struct oms_plan_line *line, const struct floor_rooms *rooms,
                       uint32_t location)
{
    oms_qty room = OMS_QTY_MAX;
    for (uint32_t f = 0; f < line->floors_count; f++) {
        if ((line->floors[f].locations >> location) & 1u) room = min_qty(room, rooms->room[f]);
    }
    return room;
}

static void take_room(const struct oms_plan_line *line, struct floor_rooms *rooms,
                      uint32_t location, oms_qty qty)
{
    for (uint32_t f = 0; f < line->floors_count; f++) {
        if ((line->floors[f].locations >> location) & 1u) {
            OMS_ASSERT(rooms->room[f] >= qty);
            rooms->room[f] -= qty;
        }
    }
}

/* The line's candidates: visible locations it may take something from, most preferred first,
 * with what each could give alone: its free stock, bounded by the other channels' floors on
 * it (their rooms are shared between locations, so together they may give less). */
struct candidates {
    uint32_t order[OMS_LOCATIONS_MAX];    /* Location indexes by preference. */
    uint32_t by_size[OMS_LOCATIONS_MAX];  /* Positions in order, largest capacity first. */
    oms_qty capacity[OMS_LOCATIONS_MAX];  /* By location index. */
    uint32_t count;
    oms_qty total; /* Free stock of the candidates. */
};

static void candidates_init(struct candidates *c, const struct ranking *r,
                            uint32_t locations_count, const struct floor_rooms *rooms)
{
    const struct oms_plan_location *locations = r->locations;
    c->count = 0;
    c->total = 0;
    for (uint32_t i = 0; i < locations_count; i++) {
        if (!((r->line->visible >> i) & 1u) || locations[i].free <= 0) continue;
        c->capacity[i] = min_qty(locations[i].free, room_at(r->line, rooms, i));
        c->total += locations[i].free;
        if (c->capacity[i] <= 0) continue;
        /* Insertion sort by preference: at most OMS_LOCATIONS_MAX entries. */
        uint32_t at = c->count++;
        while (at > 0 && location_better(r, i, c->order[at - 1])) {
            c->order[at] = c->order[at - 1];
            at--;
        }
        c->order[at] = i;
    }
    for (uint32_t p = 0; p < c->count; p++) {
        uint32_t at = p;
        oms_qty size = c->capacity[c->order[p]];
        while (at > 0 && c->capacity[c->order[c->by_size[at - 1]]] < size) {
            c->by_size[at] = c->by_size[at - 1];
            at--;
        }
        c->by_size[at] = p;
    }
}

/* The capacity of the `slots` largest candidates after position `after` in preference
 * order: the most that many more locations could add. */
static oms_qty largest_after(const struct candidates *c, uint32_t after, uint32_t slots)
{
    oms_qty sum = 0;
    for (uint32_t k = 0; k < c->count && slots > 0; k++) {
        if (c->by_size[k] <= after) continue;
        sum += c->capacity[c->order[c->by_size[k]]];
        slots--;
    }
    return sum;
}

static enum oms_source_reason split_reason(const struct ranking *r, uint32_t location,
                                           oms_qty target, oms_qty want)
{
    if (r->line->collect) return OMS_SOURCE_REASON_COLLECT;
    if (is_preferred(r->line, location)) return OMS_SOURCE_REASON_RECEIPT;
    return target < want ? OMS_SOURCE_REASON_PARTIAL : OMS_SOURCE_REASON_SPLIT;
}

/* Takes up to `left` units at `location`, as much as its free stock and the floors allow;
 * returns the units taken. */
static oms_qty take_at(struct oms_plan_location *locations, const struct ranking *r,
                       struct floor_rooms *rooms, uint32_t location, oms_qty left,
                       enum oms_source_reason reason, struct oms_plan_result *result)
{
    oms_qty take = min_qty(min_qty(locations[location].free, left),
                           room_at(r->line, rooms, location));
    if (take <= 0) return 0;
    add_alloc(result, locations, location, take, reason);
    take_room(r->line, rooms, location, take);
    return take;
}

/* Allocates `target` units from the fewest candidates that hold them (the largest ones
 * decide how few), choosing among such sets the one whose members come first in preference
 * order: each candidate, in that order, is taken when the fewest count can still be kept.
 * Floors shared by several locations may let the chosen set give less than its capacities
 * add up to; then the other candidates follow in preference order, which reaches the
 * channel's availability: each unit left behind is held by a floor that counted it
 * (channel.h). */
static void split_fewest(struct oms_plan_location *locations, const struct ranking *r,
                         const struct candidates *c, struct floor_rooms *rooms, oms_qty target,
                         oms_qty want, struct oms_plan_result *result)
{
    OMS_ASSERT(target > 0);
    uint32_t fewest = 0;
    for (oms_qty sum = 0; sum < target && fewest < c->count; fewest++) {
        sum += c->capacity[c->order[c->by_size[fewest]]];
    }
    oms_qty left = target;
    uint32_t taken = 0;
    bool chosen[OMS_LOCATIONS_MAX] = {false};
    for (uint32_t p = 0; p < c->count && left > 0 && taken < fewest; p++) {
        oms_qty size = c->capacity[c->order[p]];
        if (size < left && left - size > largest_after(c, p, fewest - taken - 1)) {
            continue; /* With it, the rest would need more locations than the fewest. */
        }
        chosen[p] = true;
        taken++;
        left -= take_at(locations, r, rooms, c->order[p], left,
                        split_reason(r, c->order[p], target, want), result);
    }
    for (uint32_t p = 0; p < c->count && left > 0; p++) {
        if (chosen[p]) continue;
        left -= take_at(locations, r, rooms, c->order[p], left,
                        split_reason(r, c->order[p], target, want), result);
    }
    OMS_ASSERT(left == 0); /* The walk reaches the availability (see above). */
    if (r->line->floors_count == 0) OMS_ASSERT(result->allocs_count == fewest);
}

/* Allocates free stock to the line; returns the units allocated (0, or all of `want` for a
 * ship-complete line). Fewest shipments first: one location for the whole quantity, the most
 * preferred that can; else, only if the item allows a split, the fewest locations. */
static oms_qty allocate(const struct oms_plan_item *item, struct oms_plan_location *locations,
                        uint32_t locations_count, const struct oms_plan_line *line, oms_qty want,
                        struct oms_plan_result *result)
{
    struct ranking ranking;
    ranking_init(&ranking, locations, locations_count, line);
    struct floor_rooms rooms;
    rooms_init(locations, locations_count, line, &rooms);
    struct candidates c;
    candidates_init(&c, &ranking, locations_count, &rooms);
    oms_qty cap = channel_cap(locations, locations_count, line);
    for (uint32_t k = 0; k < c.count && want <= cap; k++) {
        if (c.capacity[c.order[k]] < want) continue;
        uint32_t next = OMS_LOCATIONS_MAX;
        for (uint32_t n = k + 1; n < c.count && next == OMS_LOCATIONS_MAX; n++) {
            if (c.capacity[c.order[n]] >= want) next = c.order[n];
        }
        add_alloc(result, locations, c.order[k], want, single_reason(&ranking, c.order[k], next));
        take_room(line, &rooms, c.order[k], want);
        return want;
    }
    if (!item->allow_split || (line->ship_complete && (c.total < want || cap < want))) return 0;
    oms_qty target = min_qty(want, cap);
    if (target == 0) return 0;
    split_fewest(locations, &ranking, &c, &rooms, target, want, result);
    return target;
}

static bool supply_usable(const struct oms_plan_supply *supply, const struct oms_plan_line *line)
{
    return supply->open > 0 && ((line->visible >> supply->location) & 1u);
}

/* Units the sources could carry for the line without taking them: for ship-complete lines,
 * which are backordered whole or not at all. */
static oms_qty sources_capacity(const struct oms_plan_item *item,
                                const struct oms_plan_supply *supplies, uint32_t supplies_count,
                                const struct oms_plan_line *line)
{
    oms_qty capacity = item->has_lead_time ? item->lead_budget : 0;
    for (uint32_t i = 0; i < supplies_count; i++) {
        if (supply_usable(&supplies[i], line)) capacity += supplies[i].open;
    }
    return capacity;
}

/* The date for units of an accepted sale that no source carries (supply cut, no lead time): the
 * lead day of its channel, but never before supply the line can see. Otherwise a line behind
 * it in the queue, finding that supply taken, would be promised earlier than a line ahead of
 * it that got the supply (rule 3). */
static oms_day fallback_day(const struct oms_plan_supply *supplies, uint32_t supplies_count,
                            const struct oms_plan_line *line)
{
    oms_day day = line->lead_day;
    for (uint32_t i = 0; i < supplies_count; i++) {
        bool seen = (line->visible >> supplies[i].location) & 1u;
        if (seen && supplies[i].promise_day > day) day = supplies[i].promise_day;
    }
    return day;
}

/* Pegs up to `want` units to supply and lead time, earliest promise first. Returns the units
 * pegged. A waiting line (an accepted sale) is never refused: what no source carries waits on
 * the lead time past the budget, dated no earlier than any supply it can see. */
static oms_qty peg(struct oms_plan_item *item, struct oms_plan_supply *supplies,
                   uint32_t supplies_count, const struct oms_plan_line *line, oms_qty want,
                   struct oms_plan_result *result)
{
    oms_qty pegged = 0;
    bool lead_done = !item->has_lead_time;
    for (uint32_t i = 0; i <= supplies_count && pegged < want; i++) {
        bool before_lead = i < supplies_count && supplies[i].promise_day <= line->lead_day;
        if (!lead_done && !before_lead) {
            lead_done = true;
            /* Waiting lines respect the budget too: beyond it they use later supply first,
             * and only what nothing carries falls back past the limit (below). */
            oms_qty take = min_qty(want - pegged, item->lead_budget);
            if (take > 0) {
                add_peg(result, OMS_SOURCE_LEAD, take, line->lead_day);
                item->lead_budget -= min_qty(take, item->lead_budget);
                pegged += take;
            }
        }
        if (i == supplies_count || pegged == want) break;
        if (!supply_usable(&supplies[i], line)) continue;
        oms_qty take = min_qty(want - pegged, supplies[i].open);
        add_peg(result, (int32_t)i, take, supplies[i].promise_day);
        supplies[i].open -= take;
        pegged += take;
    }
    if (!line->is_new && pegged < want) {
        /* An accepted sale with no source left at all (supply cut, no lead time): it waits on
         * the lead time of its channel, the best date the merchant can still give. */
        /* Without a lead time nothing dates these units: they wait, undated, for supply
         * (a made-up date would be earlier than the truth). */
        add_peg(result, OMS_SOURCE_LEAD, want - pegged,
                item->has_lead_time ? fallback_day(supplies, supplies_count, line)
                                    : OMS_DAY_NONE);
        pegged = want;
    }
    return pegged;
}

static void reject(struct oms_plan_result *result, oms_qty qty, enum oms_reject_reason reason)
{
    OMS_ASSERT(qty > 0);
    OMS_ASSERT(reason != OMS_REJECT_NONE);
    result->rejected = qty;
    result->reason = reason;
}

static void finish(const struct oms_plan_location *locations, struct oms_plan_result *result)
{
    oms_day promise = OMS_DAY_NONE;
    for (uint32_t i = 0; i < result->allocs_count; i++) {
        oms_day day = locations[result->allocs[i].location].ship_day;
        if (day > promise) promise = day;
    }
    for (uint32_t i = 0; i < result->pegs_count; i++) {
        if (result->pegs[i].promise_day == OMS_DAY_NONE) {
            promise = OMS_DAY_NONE; /* Some units have no date: neither has the line. */
            break;
        }
        if (result->pegs[i].promise_day > promise) promise = result->pegs[i].promise_day;
    }
    result->promise_day = promise;
}

/* The part of the decision after allocation: backorder or reject `rest` units. */
static void place_rest(struct oms_plan_item *item, struct oms_plan_supply *supplies,
                       uint32_t supplies_count, const struct oms_plan_line *line, oms_qty rest,
                       struct oms_plan_result *result)
{
    bool whole = line->ship_complete && line->is_new;
    if (line->is_new && !item->backorderable) {
        reject(result, rest, whole ? OMS_REJECT_SHIP_COMPLETE_UNAVAILABLE : OMS_REJECT_OUT_OF_STOCK);
        return;
    }
    if (line->is_new && !line->channel_backorder) {
        reject(result, rest,
               whole ? OMS_REJECT_SHIP_COMPLETE_UNAVAILABLE
                     : OMS_REJECT_CHANNEL_DISALLOWS_BACKORDER);
        return;
    }
    if (whole && sources_capacity(item, supplies, supplies_count, line) < rest) {
        reject(result, rest, OMS_REJECT_SHIP_COMPLETE_UNAVAILABLE);
        return;
    }
    bool budget_was_spent = item->has_lead_time && item->lead_budget < rest;
    oms_qty pegged = peg(item, supplies, supplies_count, line, rest, result);
    if (pegged < rest) {
        reject(result, rest - pegged,
               budget_was_spent ? OMS_REJECT_BACKORDER_LIMIT : OMS_REJECT_OUT_OF_STOCK);
    }
}

void oms_plan_line(struct oms_plan_item *item, struct oms_plan_location *locations,
                   uint32_t locations_count, struct oms_plan_supply *supplies,
                   uint32_t supplies_count, const struct oms_plan_line *line,
                   struct oms_plan_result *result)
{
    OMS_ASSERT(locations_count <= OMS_LOCATIONS_MAX);
    OMS_ASSERT(supplies_count <= OMS_SUPPLIES_MAX);
    OMS_ASSERT(oms_qty_valid(line->need));
    /* A click-and-collect line sources from its one location only. */
    if (line->collect) OMS_ASSERT(line->visible != 0 && (line->visible & (line->visible - 1)) == 0);
    memset(result, 0, sizeof *result);
    result->reason = OMS_REJECT_NONE;
    oms_qty rest = line->need;
    oms_qty capped = 0; /* Units the channel's cap refuses. */
    if (line->is_new && line->capped && rest >= item->min_order_qty && rest > line->cap_left) {
        OMS_ASSERT(line->cap_left >= 0);
        bool whole = line->ship_complete || line->cap_left < item->min_order_qty;
        capped = whole ? rest : rest - line->cap_left;
        rest -= capped;
    }

    if (line->is_new && rest > 0 && rest < item->min_order_qty) {
        reject(result, rest, OMS_REJECT_BELOW_MIN_ORDER_QTY);
    } else if (item->unreleased && rest > 0) {
        /* A preorder: nothing allocated before the release; the release is the source. */
        if (line->is_new && !line->channel_backorder) {
            reject(result, rest, OMS_REJECT_CHANNEL_DISALLOWS_BACKORDER);
        } else {
            oms_qty take = line->is_new ? min_qty(rest, item->lead_budget) : rest;
            if (take > 0) add_peg(result, OMS_SOURCE_RELEASE, take, item->release_promise_day);
            item->lead_budget -= min_qty(take, item->lead_budget);
            if (rest > take) reject(result, rest - take, OMS_REJECT_BACKORDER_LIMIT);
        }
    } else if (rest > 0) {
        rest -= allocate(item, locations, locations_count, line, rest, result);
        if (rest > 0) place_rest(item, supplies, supplies_count, line, rest, result);
    }
    if (capped > 0) {
        /* Units the cap refused and units refused for another reason are one rejected part;
         * the other reason names it, since those units would be refused without the cap too. */
        if (result->rejected == 0) result->reason = OMS_REJECT_CHANNEL_CAP;
        result->rejected += capped;
    }
    finish(locations, result);

    oms_qty placed = result->rejected;
    for (uint32_t i = 0; i < result->allocs_count; i++) placed += result->allocs[i].qty;
    for (uint32_t i = 0; i < result->pegs_count; i++) placed += result->pegs[i].qty;
    OMS_ASSERT(placed == line->need);
    if (!line->is_new) OMS_ASSERT(result->rejected == 0);
}

bool oms_queue_before(const struct oms_queue_key *a, const struct oms_queue_key *b)
{
    if (a->channel_priority != b->channel_priority) {
        return a->channel_priority < b->channel_priority;
    }
    if (a->at_ms != b->at_ms) return a->at_ms < b->at_ms;
    int order = strcmp(a->order_id, b->order_id);
    if (order != 0) return order < 0;
    return a->line_no < b->line_no;
}
