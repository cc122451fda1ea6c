/*
 * test_store_outbox.c - events appended in a transaction go in as multi-row INSERTs
 * (store/sqlite_outbox.c): every row arrives with its seq, type, instant, subject (empty kept
 * empty) and data byte for byte, in order, whatever the count (across the 16-row flushes and a
 * partial last one); another connection sees none of them before the commit and all after
 * it; the writing connection reads its own rows before the commit; outside a transaction a
 * row is stored at once.
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

#include "store/store.h"

struct seen {
    int64_t seq[128], at_ms[128];
    char type[128][32], subject[128][64], data[128][256];
    uint32_t count;
};

static void keep(void *ctx, const struct oms_event_row *row)
{
    struct seen *s = ctx;
    assert_true(s->count < 128);
    uint32_t i = s->count++;
    s->seq[i] = row->seq;
    s->at_ms[i] = row->at_ms;
    snprintf(s->type[i], sizeof s->type[i], "%s", row->type);
    snprintf(s->subject[i], sizeof s->subject[i], "%s", row->subject);
    snprintf(s->data[i], sizeof s->data[i], "%s", row->data_json);
}

static void event_text(int64_t seq, char *subject, size_t subject_size, char *data,
                       size_t data_size)
{
    /* Quotes, backslashes and UTF-8, of lengths that differ row to row. */
    snprintf(subject, subject_size, "SKU-\xc3\xa9\"%lld", (long long)seq);
    snprintf(data, data_size, "{\"n\":%lld,\"pad\":\"%.*s\\\\\"}", (long long)seq,
             (int)(seq % 40), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

static void check_rows(const struct seen *s, int64_t first, uint32_t count)
{
    assert_int_equal(s->count, count);
    for (uint32_t i = 0; i < count; i++) {
        int64_t seq = first + i;
        char subject[64], data[256];
        event_text(seq, subject, sizeof subject, data, sizeof data);
        assert_int_equal(s->seq[i], seq);
        assert_int_equal(s->at_ms[i], 1000 * seq);
        assert_string_equal(s->type[i], seq % 3 == 0 ? "stock.changed" : "line.allocated");
        assert_string_equal(s->subject[i], seq % 7 == 0 ? "" : subject);
        assert_string_equal(s->data[i], data);
    }
}

static void append(struct oms_store *store, int64_t seq)
{
    char subject[64], data[256];
    event_text(seq, subject, sizeof subject, data, sizeof data);
    assert_int_equal(oms_store_append_event(store, seq,
                                            seq % 3 == 0 ? "stock.changed" : "line.allocated",
                                            1000 * seq, seq % 7 == 0 ? "" : subject, data),
                     OMS_OK);
}

static void test_store__outbox_rows_in_one_transaction(void **unused)
{
    (void)unused;
    char path[512], file[600];
    const char *dir = getenv("OMS_TEST_TMP");
    snprintf(path, sizeof path, "%s/outbox_%d.db", dir ? dir : "/tmp", (int)getpid());
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(file, sizeof file, "%s%s", path, suffixes[k]);
        unlink(file);
    }
    struct oms_store *writer = NULL, *reader = NULL;
    assert_int_equal(oms_store_open(path, false, false, &writer), OMS_OK);
    assert_int_equal(oms_store_open(path, false, true, &reader), OMS_OK);

    /* Outside a transaction: stored at once. */
    append(writer, 1);
    struct seen *s = calloc(1, sizeof *s);
    assert_non_null(s);
    assert_int_equal(oms_store_list_events(reader, 0, 1000, keep, s), OMS_OK);
    check_rows(s, 1, 1);

    /* Batches of every size around the 16-row statement: 1, 15, 16, 17, 33, 50. */
    const uint32_t sizes[] = {1, 15, 16, 17, 33, 50};
    int64_t seq = 2;
    for (size_t b = 0; b < sizeof sizes / sizeof sizes[0]; b++) {
        int64_t first = seq;
        assert_int_equal(oms_store_begin(writer), OMS_OK);
        for (uint32_t i = 0; i < sizes[b]; i++) append(writer, seq++);
        memset(s, 0, sizeof *s);
        assert_int_equal(oms_store_list_events(reader, first - 1, 1000, keep, s), OMS_OK);
        assert_int_equal(s->count, 0); /* Not committed: another connection sees nothing. */
        assert_int_equal(oms_store_commit(writer), OMS_OK);
        memset(s, 0, sizeof *s);
        assert_int_equal(oms_store_list_events(reader, first - 1, 1000, keep, s), OMS_OK);
        check_rows(s, first, sizes[b]);
    }
    int64_t last = 0;
    assert_int_equal(oms_store_last_event_seq(reader, &last), OMS_OK);
    assert_int_equal(last, seq - 1);

    /* The writing connection reads its own rows before the commit, the last seq too. */
    assert_int_equal(oms_store_begin(writer), OMS_OK);
    int64_t first = seq;
    for (uint32_t i = 0; i < 5; i++) append(writer, seq++);
    assert_int_equal(oms_store_last_event_seq(writer, &last), OMS_OK);
    assert_int_equal(last, seq - 1);
    memset(s, 0, sizeof *s);
    assert_int_equal(oms_store_list_events(writer, first - 1, 1000, keep, s), OMS_OK);
    check_rows(s, first, 5);
    append(writer, seq++);
    assert_int_equal(oms_store_commit(writer), OMS_OK);
    memset(s, 0, sizeof *s);
    assert_int_equal(oms_store_list_events(reader, first - 1, 1000, keep, s), OMS_OK);
    check_rows(s, first, 6);

    /* A seq stored twice is refused at the flush, not lost silently. */
    assert_int_equal(oms_store_begin(writer), OMS_OK);
    append(writer, 3);
    assert_int_not_equal(oms_store_commit(writer), OMS_OK);

    free(s);
    oms_store_close(reader);
    oms_store_close(writer);
    for (size_t k = 0; k < 3; k++) {
        snprintf(file, sizeof file, "%s%s", path, suffixes[k]);
        unlink(file);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store__outbox_rows_in_one_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
