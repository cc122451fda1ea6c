/*
 * test_plan.c - one order line's decision (core/plan.h): DESIGN.md rule 2 (sourcing, split,
 * ship-complete, backorder to the earliest source, lead time and its limit, policies, minimum
 * order quantity, preorders) and rule 3 (the queue order, waiting lines that are never
 * rejected), with the field scenarios B09, B11, B15, B30 and B35 in our terms. Sourcing
 * (issue 4): fewest shipments, then the nearest location by the region distance table, then
 * priority, then code, and the reason each allocation gives for its location.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/plan.h"

#define TODAY 20000 /* Any day: the plan is given ship days, it does not compute them. */
#define SHIP (TODAY + 2)
#define LEAD (TODAY + 30)
#define ALL_VISIBLE (~(uint64_t)0)

/* One item's state: the caller's copies that the plan consumes line by line. */
struct fixture {
    struct oms_plan_item item;
    struct oms_plan_location locations[OMS_LOCATIONS_MAX];
    uint32_t locations_count;
    struct oms_plan_supply supplies[OMS_SUPPLIES_MAX];
    uint32_t supplies_count;
    struct oms_plan_result result;
};

/* A backorderable item that splits, with no lead time and no minimum. */
static void fixture_init(struct fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->item = (struct oms_plan_item){
        .allow_split = true,
        .backorderable = true,
        .unreleased = false,
        .release_promise_day = OMS_DAY_NONE,
        .has_lead_time = false,
        .lead_budget = OMS_QTY_MAX,
        .min_order_qty = 1,
    };
}

static uint32_t add_location(struct fixture *fx, oms_qty free, int32_t priority, uint32_t region)
{
    uint32_t index = fx->locations_count++;
    fx->locations[index] = (struct oms_plan_location){
        .free = free, .priority = priority, .rank = index, .region = region, .ship_day = SHIP};
    return index;
}

static uint32_t add_supply(struct fixture *fx, uint32_t location, oms_qty open, oms_day day)
{
    uint32_t index = fx->supplies_count++;
    if (index > 0) assert_true(fx->supplies[index - 1].promise_day <= day); /* Sorted input. */
    fx->supplies[index] = (struct oms_plan_supply){
        .location = location, .open = open, .promise_day = day};
    return index;
}

/* A new line from a channel that sees everything and takes backorders. */
static struct oms_plan_line new_line(oms_qty need)
{
    return (struct oms_plan_line){.visible = ALL_VISIBLE,
                                  .region = 0,
                                  .need = need,
                                  .is_new = true,
                                  .ship_complete = false,
                                  .channel_backorder = true,
                                  .lead_day = LEAD};
}

static struct oms_plan_line waiting_line(oms_qty need)
{
    struct oms_plan_line line = new_line(need);
    line.is_new = false;
    return line;
}

static const struct oms_plan_result *plan(struct fixture *fx, const struct oms_plan_line *line)
{
    oms_plan_line(&fx->item, fx->locations, fx->locations_count, fx->supplies,
                  fx->supplies_count, line, &fx->result);
    return &fx->result;
}

static oms_qty allocated_at(const struct oms_plan_result *r, uint32_t location)
{
    oms_qty qty = 0;
    for (uint32_t i = 0; i < r->allocs_count; i++) {
        if (r->allocs[i].location == location) qty += r->allocs[i].qty;
    }
    return qty;
}

static oms_qty allocated_total(const struct oms_plan_result *r)
{
    oms_qty qty = 0;
    for (uint32_t i = 0; i < r->allocs_count; i++) qty += r->allocs[i].qty;
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

static oms_qty pegged_total(const struct oms_plan_result *r)
{
    oms_qty qty = 0;
    for (uint32_t i = 0; i < r->pegs_count; i++) qty += r->pegs[i].qty;
    return qty;
}

static void assert_nothing_rejected(const struct oms_plan_result *r)
{
    assert_int_equal(r->rejected, 0);
    assert_int_equal(r->reason, OMS_REJECT_NONE);
}

/* ---- Rule 2: where free stock comes from. ---- */

static void test_plan__one_location_filling_the_whole_line_beats_a_higher_priority_one(
    void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    uint32_t first = add_location(&fx, 3, 1, 0);
    uint32_t second = add_location(&fx, 10, 2, 0);
    struct oms_plan_line line = new_line(5);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 1);
    assert_int_equal(allocated_at(r, second), 5);
    assert_int_equal(allocated_at(r, first), 0);
    assert_int_equal(fx.locations[second].free, 5);
    assert_int_equal(fx.locations[first].free, 3);
    assert_nothing_rejected(r);
}

static void test_plan__one_location_filling_the_whole_line_beats_the_destination_region(
    void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    uint32_t near = add_location(&fx, 3, 1, 7);
    uint32_t far = add_location(&fx, 10, 2, 9);
    struct oms_plan_line line = new_line(5);
    line.region = 7;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, far), 5);
    assert_int_equal(allocated_at(r, near), 0);
}

static void test_plan__destination_region_comes_before_priority(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    uint32_t far = add_location(&fx, 10, 1, 9);
    uint32_t near = add_location(&fx, 10, 5, 7);
    struct oms_plan_line line = new_line(4);
    line.region = 7;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, near), 4);
    assert_int_equal(allocated_at(r, far), 0);
}

static void test_plan__priority_comes_before_rank(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    uint32_t low_rank = add_location(&fx, 10, 3, 0); /* Rank 0. */
    uint32_t better = add_location(&fx, 10, 1, 0);   /* Rank 1, smaller priority number. */
    struct oms_plan_line line = new_line(4);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, better), 4);
    assert_int_equal(allocated_at(r, low_rank), 0);
}

static void test_plan__rank_breaks_a_priority_tie(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    uint32_t a = add_location(&fx, 10, 2, 0);
    uint32_t b = add_location(&fx, 10, 2, 0);
    fx.locations[a].rank = 5; /* Code order puts b first. */
    fx.locations[b].rank = 1;
    struct oms_plan_line line = new_line(4);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, b), 4);
    assert_int_equal(allocated_at(r, a), 0);
}

static void test_plan__a_split_takes_locations_in_region_then_priority_order(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    uint32_t p1_far = add_location(&fx, 2, 1, 9);
    uint32_t p3_near = add_location(&fx, 2, 3, 7);
    uint32_t p2_far = add_location(&fx, 2, 2, 9);
    struct oms_plan_line line = new_line(5);
    line.region = 7;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 3);
    assert_int_equal(r->allocs[0].location, p3_near);
    assert_int_equal(r->allocs[0].qty, 2);
    assert_int_equal(r->allocs[1].location, p1_far);
    assert_int_equal(r->allocs[1].qty, 2);
    assert_int_equal(r->allocs[2].location, p2_far);
    assert_int_equal(r->allocs[2].qty, 1);
    assert_nothing_rejected(r);
}

