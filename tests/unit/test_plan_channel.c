/*
 * test_plan_channel.c - oms_plan_line() under a channel's rules (core/channel.h, core/plan.h):
 * buffers in percent, other channels' floors (never eaten into, by new or waiting lines; the
 * protected channel still sells them), caps (the excess rejected with channel_cap, whole for
 * ship-complete lines and below the minimum order quantity, backorders capped too, waiting
 * lines never). A random property test checks the floor invariant over sequences of orders
 * from channels with overlapping locations, and that a line always gets what rule 1 shows.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/plan.h"
#include "../test_random.h"

#define TODAY 20000
#define SHIP (TODAY + 1)
#define LEAD (TODAY + 20)

struct fixture {
    struct oms_plan_item item;
    struct oms_plan_location locations[OMS_LOCATIONS_MAX];
    uint32_t locations_count;
    struct oms_plan_supply supplies[OMS_SUPPLIES_MAX];
    uint32_t supplies_count;
    struct oms_plan_result result;
};

static void fixture_init(struct fixture *fx, bool backorderable)
{
    memset(fx, 0, sizeof *fx);
    fx->item = (struct oms_plan_item){.allow_split = true,
                                      .backorderable = backorderable,
                                      .release_promise_day = OMS_DAY_NONE,
                                      .has_lead_time = backorderable,
                                      .lead_budget = OMS_QTY_MAX,
                                      .min_order_qty = 1};
}

static uint32_t add_location(struct fixture *fx, oms_qty free, int32_t priority)
{
    uint32_t index = fx->locations_count++;
    fx->locations[index] = (struct oms_plan_location){
        .free = free, .priority = priority, .rank = index, .region = 0, .ship_day = SHIP};
    return index;
}

static struct oms_plan_line line_of(uint64_t visible, oms_qty need)
{
    return (struct oms_plan_line){.visible = visible,
                                  .need = need,
                                  .is_new = true,
                                  .channel_backorder = true,
                                  .lead_day = LEAD};
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

static oms_qty pegged_total(const struct oms_plan_result *r)
{
    oms_qty qty = 0;
    for (uint32_t i = 0; i < r->pegs_count; i++) qty += r->pegs[i].qty;
    return qty;
}

static void test_plan_channel__a_percent_buffer_bounds_the_allocation_rounded_down(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, false);
    add_location(&fx, 25, 1);
    struct oms_plan_line mkt = line_of(0x1, 30);
    mkt.buffer_percent = 10; /* 2.5 -> 2 held back. */
    const struct oms_plan_result *r = plan(&fx, &mkt);
    assert_int_equal(allocated_total(r), 23);
    assert_int_equal(r->rejected, 7);
    assert_int_equal(fx.locations[0].free, 2);
}

static void test_plan_channel__another_channel_never_takes_a_floor_but_its_owner_does(
    void **state)
{
    (void)state;
    /* A (priority 1) has 5 and is WEB's only location, floor 5; B (priority 2) has 100. MKT
     * sees both and asks for 103: it may have 100, all from B, even though A comes first. */
    struct fixture fx;
    fixture_init(&fx, false);
    uint32_t a = add_location(&fx, 5, 1), b = add_location(&fx, 100, 2);
    struct oms_floor web_floor = {.locations = 0x1, .floor = 5};
    struct oms_plan_line mkt = line_of(0x3, 103);
    mkt.floors = &web_floor;
    mkt.floors_count = 1;
    const struct oms_plan_result *r = plan(&fx, &mkt);
    assert_int_equal(allocated_at(r, a), 0);
    assert_int_equal(allocated_at(r, b), 100);
    assert_int_equal(r->rejected, 3);
    /* WEB sells its floor. */
    struct oms_plan_line web = line_of(0x1, 5);
    r = plan(&fx, &web);
    assert_int_equal(allocated_at(r, a), 5);
}

static void test_plan_channel__a_floor_held_elsewhere_leaves_the_rest_free(void **state)
{
    (void)state;
    /* WEB protects 10 over A and S (a store MKT does not see); S has 6, so A must keep 4. */
    struct fixture fx;
    fixture_init(&fx, false);
    uint32_t a = add_location(&fx, 20, 1);
    add_location(&fx, 6, 2);
    struct oms_floor web_floor = {.locations = 0x3, .floor = 10};
    struct oms_plan_line mkt = line_of(0x1, 20);
    mkt.floors = &web_floor;
    mkt.floors_count = 1;
    const struct oms_plan_result *r = plan(&fx, &mkt);
    assert_int_equal(allocated_at(r, a), 16);
    assert_int_equal(fx.locations[a].free, 4);
}

