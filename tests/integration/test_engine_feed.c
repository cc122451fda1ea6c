/*
 * test_engine_feed.c - the channel feed (GET /v1/channels/{code}/feed) through the whole
 * engine on a real SQLite file: a full snapshot, then only the items whose answer on the
 * channel changed (not those that changed on another channel only), B37 (buffers, never a
 * negative number) and B43 (what the shop sees after receipts and orders), paging of
 * snapshots and of changes with nothing missed while paging, refused cursors, a restart that
 * resets, master data that moves every answer, and a property test: a connector that applies
 * every page to its copy always holds what /v1/availability answers.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "harness.h"

#define ALL_DAYS 0x7Fu
#define COPY_MAX 64 /* Items a test's connector copy holds at most. */

static const char *const WH1[] = {"WH1"};
static const char *const WH2[] = {"WH2"};
static const char *const BOTH[] = {"WH1", "WH2"};

/* What one page sent: the SKUs and answers, in order. */
struct page {
    struct oms_feed_page head;
    uint32_t count;
    char sku[OMS_FEED_LIMIT_MAX][OMS_SKU_BYTES_MAX + 1];
    struct {
        enum oms_avail_status status;
        oms_qty available;
        oms_day promise_day;
        oms_qty location_min; /* Smallest per-location figure (never negative). */
    } item[OMS_FEED_LIMIT_MAX];
};

static void collect(void *ctx, const char *sku, const struct oms_availability *a)
{
    struct page *p = ctx;
    assert_true(p->count < OMS_FEED_LIMIT_MAX);
    snprintf(p->sku[p->count], sizeof p->sku[p->count], "%s", sku);
    p->item[p->count].status = a->status;
    p->item[p->count].available = a->available;
    p->item[p->count].promise_day = a->promise_day;
    oms_qty least = OMS_QTY_MAX;
    for (uint32_t k = 0; k < a->locations_count; k++) {
        if (a->locations[k].available < least) least = a->locations[k].available;
    }
    p->item[p->count].location_min = least;
    p->count++;
}

/* One page; fails the test on an error. The page is static: it is large. */
static struct page *feed(struct oms_engine *e, const char *channel, const char *after,
                         uint32_t limit)
{
    static struct page p;
    memset(&p, 0, sizeof p);
    assert_int_equal(oms_engine_feed(e, channel, after, limit, collect, &p, &p.head), OMS_OK);
    for (uint32_t i = 0; i < p.count; i++) {
        assert_true(p.item[i].available >= 0); /* B37: never a negative number. */
        assert_true(p.item[i].location_min >= 0);
    }
    return &p;
}

static int find(const struct page *p, const char *sku)
{
    for (uint32_t i = 0; i < p->count; i++) {
        if (strcmp(p->sku[i], sku) == 0) return (int)i;
    }
    return -1;
}

static oms_qty available_in(const struct page *p, const char *sku)
{
    int at = find(p, sku);
    if (at < 0) fail_msg("%s is not in the page", sku);
    return p->item[at].available;
}

/* Two warehouses open every day; "web" sees both, "store" sees WH2 only; the clock is the
 * test's. */
static struct oms_engine *setup(char *path, size_t cap, const char *name)
{
    harness_set_clock(harness_ms("2026-03-02T09:00:00Z"));
    harness_db_path(path, cap, name);
    struct oms_engine *e = harness_open(path);
    harness_location(e, "WH1", "UK", 1, 0);
    harness_location_days(e, "WH1", ALL_DAYS);
    harness_location(e, "WH2", "UK", 2, 0);
    harness_location_days(e, "WH2", ALL_DAYS);
    harness_channel(e, "web", BOTH, 2, 0, true, 10);
    harness_channel(e, "store", WH2, 1, 0, true, 10);
    return e;
}

static void finish(struct oms_engine *e, const char *path)
{
    harness_reopen(&e, path);
    oms_engine_close(e);
    harness_set_clock(0);
}

static enum oms_err order1(struct oms_engine *e, const char *id, const char *channel,
                           const char *sku, oms_qty qty)
{
    const char *skus[] = {sku};
    const oms_qty qtys[] = {qty};
    return harness_order(e, id, channel, "UK", NULL, skus, qtys, 1);
}

