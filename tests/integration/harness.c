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
#include "store/store.h"

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

static int64_t clock_ms; /* harness_set_clock(); 0: commands carry no instant. */

void harness_set_clock(int64_t at_ms) { clock_ms = at_ms; }

int64_t harness_clock(void) { return clock_ms; }

int64_t harness_ms(const char *rfc3339)
{
    int64_t ms = 0;
    if (!oms_rfc3339_parse(rfc3339, &ms)) fail_msg("bad instant '%s'", rfc3339);
    return ms;
}

oms_day harness_day(const char *date)
{
    oms_day day = 0;
    if (!oms_day_parse(date, &day)) fail_msg("bad date '%s'", date);
    return day;
}

static enum oms_err run(struct oms_engine *e, struct oms_command *cmd)
{
    if (cmd->at_ms == 0) cmd->at_ms = clock_ms;
    enum oms_err err = oms_engine_execute(e, cmd);
    oms_command_release(cmd);
    return err;
}

enum oms_err harness_run(struct oms_engine *e, struct oms_command *cmd) { return run(e, cmd); }

void harness_reopen(struct oms_engine **e, const char *path)
{
    harness_assert_consistent(*e);
    uint64_t before = harness_digest(*e);
    oms_engine_close(*e);
    *e = harness_open(path);
    harness_assert_consistent(*e);
    if (harness_digest(*e) != before) fail_msg("the model reloaded from '%s' differs", path);
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
        .sku = sku, .location = location, .is_set = true, .set = on_hand, .as_of_ms = 0};
    assert_int_equal(run(e, &cmd), OMS_OK);
}

void harness_supply(struct oms_engine *e, const char *id, const char *sku, const char *location,
                    oms_qty qty, const char *expected_date)
{
    struct oms_command cmd = {.kind = OMS_CMD_SUPPLY_CREATE};
    oms_day day;
    assert_true(oms_day_parse(expected_date, &day));
    cmd.u.supply = (struct oms_cmd_supply){
        .id = id, .sku = sku, .location = location, .qty = qty, .expected_day = day};
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

void harness_location_days(struct oms_engine *e, const char *code, uint32_t working_mask)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_LOCATION};
    cmd.u.location = (struct oms_cmd_location){
        .code = code, .fields = OMS_F_WORKING_DAYS, .working_mask = working_mask};
    assert_int_equal(run(e, &cmd), OMS_OK);
}

void harness_item_min_qty(struct oms_engine *e, const char *sku, oms_qty min_order_qty)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_ITEM};
    cmd.u.item = (struct oms_cmd_item){
        .sku = sku, .fields = OMS_F_MIN_ORDER_QTY, .min_order_qty = min_order_qty};
    assert_int_equal(run(e, &cmd), OMS_OK);
}

void harness_item_release(struct oms_engine *e, const char *sku, const char *release_date)
{
    struct oms_command cmd = {.kind = OMS_CMD_PUT_ITEM};
    cmd.u.item = (struct oms_cmd_item){
        .sku = sku, .fields = OMS_F_RELEASE_DATE, .release_day = harness_day(release_date)};
    assert_int_equal(run(e, &cmd), OMS_OK);
}

enum oms_err harness_adjust(struct oms_engine *e, const char *sku, const char *location,
                            oms_qty delta)
{
    struct oms_command cmd = {.kind = OMS_CMD_ADJUST};
    cmd.u.adjust = (struct oms_cmd_adjust){.sku = sku, .location = location, .delta = delta};
    return run(e, &cmd);
}

enum oms_err harness_count(struct oms_engine *e, const char *sku, const char *location,
                           oms_qty on_hand, int64_t as_of_ms)
{
    struct oms_command cmd = {.kind = OMS_CMD_ADJUST};
    cmd.at_ms = clock_ms;
    cmd.u.adjust = (struct oms_cmd_adjust){.sku = sku,
                                           .location = location,
                                           .is_set = true,
                                           .set = on_hand,
                                           .as_of_ms = as_of_ms ? as_of_ms : clock_ms};
    return run(e, &cmd);
}

enum oms_err harness_unavailable(struct oms_engine *e, const char *sku, const char *location,
                                 oms_qty unavailable)
{
    struct oms_command cmd = {.kind = OMS_CMD_ADJUST};
    cmd.u.adjust = (struct oms_cmd_adjust){
        .sku = sku, .location = location, .has_unavailable = true, .unavailable = unavailable};
    return run(e, &cmd);
}

void harness_receipt(struct oms_engine *e, const char *id, const char *sku, const char *location,
                     oms_qty qty)
{
    harness_supply(e, id, sku, location, qty, "2000-01-03");
    assert_int_equal(harness_receive(e, id, qty), OMS_OK);
}

enum oms_err harness_tick(struct oms_engine *e, const char *at)
{
    struct oms_command cmd = {.kind = OMS_CMD_CLOCK, .at_ms = harness_ms(at)};
    return run(e, &cmd);
}

