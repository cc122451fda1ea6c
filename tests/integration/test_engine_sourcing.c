/*
 * test_engine_sourcing.c - sourcing through the whole engine on a real SQLite file (issue 4):
 * the region distance table, fewest shipments then the nearest location, the reason every
 * allocation keeps for its location (also after a restart), click-and-collect at one location,
 * and the field scenarios B30 and B32 in their sourcing form. Every test checks the model's
 * invariants, reopens the file and checks that the model reloaded equals the one before
 * (harness_reopen: distances, reasons and collect locations included).
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"
#include "store/sqlite_schema.h"
#include "store/store.h"

static void finish(struct oms_engine *e, const char *path)
{
    harness_reopen(&e, path);
    oms_engine_close(e);
    harness_set_clock(0);
}

static struct oms_engine *start(char *path, size_t cap, const char *name)
{
    harness_set_clock(harness_ms("2026-07-01T09:00:00Z"));
    harness_db_path(path, cap, name);
    return harness_open(path);
}

/* PUT /v1/regions/{code} with the given pairs; returns the engine error. */
static enum oms_err put_region(struct oms_engine *e, const char *code,
                               const struct oms_cmd_distance *pairs, uint32_t count)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_REGION};
    cmd.u.region = (struct oms_cmd_region){.code = code, .distances = pairs,
                                           .distances_count = count};
    return harness_run(e, &cmd);
}

/* Florida's distances to the warehouse states of B30: AL 700, NC 900, NY 1800, CA 4000. */
static void florida_table(struct oms_engine *e)
{
    assert_int_equal(put_region(e, "FL", NULL, 0), OMS_OK);
    static const char *const states[] = {"AL", "NC", "NY", "CA"};
    static const int32_t miles[] = {700, 900, 1800, 4000};
    for (int i = 0; i < 4; i++) {
        struct oms_cmd_distance pair = {"FL", miles[i]};
        assert_int_equal(put_region(e, states[i], &pair, 1), OMS_OK);
    }
}

/* An order of `qty` units of A on channel "web", consuming `hold` first when not NULL. */
static enum oms_err order_with(struct oms_engine *e, const char *id, const char *region,
                               const char *collect, const char *hold, oms_qty qty)
{
    struct oms_cmd_line line = {.sku = "A", .qty = qty, .price_minor = -1};
    struct oms_command cmd = {.kind = OMS_CMD_ORDER_PLACE};
    snprintf(cmd.fingerprint, sizeof cmd.fingerprint, "%s", id);
    cmd.u.order = (struct oms_cmd_order){
        .id = id, .channel = "web", .region = region, .collect = collect, .hold = hold,
        .lines = &line, .lines_count = 1};
    return harness_run(e, &cmd);
}

static enum oms_err order_to(struct oms_engine *e, const char *id, const char *region,
                             const char *collect, oms_qty qty)
{
    return order_with(e, id, region, collect, NULL, qty);
}

static enum oms_err hold_in(struct oms_engine *e, const char *id, const char *region, oms_qty qty)
{
    struct oms_cmd_hold_line line = {"A", qty};
    struct oms_command cmd = {.kind = OMS_CMD_HOLD_CREATE};
    snprintf(cmd.fingerprint, sizeof cmd.fingerprint, "%s", id);
    cmd.u.hold = (struct oms_cmd_hold){.id = id, .channel = "web", .region = region,
                                       .lines = &line, .lines_count = 1,
                                       .expires_ms = harness_ms("2026-07-01T10:00:00Z")};
    return harness_run(e, &cmd);
}

/* A line's allocations as "LOC:qty:reason ..." in line order, read on the writer thread. */
struct allocs_query {
    const char *order;
    char text[512];
};

static void read_allocs(const struct oms_state *state, void *ctx)
{
    struct allocs_query *q = ctx;
    q->text[0] = '\0';
    uint32_t order = oms_state_order(state, q->order);
    assert_true(order != OMS_NONE);
    const struct oms_line *line = &state->lines[state->orders[order].first_line];
    size_t used = 0;
    for (uint32_t i = 0; i < line->allocs_count; i++) {
        const char *why = oms_source_reason_name(line->allocs[i].reason);
        used += (size_t)snprintf(q->text + used, sizeof q->text - used, "%s%s:%lld:%s",
                                 i ? " " : "", state->locations[line->allocs[i].location].code,
                                 (long long)line->allocs[i].qty, why ? why : "null");
    }
}

