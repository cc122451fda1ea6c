/*
 * engine.c - the single writer: a bounded queue of commands, batches applied in one store
 * transaction each (group commit), idempotency, the engine clock; and the syncer, which makes
 * each committed batch durable before anyone hears of it (answers, the index, webhooks).
 * See engine.h for the contract.
 *
 * The commit is pipelined: the writer commits batch N without waiting for the disk and hands
 * it to the syncer, which syncs the WAL (one fdatasync for every batch waiting) while the
 * writer decides batch N+1 on the model that already holds N. Nothing of N leaves the process
 * before N's sync: its answers, its index snapshots, its events (readers of the outbox stop
 * at the last durable event) and the webhook wake-up all wait for it. A crash before the sync
 * loses N and every later batch together (the WAL is replayed in order up to its last synced
 * commit), none of which anyone was told about (decision 35).
 */
#include "base/platform.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/assert.h"
#include "base/log.h"
#include "engine/clock.h"
#include "engine/engine.h"
#include "engine/index.h"
#include "engine/notices.h"
#include "engine/tz.h"
#include "engine/webhooks.h"
#include "engine/writer.h"

/* A batch the writer committed, waiting for its sync; then published in commit order. */
struct sync_job {
    struct sync_job *next;
    struct oms_command **cmds;
    uint32_t count;
    bool writes;                   /* Something to sync (a batch of reads only has not). */
    bool webhooks_changed;         /* The batch registered, removed or re-queued webhooks. */
    struct oms_index_change *index; /* NULL: the batch changed nothing readers see. */
    int64_t clock_ms, next_expiry_ms, next_day_end_ms;
    int64_t event_seq; /* The last event of the batch (or before it). */
};

/* Batches committed but not yet published, at most: the writer waits when the disk falls that
 * far behind (each batch holds its commands' answers in memory until then). */
#define SYNC_JOBS_MAX 4

struct oms_engine {
    struct oms_writer writer;
    struct oms_index *index;
    struct oms_store *reader; /* Read-only connection for the event feed. */
    pthread_mutex_t reader_lock;

    pthread_mutex_t lock; /* Guards the queue and stopping. */
    pthread_cond_t wake;
    struct oms_command **queue; /* Ring of OMS_QUEUE_MAX. */
    uint32_t head, count;
    bool stopping;
    pthread_t thread;
    int64_t clock_ms; /* Last committed engine clock, for readers (guarded by lock). */
    struct oms_webhooks *webhooks; /* Webhook dispatcher and reads (set before the writer runs). */
    /* The hold timer (options.hold_timer_ms): ticks the clock to now once a hold is due. */
    int64_t hold_timer_ms;
    int64_t next_expiry_ms; /* Earliest expiry of an active hold (guarded by lock). */
    int64_t next_day_end_ms; /* Earliest end of a location's local day (guarded by lock). */
    bool timer_running, timer_stopping, tick_in_flight; /* Guarded by lock. */
    pthread_t timer;
    pthread_cond_t timer_wake;
    struct oms_command tick; /* The timer's one command in flight. */
    /* The syncer. Its queue, count and stopping are guarded by sync_lock. */
    pthread_t syncer;
    pthread_mutex_t sync_lock;
    pthread_cond_t sync_wake, sync_room;
    struct sync_job *jobs_head, *jobs_tail;
    uint32_t jobs_count; /* Pushed and not yet published. */
    bool sync_stopping;
    int64_t durable_event_seq; /* Readers of the outbox see events up to here (guarded by lock). */
    /* The checkpointer: copies the WAL into the database file on its own connection, so the
     * writer does not stall for it (decision 38). Guarded by sync_lock. */
    struct oms_store *checkpoint_store;
    pthread_t checkpointer;
    pthread_cond_t checkpoint_wake;
    pthread_cond_t checkpoint_idle; /* The checkpointer finished a checkpoint. */
    bool checkpoint_wanted, checkpoint_stopping;
    bool checkpoint_running; /* The checkpointer holds SQLite's checkpoint lock, or may. */
    uint32_t checkpoint_frames; /* WAL frames that call for a checkpoint (8x: the writer's). */
    uint32_t checkpoint_mark;   /* WAL frames at the last request (writer thread only). */
    /* Counts for the log line at close: how well commits were grouped (syncer thread only). */
    uint64_t stat_commands, stat_batches, stat_syncs;
    uint64_t stat_checkpoints, stat_writer_checkpoints; /* Checkpointer's; writer's own. */
};

typedef enum oms_err (*apply_fn)(struct oms_writer *w, struct oms_command *cmd);

