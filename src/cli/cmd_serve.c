/*
 * cmd_serve.c - `oms serve`: opens the engine on a database (exclusively: a second process on
 * the same file is refused with a clear message) and serves the HTTP API until SIGINT or
 * SIGTERM, then closes the engine, which finishes the commands already accepted.
 */
#include "base/platform.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "http/api.h"

const char cmd_serve_usage[] =
    "usage: oms serve [--db PATH] [--host H] [--port N] [--threads N] [--body-max BYTES]\n"
    "  --db PATH         SQLite database, created and migrated when new (default oms.db)\n"
    "  --host H          address to listen on (default 127.0.0.1)\n"
    "  --port N          port (default 8080; 0 picks a free one)\n"
    "  --threads N       event loops, one thread each (default: online CPUs)\n"
    "  --body-max BYTES  largest request body (default 1048576)\n"
    "environment: OMS_HOLD_TIMER_MS  how often expired holds are looked for when no request\n"
    "                                 comes (default 1000; 0: only at the next request)\n";

void cli_serve_defaults(struct oms_serve_options *opts)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    opts->host = "127.0.0.1";
    opts->port = 8080;
    opts->threads = cpus > 0 ? (uint32_t)(cpus < 256 ? cpus : 256) : 1;
    opts->body_max_bytes = CLI_BODY_MAX_DEFAULT;
}

/* How often the server looks for holds whose expiry has passed (OMS_HOLD_TIMER_MS in the
 * environment; 0 turns the timer off, leaving expiry to the next request). */
#define HOLD_TIMER_MS_DEFAULT 1000

int cli_serve_engine(struct oms_engine *engine, const struct oms_serve_options *opts)
{
    int64_t period = HOLD_TIMER_MS_DEFAULT;
    const char *env = getenv("OMS_HOLD_TIMER_MS");
    if (env && *env && !cli_option_int("OMS_HOLD_TIMER_MS", env, 0, 3600000, &period)) {
        return CLI_EXIT_USAGE;
    }
    if (period > 0) oms_engine_start_hold_timer(engine, period);
    return oms_http_serve(engine, opts) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static const struct option long_options[] = {
    {"db", required_argument, NULL, 'd'},      {"host", required_argument, NULL, 'H'},
    {"port", required_argument, NULL, 'p'},    {"threads", required_argument, NULL, 't'},
    {"body-max", required_argument, NULL, 'b'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Returns -1 when the options are good, else the exit status. */
static int parse(int argc, char **argv, const char **db, struct oms_serve_options *opts)
{
    int64_t n;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 'd': *db = optarg; break;
        case 'H': opts->host = optarg; break;
        case 'p':
            if (!cli_option_int("port", optarg, 0, 65535, &n)) return CLI_EXIT_USAGE;
            opts->port = (uint16_t)n;
            break;
        case 't':
            if (!cli_option_int("threads", optarg, 1, 256, &n)) return CLI_EXIT_USAGE;
            opts->threads = (uint32_t)n;
            break;
        case 'b':
            if (!cli_option_int("body-max", optarg, 1, (int64_t)1 << 30, &n)) return CLI_EXIT_USAGE;
            opts->body_max_bytes = (size_t)n;
            break;
        case 'h': fputs(cmd_serve_usage, stdout); return CLI_EXIT_OK;
        default:
            fprintf(stderr, "oms serve: bad option '%s'\n%s", argv[optind - 1], cmd_serve_usage);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "oms serve: unexpected argument '%s'\n%s", argv[optind], cmd_serve_usage);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

int cmd_serve(int argc, char **argv)
{
    const char *db = "oms.db";
    struct oms_serve_options opts;
    cli_serve_defaults(&opts);
    int status = parse(argc, argv, &db, &opts);
    if (status >= 0) return status;
    struct oms_engine *engine = cli_engine_open(db);
    if (!engine) return CLI_EXIT_FAIL;
    status = cli_serve_engine(engine, &opts);
    oms_engine_close(engine);
    return status;
}