enum oms_err harness_order_spec(struct oms_engine *e, const struct harness_order_spec *spec,
                                bool *replayed)
{
    struct oms_command cmd = {.kind = OMS_CMD_ORDER_PLACE};
    if (spec->at) cmd.at_ms = harness_ms(spec->at);
    snprintf(cmd.fingerprint, sizeof cmd.fingerprint, "%s",
             spec->fingerprint ? spec->fingerprint : spec->id);
    cmd.idem_key = spec->idem_key;
    cmd.u.order = (struct oms_cmd_order){.id = spec->id,
                                         .channel = spec->channel,
                                         .region = spec->region,
                                         .lines = spec->lines,
                                         .lines_count = spec->lines_count,
                                         .hold = spec->hold,
                                         .customer_ref = spec->customer_ref,
                                         .contact = spec->contact,
                                         .collect = spec->collect};
    enum oms_err err = run(e, &cmd);
    if (replayed) *replayed = cmd.replayed;
    return err;
}

enum oms_err harness_cancel_line(struct oms_engine *e, const char *id, uint32_t line_no,
                                 oms_qty qty, oms_qty *cancelled)
{
    struct oms_cmd_qty_line line = {line_no, qty};
    struct oms_command cmd = {.kind = OMS_CMD_ORDER_CANCEL};
    cmd.u.cancel = (struct oms_cmd_cancel){.id = id, .lines = &line, .lines_count = 1};
    enum oms_err err = run(e, &cmd);
    if (cancelled) *cancelled = cmd.u.cancel.cancelled;
    return err;
}

struct event_query {
    const char *type, *subject;
    uint32_t count;
    int64_t last;
    uint32_t seen;
};

static void count_event(void *ctx, const struct oms_event_row *row)
{
    struct event_query *q = ctx;
    q->last = row->seq;
    q->seen++;
    if (strcmp(row->type, q->type) != 0) return;
    if (q->subject && strcmp(row->subject, q->subject) != 0) return;
    q->count++;
}

uint32_t harness_count_events(struct oms_engine *e, const char *type, const char *subject)
{
    struct event_query q = {.type = type, .subject = subject};
    do {
        q.seen = 0;
        assert_int_equal(oms_engine_events(e, q.last, 1000, count_event, &q), OMS_OK);
    } while (q.seen > 0);
    return q.count;
}

static void get_orders_count(const struct oms_state *state, void *ctx)
{
    *(uint32_t *)ctx = state->orders_count;
}

uint32_t harness_orders_count(struct oms_engine *e)
{
    uint32_t count = 0;
    harness_inspect(e, get_orders_count, &count);
    return count;
}

/* FNV-1a over the fields, each as 8 bytes (strings by their bytes and a terminator). */
static void mix(uint64_t *h, int64_t value)
{
    for (int i = 0; i < 8; i++) {
        *h ^= (uint8_t)((uint64_t)value >> (8 * i));
        *h *= 1099511628211ull;
    }
}

static void mix_text(uint64_t *h, const char *text)
{
    for (const char *p = text ? text : "\x01"; *p; p++) {
        *h ^= (uint8_t)*p;
        *h *= 1099511628211ull;
    }
    mix(h, 0);
}

