/*
 * commands.h - the subcommands of `oms` (one file each, cmd_<name>.c) as main.c's table sees
 * them: an entry point taking the subcommand's own argv (argv[0] is its name) and returning
 * the process exit status, plus its usage text. Exit statuses: 0 success, 1 failure, 2 usage.
 */
#ifndef OMS_CLI_COMMANDS_H
#define OMS_CLI_COMMANDS_H

#include "base/platform.h"

#include <stdio.h>

#include "engine/engine.h"

struct oms_serve_options;

int cmd_serve(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_repeg(int argc, char **argv);

extern const char cmd_serve_usage[];
extern const char cmd_import_usage[];
extern const char cmd_replay_usage[];
extern const char cmd_demo_usage[];
extern const char cmd_repeg_usage[];

/* Prints a subcommand's usage on `out` ("oms help NAME" and NAME --help). */
void cli_print_usage(FILE *out, const char *name);

/* serve's defaults: 127.0.0.1, port 8080, one event loop per online CPU, 1 MiB bodies. */
void cli_serve_defaults(struct oms_serve_options *opts);
/* Serves the API on an open engine until SIGINT/SIGTERM; returns the exit status. */
int cli_serve_engine(struct oms_engine *engine, const struct oms_serve_options *opts);

#endif
