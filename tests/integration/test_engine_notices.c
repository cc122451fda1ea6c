/*
 * test_engine_notices.c - item.status_changed and back-in-stock notices (DESIGN.md rules 1 and 7)
 * through the whole engine on a real SQLite file: the notification scenarios of scenarios.md
 * (B38, B39, B41, B42, B45), waves limited by the units, first-subscribed first, each
 * subscription once, no storm when stock flaps, flips per channel with buffers, a restart that
 * neither repeats nor forgets, commands batched together, and a property test: after every
 * random step the status events are exactly the flips that the availability read path shows.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine/engine.h"
#include "harness.h"
#include "store/store.h"

#define ALL_DAYS 0x7Fu
#define EVENTS_MAX 4096      /* Events one test step reads back at most. */
#define EVENT_DATA_BYTES 512 /* Payload text kept per event. */

static const char *const WH1[] = {"WH1"};
static const char *const BOTH[] = {"WH1", "WH2"};

/* One warehouse WH1 open every day, channel "web" (takes backorders) on it, item A with policy
 * deny and nothing on hand; the engine clock is the test's. */
static struct oms_engine *setup(char *path, size_t cap, const char *name)
{
    harness_set_clock(harness_ms("2026-03-02T09:00:00Z"));
    harness_db_path(path, cap, name);
    struct oms_engine *e = harness_open(path);
    harness_location(e, "WH1", "UK", 1, 0);
    harness_location_days(e, "WH1", ALL_DAYS);
    harness_channel(e, "web", WH1, 1, 0, true, 10);
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    return e;
}

static void finish(struct oms_engine *e, const char *path)
{
    harness_reopen(&e, path);
    oms_engine_close(e);
    harness_set_clock(0);
}

/* Subscribes and returns the answer's status (201 new, 200 the one waiting); *index is the
 * subscription's index (its id is "sub_<index + 1>"). */
static int subscribe(struct oms_engine *e, const char *sku, const char *channel,
                     const char *contact, uint32_t *index, enum oms_err *err)
{
    struct oms_command cmd = {.kind = OMS_CMD_SUBSCRIBE};
    cmd.u.subscribe = (struct oms_cmd_subscribe){sku, channel, contact};
    enum oms_err got = harness_run(e, &cmd);
    if (err) {
        *err = got;
    } else {
        assert_int_equal(got, OMS_OK);
    }
    if (index) *index = cmd.result_index;
    return cmd.status;
}

static uint32_t subscribe_new(struct oms_engine *e, const char *sku, const char *channel,
                              const char *contact)
{
    uint32_t index = OMS_NONE;
    assert_int_equal(subscribe(e, sku, channel, contact, &index, NULL), 201);
    return index;
}

/* The outbox after a sequence number, read back through the engine's event feed. */
struct events {
    uint32_t count;
    int64_t last;
    struct {
        int64_t seq;
        char type[32], subject[OMS_ID_BYTES_MAX + 1], data[EVENT_DATA_BYTES];
    } rows[EVENTS_MAX];
};

static void keep_event(void *ctx, const struct oms_event_row *row)
{
    struct events *ev = ctx;
    ev->last = row->seq;
    assert_true(ev->count < EVENTS_MAX);
    ev->rows[ev->count].seq = row->seq;
    snprintf(ev->rows[ev->count].type, sizeof ev->rows[0].type, "%s", row->type);
    snprintf(ev->rows[ev->count].subject, sizeof ev->rows[0].subject, "%s", row->subject);
    snprintf(ev->rows[ev->count].data, sizeof ev->rows[0].data, "%s", row->data_json);
    ev->count++;
}

/* Events with seq > after (ev is malloc'd: free it). */
static struct events *events_after(struct oms_engine *e, int64_t after)
{
    struct events *ev = calloc(1, sizeof *ev);
    assert_non_null(ev);
    ev->last = after;
    uint32_t before;
    do {
        before = ev->count;
        assert_int_equal(oms_engine_events(e, ev->last, 1000, keep_event, ev), OMS_OK);
    } while (ev->count > before);
    return ev;
}

static int64_t last_seq(struct oms_engine *e)
{
    struct events *ev = events_after(e, 0);
    int64_t last = ev->last;
    free(ev);
    return last;
}

static uint32_t count_type(const struct events *ev, const char *type)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < ev->count; i++) n += strcmp(ev->rows[i].type, type) == 0;
    return n;
}