static void test_plan__splits_across_ranked_locations_and_leaves_the_empty_one_alone_b30(
    void **state)
{
    (void)state;
    /* B30: ranked AL > CA > NY > NC; AL 2, CA 2, NY 2, NC 0; O1 = A x5 to Florida. */
    struct fixture fx;
    fixture_init(&fx);
    uint32_t al = add_location(&fx, 2, 1, 1);
    uint32_t ca = add_location(&fx, 2, 2, 2);
    uint32_t ny = add_location(&fx, 2, 3, 3);
    uint32_t nc = add_location(&fx, 0, 4, 4);
    struct oms_plan_line line = new_line(5);
    line.region = 10; /* Florida: no location there. */

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 3);
    assert_int_equal(allocated_at(r, al), 2);
    assert_int_equal(allocated_at(r, ca), 2);
    assert_int_equal(allocated_at(r, ny), 1);
    assert_int_equal(allocated_at(r, nc), 0);
    assert_int_equal(fx.locations[al].free, 0);
    assert_int_equal(fx.locations[ca].free, 0);
    assert_int_equal(fx.locations[ny].free, 1);
    assert_int_equal(fx.locations[nc].free, 0);
    for (uint32_t i = 0; i < r->allocs_count; i++) {
        assert_int_equal(r->allocs[i].reason, OMS_SOURCE_REASON_SPLIT);
    }
    assert_nothing_rejected(r);
    assert_int_equal(r->pegs_count, 0);
}

static void test_plan__without_split_nothing_is_allocated_unless_one_location_fills_the_line(
    void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.allow_split = false;
    add_location(&fx, 3, 1, 0);
    add_location(&fx, 3, 2, 0);
    uint32_t po = add_supply(&fx, 0, 10, TODAY + 10);
    struct oms_plan_line line = new_line(5);

    /* Nothing allocated: the whole line goes on, here to supply (a backordered part may still
     * be pegged to several supply lines: allow_split governs stock allocated now). */
    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 0);
    assert_int_equal(fx.locations[0].free, 3);
    assert_int_equal(fx.locations[1].free, 3);
    assert_int_equal(pegged_to(r, (int32_t)po), 5);
    assert_nothing_rejected(r);
    assert_int_equal(r->promise_day, TODAY + 10);
}

static void test_plan__without_split_a_location_that_fills_the_line_is_used(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.allow_split = false;
    add_location(&fx, 3, 1, 0);
    uint32_t big = add_location(&fx, 5, 2, 0);
    struct oms_plan_line line = new_line(5);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, big), 5);
    assert_int_equal(r->allocs_count, 1);
}

static void test_plan__without_split_or_backorders_the_whole_line_is_rejected(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.allow_split = false;
    fx.item.backorderable = false;
    add_location(&fx, 3, 1, 0);
    add_location(&fx, 3, 2, 0);
    struct oms_plan_line line = new_line(5);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 0);
    assert_int_equal(r->pegs_count, 0);
    assert_int_equal(r->rejected, 5);
    assert_int_equal(r->reason, OMS_REJECT_OUT_OF_STOCK);
    assert_int_equal(r->promise_day, OMS_DAY_NONE);
    assert_int_equal(fx.locations[0].free, 3);
}

static void test_plan__a_short_location_gives_nothing_and_free_never_goes_below_zero(
    void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.backorderable = false;
    uint32_t short_loc = add_location(&fx, -4, 1, 0);
    uint32_t zero = add_location(&fx, 0, 2, 0);
    uint32_t some = add_location(&fx, 3, 3, 0);
    struct oms_plan_line line = new_line(5);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, short_loc), 0);
    assert_int_equal(allocated_at(r, zero), 0);
    assert_int_equal(allocated_at(r, some), 3);
    assert_int_equal(fx.locations[short_loc].free, -4); /* Left short, not made worse. */
    assert_int_equal(fx.locations[zero].free, 0);
    assert_int_equal(fx.locations[some].free, 0);
    assert_int_equal(r->rejected, 2);
}

static void test_plan__locations_the_channel_does_not_see_give_nothing(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.backorderable = false;
    uint32_t hidden = add_location(&fx, 10, 1, 0);
    uint32_t seen = add_location(&fx, 2, 2, 0);
    struct oms_plan_line line = new_line(5);
    line.visible = (uint64_t)1 << seen;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, hidden), 0);
    assert_int_equal(allocated_at(r, seen), 2);
    assert_int_equal(r->rejected, 3);
    assert_int_equal(fx.locations[hidden].free, 10);
}

static void test_plan__the_channel_buffer_bounds_what_it_may_allocate_b35(void **state)
{
    (void)state;
    /* B35: WH on_hand 10; WEB (buffer 0) takes 6; MKT (buffer 3) then asks for 2 and may have
     * 10 - 6 - 3 = 1. The item does not backorder here, so the other unit is rejected. */
    struct fixture fx;
    fixture_init(&fx);
    fx.item.backorderable = false;
    uint32_t wh = add_location(&fx, 10, 1, 0);
    struct oms_plan_line web = new_line(6);
    const struct oms_plan_result *r = plan(&fx, &web);
    assert_int_equal(allocated_at(r, wh), 6);

    struct oms_plan_line mkt = new_line(2);
    mkt.buffer = 3;
    r = plan(&fx, &mkt);
    assert_int_equal(allocated_at(r, wh), 1);
    assert_int_equal(r->rejected, 1);
    assert_int_equal(r->reason, OMS_REJECT_OUT_OF_STOCK);
    assert_int_equal(fx.locations[wh].free, 3); /* WH allocated 7 <= 7. */

    /* Partials off: the whole MKT line is rejected, nothing allocated. */
    fixture_init(&fx);
    fx.item.backorderable = false;
    fx.item.allow_split = false;
    add_location(&fx, 4, 1, 0);
    r = plan(&fx, &mkt);
    assert_int_equal(r->allocs_count, 0);
    assert_int_equal(r->rejected, 2);
    assert_int_equal(fx.locations[0].free, 4);
}

/* ---- Sourcing by distance (issue 4) and the reason each allocation gives. ---- */

/* Region ids of the tests below. */
enum { FL = 1, AL = 2, CA = 3, NY = 4, NC = 5, TX = 6, REGION_IDS = 8 };

/* The merchant's distance table: every region has a row; pairs default to "not configured". */
struct distances {
    uint32_t row_of[REGION_IDS];
    int32_t cells[REGION_IDS * REGION_IDS];
    struct oms_region_table table;
};

static void distances_init(struct distances *d)
{
    for (uint32_t i = 0; i < REGION_IDS; i++) d->row_of[i] = i;
    for (uint32_t i = 0; i < REGION_IDS * REGION_IDS; i++) d->cells[i] = OMS_DISTANCE_UNKNOWN;
    d->table = (struct oms_region_table){
        .row_of = d->row_of, .ids_count = REGION_IDS, .cells = d->cells, .stride = REGION_IDS};
}

static void distance_set(struct distances *d, uint32_t a, uint32_t b, int32_t distance)
{
    d->cells[a * REGION_IDS + b] = distance;
    d->cells[b * REGION_IDS + a] = distance;
}

