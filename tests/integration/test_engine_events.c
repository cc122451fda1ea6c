/*
 * test_engine_events.c - every promise that moves is told, exactly as it moved (issue 3):
 * random sequences of orders, supply creation, delays, earlier dates, cuts, cancellations,
 * receipts, order cancellations, stock adjustments and new days. After each step, every
 * line that was open before and after has line.promise_changed events that chain from its
 * promise before the step to its promise after it (the first event's old_date is the old
 * promise, each event's new_date the next one's old_date, the last new_date the promise now),
 * no event says a promise moved to where it was, and a line whose promise did not move either
 * has no event or events that come back to where it was. The model's invariants (each unit
 * of supply pegged at most once, queue order) are checked after every step too.
 */
#include "base/platform.h"

#include <jansson.h>
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
#include "store/store.h"

#define STEPS 400
#define LINES_MAX 4096

struct snapshot {
    oms_day promise[LINES_MAX];
    bool open[LINES_MAX];
    uint32_t count;
};

static void take(const struct oms_state *state, void *ctx)
{
    struct snapshot *s = ctx;
    s->count = state->lines_count < LINES_MAX ? state->lines_count : LINES_MAX;
    for (uint32_t i = 0; i < s->count; i++) {
        const struct oms_line *line = &state->lines[i];
        s->promise[i] = line->promise_day;
        s->open[i] = line->allocs_count + line->pegs_count > 0;
    }
}

struct line_key {
    char order[32];
    uint32_t line_no;
};

static void key_of(const struct oms_state *state, void *ctx)
{
    struct line_key *keys = ctx;
    for (uint32_t i = 0; i < state->lines_count && i < LINES_MAX; i++) {
        snprintf(keys[i].order, sizeof keys[i].order, "%s", state->orders[state->lines[i].order].id);
        keys[i].line_no = state->lines[i].line_no;
    }
}

struct moves {
    struct line_key *keys;
    uint32_t lines;
    oms_day first_old[LINES_MAX], last_new[LINES_MAX];
    uint32_t events[LINES_MAX];
    int64_t last_seq;
    char why[256];
};

static oms_day day_of(json_t *value)
{
    oms_day day = OMS_DAY_NONE;
    if (json_is_string(value)) assert_true(oms_day_parse(json_string_value(value), &day));
    return day;
}

static void collect(void *ctx, const struct oms_event_row *row)
{
    struct moves *m = ctx;
    m->last_seq = row->seq;
    if (strcmp(row->type, "line.promise_changed") != 0 || m->why[0]) return;
    json_t *data = json_loads(row->data_json, 0, NULL);
    assert_non_null(data);
    char order[32];
    snprintf(order, sizeof order, "%s", json_string_value(json_object_get(data, "order")));
    uint32_t line_no = (uint32_t)json_integer_value(json_object_get(data, "line"));
    oms_day old_day = day_of(json_object_get(data, "old_date"));
    oms_day new_day = day_of(json_object_get(data, "new_date"));
    json_decref(data);
    if (old_day == new_day) {
        snprintf(m->why, sizeof m->why, "event %lld says a promise moved to where it was",
                 (long long)row->seq);
        return;
    }
    for (uint32_t i = 0; i < m->lines; i++) {
        if (m->keys[i].line_no != line_no || strcmp(m->keys[i].order, order) != 0) continue;
        if (m->events[i]++ == 0) {
            m->first_old[i] = old_day;
        } else if (m->last_new[i] != old_day) {
            snprintf(m->why, sizeof m->why, "events of line %u of '%s' do not chain", line_no,
                     order);
        }
        m->last_new[i] = new_day;
        return;
    }
    snprintf(m->why, sizeof m->why, "event for an unknown line %u of '%s'", line_no, order);
}

static uint64_t rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

static uint32_t pick(uint64_t *rng, uint32_t n) { return (uint32_t)(rng_next(rng) % n); }

