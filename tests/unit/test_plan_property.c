/*
 * test_plan_property.c - random worlds and random queues for oms_plan_line() (core/plan.h):
 * after every planned line the invariants of DESIGN.md rules 2 and 3 must hold (no oversell,
 * no supply unit promised twice, the backorder limit respected by new lines, waiting lines
 * never rejected, ship-complete all or nothing, sources only where the channel sees), and the
 * allocation step must match a slow, obviously correct version written here. Seeds are fixed,
 * so a failure names the case seed and line that reproduce it.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base/assert.h"
#include "core/plan.h"
#include "../test_random.h"

#define TODAY 20000
#define WORLD_LOCATIONS_MAX 8
#define WORLD_SUPPLIES_MAX 8
#define WORLD_REGIONS 4        /* Region ids 0..3: locations stand in 0..2, lines go to 0..3. */
#define FAR INT64_MAX          /* The reference's distance for a pair nobody configured. */
#define QUEUE_LINES_MAX 50
#define QUEUE_CASES 4000
#define SINGLE_CASES 20000

_Static_assert(WORLD_LOCATIONS_MAX <= OMS_LOCATIONS_MAX, "a world fits the core's limits");
_Static_assert(WORLD_SUPPLIES_MAX <= OMS_SUPPLIES_MAX, "a world fits the core's limits");

/* One item's state as the caller keeps it: consumed line by line. */
struct world {
    struct oms_plan_item item;
    struct oms_plan_location locations[WORLD_LOCATIONS_MAX];
    uint32_t locations_count;
    struct oms_plan_supply supplies[WORLD_SUPPLIES_MAX];
    uint32_t supplies_count;
    /* The merchant's distances, as the reference reads them: -1 where no pair is configured,
     * has_row false for a region outside the table. */
    int32_t distance[WORLD_REGIONS][WORLD_REGIONS];
    bool has_row[WORLD_REGIONS];
    /* The same, as the core reads them. */
    uint32_t row_of[WORLD_REGIONS];
    int32_t cells[WORLD_REGIONS * WORLD_REGIONS];
    struct oms_region_table table;
};

/* Where a failure happened, to reproduce it. */
struct where {
    uint64_t case_seed;
    int line_index;
};

static void check(const struct where *at, bool ok, const char *what)
{
    if (!ok) fail_msg("case seed %#llx, line %d: %s", (unsigned long long)at->case_seed,
                      at->line_index, what);
}

#define CHECK(at, expr) check((at), (expr), #expr)

/* A symmetric table over some of the regions, with gaps and ties (small distances). */
static void random_distances(uint64_t *rng, struct world *w)
{
    for (uint32_t a = 0; a < WORLD_REGIONS; a++) {
        w->has_row[a] = !one_in(rng, 4);
        w->row_of[a] = w->has_row[a] ? a : OMS_REGION_NO_ROW;
        for (uint32_t b = 0; b <= a; b++) {
            int32_t d = a == b ? 0 : one_in(rng, 4) ? -1 : (int32_t)random_in(rng, 0, 3);
            w->distance[a][b] = w->distance[b][a] = d;
            w->cells[a * WORLD_REGIONS + b] = w->cells[b * WORLD_REGIONS + a] =
                d < 0 ? OMS_DISTANCE_UNKNOWN : d;
        }
    }
    w->table = (struct oms_region_table){
        .row_of = w->row_of,
        .ids_count = WORLD_REGIONS,
        .cells = w->cells,
        .stride = WORLD_REGIONS,
    };
}