static void assert_allocs(struct oms_engine *e, const char *order, const char *want)
{
    struct allocs_query q = {.order = order};
    harness_inspect(e, read_allocs, &q);
    assert_string_equal(q.text, want);
}

static void assert_level(struct oms_engine *e, const char *location, oms_qty on_hand,
                         oms_qty allocated)
{
    struct oms_stock_level level = harness_get_level(e, "A", location);
    assert_int_equal(level.on_hand, on_hand);
    assert_int_equal(level.allocated, allocated);
}

/* B30's warehouses AL > CA > NY > NC by rank, one channel over them, item A that splits. */
static void b30_world(struct oms_engine *e)
{
    static const char *const ranked[] = {"AL", "CA", "NY", "NC"};
    for (int i = 0; i < 4; i++) harness_location(e, ranked[i], ranked[i], i + 1, 0);
    harness_channel(e, "web", ranked, 4, 0, true, 10);
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    harness_set_stock(e, "A", "AL", 2);
    harness_set_stock(e, "A", "CA", 2);
    harness_set_stock(e, "A", "NY", 2);
}

static void test_sourcing__b30_without_distances_the_split_follows_rank(void **state)
{
    (void)state;
    /* B30: no location fills 5; "minimise splits, then rank": AL 2, CA 2, NY 1, NC untouched,
     * every location >= 0 (the wrong answer routes all 5 to AL). */
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_b30");
    b30_world(e);
    assert_int_equal(order_to(e, "O1", "FL", NULL, 5), OMS_OK);
    assert_allocs(e, "O1", "AL:2:split CA:2:split NY:1:split");
    assert_level(e, "AL", 2, 2);
    assert_level(e, "CA", 2, 2);
    assert_level(e, "NY", 2, 1);
    assert_level(e, "NC", 0, 0);
    finish(e, path);
}

static void test_sourcing__b30_with_distances_the_split_takes_the_nearest(void **state)
{
    (void)state;
    /* The same world with Florida's distances: still three locations (no two hold 5), now
     * nearest first: AL (700), NY (1800), CA (4000); NC (900) is empty and untouched. */
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_b30_distances");
    b30_world(e);
    florida_table(e);
    assert_int_equal(order_to(e, "O1", "FL", NULL, 5), OMS_OK);
    assert_allocs(e, "O1", "AL:2:split NY:2:split CA:1:split");
    assert_level(e, "AL", 2, 2);
    assert_level(e, "NY", 2, 2);
    assert_level(e, "CA", 2, 1);
    assert_level(e, "NC", 0, 0);
    finish(e, path);
}

static void test_sourcing__the_nearest_location_that_fills_the_line_is_chosen(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_nearest");
    b30_world(e);
    harness_set_stock(e, "A", "CA", 10); /* Rank 2, farthest. */
    harness_set_stock(e, "A", "NY", 10); /* Rank 3, nearer. */
    florida_table(e);
    assert_int_equal(order_to(e, "O1", "FL", NULL, 4), OMS_OK);
    assert_allocs(e, "O1", "NY:4:nearest_region");
    /* Fewest shipments before distance: 9 units, only CA holds 10 after NY gave 4. */
    assert_int_equal(order_to(e, "O2", "FL", NULL, 9), OMS_OK);
    assert_allocs(e, "O2", "CA:9:only_location");
    /* No distances for Texas: every location is as far; rank (priority) decides. */
    assert_int_equal(order_to(e, "O3", "TX", NULL, 1), OMS_OK);
    assert_allocs(e, "O3", "AL:1:priority");
    finish(e, path);
}

