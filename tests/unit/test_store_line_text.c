/*
 * test_store_line_text.c - a line's allocations and pegs are stored as the text the snprintf
 * formats wrote ("%u:%lld:%d:%d" and "%lld:%d:%lld:%d", comma separated), byte for byte, now
 * that sqlite.c writes the digits itself: random lines (no groups, one, up to 70; negative
 * days, the largest quantities and indexes, pegs on lead time) are saved and their columns
 * read back with SQL.
 */
#include "base/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/model.h"
#include "store/store.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int64_t pick(const int64_t *values, size_t count) { return values[next() % count]; }

static void append(char **text, size_t *len, const char *part)
{
    size_t n = strlen(part);
    *text = realloc(*text, *len + n + 1);
    assert_non_null(*text);
    memcpy(*text + *len, part, n + 1);
    *len += n;
}

static void test_store__line_text_as_printf(void **unused)
{
    (void)unused;
    char path[512];
    const char *dir = getenv("OMS_TEST_TMP");
    snprintf(path, sizeof path, "%s/line_text_%d.db", dir ? dir : "/tmp", (int)getpid());
    unlink(path);
    struct oms_store *store = NULL;
    assert_int_equal(oms_store_open(path, false, false, &store), OMS_OK);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);

    struct oms_state state;
    oms_state_init(&state);
    enum { LINES = 400 };
    state.lines = calloc(LINES, sizeof *state.lines);
    assert_non_null(state.lines);
    state.lines_count = LINES;
    static const int64_t days[] = {0, 1, -1, 20000, -719162, 2932896, INT32_MAX, INT32_MIN + 1};
    static const int64_t qtys[] = {1, 9, 10, 999999999, 1000000000000LL, INT64_MAX / 4};
    char **want_allocs = calloc(LINES, sizeof *want_allocs);
    char **want_pegs = calloc(LINES, sizeof *want_pegs);
    assert_int_equal(oms_store_begin(store), OMS_OK);
    for (uint32_t i = 0; i < LINES; i++) {
        struct oms_line *line = &state.lines[i];
        line->order = i;
        line->line_no = 1;
        line->item = OMS_NONE;
        line->sku = "SKU";
        line->qty = 1;
        line->promise_day = line->latest_day = line->first_promise_day = OMS_DAY_NONE;
        line->allocs_count = (uint32_t)(i < 4 ? i : next() % (i % 7 == 0 ? 70 : 4));
        line->pegs_count = (uint32_t)(i < 4 ? 3 - i : next() % (i % 5 == 0 ? 66 : 3));
        line->allocs = calloc(line->allocs_count + 1, sizeof *line->allocs);
        line->pegs = calloc(line->pegs_count + 1, sizeof *line->pegs);
        size_t alen = 0, plen = 0;
        append(&want_allocs[i], &alen, "");
        append(&want_pegs[i], &plen, "");
        for (uint32_t k = 0; k < line->allocs_count; k++) {
            struct oms_line_alloc *a = &line->allocs[k];
            a->location = next() % 3 == 0 ? UINT32_MAX - 1 : (uint32_t)(next() % 64);
            a->qty = pick(qtys, sizeof qtys / sizeof *qtys);
            a->ship_day = (oms_day)pick(days, sizeof days / sizeof *days);
            a->reason = (enum oms_source_reason)(next() % 6);
            char part[96];
            snprintf(part, sizeof part, "%s%u:%lld:%d:%d", k ? "," : "", a->location,
                     (long long)a->qty, a->ship_day, (int)a->reason);
            append(&want_allocs[i], &alen, part);
        }
        for (uint32_t k = 0; k < line->pegs_count; k++) {
            struct oms_line_peg *p = &line->pegs[k];
            p->supply = next() % 3 == 0 ? OMS_NONE : (uint32_t)(next() % 100000);
            p->release = next() % 2;
            p->qty = pick(qtys, sizeof qtys / sizeof *qtys);
            p->promise_day = (oms_day)pick(days, sizeof days / sizeof *days);
            long long supply = p->supply == OMS_NONE ? -1 : (long long)p->supply;
            char part[96];
            snprintf(part, sizeof part, "%s%lld:%d:%lld:%d", k ? "," : "", supply, p->release,
                     (long long)p->qty, p->promise_day);
            append(&want_pegs[i], &plen, part);
        }
        assert_int_equal(oms_store_save_line(store, &state, i), OMS_OK);
    }
    assert_int_equal(oms_store_commit(store), OMS_OK);

    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT idx, allocs, pegs FROM lines ORDER BY idx",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    uint32_t seen = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        uint32_t i = (uint32_t)sqlite3_column_int64(stmt, 0);
        assert_int_equal(i, seen);
        assert_string_equal((const char *)sqlite3_column_text(stmt, 1), want_allocs[i]);
        assert_string_equal((const char *)sqlite3_column_text(stmt, 2), want_pegs[i]);
        seen++;
    }
    assert_int_equal(seen, LINES);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    oms_store_close(store);
    for (uint32_t i = 0; i < LINES; i++) {
        free(state.lines[i].allocs);
        free(state.lines[i].pegs);
        free(want_allocs[i]);
        free(want_pegs[i]);
    }
    free(want_allocs);
    free(want_pegs);
    free(state.lines);
    state.lines = NULL;
    state.lines_count = 0;
    oms_state_release(&state);
    char file[600];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(file, sizeof file, "%s%s", path, suffixes[k]);
        unlink(file);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store__line_text_as_printf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