static void test_feed__snapshot_then_only_what_changed_on_the_channel(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "feed_changes");
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    harness_item(e, "B", OMS_POLICY_DENY, -1, -1, true);
    harness_item(e, "C", OMS_POLICY_DENY, -1, -1, true);
    harness_set_stock(e, "A", "WH1", 5);
    harness_set_stock(e, "B", "WH1", 5);
    harness_set_stock(e, "C", "WH1", 5);

    struct page *p = feed(e, "web", NULL, 100);
    assert_true(p->head.full && !p->head.reset && !p->head.more);
    assert_int_equal(p->count, 3);
    assert_int_equal(available_in(p, "A"), 5);
    char web[OMS_FEED_CURSOR_LEN + 1], store[OMS_FEED_CURSOR_LEN + 1];
    snprintf(web, sizeof web, "%s", p->head.next);
    p = feed(e, "store", NULL, 100);
    assert_int_equal(p->count, 3);
    assert_int_equal(available_in(p, "A"), 0);
    snprintf(store, sizeof store, "%s", p->head.next);

    /* Nothing changed: an empty page. */
    p = feed(e, "web", web, 100);
    assert_true(!p->head.full && !p->head.more);
    assert_int_equal(p->count, 0);

    assert_int_equal(harness_adjust(e, "A", "WH1", -2), OMS_OK); /* web 3; store unchanged. */
    assert_int_equal(order1(e, "o1", "web", "B", 1), OMS_OK);    /* web 4 */
    harness_receipt(e, "PO-C", "C", "WH2", 7);                    /* web 12, store 7 */
    p = feed(e, "web", web, 100);
    assert_true(!p->head.full && !p->head.reset && !p->head.more);
    assert_int_equal(p->count, 3);
    assert_int_equal(available_in(p, "A"), 3);
    assert_int_equal(available_in(p, "B"), 4);
    assert_int_equal(available_in(p, "C"), 12);
    snprintf(web, sizeof web, "%s", p->head.next);
    /* A and B moved at WH1 only, which the store channel does not see. */
    p = feed(e, "store", store, 100);
    assert_int_equal(p->count, 1);
    assert_int_equal(available_in(p, "C"), 7);
    snprintf(store, sizeof store, "%s", p->head.next);

    /* Safety stock at WH2 moves nothing of A: none there, so no answer changes. */
    assert_int_equal(harness_unavailable(e, "A", "WH2", 0), OMS_OK);
    p = feed(e, "web", web, 100);
    assert_int_equal(p->count, 0);
    finish(e, path);
}

/* B37: on_hand 3 with 1 reserved (a hold) or allocated (an order); MKT keeps a buffer of 5.
 * The feed publishes MKT 0 and WEB 2, then after on_hand drops to 0 both 0, never a negative
 * number, and MKT, whose answer did not move, is not sent again. */
static void b37(bool hold)
{
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, hold ? "feed_b37_hold" : "feed_b37_order");
    harness_channel(e, "MKT", WH1, 1, 5, true, 10);
    harness_channel(e, "WEB", WH1, 1, 0, true, 10);
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    harness_set_stock(e, "A", "WH1", 3);
    if (hold) {
        const struct oms_cmd_hold_line line = {"A", 1};
        struct oms_command cmd = {.kind = OMS_CMD_HOLD_CREATE};
        cmd.u.hold = (struct oms_cmd_hold){.id = "h1", .channel = "WEB", .lines = &line,
                                           .lines_count = 1,
                                           .expires_ms = harness_ms("2026-03-02T10:00:00Z")};
        assert_int_equal(harness_run(e, &cmd), OMS_OK);
        assert_int_equal(harness_get_level(e, "A", "WH1").reserved, 1);
    } else {
        assert_int_equal(order1(e, "o1", "WEB", "A", 1), OMS_OK);
    }

    struct page *p = feed(e, "MKT", NULL, 100);
    assert_int_equal(available_in(p, "A"), 0);
    assert_int_equal(p->item[find(p, "A")].status, OMS_AVAIL_OUT_OF_STOCK);
    char mkt[OMS_FEED_CURSOR_LEN + 1], web[OMS_FEED_CURSOR_LEN + 1];
    snprintf(mkt, sizeof mkt, "%s", p->head.next);
    p = feed(e, "WEB", NULL, 100);
    assert_int_equal(available_in(p, "A"), 2);
    snprintf(web, sizeof web, "%s", p->head.next);

    assert_int_equal(harness_adjust(e, "A", "WH1", -3), OMS_OK); /* Short by 1 (rule 3b). */
    p = feed(e, "WEB", web, 100);
    assert_int_equal(p->count, 1);
    assert_int_equal(available_in(p, "A"), 0);
    p = feed(e, "MKT", mkt, 100);
    assert_int_equal(p->count, 0); /* Still 0, still out of stock: nothing to publish. */
    finish(e, path);
}