static void test_plan__region_distance_is_zero_within_a_region_and_unknown_pairs_are_far(
    void **state)
{
    (void)state;
    struct distances d;
    distances_init(&d);
    distance_set(&d, FL, AL, 700);
    assert_int_equal(oms_region_distance(&d.table, FL, FL), 0);
    assert_int_equal(oms_region_distance(&d.table, FL, AL), 700);
    assert_int_equal(oms_region_distance(&d.table, AL, FL), 700);
    assert_int_equal(oms_region_distance(&d.table, FL, CA), OMS_DISTANCE_UNKNOWN);
    /* A region without a row (an id beyond the table, or none) knows only itself. */
    assert_int_equal(oms_region_distance(&d.table, 40, FL), OMS_DISTANCE_UNKNOWN);
    assert_int_equal(oms_region_distance(&d.table, 40, 40), 0);
    assert_int_equal(oms_region_distance(NULL, FL, FL), 0);
    assert_int_equal(oms_region_distance(NULL, FL, AL), OMS_DISTANCE_UNKNOWN);
}

static void test_plan__fewest_shipments_beats_distance(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    struct distances d;
    distances_init(&d);
    distance_set(&d, FL, AL, 700);
    distance_set(&d, FL, CA, 4000);
    uint32_t near = add_location(&fx, 3, 1, AL);
    uint32_t far = add_location(&fx, 10, 1, CA);
    struct oms_plan_line line = new_line(5);
    line.region = FL;
    line.regions = &d.table;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 1);
    assert_int_equal(allocated_at(r, far), 5);
    assert_int_equal(allocated_at(r, near), 0);
    assert_int_equal(r->allocs[0].reason, OMS_SOURCE_REASON_ONLY_LOCATION);
}

static void test_plan__distance_beats_priority(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    struct distances d;
    distances_init(&d);
    distance_set(&d, FL, AL, 700);
    distance_set(&d, FL, NY, 1800);
    uint32_t ny = add_location(&fx, 10, 1, NY); /* The better priority, but farther. */
    uint32_t al = add_location(&fx, 10, 5, AL);
    struct oms_plan_line line = new_line(4);
    line.region = FL;
    line.regions = &d.table;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, al), 4);
    assert_int_equal(allocated_at(r, ny), 0);
    assert_int_equal(r->allocs[0].reason, OMS_SOURCE_REASON_NEAREST_REGION);
}

static void test_plan__a_missing_distance_pair_is_farther_than_any_known_one(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    struct distances d;
    distances_init(&d);
    distance_set(&d, FL, NY, OMS_DISTANCE_MAX); /* As far as one may say: still known. */
    uint32_t ca = add_location(&fx, 10, 1, CA); /* No FL-CA pair configured. */
    uint32_t ny = add_location(&fx, 10, 9, NY);
    struct oms_plan_line line = new_line(4);
    line.region = FL;
    line.regions = &d.table;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, ny), 4);
    assert_int_equal(allocated_at(r, ca), 0);
    assert_int_equal(r->allocs[0].reason, OMS_SOURCE_REASON_NEAREST_REGION);
}

static void test_plan__equal_distance_falls_to_priority_then_code(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    struct distances d;
    distances_init(&d);
    distance_set(&d, FL, AL, 700);
    distance_set(&d, FL, NC, 700);
    uint32_t al = add_location(&fx, 10, 2, AL);
    uint32_t nc = add_location(&fx, 10, 1, NC);
    struct oms_plan_line line = new_line(4);
    line.region = FL;
    line.regions = &d.table;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, nc), 4);
    assert_int_equal(r->allocs[0].reason, OMS_SOURCE_REASON_PRIORITY);

    /* Same distance, same priority: code order (rank) decides, and says so. */
    fx.locations[al].priority = 1;
    fx.locations[al].rank = 0;
    fx.locations[nc].rank = 1;
    r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, al), 4);
    assert_int_equal(r->allocs[0].reason, OMS_SOURCE_REASON_CODE_ORDER);
}

static void test_plan__the_reason_names_the_rule_against_the_next_location_that_could(
    void **state)
{
    (void)state;
    /* AL is nearest and has the best priority; CA, the next that could fill the line, is as
     * near as AL: priority is what chose AL, whatever farther NY would have said. */
    struct fixture fx;
    fixture_init(&fx);
    struct distances d;
    distances_init(&d);
    distance_set(&d, FL, AL, 700);
    distance_set(&d, FL, CA, 700);
    distance_set(&d, FL, NY, 1800);
    uint32_t al = add_location(&fx, 10, 1, AL);
    add_location(&fx, 10, 2, CA);
    add_location(&fx, 10, 1, NY);
    add_location(&fx, 1, 1, FL); /* Nearest of all, but cannot fill the line. */
    struct oms_plan_line line = new_line(4);
    line.region = FL;
    line.regions = &d.table;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 1);
    assert_int_equal(allocated_at(r, al), 4);
    assert_int_equal(r->allocs[0].reason, OMS_SOURCE_REASON_PRIORITY);
}

static void test_plan__a_split_uses_the_fewest_locations_before_the_nearest(void **state)
{
    (void)state;
    /* 6 units: AL 2 and NC 2 are near, TX 5 is far. Taking the nearest first would ship from
     * three locations (AL 2, NC 2, TX 2); two can do it, and of the pairs that can (AL+TX,
     * NC+TX) the one with the nearest first member wins. */
    struct fixture fx;
    fixture_init(&fx);
    struct distances d;
    distances_init(&d);
    distance_set(&d, FL, AL, 700);
    distance_set(&d, FL, NC, 900);
    distance_set(&d, FL, TX, 2000);
    uint32_t tx = add_location(&fx, 5, 1, TX);
    uint32_t nc = add_location(&fx, 2, 1, NC);
    uint32_t al = add_location(&fx, 2, 1, AL);
    struct oms_plan_line line = new_line(6);
    line.region = FL;
    line.regions = &d.table;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 2);
    assert_int_equal(r->allocs[0].location, al); /* Nearest first, all it has. */
    assert_int_equal(r->allocs[0].qty, 2);
    assert_int_equal(r->allocs[1].location, tx);
    assert_int_equal(r->allocs[1].qty, 4);
    assert_int_equal(allocated_at(r, nc), 0);
    assert_int_equal(r->allocs[0].reason, OMS_SOURCE_REASON_SPLIT);
    assert_int_equal(r->allocs[1].reason, OMS_SOURCE_REASON_SPLIT);
    assert_nothing_rejected(r);
}

static void test_plan__a_split_of_equal_sets_takes_them_in_distance_order(void **state)
{
    (void)state;
    /* Every location holds 2 and 5 units need three of them: the three nearest. */
    struct fixture fx;
    fixture_init(&fx);
    struct distances d;
    distances_init(&d);
    distance_set(&d, FL, AL, 700);
    distance_set(&d, FL, NC, 900);
    distance_set(&d, FL, NY, 1800);
    distance_set(&d, FL, CA, 4000);
    uint32_t ca = add_location(&fx, 2, 1, CA);
    uint32_t ny = add_location(&fx, 2, 1, NY);
    uint32_t nc = add_location(&fx, 2, 1, NC);
    uint32_t al = add_location(&fx, 2, 1, AL);
    struct oms_plan_line line = new_line(5);
    line.region = FL;
    line.regions = &d.table;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 3);
    assert_int_equal(r->allocs[0].location, al);
    assert_int_equal(r->allocs[1].location, nc);
    assert_int_equal(r->allocs[2].location, ny);
    assert_int_equal(r->allocs[2].qty, 1);
    assert_int_equal(allocated_at(r, ca), 0);
}

