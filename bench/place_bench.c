/*
 * place_bench.c - issue 4's in-process benchmark of durable order placement: N one-line
 * orders (qty 1) through the engine on a real SQLite file (WAL, pipelined commit), submitted
 * in batches of exactly B commands (oms_engine_submit_many: one group commit each), on one
 * hot SKU or on SKUs drawn uniformly from S. Each order is what POST /v1/orders hands the
 * engine: its body's fingerprint (computed here, as the event loop does) and the order's
 * answer encoder (oms_encode_order, as call.c sets it).
 *
 * No HTTP and no thread hand-offs per order: a noise-free figure of the writer's work. It
 * counts, through a SQLite VFS that wraps the default one, the bytes written to the WAL and
 * to the database file (checkpoints) and the syncs, per order and per batch (SQLite's own,
 * through the VFS, and the engine syncer's fdatasync of the WAL, counted by defining
 * fdatasync here: the engine, linked statically into this program, calls it). Under callgrind
 * (valgrind --tool=callgrind --instr-atstart=no) only the placement is instrumented.
 *
 * Usage: place_bench DB_PATH [SKUS] [ORDERS] [BATCH] [hot|many]
 *   defaults: 100000 SKUs, 20000 orders, batches of 64, many.
 */
#include "base/platform.h"

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#include "core/calendar.h"
#include "engine/engine.h"
#include "http/decode.h"
#include "http/encode.h"
#include "store/store.h"

/* The engine syncer's syncs of the WAL (decision 35): they bypass the VFS. */
static long long syncer_syncs;

int fdatasync(int fd);
int fdatasync(int fd)
{
    __atomic_add_fetch(&syncer_syncs, 1, __ATOMIC_RELAXED);
    return (int)syscall(SYS_fdatasync, fd);
}

/* --- a counting VFS: every call goes to the default VFS; writes and syncs are counted. ---- */

enum { K_DB, K_WAL, K_OTHER, K_COUNT };
static struct {
    long long bytes[K_COUNT], writes[K_COUNT], syncs[K_COUNT];
} io;

static sqlite3_vfs *real_vfs;
struct cfile {
    sqlite3_file base;
    int kind;
    sqlite3_file *real; /* Follows this struct in the same allocation. */
};

static int c_close(sqlite3_file *f)
{
    struct cfile *c = (struct cfile *)f;
    int rc = c->real->pMethods ? c->real->pMethods->xClose(c->real) : SQLITE_OK;
    return rc;
}
static int c_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xRead(c->real, b, n, o);
}
static int c_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    struct cfile *c = (struct cfile *)f;
    __atomic_add_fetch(&io.bytes[c->kind], n, __ATOMIC_RELAXED);
    __atomic_add_fetch(&io.writes[c->kind], 1, __ATOMIC_RELAXED);
    return c->real->pMethods->xWrite(c->real, b, n, o);
}
static int c_truncate(sqlite3_file *f, sqlite3_int64 s)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xTruncate(c->real, s);
}
static int c_sync(sqlite3_file *f, int flags)
{
    struct cfile *c = (struct cfile *)f;
    __atomic_add_fetch(&io.syncs[c->kind], 1, __ATOMIC_RELAXED);
    return c->real->pMethods->xSync(c->real, flags);
}
static int c_size(sqlite3_file *f, sqlite3_int64 *s)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xFileSize(c->real, s);
}
static int c_lock(sqlite3_file *f, int l)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xLock(c->real, l);
}
static int c_unlock(sqlite3_file *f, int l)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xUnlock(c->real, l);
}
static int c_check(sqlite3_file *f, int *r)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xCheckReservedLock(c->real, r);
}
static int c_fcntl(sqlite3_file *f, int op, void *arg)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xFileControl(c->real, op, arg);
}
static int c_sector(sqlite3_file *f)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xSectorSize(c->real);
}
static int c_dev(sqlite3_file *f)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xDeviceCharacteristics(c->real);
}
static int c_shm_map(sqlite3_file *f, int p, int s, int e, void volatile **out)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xShmMap(c->real, p, s, e, out);
}
static int c_shm_lock(sqlite3_file *f, int o, int n, int fl)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xShmLock(c->real, o, n, fl);
}
static void c_shm_barrier(sqlite3_file *f)
{
    struct cfile *c = (struct cfile *)f;
    c->real->pMethods->xShmBarrier(c->real);
}
static int c_shm_unmap(sqlite3_file *f, int d)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xShmUnmap(c->real, d);
}
static int c_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **pp)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xFetch(c->real, o, n, pp);
}
static int c_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{
    struct cfile *c = (struct cfile *)f;
    return c->real->pMethods->xUnfetch(c->real, o, p);
}

