/*
 * harness.c - see harness.h.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/calendar.h"
#include "engine/clock.h"
#include "harness.h"

void harness_db_path(char *out, size_t cap, const char *name)
{
    const char *dir = getenv("OMS_TEST_TMP");
    snprintf(out, cap, "%s/%s-%d.db", dir ? dir : "/tmp", name, (int)getpid());
    const char *suffixes[] = {"", "-wal", "-shm", ".lock"};
    for (size_t i = 0; i < 4; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s%s", out, suffixes[i]);
        unlink(path);
    }
}

struct oms_engine *harness_open(const char *path)
{
    struct oms_engine_options options = {.db_path = path, .exclusive = true};
    struct oms_engine *engine = NULL;
    assert_int_equal(oms_engine_open(&options, &engine), OMS_OK);
    return engine;
}

struct inspect {
    void (*fn)(const struct oms_state *, void *);
    void *ctx;
};

static char *run_inspect(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    /* The inspect request rides in a string field of the command: READ has no payload. */
    struct inspect *in = (struct inspect *)(uintptr_t)cmd->u.item.name;
    in->fn(state, in->ctx);
    *len = 0;
    return NULL;
}

void harness_inspect(struct oms_engine *engine, void (*fn)(const struct oms_state *, void *),
                     void *ctx)
{
    struct inspect in = {fn, ctx};
    struct oms_command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = OMS_CMD_READ;
    cmd.u.item.name = (const char *)(uintptr_t)&in;
    cmd.encode = run_inspect;
    assert_int_equal(oms_engine_execute(engine, &cmd), OMS_OK);
    oms_command_release(&cmd);
}

static void check(const struct oms_state *state, void *ctx)
{
    char *why = ctx;
    if (!oms_state_check(state, why, 256)) return;
    why[0] = '\0';
}

void harness_assert_consistent(struct oms_engine *engine)
{
    char why[256] = "not run";
    harness_inspect(engine, check, why);
    if (why[0]) fail_msg("state is inconsistent: %s", why);
}

static enum oms_err run(struct oms_engine *e, struct oms_command *cmd)
{
    enum oms_err err = oms_engine_execute(e, cmd);
    oms_command_release(cmd);
    return err;
}

void harness_location(struct oms_engine *e, const char *code, const char *region, int32_t priority,
                      int32_t handling_days)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_LOCATION};
    cmd.u.location = (struct oms_cmd_location){
        .code = code,
        .fields = OMS_F_REGION | OMS_F_PRIORITY | OMS_F_HANDLING,
        .region = region,
        .priority = priority,
        .handling_days = handling_days,
    };
    assert_int_equal(run(e, &cmd), OMS_OK);
}

void harness_channel(struct oms_engine *e, const char *code, const char *const *locations,
                     uint32_t count, oms_qty buffer, bool allow_backorder, int32_t priority)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_CHANNEL};
    cmd.u.channel = (struct oms_cmd_channel){
        .code = code,
        .fields = OMS_F_LOCATIONS | OMS_F_BUFFER | OMS_F_ALLOW_BACKORDER | OMS_F_PRIORITY,
        .locations = locations,
        .locations_count = count,
        .buffer = buffer,
        .allow_backorder = allow_backorder,
        .priority = priority,
    };
    assert_int_equal(run(e, &cmd), OMS_OK);
}

void harness_item(struct oms_engine *e, const char *sku, enum oms_policy policy,
                  oms_qty backorder_limit, int32_t lead_time_days, bool allow_split)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_ITEM};
    cmd.u.item = (struct oms_cmd_item){
        .sku = sku,
        .fields = OMS_F_POLICY | OMS_F_BACKORDER_LIMIT | OMS_F_LEAD_TIME | OMS_F_ALLOW_SPLIT,
        .policy = policy,
        .backorder_limit = backorder_limit,
        .lead_time_days = lead_time_days,
        .allow_split = allow_split,
    };
    assert_int_equal(run(e, &cmd), OMS_OK);
}

void harness_set_stock(struct oms_engine *e, const char *sku, const char *location, oms_qty on_hand)
{
    struct oms_command cmd = {.kind = OMS_CMD_ADJUST};
    cmd.u.adjust = (struct oms_cmd_adjust){
        .sku = sku, .location = location, .is_set = true, .set = on_hand, .as_of_ms = INT64_MAX};
    assert_int_equal(run(e, &cmd), OMS_OK);
}