static void test_plan__stock_short_of_the_line_is_allocated_as_partial(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    uint32_t a = add_location(&fx, 3, 1, 0);
    uint32_t b = add_location(&fx, 1, 2, 0);
    uint32_t po = add_supply(&fx, a, 10, TODAY + 10);
    struct oms_plan_line line = new_line(10);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, a), 3);
    assert_int_equal(allocated_at(r, b), 1);
    assert_int_equal(r->allocs[0].reason, OMS_SOURCE_REASON_PARTIAL);
    assert_int_equal(r->allocs[1].reason, OMS_SOURCE_REASON_PARTIAL);
    assert_int_equal(pegged_to(r, (int32_t)po), 6);
}

static void test_plan__a_receipt_location_comes_first_and_says_receipt(void **state)
{
    (void)state;
    /* Rule 4 (decision 13): a receipt's re-run turns pegged units into allocations where
     * they arrived, before a nearer location. */
    struct fixture fx;
    fixture_init(&fx);
    struct distances d;
    distances_init(&d);
    distance_set(&d, FL, AL, 700);
    distance_set(&d, FL, CA, 4000);
    uint32_t al = add_location(&fx, 10, 1, AL);
    uint32_t ca = add_location(&fx, 10, 1, CA);
    struct oms_plan_line line = waiting_line(4);
    line.region = FL;
    line.regions = &d.table;
    line.prefer = true;
    line.preferred_location = ca;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_at(r, ca), 4);
    assert_int_equal(allocated_at(r, al), 0);
    assert_int_equal(r->allocs[0].reason, OMS_SOURCE_REASON_RECEIPT);
}

static void test_plan__click_and_collect_allocates_at_its_location_only(void **state)
{
    (void)state;
    /* The store has 2 of 5: those 2 are held there, the rest waits for supply at the store;
     * the warehouse's 10 and the warehouse's purchase order are not the store's. */
    struct fixture fx;
    fixture_init(&fx);
    uint32_t wh = add_location(&fx, 10, 1, 0);
    uint32_t store = add_location(&fx, 2, 5, 0);
    uint32_t po_wh = add_supply(&fx, wh, 10, TODAY + 3);
    uint32_t transfer = add_supply(&fx, store, 10, TODAY + 6);
    struct oms_plan_line line = new_line(5);
    line.collect = true;
    line.visible = (uint64_t)1 << store;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 1);
    assert_int_equal(allocated_at(r, store), 2);
    assert_int_equal(r->allocs[0].reason, OMS_SOURCE_REASON_COLLECT);
    assert_int_equal(pegged_to(r, (int32_t)transfer), 3);
    assert_int_equal(pegged_to(r, (int32_t)po_wh), 0);
    assert_int_equal(fx.locations[wh].free, 10);
}

/* ---- Rule 2: ship complete. ---- */

static void test_plan__ship_complete_is_allocated_whole_across_locations_when_split_allowed(
    void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    add_location(&fx, 3, 1, 0);
    add_location(&fx, 3, 2, 0);
    struct oms_plan_line line = new_line(5);
    line.ship_complete = true;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_total(r), 5);
    assert_int_equal(r->pegs_count, 0);
    assert_nothing_rejected(r);
}

static void test_plan__ship_complete_is_backordered_whole_when_stock_falls_short(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    add_location(&fx, 3, 1, 0);
    uint32_t po = add_supply(&fx, 0, 10, TODAY + 10);
    struct oms_plan_line line = new_line(5);
    line.ship_complete = true;

    /* 3 are free, but a ship-complete line is never allocated in part: all 5 wait for the PO,
     * and the 3 free units stay for other orders. */
    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 0);
    assert_int_equal(fx.locations[0].free, 3);
    assert_int_equal(pegged_to(r, (int32_t)po), 5);
    assert_nothing_rejected(r);
}

static void test_plan__ship_complete_is_backordered_whole_without_split_too(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.allow_split = false;
    fx.item.has_lead_time = true;
    fx.item.lead_budget = 10;
    add_location(&fx, 3, 1, 0);
    add_location(&fx, 3, 2, 0);
    struct oms_plan_line line = new_line(5);
    line.ship_complete = true;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 0);
    assert_int_equal(pegged_to(r, OMS_SOURCE_LEAD), 5);
    assert_int_equal(fx.item.lead_budget, 5);
    assert_nothing_rejected(r);
}

static void test_plan__ship_complete_is_rejected_whole_when_sources_cannot_cover_it(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.has_lead_time = true;
    fx.item.lead_budget = 1;
    add_location(&fx, 3, 1, 0);
    uint32_t po = add_supply(&fx, 0, 1, TODAY + 10);
    struct oms_plan_line line = new_line(6);
    line.ship_complete = true;

    /* Stock 3 + supply 1 + lead budget 1 = 5 < 6: nothing now, nothing pegged, all rejected. */
    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 0);
    assert_int_equal(r->pegs_count, 0);
    assert_int_equal(r->rejected, 6);
    assert_int_equal(r->reason, OMS_REJECT_SHIP_COMPLETE_UNAVAILABLE);
    assert_int_equal(fx.locations[0].free, 3);
    assert_int_equal(fx.supplies[po].open, 1);
    assert_int_equal(fx.item.lead_budget, 1);
}

static void test_plan__ship_complete_without_backorders_is_rejected_whole(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.backorderable = false;
    add_location(&fx, 3, 1, 0);
    struct oms_plan_line line = new_line(5);
    line.ship_complete = true;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 0);
    assert_int_equal(r->rejected, 5);
    assert_int_equal(r->reason, OMS_REJECT_SHIP_COMPLETE_UNAVAILABLE);
    assert_int_equal(fx.locations[0].free, 3);
}

/* ---- Rule 2: the earliest source. ---- */

static void test_plan__the_rest_is_pegged_to_the_earliest_supply_first(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    add_location(&fx, 2, 1, 0);
    uint32_t early = add_supply(&fx, 0, 3, TODAY + 5);
    uint32_t late = add_supply(&fx, 0, 10, TODAY + 9);
    struct oms_plan_line line = new_line(7);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_total(r), 2);
    assert_int_equal(r->pegs_count, 2);
    assert_int_equal(r->pegs[0].source, (int32_t)early);
    assert_int_equal(r->pegs[0].qty, 3);
    assert_int_equal(r->pegs[0].promise_day, TODAY + 5);
    assert_int_equal(r->pegs[1].source, (int32_t)late);
    assert_int_equal(r->pegs[1].qty, 2);
    assert_int_equal(r->pegs[1].promise_day, TODAY + 9);
    assert_int_equal(fx.supplies[early].open, 0);
    assert_int_equal(fx.supplies[late].open, 8);
    assert_int_equal(r->promise_day, TODAY + 9);
    assert_nothing_rejected(r);
}

