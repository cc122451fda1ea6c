/*
 * test_http_lists.c - GET /v1/orders as oms_orders_text writes it, against an oracle written
 * here: for every filter (status, channel, SKU, and none) the orders listed are exactly those
 * the oracle's own reading of the model keeps, in creation order, each as GET /v1/orders/{id}
 * shows it, and pages of every size, followed by their cursors, add up to the whole list.
 * Random orders of one or two lines from fixed seeds (xorshift64), with shipments and
 * cancellations so that every status appears.
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

#define SEEDS 3
#define ORDERS 40
#define FILTERS 8
#define PAGES_MAX (ORDERS + 2)

static const uint32_t PAGE_SIZES[] = {1, 3, 500};
static const char *const SKUS[] = {"A", "B", "NOPE"};

/* The filters tried: none, each status, a channel, a SKU, a channel and a status. */
static struct oms_order_filter filter_of(const struct oms_state *state, uint32_t f)
{
    struct oms_order_filter filter = {.channel = OMS_NONE};
    if (f >= 1 && f <= 5) {
        filter.has_status = true;
        filter.status = (enum oms_order_status)(f - 1);
    } else if (f == 6) {
        filter.channel = oms_state_channel(state, "mkt");
    } else if (f == 7) {
        filter.sku = "B";
        filter.channel = oms_state_channel(state, "web");
        filter.has_status = true;
        filter.status = OMS_ORDER_OPEN;
    }
    return filter;
}

/* The oracle: does the order pass the filter, read from its lines here. */
static bool kept(const struct oms_state *state, uint32_t index,
                 const struct oms_order_filter *filter)
{
    const struct oms_order *order = &state->orders[index];
    if (filter->channel != OMS_NONE && order->channel != filter->channel) return false;
    bool has_sku = filter->sku == NULL;
    oms_qty open = 0, shipped = 0, cancelled = 0;
    for (uint32_t i = 0; i < order->lines_count; i++) {
        const struct oms_line *line = &state->lines[order->first_line + i];
        if (filter->sku && strcmp(line->sku, filter->sku) == 0) has_sku = true;
        open += oms_line_allocated(line) + oms_line_backordered(line);
        shipped += line->shipped;
        cancelled += line->cancelled;
    }
    enum oms_order_status status = open > 0 ? (shipped > 0 ? OMS_ORDER_PARTIALLY_SHIPPED
                                                           : OMS_ORDER_OPEN)
                                   : shipped > 0   ? OMS_ORDER_SHIPPED
                                   : cancelled > 0 ? OMS_ORDER_CANCELLED
                                                   : OMS_ORDER_REJECTED;
    return has_sku && (!filter->has_status || status == filter->status);
}

struct look {
    char *expected[FILTERS]; /* The oracle's list: a JSON array of the orders' texts. */
    char *pages[FILTERS][OMS_ARRAY_LEN(PAGE_SIZES)][PAGES_MAX];
};

static void take_look(const struct oms_state *state, void *ctx)
{
    struct look *look = ctx;
    for (uint32_t f = 0; f < FILTERS; f++) {
        struct oms_order_filter filter = filter_of(state, f);
        json_t *expected = json_array();
        for (uint32_t o = 0; o < state->orders_count; o++) {
            if (!kept(state, o, &filter)) continue;
            size_t len;
            char *text = oms_order_text(state, o, &len);
            json_array_append_new(expected, json_loads(text, 0, NULL));
            free(text);
        }
        look->expected[f] = json_dumps(expected, JSON_COMPACT);
        json_decref(expected);
        for (size_t s = 0; s < OMS_ARRAY_LEN(PAGE_SIZES); s++) {
            int64_t after = 0;
            for (uint32_t p = 0; p < PAGES_MAX && after >= 0; p++) {
                size_t len;
                look->pages[f][s][p] =
                    oms_orders_text(state, &filter, (uint32_t)after, PAGE_SIZES[s], &len);
                after = next_of(look->pages[f][s][p]);
            }
        }
    }
}