/* Back-in-stock notices after `after`, as subscription ids joined by spaces. */
static void notified_since(struct oms_engine *e, int64_t after, char *out, size_t cap)
{
    struct events *ev = events_after(e, after);
    out[0] = '\0';
    for (uint32_t i = 0; i < ev->count; i++) {
        if (strcmp(ev->rows[i].type, "item.back_in_stock") != 0) continue;
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", len ? " " : "", ev->rows[i].subject);
    }
    free(ev);
}

static struct oms_availability avail(struct oms_engine *e, const char *channel, const char *sku,
                                     oms_qty qty)
{
    struct oms_availability a;
    assert_int_equal(oms_engine_availability(e, channel, sku, qty, NULL, &a), OMS_OK);
    return a;
}

static void set_policy(struct oms_engine *e, const char *sku, enum oms_policy policy,
                       oms_qty limit, int32_t lead)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_ITEM};
    cmd.u.item = (struct oms_cmd_item){
        .sku = sku,
        .fields = OMS_F_POLICY | OMS_F_BACKORDER_LIMIT | OMS_F_LEAD_TIME,
        .policy = policy,
        .backorder_limit = limit,
        .lead_time_days = lead,
    };
    assert_int_equal(harness_run(e, &cmd), OMS_OK);
}

static void rename_item(struct oms_engine *e, const char *sku, const char *name)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_ITEM};
    cmd.u.item = (struct oms_cmd_item){.sku = sku, .fields = OMS_F_NAME, .name = name};
    assert_int_equal(harness_run(e, &cmd), OMS_OK);
}

static void test_notices__b38_enabling_backorders_is_not_back_in_stock(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "notices-b38");
    uint32_t s1 = subscribe_new(e, "A", "web", "s1@example.com");
    int64_t mark = last_seq(e);
    set_policy(e, "A", OMS_POLICY_BACKORDER, -1, 14);
    assert_int_equal(avail(e, "web", "A", 1).status, OMS_AVAIL_BACKORDER);
    struct events *ev = events_after(e, mark);
    assert_int_equal(count_type(ev, "item.status_changed"), 1); /* out_of_stock -> backorder */
    assert_non_null(strstr(ev->rows[0].data, "\"new_status\":\"backorder\""));
    assert_int_equal(count_type(ev, "item.back_in_stock"), 0); /* Backorderable is not stock. */
    free(ev);
    /* S1 may still subscribe while A is backorderable: the same contact gets the same one. */
    uint32_t again = OMS_NONE;
    assert_int_equal(subscribe(e, "A", "web", "s1@example.com", &again, NULL), 200);
    assert_int_equal(again, s1);
    uint32_t s2 = subscribe_new(e, "A", "web", "s2@example.com");
    assert_int_equal(s2, s1 + 1);
    mark = last_seq(e);
    harness_receipt(e, "PO-1", "A", "WH1", 3);
    char notified[256];
    notified_since(e, mark, notified, sizeof notified);
    assert_string_equal(notified, "sub_1 sub_2");
    harness_receipt(e, "PO-2", "A", "WH1", 3);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", "sub_1"), 1);
    finish(e, path);
}

/* B39 starts from on_hand -1, which our model reads as one unit backordered (scenarios.md):
 * "stock set to 1" and "to 2" are the counts that leave 1 and then 2 units available. */
static void test_notices__b39_no_notice_below_the_minimum_order_quantity(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "notices-b39");
    set_policy(e, "A", OMS_POLICY_BACKORDER, -1, 14);
    const char *sku = "A";
    oms_qty one = 1;
    assert_int_equal(harness_order(e, "o1", "web", "UK", NULL, &sku, &one, 1), OMS_OK);
    harness_item_min_qty(e, "A", 2); /* Sold in pairs from now on. */
    subscribe_new(e, "A", "web", "s1@example.com");
    assert_int_equal(harness_count(e, "A", "WH1", 2, 0), OMS_OK); /* 1 to o1, 1 available. */
    assert_int_equal(avail(e, "web", "A", 1).available, 1);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", NULL), 0);
    assert_int_equal(harness_count(e, "A", "WH1", 3, 0), OMS_OK); /* 2 available: a pair. */
    assert_int_equal(avail(e, "web", "A", 1).available, 2);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", "sub_1"), 1);
    assert_int_equal(harness_count(e, "A", "WH1", 6, 0), OMS_OK); /* More: not a new rise. */
    assert_int_equal(harness_count_events(e, "item.back_in_stock", NULL), 1);
    finish(e, path);
}

