/*
 * test_engine_channels.c - channel rules through the engine on a real SQLite file (issue 4,
 * "Channels"; docs/decisions.md 24): buffers in percent (B35's percent variant), store stock
 * excluded (B33), floors that other channels' orders and waiting backorders never eat into
 * while the protected channel still sells them, caps per period with the engine clock and
 * cancellations, rule changes that take effect at once (queue re-run, status events), and
 * everything surviving a reopen (the cap counters counted again must equal the kept ones).
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static const char *const WH1[] = {"WH1"};
static const char *const BOTH[] = {"WH1", "SHOP"};

static void finish(struct oms_engine *e, const char *path)
{
    harness_reopen(&e, path);
    oms_engine_close(e);
    harness_set_clock(0);
}

/* WH1 (a warehouse) and SHOP (a store), both in the UK; item A denies backorders, item B
 * backorders on a 5-day lead time. */
static struct oms_engine *world(char *path, size_t cap, const char *name)
{
    harness_set_clock(harness_ms("2030-01-01T09:00:00Z")); /* A Tuesday. */
    harness_db_path(path, cap, name);
    struct oms_engine *e = harness_open(path);
    harness_location(e, "WH1", "UK", 1, 0);
    harness_location(e, "SHOP", "UK", 2, 0);
    struct oms_command cmd = {.kind = OMS_CMD_PUT_LOCATION};
    cmd.u.location = (struct oms_cmd_location){
        .code = "SHOP", .fields = OMS_F_KIND, .kind = OMS_LOCATION_STORE};
    assert_int_equal(harness_run(e, &cmd), OMS_OK);
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    harness_item(e, "B", OMS_POLICY_BACKORDER, -1, 5, true);
    return e;
}

static void channel_rules(struct oms_engine *e, const char *code, int32_t percent,
                          bool exclude_stores)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_CHANNEL};
    cmd.u.channel = (struct oms_cmd_channel){.code = code,
                                             .fields = OMS_F_BUFFER_PERCENT | OMS_F_EXCLUDE_STORES,
                                             .buffer_percent = percent,
                                             .exclude_stores = exclude_stores};
    assert_int_equal(harness_run(e, &cmd), OMS_OK);
}

/* PUT /v1/channels/{code}/items/{sku} with the fields of `rule` (fields and cleared set). */
static enum oms_err item_rule(struct oms_engine *e, const char *channel, const char *sku,
                              struct oms_cmd_channel_item rule)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_CHANNEL_ITEM};
    rule.channel = channel;
    rule.sku = sku;
    cmd.u.channel_item = rule;
    return harness_run(e, &cmd);
}

static oms_qty available(struct oms_engine *e, const char *channel, const char *sku)
{
    struct oms_availability out;
    assert_int_equal(oms_engine_availability(e, channel, sku, 1, NULL, &out), OMS_OK);
    return out.available;
}

static enum oms_avail_status status(struct oms_engine *e, const char *channel, const char *sku)
{
    struct oms_availability out;
    assert_int_equal(oms_engine_availability(e, channel, sku, 1, NULL, &out), OMS_OK);
    return out.status;
}

static enum oms_err order1(struct oms_engine *e, const char *id, const char *channel,
                           const char *sku, oms_qty qty)
{
    return harness_order(e, id, channel, "UK", NULL, &sku, &qty, 1);
}