static void test_feed__b37_buffers_never_publish_a_negative_number(void **state)
{
    (void)state;
    b37(true);
    b37(false);
}

/* B43: receipt 30, order 29, receipt 50: the shop is published 30, then 1, then 51. */
static void test_feed__b43_publishes_30_then_1_then_51(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "feed_b43");
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    struct page *p = feed(e, "web", NULL, 100);
    char cursor[OMS_FEED_CURSOR_LEN + 1];
    snprintf(cursor, sizeof cursor, "%s", p->head.next);
    const oms_qty expect[] = {30, 1, 51};
    for (int step = 0; step < 3; step++) {
        if (step == 0) harness_receipt(e, "PO-1", "A", "WH1", 30);
        if (step == 1) assert_int_equal(order1(e, "O1", "web", "A", 29), OMS_OK);
        if (step == 2) harness_receipt(e, "PO-2", "A", "WH1", 50);
        p = feed(e, "web", cursor, 100);
        assert_int_equal(p->count, 1);
        assert_int_equal(available_in(p, "A"), expect[step]);
        snprintf(cursor, sizeof cursor, "%s", p->head.next);
    }
    finish(e, path);
}

/* Snapshots and changes come in pages of `limit`; an item that changes while a snapshot is
 * paged is sent after its last page, so nothing is missed. */
static void test_feed__pages_miss_nothing_changed_while_paging(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "feed_pages");
    char sku[25][8];
    for (int i = 0; i < 25; i++) {
        snprintf(sku[i], sizeof sku[i], "S%02d", i);
        harness_item(e, sku[i], OMS_POLICY_DENY, -1, -1, true);
        harness_set_stock(e, sku[i], "WH1", i + 1);
    }
    bool sent[25] = {false};
    char cursor[OMS_FEED_CURSOR_LEN + 1] = "";
    const uint32_t sizes[] = {10, 10, 5};
    for (int page = 0; page < 3; page++) {
        struct page *p = feed(e, "web", page ? cursor : NULL, 10);
        assert_int_equal(p->count, sizes[page]);
        assert_true(p->head.full);
        assert_int_equal(p->head.more, page < 2);
        for (uint32_t i = 0; i < p->count; i++) {
            int n = atoi(p->sku[i] + 1);
            assert_false(sent[n]);
            sent[n] = true;
        }
        snprintf(cursor, sizeof cursor, "%s", p->head.next);
        /* S00 went out on the first page; it changes while the rest is paged. */
        if (page == 0) assert_int_equal(harness_adjust(e, "S00", "WH1", 100), OMS_OK);
    }
    struct page *p = feed(e, "web", cursor, 10);
    assert_false(p->head.full);
    assert_int_equal(p->count, 1);
    assert_int_equal(available_in(p, "S00"), 101);
    snprintf(cursor, sizeof cursor, "%s", p->head.next);

    /* 26 changes (S03 twice) come in pages of 10 items, each item once per page: S03's second
     * change falls in the third page's range, where S03 was not sent yet. */
    const uint32_t change_sizes[] = {10, 10, 6};
    for (int i = 0; i < 25; i++) assert_int_equal(harness_adjust(e, sku[i], "WH1", 1), OMS_OK);
    assert_int_equal(harness_adjust(e, "S03", "WH1", 1), OMS_OK);
    memset(sent, 0, sizeof sent);
    uint32_t total = 0;
    for (int page = 0; page < 3; page++) {
        p = feed(e, "web", cursor, 10);
        assert_false(p->head.full);
        assert_int_equal(p->count, change_sizes[page]);
        assert_int_equal(p->head.more, page < 2);
        for (uint32_t i = 0; i < p->count; i++) sent[atoi(p->sku[i] + 1)] = true;
        total += p->count;
        snprintf(cursor, sizeof cursor, "%s", p->head.next);
    }
    assert_int_equal(total, 26);
    for (int i = 0; i < 25; i++) assert_true(sent[i]);
    finish(e, path);
}

