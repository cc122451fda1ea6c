/*
 * sqlite_baseline.c - the SQLite baseline of bench/run.sh: the common workload of
 * shared/baselines.md in SQLite (WAL, synchronous=FULL), ONE transaction per order line.
 * No project code: plain C11, libsqlite3 and pthreads.
 *
 * Every operation, on its own thread's connection:
 *     BEGIN IMMEDIATE;
 *     SELECT on_hand - reserved - safety FROM stock WHERE sku = ?;   -- available
 *     if available >= qty:  UPDATE stock SET reserved = reserved + qty WHERE sku = ?;
 *                           INSERT INTO order_lines(sku, qty, status) VALUES(?, qty, 1);  accepted
 *     else:                 INSERT INTO order_lines(sku, qty, status) VALUES(?, qty, 0);  backorder
 *     COMMIT;
 * qty = 1, safety = 10. SKU = 1 (hot) or uniform random over --skus.
 *
 * Usage: sqlite_baseline --db PATH --threads N --skus N --seconds S [--on-hand N] [--safety N]
 *                        [--stockout] [--ops N]
 * --ops N (with --threads 1): stop after N operations instead of after S seconds; bench/run.sh
 * runs it so under callgrind (--toggle-collect=run_worker) to count instructions per order.
 * Prints one line: "RESULT key=value ..." (ops, in_window, seconds, ops_per_s, p50_ms,
 * p99_ms, accepted, backorder, busy, check). ops_per_s = in_window / seconds, in_window being
 * the operations committed before the deadline (later ones are stored and checked, not
 * counted); p50/p99 are per-operation latencies from BEGIN to COMMIT's return. Exit 0 when
 * the checks pass, 1 when they fail, 2 on usage or SQLite errors.
 *
 * Checks after the run (one fresh connection): the stored lines count the operations that
 * committed; sum(reserved) == accepted units stored; no SKU has reserved > on_hand - safety;
 * with --stockout, the hot SKU sold out exactly (reserved == on_hand - safety) and the rest
 * were backordered.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define QTY 1

static const char *db_path;
static int threads_n = 1;
static int64_t skus_n = 1;
static double seconds = 10;
static int64_t on_hand = 1000000000;
static int64_t safety = 10;
static bool stockout;
static uint64_t max_ops; /* --ops: stop after this many operations (one thread), not on time. */

static atomic_bool stop;
static pthread_barrier_t ready; /* Every connection open before the clock starts. */
static int64_t deadline_ns;     /* Operations that commit after it are stored, not counted. */

struct worker {
    pthread_t thread;
    int id;
    uint64_t ops, in_window, accepted, backorder, busy;
    uint32_t *lat_us; /* One latency per committed operation, microseconds. */
    size_t lat_n, lat_cap;
    int failed; /* A SQLite error other than BUSY. */
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die_db(sqlite3 *db, const char *what)
{
    fprintf(stderr, "sqlite_baseline: %s: %s\n", what, db ? sqlite3_errmsg(db) : "no db");
    exit(2);
}

static sqlite3 *open_db(void)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                          SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        die_db(db, "open");
    }
    /* The timeout first: threads that open their connections together wait for each other.
     * journal_mode=WAL is kept in the file; synchronous is per connection: every one sets it. */
    sqlite3_busy_timeout(db, 30000);
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL,
                     NULL) != SQLITE_OK) {
        die_db(db, "pragmas");
    }
    return db;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        die_db(db, sql);
    }
    return st;
}

