/*
 * cmd_demo.c - `oms demo`: the main job on real data. Deletes and recreates the demo database,
 * derives a deterministic starting position from the UCI Online Retail week and the SCMS
 * lead/lateness table (demo.h, docs/demo.md), replays the week through the engine with the
 * purchase orders received on their (late or early) dates, prints the summary, then serves the
 * API on 127.0.0.1 until Ctrl-C unless --no-serve.
 */
#include "base/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/demo.h"
#include "cli/replay.h"
#include "http/api.h"

#define DEMO_UCI_FILE "online_retail_uci_week.csv"
#define DEMO_SCMS_FILE "scms_lead_lateness.csv"

const char cmd_demo_usage[] =
    "usage: oms demo [--db PATH] [--data DIR] [--no-serve] [--port N] [--json FILE]\n"
    "  --db PATH    demo database, DELETED and recreated (default demo.db)\n"
    "  --data DIR   folder with " DEMO_UCI_FILE " and " DEMO_SCMS_FILE " (default data)\n"
    "  --no-serve   stop after the summary\n"
    "  --port N     port of the API served afterwards on 127.0.0.1 (default 8080)\n"
    "  --json FILE  also write the replay's summary as JSON to FILE\n";

struct demo_args {
    const char *db, *data, *json;
    bool serve;
    struct oms_serve_options serve_options;
};

static const struct option long_options[] = {
    {"db", required_argument, NULL, 'd'},   {"data", required_argument, NULL, 'D'},
    {"no-serve", no_argument, NULL, 'n'},   {"port", required_argument, NULL, 'p'},
    {"json", required_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse(int argc, char **argv, struct demo_args *args)
{
    int64_t port;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 'd': args->db = optarg; break;
        case 'D': args->data = optarg; break;
        case 'n': args->serve = false; break;
        case 'j': args->json = optarg; break;
        case 'p':
            if (!cli_option_int("port", optarg, 0, 65535, &port)) return CLI_EXIT_USAGE;
            args->serve_options.port = (uint16_t)port;
            break;
        case 'h': fputs(cmd_demo_usage, stdout); return CLI_EXIT_OK;
        default:
            fprintf(stderr, "oms demo: bad option '%s'\n%s", argv[optind - 1], cmd_demo_usage);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "oms demo: unexpected argument '%s'\n%s", argv[optind], cmd_demo_usage);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* A file that exists and is not a SQLite database is not ours to delete. */
static bool deletable(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) return errno == ENOENT;
    char header[16] = {0};
    size_t n = fread(header, 1, sizeof header, file);
    fclose(file);
    return n == 0 || (n == sizeof header && memcmp(header, "SQLite format 3", 16) == 0);
}

/* Deletes the database and its -wal, -shm and .lock files, unless another process holds it. */
static bool remove_database(const char *db)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.lock", db);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "oms: database '%s' is held by another oms process\n", db);
        close(fd);
        return false;
    }
    bool ok = deletable(db);
    if (!ok) fprintf(stderr, "oms demo: '%s' is not a SQLite database; not deleting it\n", db);
    static const char *const suffixes[] = {"", "-wal", "-shm", ".lock"};
    for (size_t i = 0; ok && i < OMS_ARRAY_LEN(suffixes); i++) {
        snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
        if (unlink(path) != 0 && errno != ENOENT) {
            fprintf(stderr, "oms demo: cannot delete '%s': %s\n", path, strerror(errno));
            ok = false;
        }
    }
    if (fd >= 0) close(fd);
    return ok;
}

static void print_try(const struct demo_args *args, const struct demo_start *start)
{
    const char *host = args->serve_options.host;
    unsigned port = args->serve_options.port;
    const char *sku = start->pos_count ? start->pos[0].sku : "85123A";
    if (port == 0) {
        printf("\nThe API is served on the port printed below until Ctrl-C.\n");
        fflush(stdout);
        return;
    }
    printf("\nThe API is served on http://%s:%u until Ctrl-C. Try:\n", host, port);
    printf("  curl -s http://%s:%u/v1/orders/UCI-%s\n", host, port, start->first_invoice);
    printf("  curl -s 'http://%s:%u/v1/availability?channel=web&sku=%s&sku=22423&qty=24'\n", host,
           port, sku);
    printf("  curl -s http://%s:%u/v1/stock/%s\n", host, port, sku);
    printf("  curl -s 'http://%s:%u/v1/events?after=0&limit=20'\n", host, port);
    fflush(stdout);
}

static int run(const struct demo_args *args, const struct demo_start *start)
{
    if (!remove_database(args->db)) return CLI_EXIT_FAIL;
    struct oms_engine *engine = cli_engine_open(args->db);
    if (!engine) return CLI_EXIT_FAIL;
    demo_print_start(start, stdout);
    int status = CLI_EXIT_FAIL;
    if (demo_load(engine, start)) {
        char uci[4096];
        snprintf(uci, sizeof uci, "%s/%s", args->data, DEMO_UCI_FILE);
        struct replay_options options = {.path = uci, .channel_uk = "web",
                                         .channel_other = "web", .json_path = args->json};
        struct replay_receipt *receipts =
            demo_receipts(start, &options.receipts_count, &options.delays_count);
        options.receipts = receipts;
        fputc('\n', stdout);
        status = replay_run(engine, &options);
        free(receipts);
    }
    if (status == CLI_EXIT_OK && args->serve) {
        print_try(args, start);
        status = cli_serve_engine(engine, &args->serve_options);
    }
    oms_engine_close(engine);
    return status;
}

int cmd_demo(int argc, char **argv)
{
    struct demo_args args = {.db = "demo.db", .data = "data", .serve = true};
    cli_serve_defaults(&args.serve_options);
    int status = parse(argc, argv, &args);
    if (status >= 0) return status;
    char uci[4096], scms[4096];
    snprintf(uci, sizeof uci, "%s/%s", args.data, DEMO_UCI_FILE);
    snprintf(scms, sizeof scms, "%s/%s", args.data, DEMO_SCMS_FILE);
    struct demo_start start;
    if (!demo_derive(uci, scms, &start)) return CLI_EXIT_FAIL;
    status = run(&args, &start);
    demo_start_release(&start);
    return status;
}