static void test_plan_channel__waiting_lines_and_ship_complete_respect_floors(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, true);
    add_location(&fx, 8, 1);
    struct oms_floor web_floor = {.locations = 0x1, .floor = 6};
    struct oms_plan_line waiting = line_of(0x1, 5);
    waiting.is_new = false;
    waiting.floors = &web_floor;
    waiting.floors_count = 1;
    const struct oms_plan_result *r = plan(&fx, &waiting);
    assert_int_equal(allocated_total(r), 2); /* 8 - 6. */
    assert_int_equal(pegged_total(r), 3);
    assert_int_equal(fx.locations[0].free, 6);
    /* A ship-complete line that the floor would cut is not allocated at all. */
    struct oms_plan_line whole = line_of(0x1, 3);
    whole.ship_complete = true;
    whole.floors = &web_floor;
    whole.floors_count = 1;
    r = plan(&fx, &whole);
    assert_int_equal(allocated_total(r), 0);
    assert_int_equal(pegged_total(r), 3);
}

static void test_plan_channel__the_cap_rejects_the_excess_and_caps_backorders_too(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, true);
    add_location(&fx, 2, 1);
    struct oms_plan_line mkt = line_of(0x1, 10);
    mkt.capped = true;
    mkt.cap_left = 4;
    const struct oms_plan_result *r = plan(&fx, &mkt);
    assert_int_equal(allocated_total(r), 2);
    assert_int_equal(pegged_total(r), 2); /* Backorders are capped as well. */
    assert_int_equal(r->rejected, 6);
    assert_int_equal(r->reason, OMS_REJECT_CHANNEL_CAP);
    /* Within the cap nothing changes. */
    fixture_init(&fx, true);
    add_location(&fx, 2, 1);
    mkt.need = 4;
    r = plan(&fx, &mkt);
    assert_int_equal(r->rejected, 0);
    /* A cap of 0: all rejected, nothing taken. */
    mkt.cap_left = 0;
    r = plan(&fx, &mkt);
    assert_int_equal(r->rejected, 4);
    assert_int_equal(r->reason, OMS_REJECT_CHANNEL_CAP);
    assert_int_equal(fx.locations[0].free, 0);
}

static void test_plan_channel__the_cap_refuses_whole_lines_that_must_not_be_cut(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, false);
    add_location(&fx, 20, 1);
    struct oms_plan_line whole = line_of(0x1, 5);
    whole.capped = true;
    whole.cap_left = 4;
    whole.ship_complete = true;
    const struct oms_plan_result *r = plan(&fx, &whole);
    assert_int_equal(r->rejected, 5);
    assert_int_equal(r->reason, OMS_REJECT_CHANNEL_CAP);
    assert_int_equal(fx.locations[0].free, 20);
    /* Sold in sixes: 4 left under the cap is below the minimum order quantity. */
    fx.item.min_order_qty = 6;
    struct oms_plan_line six = line_of(0x1, 6);
    six.capped = true;
    six.cap_left = 4;
    r = plan(&fx, &six);
    assert_int_equal(r->rejected, 6);
    assert_int_equal(r->reason, OMS_REJECT_CHANNEL_CAP);
}

static void test_plan_channel__units_refused_anyway_keep_their_own_reason(void **state)
{
    (void)state;
    /* 10 asked, cap 6, 2 in stock, no backorders: 2 allocated, 8 rejected; without the cap 8
     * would be rejected too, so the reason is out_of_stock. */
    struct fixture fx;
    fixture_init(&fx, false);
    add_location(&fx, 2, 1);
    struct oms_plan_line mkt = line_of(0x1, 10);
    mkt.capped = true;
    mkt.cap_left = 6;
    const struct oms_plan_result *r = plan(&fx, &mkt);
    assert_int_equal(allocated_total(r), 2);
    assert_int_equal(r->rejected, 8);
    assert_int_equal(r->reason, OMS_REJECT_OUT_OF_STOCK);
}

static void test_plan_channel__a_waiting_line_is_never_capped(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, true);
    add_location(&fx, 3, 1);
    struct oms_plan_line waiting = line_of(0x1, 5);
    waiting.is_new = false;
    waiting.capped = true;
    waiting.cap_left = 0;
    const struct oms_plan_result *r = plan(&fx, &waiting);
    assert_int_equal(allocated_total(r), 3);
    assert_int_equal(pegged_total(r), 2);
    assert_int_equal(r->rejected, 0);
}

/* ---- Property: floors hold, and a line gets what rule 1 shows. ---- */

#define WORLD_LOCATIONS 6
#define WORLD_CHANNELS 4
#define CASES 3000
#define ORDERS 30

static oms_qty available_over(const struct fixture *fx, uint64_t mask)
{
    oms_qty sum = 0;
    for (uint32_t l = 0; l < fx->locations_count; l++) {
        if ((mask >> l) & 1u && fx->locations[l].free > 0) sum += fx->locations[l].free;
    }
    return sum;
}