static void test_plan__supply_the_channel_cannot_see_is_skipped(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    uint32_t seen = add_location(&fx, 0, 1, 0);
    uint32_t hidden = add_location(&fx, 0, 2, 0);
    uint32_t hidden_po = add_supply(&fx, hidden, 10, TODAY + 3);
    uint32_t seen_po = add_supply(&fx, seen, 10, TODAY + 8);
    struct oms_plan_line line = new_line(4);
    line.visible = (uint64_t)1 << seen;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(pegged_to(r, (int32_t)hidden_po), 0);
    assert_int_equal(pegged_to(r, (int32_t)seen_po), 4);
    assert_int_equal(fx.supplies[hidden_po].open, 10);
    assert_int_equal(r->promise_day, TODAY + 8);
}

static void test_plan__supply_with_nothing_open_is_skipped(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    add_location(&fx, 0, 1, 0);
    uint32_t spent = add_supply(&fx, 0, 0, TODAY + 3);
    uint32_t open = add_supply(&fx, 0, 5, TODAY + 8);
    struct oms_plan_line line = new_line(4);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->pegs_count, 1);
    assert_int_equal(pegged_to(r, (int32_t)spent), 0);
    assert_int_equal(pegged_to(r, (int32_t)open), 4);
}

static void test_plan__two_supply_lines_serve_two_orders_in_queue_order_b15(void **state)
{
    (void)state;
    /* B15: on_hand 0; PO1 L1 x10 ETA 07-23, L2 x10 ETA 07-30; O1 x8 then O2 x6. */
    oms_day jul23 = 20657, jul30 = 20664; /* 2026-07-23 and 2026-07-30. */
    struct fixture fx;
    fixture_init(&fx);
    add_location(&fx, 0, 1, 0);
    uint32_t l1 = add_supply(&fx, 0, 10, jul23);
    uint32_t l2 = add_supply(&fx, 0, 10, jul30);

    struct oms_plan_line o1 = new_line(8);
    const struct oms_plan_result *r = plan(&fx, &o1);
    assert_int_equal(pegged_to(r, (int32_t)l1), 8);
    assert_int_equal(r->promise_day, jul23);

    struct oms_plan_line o2 = new_line(6);
    r = plan(&fx, &o2);
    assert_int_equal(pegged_to(r, (int32_t)l1), 2);
    assert_int_equal(pegged_to(r, (int32_t)l2), 4);
    assert_int_equal(r->promise_day, jul30);
    assert_int_equal(fx.supplies[l1].open, 0);
    assert_int_equal(fx.supplies[l2].open, 6);
}

static void test_plan__lead_time_comes_after_earlier_supply_and_before_later_supply(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.has_lead_time = true;
    fx.item.lead_budget = 100;
    add_location(&fx, 0, 1, 0);
    uint32_t early = add_supply(&fx, 0, 2, LEAD - 5);
    uint32_t late = add_supply(&fx, 0, 50, LEAD + 5);
    struct oms_plan_line line = new_line(10);

    /* The later PO would promise after the lead time: while the lead time may carry units,
     * it is the earlier source, so the later PO is not used. */
    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(pegged_to(r, (int32_t)early), 2);
    assert_int_equal(pegged_to(r, OMS_SOURCE_LEAD), 8);
    assert_int_equal(pegged_to(r, (int32_t)late), 0);
    assert_int_equal(fx.supplies[late].open, 50);
    assert_int_equal(fx.item.lead_budget, 92);
    assert_int_equal(r->promise_day, LEAD);
}

static void test_plan__supply_due_on_the_lead_day_is_used_before_the_lead_time(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.has_lead_time = true;
    fx.item.lead_budget = 100;
    add_location(&fx, 0, 1, 0);
    uint32_t same_day = add_supply(&fx, 0, 3, LEAD);
    struct oms_plan_line line = new_line(5);

    /* Same date either way: the supply carries what it can and the limit is spared. */
    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->pegs[0].source, (int32_t)same_day);
    assert_int_equal(pegged_to(r, (int32_t)same_day), 3);
    assert_int_equal(pegged_to(r, OMS_SOURCE_LEAD), 2);
    assert_int_equal(fx.item.lead_budget, 98);
}

static void test_plan__the_backorder_limit_caps_lead_time_units(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.has_lead_time = true;
    fx.item.lead_budget = 4;
    add_location(&fx, 1, 1, 0);
    struct oms_plan_line line = new_line(8);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_total(r), 1);
    assert_int_equal(pegged_to(r, OMS_SOURCE_LEAD), 4);
    assert_int_equal(r->rejected, 3);
    assert_int_equal(r->reason, OMS_REJECT_BACKORDER_LIMIT);
    assert_int_equal(fx.item.lead_budget, 0);

    /* The budget is shared: the next line gets nothing on lead time. */
    struct oms_plan_line next = new_line(1);
    r = plan(&fx, &next);
    assert_int_equal(r->pegs_count, 0);
    assert_int_equal(r->rejected, 1);
    assert_int_equal(r->reason, OMS_REJECT_BACKORDER_LIMIT);
}

static void test_plan__no_lead_time_and_no_supply_rejects_as_out_of_stock(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    add_location(&fx, 2, 1, 0);
    struct oms_plan_line line = new_line(5);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_total(r), 2);
    assert_int_equal(r->rejected, 3);
    assert_int_equal(r->reason, OMS_REJECT_OUT_OF_STOCK);
}

static void test_plan__the_backorder_limit_caps_lead_time_only_not_supply_b09(void **state)
{
    (void)state;
    /* B09: WH1 on_hand 100, backorder limit 70, PO1 x200 due D+10; O1 x150, O2 x20, O3 x1.
     *
     * B09 expects the limit to cap every backordered unit, so O3 (50 + 20 = 70 already
     * backordered) is rejected. DESIGN.md rule 2 differs and wins: `backorder_limit` caps the
     * units backordered on lead time alone; units pegged to supply are capped by that supply.
     * So O1, O2 and O3 all peg PO1 (71 of its 200) and the limit is untouched; only units
     * beyond PO1 fall to the lead time and count against the limit. */
    struct fixture fx;
    fixture_init(&fx);
    fx.item.has_lead_time = true;
    fx.item.lead_budget = 70;
    uint32_t wh1 = add_location(&fx, 100, 1, 0);
    uint32_t po1 = add_supply(&fx, wh1, 200, TODAY + 10);

    struct oms_plan_line o1 = new_line(150);
    const struct oms_plan_result *r = plan(&fx, &o1);
    assert_int_equal(allocated_at(r, wh1), 100);
    assert_int_equal(pegged_to(r, (int32_t)po1), 50);
    assert_int_equal(r->promise_day, TODAY + 10);
    assert_nothing_rejected(r);

    struct oms_plan_line o2 = new_line(20);
    r = plan(&fx, &o2);
    assert_int_equal(pegged_to(r, (int32_t)po1), 20);
    assert_nothing_rejected(r);

    struct oms_plan_line o3 = new_line(1); /* B09 would reject this; we peg PO1. */
    r = plan(&fx, &o3);
    assert_int_equal(pegged_to(r, (int32_t)po1), 1);
    assert_nothing_rejected(r);
    assert_int_equal(fx.supplies[po1].open, 129);
    assert_int_equal(fx.item.lead_budget, 70);

    /* O4 x200: 129 from PO1, then 70 on lead time (the limit), 1 rejected. */
    struct oms_plan_line o4 = new_line(200);
    r = plan(&fx, &o4);
    assert_int_equal(pegged_to(r, (int32_t)po1), 129);
    assert_int_equal(pegged_to(r, OMS_SOURCE_LEAD), 70);
    assert_int_equal(pegged_total(r), 199);
    assert_int_equal(r->rejected, 1);
    assert_int_equal(r->reason, OMS_REJECT_BACKORDER_LIMIT);
    assert_int_equal(r->promise_day, LEAD);
}