static void test_sourcing__b32_cancelling_a_split_releases_both_locations_exactly(void **state)
{
    (void)state;
    /* B32: WH1 3 + WH2 2 for 5 units; the cancellation releases both, on_hand unchanged
     * (the wrong answer adds 2 to WH2's on_hand and leaves its allocation). */
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_b32");
    static const char *const both[] = {"WH1", "WH2"};
    harness_location(e, "WH1", "UK", 1, 0);
    harness_location(e, "WH2", "UK", 2, 0);
    harness_channel(e, "web", both, 2, 0, true, 10);
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    harness_set_stock(e, "A", "WH1", 3);
    harness_set_stock(e, "A", "WH2", 2);
    assert_int_equal(order_to(e, "O1", "UK", NULL, 5), OMS_OK);
    assert_allocs(e, "O1", "WH1:3:split WH2:2:split");
    assert_int_equal(harness_cancel_all(e, "O1"), OMS_OK);
    assert_level(e, "WH1", 3, 0);
    assert_level(e, "WH2", 2, 0);
    assert_allocs(e, "O1", "");
    assert_int_equal(harness_get_line(e, "O1", 1).cancelled, 5);
    assert_int_equal(harness_cancel_all(e, "O1"), OMS_OK); /* Again: nothing more moves. */
    assert_level(e, "WH1", 3, 0);
    assert_level(e, "WH2", 2, 0);
    finish(e, path);
}

static void test_sourcing__a_receipt_allocates_where_it_arrived_and_says_so(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_receipt");
    b30_world(e);
    harness_item(e, "A", OMS_POLICY_BACKORDER, -1, -1, true);
    florida_table(e);
    harness_set_stock(e, "A", "AL", 0);
    harness_set_stock(e, "A", "CA", 0);
    harness_set_stock(e, "A", "NY", 0);
    harness_supply(e, "PO1", "A", "CA", 3, "2026-07-05");
    assert_int_equal(order_to(e, "O1", "FL", NULL, 3), OMS_OK);
    assert_allocs(e, "O1", "");
    assert_int_equal(harness_receive(e, "PO1", 3), OMS_OK);
    assert_allocs(e, "O1", "CA:3:receipt");
    finish(e, path);
}

static void test_sourcing__availability_for_a_region_promises_what_an_order_would_get(
    void **state)
{
    (void)state;
    /* The read index has the distance table too: asked for Florida, the promise is the one of
     * the nearest location (AL, 3 handling days), as the order placed next gets; without a
     * region, priority picks CA (same day). */
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_availability");
    static const char *const both[] = {"AL", "CA"};
    harness_location(e, "AL", "AL", 2, 3);
    harness_location(e, "CA", "CA", 1, 0);
    harness_channel(e, "web", both, 2, 0, true, 10);
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    harness_set_stock(e, "A", "AL", 10);
    harness_set_stock(e, "A", "CA", 10);
    florida_table(e);
    struct oms_availability near, anywhere;
    assert_int_equal(oms_engine_availability(e, "web", "A", 2, "FL", &near), OMS_OK);
    assert_int_equal(oms_engine_availability(e, "web", "A", 2, NULL, &anywhere), OMS_OK);
    assert_true(near.promise_day > anywhere.promise_day);
    assert_int_equal(order_to(e, "O1", "FL", NULL, 2), OMS_OK);
    assert_allocs(e, "O1", "AL:2:nearest_region");
    assert_int_equal(harness_get_line(e, "O1", 1).promise_day, near.promise_day);
    finish(e, path);
}

static void test_sourcing__a_cancelled_shipment_comes_back_as_shipment_cancelled(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_unship");
    b30_world(e);
    assert_int_equal(order_to(e, "O1", "FL", NULL, 2), OMS_OK);
    assert_allocs(e, "O1", "AL:2:priority");
    assert_int_equal(harness_ship(e, "O1", "AL", 1, 2), OMS_OK);
    assert_allocs(e, "O1", "");
    struct oms_cmd_qty_line back = {1, 2};
    struct oms_command cmd = {.kind = OMS_CMD_ORDER_UNSHIP};
    cmd.u.ship = (struct oms_cmd_ship){.id = "O1", .location = "AL", .lines = &back,
                                       .lines_count = 1};
    assert_int_equal(harness_run(e, &cmd), OMS_OK);
    assert_allocs(e, "O1", "AL:2:shipment_cancelled");
    finish(e, path);
}

