/*
 * test_http_queue.c - an item's backorder queue as GET /v1/items/{sku}/queue shows it
 * (oms_queue_text), against an oracle written here: every line with units on backorder, once,
 * sorted by rule 3's keys (channel priority, the order's time, order id) with qsort, none of
 * the allocated ones; positions 1..n; the totals; and pages of every size, followed by their
 * cursors, that add up to the whole queue. Random orders from fixed seeds (xorshift64) on three
 * channels, two of one priority, at instants that often tie (the id decides), with
 * cancellations, a receipt and new stock that move lines out of the queue and up in it.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "http/encode.h"
#include "page_next.h"
#include "../test_random.h"

#define SEEDS 4
#define ORDERS 60
#define WAITING_MAX (ORDERS + 1)
#define PAGES_MAX (WAITING_MAX + 1)

static const uint32_t PAGE_SIZES[] = {1, 2, 3, 7, 1000};

/* What the checks saw, so the test cannot pass on a world that never exercised them. */
static uint32_t most_waiting, ties_by_id;

/* A waiting line as the oracle sees it, copied out of the model. */
struct waiting {
    int32_t priority;
    int64_t at_ms;
    char order[32];
    uint32_t line_no;
    oms_qty backordered;
};

/* Everything one look at the model gives, taken at once on the writer thread. */
struct look {
    struct waiting waiting[WAITING_MAX];
    uint32_t waiting_count;
    oms_qty backordered; /* The item's counter. */
    char *full;          /* The answer with every line. */
    char *pages[OMS_ARRAY_LEN(PAGE_SIZES)][PAGES_MAX]; /* Each size's pages, cursor to cursor. */
};

static void take_look(const struct oms_state *state, void *ctx)
{
    struct look *look = ctx;
    uint32_t item = oms_state_item(state, "A");
    look->backordered = state->items[item].backordered;
    for (uint32_t l = 0; l < state->lines_count; l++) {
        const struct oms_line *line = &state->lines[l];
        if (line->item != item || oms_line_backordered(line) == 0) continue;
        if (look->waiting_count == WAITING_MAX) break; /* Fails below: the counts differ. */
        const struct oms_order *order = &state->orders[line->order];
        struct waiting *w = &look->waiting[look->waiting_count++];
        w->priority = state->channels[order->channel].priority;
        w->at_ms = order->at_ms;
        snprintf(w->order, sizeof w->order, "%s", order->id);
        w->line_no = line->line_no;
        w->backordered = oms_line_backordered(line);
    }
    size_t len;
    look->full = oms_queue_text(state, item, 0, 1000, &len);
    for (size_t s = 0; s < OMS_ARRAY_LEN(PAGE_SIZES); s++) {
        int64_t after = 0;
        for (uint32_t p = 0; p < PAGES_MAX && after >= 0; p++) {
            look->pages[s][p] = oms_queue_text(state, item, (uint32_t)after, PAGE_SIZES[s], &len);
            after = next_of(look->pages[s][p]);
        }
    }
}

static int by_rule_3(const void *pa, const void *pb)
{
    const struct waiting *a = pa, *b = pb;
    if (a->priority != b->priority) return a->priority < b->priority ? -1 : 1;
    if (a->at_ms != b->at_ms) return a->at_ms < b->at_ms ? -1 : 1;
    int by_id = strcmp(a->order, b->order);
    if (by_id != 0) return by_id;
    return a->line_no < b->line_no ? -1 : a->line_no > b->line_no;
}

/* The pages of one size, in turn, make the whole list: same lines, same positions. */
static void check_pages(char *const *pages, uint32_t size, json_t *all)
{
    size_t seen = 0;
    for (uint32_t p = 0; p < PAGES_MAX && pages[p]; p++) {
        json_t *page = json_loads(pages[p], 0, NULL);
        assert_non_null(page);
        json_t *lines = json_object_get(page, "lines");
        assert_true(json_array_size(lines) <= size);
        for (size_t i = 0; i < json_array_size(lines); i++, seen++) {
            assert_true(json_equal(json_array_get(lines, i), json_array_get(all, seen)));
        }
        bool last = json_is_null(json_object_get(page, "next"));
        assert_true(last == (seen == json_array_size(all)));
        json_decref(page);
    }
    assert_int_equal(seen, json_array_size(all));
}

