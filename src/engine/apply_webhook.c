/*
 * apply_webhook.c - the writer's side of webhooks (webhooks.h): registering one, deactivating
 * it, re-queueing a dead delivery by hand, and recording the dispatcher's results. Webhooks
 * are not part of the in-memory model: they change rarely and only the dispatcher reads them
 * in bulk, so these handlers read and write the store directly, inside the batch's
 * transaction. Every change a dispatcher must notice bumps the meta counter
 * "webhooks_generation", which it polls after each commit.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "engine/clock.h"
#include "engine/webhooks.h"
#include "engine/writer.h"

#define GENERATION_KEY "webhooks_generation"
#define TYPES_BYTES_MAX (OMS_WEBHOOK_TYPES_MAX * 32)

const char *const oms_webhook_event_types[] = {
    "order.created",     "line.allocated",     "line.backordered", "line.promise_changed",
    "line.rejected",     "line.cancelled",     "line.shipped",     "line.returned",
    "line.delay_exceeded", "item.status_changed", "item.back_in_stock", "stock.changed",
    "stock.low",         "stock.short",        "hold.expired",     "supply.received",
    "supply.delayed",    "hold.created",       "hold.released",    "hold.consumed",
    "hold.reduced",      NULL,
};

static bool type_known(const char *name)
{
    for (size_t i = 0; oms_webhook_event_types[i]; i++) {
        if (strcmp(oms_webhook_event_types[i], name) == 0) return true;
    }
    return false;
}

/* http:// or https://, a host part, no spaces or control bytes, within the limit. */
static bool url_valid(const char *url)
{
    size_t len = strlen(url);
    size_t scheme = strncmp(url, "https://", 8) == 0  ? 8
                    : strncmp(url, "http://", 7) == 0 ? 7
                                                      : 0;
    if (scheme == 0 || len <= scheme || len > OMS_WEBHOOK_URL_BYTES_MAX) return false;
    if (url[scheme] == '/') return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c == 0x7f) return false;
    }
    return true;
}

static void bump_generation(struct oms_writer *w)
{
    int64_t generation = 0;
    enum oms_err err = oms_store_meta_get(w->store, GENERATION_KEY, &generation);
    if (err != OMS_ENOTFOUND) oms__must(err, "read the webhooks generation");
    oms__must(oms_store_meta_put(w->store, GENERATION_KEY, generation + 1),
              "save the webhooks generation");
    w->webhooks_changed = true;
}

/* Checks the types and joins them with ',' into out; returns an error on cmd when invalid. */
static enum oms_err join_types(struct oms_command *cmd, char out[TYPES_BYTES_MAX])
{
    const struct oms_cmd_webhook *c = &cmd->u.webhook;
    if (c->types_count == 0) {
        return oms__fail(cmd, OMS_EINVAL, "types", "give at least one event type, or \"*\"");
    }
    if (c->types_count > OMS_WEBHOOK_TYPES_MAX) {
        return oms__fail(cmd, OMS_ELIMIT, "types", "at most %d event types (types_max)",
                         OMS_WEBHOOK_TYPES_MAX);
    }
    size_t len = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < c->types_count; i++) {
        const char *name = c->types[i];
        char field[32];
        snprintf(field, sizeof field, "types[%u]", i);
        bool star = strcmp(name, "*") == 0;
        if (star && c->types_count > 1) {
            return oms__fail(cmd, OMS_EINVAL, field, "\"*\" (every type) stands alone");
        }
        if (!star && !type_known(name)) {
            return oms__fail(cmd, OMS_EINVAL, field, "'%.64s' is not an event type", name);
        }
        size_t n = strlen(name);
        OMS_ASSERT(len + n + 2 <= TYPES_BYTES_MAX); /* Known names are short. */
        if (i > 0) out[len++] = ',';
        memcpy(out + len, name, n + 1);
        len += n;
    }
    return OMS_OK;
}

enum oms_err oms__apply_webhook_create(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_cmd_webhook *c = &cmd->u.webhook;
    if (!c->url || !url_valid(c->url)) {
        return oms__fail(cmd, OMS_EINVAL, "url",
                         "url must be an http:// or https:// address of at most %d bytes",
                         OMS_WEBHOOK_URL_BYTES_MAX);
    }
    if (!c->secret || !c->secret[0] || strlen(c->secret) > OMS_WEBHOOK_SECRET_BYTES_MAX) {
        return oms__fail(cmd, OMS_EINVAL, "secret", "secret must be 1 to %d bytes",
                         OMS_WEBHOOK_SECRET_BYTES_MAX);
    }
    char types[TYPES_BYTES_MAX];
    enum oms_err err = join_types(cmd, types);
    if (err) return err;
    int64_t count = 0;
    oms__must(oms_store_webhook_count(w->store, &count), "count webhooks");
    snprintf(c->created_id, sizeof c->created_id, "wh_%lld", (long long)count + 1);
    c->created_ms = w->state.clock_ms;
    /* A new webhook hears what happens from now on: its cursor starts at the last event. */
    struct oms_webhook_row row = {
        .idx = count,
        .id = c->created_id,
        .url = c->url,
        .secret = c->secret,
        .types = types,
        .created_ms = c->created_ms,
        .cursor = w->event_seq,
        .active = true,
    };
    oms__must(oms_store_webhook_insert(w->store, &row), "insert a webhook");
    bump_generation(w);
    cmd->status = 201;
    return OMS_OK;
}

