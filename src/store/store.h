/*
 * store.h - durable storage of the engine's model (store/model.h), the stock ledger, the
 * event outbox and idempotency keys. The SQLite backend is the default; every write happens
 * inside a transaction the engine's writer opens with oms_store_begin() and ends with
 * oms_store_commit() (WAL, synchronous=FULL: one fsync per batch). SQL only through prepared
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

#define OMS_SCHEMA_VERSION 3

struct oms_store;

/* Opens (creating and migrating when new) the database at path. With `exclusive`, takes a
 * lock file next to it so a second writer process is refused with OMS_ELOCKED. */
OMS_MUST_CHECK enum oms_err oms_store_open(const char *path, bool exclusive, bool readonly,
                                           struct oms_store **out);
void oms_store_close(struct oms_store *store); /* NULL is a no-op. */

/* Loads every record into an initialised, empty state and derives what is not stored
 * (levels for every location, queues, supply pegged counts). */
OMS_MUST_CHECK enum oms_err oms_store_load(struct oms_store *store, struct oms_state *state);

OMS_MUST_CHECK enum oms_err oms_store_begin(struct oms_store *store);
OMS_MUST_CHECK enum oms_err oms_store_commit(struct oms_store *store);

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
OMS_MUST_CHECK enum oms_err oms_store_save_supply(struct oms_store *store,
                                                  const struct oms_state *state, uint32_t supply);
/* The order row; `answer` (the first answer's body, may be NULL) is written only on insert. */
OMS_MUST_CHECK enum oms_err oms_store_save_order(struct oms_store *store,
                                                 const struct oms_state *state, uint32_t order,
                                                 const char *answer, size_t answer_len);
/* The line with its allocations and pegs. */
OMS_MUST_CHECK enum oms_err oms_store_save_line(struct oms_store *store,
                                                const struct oms_state *state, uint32_t line);

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
/* The first answer stored with an order. *body is malloc'd (NULL when none was stored). */
OMS_MUST_CHECK enum oms_err oms_store_order_answer(struct oms_store *store, const char *id,
                                                   char **body, size_t *body_len);

OMS_MUST_CHECK enum oms_err oms_store_meta_get(struct oms_store *store, const char *key,
                                               int64_t *value);
OMS_MUST_CHECK enum oms_err oms_store_meta_put(struct oms_store *store, const char *key,
                                               int64_t value);

/* Rule 6: the net change of on_hand at a level recorded with at_ms after `after_ms`. */
OMS_MUST_CHECK enum oms_err oms_store_on_hand_moves_after(struct oms_store *store,
                                                          const char *sku, const char *location,
                                                          int64_t after_ms, oms_qty *net);

/* Counts ledger rows, for tests and reports. */
OMS_MUST_CHECK enum oms_err oms_store_count(struct oms_store *store, const char *table,
                                            int64_t *count);

#endif
