/*
 * store.h - durable storage of the engine's model (store/model.h), the stock ledger, the
 * event outbox and idempotency keys. The SQLite backend is the default; every write happens
 * inside a transaction the engine's writer opens with oms_store_begin() and ends with
 * oms_store_commit() (WAL, synchronous=FULL: one fsync per batch; or pipelined, see
 * oms_store_defer_sync()). SQL only through prepared
 * statements. The database's own CHECK constraints are a second line of defence: if one
 * fires, the engine has a bug.
 *
 * Ownership: the store keeps no pointer into the model after a call returns. Strings it
 * returns through out-parameters are malloc'd and the caller frees them.
 * Threads: one connection per struct oms_store; use a store from one thread at a time. A
 * second, read-only store on the same file may serve reads (the event feed) concurrently.
 */
#ifndef OMS_STORE_H
#define OMS_STORE_H

#include "base/err.h"
#include "base/platform.h"
#include "store/model.h"

#define OMS_SCHEMA_VERSION 9

struct oms_store;

/* Process-wide SQLite settings (sqlite_library.c). Call once at the start of main, before
 * anything else uses SQLite; later it changes nothing (and nothing breaks). */
void oms_store_library_init(void);

/* Opens (creating and migrating when new) the database at path. With `exclusive`, takes a
 * lock file next to it so a second writer process is refused with OMS_ELOCKED. */
OMS_MUST_CHECK enum oms_err oms_store_open(const char *path, bool exclusive, bool readonly,
                                           struct oms_store **out);
void oms_store_close(struct oms_store *store); /* NULL is a no-op. */

/* Loads every record into an initialised, empty state and derives what is not stored
 * (levels for every location, queues, supply pegged counts). Stock level rows are a
 * checkpoint (oms_store_save_levels_checkpoint): the ledger rows after it are replayed onto
 * them, so the levels are exactly those of the last commit. */
OMS_MUST_CHECK enum oms_err oms_store_load(struct oms_store *store, struct oms_state *state);

OMS_MUST_CHECK enum oms_err oms_store_begin(struct oms_store *store);
OMS_MUST_CHECK enum oms_err oms_store_commit(struct oms_store *store);

/* Pipelined commits (the engine's writer): from now on a commit no longer waits for the disk
 * (synchronous=NORMAL: checkpoints and WAL restarts still sync), and the caller makes every
 * commit so far durable with oms_store_sync() before it tells anyone about them. Syncs first,
 * so that what a previous run left in the operating system's cache is durable too. */
OMS_MUST_CHECK enum oms_err oms_store_defer_sync(struct oms_store *store);
/* fdatasync of the WAL through a descriptor of its own: callable from another thread while
 * the writer goes on with the next transaction (frames of a transaction not committed yet
 * are ignored by recovery). A no-op unless oms_store_defer_sync() was called. */
OMS_MUST_CHECK enum oms_err oms_store_sync(struct oms_store *store);

/* Checkpoints off the writer's thread (decision 38). After oms_store_defer_sync() the writer's
 * connection no longer checkpoints by itself; oms_store_wal_frames() tells how many frames its
 * last commit left in the WAL, and another connection of the same file copies them into the
 * database with oms_store_checkpoint() (PASSIVE: never blocks the writer). Frames committed
 * while it copies keep the WAL from starting over, so when the WAL passes a bound the writer
 * checkpoints the (short) rest itself, with oms_store_checkpoint() on its own connection. */
uint32_t oms_store_wal_frames(const struct oms_store *store);
OMS_MUST_CHECK enum oms_err oms_store_checkpoint(struct oms_store *store);

/* Upserts of one record each, as it is in the model now. */
OMS_MUST_CHECK enum oms_err oms_store_save_item(struct oms_store *store,
                                                const struct oms_state *state, uint32_t item);
OMS_MUST_CHECK enum oms_err oms_store_save_location(struct oms_store *store,
                                                    const struct oms_state *state, uint32_t loc);
OMS_MUST_CHECK enum oms_err oms_store_save_channel(struct oms_store *store,
                                                   const struct oms_state *state, uint32_t ch);
OMS_MUST_CHECK enum oms_err oms_store_save_level(struct oms_store *store,
                                                 const struct oms_state *state, uint32_t item,
                                                 uint32_t location);
