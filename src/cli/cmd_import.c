/*
 * cmd_import.c - `oms import --db PATH KIND FILE.csv` for KIND items, locations, stock or
 * supply: all or nothing, with row-numbered errors (1-based data rows, the header not counted,
 * the column named: "row 12, column qty: not a whole number").
 *
 * How all-or-nothing is guaranteed. The engine applies each command on its own: a command it
 * refuses changes nothing, but the ones before it stay applied. So nothing is submitted until
 * nothing can be refused:
 *  1. every row is parsed and checked on its own (each column's syntax and range, the row's
 *     consistency) and against the other rows (a key twice in one file is an error);
 *  2. one READ command then checks every row against the engine's state, on the writer thread:
 *     the items and locations a row names exist, a supply id is new, an item's open supply lines
 *     stay within the limit, a location count stays within the limit, a stock count does not
 *     leave unavailable above on_hand. Those are all the reasons the engine's handlers for these
 *     commands have to refuse one (apply_master.c, apply_stock.c);
 *  3. the state cannot change between that check and the submissions: the engine is opened
 *     exclusively (a lock file: no server or other CLI can write the database meanwhile) and
 *     this process submits nothing else; the writer applies commands in submission order.
 * All errors (up to 50 shown) are printed and the exit status is 1 before anything is
 * submitted. What remains outside this guarantee is a crash (power, kill -9) in the middle of
 * the submissions: the writer commits in batches of up to OMS_BATCH_MAX commands, so a file
 * longer than one batch can be cut between two commits. Closing that gap needs an engine
 * command that applies a list of commands in one transaction (reported to the engine's owner).
 */
#include "base/platform.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/import.h"

const char cmd_import_usage[] =
    "usage: oms import [--db PATH] KIND FILE.csv\n"
    "       oms import [--db PATH] snapshot --as-of T [--id ID] [--source TEXT] [--dry-run]\n"
    "                  [--json] FILE.csv\n"
    "  KIND is items, locations, stock, supply or channel_rules; FILE.csv has a header naming\n"
    "  its columns:\n"
    "  items:     sku,name,price,currency,policy,backorder_limit,lead_time_days,\n"
    "             low_stock_threshold,min_order_qty,release_date,allow_split\n"
    "  locations: code,name,kind,region,priority,timezone,handling_days,working_days\n"
    "  stock:     sku,location,on_hand[,safety,unavailable]   (a count, as of now)\n"
    "  supply:    id,sku,location,qty,expected_date\n"
    "  channel_rules: channel,sku,buffer,buffer_percent,cap_qty,cap_period,floor\n"
    "             (a channel's rules for an item; \"none\" removes one; cap_period is day,\n"
    "             week or month)\n"
    "  Only the key columns (sku, code, id, location, on_hand, qty, expected_date) are\n"
    "  required; an empty cell keeps the current value (or the default for a new record).\n"
    "  \"none\" clears backorder_limit, lead_time_days, low_stock_threshold, release_date.\n"
    "  working_days lists days like \"mon tue wed thu fri\". Every row has as many fields\n"
    "  as the header (quote a value with a comma), and every cell is UTF-8. Nothing is\n"
    "  imported unless every row is valid.\n"
    "  snapshot:  sku,location,on_hand[,unavailable]   an ERP/POS count taken at --as-of (RFC\n"
    "             3339): movements recorded after it are re-applied, a newer count wins; the\n"
    "             whole file in one commit, then its reconciliation report (see the API's\n"
    "             POST /v1/stock/snapshots). --id makes a repeat of the file a no-op.\n"
    "  --db PATH  database (default oms.db)\n";

static const struct option long_options[] = {
    {"db", required_argument, NULL, 'd'},
    {"help", no_argument, NULL, 'h'},
    {"as-of", required_argument, NULL, 'a'},
    {"id", required_argument, NULL, 'i'},
    {"source", required_argument, NULL, 's'},
    {"dry-run", no_argument, NULL, 'n'},
    {"json", no_argument, NULL, 'j'},
    {NULL, 0, NULL, 0},
};

/* --- Reading the file --- */

static bool map_header(const struct import_kind *kind, struct oms_csv *csv, int *columns,
                       struct cli_errors *errors)
{
    for (size_t i = 0; i < kind->columns_count; i++) {
        columns[i] = oms_csv_column(csv, kind->columns[i].name);
        if (columns[i] < 0 && kind->columns[i].required) {
            cli_error(errors, "header: missing column %s", kind->columns[i].name);
        }
    }
    for (uint32_t f = 0; f < csv->fields_count; f++) {
        bool known = false;
        for (size_t i = 0; i < kind->columns_count; i++) known |= columns[i] == (int)f;
        if (!known) {
            cli_error(errors, "header: column '%s' is not a column of %s (or appears twice)",
                      csv->fields[f], kind->name);
        }
    }
    return errors->count == 0;
}