static void test_channels__b35_a_percent_buffer_is_rounded_down(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = world(path, sizeof path, "ch_b35");
    harness_channel(e, "WEB", WH1, 1, 0, true, 10);
    harness_channel(e, "MKT", WH1, 1, 0, true, 20);
    channel_rules(e, "MKT", 30, false);
    harness_set_stock(e, "A", "WH1", 10);
    assert_int_equal(available(e, "MKT", "A"), 7); /* 30% of 10 = 3 held. */
    /* A channel-wide change takes effect at once: 100% holds everything back, and MKT's
     * status flips with its event. */
    uint32_t events = harness_count_events(e, "item.status_changed", "A");
    channel_rules(e, "MKT", 100, false);
    assert_int_equal(available(e, "MKT", "A"), 0);
    assert_int_equal(status(e, "MKT", "A"), OMS_AVAIL_OUT_OF_STOCK);
    assert_int_equal(harness_count_events(e, "item.status_changed", "A"), events + 1);
    channel_rules(e, "MKT", 30, false);
    assert_int_equal(harness_count_events(e, "item.status_changed", "A"), events + 2);
    assert_int_equal(order1(e, "O1", "WEB", "A", 6), OMS_OK);
    assert_int_equal(available(e, "WEB", "A"), 4);
    assert_int_equal(available(e, "MKT", "A"), 3); /* floor(1.2) = 1 held of 4. */
    assert_int_equal(order1(e, "O2", "MKT", "A", 4), OMS_OK);
    struct harness_line line = harness_get_line(e, "O2", 1);
    assert_int_equal(line.allocated, 3);
    assert_int_equal(line.rejected, 1);
    assert_int_equal(available(e, "MKT", "A"), 1); /* 1 left, 30% of it is 0.3 -> 0 held. */
    /* An item rule replaces the channel's percent: 2 units for A. */
    assert_int_equal(item_rule(e, "MKT", "A",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_BUFFER, .buffer = 2}),
                     OMS_OK);
    assert_int_equal(available(e, "MKT", "A"), 0);
    finish(e, path);
}

static void test_channels__b33_a_store_excluded_neither_ships_nor_counts(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = world(path, sizeof path, "ch_b33");
    harness_channel(e, "online", BOTH, 2, 0, true, 10);
    harness_channel(e, "pos", BOTH, 2, 0, true, 10);
    channel_rules(e, "online", 0, true);
    harness_set_stock(e, "A", "WH1", 2);
    harness_set_stock(e, "A", "SHOP", 3);
    assert_int_equal(available(e, "online", "A"), 2);
    assert_int_equal(available(e, "pos", "A"), 5);
    /* Even a line WH1 cannot fill is not sent to the store. */
    assert_int_equal(order1(e, "O1", "online", "A", 3), OMS_OK);
    struct harness_line line = harness_get_line(e, "O1", 1);
    assert_int_equal(line.allocated, 2);
    assert_int_equal(line.rejected, 1);
    assert_int_equal(harness_get_level(e, "A", "SHOP").allocated, 0);
    assert_int_equal(available(e, "pos", "A"), 3);
    /* Including stores again takes effect at once. */
    harness_set_stock(e, "A", "SHOP", 4);
    assert_int_equal(available(e, "online", "A"), 0);
    channel_rules(e, "online", 0, false);
    assert_int_equal(available(e, "online", "A"), 4);
    finish(e, path);
}

