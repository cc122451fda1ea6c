/*
 * repeg.c - the queue re-run of rule 3 and the shortage cover of rule 3b: the writer's side
 * of the pure plan. It builds the core's view of an item (free stock per location, open
 * supply by promise date, the lead-time budget), walks the item's queue in order and applies
 * each line's plan back to the model, with an event for every promise that moves.
 */
#include "base/platform.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "core/calendar.h"
#include "core/plan.h"
#include "engine/tz.h"
#include "engine/writer.h"

struct item_view {
    struct oms_region_table regions; /* The merchant's distances between regions. */
    struct oms_plan_location locations[OMS_LOCATIONS_MAX];
    struct oms_plan_supply supplies[OMS_SUPPLIES_MAX];
    uint32_t supply_index[OMS_SUPPLIES_MAX]; /* Model index of each plan supply. */
    uint32_t supplies_count;
};

static oms_day supply_promise(const struct oms_state *state, const struct oms_supply *supply)
{
    const struct oms_location *location = &state->locations[supply->location];
    oms_day from = supply->expected_day > location->today ? supply->expected_day : location->today;
    return oms_day_add_working(from, location->handling_days, location->working_mask);
}

static void build_view(const struct oms_state *state, const struct oms_item *item,
                       struct item_view *view)
{
    oms_state_region_table(state, &view->regions);
    for (uint32_t l = 0; l < state->locations_count; l++) {
        const struct oms_location *location = &state->locations[l];
        view->locations[l] = (struct oms_plan_location){
            .free = oms_stock_free(&item->levels[l]),
            .priority = location->priority,
            .rank = location->rank,
            .region = location->region_id,
            .ship_day = location->ship_day,
        };
    }
    view->supplies_count = 0;
    for (uint32_t k = 0; k < item->supplies_count; k++) {
        const struct oms_supply *supply = &state->supplies[item->supplies[k]];
        OMS_ASSERT(supply->status == OMS_SUPPLY_OPEN);
        oms_qty open = supply->qty - supply->received;
        if (open <= 0) continue;
        struct oms_plan_supply entry = {supply->location, open, supply_promise(state, supply)};
        /* Insertion by promise date, then by model index: deterministic. */
        uint32_t at = view->supplies_count++;
        while (at > 0 && (view->supplies[at - 1].promise_day > entry.promise_day ||
                          (view->supplies[at - 1].promise_day == entry.promise_day &&
                           view->supply_index[at - 1] > item->supplies[k]))) {
            view->supplies[at] = view->supplies[at - 1];
            view->supply_index[at] = view->supply_index[at - 1];
            at--;
        }
        view->supplies[at] = entry;
        view->supply_index[at] = item->supplies[k];
    }
}

/* The channel's first location's day, handling and mask: where lead-time promises ship. */
static oms_day channel_day(const struct oms_state *state, const struct oms_channel *channel,
                           int32_t plus_days)
{
    if (channel->first_location == OMS_NONE) {
        return oms_day_add_working((oms_day)(state->clock_ms / 86400000) + plus_days, 0,
                                   0x7Fu);
    }
    const struct oms_location *first = &state->locations[channel->first_location];
    return oms_day_add_working(first->today + plus_days, first->handling_days,
                               first->working_mask);
}

/* Where lead time puts a line: the supplier's lead time counts from the day the order was
 * placed (the engine clock when it learned of it: the replenishment it triggers left then),
 * never before today. Counting from today
 * on every re-run would move every lead-time promise a day later each day. The units ship
 * from the channel's first location, or for click-and-collect, wait at the collect location. */
static oms_day lead_day_of(struct oms_writer *w, const struct oms_channel *channel,
                           const struct oms_item *item, const struct oms_order *order)
{
    int32_t lead = item->lead_time_days > 0 ? item->lead_time_days : 0;
    uint32_t where = order->collect != OMS_NONE ? order->collect : channel->first_location;
    if (where == OMS_NONE) return channel_day(&w->state, channel, lead);
    const struct oms_location *first = &w->state.locations[where];
    oms_day placed = oms_tz_day(w->tz[where], order->created_ms);
    oms_day from = placed + lead > first->today ? placed + lead : first->today;
    return oms_day_add_working(from, first->handling_days, first->working_mask);
}

