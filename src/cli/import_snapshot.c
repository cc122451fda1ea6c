/*
 * import_snapshot.c - `oms import snapshot --as-of T FILE.csv`: an ERP or POS stock count from a
 * CSV file (columns sku,location,on_hand[,unavailable]; header required), applied as ONE engine
 * snapshot command (apply_snapshot.c): the same command POST /v1/stock/snapshots submits, so
 * the file is applied in one commit or not at all, movements after as_of are re-applied
 * (rule 6), and the reconciliation report is stored under the snapshot's id and printed.
 *
 * Errors are found before anything is submitted and printed row by row (1-based data rows,
 * the header not counted, the column named), up to CLI_ERRORS_SHOWN_MAX: cells that do not
 * parse, a level twice in the file, items and locations the engine does not know (one READ
 * on the writer thread), unavailable above the row's own on_hand (oms_count_valid, the
 * engine's rule). What only the engine can judge (unavailable above on_hand once the movements
 * since as_of are re-applied) comes back as its first error, named the same way; either way
 * nothing is applied.
 */
#include "base/platform.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/jsonw.h"
#include "base/strmap.h"
#include "base/utf8.h"
#include "cli/common.h"
#include "cli/import.h"
#include "engine/clock.h"
#include "http/decode.h"
#include "http/encode.h"
#include "store/model.h"

#define AS_OF_SKEW_MS (5 * 60 * 1000) /* As the API: clocks of ERPs drift a little. */
#define PATH_SOURCE_BYTES_MAX 512     /* A file's path standing for --source. */
_Static_assert(2 * (PATH_SOURCE_BYTES_MAX + OMS_ID_BYTES_MAX) + 256 < OMS_JSONW_BYTES_MAX,
               "the snapshot's event holds its id and a path source, every byte escaped");

enum { COL_SKU, COL_LOCATION, COL_ON_HAND, COL_UNAVAILABLE, COLS_COUNT };
static const char *const column_names[COLS_COUNT] = {"sku", "location", "on_hand", "unavailable"};

struct snapshot_file {
    struct oms_snapshot_row *rows;
    size_t count, cap;
};

static bool parse_code(const char *text, size_t max, const char **out, char *why, size_t why_len)
{
    size_t len = strlen(text);
    if (len > max) {
        snprintf(why, why_len, "longer than %zu bytes", max);
        return false;
    }
    if (oms_text_control(text, len) < len) {
        snprintf(why, why_len, "contains a control character");
        return false;
    }
    *out = cli_xstrdup(text);
    return true;
}

static bool parse_qty(const char *text, oms_qty *out, char *why, size_t why_len)
{
    if (oms_parse_int64(text, 0, OMS_QTY_MAX, out)) return true;
    int64_t any;
    snprintf(why, why_len, "%s",
             oms_parse_int64(text, INT64_MIN, INT64_MAX, &any)
                 ? (any < 0 ? "negative: a count is 0 or more" : "too large")
                 : "not a whole number");
    return false;
}

/* One data row's cells into row; false (errors printed) when a cell is refused. */
static bool parse_row(const struct oms_csv *csv, const int *columns, uint64_t number,
                      struct oms_snapshot_row *row, struct cli_errors *errors)
{
    bool ok = true;
    memset(row, 0, sizeof *row);
    for (int c = 0; c < COLS_COUNT; c++) {
        const char *text = columns[c] >= 0 && (uint32_t)columns[c] < csv->fields_count
                               ? csv->fields[columns[c]]
                               : "";
        char why[96] = "";
        bool good = true;
        if (text[0] == '\0') {
            if (c == COL_UNAVAILABLE) continue; /* Empty: unavailable stays as it is. */
            snprintf(why, sizeof why, "missing value");
            good = false;
        } else if (c == COL_SKU) {
            good = parse_code(text, OMS_SKU_BYTES_MAX, &row->sku, why, sizeof why);
        } else if (c == COL_LOCATION) {
            good = parse_code(text, OMS_CODE_BYTES_MAX, &row->location, why, sizeof why);
        } else if (c == COL_ON_HAND) {
            good = parse_qty(text, &row->on_hand, why, sizeof why);
        } else {
            good = row->has_unavailable = parse_qty(text, &row->unavailable, why, sizeof why);
        }
        if (!good) {
            cli_error(errors, "row %llu, column %s: %s", (unsigned long long)number,
                      column_names[c], why);
            ok = false;
        }
    }
    if (ok && row->has_unavailable && !oms_count_valid(row->on_hand, row->unavailable)) {
        /* The engine's rule (a row is checked as counted), here so every bad row is listed. */
        cli_error(errors, "row %llu, column unavailable: %lld is more than the on_hand counted "
                  "(%lld)", (unsigned long long)number, (long long)row->unavailable,
                  (long long)row->on_hand);
        ok = false;
    }
    return ok;
}