static void test_plan__supply_later_than_the_lead_time_serves_once_the_limit_is_spent(
    void **state)
{
    (void)state;
    /* plan.h's recorded choice: better a later date than a refusal. DESIGN.md rule 2 reads
     * "supply that would come later than the lead time is skipped"; that holds while the lead
     * time can carry units (the test above), and this test pins what happens once it cannot. */
    struct fixture fx;
    fixture_init(&fx);
    fx.item.has_lead_time = true;
    fx.item.lead_budget = 3;
    add_location(&fx, 0, 1, 0);
    uint32_t late = add_supply(&fx, 0, 10, LEAD + 20);
    struct oms_plan_line line = new_line(5);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(pegged_to(r, OMS_SOURCE_LEAD), 3);
    assert_int_equal(pegged_to(r, (int32_t)late), 2);
    assert_int_equal(r->promise_day, LEAD + 20);
    assert_nothing_rejected(r);
}

/* ---- Rule 2: policies, channels, minimums, preorders. ---- */

static void test_plan__a_deny_item_rejects_what_is_not_free_as_out_of_stock(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.backorderable = false;
    fx.item.has_lead_time = true;
    fx.item.lead_budget = 100;
    add_location(&fx, 2, 1, 0);
    uint32_t po = add_supply(&fx, 0, 10, TODAY + 3);
    struct oms_plan_line line = new_line(5);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_total(r), 2);
    assert_int_equal(r->pegs_count, 0);
    assert_int_equal(r->rejected, 3);
    assert_int_equal(r->reason, OMS_REJECT_OUT_OF_STOCK);
    assert_int_equal(fx.supplies[po].open, 10);
    assert_int_equal(fx.item.lead_budget, 100);
    assert_int_equal(r->promise_day, SHIP);
}

static void test_plan__a_channel_without_backorders_rejects_the_rest(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.has_lead_time = true;
    add_location(&fx, 2, 1, 0);
    add_supply(&fx, 0, 10, TODAY + 3);
    struct oms_plan_line line = new_line(5);
    line.channel_backorder = false;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_total(r), 2);
    assert_int_equal(r->pegs_count, 0);
    assert_int_equal(r->rejected, 3);
    assert_int_equal(r->reason, OMS_REJECT_CHANNEL_DISALLOWS_BACKORDER);
}

static void test_plan__a_new_line_below_the_minimum_order_qty_is_rejected_whole(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.min_order_qty = 2;
    add_location(&fx, 10, 1, 0);
    struct oms_plan_line line = new_line(1);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 0);
    assert_int_equal(r->rejected, 1);
    assert_int_equal(r->reason, OMS_REJECT_BELOW_MIN_ORDER_QTY);
    assert_int_equal(fx.locations[0].free, 10);

    struct oms_plan_line enough = new_line(2);
    r = plan(&fx, &enough);
    assert_int_equal(allocated_total(r), 2);
    assert_nothing_rejected(r);
}

static void test_plan__a_waiting_line_below_the_minimum_is_still_served(void **state)
{
    (void)state;
    /* A waiting line's need is what is left of an accepted sale: the minimum no longer applies. */
    struct fixture fx;
    fixture_init(&fx);
    fx.item.min_order_qty = 5;
    add_location(&fx, 10, 1, 0);
    struct oms_plan_line line = waiting_line(1);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_total(r), 1);
    assert_nothing_rejected(r);
}

static void test_plan__an_unreleased_item_pegs_the_release_capped_by_the_limit(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.unreleased = true;
    fx.item.release_promise_day = TODAY + 40;
    fx.item.lead_budget = 5;
    add_location(&fx, 100, 1, 0); /* Stock is there, but nothing ships before the release. */
    add_supply(&fx, 0, 10, TODAY + 3);
    struct oms_plan_line line = new_line(3);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 0);
    assert_int_equal(r->pegs_count, 1);
    assert_int_equal(r->pegs[0].source, OMS_SOURCE_RELEASE);
    assert_int_equal(r->pegs[0].qty, 3);
    assert_int_equal(r->promise_day, TODAY + 40);
    assert_int_equal(fx.locations[0].free, 100);
    assert_int_equal(fx.supplies[0].open, 10);
    assert_int_equal(fx.item.lead_budget, 2);

    struct oms_plan_line more = new_line(4);
    r = plan(&fx, &more);
    assert_int_equal(pegged_to(r, OMS_SOURCE_RELEASE), 2);
    assert_int_equal(r->rejected, 2);
    assert_int_equal(r->reason, OMS_REJECT_BACKORDER_LIMIT);
    assert_int_equal(fx.item.lead_budget, 0);
}

static void test_plan__an_unreleased_item_on_a_channel_without_backorders_is_rejected(
    void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.unreleased = true;
    fx.item.release_promise_day = TODAY + 40;
    add_location(&fx, 100, 1, 0);
    struct oms_plan_line line = new_line(3);
    line.channel_backorder = false;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 0);
    assert_int_equal(r->pegs_count, 0);
    assert_int_equal(r->rejected, 3);
    assert_int_equal(r->reason, OMS_REJECT_CHANNEL_DISALLOWS_BACKORDER);
}

/* ---- Rule 3: waiting lines are accepted sales. ---- */

static void test_plan__a_waiting_line_takes_free_stock_first(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    add_location(&fx, 2, 1, 0);
    uint32_t po = add_supply(&fx, 0, 10, TODAY + 5);
    struct oms_plan_line line = waiting_line(3);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_total(r), 2);
    assert_int_equal(pegged_to(r, (int32_t)po), 1);
    assert_nothing_rejected(r);
}