static const apply_fn handlers[] = {
    [OMS_CMD_READ] = NULL,
    [OMS_CMD_PUT_ITEM] = oms__apply_put_item,
    [OMS_CMD_PUT_LOCATION] = oms__apply_put_location,
    [OMS_CMD_PUT_CHANNEL] = oms__apply_put_channel,
    [OMS_CMD_ADJUST] = oms__apply_adjust,
    [OMS_CMD_SUPPLY_CREATE] = oms__apply_supply_create,
    [OMS_CMD_SUPPLY_RECEIVE] = oms__apply_supply_receive,
    [OMS_CMD_ORDER_PLACE] = oms__apply_order_place,
    [OMS_CMD_ORDER_CANCEL] = oms__apply_order_cancel,
    [OMS_CMD_ORDER_SHIP] = oms__apply_order_ship,
    [OMS_CMD_CLOCK] = oms__apply_clock,
    [OMS_CMD_SUPPLY_UPDATE] = oms__apply_supply_update,
    [OMS_CMD_REPEG] = oms__apply_repeg,
    [OMS_CMD_ORDER_RETURN] = oms__apply_order_return,
    [OMS_CMD_ORDER_UNSHIP] = oms__apply_order_unship,
    [OMS_CMD_ORDER_ACCEPT_DELAY] = oms__apply_accept_delay,
    [OMS_CMD_SUBSCRIBE] = oms__apply_subscribe,
    [OMS_CMD_WEBHOOK_CREATE] = oms__apply_webhook_create,
    [OMS_CMD_WEBHOOK_DELETE] = oms__apply_webhook_delete,
    [OMS_CMD_DELIVERY_REDELIVER] = oms__apply_delivery_redeliver,
    [OMS_CMD_DELIVERY_UPDATE] = oms__apply_delivery_update,
    [OMS_CMD_HOLD_CREATE] = oms__apply_hold_create,
    [OMS_CMD_HOLD_RELEASE] = oms__apply_hold_release,
    [OMS_CMD_PUT_CHANNEL_ITEM] = oms__apply_put_channel_item,
    [OMS_CMD_PUT_REGION] = oms__apply_put_region,
    [OMS_CMD_SNAPSHOT] = oms__apply_snapshot,
};

/* The item a dry run may change, or OMS_NONE (the handler then fails its validation). */
static uint32_t dry_run_item(const struct oms_state *state, const struct oms_command *cmd)
{
    uint32_t supply = OMS_NONE;
    switch (cmd->kind) {
    case OMS_CMD_SUPPLY_CREATE:
        return oms_state_item(state, cmd->u.supply.sku);
    case OMS_CMD_REPEG:
        return oms_state_item(state, cmd->u.sku);
    case OMS_CMD_SUPPLY_RECEIVE:
        supply = oms_state_supply(state, cmd->u.receive.id);
        break;
    case OMS_CMD_SUPPLY_UPDATE:
        supply = oms_state_supply(state, cmd->u.supply_update.id);
        break;
    default:
        OMS_ASSERT(false); /* The edge allows dry_run on supply commands and repeg only. */
    }
    return supply == OMS_NONE ? OMS_NONE : state->supplies[supply].item;
}

/* Moves the engine clock to the command's instant (never backwards); a new local day
 * re-runs every waiting queue (overdue supply, releases: rule 3's clock tick). */
static void advance_clock(struct oms_writer *w, const struct oms_command *cmd)
{
    int64_t at = cmd->at_ms ? cmd->at_ms : oms_now_ms();
    w->at_ms = at;
    if (at > w->state.clock_ms) w->state.clock_ms = at;
    /* Holds due by now expire before the command sees the stock (and before a new day's
     * re-runs, which then include the units they freed). */
    oms__expire_holds(w);
    if (oms__refresh_days(w)) {
        w->cause = "clock";
        for (uint32_t i = 0; i < w->state.items_count; i++) {
            if (w->state.items[i].queue_count > 0) oms__repeg(w, i, OMS_NONE);
        }
        w->cause = NULL;
    }
    oms__flush_stock_events(w);
}

/* Rule 8: a retry with the same body gets the first answer; another body is a conflict.
 * Returns true when the command was answered here. */
static bool replay_if_known(struct oms_writer *w, struct oms_command *cmd)
{
    char fingerprint[65] = "";
    char *body = NULL;
    size_t len = 0;
    int status = 0;
    enum oms_err err = OMS_ENOTFOUND;
    if (cmd->idem_key) {
        err = oms_store_idem_get(w->store, cmd->idem_key, fingerprint, &status, &body, &len);
        if (err != OMS_ENOTFOUND) oms__must(err, "read an idempotency key");
    }
    if (err == OMS_ENOTFOUND && cmd->kind == OMS_CMD_ORDER_PLACE) {
        uint32_t order = oms_state_order(&w->state, cmd->u.order.id);
        if (order == OMS_NONE) return false;
        snprintf(fingerprint, sizeof fingerprint, "%s", w->state.orders[order].fingerprint);
        oms__must(oms_store_order_answer(w->store, order, &body, &len),
                  "read an order's first answer");
        cmd->result_index = order;
        err = OMS_OK;
    }
    /* Hold ids are unique like order ids: the same body again is a retry. */
    if (err == OMS_ENOTFOUND && cmd->kind == OMS_CMD_HOLD_CREATE) {
        uint32_t hold = oms_state_hold(&w->state, cmd->u.hold.id);
        if (hold == OMS_NONE) return false;
        snprintf(fingerprint, sizeof fingerprint, "%s", w->state.holds[hold].fingerprint);
        oms__must(oms_store_hold_answer(w->store, cmd->u.hold.id, &body, &len),
                  "read a hold's first answer");
        cmd->result_index = hold;
        err = OMS_OK;
    }
    bool by_snapshot = false;
    if (err == OMS_ENOTFOUND && cmd->kind == OMS_CMD_SNAPSHOT && cmd->u.snapshot.id) {
        /* A snapshot's id is its idempotency key: an ERP re-sending its nightly file gets the
         * first report, not a second application. */
        err = oms_store_snapshot_get(w->store, cmd->u.snapshot.id, fingerprint, &body, &len);
        if (err != OMS_ENOTFOUND) oms__must(err, "read a snapshot");
        by_snapshot = true;
    }
    if (err == OMS_ENOTFOUND) return false;
    if (strcmp(fingerprint, cmd->fingerprint) != 0 || !fingerprint[0]) {
        free(body);
        (void)oms__fail(cmd, OMS_EIDEMPOTENCY, cmd->idem_key ? NULL : "id",
                        "%s was used before with a different body",
                        cmd->idem_key                        ? "this Idempotency-Key"
                        : cmd->kind == OMS_CMD_HOLD_CREATE ? "this hold id"
                        : by_snapshot                      ? "this snapshot id"
                                                             : "this order id");
        return true;
    }
    cmd->answer = body;
    cmd->answer_len = len;
    cmd->status = 200;
    cmd->replayed = true;
    return true;
}