/* B41: a count through the API or an ERP import notifies exactly like any other path, and
 * emits its stock event. Cancellations and receipts are causes too. */
static void test_notices__b41_any_cause_notifies_once(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "notices-b41");
    subscribe_new(e, "A", "web", "count@example.com");
    int64_t mark = last_seq(e);
    assert_int_equal(harness_count(e, "A", "WH1", 10, 0), OMS_OK);
    struct events *ev = events_after(e, mark);
    assert_int_equal(count_type(ev, "stock.changed"), 1);
    assert_int_equal(count_type(ev, "item.status_changed"), 1);
    assert_int_equal(count_type(ev, "item.back_in_stock"), 1);
    /* Commit order: the stock change, the status it caused, then the notice. */
    assert_string_equal(ev->rows[0].type, "stock.changed");
    assert_string_equal(ev->rows[1].type, "item.status_changed");
    assert_string_equal(ev->rows[2].type, "item.back_in_stock");
    assert_non_null(strstr(ev->rows[2].data, "\"contact\":\"count@example.com\""));
    assert_non_null(strstr(ev->rows[2].data, "\"available\":10"));
    free(ev);
    /* A cancellation gives units back: that rise notifies the next subscriber. */
    const char *sku = "A";
    oms_qty ten = 10;
    assert_int_equal(harness_order(e, "o1", "web", "UK", NULL, &sku, &ten, 1), OMS_OK);
    assert_int_equal(avail(e, "web", "A", 1).available, 0);
    subscribe_new(e, "A", "web", "cancel@example.com");
    assert_int_equal(harness_cancel_all(e, "o1"), OMS_OK);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", "sub_2"), 1);
    /* And a receipt. */
    assert_int_equal(harness_count(e, "A", "WH1", 0, 0), OMS_OK);
    subscribe_new(e, "A", "web", "receipt@example.com");
    harness_receipt(e, "PO-1", "A", "WH1", 1);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", "sub_3"), 1);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", NULL), 3);
    finish(e, path);
}

static void test_notices__b42_one_stock_event_per_adjustment_none_for_metadata(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "notices-b42");
    assert_int_equal(harness_count(e, "A", "WH1", 10, 0), OMS_OK);
    int64_t mark = last_seq(e);
    assert_int_equal(harness_adjust(e, "A", "WH1", 5), OMS_OK);
    struct events *ev = events_after(e, mark);
    assert_int_equal(ev->count, 1); /* in_stock stays in_stock: no status event either. */
    assert_string_equal(ev->rows[0].type, "stock.changed");
    assert_int_equal(ev->rows[0].seq, mark + 1); /* The next number of a gap-free sequence. */
    assert_non_null(strstr(ev->rows[0].data, "\"on_hand\":15"));
    free(ev);
    mark = last_seq(e);
    rename_item(e, "A", "A, renamed");
    ev = events_after(e, mark);
    assert_int_equal(ev->count, 0); /* Metadata only: no stock event, no status event. */
    free(ev);
    finish(e, path);
}

/* B45: an import sets derived availability and status at once (no re-save), and a backorder
 * policy imported on an empty item makes it orderable, which is not back in stock. */
static void test_notices__b45_import_publishes_status_without_a_resave(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "notices-b45");
    harness_item(e, "B", OMS_POLICY_DENY, -1, -1, true);
    subscribe_new(e, "A", "web", "a@example.com");
    subscribe_new(e, "B", "web", "b@example.com");
    assert_int_equal(harness_count(e, "A", "WH1", 10, 0), OMS_OK);
    struct oms_availability a = avail(e, "web", "A", 1);
    assert_int_equal(a.status, OMS_AVAIL_IN_STOCK);
    assert_int_equal(a.available, 10);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", "sub_1"), 1);
    set_policy(e, "B", OMS_POLICY_BACKORDER, 5, 7);
    assert_int_equal(avail(e, "web", "B", 1).status, OMS_AVAIL_BACKORDER);
    assert_int_equal(avail(e, "web", "B", 5).status, OMS_AVAIL_BACKORDER);
    assert_int_equal(avail(e, "web", "B", 6).status, OMS_AVAIL_OUT_OF_STOCK);
    assert_int_equal(harness_count_events(e, "item.status_changed", "B"), 1);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", "sub_2"), 0);
    finish(e, path);
}