static void random_world(uint64_t *rng, struct world *w, bool uniform_ship_day)
{
    memset(w, 0, sizeof *w);
    w->locations_count = (uint32_t)random_in(rng, 1, WORLD_LOCATIONS_MAX);
    uint32_t ranks[WORLD_LOCATIONS_MAX];
    for (uint32_t i = 0; i < w->locations_count; i++) ranks[i] = i;
    for (uint32_t i = w->locations_count; i > 1; i--) { /* Fisher-Yates: codes in any order. */
        uint32_t j = (uint32_t)random_in(rng, 0, (int64_t)i - 1);
        uint32_t t = ranks[i - 1];
        ranks[i - 1] = ranks[j];
        ranks[j] = t;
    }
    for (uint32_t i = 0; i < w->locations_count; i++) {
        w->locations[i] = (struct oms_plan_location){
            .free = random_in(rng, -6, 15),
            .priority = (int32_t)random_in(rng, 1, 3),
            .rank = ranks[i],
            .region = (uint32_t)random_in(rng, 0, 2),
            .ship_day = uniform_ship_day ? TODAY + 2 : (oms_day)random_in(rng, TODAY, TODAY + 5),
        };
    }
    w->supplies_count = (uint32_t)random_in(rng, 0, WORLD_SUPPLIES_MAX);
    for (uint32_t i = 0; i < w->supplies_count; i++) {
        struct oms_plan_supply supply = {
            .location = (uint32_t)random_in(rng, 0, (int64_t)w->locations_count - 1),
            .open = one_in(rng, 6) ? 0 : random_in(rng, 1, 20),
            .promise_day = (oms_day)random_in(rng, TODAY + 2, TODAY + 60),
        };
        uint32_t at = i; /* Keep them sorted by promise day, as the caller must. */
        while (at > 0 && w->supplies[at - 1].promise_day > supply.promise_day) {
            w->supplies[at] = w->supplies[at - 1];
            at--;
        }
        w->supplies[at] = supply;
    }
    random_distances(rng, w);
    bool unreleased = one_in(rng, 8);
    w->item = (struct oms_plan_item){
        .allow_split = one_in(rng, 2),
        .backorderable = unreleased || !one_in(rng, 4),
        .unreleased = unreleased,
        .release_promise_day = unreleased ? (oms_day)random_in(rng, TODAY + 10, TODAY + 50)
                                          : OMS_DAY_NONE,
        .has_lead_time = one_in(rng, 2),
        .lead_budget = one_in(rng, 3) ? OMS_QTY_MAX : random_in(rng, 0, 30),
        .min_order_qty = one_in(rng, 4) ? random_in(rng, 2, 4) : 1,
    };
}

static struct oms_plan_line random_line(uint64_t *rng, const struct world *w)
{
    uint64_t all = ((uint64_t)1 << w->locations_count) - 1;
    bool is_new = !one_in(rng, 3);
    bool collect = one_in(rng, 8);
    bool prefer = !collect && one_in(rng, 8);
    uint64_t visible = collect ? (uint64_t)1 << random_in(rng, 0, (int64_t)w->locations_count - 1)
                       : one_in(rng, 4) ? all
                                        : next_random(rng) & all;
    return (struct oms_plan_line){
        .visible = visible,
        .region = (uint32_t)random_in(rng, 0, WORLD_REGIONS - 1),
        .regions = one_in(rng, 5) ? NULL : &w->table,
        .collect = collect,
        .prefer = prefer,
        .preferred_location = prefer ? (uint32_t)random_in(rng, 0, (int64_t)w->locations_count - 1)
                                     : 0,
        .need = random_in(rng, is_new ? 1 : 0, 20),
        .is_new = is_new,
        .ship_complete = one_in(rng, 4),
        .channel_backorder = !one_in(rng, 4),
        .buffer = one_in(rng, 3) ? random_in(rng, 1, 6) : 0,
        .lead_day = (oms_day)random_in(rng, TODAY + 15, TODAY + 45),
    };
}

static bool sees(const struct oms_plan_line *line, uint32_t location)
{
    return (line->visible >> location) & 1u;
}

static oms_qty allocated_at(const struct oms_plan_result *r, uint32_t location)
{
    oms_qty qty = 0;
    for (uint32_t i = 0; i < r->allocs_count; i++) {
        if (r->allocs[i].location == location) qty += r->allocs[i].qty;
    }
    return qty;
}