static void setup(void)
{
    sqlite3 *db = open_db();
    char *err = NULL;
    if (sqlite3_exec(db,
                     "DROP TABLE IF EXISTS stock; DROP TABLE IF EXISTS order_lines;"
                     "CREATE TABLE stock(sku INTEGER PRIMARY KEY, on_hand INTEGER NOT NULL,"
                     "  reserved INTEGER NOT NULL, safety INTEGER NOT NULL);"
                     "CREATE TABLE order_lines(id INTEGER PRIMARY KEY, sku INTEGER NOT NULL,"
                     "  qty INTEGER NOT NULL, status INTEGER NOT NULL);"
                     "BEGIN;",
                     NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite_baseline: schema: %s\n", err);
        exit(2);
    }
    sqlite3_stmt *ins = prepare(db, "INSERT INTO stock VALUES(?, ?, 0, ?)");
    for (int64_t s = 1; s <= skus_n; s++) {
        sqlite3_bind_int64(ins, 1, s);
        sqlite3_bind_int64(ins, 2, on_hand);
        sqlite3_bind_int64(ins, 3, safety);
        if (sqlite3_step(ins) != SQLITE_DONE) die_db(db, "insert stock");
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    if (sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);", NULL, NULL, NULL) !=
        SQLITE_OK) {
        die_db(db, "commit setup");
    }
    sqlite3_close(db);
}

/* Bytes this process asked to write so far (wchar of /proc/self/io), or 0 when unknown. */
static uint64_t wchar_bytes(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    if (!f) return 0;
    char key[64];
    unsigned long long value, found = 0;
    while (fscanf(f, "%63s %llu", key, &value) == 2) {
        if (strcmp(key, "wchar:") == 0) found = value;
    }
    fclose(f);
    return found;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Steps a statement; returns its code after reset (SQLITE_ROW's value is read by the caller
 * before). */
static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc;
}

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    sqlite3 *db = open_db();
    sqlite3_stmt *begin = prepare(db, "BEGIN IMMEDIATE");
    sqlite3_stmt *commit = prepare(db, "COMMIT");
    sqlite3_stmt *rollback = prepare(db, "ROLLBACK");
    sqlite3_stmt *avail = prepare(db, "SELECT on_hand - reserved - safety FROM stock WHERE sku = ?");
    sqlite3_stmt *reserve = prepare(db, "UPDATE stock SET reserved = reserved + ? WHERE sku = ?");
    sqlite3_stmt *line = prepare(db, "INSERT INTO order_lines(sku, qty, status) VALUES(?, ?, ?)");
    uint64_t rng = UINT64_C(0x9E3779B97F4A7C15) * ((uint64_t)w->id + 1u);
    pthread_barrier_wait(&ready);
    while (!atomic_load_explicit(&stop, memory_order_relaxed) &&
           (max_ops == 0 || w->ops < max_ops)) {
        int64_t sku = skus_n == 1 ? 1 : (int64_t)(xorshift(&rng) % (uint64_t)skus_n) + 1;
        int64_t t0 = now_ns();
        int rc = step_reset(begin);
        if (rc == SQLITE_BUSY) { /* busy_timeout elapsed: try again. */
            w->busy++;
            continue;
        }
        if (rc != SQLITE_DONE) goto fail;
        sqlite3_bind_int64(avail, 1, sku);
        rc = sqlite3_step(avail);
        if (rc != SQLITE_ROW) {
            sqlite3_reset(avail);
            goto fail;
        }
        int64_t available = sqlite3_column_int64(avail, 0);
        sqlite3_reset(avail);
        bool ok = available >= QTY;
        if (ok) {
            sqlite3_bind_int64(reserve, 1, QTY);
            sqlite3_bind_int64(reserve, 2, sku);
            if (step_reset(reserve) != SQLITE_DONE) goto fail;
        }
        sqlite3_bind_int64(line, 1, sku);
        sqlite3_bind_int64(line, 2, QTY);
        sqlite3_bind_int(line, 3, ok ? 1 : 0);
        if (step_reset(line) != SQLITE_DONE) goto fail;
        rc = step_reset(commit);
        if (rc != SQLITE_DONE) { /* BUSY on COMMIT cannot happen under IMMEDIATE; be safe. */
            step_reset(rollback);
            if (rc == SQLITE_BUSY) {
                w->busy++;
                continue;
            }
            goto fail;
        }
        int64_t t1 = now_ns();
        w->ops++;
        if (t1 <= deadline_ns) w->in_window++;
        if (ok) {
            w->accepted++;
        } else {
            w->backorder++;
        }
        if (w->lat_n == w->lat_cap) {
            w->lat_cap = w->lat_cap ? w->lat_cap * 2 : 4096;
            w->lat_us = realloc(w->lat_us, w->lat_cap * sizeof *w->lat_us);
            if (!w->lat_us) {
                perror("realloc");
                exit(2);
            }
        }
        int64_t us = (t1 - t0) / 1000;
        w->lat_us[w->lat_n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    }
    goto done;
fail:
    fprintf(stderr, "sqlite_baseline: thread %d: %s\n", w->id, sqlite3_errmsg(db));
    w->failed = 1;
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    atomic_store(&stop, true);
done:
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_finalize(rollback);
    sqlite3_finalize(avail);
    sqlite3_finalize(reserve);
    sqlite3_finalize(line);
    sqlite3_close(db);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = prepare(db, sql);
    if (sqlite3_step(st) != SQLITE_ROW) die_db(db, sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void usage(void)
{
    fprintf(stderr, "usage: sqlite_baseline --db PATH --threads N --skus N --seconds S"
                    " [--on-hand N] [--safety N] [--stockout] [--ops N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--stockout") == 0) {
            stockout = true;
            continue;
        }
        if (!v) usage();
        if (strcmp(a, "--db") == 0) db_path = v;
        else if (strcmp(a, "--threads") == 0) threads_n = atoi(v);
        else if (strcmp(a, "--skus") == 0) skus_n = atoll(v);
        else if (strcmp(a, "--seconds") == 0) seconds = atof(v);
        else if (strcmp(a, "--on-hand") == 0) on_hand = atoll(v);
        else if (strcmp(a, "--safety") == 0) safety = atoll(v);
        else if (strcmp(a, "--ops") == 0) max_ops = strtoull(v, NULL, 10);
        else usage();
        i++;
    }
    if (!db_path || threads_n < 1 || skus_n < 1 || seconds <= 0) usage();
    if (max_ops > 0 && threads_n != 1) {
        fprintf(stderr, "sqlite_baseline: --ops needs --threads 1\n");
        return 2;
    }
    if (stockout && skus_n != 1) {
        fprintf(stderr, "sqlite_baseline: --stockout needs --skus 1\n");
        return 2;
    }
    setup();

    struct worker *ws = calloc((size_t)threads_n, sizeof *ws);
    if (!ws) return 2;
    pthread_barrier_init(&ready, NULL, (unsigned)threads_n + 1);
    for (int i = 0; i < threads_n; i++) {
        ws[i].id = i;
        if (pthread_create(&ws[i].thread, NULL, run_worker, &ws[i]) != 0) {
            perror("pthread_create");
            return 2;
        }
    }
    pthread_barrier_wait(&ready);
    uint64_t wchar0 = wchar_bytes();
    int64_t start = now_ns();
    deadline_ns = start + (int64_t)(seconds * 1e9);
    if (max_ops == 0) {
        struct timespec nap = {(time_t)seconds,
                               (long)((seconds - (double)(time_t)seconds) * 1e9)};
        while (nanosleep(&nap, &nap) != 0 && errno == EINTR) {
        }
        atomic_store(&stop, true);
    }
    uint64_t ops = 0, in_window = 0, accepted = 0, backorder = 0, busy = 0;
    size_t lat_total = 0;
    int failed = 0;
    for (int i = 0; i < threads_n; i++) {
        pthread_join(ws[i].thread, NULL);
        ops += ws[i].ops;
        in_window += ws[i].in_window;
        accepted += ws[i].accepted;
        backorder += ws[i].backorder;
        busy += ws[i].busy;
        lat_total += ws[i].lat_n;
        failed |= ws[i].failed;
    }
    uint64_t written = wchar_bytes() - wchar0;
    uint32_t *lat = malloc((lat_total ? lat_total : 1) * sizeof *lat);
    size_t k = 0;
    for (int i = 0; i < threads_n; i++) {
        memcpy(lat + k, ws[i].lat_us, ws[i].lat_n * sizeof *lat);
        k += ws[i].lat_n;
        free(ws[i].lat_us);
    }
    qsort(lat, lat_total, sizeof *lat, cmp_u32);
    double p50 = lat_total ? lat[(lat_total - 1) * 50 / 100] / 1000.0 : 0;
    double p99 = lat_total ? lat[(lat_total - 1) * 99 / 100] / 1000.0 : 0;
    double max_ms = lat_total ? lat[lat_total - 1] / 1000.0 : 0;
    /* SQLite's busy handler sleeps and retries: the lock is not handed over in turn, so a
     * few threads may do most of the work while others wait. Say how uneven it was. */
    uint64_t min_thread_ops = UINT64_MAX, max_thread_ops = 0;
    for (int i = 0; i < threads_n; i++) {
        if (ws[i].ops < min_thread_ops) min_thread_ops = ws[i].ops;
        if (ws[i].ops > max_thread_ops) max_thread_ops = ws[i].ops;
    }
    double late = (double)(now_ns() - deadline_ns) / 1e9; /* The last stragglers' wait. */
    if (max_ops > 0) { /* Counted, not timed: the rate over the time it took. */
        seconds = (double)(now_ns() - start) / 1e9;
        in_window = ops;
        late = 0;
    }

    /* The checks, on what is stored. */
    sqlite3 *db = open_db();
    int64_t lines = query_int(db, "SELECT count(*) FROM order_lines");
    int64_t acc_lines = query_int(db, "SELECT count(*) FROM order_lines WHERE status = 1");
    int64_t acc_units =
        query_int(db, "SELECT coalesce(sum(qty), 0) FROM order_lines WHERE status = 1");
    int64_t reserved = query_int(db, "SELECT sum(reserved) FROM stock");
    int64_t oversold = query_int(db, "SELECT count(*) FROM stock WHERE reserved > on_hand - safety");
    int64_t hot_reserved = query_int(db, "SELECT reserved FROM stock WHERE sku = 1");
    sqlite3_close(db);
    char check[256] = "ok";
    if (failed) {
        snprintf(check, sizeof check, "FAIL:sqlite_error");
    } else if ((uint64_t)lines != ops || (uint64_t)acc_lines != accepted) {
        snprintf(check, sizeof check, "FAIL:lines_%" PRId64 "_vs_ops_%" PRIu64, lines, ops);
    } else if (acc_units != reserved) {
        snprintf(check, sizeof check, "FAIL:accepted_units_%" PRId64 "_vs_reserved_%" PRId64,
                 acc_units, reserved);
    } else if (oversold != 0) {
        snprintf(check, sizeof check, "FAIL:oversold_skus_%" PRId64, oversold);
    } else if (stockout && (hot_reserved != on_hand - safety || backorder == 0)) {
        snprintf(check, sizeof check, "FAIL:not_sold_out_reserved_%" PRId64 "_of_%" PRId64,
                 hot_reserved, on_hand - safety);
    }
    printf("RESULT ops=%" PRIu64 " in_window=%" PRIu64 " seconds=%.3f late_s=%.3f"
           " ops_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.1f",
           ops, in_window, seconds, late, (double)in_window / seconds, p50, p99, max_ms);
    printf(" thread_ops_min=%" PRIu64 " thread_ops_max=%" PRIu64 " accepted=%" PRIu64
           " backorder=%" PRIu64 " busy=%" PRIu64,
           min_thread_ops, max_thread_ops, accepted, backorder, busy);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf(" cpu_s=%.2f user_s=%.2f",
           (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6);
    printf(" wchar_per_op=%.0f", ops ? (double)written / (double)ops : 0.0);
    printf(" reserved=%" PRId64 " stored_lines=%" PRId64 " on_hand=%" PRId64 " safety=%" PRId64
           " check=%s\n",
           reserved, lines, on_hand, safety, check);
    free(lat);
    free(ws);
    return strcmp(check, "ok") == 0 ? 0 : 1;
}