static void process(struct oms_writer *w, struct oms_command *cmd)
{
    cmd->err = OMS_OK;
    cmd->err_field[0] = cmd->err_message[0] = '\0';
    cmd->replayed = false;
    cmd->answer = NULL;
    cmd->answer_len = 0;
    cmd->changes = NULL;
    cmd->changes_count = 0;
    cmd->status = 200;
    if (cmd->kind != OMS_CMD_READ) {
        /* A dry run is never stored under a key, nor answered from one: it is a question. */
        if (!cmd->dry_run && replay_if_known(w, cmd)) return;
        /* A dry run answers as of the engine clock: moving the clock would run the queues
         * for real (a new day), which a dry run must never do. */
        if (cmd->dry_run) {
            w->at_ms = w->state.clock_ms;
        } else {
            advance_clock(w, cmd);
        }
        OMS_ASSERT((size_t)cmd->kind < OMS_ARRAY_LEN(handlers) && handlers[cmd->kind]);
        w->changes_count = 0;
        struct oms_dry_snapshot *snapshot = NULL, **snapshots = NULL;
        uint32_t snapshots_count = 0;
        if (cmd->dry_run && cmd->kind == OMS_CMD_SNAPSHOT) {
            snapshots_count = oms__dry_begin_items(w, cmd, &snapshots);
        } else if (cmd->dry_run) {
            uint32_t item = dry_run_item(&w->state, cmd);
            if (item != OMS_NONE) snapshot = oms__dry_begin(w, item);
        }
        enum oms_err err = handlers[cmd->kind](w, cmd);
        if (snapshot) oms__dry_end(w, snapshot);
        while (snapshots_count > 0) oms__dry_end(w, snapshots[--snapshots_count]);
        free(snapshots);
        if (err != OMS_OK) {
            OMS_ASSERT(w->touched_count == 0); /* A failed command changed nothing. */
            oms__notices_after_command(w);     /* But its instant may have started a day. */
            return;
        }
        oms__flush_stock_events(w);
        oms__notices_after_command(w);
        if (w->changes_count > 0) {
            cmd->changes = malloc(w->changes_count * sizeof *cmd->changes);
            OMS_ASSERT(cmd->changes != NULL);
            memcpy(cmd->changes, w->changes, w->changes_count * sizeof *cmd->changes);
            cmd->changes_count = w->changes_count;
        }
    }
    if (cmd->encode) cmd->answer = cmd->encode(cmd, &w->state, &cmd->answer_len);
    if (cmd->kind == OMS_CMD_ORDER_PLACE) {
        oms__must(oms_store_save_order(w->store, &w->state, cmd->result_index, cmd->answer,
                                       cmd->answer_len),
                  "save an order");
        if (w->state.orders[cmd->result_index].hold_id) {
            oms__must(oms_store_save_order_hold(w->store, &w->state, cmd->result_index),
                      "save an order's hold");
        }
    }
    if (cmd->kind == OMS_CMD_HOLD_CREATE) {
        oms__must(oms_store_set_hold_answer(w->store, w->state.holds[cmd->result_index].id,
                                            cmd->answer, cmd->answer_len),
                  "save a hold's first answer");
    }
    if (cmd->kind == OMS_CMD_SNAPSHOT && !cmd->dry_run) oms__save_snapshot(w, cmd);
    if (cmd->idem_key && cmd->kind != OMS_CMD_READ && !cmd->dry_run) {
        oms__must(oms_store_idem_put(w->store, cmd->idem_key, cmd->fingerprint, cmd->status,
                                     cmd->answer ? cmd->answer : "", cmd->answer_len,
                                     w->state.clock_ms),
                  "save an idempotency key");
    }
}

/* After a commit: the checkpointer copies the WAL once it holds checkpoint_frames; frames
 * committed meanwhile keep it from starting over, so past 8x that the writer copies the rest
 * itself (little: the checkpointer kept up) and the WAL starts over at the next commit. */