static oms_qty pegged_to(const struct oms_plan_result *r, int32_t source)
{
    oms_qty qty = 0;
    for (uint32_t i = 0; i < r->pegs_count; i++) {
        if (r->pegs[i].source == source) qty += r->pegs[i].qty;
    }
    return qty;
}

/* ---- The slow, obviously correct allocation step (DESIGN.md rule 1 and rule 2). ---- */

/* The reference's distance from the line's destination to a location: 0 in the same region,
 * else the configured figure, else FAR (also without a table). */
static int64_t reference_distance(const struct world *w, const struct oms_plan_line *line,
                                  uint32_t location)
{
    uint32_t from = line->region, to = w->locations[location].region;
    if (from == to) return 0;
    if (!line->regions || !w->has_row[from] || !w->has_row[to]) return FAR;
    return w->distance[from][to] < 0 ? FAR : w->distance[from][to];
}

/* True when location a is preferred to b: the receipt's location, then nearer, then smaller
 * priority number, then smaller rank. Written as a tuple comparison, independently of plan.c. */
static bool reference_prefers(const struct world *w, const struct oms_plan_line *line, uint32_t a,
                              uint32_t b)
{
    const struct oms_plan_location *l = w->locations;
    bool a_pref = line->prefer && line->preferred_location == a;
    bool b_pref = line->prefer && line->preferred_location == b;
    int64_t key_a[4] = {a_pref ? 0 : 1, reference_distance(w, line, a), l[a].priority, l[a].rank};
    int64_t key_b[4] = {b_pref ? 0 : 1, reference_distance(w, line, b), l[b].priority, l[b].rank};
    for (int k = 0; k < 4; k++) {
        if (key_a[k] != key_b[k]) return key_a[k] < key_b[k];
    }
    return a < b;
}

/* Why the reference picked `best` to fill the whole line over `next` (-1: none other could). */
static enum oms_source_reason reference_single_reason(const struct world *w,
                                                      const struct oms_plan_line *line, int best,
                                                      int next)
{
    if (line->collect) return OMS_SOURCE_REASON_COLLECT;
    if (line->prefer && line->preferred_location == (uint32_t)best) {
        return OMS_SOURCE_REASON_RECEIPT;
    }
    if (next < 0) return OMS_SOURCE_REASON_ONLY_LOCATION;
    int64_t best_distance = reference_distance(w, line, (uint32_t)best);
    if (best_distance != reference_distance(w, line, (uint32_t)next)) {
        return OMS_SOURCE_REASON_NEAREST_REGION;
    }
    if (w->locations[best].priority != w->locations[next].priority) {
        return OMS_SOURCE_REASON_PRIORITY;
    }
    return OMS_SOURCE_REASON_CODE_ORDER;
}

/* The members of a set of locations (bit mask), most preferred first; returns how many. */
static uint32_t reference_members(const struct world *w, const struct oms_plan_line *line,
                                  uint32_t mask, uint32_t out[WORLD_LOCATIONS_MAX])
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->locations_count; i++) {
        if (!((mask >> i) & 1u)) continue;
        uint32_t at = n++;
        while (at > 0 && reference_prefers(w, line, i, out[at - 1])) {
            out[at] = out[at - 1];
            at--;
        }
        out[at] = i;
    }
    return n;
}

/* True when set a beats set b of the same size: at the first member (in preference order)
 * where they differ, a's is preferred. */
static bool reference_set_better(const struct world *w, const struct oms_plan_line *line,
                                 uint32_t a, uint32_t b)
{
    uint32_t ma[WORLD_LOCATIONS_MAX], mb[WORLD_LOCATIONS_MAX];
    uint32_t n = reference_members(w, line, a, ma);
    OMS_ASSERT(n == reference_members(w, line, b, mb));
    for (uint32_t k = 0; k < n; k++) {
        if (ma[k] != mb[k]) return reference_prefers(w, line, ma[k], mb[k]);
    }
    return false;
}

