/*
 * test_store_vfs.c - oms's VFS writes each WAL frame with one system call (store/sqlite_vfs.c)
 * and the WAL it leaves is SQLite's own, byte for byte where it matters.
 *
 * The test defines pwrite64(), which SQLite calls for every write (the executable's
 * definition comes first), counts the writes to files whose name ends in "-wal" by size, and
 * passes them on to the kernel. Then:
 * - no 24-byte frame header is written on its own: every frame is one write of 24 + 4096;
 * - a copy of the database and its WAL taken while the writer is open, with nothing
 *   checkpointed (what a kill -9 leaves), opened with SQLite's default VFS in another
 *   connection, holds every committed row: a frame whose header and page were joined wrongly
 *   would fail its checksum and SQLite would drop it and every frame after it;
 * - the copy passes PRAGMA integrity_check.
 */
#include "base/platform.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

static long wal_header_writes, wal_frame_writes, wal_other_writes;

static int is_wal(int fd)
{
    char link[64], target[1024];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 4) return 0;
    target[n] = '\0';
    return strcmp(target + n - 4, "-wal") == 0;
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset);
ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset)
{
    if (is_wal(fd)) {
        if (count == 24) {
            __atomic_add_fetch(&wal_header_writes, 1, __ATOMIC_RELAXED);
        } else if (count == 24 + 4096) {
            __atomic_add_fetch(&wal_frame_writes, 1, __ATOMIC_RELAXED);
        } else {
            __atomic_add_fetch(&wal_other_writes, 1, __ATOMIC_RELAXED);
        }
    }
    return syscall(SYS_pwrite64, fd, buf, count, offset);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

static void remove_db(const char *path)
{
    const char *suffixes[] = {"", "-wal", "-shm"};
    char file[700];
    for (size_t k = 0; k < 3; k++) {
        snprintf(file, sizeof file, "%s%s", path, suffixes[k]);
        unlink(file);
    }
}

static void test_store__wal_frames_in_one_write(void **unused)
{
    (void)unused;
    char path[512], copy[600], file[700], copy_file_path[700];
    const char *dir = getenv("OMS_TEST_TMP");
    snprintf(path, sizeof path, "%s/vfs_%d.db", dir ? dir : "/tmp", (int)getpid());
    snprintf(copy, sizeof copy, "%s.copy", path);
    remove_db(path);
    remove_db(copy);
    struct oms_store *store = NULL;
    assert_int_equal(oms_store_open(path, false, false, &store), OMS_OK);
    wal_header_writes = wal_frame_writes = wal_other_writes = 0;

    /* 60 transactions of 40 events of about 300 bytes: pages of the table and of its subject
     * index, several frames a commit. */
    enum { COMMITS = 60, EVENTS = 40 };
    char data[400];
    int64_t seq = 0;
    for (int c = 0; c < COMMITS; c++) {
        assert_int_equal(oms_store_begin(store), OMS_OK);
        for (int e = 0; e < EVENTS; e++) {
            seq++;
            char subject[32];
            snprintf(subject, sizeof subject, "S%06lld", (long long)(seq * 7919 % 100000));
            snprintf(data, sizeof data, "{\"seq\":%lld,\"pad\":\"%0280d\"}", (long long)seq, 0);
            assert_int_equal(oms_store_append_event(store, seq, "order.created", seq, subject,
                                                    data),
                             OMS_OK);
        }
        assert_int_equal(oms_store_commit(store), OMS_OK);
    }
    assert_int_equal(wal_header_writes, 0);
    assert_true(wal_frame_writes >= COMMITS * 2);

    /* What a kill -9 leaves: the files as they are, the writer still open. */
    snprintf(file, sizeof file, "%s-wal", path);
    snprintf(copy_file_path, sizeof copy_file_path, "%s-wal", copy);
    copy_file(file, copy_file_path);
    copy_file(path, copy);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*), max(seq) FROM events", -1, &stmt,
                                        NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(stmt, 0), COMMITS * EVENTS);
    assert_int_equal(sqlite3_column_int64(stmt, 1), COMMITS * EVENTS);
    sqlite3_finalize(stmt);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "ok");
    sqlite3_finalize(stmt);
    sqlite3_close(db);

    oms_store_close(store);
    remove_db(path);
    remove_db(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store__wal_frames_in_one_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