static void test_feed__refuses_cursors_it_never_gave(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "feed_bad");
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    struct page *p = feed(e, "web", NULL, 100);
    char good[OMS_FEED_CURSOR_LEN + 1];
    snprintf(good, sizeof good, "%s", p->head.next);
    struct oms_feed_page head;
    struct page scratch;
    const char *garbage[] = {"", "x", "123", "d0000", "not a cursor at all, but long enough to be one?!"};
    for (size_t i = 0; i < OMS_ARRAY_LEN(garbage); i++) {
        assert_int_equal(oms_engine_feed(e, "web", garbage[i], 10, collect, &scratch, &head),
                         OMS_EINVAL);
        assert_true(head.why[0] != '\0');
    }
    /* One changed digit breaks the check; the same cursor on another channel is refused. */
    char tampered[OMS_FEED_CURSOR_LEN + 1];
    snprintf(tampered, sizeof tampered, "%s", good);
    tampered[30] = tampered[30] == '0' ? '1' : '0';
    scratch.count = 0;
    assert_int_equal(oms_engine_feed(e, "web", tampered, 10, collect, &scratch, &head), OMS_EINVAL);
    assert_int_equal(oms_engine_feed(e, "store", good, 10, collect, &scratch, &head), OMS_EINVAL);
    assert_int_equal(oms_engine_feed(e, "nope", NULL, 10, collect, &scratch, &head), OMS_ENOTFOUND);
    assert_int_equal(scratch.count, 0);
    finish(e, path);
}

/* The log lives in memory: after a restart an old cursor gets every item, flagged reset on the
 * first page only; the cursor that follows works as usual. */
static void test_feed__a_restart_resets_old_cursors(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "feed_restart");
    for (int i = 0; i < 3; i++) {
        char sku[8];
        snprintf(sku, sizeof sku, "R%d", i);
        harness_item(e, sku, OMS_POLICY_DENY, -1, -1, true);
        harness_set_stock(e, sku, "WH1", 4);
    }
    struct page *p = feed(e, "web", NULL, 100);
    char cursor[OMS_FEED_CURSOR_LEN + 1];
    snprintf(cursor, sizeof cursor, "%s", p->head.next);
    harness_reopen(&e, path);
    p = feed(e, "web", cursor, 2);
    assert_true(p->head.full && p->head.reset && p->head.more);
    assert_int_equal(p->count, 2);
    snprintf(cursor, sizeof cursor, "%s", p->head.next);
    p = feed(e, "web", cursor, 2);
    assert_true(p->head.full && !p->head.reset && !p->head.more);
    assert_int_equal(p->count, 1);
    snprintf(cursor, sizeof cursor, "%s", p->head.next);
    assert_int_equal(harness_adjust(e, "R1", "WH1", 1), OMS_OK);
    p = feed(e, "web", cursor, 100);
    assert_true(!p->head.full && !p->head.reset);
    assert_int_equal(p->count, 1);
    assert_int_equal(available_in(p, "R1"), 5);
    finish(e, path);
}

/* A channel's buffer moves every item's answer on it: its cursors get a full snapshot (not a
 * reset: nothing was lost), once. Another channel's cursors get one too: a channel's floors
 * hold units where it ships, so any channel edit may move every channel's answers
 * (decision 29). A location edit only reaches the channels that see the location. */
static void test_feed__master_data_of_a_channel_sends_it_a_snapshot(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "feed_master");
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    harness_item(e, "B", OMS_POLICY_DENY, -1, -1, true);
    harness_set_stock(e, "A", "WH2", 10);
    harness_set_stock(e, "B", "WH2", 10);
    char web[OMS_FEED_CURSOR_LEN + 1], store[OMS_FEED_CURSOR_LEN + 1];
    snprintf(web, sizeof web, "%s", feed(e, "web", NULL, 100)->head.next);
    snprintf(store, sizeof store, "%s", feed(e, "store", NULL, 100)->head.next);
    harness_channel(e, "web", BOTH, 2, 3, true, 10);
    struct page *p = feed(e, "web", web, 100);
    assert_true(p->head.full && !p->head.reset);
    assert_int_equal(p->count, 2);
    assert_int_equal(available_in(p, "A"), 7);
    snprintf(web, sizeof web, "%s", p->head.next);
    assert_int_equal(feed(e, "web", web, 100)->count, 0); /* Once only. */
    p = feed(e, "store", store, 100);
    assert_true(p->head.full && !p->head.reset);
    assert_int_equal(p->count, 2);
    snprintf(store, sizeof store, "%s", p->head.next);
    /* WH1's handling days: web sees WH1, the store channel does not. */
    harness_location(e, "WH1", "UK", 1, 2);
    p = feed(e, "web", web, 100);
    assert_true(p->head.full && !p->head.reset);
    p = feed(e, "store", store, 100);
    assert_false(p->head.full);
    assert_int_equal(p->count, 0);
    finish(e, path);
}