/* Records that every level row now reflects the ledger up to its last row (call after
 * saving every level changed since the previous checkpoint, in the same transaction). */
OMS_MUST_CHECK enum oms_err oms_store_levels_checkpoint(struct oms_store *store);
/* The same up to ledger row `seq` (between the last checkpoint and the last row): every level
 * row reflects at least every ledger row up to it; rows after it are replayed by a load. */
OMS_MUST_CHECK enum oms_err oms_store_levels_checkpoint_at(struct oms_store *store, int64_t seq);
/* The ledger's last row (0: none). */
int64_t oms_store_ledger_seq(const struct oms_store *store);
/* Calls fn once for every level a ledger row after the last checkpoint moved (the levels
 * whose rows a load found stale). */
OMS_MUST_CHECK enum oms_err oms_store_each_tail_level(struct oms_store *store,
                                                      const struct oms_state *state,
                                                      void (*fn)(void *ctx, uint32_t item,
                                                                 uint32_t location),
                                                      void *ctx);
/* Ledger rows appended since the last levels checkpoint (what a load would replay). */
int64_t oms_store_levels_tail(const struct oms_store *store);
OMS_MUST_CHECK enum oms_err oms_store_save_supply(struct oms_store *store,
                                                  const struct oms_state *state, uint32_t supply);
/* The order row; `answer` (the first answer's body, may be NULL) is written only on insert. */
OMS_MUST_CHECK enum oms_err oms_store_save_order(struct oms_store *store,
                                                 const struct oms_state *state, uint32_t order,
                                                 const char *answer, size_t answer_len);
/* A region of the distance table (state->table_regions[row]) with every distance it has. */
OMS_MUST_CHECK enum oms_err oms_store_save_region(struct oms_store *store,
                                                  const struct oms_state *state, uint32_t row);
/* The line with its allocations and pegs. */
OMS_MUST_CHECK enum oms_err oms_store_save_line(struct oms_store *store,
                                                const struct oms_state *state, uint32_t line);

/* The channel's rule for the item as it is in the model: upserted, or deleted when the item
 * has none for the channel. */
OMS_MUST_CHECK enum oms_err oms_store_save_rule(struct oms_store *store,
                                                const struct oms_state *state, uint32_t item,
                                                uint32_t channel);

/* A back-in-stock subscription (state->subscriptions[index]), as it is now. */
OMS_MUST_CHECK enum oms_err oms_store_save_subscription(struct oms_store *store,
                                                        const struct oms_state *state,
                                                        uint32_t index);
/* The status last published for an item on a channel (item.status_changed) and whether the
 * item was sellable there (rule 7's waves). */
struct oms_item_status_row {
    uint32_t item, channel;
    int status; /* enum oms_avail_status. */
    oms_qty available;
    bool sellable;
};
OMS_MUST_CHECK enum oms_err oms_store_save_item_status(struct oms_store *store,
                                                       const struct oms_item_status_row *row);
/* Calls visit for every stored row (rows are input: the caller checks them). */
OMS_MUST_CHECK enum oms_err oms_store_list_item_status(
    struct oms_store *store, void (*visit)(void *ctx, const struct oms_item_status_row *row),
    void *ctx);

struct oms_ledger_entry {
    int64_t at_ms;       /* When it happened in the world. */
    int64_t recorded_ms; /* Engine clock when it was recorded. */
    const char *sku, *location;
    const char *counter; /* "on_hand", "allocated", "reserved", "safety", "unavailable". */
    oms_qty before, after;
    const char *reason; /* "order", "receipt", "adjustment", "shipment", "cancel", ... */
    const char *ref;    /* Order id, supply id, or NULL. */
};
OMS_MUST_CHECK enum oms_err oms_store_append_ledger(struct oms_store *store,
                                                    const struct oms_ledger_entry *entry);

/* The outbox: seq is assigned by the writer, gap-free, in commit order. */
OMS_MUST_CHECK enum oms_err oms_store_append_event(struct oms_store *store, int64_t seq,
                                                   const char *type, int64_t at_ms,
                                                   const char *subject, const char *data_json);