static void test_plan_channel__orders_of_other_channels_never_eat_into_a_floor(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (int c = 0; c < CASES; c++) {
        uint64_t case_seed = next_random(&seed);
        uint64_t rng = case_seed;
        struct fixture fx;
        fixture_init(&fx, random_in(&rng, 0, 1) == 1);
        fx.item.allow_split = random_in(&rng, 0, 3) != 0;
        for (uint32_t l = 0; l < WORLD_LOCATIONS; l++) {
            add_location(&fx, random_in(&rng, -3, 20), (int32_t)random_in(&rng, 1, 3));
        }
        uint64_t ships[WORLD_CHANNELS];
        struct oms_floor floor_of[WORLD_CHANNELS];
        for (uint32_t ch = 0; ch < WORLD_CHANNELS; ch++) {
            ships[ch] = (uint64_t)random_in(&rng, 1, (1 << WORLD_LOCATIONS) - 1);
            floor_of[ch] = (struct oms_floor){ships[ch],
                                              random_in(&rng, 0, 2) ? random_in(&rng, 0, 25) : 0};
        }
        for (int o = 0; o < ORDERS; o++) {
            uint32_t d = (uint32_t)random_in(&rng, 0, WORLD_CHANNELS - 1);
            struct oms_floor others[WORLD_CHANNELS];
            uint32_t others_count = 0;
            oms_qty before[WORLD_CHANNELS];
            for (uint32_t ch = 0; ch < WORLD_CHANNELS; ch++) {
                before[ch] = available_over(&fx, ships[ch]);
                if (ch != d && floor_of[ch].floor > 0) others[others_count++] = floor_of[ch];
            }
            struct oms_plan_line line = line_of(ships[d], random_in(&rng, 1, 30));
            line.is_new = random_in(&rng, 0, 4) != 0;
            line.ship_complete = line.is_new && random_in(&rng, 0, 5) == 0;
            line.buffer = random_in(&rng, 0, 2) ? 0 : random_in(&rng, 0, 5);
            line.buffer_percent = (int32_t)(random_in(&rng, 0, 2) ? 0 : random_in(&rng, 0, 100));
            line.floors = others;
            line.floors_count = others_count;
            oms_qty free[WORLD_LOCATIONS];
            for (uint32_t l = 0; l < WORLD_LOCATIONS; l++) free[l] = fx.locations[l].free;
            struct oms_channel_limits limits = {ships[d], line.buffer, line.buffer_percent,
                                                others, others_count, OMS_QTY_MAX};
            oms_qty shown = oms_channel_available_with(free, WORLD_LOCATIONS, &limits);
            const struct oms_plan_result *r = plan(&fx, &line);
            oms_qty got = allocated_total(r);
            if (got > shown) fail_msg("case %llx order %d: allocated %lld beyond availability %lld",
                                      (unsigned long long)case_seed, o, (long long)got,
                                      (long long)shown);
            bool may_cut = fx.item.allow_split && !line.ship_complete;
            oms_qty expect = line.need < shown ? line.need : shown;
            if (may_cut && got != expect) {
                fail_msg("case %llx order %d: allocated %lld, rule 1 shows %lld for %lld",
                         (unsigned long long)case_seed, o, (long long)got, (long long)shown,
                         (long long)line.need);
            }
            for (uint32_t ch = 0; ch < WORLD_CHANNELS; ch++) {
                if (ch == d || floor_of[ch].floor == 0) continue;
                oms_qty after = available_over(&fx, ships[ch]);
                oms_qty kept = before[ch] < floor_of[ch].floor ? before[ch] : floor_of[ch].floor;
                if (after < kept) {
                    fail_msg("case %llx order %d: channel %u's floor %lld: %lld left of %lld",
                             (unsigned long long)case_seed, o, ch, (long long)floor_of[ch].floor,
                             (long long)after, (long long)before[ch]);
                }
            }
            for (uint32_t l = 0; l < WORLD_LOCATIONS; l++) {
                if (free[l] >= 0) assert_true(fx.locations[l].free >= 0); /* No oversell. */
            }
        }
    }
}

/* Decision 36: the per-location figures of an availability answer. Over random stock, buffers,
 * floors and caps: they add up to the channel's availability (a connector summing them gets
 * the total, never more), none exceeds the location's free stock, and each is what one order
 * of the channel could take at that location alone: a line of that many units, preferring
 * the location, is allocated there whole. */