static void test_notices__a_wave_serves_as_many_as_the_units_first_subscribed_first(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "notices-wave");
    char contact[32], notified[256];
    for (int i = 1; i <= 5; i++) {
        snprintf(contact, sizeof contact, "s%d@example.com", i);
        subscribe_new(e, "A", "web", contact);
    }
    int64_t mark = last_seq(e);
    harness_receipt(e, "PO-1", "A", "WH1", 2);
    notified_since(e, mark, notified, sizeof notified);
    assert_string_equal(notified, "sub_1 sub_2"); /* Two units serve two customers. */
    mark = last_seq(e);
    assert_int_equal(harness_count(e, "A", "WH1", 10, 0), OMS_OK);
    notified_since(e, mark, notified, sizeof notified);
    assert_string_equal(notified, ""); /* Still sellable: not a new wave. */
    assert_int_equal(harness_count(e, "A", "WH1", 0, 0), OMS_OK);
    mark = last_seq(e);
    assert_int_equal(harness_count(e, "A", "WH1", 7, 0), OMS_OK);
    notified_since(e, mark, notified, sizeof notified);
    assert_string_equal(notified, "sub_3 sub_4 sub_5");
    /* Pairs: 5 units serve two subscribers of six waiting. */
    harness_item_min_qty(e, "A", 2);
    assert_int_equal(harness_count(e, "A", "WH1", 0, 0), OMS_OK);
    for (int i = 6; i <= 11; i++) {
        snprintf(contact, sizeof contact, "s%d@example.com", i);
        subscribe_new(e, "A", "web", contact);
    }
    mark = last_seq(e);
    assert_int_equal(harness_count(e, "A", "WH1", 5, 0), OMS_OK);
    notified_since(e, mark, notified, sizeof notified);
    assert_string_equal(notified, "sub_6 sub_7");
    finish(e, path);
}

static void test_notices__each_subscription_once_and_no_storm_when_stock_flaps(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "notices-flap");
    harness_channel(e, "store", WH1, 1, 0, true, 20);
    subscribe_new(e, "A", "web", "s1@example.com");
    uint32_t other = subscribe_new(e, "A", "store", "s1@example.com"); /* Another channel. */
    int64_t mark = last_seq(e);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(harness_count(e, "A", "WH1", 1, 0), OMS_OK);
        assert_int_equal(harness_count(e, "A", "WH1", 0, 0), OMS_OK);
    }
    struct events *ev = events_after(e, mark);
    /* 20 flips on each of two channels, one notice per subscription, however often it flaps. */
    assert_int_equal(count_type(ev, "item.status_changed"), 40);
    assert_int_equal(count_type(ev, "item.back_in_stock"), 2);
    free(ev);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", "sub_1"), 1);
    char id[32];
    snprintf(id, sizeof id, "sub_%u", other + 1);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", id), 1);
    finish(e, path);
}

/* The text of a string field of a flat event payload ("" when absent). */
static void field_of(const char *data, const char *key, char *out, size_t cap)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *at = strstr(data, pattern);
    out[0] = '\0';
    if (!at) return;
    at += strlen(pattern);
    size_t n = 0;
    while (at[n] && at[n] != '"' && n + 1 < cap) n++;
    memcpy(out, at, n);
    out[n] = '\0';
}

static void test_notices__flips_per_channel_with_buffers(void **state)
{
    (void)state;
    char path[512], channel[32], notified[256];
    struct oms_engine *e = setup(path, sizeof path, "notices-channels");
    harness_location(e, "WH2", "UK", 2, 0);
    harness_location_days(e, "WH2", ALL_DAYS);
    harness_channel(e, "mkt", BOTH, 2, 3, false, 20); /* Holds 3 units back per item. */
    subscribe_new(e, "A", "web", "w@example.com");
    subscribe_new(e, "A", "mkt", "m@example.com");
    int64_t mark = last_seq(e);
    assert_int_equal(harness_count(e, "A", "WH1", 2, 0), OMS_OK);
    struct events *ev = events_after(e, mark);
    assert_int_equal(count_type(ev, "item.status_changed"), 1); /* mkt: max(0, 2 - 3) = 0. */
    field_of(ev->rows[1].data, "channel", channel, sizeof channel);
    assert_string_equal(channel, "web");
    free(ev);
    notified_since(e, mark, notified, sizeof notified);
    assert_string_equal(notified, "sub_1");
    mark = last_seq(e);
    assert_int_equal(harness_count(e, "A", "WH2", 5, 0), OMS_OK); /* mkt: 7 - 3 = 4. */
    notified_since(e, mark, notified, sizeof notified);
    assert_string_equal(notified, "sub_2");
    assert_int_equal(avail(e, "mkt", "A", 1).available, 4);
    /* A channel edit is a cause too: a bigger buffer hides the stock, a smaller one shows it
     * again, and the subscriber who came in between hears of it. */
    mark = last_seq(e);
    harness_channel(e, "mkt", BOTH, 2, 10, false, 20);
    ev = events_after(e, mark);
    assert_int_equal(count_type(ev, "item.status_changed"), 1);
    assert_non_null(strstr(ev->rows[0].data, "\"new_status\":\"out_of_stock\""));
    free(ev);
    subscribe_new(e, "A", "mkt", "m2@example.com");
    mark = last_seq(e);
    harness_channel(e, "mkt", BOTH, 2, 0, false, 20);
    notified_since(e, mark, notified, sizeof notified);
    assert_string_equal(notified, "sub_3");
    finish(e, path);
}