static void test_plan__a_waiting_line_may_exceed_the_lead_time_budget(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.has_lead_time = true;
    fx.item.lead_budget = 2;
    add_location(&fx, 0, 1, 0);
    struct oms_plan_line line = waiting_line(5);

    const struct oms_plan_result *r = plan(&fx, &line);
    /* Two lead-time pegs: the budget's 2 units, then the 3 no source carries (an accepted sale
     * is never refused), both dated by the lead time as no supply comes later. */
    assert_int_equal(r->pegs_count, 2);
    assert_int_equal(r->pegs[0].qty, 2);
    assert_int_equal(pegged_to(r, OMS_SOURCE_LEAD), 5);
    assert_nothing_rejected(r);
    assert_int_equal(r->promise_day, LEAD);
    assert_int_equal(fx.item.lead_budget, 0); /* Spent, never negative. */
}

static void test_plan__a_waiting_line_with_no_source_left_waits_undated(void **state)
{
    (void)state;
    /* Supply was cut and the item has no lead time: the sale stands, but nothing dates the
     * units no supply carries: the line has no promise until supply comes (a made-up date
     * would be earlier than the truth). */
    struct fixture fx;
    fixture_init(&fx);
    add_location(&fx, 0, 1, 0);
    uint32_t po = add_supply(&fx, 0, 1, TODAY + 5);
    struct oms_plan_line line = waiting_line(4);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(pegged_to(r, (int32_t)po), 1);
    assert_int_equal(pegged_to(r, OMS_SOURCE_LEAD), 3);
    assert_nothing_rejected(r);
    assert_int_equal(r->promise_day, OMS_DAY_NONE);
}

static void test_plan__a_line_behind_in_the_queue_is_never_promised_before_one_ahead(
    void **state)
{
    (void)state;
    /* Supply was cut to 3 and the item has no lead time; two waiting lines of 5 remain. The
     * first gets the 3 units due D+37 and waits for the rest; the second finds nothing left.
     * Dating the rest on the lead day (D+30) would promise the second line before the first;
     * without a lead time neither line has a date for its uncovered units. */
    struct fixture fx;
    fixture_init(&fx);
    add_location(&fx, 0, 1, 0);
    uint32_t po = add_supply(&fx, 0, 3, TODAY + 37);
    struct oms_plan_line line = waiting_line(5);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(pegged_to(r, (int32_t)po), 3);
    assert_int_equal(pegged_to(r, OMS_SOURCE_LEAD), 2);
    assert_int_equal(r->promise_day, OMS_DAY_NONE);

    r = plan(&fx, &line);
    assert_int_equal(pegged_to(r, OMS_SOURCE_LEAD), 5);
    assert_int_equal(r->promise_day, OMS_DAY_NONE);
    assert_nothing_rejected(r);
}

static void test_plan__a_waiting_line_is_served_whatever_the_policy_and_channel_say_now(
    void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.backorderable = false; /* The merchant switched the item to deny since the sale. */
    fx.item.min_order_qty = 10;
    add_location(&fx, 0, 1, 0);
    uint32_t po = add_supply(&fx, 0, 10, TODAY + 5);
    struct oms_plan_line line = waiting_line(3);
    line.channel_backorder = false;

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(pegged_to(r, (int32_t)po), 3);
    assert_nothing_rejected(r);
}

static void test_plan__a_waiting_preorder_line_may_exceed_the_limit(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.unreleased = true;
    fx.item.release_promise_day = TODAY + 40;
    fx.item.lead_budget = 1;
    add_location(&fx, 0, 1, 0);
    struct oms_plan_line line = waiting_line(4);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(pegged_to(r, OMS_SOURCE_RELEASE), 4);
    assert_nothing_rejected(r);
    assert_int_equal(fx.item.lead_budget, 0);
}

/* ---- Promise dates. ---- */

static void test_plan__the_promise_is_the_latest_day_over_allocations_and_pegs(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    uint32_t slow = add_location(&fx, 2, 1, 0);
    uint32_t fast = add_location(&fx, 2, 2, 0);
    fx.locations[slow].ship_day = TODAY + 6;
    fx.locations[fast].ship_day = TODAY + 1;
    struct oms_plan_line line = new_line(4);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(allocated_total(r), 4);
    assert_int_equal(r->promise_day, TODAY + 6);

    /* With a peg due earlier than the slow location's ship day, the ship day still rules. */
    fixture_init(&fx);
    slow = add_location(&fx, 2, 1, 0);
    fx.locations[slow].ship_day = TODAY + 6;
    add_supply(&fx, 0, 5, TODAY + 4);
    r = plan(&fx, &line);
    assert_int_equal(r->promise_day, TODAY + 6);

    /* And a later peg moves it out. */
    fixture_init(&fx);
    add_location(&fx, 2, 1, 0);
    add_supply(&fx, 0, 5, TODAY + 9);
    r = plan(&fx, &line);
    assert_int_equal(r->promise_day, TODAY + 9);
}

static void test_plan__a_line_with_nothing_placed_has_no_promise(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.backorderable = false;
    add_location(&fx, 0, 1, 0);
    struct oms_plan_line line = new_line(3);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->promise_day, OMS_DAY_NONE);
    assert_int_equal(r->rejected, 3);
}

static void test_plan__a_line_needing_nothing_changes_nothing(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    fx.item.has_lead_time = true;
    fx.item.lead_budget = 3;
    add_location(&fx, 5, 1, 0);
    add_supply(&fx, 0, 5, TODAY + 4);
    struct oms_plan_line line = waiting_line(0);

    const struct oms_plan_result *r = plan(&fx, &line);
    assert_int_equal(r->allocs_count, 0);
    assert_int_equal(r->pegs_count, 0);
    assert_nothing_rejected(r);
    assert_int_equal(r->promise_day, OMS_DAY_NONE);
    assert_int_equal(fx.locations[0].free, 5);
    assert_int_equal(fx.supplies[0].open, 5);
    assert_int_equal(fx.item.lead_budget, 3);
}

/* ---- Rule 3: the queue order. ---- */

static bool before(int32_t priority, int64_t at_ms, const char *order_id, uint32_t line_no,
                   int32_t priority_b, int64_t at_ms_b, const char *order_id_b,
                   uint32_t line_no_b)
{
    const struct oms_queue_key a = {priority, at_ms, order_id, line_no};
    const struct oms_queue_key b = {priority_b, at_ms_b, order_id_b, line_no_b};
    return oms_queue_before(&a, &b);
}

static void test_plan__queue_orders_by_order_time_not_arrival_b11(void **state)
{
    (void)state;
    /* B11: inserted O1 (01-01), O2 (01-04), O3 (01-02, arrived late): served O1, O3, O2. */
    const int64_t day_ms = 86400000;
    const int64_t jan1 = (int64_t)20454 * day_ms; /* 2026-01-01 */
    struct oms_queue_key keys[] = {
        {1, jan1, "O1", 1}, {1, jan1 + 3 * day_ms, "O2", 1}, {1, jan1 + day_ms, "O3", 1}};
    /* Sort by the comparator (insertion sort) and read the order back. */
    for (uint32_t i = 1; i < 3; i++) {
        struct oms_queue_key key = keys[i];
        uint32_t at = i;
        while (at > 0 && oms_queue_before(&key, &keys[at - 1])) {
            keys[at] = keys[at - 1];
            at--;
        }
        keys[at] = key;
    }
    assert_string_equal(keys[0].order_id, "O1");
    assert_string_equal(keys[1].order_id, "O3");
    assert_string_equal(keys[2].order_id, "O2");
}

