/*
 * main.c - the `oms` binary: one table of subcommands (name, entry point, one line of help,
 * usage), dispatched on argv[1]. `oms help` lists them, `oms help NAME` and `oms NAME --help`
 * print one's usage; an unknown subcommand prints the usage on stderr and exits 2.
 */
#include "base/platform.h"

#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "store/store.h"

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
    const char *usage;
};

static int cmd_help(int argc, char **argv);

static const struct cli_command commands[] = {
    {"serve", cmd_serve, "serve the HTTP JSON API on a database", cmd_serve_usage},
    {"import", cmd_import, "import items, locations, stock or supply from CSV, all or nothing",
     cmd_import_usage},
    {"replay", cmd_replay, "stream a UCI Online Retail order history through the engine",
     cmd_replay_usage},
    {"demo", cmd_demo, "build a demo database from real data, replay a week, then serve",
     cmd_demo_usage},
    {"repeg", cmd_repeg, "re-run an item's backorder queue (or --dry-run: show the diff)",
     cmd_repeg_usage},
    {"help", cmd_help, "list the subcommands, or show one's usage", "usage: oms help [COMMAND]\n"},
};

static const struct cli_command *find(const char *name)
{
    for (size_t i = 0; i < OMS_ARRAY_LEN(commands); i++) {
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    }
    return NULL;
}

static void print_overview(FILE *out)
{
    fputs("usage: oms COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", out);
    for (size_t i = 0; i < OMS_ARRAY_LEN(commands); i++) {
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
    }
    fputs("\n'oms help COMMAND' or 'oms COMMAND --help' shows a command's options.\n", out);
}

void cli_print_usage(FILE *out, const char *name)
{
    const struct cli_command *command = find(name);
    if (command) fputs(command->usage, out);
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    const struct cli_command *command = find(argv[1]);
    if (!command) {
        fprintf(stderr, "oms: no command '%s'\n\n", argv[1]);
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    fprintf(stdout, "oms %s: %s\n\n", command->name, command->help);
    fputs(command->usage, stdout);
    return CLI_EXIT_OK;
}

/* LeakSanitizer (make check builds with it): libh2o 2.2.5 keeps up to one recycled memory
 * chunk per event-loop thread in a cache private to the library, with no call to empty it;
 * it is reachable until exit and not ours to free. Everything else must be freed. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:h2o_mem_alloc_recycle\n"; }

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        return cmd_help(1, argv);
    }
    const struct cli_command *command = find(argv[1]);
    if (!command) {
        fprintf(stderr, "oms: no command '%s'\n\n", argv[1]);
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    oms_store_library_init();
    return command->run(argc - 1, argv + 1);
}