/* A connector's copy of one channel: sku -> (status, available, promise). */
struct copy {
    char sku[COPY_MAX][8];
    struct oms_availability a[COPY_MAX];
    bool known[COPY_MAX];
    char cursor[OMS_FEED_CURSOR_LEN + 1];
};

static void apply_page(struct copy *c, const struct page *p)
{
    for (uint32_t i = 0; i < p->count; i++) {
        int n = atoi(p->sku[i] + 1);
        assert_true(n >= 0 && n < COPY_MAX);
        c->known[n] = true;
        c->a[n].status = p->item[i].status;
        c->a[n].available = p->item[i].available;
        c->a[n].promise_day = p->item[i].promise_day;
    }
}

static void sync(struct oms_engine *e, const char *channel, struct copy *c, uint32_t limit)
{
    for (int pages = 0;; pages++) {
        assert_true(pages < 100);
        struct page *p = feed(e, channel, c->cursor[0] ? c->cursor : NULL, limit);
        if (p->head.reset) memset(c->known, 0, sizeof c->known);
        apply_page(c, p);
        snprintf(c->cursor, sizeof c->cursor, "%s", p->head.next);
        if (!p->head.more) return;
    }
}

/* Random orders, receipts, adjustments, cancellations and supply on items seen by two channels
 * with different locations: after every step, a connector that applied every page holds
 * exactly what /v1/availability answers for every item. */
static void test_feed__a_synced_copy_equals_availability(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "feed_property");
    enum { ITEMS = 12, STEPS = 300 };
    char sku[ITEMS][8];
    for (int i = 0; i < ITEMS; i++) {
        snprintf(sku[i], sizeof sku[i], "P%02d", i);
        harness_item(e, sku[i], i % 3 ? OMS_POLICY_BACKORDER : OMS_POLICY_DENY, 20, 5, true);
    }
    static struct copy copies[2];
    memset(copies, 0, sizeof copies);
    const char *channels[] = {"web", "store"};
    uint32_t seed = 12345;
    int orders = 0, supplies = 0;
    for (int step = 0; step < STEPS; step++) {
        seed = seed * 1103515245u + 12345u;
        uint32_t r = seed >> 8;
        const char *s = sku[r % ITEMS];
        const char *where = (r >> 5) % 2 ? "WH1" : "WH2";
        char id[32];
        switch ((r >> 7) % 5) {
        case 0:
            (void)harness_adjust(e, s, where, (oms_qty)((r >> 10) % 7));
            break;
        case 1:
            snprintf(id, sizeof id, "o%d", orders++);
            (void)order1(e, id, channels[(r >> 11) % 2], s, (oms_qty)((r >> 12) % 4 + 1));
            break;
        case 2:
            snprintf(id, sizeof id, "o%d", orders ? (int)((r >> 10) % (uint32_t)orders) : 0);
            (void)harness_cancel_all(e, id);
            break;
        case 3:
            snprintf(id, sizeof id, "PO%d", supplies++);
            harness_supply(e, id, s, where, (oms_qty)((r >> 10) % 5 + 1), "2026-03-20");
            break;
        default:
            snprintf(id, sizeof id, "PO%d", supplies ? (int)((r >> 10) % (uint32_t)supplies) : 0);
            (void)harness_receive(e, id, 1);
            break;
        }
        for (int c = 0; c < 2; c++) {
            sync(e, channels[c], &copies[c], (uint32_t)(step % 4 + 1));
            for (int i = 0; i < ITEMS; i++) {
                struct oms_availability a;
                assert_int_equal(oms_engine_availability(e, channels[c], sku[i], 1, NULL, &a),
                                 OMS_OK);
                assert_true(copies[c].known[i]);
                assert_int_equal(copies[c].a[i].status, a.status);
                assert_int_equal(copies[c].a[i].available, a.available);
                assert_int_equal(copies[c].a[i].promise_day, a.promise_day);
            }
        }
    }
    finish(e, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed__snapshot_then_only_what_changed_on_the_channel),
        cmocka_unit_test(test_feed__b37_buffers_never_publish_a_negative_number),
        cmocka_unit_test(test_feed__b43_publishes_30_then_1_then_51),
        cmocka_unit_test(test_feed__pages_miss_nothing_changed_while_paging),
        cmocka_unit_test(test_feed__refuses_cursors_it_never_gave),
        cmocka_unit_test(test_feed__a_restart_resets_old_cursors),
        cmocka_unit_test(test_feed__master_data_of_a_channel_sends_it_a_snapshot),
        cmocka_unit_test(test_feed__a_synced_copy_equals_availability),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