/* A new item or channel has had no status to change from: its first one is published
 * without an event, whatever it is. */
static void test_notices__a_new_item_or_channel_publishes_silently(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "notices-new");
    assert_int_equal(harness_count(e, "A", "WH1", 4, 0), OMS_OK);
    int64_t mark = last_seq(e);
    harness_item(e, "P", OMS_POLICY_BACKORDER, -1, 7, true); /* Backorder from birth. */
    assert_int_equal(avail(e, "web", "P", 1).status, OMS_AVAIL_BACKORDER);
    harness_channel(e, "shop", WH1, 1, 0, true, 30); /* A is in stock there from birth. */
    assert_int_equal(avail(e, "shop", "A", 1).status, OMS_AVAIL_IN_STOCK);
    struct events *ev = events_after(e, mark);
    assert_int_equal(ev->count, 0);
    free(ev);
    assert_int_equal(harness_count(e, "A", "WH1", 0, 0), OMS_OK); /* Then flips count. */
    assert_int_equal(harness_count_events(e, "item.status_changed", "A"), 3);
    finish(e, path);
}

static void expect_field_error(struct oms_engine *e, const char *sku, const char *channel,
                               const char *field)
{
    struct oms_command cmd = {.kind = OMS_CMD_SUBSCRIBE};
    cmd.u.subscribe = (struct oms_cmd_subscribe){sku, channel, "x@example.com"};
    assert_int_equal(harness_run(e, &cmd), OMS_EINVAL);
    assert_string_equal(cmd.err_field, field);
}

static void test_notices__subscriptions_name_the_bad_field(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = setup(path, sizeof path, "notices-errors");
    expect_field_error(e, "NOPE", "web", "sku");
    expect_field_error(e, "A", "nope", "channel");
    finish(e, path);
}

struct sub_check {
    uint32_t count;
    bool notified[8];
};

static void read_subs(const struct oms_state *s, void *ctx)
{
    struct sub_check *c = ctx;
    c->count = s->subscriptions_count;
    for (uint32_t i = 0; i < s->subscriptions_count && i < 8; i++) {
        c->notified[i] = s->subscriptions[i].notified;
    }
}

/* Rewrites the published status of (item 0, channel 0) behind the engine's back, as if an
 * earlier version had published another status. */
static void tamper_published(const char *path, int status)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE item_status SET status = %d WHERE item = 0 AND channel = 0",
             status);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);
}