/* A warehouse and a Florida store, both listed by the channel "web". */
static void store_world(struct oms_engine *e)
{
    static const char *const listed[] = {"WH", "STORE"};
    harness_location(e, "WH", "GA", 1, 0);
    harness_location(e, "STORE", "FL", 9, 0);
    harness_location(e, "OTHER", "FL", 9, 0);
    harness_channel(e, "web", listed, 2, 0, true, 10);
    harness_item(e, "A", OMS_POLICY_BACKORDER, -1, 5, true);
    harness_set_stock(e, "A", "WH", 20);
    harness_set_stock(e, "A", "STORE", 2);
    harness_set_stock(e, "A", "OTHER", 20);
}

static void test_sourcing__click_and_collect_takes_only_its_location(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_collect");
    store_world(e);
    assert_int_equal(order_to(e, "C1", "FL", "STORE", 3), OMS_OK);
    assert_allocs(e, "C1", "STORE:2:collect");
    struct harness_line line = harness_get_line(e, "C1", 1);
    assert_int_equal(line.backordered, 1); /* On the lead time, not the warehouse's stock. */
    assert_level(e, "WH", 20, 0);
    /* Availability for collecting there: the store's own stock, now none. */
    struct oms_availability a;
    assert_int_equal(oms_engine_availability_collect(e, "web", "A", 1, "FL", "STORE", &a), OMS_OK);
    assert_int_equal(a.available, 0);
    assert_int_equal(a.status, OMS_AVAIL_BACKORDER);
    assert_int_equal(a.locations_count, 1);
    assert_int_equal(oms_engine_availability(e, "web", "A", 1, "FL", &a), OMS_OK);
    assert_int_equal(a.available, 20);
    /* A receipt at the warehouse does not serve the collect line; stock at the store does. */
    harness_supply(e, "PO1", "A", "WH", 5, "2026-07-02");
    assert_int_equal(harness_receive(e, "PO1", 5), OMS_OK);
    assert_int_equal(harness_get_line(e, "C1", 1).backordered, 1);
    assert_int_equal(harness_adjust(e, "A", "STORE", 1), OMS_OK);
    assert_allocs(e, "C1", "STORE:2:collect STORE:1:collect");
    finish(e, path);
}

static void test_sourcing__held_units_say_hold_and_collect_takes_only_those_at_its_location(
    void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_hold");
    store_world(e);
    /* A cart in Florida holds the store's 2 (nearest: distance 0 within the region). */
    assert_int_equal(hold_in(e, "H1", "FL", 2), OMS_OK);
    assert_level(e, "STORE", 2, 0);
    assert_int_equal(order_with(e, "C1", "FL", "STORE", "H1", 3), OMS_OK);
    assert_allocs(e, "C1", "STORE:2:hold");
    assert_int_equal(harness_get_line(e, "C1", 1).backordered, 1);
    /* The next cart can only be held at the warehouse: collecting at the store takes none of
     * it (it would have to travel); the hold ends and its units go back. */
    assert_int_equal(hold_in(e, "H2", "FL", 3), OMS_OK);
    assert_int_equal(order_with(e, "C2", "FL", "STORE", "H2", 3), OMS_OK);
    assert_allocs(e, "C2", "");
    assert_int_equal(harness_get_line(e, "C2", 1).backordered, 3);
    struct oms_stock_level wh = harness_get_level(e, "A", "WH");
    assert_int_equal(wh.reserved, 0);
    assert_int_equal(wh.allocated, 0);
    /* Shipped orders consume their hold wherever it is. */
    assert_int_equal(hold_in(e, "H3", "FL", 3), OMS_OK);
    assert_int_equal(order_with(e, "O3", "FL", NULL, "H3", 3), OMS_OK);
    assert_allocs(e, "O3", "WH:3:hold");
    finish(e, path);
}