static bool map_header(const struct oms_csv *csv, int *columns, struct cli_errors *errors)
{
    for (int c = 0; c < COLS_COUNT; c++) {
        columns[c] = oms_csv_column(csv, column_names[c]);
        if (columns[c] < 0 && c != COL_UNAVAILABLE) {
            cli_error(errors, "header: missing column %s", column_names[c]);
        }
    }
    for (uint32_t f = 0; f < csv->fields_count; f++) {
        bool known = false;
        for (int c = 0; c < COLS_COUNT; c++) known |= columns[c] == (int)f;
        if (!known) {
            cli_error(errors, "header: column '%s' is not a column of snapshot (or appears twice)",
                      csv->fields[f]);
        }
    }
    return errors->count == 0;
}

static void read_file(FILE *file, struct snapshot_file *out, struct cli_errors *errors)
{
    struct oms_csv csv;
    oms_csv_init(&csv, file);
    int columns[COLS_COUNT];
    int rc = oms_csv_header(&csv);
    if (rc != 1) {
        cli_error(errors, "header: %s", rc == 0 ? "the file is empty" : csv.error);
    } else if (map_header(&csv, columns, errors)) {
        uint64_t before = csv.record_number;
        while ((rc = oms_csv_next(&csv)) != 0) {
            if (rc < 0 && csv.record_number == before) break; /* Read error: sticky. */
            before = csv.record_number;
            uint64_t number = csv.record_number - 1;
            if (out->count >= OMS_SNAPSHOT_ROWS_MAX) {
                cli_error(errors, "row %llu: more than %d rows (rows_max); split the file",
                          (unsigned long long)number, OMS_SNAPSHOT_ROWS_MAX);
                break;
            }
            if (out->count == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 1024;
                out->rows = cli_xrealloc(out->rows, out->cap * sizeof *out->rows);
            }
            struct oms_snapshot_row *row = &out->rows[out->count++];
            memset(row, 0, sizeof *row);
            if (rc < 0) {
                cli_error(errors, "row %llu: %s", (unsigned long long)number, csv.error);
            } else {
                (void)parse_row(&csv, columns, number, row, errors);
            }
        }
        if (rc < 0) cli_error(errors, "%s", csv.error);
    }
    oms_csv_release(&csv);
}

/* A level twice in the file: the later row is an error naming the first. */
static void check_duplicates(const struct snapshot_file *file, struct cli_errors *errors)
{
    struct oms_strmap seen;
    oms_strmap_init(&seen);
    char **keys = cli_xcalloc(file->count + 1, sizeof *keys);
    for (size_t i = 0; i < file->count; i++) {
        const struct oms_snapshot_row *row = &file->rows[i];
        if (!row->sku || !row->location) continue;
        size_t len = strlen(row->sku) + strlen(row->location) + 2;
        keys[i] = cli_xcalloc(len, 1);
        snprintf(keys[i], len, "%s\x1f%s", row->sku, row->location);
        uint32_t first;
        if (oms_strmap_get(&seen, keys[i], &first)) {
            cli_error(errors, "row %zu: '%s' at '%s' appears also on row %u", i + 1, row->sku,
                      row->location, first + 1);
            continue;
        }
        oms_strmap_put(&seen, keys[i], (uint32_t)i);
    }
    oms_strmap_release(&seen);
    for (size_t i = 0; i < file->count; i++) free(keys[i]);
    free(keys);
}

struct known_check {
    const struct snapshot_file *file;
    struct cli_errors *errors;
};