static void check(struct oms_engine *e)
{
    struct look *look = calloc(1, sizeof *look);
    assert_non_null(look);
    harness_inspect(e, take_look, look);
    qsort(look->waiting, look->waiting_count, sizeof *look->waiting, by_rule_3);
    json_t *answer = json_loads(look->full, 0, NULL);
    assert_non_null(answer);
    json_t *lines = json_object_get(answer, "lines");
    assert_int_equal(json_array_size(lines), look->waiting_count);
    assert_int_equal(json_integer_value(json_object_get(answer, "waiting")), look->waiting_count);
    assert_int_equal(json_integer_value(json_object_get(answer, "backordered")),
                     look->backordered);
    oms_qty units = 0;
    for (uint32_t i = 0; i < look->waiting_count; i++) {
        const struct waiting *w = &look->waiting[i];
        json_t *line = json_array_get(lines, i);
        assert_int_equal(json_integer_value(json_object_get(line, "position")), i + 1);
        assert_string_equal(json_string_value(json_object_get(line, "order")), w->order);
        assert_int_equal(json_integer_value(json_object_get(line, "line")), w->line_no);
        assert_int_equal(json_integer_value(json_object_get(line, "channel_priority")),
                         w->priority);
        oms_qty pegged = 0;
        json_t *pegs = json_object_get(line, "backordered");
        for (size_t k = 0; k < json_array_size(pegs); k++) {
            pegged += json_integer_value(json_object_get(json_array_get(pegs, k), "qty"));
        }
        assert_int_equal(pegged, w->backordered);
        units += pegged;
        if (i > 0 && w->priority == w[-1].priority && w->at_ms == w[-1].at_ms) ties_by_id++;
    }
    if (look->waiting_count > most_waiting) most_waiting = look->waiting_count;
    assert_int_equal(units, look->backordered);
    for (size_t s = 0; s < OMS_ARRAY_LEN(PAGE_SIZES); s++) {
        check_pages(look->pages[s], PAGE_SIZES[s], lines);
        for (uint32_t p = 0; p < PAGES_MAX; p++) free(look->pages[s][p]);
    }
    json_decref(answer);
    free(look->full);
    free(look);
}

static void test_queue__lists_the_waiting_lines_in_rule_3_order_a_page_at_a_time(void **state)
{
    (void)state;
    static const char *const WH1[] = {"WH1"};
    static const char *const CHANNELS[] = {"web", "b2b", "mkt"}; /* Priorities 10, 10, 5. */
    static const char *const TIMES[] = {"2026-07-01T08:00:00Z", "2026-07-01T09:00:00Z",
                                        "2026-07-02T09:00:00Z"};
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        uint64_t rng = seed * 0x9E3779B97F4A7C15u;
        char path[512], name[32];
        snprintf(name, sizeof name, "queue-%llu", (unsigned long long)seed);
        harness_set_clock(harness_ms("2026-07-06T09:00:00Z"));
        harness_db_path(path, sizeof path, name);
        struct oms_engine *e = harness_open(path);
        harness_location(e, "WH1", "UK", 1, 0);
        harness_channel(e, "web", WH1, 1, 0, true, 10);
        harness_channel(e, "b2b", WH1, 1, 0, true, 10);
        harness_channel(e, "mkt", WH1, 1, 0, true, 5);
        harness_item(e, "A", OMS_POLICY_BACKORDER, -1, 7, true);
        harness_set_stock(e, "A", "WH1", 3);
        harness_supply(e, "S1", "A", "WH1", 8, "2026-07-20");
        check(e);
        for (uint32_t i = 0; i < ORDERS; i++) {
            char id[16];
            snprintf(id, sizeof id, "o%02u", pick(&rng, 100));
            const char *sku = "A";
            oms_qty qty = 1 + pick(&rng, 3);
            enum oms_err err = harness_order(e, id, CHANNELS[pick(&rng, 3)], "UK",
                                             TIMES[pick(&rng, 3)], &sku, &qty, 1);
            assert_true(err == OMS_OK || err == OMS_EIDEMPOTENCY); /* Ids repeat at random. */
            if (i % 10 == 9) {
                snprintf(id, sizeof id, "o%02u", pick(&rng, 100));
                (void)harness_cancel_all(e, id); /* Often no such order: nothing changes. */
            }
            if (i == ORDERS / 2) assert_int_equal(harness_receive(e, "S1", 5), OMS_OK);
            if (i == ORDERS * 3 / 4) assert_int_equal(harness_adjust(e, "A", "WH1", 4), OMS_OK);
            check(e);
        }
        harness_reopen(&e, path);
        check(e);
        oms_engine_close(e);
        harness_set_clock(0);
    }
    assert_true(most_waiting >= 20);
    assert_true(ties_by_id > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue__lists_the_waiting_lines_in_rule_3_order_a_page_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