static void test_sourcing__collect_at_a_store_the_channel_does_not_ship_from(void **state)
{
    (void)state;
    /* The channel lists the store but excludes stores from shipping (decision 24): shipped
     * orders never take the store's stock, collecting there does (decision 27). */
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_collect_excluded");
    store_world(e);
    struct oms_command cmd = {.kind = OMS_CMD_PUT_LOCATION};
    cmd.u.location = (struct oms_cmd_location){
        .code = "STORE", .fields = OMS_F_KIND, .kind = OMS_LOCATION_STORE};
    assert_int_equal(harness_run(e, &cmd), OMS_OK);
    struct oms_command rules = {.kind = OMS_CMD_PUT_CHANNEL};
    rules.u.channel = (struct oms_cmd_channel){
        .code = "web", .fields = OMS_F_EXCLUDE_STORES, .exclude_stores = true};
    assert_int_equal(harness_run(e, &rules), OMS_OK);
    harness_set_stock(e, "A", "WH", 1);
    /* Shipped to Florida: the store (distance 0) is not a shipping location; WH gives its 1. */
    assert_int_equal(order_to(e, "O1", "FL", NULL, 2), OMS_OK);
    assert_allocs(e, "O1", "WH:1:partial");
    assert_level(e, "STORE", 2, 0);
    struct oms_availability a;
    assert_int_equal(oms_engine_availability(e, "web", "A", 1, "FL", &a), OMS_OK);
    assert_int_equal(a.available, 0);
    /* Collected at the store: allowed, and it takes the store's units. */
    assert_int_equal(oms_engine_availability_collect(e, "web", "A", 1, "FL", "STORE", &a), OMS_OK);
    assert_int_equal(a.available, 2);
    assert_int_equal(a.status, OMS_AVAIL_IN_STOCK);
    assert_int_equal(order_to(e, "C1", "FL", "STORE", 2), OMS_OK);
    assert_allocs(e, "C1", "STORE:2:collect");
    assert_level(e, "STORE", 2, 2);
    finish(e, path);
}

static void test_sourcing__collect_elsewhere_than_the_channel_is_refused(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_collect_refused");
    store_world(e);
    uint64_t before = harness_digest(e);
    assert_int_equal(order_to(e, "C1", "FL", "OTHER", 1), OMS_EINVAL); /* Not web's. */
    assert_int_equal(order_to(e, "C2", "FL", "NOPE", 1), OMS_EINVAL);  /* No such location. */
    assert_true(harness_digest(e) == before);
    struct oms_availability a;
    assert_int_equal(oms_engine_availability_collect(e, "web", "A", 1, NULL, "OTHER", &a),
                     OMS_EINVAL);
    finish(e, path);
}

static void test_sourcing__distances_name_known_regions_and_refusals_change_nothing(
    void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_regions");
    assert_int_equal(put_region(e, "FL", NULL, 0), OMS_OK);
    uint64_t before = harness_digest(e);
    struct oms_cmd_distance unknown = {"GA", 10};
    assert_int_equal(put_region(e, "AL", &unknown, 1), OMS_EINVAL);
    struct oms_cmd_distance self = {"FL", 3};
    assert_int_equal(put_region(e, "FL", &self, 1), OMS_EINVAL);
    assert_true(harness_digest(e) == before); /* AL was not created either. */
    struct oms_cmd_distance pair = {"FL", 700};
    assert_int_equal(put_region(e, "AL", &pair, 1), OMS_OK);
    struct oms_cmd_distance forget = {"AL", OMS_DISTANCE_UNKNOWN};
    assert_int_equal(put_region(e, "FL", &forget, 1), OMS_OK);
    assert_true(harness_digest(e) != before);
    /* regions_max: the table holds OMS_REGIONS_MAX regions; one more is refused. */
    for (int i = 2; i < OMS_REGIONS_MAX; i++) {
        char code[16];
        snprintf(code, sizeof code, "R%d", i);
        assert_int_equal(put_region(e, code, &pair, 1), OMS_OK);
    }
    before = harness_digest(e);
    assert_int_equal(put_region(e, "ONE-TOO-MANY", NULL, 0), OMS_ELIMIT);
    assert_int_equal(put_region(e, "FL", &pair, 0), OMS_OK); /* Updates still work. */
    assert_true(harness_digest(e) == before);
    finish(e, path);
}

/* Strips the last ":field" of every comma-separated group: the allocation text as it was
 * stored before reasons were kept ("0:3:20635:5,1:2:20635:5" -> "0:3:20635,1:2:20635"). */