static void test_notices__a_restart_neither_repeats_nor_forgets(void **state)
{
    (void)state;
    char path[512], notified[256];
    struct oms_engine *e = setup(path, sizeof path, "notices-restart");
    subscribe_new(e, "A", "web", "s1@example.com");
    subscribe_new(e, "A", "web", "s2@example.com");
    harness_receipt(e, "PO-1", "A", "WH1", 1); /* One unit: sub_1 only. */
    harness_reopen(&e, path);
    rename_item(e, "A", "after restart");
    assert_int_equal(harness_tick(e, "2026-03-02T10:00:00Z"), OMS_OK);
    assert_int_equal(harness_count(e, "A", "WH1", 5, 0), OMS_OK); /* Still sellable. */
    assert_int_equal(harness_count_events(e, "item.status_changed", NULL), 1);
    assert_int_equal(harness_count_events(e, "item.back_in_stock", NULL), 1);
    assert_int_equal(harness_count(e, "A", "WH1", 0, 0), OMS_OK);
    harness_reopen(&e, path);
    struct sub_check subs = {0};
    harness_inspect(e, read_subs, &subs);
    assert_int_equal(subs.count, 2);
    assert_true(subs.notified[0]);
    assert_false(subs.notified[1]);
    int64_t mark = last_seq(e);
    assert_int_equal(harness_count(e, "A", "WH1", 3, 0), OMS_OK);
    notified_since(e, mark, notified, sizeof notified);
    assert_string_equal(notified, "sub_2"); /* sub_1 was told before the restart. */
    /* What was published is read back at open: a status recorded as out_of_stock meets the
     * model's in_stock at the next look at the item, and that is one flip. */
    oms_engine_close(e);
    tamper_published(path, OMS_AVAIL_OUT_OF_STOCK);
    e = harness_open(path);
    mark = last_seq(e);
    rename_item(e, "A", "touched");
    struct events *ev = events_after(e, mark);
    assert_int_equal(ev->count, 1);
    assert_non_null(strstr(ev->rows[0].data, "\"old_status\":\"out_of_stock\""));
    assert_non_null(strstr(ev->rows[0].data, "\"new_status\":\"in_stock\""));
    free(ev);
    finish(e, path);
}

#define BURST 200

struct burst {
    struct oms_command cmds[BURST];
};

static void burst_done(struct oms_command *cmd) { (void)cmd; }

/* Commands submitted together share batches; each one that flips the status gets its event,
 * in commit order, even when the next one in the same transaction flips it back. */
static void test_notices__commands_in_one_batch_each_get_their_flip(void **state)
{
    (void)state;
    char path[512], status[32];
    struct oms_engine *e = setup(path, sizeof path, "notices-batch");
    int64_t mark = last_seq(e);
    struct burst *b = calloc(1, sizeof *b);
    assert_non_null(b);
    for (int i = 0; i < BURST; i++) {
        struct oms_command *cmd = &b->cmds[i];
        cmd->kind = OMS_CMD_ADJUST;
        cmd->at_ms = harness_ms("2026-03-02T09:00:00Z");
        cmd->u.adjust = (struct oms_cmd_adjust){
            .sku = "A", .location = "WH1", .is_set = true, .set = i % 2 ? 0 : 5,
            .as_of_ms = cmd->at_ms};
        cmd->done = burst_done;
        assert_int_equal(oms_engine_submit(e, cmd), OMS_OK);
    }
    harness_assert_consistent(e); /* The queue is in order: all of the burst is committed. */
    for (int i = 0; i < BURST; i++) assert_int_equal(b->cmds[i].err, OMS_OK);
    struct events *ev = events_after(e, mark);
    uint32_t flips = 0;
    for (uint32_t k = 0; k < ev->count; k++) {
        if (strcmp(ev->rows[k].type, "item.status_changed") != 0) continue;
        field_of(ev->rows[k].data, "new_status", status, sizeof status);
        assert_string_equal(status, flips % 2 ? "out_of_stock" : "in_stock");
        flips++;
    }
    assert_int_equal(flips, BURST);
    free(ev);
    free(b);
    finish(e, path);
}

/* The property test's world: three items (A deny, B backorder on lead time with a limit, C
 * deny sold in pairs) on two channels (web sees WH1; mkt sees both locations, holds a buffer
 * back and takes no backorders), and what the test expects of the waiting subscriptions. */
#define P_ITEMS 3
#define P_CHANNELS 2
#define P_STEPS 400
#define P_WAITING_MAX 64

static const char *const P_SKUS[P_ITEMS] = {"A", "B", "C"};
static const oms_qty P_MIN[P_ITEMS] = {1, 1, 2};
static const char *const P_CODES[P_CHANNELS] = {"web", "mkt"};
static const char *const P_LOCATIONS[2] = {"WH1", "WH2"};

struct world {
    struct oms_engine *e;
    uint64_t rng;
    uint32_t orders, receipts, contacts;
    struct oms_availability seen[P_ITEMS][P_CHANNELS];
    uint32_t waiting[P_ITEMS][P_CHANNELS][P_WAITING_MAX]; /* Subscription indexes, oldest first. */
    uint32_t waiting_count[P_ITEMS][P_CHANNELS];
};

static uint32_t next(struct world *w, uint32_t bound)
{
    w->rng = w->rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(w->rng >> 33) % bound;
}

