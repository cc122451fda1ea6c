/*
 * test_http_order_text.c - the order answer written straight into text (encode_order.c) is
 * byte for byte the text of the jansson tree encoder it replaced (order_oracle.c): answers
 * stored before are returned as they are on idempotent retries, and clients compare them.
 * Random operations from fixed seeds (xorshift64) over a world whose ids, codes and customer
 * fields hold quotes, backslashes, control characters and UTF-8: orders of one to three lines
 * (unknown SKUs, ship-complete lines, latest dates, customers, click-and-collect, holds that
 * apply, have ended or belong to another channel), cancellations, shipments, supply and
 * receipts, clock ticks. After every operation every order's answer and cancel answer is
 * compared; at the end, each kind of content must have appeared at least once (the test must
 * not pass on a world that never exercised it).
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/calendar.h"
#include "engine/clock.h"
#include "harness.h"
#include "order_oracle.h"
#include "../test_random.h"

#define SEEDS 3
#define OPS_PER_SEED 250
#define IDS_MAX 256
#define MINUTE_MS 60000

static const char *const LOCATIONS[] = {"W\"1", "S\\2", "Lé𝄞", "L\t4"};
static const char *const LOCATION_REGIONS[] = {"N", "S", "N", "E"};
static const char *const CHANNELS[] = {"web/é", "app\"x"};
static const char *const SKUS[] = {"A", "B\"q\\", "Cé中𝄞", "D\x01\x1f\x7f"};
static const char *const UNKNOWN_SKUS[] = {"zz\tnope", "ünknown\n", "x\b\f\r"};
static const char *const REGIONS[] = {"N", "S", "E", "W\"z"};
static const char *const TEXTS[] = {"ref \"7\"", "c\\d", "mail@é.example", "\x02\x1b[0m",
                                    "line\nbreak", "𝄞 ok"};

#define PICK(rng, array) ((array)[pick((rng), OMS_ARRAY_LEN(array))])

struct world {
    struct oms_engine *e;
    uint64_t seed, rng;
    int op;
    int64_t now_ms;
    char orders[IDS_MAX][24], holds[IDS_MAX][24], supplies[IDS_MAX][24];
    uint32_t orders_count, holds_count, supplies_count;
};

static void compare_all(struct world *w)
{
    struct oracle_check c = {0};
    harness_inspect(w->e, oracle_compare_orders, &c);
    if (c.why[0]) fail_msg("seed %#llx op %d: %s", (unsigned long long)w->seed, w->op, c.why);
    assert_int_equal(c.orders, harness_orders_count(w->e));
}

static void put_region(struct oms_engine *e, const char *code,
                       const struct oms_cmd_distance *pairs, uint32_t count)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_REGION};
    cmd.u.region =
        (struct oms_cmd_region){.code = code, .distances = pairs, .distances_count = count};
    assert_int_equal(harness_run(e, &cmd), OMS_OK);
}

static void build(struct world *w)
{
    for (uint32_t l = 0; l < OMS_ARRAY_LEN(LOCATIONS); l++) {
        harness_location(w->e, LOCATIONS[l], LOCATION_REGIONS[l], (int32_t)l + 1,
                         (int32_t)pick(&w->rng, 2));
    }
    /* Distances: the nearest location gets the line, with its reason. */
    put_region(w->e, "N", NULL, 0);
    struct oms_cmd_distance near_n = {"N", 100};
    put_region(w->e, "S", &near_n, 1);
    struct oms_cmd_distance far_n = {"N", 900};
    put_region(w->e, "E", &far_n, 1);
    harness_channel(w->e, CHANNELS[0], LOCATIONS, 4, 0, true, 10);
    harness_channel(w->e, CHANNELS[1], LOCATIONS, 3, 1, false, 20);
    for (uint32_t i = 0; i < OMS_ARRAY_LEN(SKUS); i++) {
        enum oms_policy policy = i == 3 ? OMS_POLICY_DENY : OMS_POLICY_BACKORDER;
        harness_item(w->e, SKUS[i], policy, -1, i == 2 ? -1 : 3, i != 1);
        for (uint32_t l = 0; l < OMS_ARRAY_LEN(LOCATIONS); l++) {
            harness_set_stock(w->e, SKUS[i], LOCATIONS[l], (oms_qty)pick(&w->rng, 4));
        }
    }
}