static void want_checkpoint(struct oms_engine *engine)
{
    uint32_t frames = oms_store_wal_frames(engine->writer.store);
    if (frames < engine->checkpoint_mark) engine->checkpoint_mark = 0; /* It started over. */
    if (frames >= 8 * engine->checkpoint_frames) {
        /* SQLite refuses a second checkpoint while one runs (without waiting), so the
         * writer waits for the checkpointer's to end: a checkpointer slowed down (a loaded
         * machine) must not let the WAL grow past the bound while the writer commits on. */
        pthread_mutex_lock(&engine->sync_lock);
        engine->checkpoint_wanted = false;
        while (engine->checkpoint_running) {
            pthread_cond_wait(&engine->checkpoint_idle, &engine->sync_lock);
        }
        pthread_mutex_unlock(&engine->sync_lock);
        oms__must(oms_store_checkpoint(engine->writer.store), "checkpoint the WAL");
        engine->stat_writer_checkpoints++;
    } else if (frames >= engine->checkpoint_mark + engine->checkpoint_frames) {
        /* Once per checkpoint_frames new frames: each checkpoint syncs the WAL and the file. */
        engine->checkpoint_mark = frames;
        pthread_mutex_lock(&engine->sync_lock);
        engine->checkpoint_wanted = true;
        pthread_cond_signal(&engine->checkpoint_wake);
        pthread_mutex_unlock(&engine->sync_lock);
    }
}

static void *checkpointer_main(void *arg)
{
    struct oms_engine *engine = arg;
    pthread_mutex_lock(&engine->sync_lock);
    for (;;) {
        while (!engine->checkpoint_wanted && !engine->checkpoint_stopping) {
            pthread_cond_wait(&engine->checkpoint_wake, &engine->sync_lock);
        }
        if (engine->checkpoint_stopping) break;
        engine->checkpoint_wanted = false;
        engine->checkpoint_running = true;
        pthread_mutex_unlock(&engine->sync_lock);
        /* A failure leaves the frames in the WAL, where they are safe: the next try (or the
         * writer's, past the bound) copies them. */
        if (oms_store_checkpoint(engine->checkpoint_store) != OMS_OK) {
            oms_log(OMS_LOG_WARN, "the checkpointer could not copy the WAL; it will retry");
        }
        pthread_mutex_lock(&engine->sync_lock);
        engine->checkpoint_running = false;
        pthread_cond_broadcast(&engine->checkpoint_idle);
        engine->stat_checkpoints++;
    }
    pthread_mutex_unlock(&engine->sync_lock);
    return NULL;
}

/* Decides and commits one batch (the store does not wait for the disk: the syncer does);
 * returns what the syncer must make durable and then publish. */
static struct sync_job *run_batch(struct oms_engine *engine, struct oms_command **batch,
                                  uint32_t count)
{
    struct oms_writer *w = &engine->writer;
    bool writes = false;
    for (uint32_t i = 0; i < count; i++) writes |= batch[i]->kind != OMS_CMD_READ;
    if (writes) oms__must(oms_store_begin(w->store), "begin a transaction");
    for (uint32_t i = 0; i < count; i++) process(w, batch[i]);
    if (writes) {
        oms__must(oms_store_meta_put(w->store, "clock_ms", w->state.clock_ms), "save the clock");
        oms__save_levels(w, false);
        oms__must(oms_store_commit(w->store), "commit");
        want_checkpoint(engine);
    }
    struct sync_job *job = calloc(1, sizeof *job);
    OMS_ASSERT(job != NULL);
    job->cmds = malloc(count * sizeof *job->cmds);
    OMS_ASSERT(job->cmds != NULL);
    memcpy(job->cmds, batch, count * sizeof *batch);
    job->count = count;
    job->writes = writes;
    job->webhooks_changed = w->webhooks_changed;
    w->webhooks_changed = false;
    if (w->dirty_count > 0 || w->master_dirty) {
        job->index = oms_index_prepare(&w->state, w->master_dirty, w->dirty_items, w->dirty_count);
        for (uint32_t i = 0; i < w->dirty_count; i++) w->item_dirty[w->dirty_items[i]] = 0;
        w->dirty_count = 0;
        w->master_dirty = false;
    }
    job->clock_ms = w->state.clock_ms;
    job->next_expiry_ms = oms_state_hold_next_expiry(&w->state);
    job->next_day_end_ms = oms__next_day_end_ms(w);
    job->event_seq = w->event_seq;
    return job;
}

static void sync_push(struct oms_engine *engine, struct sync_job *job)
{
    pthread_mutex_lock(&engine->sync_lock);
    while (engine->jobs_count >= SYNC_JOBS_MAX) {
        pthread_cond_wait(&engine->sync_room, &engine->sync_lock);
    }
    if (engine->jobs_tail) {
        engine->jobs_tail->next = job;
    } else {
        engine->jobs_head = job;
    }
    engine->jobs_tail = job;
    engine->jobs_count++;
    pthread_cond_signal(&engine->sync_wake);
    pthread_mutex_unlock(&engine->sync_lock);
}

/* A durable batch: the index first, so a client that reads right after its answer sees its
 * own write; then what readers of the engine's clock and the outbox see; then the answers. */
