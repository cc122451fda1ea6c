/*
 * import.h - the CSV kinds of `oms import` as tables: each kind names its columns, and each
 * column has a parser that checks one cell and sets its field of the row's engine command
 * (import_kinds.c). cmd_import.c reads the file, runs the parsers, checks the rows against
 * each other and against the engine's state (import_check_state), then submits.
 */
#ifndef OMS_CLI_IMPORT_H
#define OMS_CLI_IMPORT_H

#include "base/platform.h"

#include "cli/common.h"
#include "engine/engine.h"

#define IMPORT_COLUMNS_MAX 16
#define IMPORT_TEXTS_MAX 8

struct import_row {
    struct oms_command cmd; /* First: the done callback finds the row from the command. */
    uint64_t row;           /* 1-based data row. */
    bool bad;               /* Some cell was refused. */
    void *user;
    const char *price_text; /* items: the price cell, read once the row's currency is known. */
    char *texts[IMPORT_TEXTS_MAX]; /* Owned copies of the cells the command points to. */
    uint32_t texts_count;
};

/* Checks one non-empty cell and sets the command's field; false with a reason in why. */
typedef bool import_parse_fn(struct import_row *row, const char *text, char *why,
                             size_t why_len);

struct import_column {
    const char *name;
    bool required;
    import_parse_fn *parse;
};

struct import_kind {
    const char *name; /* "items" */
    enum oms_cmd_kind cmd_kind;
    const struct import_column *columns;
    size_t columns_count;
    const char *key_column; /* Named in "appears also on row N" errors. */
    void (*key_of)(const struct import_row *row, char *out, size_t len);
    void (*check_row)(struct import_row *row, struct cli_errors *errors); /* May be NULL. */
};

const struct import_kind *import_kind_find(const char *name);
void import_row_init(struct import_row *row, const struct import_kind *kind, uint64_t number);
void import_row_release(struct import_row *row);
/* One READ: every good row against the engine's state (references, limits); errors are
 * reported row by row. False when the engine could not be asked. */
OMS_MUST_CHECK bool import_check_state(struct oms_engine *engine, const struct import_kind *kind,
                                       struct import_row *rows, size_t count,
                                       struct cli_errors *errors);

/* `oms import snapshot` (import_snapshot.c): one ERP/POS snapshot command for the whole file. */
struct cli_snapshot_options {
    int64_t as_of_ms;   /* --as-of: when the counts were taken (required). */
    const char *id;     /* --id: the snapshot's id (a repeat replays); NULL: the engine's. */
    const char *source; /* --source; NULL: the file's path. */
    bool dry_run;       /* --dry-run: print the report, change nothing. */
    bool json;          /* --json: print the whole report as JSON. */
};
int import_snapshot(const char *db, const struct cli_snapshot_options *options,
                    const char *path);
/* Parses --as-of (RFC 3339, not in the future); prints why and returns false otherwise. */
OMS_MUST_CHECK bool import_snapshot_as_of(const char *text, int64_t *as_of_ms);
/* Checks --id and --source as the API checks id and source, and the file's path, up to 512
 * bytes, when it stands for a missing --source (decision 51: stored text is UTF-8; a path of
 * 2 KB overflowed the snapshot's event); prints why and returns false otherwise. */
OMS_MUST_CHECK bool import_snapshot_texts(const struct cli_snapshot_options *options,
                                          const char *path);

#endif