static void op_order(struct world *w)
{
    if (w->orders_count == IDS_MAX) return;
    char *id = w->orders[w->orders_count];
    snprintf(id, sizeof w->orders[0], "o\"%u\\é\n", w->orders_count);
    struct oms_cmd_line lines[3];
    uint32_t n = 1 + pick(&w->rng, 3);
    for (uint32_t i = 0; i < n; i++) {
        lines[i] = (struct oms_cmd_line){.sku = pick(&w->rng, 8) == 0 ? PICK(&w->rng, UNKNOWN_SKUS)
                                                                      : SKUS[i],
                                         .qty = 1 + (oms_qty)pick(&w->rng, 4),
                                         .price_minor = -1,
                                         .ship_complete = pick(&w->rng, 4) == 0};
        if (pick(&w->rng, 5) == 0) {
            lines[i].has_latest = true;
            lines[i].latest_day = (oms_day)(w->now_ms / 86400000) + (oms_day)pick(&w->rng, 6);
        }
    }
    struct harness_order_spec spec = {
        .id = id,
        .channel = CHANNELS[pick(&w->rng, 3) == 0],
        .region = PICK(&w->rng, REGIONS),
        .lines = lines,
        .lines_count = n,
        .customer_ref = pick(&w->rng, 2) ? PICK(&w->rng, TEXTS) : NULL,
        .contact = pick(&w->rng, 2) ? PICK(&w->rng, TEXTS) : NULL,
        .collect = pick(&w->rng, 4) == 0 ? PICK(&w->rng, LOCATIONS) : NULL,
        .hold = w->holds_count && pick(&w->rng, 3) == 0 ? w->holds[pick(&w->rng, w->holds_count)]
                                                        : NULL,
    };
    bool replayed = false;
    /* A collect location the channel does not list is refused: no order, nothing to compare. */
    if (harness_order_spec(w->e, &spec, &replayed) == OMS_OK) w->orders_count++;
}

static void op_hold(struct world *w)
{
    if (w->holds_count == IDS_MAX) return;
    char *id = w->holds[w->holds_count];
    snprintf(id, sizeof w->holds[0], "h\"%u\x01", w->holds_count);
    struct oms_cmd_hold_line line = {SKUS[pick(&w->rng, 3)], 1 + (oms_qty)pick(&w->rng, 2)};
    struct oms_command cmd = {.kind = OMS_CMD_HOLD_CREATE};
    snprintf(cmd.fingerprint, sizeof cmd.fingerprint, "%s", id);
    cmd.u.hold = (struct oms_cmd_hold){.id = id,
                                       .channel = CHANNELS[pick(&w->rng, 2)],
                                       .region = PICK(&w->rng, REGIONS),
                                       .lines = &line,
                                       .lines_count = 1,
                                       .expires_ms = w->now_ms + 30 * MINUTE_MS};
    if (harness_run(w->e, &cmd) == OMS_OK) w->holds_count++;
}

static void op_release(struct world *w)
{
    if (!w->holds_count) return;
    struct oms_command cmd = {.kind = OMS_CMD_HOLD_RELEASE};
    cmd.u.hold.id = w->holds[pick(&w->rng, w->holds_count)];
    assert_int_equal(harness_run(w->e, &cmd), OMS_OK);
}

static void op_supply(struct world *w)
{
    if (w->supplies_count == IDS_MAX) return;
    char *id = w->supplies[w->supplies_count];
    snprintf(id, sizeof w->supplies[0], "po\\%u\"é", w->supplies_count);
    char day[11];
    oms_day_format((oms_day)(w->now_ms / 86400000) + 2 + (oms_day)pick(&w->rng, 5), day);
    harness_supply(w->e, id, SKUS[pick(&w->rng, 3)], LOCATIONS[pick(&w->rng, 4)],
                   1 + (oms_qty)pick(&w->rng, 5), day);
    w->supplies_count++;
}