static void publish(struct oms_engine *engine, struct sync_job *job)
{
    if (job->index) oms_index_apply(engine->index, job->index);
    pthread_mutex_lock(&engine->lock);
    engine->clock_ms = job->clock_ms;
    engine->next_expiry_ms = job->next_expiry_ms;
    engine->next_day_end_ms = job->next_day_end_ms;
    engine->durable_event_seq = job->event_seq;
    pthread_mutex_unlock(&engine->lock);
    if (job->writes) oms__webhooks_wake(engine->webhooks, job->webhooks_changed);
    for (uint32_t i = 0; i < job->count; i++) job->cmds[i]->done(job->cmds[i]);
    free(job->cmds);
    free(job);
}

static void *syncer_main(void *arg)
{
    struct oms_engine *engine = arg;
    for (;;) {
        pthread_mutex_lock(&engine->sync_lock);
        while (!engine->jobs_head && !engine->sync_stopping) {
            pthread_cond_wait(&engine->sync_wake, &engine->sync_lock);
        }
        struct sync_job *jobs = engine->jobs_head;
        engine->jobs_head = engine->jobs_tail = NULL;
        pthread_mutex_unlock(&engine->sync_lock);
        if (!jobs) break; /* Stopping, and every batch published. */
        bool writes = false;
        for (struct sync_job *j = jobs; j; j = j->next) writes |= j->writes;
        /* One sync for every batch committed so far (group commit across batches). */
        if (writes) oms__must(oms_store_sync(engine->writer.store), "sync the WAL");
        engine->stat_syncs += writes;
        uint32_t published = 0;
        while (jobs) {
            struct sync_job *next = jobs->next;
            engine->stat_batches++;
            engine->stat_commands += jobs->count;
            publish(engine, jobs);
            jobs = next;
            published++;
        }
        pthread_mutex_lock(&engine->sync_lock);
        engine->jobs_count -= published;
        pthread_cond_broadcast(&engine->sync_room);
        pthread_mutex_unlock(&engine->sync_lock);
    }
    return NULL;
}

static void *writer_main(void *arg)
{
    struct oms_engine *engine = arg;
    struct oms_command **batch = malloc(OMS_BATCH_MAX * sizeof *batch);
    OMS_ASSERT(batch != NULL);
    for (;;) {
        pthread_mutex_lock(&engine->lock);
        while (engine->count == 0 && !engine->stopping) {
            pthread_cond_wait(&engine->wake, &engine->lock);
        }
        if (engine->count == 0 && engine->stopping) {
            pthread_mutex_unlock(&engine->lock);
            break;
        }
        uint32_t count = 0;
        while (engine->count > 0 && count < OMS_BATCH_MAX) {
            batch[count++] = engine->queue[engine->head];
            engine->head = (engine->head + 1) % OMS_QUEUE_MAX;
            engine->count--;
        }
        pthread_mutex_unlock(&engine->lock);
        sync_push(engine, run_batch(engine, batch, count));
    }
    free(batch);
    return NULL;
}

static void tick_done(struct oms_command *cmd)
{
    struct oms_engine *engine = cmd->user;
    if (cmd->err) oms_log(OMS_LOG_WARN, "hold timer tick failed: %s", oms_err_message(cmd->err));
    oms_command_release(cmd);
    pthread_mutex_lock(&engine->lock);
    engine->tick_in_flight = false;
    pthread_mutex_unlock(&engine->lock);
}

/* A live clock (one that follows wall time: within LIVE_CLOCK_MS of it) also ticks at each
 * location's local midnight, so the read path never answers with yesterday's dates through a
 * night without writes. A clock far behind (a replayed history, the demo) is left where it is
 * until a request moves it: the timer never jumps it to now by itself. */
#define LIVE_CLOCK_MS (2 * 86400000LL)

static bool tick_due(const struct oms_engine *engine, int64_t now)
{
    if (engine->next_expiry_ms <= now) return true;
    return engine->next_day_end_ms <= now && now - engine->clock_ms <= LIVE_CLOCK_MS;
}

/* Holds expire at the first command after their expiry; with no traffic, this thread sends
 * that command: a clock tick at now (wall time), as live traffic without "at" would, once the
 * earliest active hold's expiry has passed, or a live clock's local day has ended. One tick in
 * flight at a time, never awaited. */
static void *hold_timer_main(void *arg)
{
    struct oms_engine *engine = arg;
    pthread_mutex_lock(&engine->lock);
    while (!engine->timer_stopping) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        int64_t ns = (int64_t)deadline.tv_nsec + engine->hold_timer_ms * 1000000;
        deadline.tv_sec += (time_t)(ns / 1000000000);
        deadline.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&engine->timer_wake, &engine->lock, &deadline);
        int64_t now = oms_now_ms();
        if (engine->timer_stopping || engine->tick_in_flight || !tick_due(engine, now)) continue;
        engine->tick_in_flight = true;
        memset(&engine->tick, 0, sizeof engine->tick);
        engine->tick.kind = OMS_CMD_CLOCK;
        engine->tick.at_ms = now;
        engine->tick.done = tick_done;
        engine->tick.user = engine;
        pthread_mutex_unlock(&engine->lock);
        enum oms_err err = oms_engine_submit(engine, &engine->tick);
        pthread_mutex_lock(&engine->lock);
        if (err) engine->tick_in_flight = false; /* Busy: the next round tries again. */
    }
    pthread_mutex_unlock(&engine->lock);
    return NULL;
}