static void step(struct oms_engine *e, uint64_t *rng, uint32_t *orders, uint32_t *supplies,
                 int64_t *clock)
{
    const char *skus[] = {"A", "B"};
    char id[32], supply[32];
    uint32_t kind = pick(rng, 10);
    if (kind <= 2 || *orders == 0) {
        snprintf(id, sizeof id, "O%u", (*orders)++);
        const char *sku[] = {skus[pick(rng, 2)]};
        oms_qty qty[] = {1 + (oms_qty)pick(rng, 5)};
        (void)harness_order(e, id, "web", "EU", NULL, sku, qty, 1);
    } else if (kind == 3 || *supplies == 0) {
        snprintf(supply, sizeof supply, "PO%u", (*supplies)++);
        char date[11];
        oms_day_format((oms_day)(*clock / 86400000) + 1 + (oms_day)pick(rng, 30), date);
        harness_supply(e, supply, skus[pick(rng, 2)], "WH1", 1 + (oms_qty)pick(rng, 8), date);
    } else if (kind <= 5) {
        struct oms_command cmd = {.kind = OMS_CMD_SUPPLY_UPDATE};
        snprintf(supply, sizeof supply, "PO%u", pick(rng, *supplies));
        cmd.u.supply_update.id = supply;
        uint32_t how = pick(rng, 4);
        if (how <= 1) {
            cmd.u.supply_update.has_expected = true;
            cmd.u.supply_update.expected_day =
                (oms_day)(*clock / 86400000) + (oms_day)pick(rng, 40) - 5;
        } else if (how == 2) {
            cmd.u.supply_update.has_qty = true;
            cmd.u.supply_update.qty = (oms_qty)pick(rng, 6);
        } else {
            cmd.u.supply_update.has_status = true;
            cmd.u.supply_update.status = OMS_SUPPLY_CANCELLED;
        }
        (void)harness_run(e, &cmd); /* Closed or unknown supply: refused, changes nothing. */
    } else if (kind == 6) {
        snprintf(supply, sizeof supply, "PO%u", pick(rng, *supplies));
        (void)harness_receive(e, supply, 1 + (oms_qty)pick(rng, 4));
    } else if (kind == 7) {
        snprintf(id, sizeof id, "O%u", pick(rng, *orders));
        (void)harness_cancel_line(e, id, 1, 1, NULL);
    } else if (kind == 8) {
        (void)harness_adjust(e, skus[pick(rng, 2)], "WH1", (oms_qty)pick(rng, 5) - 1);
    } else {
        *clock += 86400000;
        char at[OMS_RFC3339_LEN];
        oms_rfc3339_format(*clock, at);
        assert_int_equal(harness_tick(e, at), OMS_OK);
        harness_set_clock(*clock);
    }
}

static void check_step(struct oms_engine *e, const struct snapshot *before, int64_t *seq)
{
    struct snapshot after;
    harness_inspect(e, take, &after);
    struct moves *m = calloc(1, sizeof *m);
    m->keys = calloc(LINES_MAX, sizeof *m->keys);
    assert_true(m->keys && m);
    harness_inspect(e, key_of, m->keys);
    m->lines = after.count;
    m->last_seq = *seq;
    assert_int_equal(oms_engine_events(e, *seq, 100000, collect, m), OMS_OK);
    *seq = m->last_seq;
    if (m->why[0]) fail_msg("%s", m->why);
    for (uint32_t i = 0; i < before->count; i++) {
        if (!before->open[i] || !after.open[i]) continue; /* New or closed now. */
        oms_day was = before->promise[i], now = after.promise[i];
        if (was != now && m->events[i] == 0) {
            fail_msg("line %u of '%s' moved from %d to %d untold", m->keys[i].line_no,
                     m->keys[i].order, was, now);
        }
        if (m->events[i] > 0 && (m->first_old[i] != was || m->last_new[i] != now)) {
            fail_msg("line %u of '%s' told %d -> %d, moved %d -> %d", m->keys[i].line_no,
                     m->keys[i].order, m->first_old[i], m->last_new[i], was, now);
        }
    }
    free(m->keys);
    free(m);
}

static void run_seed(uint64_t seed)
{
    char path[512];
    harness_db_path(path, sizeof path, "events");
    int64_t clock = harness_ms("2027-03-01T09:00:00Z");
    harness_set_clock(clock);
    struct oms_engine *e = harness_open(path);
    static const char *const WH1[] = {"WH1"};
    harness_location(e, "WH1", "EU", 1, 1);
    harness_channel(e, "web", WH1, 1, 0, true, 10);
    harness_item(e, "A", OMS_POLICY_BACKORDER, -1, 20, true);
    harness_item(e, "B", OMS_POLICY_BACKORDER, -1, -1, true);
    harness_set_stock(e, "A", "WH1", 3);
    uint64_t rng = seed;
    uint32_t orders = 0, supplies = 0;
    int64_t seq = 0;
    struct snapshot *before = malloc(sizeof *before);
    assert_non_null(before);
    for (int i = 0; i < STEPS; i++) {
        harness_inspect(e, take, before);
        struct moves skip = {0};
        assert_int_equal(oms_engine_events(e, seq, 100000, collect, &skip), OMS_OK);
        if (skip.last_seq > seq) seq = skip.last_seq;
        step(e, &rng, &orders, &supplies, &clock);
        check_step(e, before, &seq);
        harness_assert_consistent(e);
    }
    free(before);
    oms_engine_close(e);
    harness_set_clock(0);
}

static void test_events__every_promise_that_moves_is_told_once_as_it_moved(void **state)
{
    (void)state;
    const uint64_t seeds[] = {0x9E3779B97F4A7C15ull, 0xD1B54A32D192ED03ull, 0x8CB92BA72F3D8DD7ull};
    for (size_t i = 0; i < OMS_ARRAY_LEN(seeds); i++) run_seed(seeds[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events__every_promise_that_moves_is_told_once_as_it_moved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