/* On the writer thread: every item and location the file names exists. */
static void check_known(void *ctx, const struct oms_state *state)
{
    struct known_check *k = ctx;
    for (size_t i = 0; i < k->file->count; i++) {
        const struct oms_snapshot_row *row = &k->file->rows[i];
        if (row->sku && oms_state_item(state, row->sku) == OMS_NONE) {
            cli_error(k->errors, "row %zu, column sku: no item '%s' (import items first)", i + 1,
                      row->sku);
        }
        if (row->location && oms_state_location(state, row->location) == OMS_NONE) {
            cli_error(k->errors, "row %zu, column location: no location '%s'", i + 1,
                      row->location);
        }
    }
}

/* The request body the API would get for this file: its fingerprint makes a repeat of the
 * same --id with the same file a replay (rule 8), and another file under it a conflict. */
static void fingerprint_of(const struct oms_cmd_snapshot *c, char out[65])
{
    char as_of[OMS_RFC3339_LEN];
    oms_rfc3339_format(c->as_of_ms, as_of);
    json_t *rows = json_array();
    for (uint32_t i = 0; i < c->rows_count; i++) {
        json_t *row = json_pack("{s:s, s:s, s:I}", "sku", c->rows[i].sku, "location",
                                c->rows[i].location, "on_hand", (json_int_t)c->rows[i].on_hand);
        if (c->rows[i].has_unavailable) {
            json_object_set_new(row, "unavailable", json_integer(c->rows[i].unavailable));
        }
        json_array_append_new(rows, row);
    }
    json_t *body = json_pack("{s:s, s:o}", "as_of", as_of, "rows", rows);
    if (c->id) json_object_set_new(body, "id", json_string(c->id));
    if (c->source) json_object_set_new(body, "source", json_string(c->source));
    oms_fingerprint("POST", "stock/snapshots", body, out);
    json_decref(body);
}

/* "row 4 (A at WH1)" for a warning of a row, "snapshot" for the whole file. */
static void print_report(const char *answer, size_t len, const char *path, bool json_out)
{
    if (json_out) {
        fwrite(answer, 1, len, stdout);
        putchar('\n');
        return;
    }
    json_t *r = json_loadb(answer, len, 0, NULL);
    if (!r) return;
    const char *id = json_string_value(json_object_get(r, "id"));
    printf("%ssnapshot %s as of %s from %s: %lld rows: %lld changed, %lld unchanged, "
           "%lld superseded; %zu warning%s\n",
           json_is_true(json_object_get(r, "dry_run")) ? "dry run: " : "", id ? id : "(unnamed)",
           json_string_value(json_object_get(r, "as_of")), path,
           (long long)json_integer_value(json_object_get(r, "rows")),
           (long long)json_integer_value(json_object_get(r, "changed")),
           (long long)json_integer_value(json_object_get(r, "unchanged")),
           (long long)json_integer_value(json_object_get(r, "superseded")),
           json_array_size(json_object_get(r, "warnings")),
           json_array_size(json_object_get(r, "warnings")) == 1 ? "" : "s");
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(r, "warnings"), i, w)
    {
        if (i >= CLI_ERRORS_SHOWN_MAX) {
            printf("  ... and %zu more (--json shows them all)\n",
                   json_array_size(json_object_get(r, "warnings")) - i);
            break;
        }
        json_t *row = json_object_get(w, "row");
        if (json_is_integer(row)) {
            printf("  row %lld (%s at %s): %s: %s\n", (long long)json_integer_value(row) + 1,
                   json_string_value(json_object_get(w, "sku")),
                   json_string_value(json_object_get(w, "location")),
                   json_string_value(json_object_get(w, "code")),
                   json_string_value(json_object_get(w, "message")));
        } else {
            printf("  snapshot: %s: %s\n", json_string_value(json_object_get(w, "code")),
                   json_string_value(json_object_get(w, "message")));
        }
    }
    json_decref(r);
}

/* The engine's error names "rows[i].field": the file's row i + 1 and column. */
static void print_engine_error(const struct oms_command *cmd)
{
    unsigned index = 0;
    char column[32] = "";
    if (sscanf(cmd->err_field, "rows[%u].%31s", &index, column) >= 1) {
        fprintf(stderr, "oms: row %u%s%s: %s\n", index + 1, column[0] ? ", column " : "", column,
                cmd->err_message);
    } else {
        fprintf(stderr, "oms: %s%s%s\n", cmd->err_field, cmd->err_field[0] ? ": " : "",
                cmd->err_message);
    }
}