void oms_engine_start_hold_timer(struct oms_engine *engine, int64_t period_ms)
{
    OMS_ASSERT(period_ms > 0);
    OMS_ASSERT(!engine->timer_running);
    engine->hold_timer_ms = period_ms;
    engine->timer_running = true;
    OMS_ASSERT(pthread_create(&engine->timer, NULL, hold_timer_main, engine) == 0);
}

static void level_stale(void *ctx, uint32_t item, uint32_t location)
{
    oms__level_stale(ctx, item, location);
}

enum oms_err oms_engine_open(const struct oms_engine_options *options, struct oms_engine **out)
{
    struct oms_engine *engine = calloc(1, sizeof *engine);
    if (!engine) return OMS_ENOMEM;
    struct oms_writer *w = &engine->writer;
    oms_state_init(&w->state);
    w->fills_location = OMS_NONE;
    const char *sweep = getenv("OMS_LEVELS_SWEEP_BATCHES"); /* Tests checkpoint often. */
    w->sweep_batches = sweep && atoi(sweep) > 0 ? (uint32_t)atoi(sweep) : OMS_LEVELS_SWEEP_BATCHES;
    enum oms_err err = oms_store_open(options->db_path, options->exclusive, false, &w->store);
    if (!err) err = oms_store_load(w->store, &w->state);
    /* The rows of the levels the load replayed are stale: the sweep's first pass saves them
     * before it moves the checkpoint past the ledger rows it replayed. */
    if (!err) err = oms_store_each_tail_level(w->store, &w->state, level_stale, w);
    if (!err) w->sweep_seq = oms_store_ledger_seq(w->store);
    if (!err) err = oms_store_last_event_seq(w->store, &w->event_seq);
    if (!err) err = oms_store_defer_sync(w->store); /* The syncer makes commits durable. */
    if (!err) err = oms_store_open(options->db_path, false, false, &engine->checkpoint_store);
    if (!err) err = oms_store_open(options->db_path, false, true, &engine->reader);
    if (!err) err = oms__notices_open(w);
    if (err) {
        oms__notices_free(w->notices);
        oms_store_close(engine->reader);
        oms_store_close(engine->checkpoint_store);
        oms_store_close(w->store);
        oms_state_release(&w->state);
        free(engine);
        return err;
    }
    w->tz = calloc(OMS_LOCATIONS_MAX, sizeof *w->tz);
    OMS_ASSERT(w->tz != NULL);
    for (uint32_t i = 0; i < w->state.locations_count; i++) {
        w->tz[i] = oms_tz_open(w->state.locations[i].timezone);
        OMS_ASSERT(w->tz[i] != NULL);
    }
    (void)oms__refresh_days(w);
    oms__cap_recount(w);
    oms__notices_baseline(w);
    engine->index = oms_index_new();
    uint32_t *all = malloc((w->state.items_count + 1) * sizeof *all);
    OMS_ASSERT(all != NULL);
    for (uint32_t i = 0; i < w->state.items_count; i++) all[i] = i;
    oms_index_update(engine->index, &w->state, true, all, w->state.items_count);
    free(all);
    w->master_dirty = false;
    engine->clock_ms = w->state.clock_ms;
    engine->durable_event_seq = w->event_seq;
    engine->queue = calloc(OMS_QUEUE_MAX, sizeof *engine->queue);
    OMS_ASSERT(engine->queue != NULL);
    pthread_mutex_init(&engine->lock, NULL);
    pthread_mutex_init(&engine->reader_lock, NULL);
    pthread_cond_init(&engine->wake, NULL);
    pthread_cond_init(&engine->timer_wake, NULL);
    pthread_mutex_init(&engine->sync_lock, NULL);
    pthread_cond_init(&engine->sync_wake, NULL);
    pthread_cond_init(&engine->sync_room, NULL);
    pthread_cond_init(&engine->checkpoint_wake, NULL);
    pthread_cond_init(&engine->checkpoint_idle, NULL);
    const char *frames = getenv("OMS_CHECKPOINT_FRAMES"); /* Tests checkpoint often. */
    engine->checkpoint_frames = frames && atoi(frames) > 0 ? (uint32_t)atoi(frames) : 1000;
    engine->next_expiry_ms = oms_state_hold_next_expiry(&w->state);
    engine->next_day_end_ms = oms__next_day_end_ms(w);
    err = oms__webhooks_open(engine, options, &engine->webhooks);
    OMS_ASSERT(pthread_create(&engine->syncer, NULL, syncer_main, engine) == 0);
    OMS_ASSERT(pthread_create(&engine->checkpointer, NULL, checkpointer_main, engine) == 0);
    OMS_ASSERT(pthread_create(&engine->thread, NULL, writer_main, engine) == 0);

    if (err) {
        oms_engine_close(engine);
        return err;
    }
    *out = engine;
    return OMS_OK;
}