static uint32_t kinds_seen; /* Bit f: filter f kept at least one order (the test exercised it). */

static void check(struct oms_engine *e)
{
    struct look *look = calloc(1, sizeof *look);
    assert_non_null(look);
    harness_inspect(e, take_look, look);
    for (uint32_t f = 0; f < FILTERS; f++) {
        json_t *expected = json_loads(look->expected[f], 0, NULL);
        if (json_array_size(expected) > 0) kinds_seen |= 1u << f;
        for (size_t s = 0; s < OMS_ARRAY_LEN(PAGE_SIZES); s++) {
            size_t seen = 0;
            for (uint32_t p = 0; p < PAGES_MAX && look->pages[f][s][p]; p++) {
                json_t *page = json_loads(look->pages[f][s][p], 0, NULL);
                json_t *orders = json_object_get(page, "orders");
                assert_true(json_array_size(orders) <= PAGE_SIZES[s]);
                for (size_t i = 0; i < json_array_size(orders); i++, seen++) {
                    assert_true(json_equal(json_array_get(orders, i),
                                           json_array_get(expected, seen)));
                }
                json_decref(page);
                free(look->pages[f][s][p]);
            }
            assert_int_equal(seen, json_array_size(expected));
        }
        json_decref(expected);
        free(look->expected[f]);
    }
    free(look);
}

static void test_lists__orders_are_those_every_filter_keeps_a_page_at_a_time(void **state)
{
    (void)state;
    static const char *const WH1[] = {"WH1"};
    static const char *const CHANNELS[] = {"web", "mkt"};
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        uint64_t rng = seed * 0x9E3779B97F4A7C15u;
        char path[512], name[32];
        snprintf(name, sizeof name, "lists-%llu", (unsigned long long)seed);
        harness_set_clock(harness_ms("2026-07-06T09:00:00Z"));
        harness_db_path(path, sizeof path, name);
        struct oms_engine *e = harness_open(path);
        harness_location(e, "WH1", "UK", 1, 0);
        harness_channel(e, "web", WH1, 1, 0, true, 10);
        harness_channel(e, "mkt", WH1, 1, 0, false, 5);
        harness_item(e, "A", OMS_POLICY_BACKORDER, -1, 7, true);
        harness_item(e, "B", OMS_POLICY_DENY, -1, -1, true);
        harness_set_stock(e, "A", "WH1", 20);
        harness_set_stock(e, "B", "WH1", 10);
        for (uint32_t i = 0; i < ORDERS; i++) {
            char id[16];
            snprintf(id, sizeof id, "o%02u", i);
            const char *skus[2] = {SKUS[pick(&rng, 3)], SKUS[pick(&rng, 3)]};
            oms_qty qtys[2] = {1 + pick(&rng, 4), 1 + pick(&rng, 4)};
            assert_int_equal(harness_order(e, id, CHANNELS[pick(&rng, 2)], "UK", NULL, skus,
                                           qtys, 1 + pick(&rng, 2)),
                             OMS_OK);
            snprintf(id, sizeof id, "o%02u", pick(&rng, i + 1));
            uint32_t what = pick(&rng, 4);
            /* Ship as much of line 1 as there is, up to 1..4 (often nothing is allocated). */
            for (oms_qty q = 1 + pick(&rng, 4); what == 0 && q > 0; q--) {
                if (harness_ship(e, id, "WH1", 1, q) == OMS_OK) break;
            }
            if (what == 1) (void)harness_cancel_all(e, id);
        }
        check(e);
        harness_reopen(&e, path);
        check(e);
        oms_engine_close(e);
        harness_set_clock(0);
    }
    /* Every filter kept something at least once: none passed on an empty list. The statuses
     * need shipments and cancellations: open (1), partially shipped (2), shipped (3),
     * cancelled (4), rejected (5). */
    assert_int_equal(kinds_seen, (1u << FILTERS) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists__orders_are_those_every_filter_keeps_a_page_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