/* Highest event seq stored (0 when none). */
OMS_MUST_CHECK enum oms_err oms_store_last_event_seq(struct oms_store *store, int64_t *seq);

struct oms_event_row {
    int64_t seq;
    const char *type;
    int64_t at_ms;
    const char *subject, *data_json; /* Valid during the callback only. */
};
/* Calls visit for events with seq > after, in order, at most limit of them. */
OMS_MUST_CHECK enum oms_err oms_store_list_events(struct oms_store *store, int64_t after,
                                                  uint32_t limit,
                                                  void (*visit)(void *ctx,
                                                                const struct oms_event_row *row),
                                                  void *ctx);

/* The same for the events of one subject (an order's timeline), in commit order. */
OMS_MUST_CHECK enum oms_err oms_store_list_subject_events(
    struct oms_store *store, const char *subject, int64_t after, uint32_t limit,
    void (*visit)(void *ctx, const struct oms_event_row *row), void *ctx);

/* Idempotency keys: OMS_ENOTFOUND when the key is new. *body is malloc'd. */
OMS_MUST_CHECK enum oms_err oms_store_idem_get(struct oms_store *store, const char *key,
                                               char fingerprint[65], int *status, char **body,
                                               size_t *body_len);
OMS_MUST_CHECK enum oms_err oms_store_idem_put(struct oms_store *store, const char *key,
                                               const char *fingerprint, int status,
                                               const char *body, size_t body_len,
                                               int64_t created_ms);
/* The first answer stored with the order of that index (its row's idx, the model's index).
 * *body is malloc'd (NULL when none was stored). */
OMS_MUST_CHECK enum oms_err oms_store_order_answer(struct oms_store *store, uint32_t order,
                                                   char **body, size_t *body_len);

OMS_MUST_CHECK enum oms_err oms_store_meta_get(struct oms_store *store, const char *key,
                                               int64_t *value);
OMS_MUST_CHECK enum oms_err oms_store_meta_put(struct oms_store *store, const char *key,
                                               int64_t value);

/* Rule 6: the net change of on_hand at a level recorded with at_ms after `after_ms`. */
OMS_MUST_CHECK enum oms_err oms_store_on_hand_moves_after(struct oms_store *store,
                                                          const char *sku, const char *location,
                                                          int64_t after_ms, oms_qty *net);

/* Of those, the units received (ledger reason "receipt") after `after_ms`. */
OMS_MUST_CHECK enum oms_err oms_store_receipts_after(struct oms_store *store, const char *sku,
                                                     const char *location, int64_t after_ms,
                                                     oms_qty *units);

/* Stock snapshots (ERP counts) and their reports, kept for GET /v1/stock/snapshots/{id} and
 * for replays of the same id (sqlite_snapshots.c). */
struct oms_snapshot_record {
    const char *id, *fingerprint, *source; /* source may be NULL. */
    int64_t as_of_ms, recorded_ms;
    int64_t rows, changed;
    const char *report; /* The first answer's body (JSON), report_len bytes; may be NULL. */
    size_t report_len;
};
OMS_MUST_CHECK enum oms_err oms_store_snapshot_save(struct oms_store *store,
                                                    const struct oms_snapshot_record *record);
/* OMS_ENOTFOUND when no snapshot has that id. *report is malloc'd (NULL when none). */
OMS_MUST_CHECK enum oms_err oms_store_snapshot_get(struct oms_store *store, const char *id,
                                                   char fingerprint[65], char **report,
                                                   size_t *report_len);
/* How many snapshots are stored. */
OMS_MUST_CHECK enum oms_err oms_store_snapshot_count(struct oms_store *store, int64_t *count);

/* Where an order's units of a SKU left from (ledger rows of counter on_hand with the order's
 * id as ref): visit(ctx, location code, units) per location, the units its shipments took
 * less those its cancelled shipments brought back. The code is valid during the call only.
 * Reads every ledger row of the SKU: for a cancelled shipment that names no location, not for
 * a hot path. */
OMS_MUST_CHECK enum oms_err oms_store_shipped_from(struct oms_store *store, const char *sku,
                                                   const char *order_id,
                                                   void (*visit)(void *ctx, const char *location,
                                                                 oms_qty units),
                                                   void *ctx);