void oms_engine_close(struct oms_engine *engine)
{
    if (!engine) return;
    if (engine->timer_running) { /* Before the writer: its tick goes through the writer. */
        pthread_mutex_lock(&engine->lock);
        engine->timer_stopping = true;
        pthread_cond_signal(&engine->timer_wake);
        pthread_mutex_unlock(&engine->lock);
        pthread_join(engine->timer, NULL);
        engine->timer_running = false;
    }
    oms__webhooks_stop(engine->webhooks); /* Its last results still go through the writer. */
    pthread_mutex_lock(&engine->lock);
    engine->stopping = true;
    pthread_cond_signal(&engine->wake);
    pthread_mutex_unlock(&engine->lock);
    pthread_join(engine->thread, NULL);
    pthread_mutex_lock(&engine->sync_lock); /* After the writer: it pushed its last batch. */
    engine->sync_stopping = true;
    pthread_cond_signal(&engine->sync_wake);
    pthread_mutex_unlock(&engine->sync_lock);
    pthread_join(engine->syncer, NULL);
    pthread_mutex_lock(&engine->sync_lock);
    engine->checkpoint_stopping = true;
    pthread_cond_signal(&engine->checkpoint_wake);
    pthread_mutex_unlock(&engine->sync_lock);
    pthread_join(engine->checkpointer, NULL);
    if (engine->stat_batches > 0) {
        oms_log(OMS_LOG_INFO,
                "engine: %llu commands in %llu batches, %llu WAL syncs, %llu checkpoints"
                " (%llu by the writer past the bound)",
                (unsigned long long)engine->stat_commands,
                (unsigned long long)engine->stat_batches, (unsigned long long)engine->stat_syncs,
                (unsigned long long)(engine->stat_checkpoints + engine->stat_writer_checkpoints),
                (unsigned long long)engine->stat_writer_checkpoints);
    }
    oms__webhooks_free(engine->webhooks);
    struct oms_writer *w = &engine->writer;
    /* Every row current again: readers of the file see the levels without the ledger. */
    if (w->levels_stale > 0 || oms_store_levels_tail(w->store) > 0) {
        oms__must(oms_store_begin(w->store), "begin a transaction");
        oms__save_levels(w, true);
        oms__must(oms_store_commit(w->store), "commit");
        oms__must(oms_store_sync(w->store), "sync the WAL");
    }
    for (uint32_t i = 0; i < OMS_LOCATIONS_MAX; i++) oms_tz_close(w->tz[i]);
    free(w->tz);
    free(w->item_dirty);
    free(w->dirty_items);
    free(w->touched);
    free(w->touched_locations);
    free(w->level_dirty);
    free(w->fills);
    free(w->spare_view);
    oms__notices_free(w->notices);
    free(w->changes);
    free(w->to_cancel);
    /* The readers first: the last connection to close checkpoints the WAL into the file. */
    oms_store_close(engine->reader);
    oms_store_close(engine->checkpoint_store);
    oms_store_close(w->store);
    oms_state_release(&w->state);
    oms_index_free(engine->index);
    free(engine->queue);
    pthread_mutex_destroy(&engine->lock);
    pthread_mutex_destroy(&engine->reader_lock);
    pthread_cond_destroy(&engine->wake);
    pthread_cond_destroy(&engine->timer_wake);
    pthread_mutex_destroy(&engine->sync_lock);
    pthread_cond_destroy(&engine->sync_wake);
    pthread_cond_destroy(&engine->sync_room);
    pthread_cond_destroy(&engine->checkpoint_wake);
    pthread_cond_destroy(&engine->checkpoint_idle);
    free(engine);
}

enum oms_err oms_engine_submit(struct oms_engine *engine, struct oms_command *cmd)
{
    OMS_ASSERT(cmd->done != NULL);
    enum oms_err err = OMS_OK;
    pthread_mutex_lock(&engine->lock);
    if (engine->stopping) {
        err = OMS_ESHUTDOWN;
    } else if (engine->count >= OMS_QUEUE_MAX) {
        err = OMS_EBUSY;
    } else {
        engine->queue[(engine->head + engine->count) % OMS_QUEUE_MAX] = cmd;
        engine->count++;
        pthread_cond_signal(&engine->wake);
    }
    pthread_mutex_unlock(&engine->lock);
    return err;
}

enum oms_err oms_engine_submit_many(struct oms_engine *engine, struct oms_command **cmds,
                                     uint32_t count)
{
    enum oms_err err = OMS_OK;
    pthread_mutex_lock(&engine->lock);
    if (engine->stopping) {
        err = OMS_ESHUTDOWN;
    } else if (engine->count + count > OMS_QUEUE_MAX) {
        err = OMS_EBUSY;
    } else {
        for (uint32_t i = 0; i < count; i++) {
            OMS_ASSERT(cmds[i]->done != NULL);
            engine->queue[(engine->head + engine->count) % OMS_QUEUE_MAX] = cmds[i];
            engine->count++;
        }
        pthread_cond_signal(&engine->wake);
    }
    pthread_mutex_unlock(&engine->lock);
    return err;
}

struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done;
};

static void wake_waiter(struct oms_command *cmd)
{
    struct waiter *waiter = cmd->user;
    pthread_mutex_lock(&waiter->lock);
    waiter->done = true;
    pthread_cond_signal(&waiter->done_cond);
    pthread_mutex_unlock(&waiter->lock);
}