static bool unreleased(const struct oms_state *state, const struct oms_item *item,
                       const struct oms_channel *channel)
{
    if (item->policy != OMS_POLICY_PREORDER || item->release_day == OMS_DAY_NONE) return false;
    oms_day today = channel->first_location == OMS_NONE
                        ? (oms_day)(state->clock_ms / 86400000)
                        : state->locations[channel->first_location].today;
    return today < item->release_day;
}

static oms_day release_promise(const struct oms_state *state, const struct oms_item *item,
                               const struct oms_channel *channel)
{
    if (item->release_day == OMS_DAY_NONE) return OMS_DAY_NONE;
    if (channel->first_location == OMS_NONE) return item->release_day;
    const struct oms_location *first = &state->locations[channel->first_location];
    return oms_day_add_working(item->release_day, first->handling_days, first->working_mask);
}

static void record_fill(struct oms_writer *w, uint32_t line, uint32_t location, oms_qty qty)
{
    if (!w->record_fills || (w->fills_location != OMS_NONE && w->fills_location != location)) return;
    for (uint32_t i = 0; i < w->fills_count; i++) {
        if (w->fills[i].line == line) {
            w->fills[i].qty += qty;
            return;
        }
    }
    oms_grow((void **)&w->fills, &w->fills_cap, w->fills_count + 1, sizeof *w->fills);
    w->fills[w->fills_count++] = (struct oms_fill){line, qty};
}

static void apply_plan(struct oms_writer *w, uint32_t index, const struct item_view *view,
                       const struct oms_plan_result *result)
{
    struct oms_line *line = &w->state.lines[index];
    const char *ref = w->state.orders[line->order].id;
    for (uint32_t i = 0; i < result->allocs_count; i++) {
        const struct oms_plan_alloc *a = &result->allocs[i];
        const struct oms_stock_level *level = &w->state.items[line->item].levels[a->location];
        oms__move(w, line->item, a->location, OMS_ALLOCATED, level->allocated + a->qty, "allocate",
                  ref);
        oms_grow((void **)&line->allocs, &line->allocs_cap, line->allocs_count + 1,
                 sizeof *line->allocs);
        line->allocs[line->allocs_count++] = (struct oms_line_alloc){
            a->location, a->qty, view->locations[a->location].ship_day, a->reason};
        record_fill(w, index, a->location, a->qty);
    }
    for (uint32_t i = 0; i < result->pegs_count; i++) {
        const struct oms_plan_peg *p = &result->pegs[i];
        uint32_t supply = p->source >= 0 ? view->supply_index[p->source] : OMS_NONE;
        if (supply != OMS_NONE) w->state.supplies[supply].pegged += p->qty;
        oms_grow((void **)&line->pegs, &line->pegs_cap, line->pegs_count + 1, sizeof *line->pegs);
        w->state.items[line->item].backordered += p->qty;
        line->pegs[line->pegs_count++] = (struct oms_line_peg){
            supply, p->source == OMS_SOURCE_RELEASE, p->qty, p->promise_day};
    }
    line->promise_day = oms_line_promise(line);
}

void oms__emit_promise_changed(struct oms_writer *w, uint32_t index, oms_day old_day)
{
    const struct oms_line *line = &w->state.lines[index];
    char old_text[11] = "", new_text[11] = "";
    if (old_day != OMS_DAY_NONE) oms_day_format(old_day, old_text);
    if (line->promise_day != OMS_DAY_NONE) oms_day_format(line->promise_day, new_text);
    struct oms_jsonw json;
    oms__line_event_begin(&json, w, index);
    oms_jsonw_str(&json, "old_date", old_day == OMS_DAY_NONE ? NULL : old_text);
    oms_jsonw_str(&json, "new_date", line->promise_day == OMS_DAY_NONE ? NULL : new_text);
    oms_jsonw_str(&json, "reason", w->cause);
    oms__emit(w, "line.promise_changed", w->state.orders[line->order].id, oms_jsonw_end(&json));
}

