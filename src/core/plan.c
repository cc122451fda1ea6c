/*
 * plan.c - one line's decision: allocate free stock, peg the rest to the earliest sources,
 * reject what is left (DESIGN.md rules 2 and 3). Pure; see plan.h for the contract.
 */
#include "base/platform.h"

#include <string.h>

#include "base/assert.h"
#include "core/plan.h"

static oms_qty min_qty(oms_qty a, oms_qty b) { return a < b ? a : b; }

/* Sourcing preference: the preferred location (a receipt's), then a location in the
 * destination region, then priority, then code. */
static bool location_better(const struct oms_plan_location *locations,
                            const struct oms_plan_line *line, uint32_t a, uint32_t b)
{
    uint32_t region = line->region;
    if (line->prefer && (a == line->preferred_location) != (b == line->preferred_location)) {
        return a == line->preferred_location;
    }
    bool a_in = locations[a].region == region, b_in = locations[b].region == region;
    if (a_in != b_in) return a_in;
    if (locations[a].priority != locations[b].priority) {
        return locations[a].priority < locations[b].priority;
    }
    return locations[a].rank < locations[b].rank;
}

static void add_alloc(struct oms_plan_result *result, struct oms_plan_location *locations,
                      uint32_t location, oms_qty qty)
{
    OMS_ASSERT(qty > 0);
    OMS_ASSERT(qty <= locations[location].free);
    OMS_ASSERT(result->allocs_count < OMS_LOCATIONS_MAX);
    locations[location].free -= qty;
    result->allocs[result->allocs_count++] = (struct oms_plan_alloc){location, qty};
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

/* Allocates free stock to the line; returns the units allocated (0, or all of `want` for a
 * ship-complete line). Prefers one location for the whole quantity; splits only if allowed.
 * Taking at each location what the floors let it, in preference order, reaches the channel's
 * availability: each unit left behind is held by a floor that counted it (channel.h). */
static oms_qty allocate(const struct oms_plan_item *item, struct oms_plan_location *locations,
                        uint32_t locations_count, const struct oms_plan_line *line, oms_qty want,
                        struct oms_plan_result *result)
{
    uint32_t order[OMS_LOCATIONS_MAX];
    uint32_t count = 0;
    oms_qty total = 0;
    oms_qty cap = channel_cap(locations, locations_count, line);
    struct floor_rooms rooms;
    rooms_init(locations, locations_count, line, &rooms);
    for (uint32_t i = 0; i < locations_count; i++) {
        if (!((line->visible >> i) & 1u) || locations[i].free <= 0) continue;
        /* Insertion sort by preference: at most OMS_LOCATIONS_MAX entries. */
        uint32_t at = count++;
        while (at > 0 && location_better(locations, line, i, order[at - 1])) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = i;
        total += locations[i].free;
    }
    for (uint32_t k = 0; k < count && want <= cap; k++) {
        if (locations[order[k]].free >= want && room_at(line, &rooms, order[k]) >= want) {
            add_alloc(result, locations, order[k], want);
            return want;
        }
    }
    if (!item->allow_split || (line->ship_complete && (total < want || cap < want))) return 0;
    oms_qty limit = min_qty(want, cap);
    oms_qty taken = 0;
    for (uint32_t k = 0; k < count && taken < limit; k++) {
        oms_qty take = min_qty(locations[order[k]].free, limit - taken);
        take = min_qty(take, room_at(line, &rooms, order[k]));
        if (take <= 0) continue;
        add_alloc(result, locations, order[k], take);
        take_room(line, &rooms, order[k], take);
        taken += take;
    }
    OMS_ASSERT(taken == limit); /* The greedy walk reaches the availability (see above). */
    return taken;
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
