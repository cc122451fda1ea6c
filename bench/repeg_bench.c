/*
 * repeg_bench.c - issue 3's benchmarks, in process (no HTTP), on a real SQLite file with the
 * engine's durable settings:
 *   1. re-pegging after one receipt with N backordered lines queued on one item: N one-unit
 *      orders wait on a purchase order; a receipt of R units runs the whole queue (rule 3),
 *      allocates R of them and re-promises the rest. Reported: the receipt's wall time
 *      (submit to commit), and the same receipt as a dry run.
 *   2. the cost of the event outbox on order placement: run it under callgrind and compare
 *      oms__emit's inclusive instructions with oms__apply_order_place's (bench/run_repeg.sh).
 * Usage: repeg_bench DB_PATH [N] [R]
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/calendar.h"
#include "engine/engine.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void must(enum oms_err err, struct oms_command *cmd, const char *what)
{
    if (err == OMS_OK) return;
    fprintf(stderr, "repeg_bench: %s failed: %s %s\n", what, oms_err_message(err),
            cmd ? cmd->err_message : "");
    exit(1);
}

static void run(struct oms_engine *e, struct oms_command *cmd, const char *what)
{
    must(oms_engine_execute(e, cmd), cmd, what);
    oms_command_release(cmd);
}

struct batch {
    struct oms_command *cmds;
    struct oms_cmd_line *lines;
    char (*ids)[32];
    uint32_t count;
};

static void order_done(struct oms_command *cmd) { (void)cmd; }

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: repeg_bench DB_PATH [N] [R]\n");
        return 2;
    }
    const char *path = argv[1];
    uint32_t n = argc > 2 ? (uint32_t)atoi(argv[2]) : 100000;
    oms_qty r = argc > 3 ? atoll(argv[3]) : 1000;
    char file[512];
    const char *suffixes[] = {"", "-wal", "-shm", ".lock"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
    struct oms_engine_options options = {.db_path = path, .exclusive = true, .no_webhooks = true};
    struct oms_engine *e = NULL;
    must(oms_engine_open(&options, &e), NULL, "open");

    int64_t at = (int64_t)oms_day_from_ymd(2030, 1, 7) * 86400000LL + 9 * 3600000LL;
    const char *locations[] = {"WH1"};
    struct oms_command cmd = {.kind = OMS_CMD_PUT_LOCATION, .at_ms = at};
    cmd.u.location = (struct oms_cmd_location){.code = "WH1", .fields = OMS_F_REGION,
                                               .region = "EU"};
    run(e, &cmd, "location");
    cmd = (struct oms_command){.kind = OMS_CMD_PUT_CHANNEL, .at_ms = at};
    cmd.u.channel = (struct oms_cmd_channel){.code = "web", .fields = OMS_F_LOCATIONS,
                                             .locations = locations, .locations_count = 1};
    run(e, &cmd, "channel");
    cmd = (struct oms_command){.kind = OMS_CMD_PUT_ITEM, .at_ms = at};
    cmd.u.item = (struct oms_cmd_item){.sku = "HOT", .fields = OMS_F_POLICY | OMS_F_LEAD_TIME,
                                       .policy = OMS_POLICY_BACKORDER, .lead_time_days = 60};
    run(e, &cmd, "item");
    cmd = (struct oms_command){.kind = OMS_CMD_SUPPLY_CREATE, .at_ms = at};
    cmd.u.supply = (struct oms_cmd_supply){.id = "PO-1", .sku = "HOT", .location = "WH1",
                                           .qty = (oms_qty)n + r,
                                           .expected_day = oms_day_from_ymd(2030, 2, 1)};
    run(e, &cmd, "supply");

    /* N orders, submitted in windows so the writer batches them (group commit). */
    struct batch b = {calloc(n, sizeof *b.cmds), calloc(n, sizeof *b.lines),
                      calloc(n, sizeof *b.ids), n};
    double t0 = now_s();
    for (uint32_t i = 0; i < n; i++) {
        snprintf(b.ids[i], sizeof b.ids[i], "o%u", i);
        b.lines[i] = (struct oms_cmd_line){.sku = "HOT", .qty = 1, .price_minor = -1};
        b.cmds[i] = (struct oms_command){.kind = OMS_CMD_ORDER_PLACE, .at_ms = at,
                                         .done = order_done};
        b.cmds[i].u.order = (struct oms_cmd_order){.id = b.ids[i], .channel = "web",
                                                   .lines = &b.lines[i], .lines_count = 1};
        while (oms_engine_submit(e, &b.cmds[i]) == OMS_EBUSY) usleep(1000);
    }
    /* A synchronous command after them: when it returns, every order is committed. */
    cmd = (struct oms_command){.kind = OMS_CMD_READ};
    run(e, &cmd, "drain");
    double placed_s = now_s() - t0;
    for (uint32_t i = 0; i < n; i++) {
        must(b.cmds[i].err, &b.cmds[i], "order");
        oms_command_release(&b.cmds[i]);
    }
    printf("placed %u backordered orders in %.2f s (%.0f orders/s, in process, durable)\n", n,
           placed_s, n / placed_s);

    cmd = (struct oms_command){.kind = OMS_CMD_SUPPLY_RECEIVE, .at_ms = at, .dry_run = true};
    cmd.u.receive = (struct oms_cmd_receive){.id = "PO-1", .qty = r};
    t0 = now_s();
    must(oms_engine_execute(e, &cmd), &cmd, "dry-run receipt");
    double dry_s = now_s() - t0;
    printf("dry run of a receipt of %lld units over %u queued lines: %.1f ms, %u promises would "
           "move\n", (long long)r, n, dry_s * 1e3, cmd.changes_count);
    oms_command_release(&cmd);

    cmd = (struct oms_command){.kind = OMS_CMD_SUPPLY_RECEIVE, .at_ms = at};
    cmd.u.receive = (struct oms_cmd_receive){.id = "PO-1", .qty = r};
    t0 = now_s();
    must(oms_engine_execute(e, &cmd), &cmd, "receipt");
    double receipt_s = now_s() - t0;
    oms_qty filled = 0;
    for (uint32_t i = 0; i < cmd.u.receive.fills_count; i++) filled += cmd.u.receive.fills[i].qty;
    printf("receipt of %lld units re-pegging %u queued lines: %.1f ms (commit included), "
           "%lld units allocated to the queue's head, %u promises moved\n",
           (long long)r, n, receipt_s * 1e3, (long long)filled, cmd.changes_count);
    oms_command_release(&cmd);
    oms_engine_close(e);
    free(b.cmds);
    free(b.lines);
    free(b.ids);
    return 0;
}