/* The instant of the latest count (ledger reason "count") of a level; 0 when none. */
OMS_MUST_CHECK enum oms_err oms_store_last_count_ms(struct oms_store *store, const char *sku,
                                                    const char *location, int64_t *at_ms);

/* Holds (sqlite_holds.c): the hold row and its lines as they are now; the first answer of its
 * creation (kept for idempotent retries, written once); the hold an order named. */
OMS_MUST_CHECK enum oms_err oms_store_save_hold(struct oms_store *store,
                                                const struct oms_state *state, uint32_t hold);
OMS_MUST_CHECK enum oms_err oms_store_set_hold_answer(struct oms_store *store, const char *id,
                                                      const char *answer, size_t answer_len);
/* *body is malloc'd (NULL when none was stored). */
OMS_MUST_CHECK enum oms_err oms_store_hold_answer(struct oms_store *store, const char *id,
                                                  char **body, size_t *body_len);
OMS_MUST_CHECK enum oms_err oms_store_save_order_hold(struct oms_store *store,
                                                      const struct oms_state *state,
                                                      uint32_t order);

/* Counts ledger rows, for tests and reports. */
OMS_MUST_CHECK enum oms_err oms_store_count(struct oms_store *store, const char *table,
                                            int64_t *count);

/* Webhooks and their deliveries (engine/webhooks.h). A webhook's `cursor` is the highest event
 * seq its dispatcher has recorded: every event up to it that the webhook wants has a delivery
 * row. Strings in rows handed to a visitor are valid during the callback only. */
enum oms_delivery_status { OMS_DELIVERY_PENDING, OMS_DELIVERY_DELIVERED, OMS_DELIVERY_DEAD };

struct oms_webhook_row {
    int64_t idx;
    const char *id, *url, *secret;
    const char *types; /* Event type names joined by ',', or "*". */
    int64_t created_ms, cursor;
    bool active;
};
struct oms_delivery_row {
    int64_t webhook, seq; /* The webhook's idx and the event's seq. */
    int32_t attempts;
    int64_t next_ms;      /* Wall clock of the next attempt (pending only). */
    enum oms_delivery_status status;
    const char *last_error; /* NULL when none. */
    /* Read only: the event, joined from the outbox. */
    const char *type, *subject, *data_json;
    int64_t at_ms;
};
typedef void (*oms_webhook_visit_fn)(void *ctx, const struct oms_webhook_row *row);
typedef void (*oms_delivery_visit_fn)(void *ctx, const struct oms_delivery_row *row);

/* Count of webhooks ever registered (the next idx). */
OMS_MUST_CHECK enum oms_err oms_store_webhook_count(struct oms_store *store, int64_t *count);
OMS_MUST_CHECK enum oms_err oms_store_webhook_insert(struct oms_store *store,
                                                     const struct oms_webhook_row *row);
/* OMS_ENOTFOUND for an unknown id; id NULL visits every webhook in idx order. */
OMS_MUST_CHECK enum oms_err oms_store_webhook_get(struct oms_store *store, const char *id,
                                                  oms_webhook_visit_fn visit, void *ctx);
OMS_MUST_CHECK enum oms_err oms_store_webhook_set_active(struct oms_store *store, int64_t idx,
                                                         bool active);
OMS_MUST_CHECK enum oms_err oms_store_webhook_set_cursor(struct oms_store *store, int64_t idx,
                                                         int64_t cursor);
/* Upserts delivery rows (the read-only fields are ignored). */
OMS_MUST_CHECK enum oms_err oms_store_deliveries_put(struct oms_store *store,
                                                     const struct oms_delivery_row *rows,
                                                     uint32_t count);
/* One delivery; OMS_ENOTFOUND when none. */
OMS_MUST_CHECK enum oms_err oms_store_delivery_get(struct oms_store *store, int64_t webhook,
                                                   int64_t seq, oms_delivery_visit_fn visit,
                                                   void *ctx);
/* Deliveries of a webhook with seq > after, in seq order, at most limit; status < 0: any. */
OMS_MUST_CHECK enum oms_err oms_store_deliveries_list(struct oms_store *store, int64_t webhook,
                                                      int status, int64_t after, uint32_t limit,
                                                      oms_delivery_visit_fn visit, void *ctx);

#endif