static void world_subscribe(struct world *w, uint32_t item, uint32_t channel)
{
    if (w->waiting_count[item][channel] >= P_WAITING_MAX) return;
    char contact[32];
    snprintf(contact, sizeof contact, "c%u@example.com", ++w->contacts);
    uint32_t index = subscribe_new(w->e, P_SKUS[item], P_CODES[channel], contact);
    w->waiting[item][channel][w->waiting_count[item][channel]++] = index;
}

/* One random change of stock, supply, orders, a channel's buffer or subscriptions. */
static void world_step(struct world *w)
{
    uint32_t item = next(w, P_ITEMS), channel = next(w, P_CHANNELS);
    const char *sku = P_SKUS[item], *location = P_LOCATIONS[next(w, 2)];
    char id[32];
    oms_qty qty = 1 + (oms_qty)next(w, 3);
    switch (next(w, 7)) {
    case 0:
        (void)harness_count(w->e, sku, location, (oms_qty)next(w, 3), 0); /* Near zero. */
        break;
    case 1:
        (void)harness_adjust(w->e, sku, location, next(w, 2) ? qty : -qty); /* May be refused. */
        break;
    case 2:
        snprintf(id, sizeof id, "o%u", ++w->orders);
        (void)harness_order(w->e, id, P_CODES[channel], "UK", NULL, &sku, &qty, 1);
        break;
    case 3:
        snprintf(id, sizeof id, "o%u", 1 + next(w, w->orders + 1));
        (void)harness_cancel_all(w->e, id); /* Unknown or already cancelled: refused. */
        break;
    case 4:
        harness_channel(w->e, "mkt", BOTH, 2, (oms_qty)next(w, 4), false, 20);
        break;
    case 5:
        world_subscribe(w, item, channel);
        break;
    default:
        snprintf(id, sizeof id, "R%u", ++w->receipts);
        harness_receipt(w->e, id, sku, location, qty);
        break;
    }
}

static bool world_sellable(uint32_t item, const struct oms_availability *a)
{
    return a->status != OMS_AVAIL_PREORDER && a->available >= P_MIN[item];
}

static uint32_t index_of(const char *const *names, uint32_t count, const char *name)
{
    for (uint32_t i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0) return i;
    }
    fail_msg("unexpected name '%s' in an event", name);
    return 0;
}

/* The status events of one step are exactly the flips the read path shows, pair by pair. */
static void check_flips(const struct world *w, const struct events *ev,
                        struct oms_availability now[P_ITEMS][P_CHANNELS])
{
    uint32_t flips = 0, events = 0;
    char sku[16], channel[16], old_status[32], new_status[32];
    for (uint32_t i = 0; i < P_ITEMS; i++) {
        for (uint32_t c = 0; c < P_CHANNELS; c++) flips += now[i][c].status != w->seen[i][c].status;
    }
    for (uint32_t k = 0; k < ev->count; k++) {
        if (strcmp(ev->rows[k].type, "item.status_changed") != 0) continue;
        events++;
        field_of(ev->rows[k].data, "sku", sku, sizeof sku);
        field_of(ev->rows[k].data, "channel", channel, sizeof channel);
        field_of(ev->rows[k].data, "old_status", old_status, sizeof old_status);
        field_of(ev->rows[k].data, "new_status", new_status, sizeof new_status);
        uint32_t i = index_of(P_SKUS, P_ITEMS, sku), c = index_of(P_CODES, P_CHANNELS, channel);
        assert_string_equal(old_status, oms_avail_status_name(w->seen[i][c].status));
        assert_string_equal(new_status, oms_avail_status_name(now[i][c].status));
    }
    assert_int_equal(events, flips);
}

/* A pair that became sellable notifies its oldest waiting subscriptions, as many as the units
 * serve; no other pair notifies anyone. */