static const sqlite3_io_methods c_methods = {
    3,       c_close,  c_read,    c_write,   c_truncate,   c_sync,        c_size,
    c_lock,  c_unlock, c_check,   c_fcntl,   c_sector,     c_dev,         c_shm_map,
    c_shm_lock, c_shm_barrier, c_shm_unmap, c_fetch, c_unfetch,
};

static int c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    (void)vfs;
    struct cfile *c = (struct cfile *)f;
    c->real = (sqlite3_file *)(c + 1);
    c->kind = flags & SQLITE_OPEN_MAIN_DB ? K_DB : flags & SQLITE_OPEN_WAL ? K_WAL : K_OTHER;
    int rc = real_vfs->xOpen(real_vfs, name, c->real, flags, out_flags);
    c->base.pMethods = c->real->pMethods ? &c_methods : NULL;
    return rc;
}

static sqlite3_vfs c_vfs;

static void install_vfs(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    c_vfs = *real_vfs;
    c_vfs.zName = "counting";
    c_vfs.szOsFile = (int)sizeof(struct cfile) + real_vfs->szOsFile;
    c_vfs.xOpen = c_open;
    sqlite3_vfs_register(&c_vfs, 1);
}

/* --- driving the engine ------------------------------------------------------------------ */

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static uint32_t done_count;

static void count_done(struct oms_command *cmd)
{
    (void)cmd;
    pthread_mutex_lock(&done_lock);
    done_count++;
    pthread_cond_signal(&done_cond);
    pthread_mutex_unlock(&done_lock);
}