static void run_op(struct world *w)
{
    w->now_ms += 7 * MINUTE_MS;
    harness_set_clock(w->now_ms);
    uint32_t roll = pick(&w->rng, 100);
    const char *order = w->orders_count ? w->orders[pick(&w->rng, w->orders_count)] : NULL;
    if (!order || roll < 35) {
        op_order(w);
    } else if (roll < 45) {
        op_hold(w);
    } else if (roll < 50) {
        op_release(w);
    } else if (roll < 60) {
        (void)harness_cancel_line(w->e, order, 1 + pick(&w->rng, 2), 1, NULL);
    } else if (roll < 75) {
        (void)harness_ship(w->e, order, LOCATIONS[pick(&w->rng, 4)], 1 + pick(&w->rng, 2), 1);
    } else if (roll < 83) {
        op_supply(w);
    } else if (roll < 90 && w->supplies_count) {
        (void)harness_receive(w->e, w->supplies[pick(&w->rng, w->supplies_count)], 1);
    } else {
        char at[OMS_RFC3339_LEN];
        w->now_ms += 6 * 60 * MINUTE_MS;
        harness_set_clock(w->now_ms);
        oms_rfc3339_format(w->now_ms, at);
        assert_int_equal(harness_tick(w->e, at), OMS_OK);
    }
}

/* What the orders hold, to show the run exercised every part of the answer. */
struct coverage {
    uint32_t holds_applied, holds_not_applied, collect, customer, reasons, pegs_supply,
        pegs_other, cancelled, shipped, unknown, rejected, latest;
};

static void get_coverage(const struct oms_state *state, void *ctx)
{
    struct coverage *c = ctx;
    for (uint32_t i = 0; i < state->orders_count; i++) {
        const struct oms_order *o = &state->orders[i];
        if (o->hold_id) {
            if (o->hold_use == OMS_HOLD_USE_APPLIED) c->holds_applied++;
            else c->holds_not_applied++;
        }
        if (o->collect != OMS_NONE) c->collect++;
        if (o->customer_ref || o->contact) c->customer++;
    }
    for (uint32_t i = 0; i < state->lines_count; i++) {
        const struct oms_line *line = &state->lines[i];
        for (uint32_t a = 0; a < line->allocs_count; a++) {
            if (oms_source_reason_name(line->allocs[a].reason)) c->reasons++;
        }
        for (uint32_t p = 0; p < line->pegs_count; p++) {
            if (line->pegs[p].supply != OMS_NONE) c->pegs_supply++;
            else c->pegs_other++;
        }
        if (line->cancelled) c->cancelled++;
        if (line->shipped) c->shipped++;
        if (line->item == OMS_NONE) c->unknown++;
        if (line->rejected) c->rejected++;
        if (line->latest_day != OMS_DAY_NONE) c->latest++;
    }
}

static void test_order_text__direct_encoder_writes_the_tree_encoders_bytes(void **state)
{
    (void)state;
    uint64_t master = 0x9E3779B97F4A7C15u;
    struct coverage total = {0};
    for (int k = 0; k < SEEDS; k++) {
        struct world *w = calloc(1, sizeof *w);
        assert_non_null(w);
        w->seed = w->rng = next_random(&master);
        w->now_ms = harness_ms("2026-07-06T09:00:00Z");
        harness_set_clock(w->now_ms);
        char path[512], name[64];
        snprintf(name, sizeof name, "order-text-%d", k);
        harness_db_path(path, sizeof path, name);
        w->e = harness_open(path);
        build(w);
        for (w->op = 1; w->op <= OPS_PER_SEED; w->op++) {
            run_op(w);
            compare_all(w);
        }
        /* Reloaded orders (strings from the database) encode the same too. */
        harness_reopen(&w->e, path);
        compare_all(w);
        harness_inspect(w->e, get_coverage, &total);
        oms_engine_close(w->e);
        harness_set_clock(0);
        free(w);
    }
    assert_true(total.holds_applied > 0);
    assert_true(total.holds_not_applied > 0);
    assert_true(total.collect > 0);
    assert_true(total.customer > 0);
    assert_true(total.reasons > 0);
    assert_true(total.pegs_supply > 0);
    assert_true(total.pegs_other > 0);
    assert_true(total.cancelled > 0);
    assert_true(total.shipped > 0);
    assert_true(total.unknown > 0);
    assert_true(total.rejected > 0);
    assert_true(total.latest > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_text__direct_encoder_writes_the_tree_encoders_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