static void parse_row(const struct import_kind *kind, const struct oms_csv *csv,
                      const int *columns, struct import_row *row, struct cli_errors *errors)
{
    for (size_t i = 0; i < kind->columns_count; i++) {
        const struct import_column *col = &kind->columns[i];
        const char *text = columns[i] >= 0 && (uint32_t)columns[i] < csv->fields_count
                               ? csv->fields[columns[i]]
                               : "";
        char why[160] = "";
        if (text[0] == '\0') {
            if (col->required) {
                cli_error(errors, "row %llu, column %s: missing value",
                          (unsigned long long)row->row, col->name);
                row->bad = true;
            }
            continue;
        }
        if (!col->parse(row, text, why, sizeof why)) {
            cli_error(errors, "row %llu, column %s: %s", (unsigned long long)row->row, col->name,
                      why);
            row->bad = true;
        }
    }
    if (!row->bad && kind->check_row) kind->check_row(row, errors);
}

static struct import_row *read_rows(const struct import_kind *kind, FILE *file, size_t *count,
                                    struct cli_errors *errors)
{
    struct oms_csv csv;
    oms_csv_init(&csv, file);
    int columns[IMPORT_COLUMNS_MAX];
    struct import_row *rows = NULL;
    size_t cap = 0;
    *count = 0;
    int rc = oms_csv_header(&csv);
    if (rc != 1) {
        cli_error(errors, "header: %s", rc == 0 ? "the file is empty" : csv.error);
    } else if (map_header(kind, &csv, columns, errors)) {
        uint64_t before = csv.record_number;
        while ((rc = oms_csv_next(&csv)) != 0) {
            if (rc < 0 && csv.record_number == before) break; /* Read error: sticky. */
            before = csv.record_number;
            if (*count == cap) {
                cap = cap ? cap * 2 : 1024;
                rows = cli_xrealloc(rows, cap * sizeof *rows);
            }
            struct import_row *row = &rows[(*count)++];
            import_row_init(row, kind, csv.record_number - 1);
            if (rc < 0) {
                cli_error(errors, "row %llu: %s", (unsigned long long)row->row, csv.error);
                row->bad = true;
            } else {
                parse_row(kind, &csv, columns, row, errors);
            }
        }
        if (rc < 0) cli_error(errors, "%s", csv.error);
    }
    oms_csv_release(&csv);
    return rows;
}

/* A key twice in one file: the second row is an error naming the first. */
static void check_duplicates(const struct import_kind *kind, struct import_row *rows,
                             size_t count, struct cli_errors *errors)
{
    struct oms_strmap seen;
    oms_strmap_init(&seen);
    char **keys = cli_xcalloc(count, sizeof *keys);
    for (size_t i = 0; i < count; i++) {
        if (rows[i].bad) continue;
        char key[2 * OMS_ID_BYTES_MAX];
        kind->key_of(&rows[i], key, sizeof key);
        keys[i] = cli_xstrdup(key);
        uint32_t first;
        if (oms_strmap_get(&seen, keys[i], &first)) {
            cli_error(errors, "row %llu, column %s: '%s' appears also on row %llu",
                      (unsigned long long)rows[i].row, kind->key_column, key,
                      (unsigned long long)rows[first].row);
            rows[i].bad = true;
            continue;
        }
        oms_strmap_put(&seen, keys[i], (uint32_t)i);
    }
    oms_strmap_release(&seen);
    for (size_t i = 0; i < count; i++) free(keys[i]);
    free(keys);
}

/* --- Submitting --- */

struct submit_state {
    struct cli_pipe pipe;
    uint64_t created, updated; /* Writer thread; read after the drain. */
};

static void row_done(struct oms_command *cmd)
{
    struct import_row *row = (struct import_row *)cmd;
    struct submit_state *s = row->user;
    if (!cmd->err) {
        if (cmd->status == 201) s->created++;
        else s->updated++;
    }
    char what[48];
    snprintf(what, sizeof what, "row %llu", (unsigned long long)row->row);
    oms_command_release(cmd);
    cli_pipe_done(&s->pipe, what, cmd);
}