struct found_webhook {
    int64_t idx;
    bool active;
};

static void take_webhook(void *ctx, const struct oms_webhook_row *row)
{
    struct found_webhook *found = ctx;
    found->idx = row->idx;
    found->active = row->active;
}

/* Finds the command's webhook; fails the command (404) when unknown. */
static enum oms_err find_webhook(struct oms_writer *w, struct oms_command *cmd,
                                 struct found_webhook *found)
{
    const char *id = cmd->u.webhook.id;
    enum oms_err err = id ? oms_store_webhook_get(w->store, id, take_webhook, found)
                          : OMS_ENOTFOUND;
    if (err == OMS_ENOTFOUND) {
        return oms__fail(cmd, OMS_ENOTFOUND, NULL, "no webhook '%.64s'", id ? id : "");
    }
    oms__must(err, "read a webhook");
    return OMS_OK;
}

enum oms_err oms__apply_webhook_delete(struct oms_writer *w, struct oms_command *cmd)
{
    struct found_webhook found = {0};
    enum oms_err err = find_webhook(w, cmd, &found);
    if (err) return err;
    if (found.active) {
        oms__must(oms_store_webhook_set_active(w->store, found.idx, false),
                  "deactivate a webhook");
        bump_generation(w);
    }
    cmd->status = 204;
    return OMS_OK;
}

struct found_delivery {
    enum oms_delivery_status status;
    char last_error[OMS_WEBHOOK_ERROR_BYTES_MAX];
};

static void take_delivery(void *ctx, const struct oms_delivery_row *row)
{
    struct found_delivery *found = ctx;
    found->status = row->status;
    snprintf(found->last_error, sizeof found->last_error, "%s",
             row->last_error ? row->last_error : "");
}

enum oms_err oms__apply_delivery_redeliver(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_cmd_webhook *c = &cmd->u.webhook;
    struct found_webhook hook = {0};
    enum oms_err err = find_webhook(w, cmd, &hook);
    if (err) return err;
    struct found_delivery found = {0};
    err = oms_store_delivery_get(w->store, hook.idx, c->seq, take_delivery, &found);
    if (err == OMS_ENOTFOUND) {
        return oms__fail(cmd, OMS_ENOTFOUND, NULL, "webhook '%.64s' has no delivery of event %lld",
                         c->id, (long long)c->seq);
    }
    oms__must(err, "read a delivery");
    if (!hook.active) {
        return oms__fail(cmd, OMS_ECONFLICT, NULL, "webhook '%.64s' is deactivated", c->id);
    }
    if (found.status != OMS_DELIVERY_DEAD) {
        return oms__fail(cmd, OMS_ECONFLICT, NULL,
                         "only a dead delivery can be redelivered; this one is %s",
                         oms_delivery_status_name(found.status));
    }
    /* A fresh run of attempts, due now; the last error stays for the record. */
    struct oms_delivery_row row = {
        .webhook = hook.idx,
        .seq = c->seq,
        .attempts = 0,
        .next_ms = oms_now_ms(),
        .status = OMS_DELIVERY_PENDING,
        .last_error = found.last_error[0] ? found.last_error : NULL,
    };
    oms__must(oms_store_deliveries_put(w->store, &row, 1), "re-queue a delivery");
    bump_generation(w);
    cmd->status = 202;
    return OMS_OK;
}

enum oms_err oms__apply_delivery_update(struct oms_writer *w, struct oms_command *cmd)
{
    const struct oms_cmd_deliveries *c = &cmd->u.deliveries;
    OMS_ASSERT(c->rows_count > 0 || c->cursors_count > 0);
    if (c->rows_count > 0) {
        oms__must(oms_store_deliveries_put(w->store, c->rows, c->rows_count),
                  "record deliveries");
    }
    for (uint32_t i = 0; i < c->cursors_count; i++) {
        OMS_ASSERT(c->cursors[i].cursor <= w->event_seq);
        oms__must(oms_store_webhook_set_cursor(w->store, c->cursors[i].webhook,
                                               c->cursors[i].cursor),
                  "move a webhook's cursor");
    }
    return OMS_OK;
}