static void strip_reasons(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    const char *group = in;
    while (*group) {
        const char *end = strchr(group, ',');
        size_t len = end ? (size_t)(end - group) : strlen(group);
        const char *colon = group + len;
        while (colon > group && *colon != ':') colon--;
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? "," : "", (int)(colon - group),
                              group);
        group = end ? end + 1 : group + len;
    }
    out[n] = '\0';
}

static void test_sourcing__a_database_from_before_reasons_loads_with_null_reasons(void **state)
{
    (void)state;
    char path[512];
    struct oms_engine *e = start(path, sizeof path, "sourcing_migration");
    static const char *const both[] = {"WH1", "WH2"};
    harness_location(e, "WH1", "UK", 1, 0);
    harness_location(e, "WH2", "UK", 2, 0);
    harness_channel(e, "web", both, 2, 0, true, 10);
    harness_item(e, "A", OMS_POLICY_DENY, -1, -1, true);
    harness_set_stock(e, "A", "WH1", 3);
    harness_set_stock(e, "A", "WH2", 2);
    assert_int_equal(order_to(e, "O1", "UK", NULL, 5), OMS_OK);
    oms_engine_close(e);

    /* Take the file back to the schema before sourcing (no region tables, no collect column,
     * allocations without their reason), then run the sourcing migration on it, as an upgrade
     * does (later migrations are not undone: they do not touch what this one does). */
    const char *migration = NULL;
    for (size_t m = 0; m < OMS_ARRAY_LEN(oms_sqlite_migrations); m++) {
        if (strstr(oms_sqlite_migrations[m], "CREATE TABLE regions(")) {
            migration = oms_sqlite_migrations[m];
        }
    }
    assert_non_null(migration);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT idx, allocs FROM lines", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t idx = sqlite3_column_int64(stmt, 0);
    char old[256];
    strip_reasons((const char *)sqlite3_column_text(stmt, 1), old, sizeof old);
    sqlite3_finalize(stmt);
    char sql[512];
    snprintf(sql, sizeof sql,
             "DROP TABLE region_distances; DROP TABLE regions;"
             " ALTER TABLE orders DROP COLUMN collect;"
             " UPDATE lines SET allocs = '%s' WHERE idx = %lld;",
             old, (long long)idx);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_non_null(strchr(old, ',')); /* Two allocations, three fields each. */
    assert_int_equal(sqlite3_exec(db, migration, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    e = harness_open(path); /* Loads and checks the invariants. */
    harness_assert_consistent(e);
    assert_allocs(e, "O1", "WH1:3:null WH2:2:null");
    assert_int_equal(harness_cancel_all(e, "O1"), OMS_OK);
    assert_level(e, "WH1", 3, 0);
    assert_level(e, "WH2", 2, 0);
    finish(e, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sourcing__b30_without_distances_the_split_follows_rank),
        cmocka_unit_test(test_sourcing__b30_with_distances_the_split_takes_the_nearest),
        cmocka_unit_test(test_sourcing__the_nearest_location_that_fills_the_line_is_chosen),
        cmocka_unit_test(test_sourcing__b32_cancelling_a_split_releases_both_locations_exactly),
        cmocka_unit_test(test_sourcing__a_receipt_allocates_where_it_arrived_and_says_so),
        cmocka_unit_test(test_sourcing__a_cancelled_shipment_comes_back_as_shipment_cancelled),
        cmocka_unit_test(
            test_sourcing__availability_for_a_region_promises_what_an_order_would_get),
        cmocka_unit_test(test_sourcing__click_and_collect_takes_only_its_location),
        cmocka_unit_test(
            test_sourcing__held_units_say_hold_and_collect_takes_only_those_at_its_location),
        cmocka_unit_test(test_sourcing__collect_at_a_store_the_channel_does_not_ship_from),
        cmocka_unit_test(test_sourcing__collect_elsewhere_than_the_channel_is_refused),
        cmocka_unit_test(
            test_sourcing__distances_name_known_regions_and_refusals_change_nothing),
        cmocka_unit_test(test_sourcing__a_database_from_before_reasons_loads_with_null_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
