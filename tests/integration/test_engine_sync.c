/*
 * test_engine_sync.c - the pipelined commit (decision 35): the writer commits a batch without
 * waiting for the disk and goes on with the next one, and nothing of a batch leaves the engine
 * before the WAL sync that makes it durable: not its answers (`done`), not its snapshots in
 * the availability index, not its events in the outbox that readers and webhooks see.
 *
 * And checkpoints run on their own thread and connection, keeping the WAL bounded
 * (decision 38).
 *
 * The first test holds the sync itself: it defines fdatasync(), which the engine (linked statically
 * into this program) and SQLite call instead of libc's. Armed, the next call blocks until the
 * test releases it; then it syncs for real. The checkpoint test slows down the syncs of the
 * database file (a checkpoint's, never the WAL's), as a loaded disk does.
 */
#include "base/platform.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "store/store.h"

static pthread_mutex_t sync_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_cv = PTHREAD_COND_INITIALIZER;
static bool sync_armed, sync_entered, sync_released;
static int sync_calls;
static int slow_db_syncs; /* Syncs of a file other than a WAL still to slow down. */

static void sleep_ms(long ms);

static bool is_wal(int fd)
{
    char link[64], target[1024];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    return n >= 4 && memcmp(target + n - 4, "-wal", 4) == 0;
}

int fdatasync(int fd);
int fdatasync(int fd)
{
    pthread_mutex_lock(&sync_mu);
    bool slow = slow_db_syncs > 0 && !is_wal(fd);
    if (slow) slow_db_syncs--;
    pthread_mutex_unlock(&sync_mu);
    if (slow) sleep_ms(300);
    pthread_mutex_lock(&sync_mu);
    sync_calls++;
    if (sync_armed) {
        sync_armed = false;
        sync_entered = true;
        pthread_cond_broadcast(&sync_cv);
        while (!sync_released) pthread_cond_wait(&sync_cv, &sync_mu);
    }
    pthread_mutex_unlock(&sync_mu);
    return (int)syscall(SYS_fdatasync, fd);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Waits up to 10 s for *flag (read under sync_mu); false when it never came. */
static bool wait_flag(const bool *flag)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&sync_mu);
        bool set = *flag;
        pthread_mutex_unlock(&sync_mu);
        if (set) return true;
        sleep_ms(10);
    }
    return false;
}

static bool order_done, read_done, read_saw_order;

static void set_done(struct oms_command *cmd)
{
    pthread_mutex_lock(&sync_mu);
    *(bool *)cmd->user = true;
    pthread_mutex_unlock(&sync_mu);
}

/* A read's encoder runs on the writer thread when the writer decides its batch. */
static char *see_order(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    (void)cmd;
    pthread_mutex_lock(&sync_mu);
    read_saw_order = oms_state_order(state, "O1") != OMS_NONE;
    pthread_mutex_unlock(&sync_mu);
    *len = 0;
    return NULL;
}

static oms_qty available(struct oms_engine *e)
{
    struct oms_availability a;
    assert_int_equal(oms_engine_availability(e, "web", "A", 1, NULL, &a), OMS_OK);
    return a.available;
}

static void count_created(void *ctx, const struct oms_event_row *row)
{
    if (strcmp(row->type, "order.created") == 0) ++*(int *)ctx;
}

static int orders_created(struct oms_engine *e)
{
    int n = 0;
    assert_int_equal(oms_engine_events(e, 0, 1000, count_created, &n), OMS_OK);
    return n;
}

static bool flag(const bool *f)
{
    pthread_mutex_lock(&sync_mu);
    bool v = *f;
    pthread_mutex_unlock(&sync_mu);
    return v;
}