/* Units of a line moved between allocated and backordered: line.allocated when a backorder is
 * filled, line.backordered when a shortage (rule 3b) took them back; with the other part. */
static void emit_moved(struct oms_writer *w, uint32_t index, const char *type, oms_qty qty)
{
    const struct oms_line *line = &w->state.lines[index];
    bool allocated = strcmp(type, "line.allocated") == 0;
    struct oms_jsonw json;
    oms__line_event_begin(&json, w, index);
    oms_jsonw_int(&json, "qty", qty);
    oms_jsonw_int(&json, allocated ? "backordered" : "allocated",
                  allocated ? oms_line_backordered(line) : oms_line_allocated(line));
    oms_jsonw_str(&json, "reason", w->cause);
    oms__emit(w, type, w->state.orders[line->order].id, oms_jsonw_end(&json));
}

static bool pegs_equal(const struct oms_line_peg *a, uint32_t a_count,
                       const struct oms_line_peg *b, uint32_t b_count)
{
    if (a_count != b_count) return false;
    for (uint32_t i = 0; i < a_count; i++) {
        if (a[i].supply != b[i].supply || a[i].qty != b[i].qty ||
            a[i].promise_day != b[i].promise_day || a[i].release != b[i].release) {
            return false;
        }
    }
    return true;
}

/* A customer's consent to wait (latest_date): the first promise past it gets one
 * line.delay_exceeded event, and the line is held for the customer's answer or, when its
 * channel says so, cancelled after the re-run. A promise back within the date lifts the hold. */
static void check_consent(struct oms_writer *w, uint32_t index, oms_day old_promise)
{
    struct oms_line *line = &w->state.lines[index];
    if (line->latest_day == OMS_DAY_NONE || line->promise_day == OMS_DAY_NONE) return;
    if (line->promise_day <= line->latest_day) {
        line->held = false;
        return;
    }
    bool was_within = old_promise == OMS_DAY_NONE || old_promise <= line->latest_day;
    if (!was_within || line->held) return;
    const struct oms_order *order = &w->state.orders[line->order];
    bool cancel = w->state.channels[order->channel].cancel_on_delay;
    char latest[11], promise[11];
    oms_day_format(line->latest_day, latest);
    oms_day_format(line->promise_day, promise);
    struct oms_jsonw json;
    oms__line_event_begin(&json, w, index);
    oms_jsonw_str(&json, "latest_date", latest);
    oms_jsonw_str(&json, "promise_date", promise);
    oms_jsonw_str(&json, "action", cancel ? "cancelled" : "held");
    oms_jsonw_str(&json, "reason", w->cause);
    oms__emit(w, "line.delay_exceeded", order->id, oms_jsonw_end(&json));
    if (!cancel) {
        line->held = true;
        return;
    }
    oms_grow((void **)&w->to_cancel, &w->to_cancel_cap, w->to_cancel_count + 1,
             sizeof *w->to_cancel);
    w->to_cancel[w->to_cancel_count++] = index;
}

/* Plans one line of the queue and applies the plan; a waiting line gets its events here, a
 * new line's events come from the order handler. Returns the lead budget left. */
static oms_qty plan_one(struct oms_writer *w, uint32_t index, bool is_new, oms_qty budget,
                        struct item_view *view)
{
    struct oms_state *state = &w->state;
    struct oms_line *line = &state->lines[index];
    const struct oms_item *item = &state->items[line->item];
    const struct oms_order *order = &state->orders[line->order];
    const struct oms_channel *channel = &state->channels[order->channel];

    /* A new line may hold units already: those an order took from its hold (apply_hold.c). */
    oms_qty need = is_new ? line->qty - oms_line_allocated(line) : oms_line_backordered(line);
    if (need == 0) return budget;
    oms_day old_promise = line->promise_day;
    oms_qty old_allocated = oms_line_allocated(line);
    struct oms_line_peg old_pegs[OMS_PEGS_MAX];
    uint32_t old_pegs_count = line->pegs_count;
    OMS_ASSERT(old_pegs_count <= OMS_PEGS_MAX);
    if (old_pegs_count > 0) memcpy(old_pegs, line->pegs, old_pegs_count * sizeof *old_pegs);
    for (uint32_t i = 0; i < line->pegs_count; i++) {
        if (line->pegs[i].supply != OMS_NONE) {
            state->supplies[line->pegs[i].supply].pegged -= line->pegs[i].qty;
        }
    }
    state->items[line->item].backordered -= oms_line_backordered(line);
    line->pegs_count = 0;