enum oms_err oms_engine_execute(struct oms_engine *engine, struct oms_command *cmd)
{
    struct waiter waiter = {.done = false};
    pthread_mutex_init(&waiter.lock, NULL);
    pthread_cond_init(&waiter.done_cond, NULL);
    cmd->done = wake_waiter;
    cmd->user = &waiter;
    enum oms_err err = oms_engine_submit(engine, cmd);
    if (!err) {
        pthread_mutex_lock(&waiter.lock);
        while (!waiter.done) pthread_cond_wait(&waiter.done_cond, &waiter.lock);
        pthread_mutex_unlock(&waiter.lock);
        err = cmd->err;
    }
    pthread_mutex_destroy(&waiter.lock);
    pthread_cond_destroy(&waiter.done_cond);
    return err;
}

void oms_command_release(struct oms_command *cmd)
{
    free(cmd->answer);
    cmd->answer = NULL;
    free(cmd->changes);
    cmd->changes = NULL;
    cmd->changes_count = 0;
    if (cmd->kind == OMS_CMD_SUPPLY_RECEIVE) {
        free(cmd->u.receive.fills);
        cmd->u.receive.fills = NULL;
    }
    if (cmd->kind == OMS_CMD_ORDER_SHIP || cmd->kind == OMS_CMD_ORDER_UNSHIP) {
        free(cmd->u.ship.moves);
        cmd->u.ship.moves = NULL;
        cmd->u.ship.moves_count = 0;
    }
    if (cmd->kind == OMS_CMD_SNAPSHOT) {
        struct oms_cmd_snapshot *c = &cmd->u.snapshot;
        free(c->results);
        free(c->warnings);
        free(c->lines);
        c->results = NULL;
        c->warnings = NULL;
        c->lines = NULL;
        c->warnings_count = c->lines_count = 0;
        c->unchanged = c->changed = c->superseded = 0;
    }
}

enum oms_err oms_engine_availability(struct oms_engine *engine, const char *channel,
                                     const char *sku, oms_qty want, const char *region,
                                     struct oms_availability *out)
{
    return oms_index_query(engine->index, channel, sku, want, region, NULL, out);
}

enum oms_err oms_engine_availability_collect(struct oms_engine *engine, const char *channel,
                                             const char *sku, oms_qty want, const char *region,
                                             const char *collect, struct oms_availability *out)
{
    return oms_index_query(engine->index, channel, sku, want, region, collect, out);
}

enum oms_err oms_engine_feed(struct oms_engine *engine, const char *channel, const char *after,
                             uint32_t limit, oms_feed_visit visit, void *ctx,
                             struct oms_feed_page *page)
{
    return oms_index_feed(engine->index, channel, after, limit, visit, ctx, page);
}

enum oms_err oms_engine_availability_many(
    struct oms_engine *engine, const char *channel, const char *const *skus, size_t count,
    oms_qty want, const char *region, const char *collect,
    void (*visit)(void *ctx, size_t i, const struct oms_availability *a), void *ctx)
{
    return oms_index_query_many(engine->index, channel, skus, count, want, region, collect, visit,
                                ctx);
}

int64_t oms__engine_durable_event_seq(struct oms_engine *engine)
{
    pthread_mutex_lock(&engine->lock);
    int64_t seq = engine->durable_event_seq;
    pthread_mutex_unlock(&engine->lock);
    return seq;
}

/* The outbox as readers see it: events of batches committed but not yet synced are skipped
 * (the page ends early; they come with the next one). */
struct durable_visit {
    void (*visit)(void *ctx, const struct oms_event_row *row);
    void *ctx;
    int64_t durable;
};

static void visit_durable(void *ctx, const struct oms_event_row *row)
{
    struct durable_visit *d = ctx;
    if (row->seq <= d->durable) d->visit(d->ctx, row);
}

enum oms_err oms_engine_events(struct oms_engine *engine, int64_t after, uint32_t limit,
                               void (*visit)(void *ctx, const struct oms_event_row *row),
                               void *ctx)
{
    struct durable_visit d = {visit, ctx, oms__engine_durable_event_seq(engine)};
    pthread_mutex_lock(&engine->reader_lock);
    enum oms_err err = oms_store_list_events(engine->reader, after, limit, visit_durable, &d);
    pthread_mutex_unlock(&engine->reader_lock);
    return err;
}

enum oms_err oms_engine_subject_events(struct oms_engine *engine, const char *subject,
                                       int64_t after, uint32_t limit,
                                       void (*visit)(void *ctx, const struct oms_event_row *row),
                                       void *ctx)
{
    struct durable_visit d = {visit, ctx, oms__engine_durable_event_seq(engine)};
    pthread_mutex_lock(&engine->reader_lock);
    enum oms_err err =
        oms_store_list_subject_events(engine->reader, subject, after, limit, visit_durable, &d);
    pthread_mutex_unlock(&engine->reader_lock);
    return err;
}

enum oms_err oms_engine_snapshot_report(struct oms_engine *engine, const char *id, char **body,
                                        size_t *len)
{
    char fingerprint[65];
    pthread_mutex_lock(&engine->reader_lock);
    enum oms_err err = oms_store_snapshot_get(engine->reader, id, fingerprint, body, len);
    pthread_mutex_unlock(&engine->reader_lock);
    return err;
}

int64_t oms_engine_clock_ms(struct oms_engine *engine)
{
    pthread_mutex_lock(&engine->lock);
    int64_t clock = engine->clock_ms;
    pthread_mutex_unlock(&engine->lock);
    return clock;
}

struct oms_webhooks *oms__engine_webhooks(struct oms_engine *engine) { return engine->webhooks; }