/* Units per location the line should get from free stock, given the state before it, and
 * the reason each allocation must carry. */
static void reference_allocate(const struct world *w, const struct oms_plan_line *line,
                               oms_qty out[WORLD_LOCATIONS_MAX],
                               enum oms_source_reason why[WORLD_LOCATIONS_MAX])
{
    memset(out, 0, sizeof(oms_qty) * WORLD_LOCATIONS_MAX);
    if (line->need == 0 || w->item.unreleased) return;
    if (line->is_new && line->need < w->item.min_order_qty) return;
    bool candidate[WORLD_LOCATIONS_MAX] = {false};
    uint32_t candidates = 0;
    oms_qty sum = 0;
    for (uint32_t i = 0; i < w->locations_count; i++) {
        candidate[i] = sees(line, i) && w->locations[i].free > 0;
        if (candidate[i]) sum += w->locations[i].free;
        if (candidate[i]) candidates |= 1u << i;
    }
    oms_qty cap = sum - line->buffer > 0 ? sum - line->buffer : 0;
    /* Fewest shipments: one location for the whole line, the most preferred of those that
     * can, and the reason is what sets it apart from the next one that could. */
    int best = -1, next = -1;
    for (uint32_t i = 0; i < w->locations_count && cap >= line->need; i++) {
        if (!candidate[i] || w->locations[i].free < line->need) continue;
        if (best < 0 || reference_prefers(w, line, i, (uint32_t)best)) {
            next = best;
            best = (int)i;
        } else if (next < 0 || reference_prefers(w, line, i, (uint32_t)next)) {
            next = (int)i;
        }
    }
    if (best >= 0) {
        out[best] = line->need;
        why[best] = reference_single_reason(w, line, best, next);
        return;
    }
    if (!w->item.allow_split) return;
    if (line->ship_complete && cap < line->need) return;
    oms_qty target = line->need < cap ? line->need : cap;
    if (target == 0) return;
    /* Split: every set of candidates that holds the target; the fewest members win, then the
     * set whose members come first in preference order. */
    uint32_t chosen = 0, chosen_size = UINT32_MAX;
    for (uint32_t mask = 1; mask < (1u << w->locations_count); mask++) {
        if ((mask & candidates) != mask) continue;
        oms_qty held = 0;
        for (uint32_t i = 0; i < w->locations_count; i++) {
            if ((mask >> i) & 1u) held += w->locations[i].free;
        }
        uint32_t size = (uint32_t)__builtin_popcount(mask);
        if (held < target || size > chosen_size) continue;
        if (size < chosen_size || reference_set_better(w, line, mask, chosen)) {
            chosen = mask;
            chosen_size = size;
        }
    }
    uint32_t members[WORLD_LOCATIONS_MAX];
    uint32_t n = reference_members(w, line, chosen, members);
    oms_qty left = target;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = members[k];
        out[i] = w->locations[i].free < left ? w->locations[i].free : left;
        left -= out[i];
        why[i] = line->collect                                        ? OMS_SOURCE_REASON_COLLECT
                 : line->prefer && line->preferred_location == i ? OMS_SOURCE_REASON_RECEIPT
                 : target < line->need                                ? OMS_SOURCE_REASON_PARTIAL
                                                                      : OMS_SOURCE_REASON_SPLIT;
    }
}

static void check_matches_reference(const struct where *at, const struct world *before,
                                    const struct oms_plan_line *line,
                                    const struct oms_plan_result *r)
{
    oms_qty want[WORLD_LOCATIONS_MAX];
    enum oms_source_reason why[WORLD_LOCATIONS_MAX];
    reference_allocate(before, line, want, why);
    uint32_t used = 0;
    for (uint32_t i = 0; i < before->locations_count; i++) {
        CHECK(at, allocated_at(r, i) == want[i]);
        if (want[i] > 0) used++;
    }
    CHECK(at, r->allocs_count == used); /* One entry per location used. */
    for (uint32_t k = 0; k < r->allocs_count; k++) {
        CHECK(at, r->allocs[k].reason == why[r->allocs[k].location]);
    }
}

