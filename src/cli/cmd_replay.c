/*
 * cmd_replay.c - `oms replay`: streams a UCI Online Retail order history through the engine
 * of a database (replay.h says what each row becomes) and prints the summary; --json writes
 * the same figures as JSON. Exits 1 when the history is refused, a command fails or the final
 * check does not hold.
 */
#include "base/platform.h"

#include <getopt.h>
#include <stdio.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/replay.h"

const char cmd_replay_usage[] =
    "usage: oms replay [--db PATH] [--channel-uk CODE] [--channel-other CODE] [--json FILE]\n"
    "                  HISTORY.csv\n"
    "  --db PATH             database (default oms.db); it must hold the channels and items\n"
    "  --channel-uk CODE     channel of orders from the United Kingdom (default web)\n"
    "  --channel-other CODE  channel of the other orders (default web)\n"
    "  --json FILE           also write the summary as JSON to FILE\n"
    "HISTORY.csv has the UCI Online Retail columns InvoiceNo, StockCode, Description, Quantity,\n"
    "InvoiceDate (M/D/YY H:MM, UK time), UnitPrice, CustomerID, Country, in time order.\n";

static const struct option long_options[] = {
    {"db", required_argument, NULL, 'd'},
    {"channel-uk", required_argument, NULL, 'u'},
    {"channel-other", required_argument, NULL, 'o'},
    {"json", required_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cmd_replay(int argc, char **argv)
{
    const char *db = "oms.db";
    struct replay_options options = {.channel_uk = "web", .channel_other = "web"};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'u': options.channel_uk = optarg; break;
        case 'o': options.channel_other = optarg; break;
        case 'j': options.json_path = optarg; break;
        case 'h': fputs(cmd_replay_usage, stdout); return CLI_EXIT_OK;
        default:
            fprintf(stderr, "oms replay: bad option '%s'\n%s", argv[optind - 1], cmd_replay_usage);
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "oms replay: expected one history file\n%s", cmd_replay_usage);
        return CLI_EXIT_USAGE;
    }
    options.path = argv[optind];
    if (!cli_option_text("--channel-uk", options.channel_uk, OMS_CODE_BYTES_MAX) ||
        !cli_option_text("--channel-other", options.channel_other, OMS_CODE_BYTES_MAX)) {
        return CLI_EXIT_USAGE;
    }
    struct oms_engine *engine = cli_engine_open(db);
    if (!engine) return CLI_EXIT_FAIL;
    int status = replay_run(engine, &options);
    oms_engine_close(engine);
    return status;
}