    struct oms_plan_item plan_item = {
        .allow_split = item->allow_split,
        .backorderable = item->policy != OMS_POLICY_DENY,
        .unreleased = unreleased(state, item, channel),
        .release_promise_day = release_promise(state, item, channel),
        .has_lead_time = item->lead_time_days >= 0,
        .lead_budget = budget,
        /* The line's whole quantity met the minimum when its hold's units were taken. */
        .min_order_qty = is_new && line->allocs_count > 0 ? 1 : item->min_order_qty,
    };
    struct oms_floor floors[OMS_CHANNELS_MAX];
    struct oms_channel_limits limits;
    oms_state_channel_limits(state, line->item, order->channel, floors, &limits);
    /* Click-and-collect: that location alone, under the channel's rules (buffer, floors). */
    bool collect = order->collect != OMS_NONE;
    if (collect) limits.visible = (uint64_t)1 << order->collect;
    struct oms_plan_line plan_line = {
        .visible = limits.visible,
        .region = order->region_id,
        .regions = &view->regions,
        .collect = collect,
        .need = need,
        .is_new = is_new,
        .ship_complete = line->ship_complete,
        .channel_backorder = channel->allow_backorder,
        .lead_day = lead_day_of(w, channel, item, order),
        .prefer = w->record_fills && w->fills_location != OMS_NONE,
        .preferred_location = w->fills_location,
        .buffer = limits.buffer,
        .buffer_percent = limits.buffer_percent,
        .floors = limits.floors,
        .floors_count = limits.floors_count,
        .capped = limits.cap_left != OMS_QTY_MAX,
        .cap_left = limits.cap_left,
    };
    struct oms_plan_result result;
    oms_plan_line(&plan_item, view->locations, state->locations_count, view->supplies,
                  view->supplies_count, &plan_line, &result);
    apply_plan(w, index, view, &result);
    line = &state->lines[index];
    if (is_new) {
        line->rejected = result.rejected;
        line->reason = result.reason;
        /* The order handler counts the new line against its cap (oms__cap_follow): here
         * would miss a line its hold covered whole, which returns above. */
        check_consent(w, index, old_promise);
    } else {
        oms_qty gained = oms_line_allocated(line) - old_allocated;
        if (gained > 0 || line->promise_day != old_promise) {
            oms__record_change(w, index, old_promise, line->promise_day, gained);
        }
        if (gained > 0) emit_moved(w, index, "line.allocated", gained);
        if (line->promise_day != old_promise) oms__emit_promise_changed(w, index, old_promise);
        check_consent(w, index, old_promise); /* After the promise event it explains. */
        if (gained == 0 && line->promise_day == old_promise &&
            pegs_equal(old_pegs, old_pegs_count, line->pegs, line->pegs_count)) {
            return plan_item.lead_budget;
        }
    }
    /* A new line is saved by the order handler once its first promise is set. */
    if (!is_new) oms__save_line(w, index);
    return plan_item.lead_budget;
}

/* Cancels the lines whose channel cancels on a delay past latest_date, then gives what they
 * held to the rest of the queue. */
static void cancel_delayed(struct oms_writer *w, uint32_t item_index)
{
    for (uint32_t i = 0; i < w->to_cancel_count; i++) {
        uint32_t index = w->to_cancel[i];
        struct oms_line *line = &w->state.lines[index];
        oms_qty open = oms_line_allocated(line) + oms_line_backordered(line);
        oms_qty before = oms_line_accepted(line);
        oms_qty released = oms__release_line(w, index, open, "cancel on delay");
        line = &w->state.lines[index];
        line->cancelled += released;
        oms__cap_follow(w, index, before);
        line->promise_day = OMS_DAY_NONE;
        line->held = false;
        struct oms_jsonw json;
        oms__line_event_begin(&json, w, index);
        oms_jsonw_int(&json, "qty", released);
        oms_jsonw_str(&json, "reason", "delay_exceeded");
        oms__emit(w, "line.cancelled", w->state.orders[line->order].id, oms_jsonw_end(&json));
        oms__save_line(w, index);
    }
    w->to_cancel_count = 0;
    oms__repeg(w, item_index, OMS_NONE);
}