/* Submits cmds[0..n) as one queue entry each, all at once, and waits until all are done. */
static void run_window(struct oms_engine *e, struct oms_command *cmds, uint32_t n)
{
    struct oms_command *ptrs[OMS_BATCH_MAX];
    pthread_mutex_lock(&done_lock);
    done_count = 0;
    pthread_mutex_unlock(&done_lock);
    for (uint32_t i = 0; i < n; i++) {
        cmds[i].done = count_done;
        ptrs[i] = &cmds[i];
    }
    if (oms_engine_submit_many(e, ptrs, n) != OMS_OK) {
        fprintf(stderr, "place_bench: submit failed\n");
        exit(1);
    }
    pthread_mutex_lock(&done_lock);
    while (done_count < n) pthread_cond_wait(&done_cond, &done_lock);
    pthread_mutex_unlock(&done_lock);
    for (uint32_t i = 0; i < n; i++) {
        if (cmds[i].err) {
            fprintf(stderr, "place_bench: command failed: %s %s\n", oms_err_message(cmds[i].err),
                    cmds[i].err_message);
            exit(1);
        }
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: place_bench DB_PATH [SKUS] [ORDERS] [BATCH] [hot|many]\n");
        return 2;
    }
    const char *path = argv[1];
    uint32_t skus = argc > 2 ? (uint32_t)atoi(argv[2]) : 100000;
    uint32_t orders = argc > 3 ? (uint32_t)atoi(argv[3]) : 20000;
    uint32_t batch = argc > 4 ? (uint32_t)atoi(argv[4]) : 64;
    bool hot = argc > 5 && strcmp(argv[5], "hot") == 0;
    if (skus < 1 || batch < 1 || batch > OMS_BATCH_MAX || orders < batch) {
        fprintf(stderr, "place_bench: bad arguments\n");
        return 2;
    }
    char file[512];
    const char *suffixes[] = {"", "-wal", "-shm", ".lock"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
    oms_store_library_init(); /* As oms's main does, before the VFS initialises SQLite. */
    install_vfs();
    struct oms_engine_options options = {.db_path = path, .exclusive = true, .no_webhooks = true};
    struct oms_engine *e = NULL;
    if (oms_engine_open(&options, &e) != OMS_OK) {
        fprintf(stderr, "place_bench: cannot open %s\n", path);
        return 1;
    }
    int64_t at = (int64_t)oms_day_from_ymd(2030, 1, 7) * 86400000LL + 9 * 3600000LL;

    /* Master data: L1, channel web, the items (policy deny), their stock. */
    struct oms_command *cmds = calloc(OMS_BATCH_MAX, sizeof *cmds);
    const char *locations[] = {"L1"};
    cmds[0] = (struct oms_command){.kind = OMS_CMD_PUT_LOCATION, .at_ms = at};
    cmds[0].u.location = (struct oms_cmd_location){.code = "L1"};
    cmds[1] = (struct oms_command){.kind = OMS_CMD_PUT_CHANNEL, .at_ms = at};
    cmds[1].u.channel = (struct oms_cmd_channel){.code = "web", .fields = OMS_F_LOCATIONS,
                                                 .locations = locations, .locations_count = 1};
    run_window(e, cmds, 2);
    char (*names)[16] = calloc(skus, sizeof *names);
    for (uint32_t i = 0; i < skus; i++) snprintf(names[i], sizeof names[i], "SKU-%06u", i);
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < skus; i += OMS_BATCH_MAX) {
            uint32_t n = skus - i < OMS_BATCH_MAX ? skus - i : OMS_BATCH_MAX;
            for (uint32_t k = 0; k < n; k++) {
                memset(&cmds[k], 0, sizeof cmds[k]);
                cmds[k].at_ms = at;
                if (pass == 0) {
                    cmds[k].kind = OMS_CMD_PUT_ITEM;
                    cmds[k].u.item = (struct oms_cmd_item){.sku = names[i + k],
                                                           .fields = OMS_F_POLICY,
                                                           .policy = OMS_POLICY_DENY};
                } else {
                    cmds[k].kind = OMS_CMD_ADJUST;
                    cmds[k].u.adjust = (struct oms_cmd_adjust){
                        .sku = names[i + k], .location = "L1", .reason = "count",
                        .is_set = true, .set = 1000000000, .has_safety = true, .safety = 10};
                }
            }
            run_window(e, cmds, n);
            for (uint32_t k = 0; k < n; k++) oms_command_release(&cmds[k]);
        }
    }

    /* The orders. */
    struct oms_cmd_line *lines = calloc(batch, sizeof *lines);
    char (*ids)[32] = calloc(batch, sizeof *ids);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    long long answer_bytes = 0;
    __atomic_store_n(&syncer_syncs, 0, __ATOMIC_RELAXED);
    memset(&io, 0, sizeof io);
    double t0 = now_s();
    CALLGRIND_START_INSTRUMENTATION;
    for (uint32_t done = 0; done + batch <= orders; done += batch) {
        for (uint32_t k = 0; k < batch; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t sku = hot ? 0 : (uint32_t)((rng >> 33) % skus);
            snprintf(ids[k], sizeof ids[k], "o-%u", done + k);
            lines[k] = (struct oms_cmd_line){.sku = names[sku], .qty = 1, .price_minor = -1};
            cmds[k] = (struct oms_command){.kind = OMS_CMD_ORDER_PLACE, .at_ms = at,
                                           .encode = oms_encode_order};
            cmds[k].u.order = (struct oms_cmd_order){.id = ids[k], .channel = "web",
                                                     .lines = &lines[k], .lines_count = 1};
            /* What the event loop does before submitting: the body's fingerprint. */
            json_t *body = json_pack("{s:s, s:s, s:[{s:s, s:i}]}", "id", ids[k], "channel",
                                     "web", "lines", "sku", names[sku], "qty", 1);
            oms_fingerprint("POST", "orders", body, cmds[k].fingerprint);
            json_decref(body);
        }
        run_window(e, cmds, batch);
        for (uint32_t k = 0; k < batch; k++) {
            answer_bytes += (long long)cmds[k].answer_len;
            oms_command_release(&cmds[k]);
        }
    }
    CALLGRIND_STOP_INSTRUMENTATION;
    double secs = now_s() - t0;
    uint32_t placed = orders / batch * batch;
    uint32_t batches = placed / batch;
    printf("place_bench: %u orders, %s over %u SKUs, batches of %u: %.2f s, %.0f orders/s\n",
           placed, hot ? "one hot SKU" : "uniform", skus, batch, secs, placed / secs);
    printf("  WAL bytes/order %.0f (frames/order %.2f), db file bytes/order %.0f (checkpoints),"
           " answer bytes/order %.0f\n",
           (double)io.bytes[K_WAL] / placed,
           (double)io.bytes[K_WAL] / (4096 + 24) / placed, (double)io.bytes[K_DB] / placed,
           (double)answer_bytes / placed);
    printf("  syncs/batch: WAL %.2f by SQLite (checkpoints) + %.2f by the engine's syncer,"
           " db file %.2f\n",
           (double)io.syncs[K_WAL] / batches, (double)syncer_syncs / batches,
           (double)io.syncs[K_DB] / batches);
    oms_engine_close(e);
    free(cmds);
    free(lines);
    free(ids);
    free(names);
    return 0;
}