/* ---- Invariants after one line. ---- */

static void check_counts(const struct where *at, const struct world *before,
                         const struct oms_plan_line *line, const struct oms_plan_result *r)
{
    oms_qty placed = r->rejected;
    for (uint32_t i = 0; i < r->allocs_count; i++) {
        CHECK(at, r->allocs[i].qty > 0);
        placed += r->allocs[i].qty;
    }
    for (uint32_t i = 0; i < r->pegs_count; i++) {
        CHECK(at, r->pegs[i].qty > 0);
        placed += r->pegs[i].qty;
    }
    CHECK(at, placed == line->need);
    CHECK(at, r->rejected >= 0);
    CHECK(at, (r->rejected == 0) == (r->reason == OMS_REJECT_NONE));
    if (!line->is_new) CHECK(at, r->rejected == 0);
    if (line->is_new && line->need < before->item.min_order_qty) {
        CHECK(at, r->rejected == line->need);
        CHECK(at, r->reason == OMS_REJECT_BELOW_MIN_ORDER_QTY);
    }
}

static void check_allocations(const struct where *at, const struct world *before,
                              const struct world *after, const struct oms_plan_line *line,
                              const struct oms_plan_result *r)
{
    oms_qty visible_free = 0, allocated = 0;
    for (uint32_t i = 0; i < before->locations_count; i++) {
        oms_qty here = allocated_at(r, i);
        allocated += here;
        if (sees(line, i) && before->locations[i].free > 0) {
            visible_free += before->locations[i].free;
        }
        CHECK(at, after->locations[i].free == before->locations[i].free - here);
        if (here > 0) {
            CHECK(at, sees(line, i));
            CHECK(at, before->locations[i].free > 0);
            CHECK(at, after->locations[i].free >= 0);
        }
    }
    oms_qty cap = visible_free > line->buffer ? visible_free - line->buffer : 0;
    CHECK(at, allocated <= cap);
    if (before->item.unreleased) CHECK(at, allocated == 0);
    if (line->is_new && line->ship_complete) CHECK(at, allocated == 0 || allocated == line->need);
    if (line->is_new && line->ship_complete && !before->item.unreleased) {
        CHECK(at, r->rejected == 0 || r->rejected == line->need);
    }
    for (uint32_t i = 0; i < r->allocs_count; i++) {
        CHECK(at, r->allocs[i].location < before->locations_count);
    }
}

static void check_pegs(const struct where *at, const struct world *before,
                       const struct world *after, const struct oms_plan_line *line,
                       const struct oms_plan_result *r)
{
    for (uint32_t i = 0; i < r->pegs_count; i++) {
        const struct oms_plan_peg *peg = &r->pegs[i];
        if (peg->source == OMS_SOURCE_RELEASE) {
            CHECK(at, before->item.unreleased);
            CHECK(at, peg->promise_day == before->item.release_promise_day);
        } else if (peg->source == OMS_SOURCE_LEAD) {
            CHECK(at, !before->item.unreleased);
            if (line->is_new || peg->promise_day == line->lead_day) {
                /* Within the lead-time budget (or a fallback that lands on the lead day). */
                CHECK(at, peg->promise_day == line->lead_day);
                if (!line->is_new) CHECK(at, before->item.has_lead_time || i + 1 == r->pegs_count);
            } else if (!before->item.has_lead_time) {
                /* Nothing dates what no source carries: undated, and the last peg. */
                CHECK(at, peg->promise_day == OMS_DAY_NONE);
                CHECK(at, i + 1 == r->pegs_count);
            } else {
                /* A waiting line's fallback: never before supply the line can see. */
                CHECK(at, i + 1 == r->pegs_count); /* The fallback is the last peg. */
                CHECK(at, peg->promise_day >= line->lead_day);
                for (uint32_t s = 0; s < before->supplies_count; s++) {
                    if (!sees(line, before->supplies[s].location)) continue;
                    CHECK(at, peg->promise_day >= before->supplies[s].promise_day);
                }
            }
            if (line->is_new) CHECK(at, before->item.has_lead_time);
        } else {
            CHECK(at, peg->source >= 0 && (uint32_t)peg->source < before->supplies_count);
            const struct oms_plan_supply *supply = &before->supplies[peg->source];
            CHECK(at, sees(line, supply->location)); /* Only supply the channel can see. */
            CHECK(at, peg->promise_day == supply->promise_day);
            CHECK(at, !before->item.unreleased);
        }
    }
    for (uint32_t s = 0; s < before->supplies_count; s++) {
        oms_qty taken = pegged_to(r, (int32_t)s);
        CHECK(at, after->supplies[s].open == before->supplies[s].open - taken);
        CHECK(at, after->supplies[s].open >= 0);
    }
    if (line->is_new && (!before->item.backorderable || !line->channel_backorder)) {
        CHECK(at, r->pegs_count == 0);
    }
}