static int32_t line_priority(const struct oms_state *state, uint32_t line)
{
    return state->channels[state->orders[state->lines[line].order].channel].priority;
}

/* What the waiting lines left: open supply less what they peg, and the lead-time budget less
 * the units they hold on lead time. Equal to what a full re-run would leave after the last of
 * them, because every change re-runs the queue and a re-run is deterministic. */
static oms_qty leave_residual(const struct oms_state *state, const struct oms_item *item,
                              struct item_view *view)
{
    for (uint32_t k = 0; k < view->supplies_count; k++) {
        const struct oms_supply *supply = &state->supplies[view->supply_index[k]];
        view->supplies[k].open -= supply->pegged;
        OMS_ASSERT(view->supplies[k].open >= 0);
    }
    if (item->backorder_limit < 0) return OMS_QTY_MAX;
    oms_qty lead = 0;
    for (uint32_t q = 0; item->backordered > 0 && q < item->queue_count; q++) {
        const struct oms_line *line = &state->lines[item->queue[q]];
        for (uint32_t p = 0; p < line->pegs_count; p++) {
            if (line->pegs[p].supply == OMS_NONE) lead += line->pegs[p].qty;
        }
    }
    return item->backorder_limit > lead ? item->backorder_limit - lead : 0;
}

/* The writer keeps one item view between calls (a block of a few KiB was malloc'd and freed
 * for every order); a nested re-run (a delay's cancellation re-runs the queue) takes a new one. */
static struct item_view *take_view(struct oms_writer *w)
{
    struct item_view *view = w->spare_view;
    w->spare_view = NULL;
    if (!view) view = malloc(sizeof *view);
    OMS_ASSERT(view != NULL);
    return view;
}

static void give_view(struct oms_writer *w, struct item_view *view)
{
    if (w->spare_view) {
        free(view);
    } else {
        w->spare_view = view;
    }
}

void oms__repeg(struct oms_writer *w, uint32_t item_index, uint32_t new_line)
{
    struct oms_state *state = &w->state;
    struct oms_item *item = &state->items[item_index];
    struct item_view *view = take_view(w);
    build_view(state, item, view);
    oms_qty budget = item->backorder_limit < 0 ? OMS_QTY_MAX : item->backorder_limit;

    /* A new line is planned behind every waiting line of equal or higher priority (it never
     * takes what they hold), ahead of lower-priority ones (it may take their promises). */
    int32_t new_priority = new_line == OMS_NONE ? 0 : line_priority(state, new_line);
    bool new_done = new_line == OMS_NONE;
    bool behind_all = !new_done && (item->queue_count == 0 ||
                                    line_priority(state, item->queue[item->queue_count - 1]) <=
                                        new_priority);
    if (behind_all) {
        /* The common case (a flash sale on one item): the new line goes behind the whole
         * queue, so only it is planned, on what the queue left: O(1) in the queue's length. */
        budget = leave_residual(state, item, view);
        budget = plan_one(w, new_line, true, budget, view);
        new_done = true;
    }
    for (uint32_t q = 0; !behind_all && q < item->queue_count; q++) {
        uint32_t index = item->queue[q];
        if (!new_done && line_priority(state, index) > new_priority) {
            budget = plan_one(w, new_line, true, budget, view);
            new_done = true;
            item = &state->items[item_index];
        }
        budget = plan_one(w, index, false, budget, view);
        item = &state->items[item_index];
    }
    if (!new_done) budget = plan_one(w, new_line, true, budget, view);
    if (new_line != OMS_NONE) {
        const struct oms_line *line = &state->lines[new_line];
        if (line->allocs_count + line->pegs_count > 0) oms_state_queue_insert(state, new_line);
    }
    give_view(w, view);
    oms__mark_dirty(w, item_index);
    if (w->to_cancel_count > 0) cancel_delayed(w, item_index);
}