uint64_t harness_state_digest(const struct oms_state *s)
{
    uint64_t h = 14695981039346656037ull;
    mix(&h, s->clock_ms);
    for (uint32_t i = 0; i < s->locations_count; i++) {
        const struct oms_location *l = &s->locations[i];
        mix_text(&h, l->code);
        mix_text(&h, l->region);
        mix_text(&h, l->timezone);
        mix(&h, l->priority);
        mix(&h, l->handling_days);
        mix(&h, l->working_mask);
    }
    for (uint32_t i = 0; i < s->channels_count; i++) {
        const struct oms_channel *c = &s->channels[i];
        mix_text(&h, c->code);
        mix(&h, (int64_t)c->visible);
        mix(&h, c->buffer);
        mix(&h, c->allow_backorder);
        mix(&h, c->priority);
        mix(&h, c->first_location);
        mix(&h, c->buffer_percent);
        mix(&h, c->exclude_stores);
        mix(&h, (int64_t)c->ships);
    }
    for (uint32_t i = 0; i < s->items_count; i++) {
        const struct oms_item *it = &s->items[i];
        mix_text(&h, it->sku);
        mix(&h, it->policy);
        mix(&h, it->backorder_limit);
        mix(&h, it->lead_time_days);
        mix(&h, it->low_stock_threshold);
        mix(&h, it->min_order_qty);
        mix(&h, it->release_day);
        mix(&h, it->allow_split);
        for (uint32_t r = 0; r < it->rules_count; r++) {
            const struct oms_channel_rule *rule = &it->rules[r];
            mix(&h, rule->channel);
            mix(&h, rule->set);
            mix(&h, rule->buffer);
            mix(&h, rule->buffer_percent);
            mix(&h, rule->cap_qty);
            mix(&h, rule->cap_period);
            mix(&h, rule->floor);
            /* Kept as the writer goes, counted again at open: both must agree. */
            mix(&h, oms_rule_sold(rule, oms_state_channel_today(s, rule->channel)));
        }
        for (uint32_t l = 0; l < it->levels_count; l++) {
            const struct oms_stock_level *v = &it->levels[l];
            mix(&h, v->on_hand);
            mix(&h, v->allocated);
            mix(&h, v->reserved);
            mix(&h, v->safety);
            mix(&h, v->unavailable);
        }
        /* Open supply as a set: the in-memory list is unordered. */
        uint64_t supplies = 0;
        for (uint32_t k = 0; k < it->supplies_count; k++) {
            supplies += 0x9E3779B97F4A7C15ull * (it->supplies[k] + 1);
        }
        mix(&h, (int64_t)supplies);
        mix(&h, it->supplies_count);
        mix(&h, it->queue_count);
        for (uint32_t q = 0; q < it->queue_count; q++) mix(&h, it->queue[q]);
    }
    for (uint32_t i = 0; i < s->supplies_count; i++) {
        const struct oms_supply *u = &s->supplies[i];
        mix_text(&h, u->id);
        mix(&h, u->item);
        mix(&h, u->location);
        mix(&h, u->qty);
        mix(&h, u->received);
        mix(&h, u->expected_day);
        mix(&h, u->status);
        mix(&h, u->pegged);
    }
    for (uint32_t i = 0; i < s->orders_count; i++) {
        const struct oms_order *o = &s->orders[i];
        mix_text(&h, o->id);
        mix(&h, o->channel);
        mix_text(&h, o->region);
        mix(&h, o->at_ms);
        mix(&h, o->created_ms);
        mix(&h, o->first_line);
        mix(&h, o->lines_count);
        mix_text(&h, o->fingerprint);
        mix(&h, o->collect);
    }
    for (uint32_t a = 0; a < s->table_regions_count; a++) {
        mix_text(&h, s->table_regions[a].code);
        mix_text(&h, s->table_regions[a].name);
        for (uint32_t b = 0; b < s->table_regions_count; b++) mix(&h, oms_state_distance(s, a, b));
    }
    for (uint32_t i = 0; i < s->lines_count; i++) {
        const struct oms_line *l = &s->lines[i];
        mix(&h, l->order);
        mix(&h, l->line_no);
        mix(&h, l->item);
        mix_text(&h, l->sku);
        mix(&h, l->qty);
        mix(&h, l->shipped);
        mix(&h, l->cancelled);
        mix(&h, l->rejected);
        mix(&h, l->reason);
        mix(&h, l->ship_complete);
        mix(&h, l->price_minor);
        mix(&h, l->promise_day);
        for (uint32_t k = 0; k < l->allocs_count; k++) {
            mix(&h, l->allocs[k].location);
            mix(&h, l->allocs[k].qty);
            mix(&h, l->allocs[k].ship_day);
            mix(&h, l->allocs[k].reason);
        }
        mix(&h, -1);
        for (uint32_t k = 0; k < l->pegs_count; k++) {
            mix(&h, l->pegs[k].supply);
            mix(&h, l->pegs[k].release);
            mix(&h, l->pegs[k].qty);
            mix(&h, l->pegs[k].promise_day);
        }
        mix(&h, -2);
    }
    for (uint32_t i = 0; i < s->orders_count; i++) {
        if (!s->orders[i].hold_id) continue;
        mix(&h, i);
        mix_text(&h, s->orders[i].hold_id);
        mix(&h, s->orders[i].hold_use);
    }
    for (uint32_t i = 0; i < s->holds_count; i++) {
        const struct oms_hold *o = &s->holds[i];
        mix_text(&h, o->id);
        mix(&h, o->channel);
        mix_text(&h, o->region);
        mix(&h, o->at_ms);
        mix(&h, o->created_ms);
        mix(&h, o->expires_ms);
        mix(&h, o->ended_ms);
        mix(&h, o->status);
        if (o->order_id) mix_text(&h, o->order_id);
        mix(&h, o->first_line);
        mix(&h, o->lines_count);
        mix_text(&h, o->fingerprint);
    }
    for (uint32_t i = 0; i < s->hold_lines_count; i++) {
        const struct oms_hold_line *l = &s->hold_lines[i];
        mix(&h, l->hold);
        mix(&h, l->line_no);
        mix(&h, l->item);
        mix_text(&h, l->sku);
        mix(&h, l->qty);
        mix(&h, l->consumed);
        mix(&h, l->reason);
        for (uint32_t k = 0; k < l->allocs_count; k++) {
            mix(&h, l->allocs[k].location);
            mix(&h, l->allocs[k].qty);
        }
        mix(&h, -3);
    }
    /* The active holds, in order (the list itself may hold ended ones until compacted). */
    mix(&h, s->active_holds_live);
    for (uint32_t i = 0; i < s->active_holds_count; i++) {
        if (s->holds[s->active_holds[i]].status == OMS_HOLD_ACTIVE) mix(&h, s->active_holds[i]);
    }
    return h;
}

static void get_digest(const struct oms_state *state, void *ctx)
{
    *(uint64_t *)ctx = harness_state_digest(state);
}

uint64_t harness_digest(struct oms_engine *e)
{
    uint64_t digest = 0;
    harness_inspect(e, get_digest, &digest);
    return digest;
}