static void test_channels__other_channels_never_eat_into_a_floor_and_its_owner_sells_it(
    void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = world(path, sizeof path, "ch_floor");
    harness_channel(e, "WEB", WH1, 1, 0, true, 10);
    harness_channel(e, "MKT", BOTH, 2, 0, true, 1); /* Served first in queues. */
    harness_channel(e, "B2B", WH1, 1, 0, true, 5);
    harness_set_stock(e, "B", "WH1", 12);
    harness_set_stock(e, "B", "SHOP", 2);
    assert_int_equal(item_rule(e, "WEB", "B",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_FLOOR, .floor = 5}),
                     OMS_OK);
    assert_int_equal(available(e, "WEB", "B"), 12);
    assert_int_equal(available(e, "MKT", "B"), 9);
    assert_int_equal(available(e, "B2B", "B"), 7);
    /* Orders of other channels, one after another: WEB keeps its 5 at WH1. */
    assert_int_equal(order1(e, "M1", "MKT", "B", 4), OMS_OK);
    assert_int_equal(order1(e, "B1", "B2B", "B", 4), OMS_OK);
    assert_int_equal(order1(e, "M2", "MKT", "B", 6), OMS_OK);
    struct harness_line m2 = harness_get_line(e, "M2", 1);
    /* B2B got 3 (8 - 5), so WH1 has 5 = WEB's floor: M2 gets SHOP's 2 only. */
    assert_int_equal(harness_get_line(e, "B1", 1).allocated, 3);
    assert_int_equal(m2.allocated, 2);
    assert_int_equal(m2.backordered, 4);
    assert_int_equal(harness_get_level(e, "B", "SHOP").allocated, 2);
    assert_int_equal(harness_get_level(e, "B", "WH1").on_hand -
                         harness_get_level(e, "B", "WH1").allocated,
                     5);
    assert_int_equal(available(e, "MKT", "B"), 0);
    assert_int_equal(available(e, "WEB", "B"), 5);
    /* A receipt at WH1: MKT's waiting line takes only what lies above WEB's floor. */
    harness_receipt(e, "R1", "B", "WH1", 3);
    m2 = harness_get_line(e, "M2", 1);
    assert_int_equal(m2.allocated, 5);
    assert_int_equal(m2.backordered, 1);
    assert_int_equal(harness_get_line(e, "B1", 1).allocated, 3); /* Behind, and at the floor. */
    assert_int_equal(available(e, "WEB", "B"), 5);
    /* WEB sells its floor. */
    assert_int_equal(order1(e, "W1", "WEB", "B", 5), OMS_OK);
    assert_int_equal(harness_get_line(e, "W1", 1).allocated, 5);
    /* Removing the floor re-runs the queue: nothing is left for MKT now, but a receipt goes
     * to it (and to nobody's floor). */
    assert_int_equal(item_rule(e, "WEB", "B", (struct oms_cmd_channel_item){.cleared = OMS_RULE_FLOOR}),
                     OMS_OK);
    harness_receipt(e, "R2", "B", "WH1", 2);
    assert_int_equal(harness_get_line(e, "M2", 1).allocated, 6);
    harness_assert_consistent(e);
    finish(e, path);
}

static void test_channels__a_floor_change_re_runs_the_queue_and_tells_the_statuses(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = world(path, sizeof path, "ch_floor_change");
    harness_channel(e, "WEB", WH1, 1, 0, true, 10);
    harness_channel(e, "MKT", WH1, 1, 0, true, 10);
    harness_set_stock(e, "B", "WH1", 4);
    assert_int_equal(item_rule(e, "WEB", "B",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_FLOOR, .floor = 4}),
                     OMS_OK);
    assert_int_equal(status(e, "MKT", "B"), OMS_AVAIL_BACKORDER);
    assert_int_equal(order1(e, "M1", "MKT", "B", 3), OMS_OK);
    assert_int_equal(harness_get_line(e, "M1", 1).backordered, 3);
    uint32_t allocated_events = harness_count_events(e, "line.allocated", "M1");
    uint32_t status_events = harness_count_events(e, "item.status_changed", "B");
    /* A smaller floor frees 3 units for MKT: its waiting line takes them at once. */
    assert_int_equal(item_rule(e, "WEB", "B",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_FLOOR, .floor = 1}),
                     OMS_OK);
    assert_int_equal(harness_get_line(e, "M1", 1).allocated, 3);
    assert_int_equal(harness_count_events(e, "line.allocated", "M1"), allocated_events + 1);
    /* WEB went from in stock (4) to in stock (1): no event; MKT stays backorder. A floor of 0
     * on another item changes nothing at all. */
    assert_int_equal(harness_count_events(e, "item.status_changed", "B"), status_events);
    /* The WEB floor back up to 4 does not take allocations back (rule 2): WEB has 1. */
    assert_int_equal(item_rule(e, "WEB", "B",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_FLOOR, .floor = 4}),
                     OMS_OK);
    assert_int_equal(harness_get_line(e, "M1", 1).allocated, 3);
    assert_int_equal(available(e, "WEB", "B"), 1);
    /* Stock arrives and MKT's status follows its share: a buffer rule takes it away again. */
    harness_set_stock(e, "B", "WH1", 10);
    assert_int_equal(available(e, "MKT", "B"), 3); /* 7 free, 4 protected. */
    assert_int_equal(status(e, "MKT", "B"), OMS_AVAIL_IN_STOCK);
    status_events = harness_count_events(e, "item.status_changed", "B");
    assert_int_equal(item_rule(e, "MKT", "B",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_BUFFER, .buffer = 3}),
                     OMS_OK);
    assert_int_equal(status(e, "MKT", "B"), OMS_AVAIL_BACKORDER);
    assert_int_equal(harness_count_events(e, "item.status_changed", "B"), status_events + 1);
    finish(e, path);
}