static void check_budget(const struct where *at, const struct world *before,
                         const struct world *after, const struct oms_plan_line *line,
                         const struct oms_plan_result *r)
{
    oms_qty lead_units = pegged_to(r, OMS_SOURCE_LEAD) + pegged_to(r, OMS_SOURCE_RELEASE);
    oms_qty spent = before->item.lead_budget - after->item.lead_budget;
    CHECK(at, after->item.lead_budget >= 0);
    CHECK(at, spent >= 0);
    CHECK(at, spent <= lead_units);
    if (line->is_new) {
        CHECK(at, spent == lead_units); /* A new line's lead units all come from the budget. */
        CHECK(at, lead_units <= before->item.lead_budget);
    }
}

static void check_promise(const struct where *at, const struct world *before,
                          const struct oms_plan_result *r)
{
    oms_day latest = OMS_DAY_NONE;
    for (uint32_t i = 0; i < r->allocs_count; i++) {
        oms_day day = before->locations[r->allocs[i].location].ship_day;
        if (day > latest) latest = day;
    }
    bool undated = false;
    for (uint32_t i = 0; i < r->pegs_count; i++) {
        undated |= r->pegs[i].promise_day == OMS_DAY_NONE;
        if (r->pegs[i].promise_day > latest) latest = r->pegs[i].promise_day;
    }
    CHECK(at, r->promise_day == (undated ? OMS_DAY_NONE : latest));
}

static void plan_and_check(const struct where *at, struct world *w,
                           const struct oms_plan_line *line, struct oms_plan_result *r)
{
    struct world before = *w;
    oms_plan_line(&w->item, w->locations, w->locations_count, w->supplies, w->supplies_count,
                  line, r);
    CHECK(at, w->locations_count == before.locations_count);
    check_counts(at, &before, line, r);
    check_allocations(at, &before, w, line, r);
    check_pegs(at, &before, w, line, r);
    check_budget(at, &before, w, line, r);
    check_promise(at, &before, r);
    check_matches_reference(at, &before, line, r);
}

/* ---- Whole queues. ---- */

/* What must hold across the queue: against the state before its first line. */
struct totals {
    oms_qty start_free[WORLD_LOCATIONS_MAX];
    oms_qty start_open[WORLD_SUPPLIES_MAX];
    oms_qty pegged[WORLD_SUPPLIES_MAX];
    oms_qty start_budget;
    oms_qty new_lead_units;
};

