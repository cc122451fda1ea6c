/*
 * webhooks.h - delivery of the outbox to registered URLs (API.md "Events and notices"): the
 * commands that register a webhook, deactivate it and re-queue a dead delivery, the reads the
 * API answers with, and the dispatcher thread that posts each event to every active webhook
 * whose types match.
 *
 * What a receiver can count on:
 *  - At least once: a delivery is recorded delivered only after a 2xx answer, and nothing is
 *    forgotten before the writer has made it durable. After a crash (not a clean close), an
 *    event may come again; OMS-Event-Id (the event's seq) tells duplicates apart.
 *  - In order per subject: an event is not sent to a webhook while an earlier event of the same
 *    subject (an order id, a SKU, a supply id) to that webhook is pending; other subjects go
 *    on. A dead delivery no longer holds its subject back (docs/decisions.md).
 *  - Signed: OMS-Signature: v1=<hex HMAC-SHA256(secret, OMS-Timestamp "." body)>.
 *  - A failed attempt (not 2xx, or a network error, or no answer within the timeout) is retried
 *    after a random delay in [0, min(cap, base * 2^(attempts-1))] (full jitter); after
 *    attempts_max attempts the delivery is dead until re-queued by hand.
 *
 * Threads and ownership: the dispatcher has its own thread and its own read-only connection;
 * it never writes the database. What it learns (attempts, statuses, how far it has read) goes
 * to the writer as OMS_CMD_DELIVERY_UPDATE commands, one in flight at a time, submitted without
 * waiting, so a slow or dead endpoint never holds the writer. API reads use a second read-only
 * connection under a lock. The engine owns the struct: open after its writer starts, stop
 * before its writer stops (the last results still go through it), free after.
 */
#ifndef OMS_ENGINE_WEBHOOKS_H
#define OMS_ENGINE_WEBHOOKS_H

#include "base/err.h"
#include "base/platform.h"
#include "engine/engine.h"
#include "store/store.h"

#define OMS_WEBHOOK_URL_BYTES_MAX 2048
#define OMS_WEBHOOK_SECRET_BYTES_MAX 256
#define OMS_WEBHOOK_TYPES_MAX 32          /* Names in one registration. */
#define OMS_WEBHOOK_ATTEMPTS_MAX 12       /* Default attempts before a delivery is dead. */
#define OMS_WEBHOOK_BACKOFF_BASE_MS 1000  /* Default first retry delay (before jitter). */
#define OMS_WEBHOOK_BACKOFF_CAP_MS 300000 /* No retry waits longer than 5 minutes. */
#define OMS_WEBHOOK_TIMEOUT_MS 5000       /* Default total time of one attempt. */
#define OMS_WEBHOOK_CONNECT_TIMEOUT_MS 2000
#define OMS_WEBHOOK_WINDOW_MAX 1024       /* Pending deliveries per webhook before the dispatcher
                                           * stops reading further events for it (they wait in
                                           * the outbox, nothing is lost). */
#define OMS_WEBHOOK_INFLIGHT_MAX 8        /* Concurrent attempts per webhook (one per subject). */
#define OMS_WEBHOOK_ERROR_BYTES_MAX 160   /* last_error kept per delivery. */

_Static_assert(OMS_WEBHOOK_CONNECT_TIMEOUT_MS <= OMS_WEBHOOK_TIMEOUT_MS,
               "connecting is part of an attempt");

struct oms_webhooks;

/* Event type names a webhook may ask for (API.md), NULL-terminated. */
extern const char *const oms_webhook_event_types[];

/* Opens the API's read connection and, unless options->no_webhooks, starts the dispatcher
 * with its own connection. Returns OMS_OK and *out, or the store's error. */
OMS_MUST_CHECK enum oms_err oms__webhooks_open(struct oms_engine *engine,
                                               const struct oms_engine_options *options,
                                               struct oms_webhooks **out);
/* A batch is durable: there may be new events, and registrations when registry_changed (the
 * batch bumped the webhooks generation). Without a webhook to deliver to, only the latter
 * wakes the dispatcher: a flash sale with no webhooks pays nothing per batch. Any thread. */
void oms__webhooks_wake(struct oms_webhooks *webhooks, bool registry_changed);
/* Stops the dispatcher: attempts in flight finish (bounded by the timeout), their results are
 * committed through the writer, the thread is joined. The writer must still run. NULL: no-op. */
void oms__webhooks_stop(struct oms_webhooks *webhooks);
/* Frees what stop left (after the writer has stopped). NULL: no-op. */
void oms__webhooks_free(struct oms_webhooks *webhooks);
/* Defined in engine.c: the engine's webhooks; the last event of a durable batch (the
 * dispatcher never delivers an event a crash could still undo). */
struct oms_webhooks *oms__engine_webhooks(struct oms_engine *engine);
int64_t oms__engine_durable_event_seq(struct oms_engine *engine);

/* API reads of committed state. OMS_ENOTFOUND for an unknown webhook id. The row's strings are
 * valid during the callback only; the secret is there for the dispatcher, never for answers. */
OMS_MUST_CHECK enum oms_err oms_engine_webhook_get(struct oms_engine *engine, const char *id,
                                                   oms_webhook_visit_fn visit, void *ctx);
/* Deliveries of a webhook with seq > after, in seq order; status < 0: any status. */
OMS_MUST_CHECK enum oms_err oms_engine_webhook_deliveries(struct oms_engine *engine,
                                                          const char *id, int status,
                                                          int64_t after, uint32_t limit,
                                                          oms_delivery_visit_fn visit, void *ctx);
const char *oms_delivery_status_name(enum oms_delivery_status status);
/* "pending", "delivered", "dead"; false for another name. */
bool oms_delivery_status_parse(const char *name, enum oms_delivery_status *out);

/* Command handlers (apply_webhook.c), on the writer thread. */
struct oms_writer;
enum oms_err oms__apply_webhook_create(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_webhook_delete(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_delivery_redeliver(struct oms_writer *w, struct oms_command *cmd);
enum oms_err oms__apply_delivery_update(struct oms_writer *w, struct oms_command *cmd);

/* The HMAC-SHA256 signature header value "v1=<64 hex>" of a body sent at unix_s. */
void oms_webhook_sign(const char *secret, int64_t unix_s, const char *body, size_t body_len,
                      char out[68]);

#endif