static void test_channels__a_cap_counts_a_period_of_the_engine_clock(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = world(path, sizeof path, "ch_cap");
    harness_channel(e, "WEB", WH1, 1, 0, true, 10);
    harness_channel(e, "MKT", WH1, 1, 0, true, 10);
    harness_set_stock(e, "B", "WH1", 4);
    assert_int_equal(item_rule(e, "MKT", "B",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_CAP,
                                                             .cap_qty = 5,
                                                             .cap_period = OMS_PERIOD_DAY}),
                     OMS_OK);
    assert_int_equal(available(e, "MKT", "B"), 4);
    assert_int_equal(order1(e, "M1", "MKT", "B", 3), OMS_OK);
    /* 1 in stock and 1 on backorder are all the cap leaves; the rest is refused. */
    assert_int_equal(order1(e, "M2", "MKT", "B", 4), OMS_OK);
    struct harness_line m2 = harness_get_line(e, "M2", 1);
    assert_int_equal(m2.allocated, 1);
    assert_int_equal(m2.backordered, 1);
    assert_int_equal(m2.rejected, 2);
    assert_int_equal(m2.reason, OMS_REJECT_CHANNEL_CAP);
    assert_int_equal(status(e, "MKT", "B"), OMS_AVAIL_OUT_OF_STOCK);
    assert_int_equal(status(e, "WEB", "B"), OMS_AVAIL_BACKORDER); /* WEB is not capped. */
    /* A cancellation today gives its units back (2 of the cap; 1 unit of stock is left once
     * M2's backorder took the other). */
    assert_int_equal(harness_cancel_line(e, "M1", 1, 2, NULL), OMS_OK);
    assert_int_equal(harness_get_line(e, "M2", 1).allocated, 2);
    assert_int_equal(available(e, "MKT", "B"), 1);
    assert_int_equal(status(e, "MKT", "B"), OMS_AVAIL_IN_STOCK);
    /* Reopening counts the day's orders again: the same figure (harness_digest). */
    harness_reopen(&e, path);
    assert_int_equal(available(e, "MKT", "B"), 1);
    /* The next local day starts afresh; yesterday's cancellations give nothing back. */
    assert_int_equal(harness_tick(e, "2030-01-02T00:30:00Z"), OMS_OK);
    assert_int_equal(order1(e, "M3", "MKT", "B", 5), OMS_OK);
    assert_int_equal(harness_get_line(e, "M3", 1).rejected, 0);
    assert_int_equal(harness_cancel_line(e, "M2", 1, 1, NULL), OMS_OK);
    assert_int_equal(order1(e, "M4", "MKT", "B", 1), OMS_OK);
    assert_int_equal(harness_get_line(e, "M4", 1).reason, OMS_REJECT_CHANNEL_CAP);
    /* A weekly cap counts the ISO week (from Monday 2029-12-31): M1 1 + M2 1 + M3 5 = 7. */
    assert_int_equal(item_rule(e, "MKT", "B",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_CAP,
                                                             .cap_qty = 10,
                                                             .cap_period = OMS_PERIOD_WEEK}),
                     OMS_OK);
    assert_int_equal(order1(e, "M5", "MKT", "B", 5), OMS_OK);
    struct harness_line m5 = harness_get_line(e, "M5", 1);
    assert_int_equal(m5.rejected, 2);
    assert_int_equal(m5.reason, OMS_REJECT_CHANNEL_CAP);
    assert_int_equal(harness_tick(e, "2030-01-07T00:30:00Z"), OMS_OK); /* Next Monday. */
    assert_int_equal(order1(e, "M6", "MKT", "B", 10), OMS_OK);
    assert_int_equal(harness_get_line(e, "M6", 1).rejected, 0);
    harness_assert_consistent(e);
    finish(e, path);
}