void oms__cover_shortage(struct oms_writer *w, uint32_t item_index, uint32_t location)
{
    struct oms_state *state = &w->state;
    struct oms_item *item = &state->items[item_index];
    struct oms_stock_level *level = &item->levels[location];
    struct oms_shortage_split split = oms_shortage_split_of(level);
    if (split.from_safety > 0) {
        oms__move(w, item_index, location, OMS_SAFETY, level->safety - split.from_safety,
                  "shortage", NULL);
    }
    /* Then holds, newest first: a cart gives way before an accepted sale does. */
    if (split.from_reserved > 0) {
        oms__holds_cover_shortage(w, item_index, location, split.from_reserved);
        item = &state->items[item_index];
    }
    oms_qty missing = split.from_allocated;
    for (uint32_t q = item->queue_count; q > 0 && missing > 0; q--) {
        uint32_t index = item->queue[q - 1];
        struct oms_line *line = &state->lines[index];
        oms_qty taken = 0;
        for (uint32_t a = line->allocs_count; a > 0 && missing > 0; a--) {
            struct oms_line_alloc *alloc = &line->allocs[a - 1];
            if (alloc->location != location) continue;
            oms_qty take = alloc->qty < missing ? alloc->qty : missing;
            oms__move(w, item_index, location, OMS_ALLOCATED,
                      item->levels[location].allocated - take, "shortage",
                      state->orders[line->order].id);
            alloc->qty -= take;
            missing -= take;
            taken += take;
            if (alloc->qty == 0) line->allocs[a - 1] = line->allocs[--line->allocs_count];
            /* The units stay on the line as backordered (the sale was accepted); the re-run
             * that follows gives them a source and a promise. */
            oms_grow((void **)&line->pegs, &line->pegs_cap, line->pegs_count + 1,
                     sizeof *line->pegs);
            item->backordered += take;
            line->pegs[line->pegs_count++] =
                (struct oms_line_peg){OMS_NONE, false, take, line->promise_day};
        }
        if (taken == 0) continue;
        emit_moved(w, index, "line.backordered", taken);
        oms__save_line(w, index);
    }
    OMS_ASSERT(missing == 0);
}

void oms__plan_hold(struct oms_writer *w, uint32_t item_index, uint32_t channel_index,
                    uint32_t region, oms_qty qty, bool whole, struct oms_plan_result *result)
{
    const struct oms_state *state = &w->state;
    const struct oms_item *item = &state->items[item_index];
    struct item_view *view = take_view(w);
    build_view(state, item, view);
    /* Only free stock, never supply or lead time: a hold never backorders. Free stock is what
     * the queue left (every change re-runs it at once), so the hold takes nothing a waiting
     * line could take. Rule 1 bounds it like an allocation of the channel (where it ships,
     * its buffer, other channels' floors, its cap). */
    struct oms_floor floors[OMS_CHANNELS_MAX];
    struct oms_channel_limits limits;
    oms_state_channel_limits(state, item_index, channel_index, floors, &limits);
    struct oms_plan_item plan_item = {
        .allow_split = item->allow_split,
        .backorderable = false,
        .unreleased = false,
        .release_promise_day = OMS_DAY_NONE,
        .has_lead_time = false,
        .lead_budget = 0,
        .min_order_qty = item->min_order_qty,
    };
    struct oms_plan_line plan_line = {
        .visible = limits.visible,
        .region = region,
        .regions = &view->regions,
        .need = qty,
        .is_new = true,
        .ship_complete = whole,
        .channel_backorder = false,
        .lead_day = OMS_DAY_NONE,
        .buffer = limits.buffer,
        .buffer_percent = limits.buffer_percent,
        .floors = limits.floors,
        .floors_count = limits.floors_count,
        .capped = limits.cap_left != OMS_QTY_MAX,
        .cap_left = limits.cap_left,
    };
    oms_plan_line(&plan_item, view->locations, state->locations_count, view->supplies, 0,
                  &plan_line, result);
    give_view(w, view);
}
