/*
 * test_engine_index_feed.c - the feed's retention bound, on the index alone (a million changes
 * through the engine would take minutes): a cursor older than the last OMS_FEED_CHANGES_MAX
 * changes gets a full snapshot flagged reset; one just inside the bound still gets changes.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/index.h"
#include "store/model.h"

#define ITEMS 1024u

/* One location, one channel on it, ITEMS items with stock. */
static void build(struct oms_state *state)
{
    oms_state_init(state);
    state->locations = calloc(1, sizeof *state->locations);
    assert_non_null(state->locations);
    struct oms_location *l = &state->locations[0];
    l->code = oms_strdup("WH1");
    l->name = oms_strdup("WH1");
    l->region = oms_strdup("");
    l->timezone = oms_strdup("UTC");
    l->working_mask = 0x7Fu;
    l->today = l->ship_day = 20000;
    state->locations_count = 1;
    state->channels = calloc(1, sizeof *state->channels);
    assert_non_null(state->channels);
    struct oms_channel *c = &state->channels[0];
    c->code = oms_strdup("web");
    c->name = oms_strdup("web");
    c->visible = c->ships = 1;
    c->first_location = 0;
    c->allow_backorder = true;
    state->channels_count = 1;
    oms_grow((void **)&state->items, &state->items_cap, ITEMS, sizeof *state->items);
    for (uint32_t i = 0; i < ITEMS; i++) {
        struct oms_item *item = &state->items[i];
        memset(item, 0, sizeof *item);
        char sku[16];
        snprintf(sku, sizeof sku, "I%04u", i);
        item->sku = oms_strdup(sku);
        item->name = oms_strdup(sku);
        item->backorder_limit = item->low_stock_threshold = -1;
        item->lead_time_days = -1;
        item->min_order_qty = 1;
        item->release_day = OMS_DAY_NONE;
        item->levels_count = 1;
        item->levels = calloc(1, sizeof *item->levels);
        assert_non_null(item->levels);
        item->levels[0].on_hand = 1;
        oms_strmap_put(&state->item_by_sku, item->sku, i);
        state->items_count++;
    }
}

static uint32_t sent;
static void count(void *ctx, const char *sku, const struct oms_availability *a)
{
    (void)ctx;
    (void)sku;
    assert_true(a->available > 0);
    sent++;
}

static void test_index_feed__a_cursor_older_than_the_log_is_reset(void **state)
{
    (void)state;
    struct oms_state s;
    build(&s);
    uint32_t all[ITEMS];
    for (uint32_t i = 0; i < ITEMS; i++) all[i] = i;
    struct oms_index *index = oms_index_new();
    oms_index_update(index, &s, true, all, ITEMS);
    struct oms_feed_page page, oldest, inside;
    /* The snapshot of ITEMS items takes two pages; its last hands over a cursor of changes. */
    assert_int_equal(oms_index_feed(index, "web", NULL, 1000, count, NULL, &page), OMS_OK);
    assert_true(page.full && page.more);
    assert_int_equal(oms_index_feed(index, "web", page.next, 1000, count, NULL, &oldest), OMS_OK);
    assert_true(oldest.full && !oldest.more);
    /* Every item changes in every batch: ITEMS entries per batch. The cursor after the first
     * batch stays exactly inside the bound at the end. */
    uint32_t batches = OMS_FEED_CHANGES_MAX / ITEMS + 1;
    for (uint32_t b = 0; b < batches; b++) {
        for (uint32_t i = 0; i < ITEMS; i++) s.items[i].levels[0].on_hand++;
        oms_index_update(index, &s, false, all, ITEMS);
        if (b == 0) { /* Two pages read the first batch's ITEMS entries. */
            sent = 0;
            assert_int_equal(oms_index_feed(index, "web", oldest.next, 1000, count, NULL, &page),
                             OMS_OK);
            assert_true(!page.full && page.more);
            assert_int_equal(oms_index_feed(index, "web", page.next, 1000, count, NULL, &inside),
                             OMS_OK);
            assert_true(!inside.full && !inside.more);
            assert_int_equal(sent, ITEMS);
        }
    }
    sent = 0;
    assert_int_equal(oms_index_feed(index, "web", oldest.next, 1000, count, NULL, &page), OMS_OK);
    assert_true(page.full && page.reset && page.more);
    assert_int_equal(sent, 1000);
    sent = 0;
    assert_int_equal(oms_index_feed(index, "web", inside.next, 1000, count, NULL, &page), OMS_OK);
    assert_false(page.full || page.reset);
    assert_int_equal(sent, 1000);
    oms_index_free(index);
    oms_state_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_feed__a_cursor_older_than_the_log_is_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