static void test_sync__nothing_leaves_before_the_sync_and_the_writer_goes_on(void **state)
{
    (void)state;
    char path[512];
    harness_db_path(path, sizeof path, "sync");
    struct oms_engine *e = harness_open(path);
    static const char *const wh1[] = {"WH1"};
    harness_location(e, "WH1", "UK", 1, 0);
    harness_channel(e, "web", wh1, 1, 0, false, 1);
    harness_item(e, "A", OMS_POLICY_DENY, 0, 0, true);
    harness_set_stock(e, "A", "WH1", 10);
    assert_int_equal(available(e), 10);
    assert_int_equal(orders_created(e), 0);

    pthread_mutex_lock(&sync_mu);
    sync_armed = true;
    int calls_before = sync_calls;
    pthread_mutex_unlock(&sync_mu);

    struct oms_cmd_line line = {.sku = "A", .qty = 1, .price_minor = -1};
    struct oms_command order = {.kind = OMS_CMD_ORDER_PLACE, .done = set_done, .user = &order_done};
    snprintf(order.fingerprint, sizeof order.fingerprint, "O1");
    order.u.order = (struct oms_cmd_order){.id = "O1", .channel = "web", .lines = &line,
                                           .lines_count = 1};
    assert_int_equal(oms_engine_submit(e, &order), OMS_OK);
    assert_true(wait_flag(&sync_entered)); /* The order's batch is committed, its sync held. */

    /* The writer is not held: a command after the order is decided, on a model that has it. */
    struct oms_command read = {.kind = OMS_CMD_READ, .encode = see_order, .done = set_done,
                               .user = &read_done};
    assert_int_equal(oms_engine_submit(e, &read), OMS_OK);
    assert_true(wait_flag(&read_saw_order));

    /* But nobody has heard of the order: no answer, the index and the outbox as before. */
    sleep_ms(200);
    assert_false(flag(&order_done));
    assert_false(flag(&read_done));
    assert_int_equal(available(e), 10);
    assert_int_equal(orders_created(e), 0);

    pthread_mutex_lock(&sync_mu);
    sync_released = true;
    pthread_cond_broadcast(&sync_cv);
    pthread_mutex_unlock(&sync_mu);
    assert_true(wait_flag(&order_done));
    assert_true(wait_flag(&read_done));
    assert_int_equal(order.err, OMS_OK);
    assert_int_equal(read.err, OMS_OK);
    assert_int_equal(available(e), 9);
    assert_int_equal(orders_created(e), 1);
    pthread_mutex_lock(&sync_mu);
    assert_true(sync_calls > calls_before);
    pthread_mutex_unlock(&sync_mu);
    oms_command_release(&order);
    oms_command_release(&read);

    /* What was acknowledged is what a restart loads. */
    harness_reopen(&e, path);
    assert_int_equal(available(e), 9);
    assert_int_equal(orders_created(e), 1);
    oms_engine_close(e);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    return size;
}

struct orders_count {
    uint32_t orders;
};

static void count_orders(const struct oms_state *state, void *ctx)
{
    ((struct orders_count *)ctx)->orders = state->orders_count;
}

/* Checkpoints run off the writer (decision 38): the WAL stays bounded while orders keep
 * coming (the writer's own automatic checkpoint is off, so without the checkpointer and the
 * writer's fallback past 8x the WAL would hold every order since the start), the database file
 * itself receives them, and a reopen loads everything. The first checkpoints' syncs of the
 * database file take 300 ms (a slow disk, a loaded machine): past 8x the writer waits for
 * the checkpointer's checkpoint to end rather than commit on while SQLite refuses it a
 * second one. */
static void test_sync__checkpoints_keep_the_wal_bounded(void **state)
{
    (void)state;
    enum { FRAMES = 40, ORDERS = 1500 };
    char frames[16];
    snprintf(frames, sizeof frames, "%d", FRAMES);
    setenv("OMS_CHECKPOINT_FRAMES", frames, 1);
    char path[512], wal[600];
    harness_db_path(path, sizeof path, "sync-checkpoint");
    snprintf(wal, sizeof wal, "%s-wal", path);
    struct oms_engine *e = harness_open(path);
    static const char *const wh1[] = {"WH1"};
    harness_location(e, "WH1", "UK", 1, 0);
    harness_channel(e, "web", wh1, 1, 0, false, 1);
    harness_item(e, "A", OMS_POLICY_DENY, 0, 0, true);
    harness_set_stock(e, "A", "WH1", 1000000);
    long db_before = file_size(path);
    static const char *const skus[] = {"A"};
    static const oms_qty qtys[] = {1};
    long wal_max = 0;
    pthread_mutex_lock(&sync_mu);
    slow_db_syncs = 3;
    pthread_mutex_unlock(&sync_mu);
    for (int i = 0; i < ORDERS; i++) {
        char id[32];
        snprintf(id, sizeof id, "C%d", i);
        assert_int_equal(harness_order(e, id, "web", NULL, NULL, skus, qtys, 1), OMS_OK);
        long size = file_size(wal);
        if (size > wal_max) wal_max = size;
    }
    /* A page frame is 4,096 bytes and a 24-byte header; the bound, plus the commit that
     * crossed it and room for the checkpointer's lag. */
    long bound = (8L * FRAMES + 2L * FRAMES) * (4096 + 24) + 32;
    assert_true(wal_max <= bound);
    pthread_mutex_lock(&sync_mu);
    assert_int_equal(slow_db_syncs, 0); /* The checkpoints were slow indeed. */
    pthread_mutex_unlock(&sync_mu);
    assert_true(file_size(path) > db_before); /* The orders reached the database file. */
    oms_engine_close(e);
    e = harness_open(path);
    struct orders_count n = {0};
    harness_inspect(e, count_orders, &n);
    assert_int_equal(n.orders, ORDERS);
    oms_engine_close(e);
    unsetenv("OMS_CHECKPOINT_FRAMES");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync__nothing_leaves_before_the_sync_and_the_writer_goes_on),
        cmocka_unit_test(test_sync__checkpoints_keep_the_wal_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