static int submit(struct oms_engine *engine, const struct cli_snapshot_options *o,
                  const struct snapshot_file *file, const char *path)
{
    struct oms_command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = OMS_CMD_SNAPSHOT;
    cmd.dry_run = o->dry_run;
    cmd.encode = oms_encode_snapshot;
    cmd.u.snapshot = (struct oms_cmd_snapshot){
        .id = o->id,
        .source = o->source ? o->source : path,
        .as_of_ms = o->as_of_ms,
        .rows = file->rows,
        .rows_count = (uint32_t)file->count,
        .change_units = OMS_SNAPSHOT_CHANGE_UNITS_DEFAULT,
        .change_percent = OMS_SNAPSHOT_CHANGE_PERCENT_DEFAULT,
        .stale_hours = OMS_SNAPSHOT_STALE_HOURS_DEFAULT,
    };
    fingerprint_of(&cmd.u.snapshot, cmd.fingerprint);
    enum oms_err err = oms_engine_execute(engine, &cmd);
    int status = CLI_EXIT_OK;
    if (err) {
        print_engine_error(&cmd);
        fprintf(stderr, "oms: %s: refused; nothing was imported\n", path);
        status = CLI_EXIT_FAIL;
    } else {
        if (cmd.replayed) printf("snapshot '%s' was imported before: its first report\n", o->id);
        print_report(cmd.answer, cmd.answer_len, path, o->json);
    }
    oms_command_release(&cmd);
    return status;
}

int import_snapshot(const char *db, const struct cli_snapshot_options *o, const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "oms: cannot open '%s': %s\n", path, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    struct cli_errors errors = {0};
    struct snapshot_file rows = {0};
    read_file(file, &rows, &errors);
    fclose(file);
    if (errors.count == 0 && rows.count == 0) cli_error(&errors, "the file has no data rows");
    check_duplicates(&rows, &errors);
    struct oms_engine *engine = rows.count > 0 ? cli_engine_open(db) : NULL;
    int status = CLI_EXIT_FAIL;
    if (engine) {
        struct known_check known = {&rows, &errors};
        if (cli_read(engine, check_known, &known) != OMS_OK) {
            cli_error(&errors, "cannot read the engine's items and locations");
        }
        if (errors.count == 0) status = submit(engine, o, &rows, path);
    }
    if (errors.count > 0) {
        cli_errors_finish(&errors);
        fprintf(stderr, "oms: %s: %llu error%s; nothing was imported\n", path,
                (unsigned long long)errors.count, errors.count == 1 ? "" : "s");
    }
    oms_engine_close(engine);
    for (size_t i = 0; i < rows.count; i++) {
        free((char *)rows.rows[i].sku);
        free((char *)rows.rows[i].location);
    }
    free(rows.rows);
    return status;
}

bool import_snapshot_as_of(const char *text, int64_t *as_of_ms)
{
    char why[160];
    if (!oms_instant_parse("--as-of", text, as_of_ms, why, sizeof why)) {
        fprintf(stderr, "oms import: %s, not '%s'\n", why, text);
        return false;
    }
    if (*as_of_ms > oms_now_ms() + AS_OF_SKEW_MS) {
        fprintf(stderr, "oms import: --as-of %s is in the future; a count is taken before it "
                        "is sent\n",
                text);
        return false;
    }
    return true;
}

bool import_snapshot_texts(const struct cli_snapshot_options *o, const char *path)
{
    if (o->id && !cli_option_text("--id", o->id, OMS_ID_BYTES_MAX)) return false;
    if (o->source) return cli_option_text("--source", o->source, OMS_SNAPSHOT_SOURCE_BYTES_MAX);
    /* The path is the source the report and the event keep: text, as --source is, and longer
     * than a typed source may be, but within what the snapshot's event holds escaped (every
     * byte a "\\": 1 KB of its 2 KB). */
    char why[96];
    if (cli_text_ok(path, PATH_SOURCE_BYTES_MAX, why, sizeof why)) return true;
    fprintf(stderr, "oms import: without --source the file's name is the snapshot's source, "
                    "and it cannot be (%s): give --source TEXT\n",
            why);
    return false;
}
