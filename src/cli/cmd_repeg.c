/*
 * cmd_repeg.c - `oms repeg [--dry-run] --db PATH SKU`: re-run one item's backorder queue on a
 * database file and list every promise that moves (rule 3). With --dry-run nothing is
 * written: the answer is the diff a re-run would cause, e.g. after the clock moved or a
 * setting changed. Refused, like every command on a file, while a server holds the database.
 */
#include "base/platform.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/calendar.h"

const char cmd_repeg_usage[] =
    "usage: oms repeg [--dry-run] [--db PATH] SKU\n"
    "  Re-runs SKU's backorder queue and prints each promise that moves.\n"
    "  --dry-run   show the diff only; change nothing\n"
    "  --db PATH   the database file (default oms.db)\n";

/* Prints the changes from the writer thread, where the model may be read. */
static char *print_changes(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    *len = 0;
    for (uint32_t i = 0; i < cmd->changes_count; i++) {
        const struct oms_promise_change *c = &cmd->changes[i];
        const struct oms_line *line = &state->lines[c->line];
        char old_day[11] = "-", new_day[11] = "-";
        if (c->old_day != OMS_DAY_NONE) oms_day_format(c->old_day, old_day);
        if (c->new_day != OMS_DAY_NONE) oms_day_format(c->new_day, new_day);
        printf("  order %s line %u: %s -> %s", state->orders[line->order].id, line->line_no,
               old_day, new_day);
        if (c->allocated > 0) printf(" (%lld allocated)", (long long)c->allocated);
        printf("\n");
    }
    return NULL;
}

int cmd_repeg(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = "oms.db";
    bool dry_run = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'd':
            db = optarg;
            break;
        case 'n':
            dry_run = true;
            break;
        case 'h':
            fputs(cmd_repeg_usage, stdout);
            return CLI_EXIT_OK;
        default:
            fputs(cmd_repeg_usage, stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fputs(cmd_repeg_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    if (!cli_option_text("SKU", argv[optind], OMS_SKU_BYTES_MAX)) return CLI_EXIT_USAGE;
    struct oms_engine *engine = cli_engine_open(db);
    if (!engine) return CLI_EXIT_FAIL;
    printf("%s queue of '%s':\n", dry_run ? "dry run of a re-run of the" : "re-ran the",
           argv[optind]);
    struct oms_command cmd = {.kind = OMS_CMD_REPEG, .dry_run = dry_run};
    cmd.u.sku = argv[optind];
    cmd.encode = print_changes;
    enum oms_err err = oms_engine_execute(engine, &cmd);
    if (err) {
        fprintf(stderr, "oms repeg: %s\n", cmd.err_message[0] ? cmd.err_message : oms_err_message(err));
    } else {
        printf("%u promise%s %s\n", cmd.changes_count, cmd.changes_count == 1 ? "" : "s",
               dry_run ? "would move" : "moved");
    }
    oms_command_release(&cmd);
    oms_engine_close(engine);
    return err ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