static void test_plan__queue_orders_by_channel_priority_first(void **state)
{
    (void)state;
    /* A later order from a higher-priority channel comes first. */
    assert_true(before(1, 500, "Z", 9, 2, 100, "A", 1));
    assert_false(before(2, 100, "A", 1, 1, 500, "Z", 9));
}

static void test_plan__queue_orders_by_time_then_order_id_then_line(void **state)
{
    (void)state;
    assert_true(before(1, 100, "Z", 9, 1, 200, "A", 1));
    assert_false(before(1, 200, "A", 1, 1, 100, "Z", 9));
    assert_true(before(1, 100, "O1", 9, 1, 100, "O2", 1));
    assert_false(before(1, 100, "O2", 1, 1, 100, "O1", 9));
    assert_true(before(1, 100, "O1", 1, 1, 100, "O1", 2));
    assert_false(before(1, 100, "O1", 2, 1, 100, "O1", 1));
    /* Strict: a key is not before itself. */
    assert_false(before(1, 100, "O1", 1, 1, 100, "O1", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_plan__one_location_filling_the_whole_line_beats_a_higher_priority_one),
        cmocka_unit_test(
            test_plan__one_location_filling_the_whole_line_beats_the_destination_region),
        cmocka_unit_test(test_plan__destination_region_comes_before_priority),
        cmocka_unit_test(test_plan__priority_comes_before_rank),
        cmocka_unit_test(test_plan__rank_breaks_a_priority_tie),
        cmocka_unit_test(test_plan__a_split_takes_locations_in_region_then_priority_order),
        cmocka_unit_test(
            test_plan__splits_across_ranked_locations_and_leaves_the_empty_one_alone_b30),
        cmocka_unit_test(
            test_plan__without_split_nothing_is_allocated_unless_one_location_fills_the_line),
        cmocka_unit_test(test_plan__without_split_a_location_that_fills_the_line_is_used),
        cmocka_unit_test(test_plan__without_split_or_backorders_the_whole_line_is_rejected),
        cmocka_unit_test(
            test_plan__a_short_location_gives_nothing_and_free_never_goes_below_zero),
        cmocka_unit_test(test_plan__locations_the_channel_does_not_see_give_nothing),
        cmocka_unit_test(test_plan__the_channel_buffer_bounds_what_it_may_allocate_b35),
        cmocka_unit_test(
            test_plan__region_distance_is_zero_within_a_region_and_unknown_pairs_are_far),
        cmocka_unit_test(test_plan__fewest_shipments_beats_distance),
        cmocka_unit_test(test_plan__distance_beats_priority),
        cmocka_unit_test(test_plan__a_missing_distance_pair_is_farther_than_any_known_one),
        cmocka_unit_test(test_plan__equal_distance_falls_to_priority_then_code),
        cmocka_unit_test(
            test_plan__the_reason_names_the_rule_against_the_next_location_that_could),
        cmocka_unit_test(test_plan__a_split_uses_the_fewest_locations_before_the_nearest),
        cmocka_unit_test(test_plan__a_split_of_equal_sets_takes_them_in_distance_order),
        cmocka_unit_test(test_plan__stock_short_of_the_line_is_allocated_as_partial),
        cmocka_unit_test(test_plan__a_receipt_location_comes_first_and_says_receipt),
        cmocka_unit_test(test_plan__click_and_collect_allocates_at_its_location_only),
        cmocka_unit_test(
            test_plan__ship_complete_is_allocated_whole_across_locations_when_split_allowed),
        cmocka_unit_test(test_plan__ship_complete_is_backordered_whole_when_stock_falls_short),
        cmocka_unit_test(test_plan__ship_complete_is_backordered_whole_without_split_too),
        cmocka_unit_test(
            test_plan__ship_complete_is_rejected_whole_when_sources_cannot_cover_it),
        cmocka_unit_test(test_plan__ship_complete_without_backorders_is_rejected_whole),
        cmocka_unit_test(test_plan__the_rest_is_pegged_to_the_earliest_supply_first),
        cmocka_unit_test(test_plan__supply_the_channel_cannot_see_is_skipped),
        cmocka_unit_test(test_plan__supply_with_nothing_open_is_skipped),
        cmocka_unit_test(test_plan__two_supply_lines_serve_two_orders_in_queue_order_b15),
        cmocka_unit_test(
            test_plan__lead_time_comes_after_earlier_supply_and_before_later_supply),
        cmocka_unit_test(test_plan__supply_due_on_the_lead_day_is_used_before_the_lead_time),
        cmocka_unit_test(test_plan__the_backorder_limit_caps_lead_time_units),
        cmocka_unit_test(test_plan__no_lead_time_and_no_supply_rejects_as_out_of_stock),
        cmocka_unit_test(test_plan__the_backorder_limit_caps_lead_time_only_not_supply_b09),
        cmocka_unit_test(
            test_plan__supply_later_than_the_lead_time_serves_once_the_limit_is_spent),
        cmocka_unit_test(test_plan__a_deny_item_rejects_what_is_not_free_as_out_of_stock),
        cmocka_unit_test(test_plan__a_channel_without_backorders_rejects_the_rest),
        cmocka_unit_test(test_plan__a_new_line_below_the_minimum_order_qty_is_rejected_whole),
        cmocka_unit_test(test_plan__a_waiting_line_below_the_minimum_is_still_served),
        cmocka_unit_test(test_plan__an_unreleased_item_pegs_the_release_capped_by_the_limit),
        cmocka_unit_test(
            test_plan__an_unreleased_item_on_a_channel_without_backorders_is_rejected),
        cmocka_unit_test(test_plan__a_waiting_line_takes_free_stock_first),
        cmocka_unit_test(test_plan__a_waiting_line_may_exceed_the_lead_time_budget),
        cmocka_unit_test(test_plan__a_waiting_line_with_no_source_left_waits_undated),
        cmocka_unit_test(
            test_plan__a_line_behind_in_the_queue_is_never_promised_before_one_ahead),
        cmocka_unit_test(
            test_plan__a_waiting_line_is_served_whatever_the_policy_and_channel_say_now),
        cmocka_unit_test(test_plan__a_waiting_preorder_line_may_exceed_the_limit),
        cmocka_unit_test(test_plan__the_promise_is_the_latest_day_over_allocations_and_pegs),
        cmocka_unit_test(test_plan__a_line_with_nothing_placed_has_no_promise),
        cmocka_unit_test(test_plan__a_line_needing_nothing_changes_nothing),
        cmocka_unit_test(test_plan__queue_orders_by_order_time_not_arrival_b11),
        cmocka_unit_test(test_plan__queue_orders_by_channel_priority_first),
        cmocka_unit_test(test_plan__queue_orders_by_time_then_order_id_then_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