static void check_waves(struct world *w, const struct events *ev,
                        struct oms_availability now[P_ITEMS][P_CHANNELS])
{
    char sku[16], channel[16], expected[32];
    uint32_t told[P_ITEMS][P_CHANNELS] = {{0}};
    for (uint32_t k = 0; k < ev->count; k++) {
        if (strcmp(ev->rows[k].type, "item.back_in_stock") != 0) continue;
        field_of(ev->rows[k].data, "sku", sku, sizeof sku);
        field_of(ev->rows[k].data, "channel", channel, sizeof channel);
        uint32_t i = index_of(P_SKUS, P_ITEMS, sku), c = index_of(P_CODES, P_CHANNELS, channel);
        assert_true(told[i][c] < w->waiting_count[i][c]);
        snprintf(expected, sizeof expected, "sub_%u", w->waiting[i][c][told[i][c]] + 1);
        assert_string_equal(ev->rows[k].subject, expected);
        told[i][c]++;
    }
    for (uint32_t i = 0; i < P_ITEMS; i++) {
        for (uint32_t c = 0; c < P_CHANNELS; c++) {
            bool rose = world_sellable(i, &now[i][c]) && !world_sellable(i, &w->seen[i][c]);
            uint64_t serves = rose ? (uint64_t)(now[i][c].available / P_MIN[i]) : 0;
            uint32_t want = serves < w->waiting_count[i][c] ? (uint32_t)serves
                                                              : w->waiting_count[i][c];
            assert_int_equal(told[i][c], want);
            uint32_t left = w->waiting_count[i][c] - want;
            memmove(w->waiting[i][c], w->waiting[i][c] + want, left * sizeof(uint32_t));
            w->waiting_count[i][c] = left;
        }
    }
}

static void world_look(struct world *w, struct oms_availability now[P_ITEMS][P_CHANNELS])
{
    for (uint32_t i = 0; i < P_ITEMS; i++) {
        for (uint32_t c = 0; c < P_CHANNELS; c++) now[i][c] = avail(w->e, P_CODES[c], P_SKUS[i], 1);
    }
}

static void world_setup(struct world *w, char *path, size_t cap)
{
    w->e = setup(path, cap, "notices-property");
    harness_location(w->e, "WH2", "UK", 2, 0);
    harness_location_days(w->e, "WH2", ALL_DAYS);
    harness_channel(w->e, "mkt", BOTH, 2, 1, false, 20);
    harness_item(w->e, "B", OMS_POLICY_BACKORDER, 3, 5, true);
    harness_item(w->e, "C", OMS_POLICY_DENY, -1, -1, true);
    harness_item_min_qty(w->e, "C", 2);
    for (uint32_t i = 0; i < P_ITEMS; i++) {
        for (uint32_t c = 0; c < P_CHANNELS; c++) world_subscribe(w, i, c);
    }
    world_look(w, w->seen);
}

static void run_world(uint64_t seed)
{
    char path[512];
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->rng = seed;
    world_setup(w, path, sizeof path);
    struct oms_availability now[P_ITEMS][P_CHANNELS];
    int64_t mark = last_seq(w->e);
    for (int step = 0; step < P_STEPS; step++) {
        world_step(w);
        world_look(w, now);
        struct events *ev = events_after(w->e, mark);
        check_flips(w, ev, now);
        check_waves(w, ev, now);
        mark = ev->last;
        free(ev);
        memcpy(w->seen, now, sizeof now);
        if (step % 100 == 99) harness_reopen(&w->e, path);
    }
    harness_assert_consistent(w->e);
    finish(w->e, path);
    free(w);
}

static void test_notices__property_status_events_are_the_flips_and_waves_the_rises(void **state)
{
    (void)state;
    static const uint64_t seeds[] = {20260302, 7, 4242};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) run_world(seeds[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notices__b38_enabling_backorders_is_not_back_in_stock),
        cmocka_unit_test(test_notices__b39_no_notice_below_the_minimum_order_quantity),
        cmocka_unit_test(test_notices__b41_any_cause_notifies_once),
        cmocka_unit_test(test_notices__b42_one_stock_event_per_adjustment_none_for_metadata),
        cmocka_unit_test(test_notices__b45_import_publishes_status_without_a_resave),
        cmocka_unit_test(test_notices__a_wave_serves_as_many_as_the_units_first_subscribed_first),
        cmocka_unit_test(test_notices__each_subscription_once_and_no_storm_when_stock_flaps),
        cmocka_unit_test(test_notices__flips_per_channel_with_buffers),
        cmocka_unit_test(test_notices__a_new_item_or_channel_publishes_silently),
        cmocka_unit_test(test_notices__subscriptions_name_the_bad_field),
        cmocka_unit_test(test_notices__a_restart_neither_repeats_nor_forgets),
        cmocka_unit_test(test_notices__commands_in_one_batch_each_get_their_flip),
        cmocka_unit_test(test_notices__property_status_events_are_the_flips_and_waves_the_rises),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