void harness_supply(struct oms_engine *e, const char *id, const char *sku, const char *location,
                    oms_qty qty, const char *expected_date)
{
    struct oms_command cmd = {.kind = OMS_CMD_SUPPLY_CREATE};
    oms_day day;
    assert_true(oms_day_parse(expected_date, &day));
    cmd.u.supply = (struct oms_cmd_supply){id, sku, location, qty, day};
    assert_int_equal(run(e, &cmd), OMS_OK);
}

enum oms_err harness_receive(struct oms_engine *e, const char *id, oms_qty qty)
{
    struct oms_command cmd = {.kind = OMS_CMD_SUPPLY_RECEIVE};
    cmd.u.receive.id = id;
    cmd.u.receive.qty = qty;
    return run(e, &cmd);
}

enum oms_err harness_order(struct oms_engine *e, const char *id, const char *channel,
                           const char *region, const char *at, const char *const *skus,
                           const oms_qty *qtys, uint32_t count)
{
    struct oms_cmd_line lines[16];
    assert_true(count <= 16);
    for (uint32_t i = 0; i < count; i++) {
        lines[i] = (struct oms_cmd_line){.sku = skus[i], .qty = qtys[i], .price_minor = -1};
    }
    struct oms_command cmd = {.kind = OMS_CMD_ORDER_PLACE};
    if (at) assert_true(oms_rfc3339_parse(at, &cmd.at_ms));
    snprintf(cmd.fingerprint, sizeof cmd.fingerprint, "%s", id);
    cmd.u.order = (struct oms_cmd_order){
        .id = id, .channel = channel, .region = region, .lines = lines, .lines_count = count};
    return run(e, &cmd);
}

enum oms_err harness_cancel_all(struct oms_engine *e, const char *id)
{
    struct oms_command cmd = {.kind = OMS_CMD_ORDER_CANCEL};
    cmd.u.cancel.id = id;
    return run(e, &cmd);
}

enum oms_err harness_ship(struct oms_engine *e, const char *id, const char *location,
                          uint32_t line_no, oms_qty qty)
{
    struct oms_cmd_qty_line line = {line_no, qty};
    struct oms_command cmd = {.kind = OMS_CMD_ORDER_SHIP};
    cmd.u.ship = (struct oms_cmd_ship){.id = id, .location = location, .lines = &line, .lines_count = 1};
    return run(e, &cmd);
}

struct line_query {
    const char *order;
    uint32_t line_no;
    struct harness_line out;
    bool found;
};

static void get_line(const struct oms_state *state, void *ctx)
{
    struct line_query *q = ctx;
    uint32_t order = oms_state_order(state, q->order);
    if (order == OMS_NONE || q->line_no < 1 || q->line_no > state->orders[order].lines_count) return;
    const struct oms_line *line = &state->lines[state->orders[order].first_line + q->line_no - 1];
    q->found = true;
    q->out.allocated = oms_line_allocated(line);
    q->out.backordered = oms_line_backordered(line);
    q->out.shipped = line->shipped;
    q->out.cancelled = line->cancelled;
    q->out.rejected = line->rejected;
    q->out.reason = line->reason;
    q->out.promise_day = line->promise_day;
    q->out.first_supply[0] = '\0';
    if (line->pegs_count > 0 && line->pegs[0].supply != OMS_NONE) {
        snprintf(q->out.first_supply, sizeof q->out.first_supply, "%s",
                 state->supplies[line->pegs[0].supply].id);
    }
}

struct harness_line harness_get_line(struct oms_engine *e, const char *order, uint32_t line_no)
{
    struct line_query q = {.order = order, .line_no = line_no};
    harness_inspect(e, get_line, &q);
    if (!q.found) fail_msg("no line %u in order '%s'", line_no, order);
    return q.out;
}

struct level_query {
    const char *sku, *location;
    struct oms_stock_level out;
    bool found;
};

static void get_level(const struct oms_state *state, void *ctx)
{
    struct level_query *q = ctx;
    uint32_t item = oms_state_item(state, q->sku), location = oms_state_location(state, q->location);
    if (item == OMS_NONE || location == OMS_NONE) return;
    q->found = true;
    q->out = state->items[item].levels[location];
}

struct oms_stock_level harness_get_level(struct oms_engine *e, const char *sku,
                                         const char *location)
{
    struct level_query q = {.sku = sku, .location = location};
    harness_inspect(e, get_level, &q);
    if (!q.found) fail_msg("no level of '%s' at '%s'", sku, location);
    return q.out;
}