static int submit_rows(struct oms_engine *engine, const struct import_kind *kind,
                       struct import_row *rows, size_t count, const char *path)
{
    struct submit_state s = {.created = 0};
    cli_pipe_init(&s.pipe, engine, CLI_WINDOW_DEFAULT);
    struct cli_progress progress;
    cli_progress_init(&progress, "import", count);
    int64_t start = cli_monotonic_ms();
    bool ok = true;
    for (size_t i = 0; ok && i < count; i++) {
        rows[i].user = &s;
        rows[i].cmd.done = row_done;
        ok = cli_pipe_submit(&s.pipe, &rows[i].cmd);
        cli_progress_update(&progress, cli_pipe_completed(&s.pipe));
    }
    cli_pipe_drain(&s.pipe);
    cli_progress_end(&progress);
    int status = CLI_EXIT_OK;
    if (!ok || s.pipe.failed > 0) {
        cli_pipe_print_failures(&s.pipe);
        fprintf(stderr, "oms: the engine refused %llu of %zu rows after the checks passed: "
                "the import is partial (a bug: please report it)\n",
                (unsigned long long)s.pipe.failed, count);
        status = CLI_EXIT_FAIL;
    } else {
        printf("imported %zu rows of %s from %s in %.1f s", count, kind->name, path,
               (double)(cli_monotonic_ms() - start) / 1000.0);
        if (kind->cmd_kind == OMS_CMD_PUT_ITEM || kind->cmd_kind == OMS_CMD_PUT_LOCATION) {
            printf(": %llu created, %llu updated", (unsigned long long)s.created,
                   (unsigned long long)s.updated);
        }
        putchar('\n');
    }
    cli_pipe_release(&s.pipe);
    return status;
}

static int import_file(const char *db, const struct import_kind *kind, const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "oms: cannot open '%s': %s\n", path, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    struct cli_errors errors = {0};
    size_t count = 0;
    struct import_row *rows = read_rows(kind, file, &count, &errors);
    fclose(file);
    check_duplicates(kind, rows, count, &errors);
    /* The good rows are checked against the engine even when others are bad, so that one
     * run shows every error (up to the cap). */
    struct oms_engine *engine = count > 0 ? cli_engine_open(db) : NULL;
    int status = CLI_EXIT_FAIL;
    bool checked = engine && import_check_state(engine, kind, rows, count, &errors);
    if (checked && errors.count == 0) status = submit_rows(engine, kind, rows, count, path);
    if (errors.count > 0) {
        cli_errors_finish(&errors);
        fprintf(stderr, "oms: %s: %llu error%s; nothing was imported\n", path,
                (unsigned long long)errors.count, errors.count == 1 ? "" : "s");
    } else if (count == 0) {
        printf("nothing to import: %s has no data rows\n", path);
        status = CLI_EXIT_OK;
    }
    oms_engine_close(engine);
    for (size_t i = 0; i < count; i++) import_row_release(&rows[i]);
    free(rows);
    return status;
}

int cmd_import(int argc, char **argv)
{
    const char *db = "oms.db";
    struct cli_snapshot_options snapshot = {0};
    const char *as_of = NULL;
    bool snapshot_option = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        snapshot_option |= c == 'a' || c == 'i' || c == 's' || c == 'n' || c == 'j';
        switch (c) {
        case 'd': db = optarg; break;
        case 'a': as_of = optarg; break;
        case 'i': snapshot.id = optarg; break;
        case 's': snapshot.source = optarg; break;
        case 'n': snapshot.dry_run = true; break;
        case 'j': snapshot.json = true; break;
        case 'h': fputs(cmd_import_usage, stdout); return CLI_EXIT_OK;
        default:
            fprintf(stderr, "oms import: bad option '%s'\n%s", argv[optind - 1], cmd_import_usage);
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "oms import: expected KIND and FILE.csv\n%s", cmd_import_usage);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[optind], "snapshot") == 0) {
        if (!as_of) {
            fprintf(stderr, "oms import: a snapshot needs --as-of T, when it was counted\n%s",
                    cmd_import_usage);
            return CLI_EXIT_USAGE;
        }
        if (!import_snapshot_as_of(as_of, &snapshot.as_of_ms)) return CLI_EXIT_USAGE;
        if (!import_snapshot_texts(&snapshot, argv[optind + 1])) return CLI_EXIT_USAGE;
        return import_snapshot(db, &snapshot, argv[optind + 1]);
    }
    if (snapshot_option) {
        fprintf(stderr, "oms import: --as-of, --id, --source, --dry-run and --json are for "
                        "snapshot\n%s",
                cmd_import_usage);
        return CLI_EXIT_USAGE;
    }
    const struct import_kind *kind = import_kind_find(argv[optind]);
    if (!kind) {
        fprintf(stderr,
                "oms import: KIND must be items, locations, stock, supply, snapshot or "
                "channel_rules, not '%s'\n",
                argv[optind]);
        return CLI_EXIT_USAGE;
    }
    return import_file(db, kind, argv[optind + 1]);
}