static void test_plan_channel__the_location_split_adds_up_and_each_part_sells_alone(void **state)
{
    (void)state;
    uint64_t seed = 0xD1B54A32D192ED03ull;
    for (int c = 0; c < CASES * 3; c++) {
        uint64_t case_seed = next_random(&seed);
        uint64_t rng = case_seed;
        struct fixture fx;
        fixture_init(&fx, false);
        for (uint32_t l = 0; l < WORLD_LOCATIONS; l++) {
            add_location(&fx, random_in(&rng, -3, 20), (int32_t)random_in(&rng, 1, 3));
        }
        uint64_t ships = (uint64_t)random_in(&rng, 1, (1 << WORLD_LOCATIONS) - 1);
        struct oms_floor others[WORLD_CHANNELS];
        uint32_t others_count = 0;
        for (uint32_t ch = 1; ch < WORLD_CHANNELS; ch++) {
            uint64_t theirs = (uint64_t)random_in(&rng, 1, (1 << WORLD_LOCATIONS) - 1);
            oms_qty floor = random_in(&rng, 0, 2) ? random_in(&rng, 1, 30) : 0;
            if (floor > 0) others[others_count++] = (struct oms_floor){theirs, floor};
        }
        struct oms_channel_limits limits = {
            ships,
            random_in(&rng, 0, 1) ? 0 : random_in(&rng, 0, 15),
            (int32_t)(random_in(&rng, 0, 1) ? 0 : random_in(&rng, 0, 100)),
            others,
            others_count,
            random_in(&rng, 0, 3) ? OMS_QTY_MAX : random_in(&rng, 0, 40)};
        oms_qty free[WORLD_LOCATIONS];
        for (uint32_t l = 0; l < WORLD_LOCATIONS; l++) free[l] = fx.locations[l].free;
        oms_qty shown = oms_channel_available_with(free, WORLD_LOCATIONS, &limits);
        /* The walk's order: the channel's locations by priority, then code (rank). */
        uint32_t order[WORLD_LOCATIONS], order_count = 0;
        for (uint32_t l = 0; l < WORLD_LOCATIONS; l++) {
            if (!((ships >> l) & 1u)) continue;
            uint32_t at = order_count++;
            while (at > 0 && fx.locations[order[at - 1]].priority > fx.locations[l].priority) {
                order[at] = order[at - 1];
                at--;
            }
            order[at] = l;
        }
        oms_qty part[WORLD_LOCATIONS] = {0};
        oms_channel_split(free, WORLD_LOCATIONS, &limits, order, order_count, shown, part);
        oms_qty sum = 0;
        for (uint32_t l = 0; l < WORLD_LOCATIONS; l++) {
            if (part[l] < 0 || part[l] > (free[l] > 0 ? free[l] : 0) ||
                (!((ships >> l) & 1u) && part[l] != 0)) {
                fail_msg("case %llx: location %u shows %lld of free %lld",
                         (unsigned long long)case_seed, l, (long long)part[l], (long long)free[l]);
            }
            sum += part[l];
        }
        if (sum != shown) {
            fail_msg("case %llx: the locations add up to %lld, the channel shows %lld",
                     (unsigned long long)case_seed, (long long)sum, (long long)shown);
        }
        for (uint32_t l = 0; l < WORLD_LOCATIONS; l++) {
            if (part[l] == 0) continue;
            struct fixture copy = fx;
            struct oms_plan_line line = line_of(ships, part[l]);
            line.buffer = limits.buffer;
            line.buffer_percent = limits.buffer_percent;
            line.floors = others;
            line.floors_count = others_count;
            line.capped = limits.cap_left != OMS_QTY_MAX;
            line.cap_left = limits.cap_left;
            line.prefer = true;
            line.preferred_location = l;
            const struct oms_plan_result *r = plan(&copy, &line);
            if (r->allocs_count != 1 || allocated_at(r, l) != part[l]) {
                fail_msg("case %llx: location %u shows %lld, but an order of that many there "
                         "gets %lld there in %u allocations",
                         (unsigned long long)case_seed, l, (long long)part[l],
                         (long long)allocated_at(r, l), r->allocs_count);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_channel__a_percent_buffer_bounds_the_allocation_rounded_down),
        cmocka_unit_test(test_plan_channel__another_channel_never_takes_a_floor_but_its_owner_does),
        cmocka_unit_test(test_plan_channel__a_floor_held_elsewhere_leaves_the_rest_free),
        cmocka_unit_test(test_plan_channel__waiting_lines_and_ship_complete_respect_floors),
        cmocka_unit_test(test_plan_channel__the_cap_rejects_the_excess_and_caps_backorders_too),
        cmocka_unit_test(test_plan_channel__the_cap_refuses_whole_lines_that_must_not_be_cut),
        cmocka_unit_test(test_plan_channel__units_refused_anyway_keep_their_own_reason),
        cmocka_unit_test(test_plan_channel__a_waiting_line_is_never_capped),
        cmocka_unit_test(test_plan_channel__orders_of_other_channels_never_eat_into_a_floor),
        cmocka_unit_test(test_plan_channel__the_location_split_adds_up_and_each_part_sells_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