static void test_channels__a_hold_is_bounded_like_an_allocation(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = world(path, sizeof path, "ch_hold");
    harness_channel(e, "WEB", WH1, 1, 0, true, 10);
    harness_channel(e, "MKT", WH1, 1, 0, true, 10);
    harness_set_stock(e, "A", "WH1", 10);
    assert_int_equal(item_rule(e, "WEB", "A",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_FLOOR, .floor = 6}),
                     OMS_OK);
    assert_int_equal(item_rule(e, "MKT", "A",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_CAP,
                                                             .cap_qty = 3,
                                                             .cap_period = OMS_PERIOD_DAY}),
                     OMS_OK);
    /* MKT's cart asks for 5: the cap leaves 3 (the floor would leave 4). */
    struct oms_cmd_hold_line lines[] = {{"A", 5}};
    struct oms_command cmd = {.kind = OMS_CMD_HOLD_CREATE};
    cmd.u.hold = (struct oms_cmd_hold){.id = "H1", .channel = "MKT", .region = "UK",
                                       .lines = lines, .lines_count = 1,
                                       .expires_ms = harness_ms("2030-01-01T09:30:00Z")};
    assert_int_equal(harness_run(e, &cmd), OMS_OK);
    assert_int_equal(harness_get_level(e, "A", "WH1").reserved, 3);
    /* Without the cap, the floor bounds a second cart: 10 - 3 held - 6 protected = 1. */
    assert_int_equal(item_rule(e, "MKT", "A", (struct oms_cmd_channel_item){.cleared = OMS_RULE_CAP}),
                     OMS_OK);
    cmd = (struct oms_command){.kind = OMS_CMD_HOLD_CREATE};
    cmd.u.hold = (struct oms_cmd_hold){.id = "H2", .channel = "MKT", .region = "UK",
                                       .lines = lines, .lines_count = 1,
                                       .expires_ms = harness_ms("2030-01-01T09:30:00Z")};
    assert_int_equal(harness_run(e, &cmd), OMS_OK);
    assert_int_equal(harness_get_level(e, "A", "WH1").reserved, 4);
    assert_int_equal(available(e, "WEB", "A"), 6);
    finish(e, path);
}

/* A hostile tester's report (HIGH): a cap was oversold through holds. An order that takes
 * every unit of its line from its hold planned nothing else, so the placement counted none of
 * them, while the cancellation took them back and the recount after a restart counted them
 * (decision 24: the order that consumes a hold counts all its accepted units). One definition
 * of the units a line counts (oms_line_accepted) now serves placement, cancellation and the
 * recount. */