static void check_totals(const struct where *at, const struct world *w, struct totals *t,
                         const struct oms_plan_line *line, const struct oms_plan_result *r)
{
    for (uint32_t i = 0; i < w->locations_count; i++) {
        oms_qty floor = t->start_free[i] < 0 ? t->start_free[i] : 0;
        CHECK(at, w->locations[i].free >= floor);
        if (t->start_free[i] <= 0) CHECK(at, w->locations[i].free == t->start_free[i]);
    }
    for (uint32_t s = 0; s < w->supplies_count; s++) {
        t->pegged[s] += pegged_to(r, (int32_t)s);
        CHECK(at, t->pegged[s] <= t->start_open[s]); /* Each unit of supply pegged once. */
        CHECK(at, t->pegged[s] == t->start_open[s] - w->supplies[s].open);
    }
    if (line->is_new) {
        t->new_lead_units += pegged_to(r, OMS_SOURCE_LEAD) + pegged_to(r, OMS_SOURCE_RELEASE);
    }
    CHECK(at, t->new_lead_units <= t->start_budget);
    CHECK(at, w->item.lead_budget >= 0);
}

static void test_plan_property__invariants_hold_after_every_line_of_random_queues(void **state)
{
    (void)state;
    uint64_t master = 0x2545F4914F6CDD1Du;
    for (int c = 0; c < QUEUE_CASES; c++) {
        struct where at = {.case_seed = next_random(&master), .line_index = -1};
        uint64_t rng = at.case_seed;
        struct world w;
        random_world(&rng, &w, false);
        struct totals t = {.start_budget = w.item.lead_budget};
        for (uint32_t i = 0; i < w.locations_count; i++) t.start_free[i] = w.locations[i].free;
        for (uint32_t s = 0; s < w.supplies_count; s++) t.start_open[s] = w.supplies[s].open;

        int lines = (int)random_in(&rng, 1, QUEUE_LINES_MAX);
        for (at.line_index = 0; at.line_index < lines; at.line_index++) {
            struct oms_plan_line line = random_line(&rng, &w);
            struct oms_plan_result r;
            plan_and_check(&at, &w, &line, &r);
            check_totals(&at, &w, &t, &line, &r);
        }
    }
}

static void test_plan_property__single_new_lines_allocate_as_the_reference_does(void **state)
{
    (void)state;
    uint64_t master = 0x9E3779B97F4A7C15u;
    for (int c = 0; c < SINGLE_CASES; c++) {
        struct where at = {.case_seed = next_random(&master), .line_index = 0};
        uint64_t rng = at.case_seed;
        struct world w;
        random_world(&rng, &w, false);
        struct oms_plan_line line = random_line(&rng, &w);
        line.is_new = true;
        if (line.need == 0) line.need = 1;
        struct oms_plan_result r;
        plan_and_check(&at, &w, &line, &r); /* Includes check_matches_reference(). */
    }
}

static void test_plan_property__an_earlier_identical_line_never_gets_a_later_promise(
    void **state)
{
    (void)state;
    /* Rule 3: earlier orders never get a later promise than later orders of the same
     * priority. Every location ships the same day, so only the sources can differ. */
    uint64_t master = 0xBF58476D1CE4E5B9u;
    for (int c = 0; c < SINGLE_CASES; c++) {
        struct where at = {.case_seed = next_random(&master), .line_index = 0};
        uint64_t rng = at.case_seed;
        struct world w;
        random_world(&rng, &w, true);
        struct oms_plan_line line = random_line(&rng, &w);
        struct oms_plan_result first, second;
        plan_and_check(&at, &w, &line, &first);
        at.line_index = 1;
        plan_and_check(&at, &w, &line, &second);
        if (first.rejected > 0 || second.rejected > 0 || line.need == 0) continue;
        /* Undated (OMS_DAY_NONE) is later than any date. */
        CHECK(&at, second.promise_day == OMS_DAY_NONE ||
                        (first.promise_day != OMS_DAY_NONE && first.promise_day <= second.promise_day));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_property__invariants_hold_after_every_line_of_random_queues),
        cmocka_unit_test(test_plan_property__single_new_lines_allocate_as_the_reference_does),
        cmocka_unit_test(
            test_plan_property__an_earlier_identical_line_never_gets_a_later_promise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