static void test_channels__an_order_from_a_hold_counts_against_the_cap(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = world(path, sizeof path, "ch_cap_hold");
    harness_channel(e, "MKT", BOTH, 2, 0, true, 10);
    harness_set_stock(e, "A", "WH1", 100);
    assert_int_equal(item_rule(e, "MKT", "A",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_CAP,
                                                             .cap_qty = 2,
                                                             .cap_period = OMS_PERIOD_DAY}),
                     OMS_OK);
    struct oms_cmd_hold_line hold_lines[] = {{"A", 2}};
    struct oms_command cmd = {.kind = OMS_CMD_HOLD_CREATE};
    cmd.u.hold = (struct oms_cmd_hold){.id = "capy-h", .channel = "MKT", .region = "UK",
                                       .lines = hold_lines, .lines_count = 1,
                                       .expires_ms = harness_ms("2030-01-01T10:00:00Z")};
    assert_int_equal(harness_run(e, &cmd), OMS_OK);
    assert_int_equal(harness_get_level(e, "A", "WH1").reserved, 2);
    struct oms_cmd_line lines[] = {{.sku = "A", .qty = 2}};
    struct harness_order_spec spec = {.id = "capy-1", .channel = "MKT", .region = "UK",
                                      .lines = lines, .lines_count = 1, .hold = "capy-h"};
    assert_int_equal(harness_order_spec(e, &spec, NULL), OMS_OK);
    assert_int_equal(harness_get_line(e, "capy-1", 1).allocated, 2);
    /* The cap is spent: nothing is left to sell, and a second order is refused. */
    assert_int_equal(available(e, "MKT", "A"), 0);
    assert_int_equal(order1(e, "capy-2", "MKT", "A", 2), OMS_OK);
    struct harness_line two = harness_get_line(e, "capy-2", 1);
    assert_int_equal(two.allocated, 0);
    assert_int_equal(two.rejected, 2);
    assert_int_equal(two.reason, OMS_REJECT_CHANNEL_CAP);
    /* The live counter equals the recount (harness_reopen compares digests with the counters). */
    harness_reopen(&e, path);
    assert_int_equal(available(e, "MKT", "A"), 0);
    /* The cancellation gives back exactly what the placement counted: 2, once. */
    assert_int_equal(harness_cancel_all(e, "capy-1"), OMS_OK);
    assert_int_equal(available(e, "MKT", "A"), 2);
    assert_int_equal(order1(e, "capy-3", "MKT", "A", 3), OMS_OK);
    struct harness_line three = harness_get_line(e, "capy-3", 1);
    assert_int_equal(three.allocated, 2);
    assert_int_equal(three.rejected, 1);
    assert_int_equal(three.reason, OMS_REJECT_CHANNEL_CAP);
    harness_reopen(&e, path);
    assert_int_equal(available(e, "MKT", "A"), 0);

    /* Part from the hold, the rest planned: the hold's units count before the rest is planned,
     * so the rest sees the cap left after them (cap 5: 2 from the hold + 3, not 2 + 5). */
    assert_int_equal(harness_tick(e, "2030-01-02T09:00:00Z"), OMS_OK);
    assert_int_equal(item_rule(e, "MKT", "A",
                               (struct oms_cmd_channel_item){.fields = OMS_RULE_CAP,
                                                             .cap_qty = 5,
                                                             .cap_period = OMS_PERIOD_DAY}),
                     OMS_OK);
    cmd = (struct oms_command){.kind = OMS_CMD_HOLD_CREATE};
    cmd.u.hold = (struct oms_cmd_hold){.id = "capy-h2", .channel = "MKT", .region = "UK",
                                       .lines = hold_lines, .lines_count = 1,
                                       .expires_ms = harness_ms("2030-01-02T10:00:00Z")};
    assert_int_equal(harness_run(e, &cmd), OMS_OK);
    struct oms_cmd_line seven[] = {{.sku = "A", .qty = 7}};
    spec = (struct harness_order_spec){.id = "capy-4", .channel = "MKT", .region = "UK",
                                       .lines = seven, .lines_count = 1, .hold = "capy-h2"};
    assert_int_equal(harness_order_spec(e, &spec, NULL), OMS_OK);
    struct harness_line four = harness_get_line(e, "capy-4", 1);
    assert_int_equal(four.allocated, 5);
    assert_int_equal(four.rejected, 2);
    assert_int_equal(four.reason, OMS_REJECT_CHANNEL_CAP);
    assert_int_equal(available(e, "MKT", "A"), 0);
    harness_assert_consistent(e);
    finish(e, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channels__b35_a_percent_buffer_is_rounded_down),
        cmocka_unit_test(test_channels__b33_a_store_excluded_neither_ships_nor_counts),
        cmocka_unit_test(test_channels__other_channels_never_eat_into_a_floor_and_its_owner_sells_it),
        cmocka_unit_test(test_channels__a_floor_change_re_runs_the_queue_and_tells_the_statuses),
        cmocka_unit_test(test_channels__a_cap_counts_a_period_of_the_engine_clock),
        cmocka_unit_test(test_channels__an_order_from_a_hold_counts_against_the_cap),
        cmocka_unit_test(test_channels__a_hold_is_bounded_like_an_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
