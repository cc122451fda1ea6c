/*
 * route_webhooks.c - webhooks (API.md "Events and notices"): registering, reading and
 * deactivating one, listing its deliveries, and re-queueing a dead delivery by hand. Changes go
 * through the writer as commands; reads come from committed state (engine/webhooks.h). The
 * secret is never part of an answer.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/webhooks.h"
#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"

#define DELIVERIES_LIMIT_MAX 1000
#define DELIVERIES_LIMIT_DEFAULT 100
#define WEBHOOK_ID_BYTES_MAX 64

static const struct oms_body_field webhook_fields[] = {
    {"url", NULL}, {"secret", NULL}, {"types", NULL}, {"at", NULL}, {NULL, NULL}};

/* The webhook's types text ("a,b" or "*") as a JSON array. */
static json_t *types_json(const char *types)
{
    json_t *array = json_array();
    for (const char *p = types; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char *type = strndup(p, n);
        json_array_append_new(array, type ? oms_json_text(type) : NULL);
        free(type);
        p += n + (comma ? 1 : 0);
    }
    return array;
}

static char *encode_created(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    (void)state;
    const struct oms_cmd_webhook *c = &cmd->u.webhook;
    json_t *types = json_array();
    for (uint32_t i = 0; i < c->types_count; i++) {
        json_array_append_new(types, json_string(c->types[i]));
    }
    return oms_json_answer(json_pack("{s:s, s:s, s:o, s:o, s:b}", "id", c->created_id, "url",
                                     c->url, "types", types, "created_at",
                                     oms_json_instant(c->created_ms), "active", 1),
                           len);
}

static char *encode_requeued(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    (void)state;
    const struct oms_cmd_webhook *c = &cmd->u.webhook;
    return oms_json_answer(json_pack("{s:s, s:I, s:s}", "webhook", c->id, "seq",
                                     (json_int_t)c->seq, "status", "pending"),
                           len);
}

void oms_route_post_webhook(struct oms_http_request *req)
{
    struct oms_call *call = oms_call_new(req, OMS_CMD_WEBHOOK_CREATE, webhook_fields);
    if (!call) return;
    struct oms_cmd_webhook *c = &call->cmd.u.webhook;
    json_t *b = call->body;
    struct oms_decoder d;
    oms_decoder_init(&d);
    /* Lengths and names are the engine's to judge (and name the field); here only shapes. */
    oms_get_text(&d, b, "", "url", true, OMS_WEBHOOK_URL_BYTES_MAX, &c->url);
    oms_get_text(&d, b, "", "secret", true, OMS_WEBHOOK_SECRET_BYTES_MAX, &c->secret);
    json_t *types = NULL;
    if (oms_get_array(&d, b, "", "types", true, OMS_WEBHOOK_TYPES_MAX, &types)) {
        const char **names = oms_call_own(call, calloc(json_array_size(types) + 1, sizeof *names));
        size_t i;
        json_t *name;
        json_array_foreach(types, i, name) {
            char field[32];
            snprintf(field, sizeof field, "types[%zu]", i);
            if (!json_is_string(name)) {
                oms_decoder_fail(&d, 422, "invalid_field", field, "%s must be a string", field);
                continue;
            }
            names[i] = json_string_value(name);
            /* A repeat is refused, not merged: a list of what to send says each thing once,
             * as a channel's locations and a location's working days do (decisions.md 53). */
            for (size_t k = 0; k < i; k++) {
                if (names[k] && strcmp(names[k], names[i]) == 0) {
                    oms_decoder_fail(&d, 422, "invalid_field", field, "%s repeats '%s'", field,
                                     names[i]);
                }
            }
        }
        c->types = names;
        c->types_count = (uint32_t)json_array_size(types);
    }
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    oms_call_submit(req, call, encode_created, "webhooks");
}

static const char *webhook_path(struct oms_http_request *req)
{
    return oms_path_id(req, "id", WEBHOOK_ID_BYTES_MAX);
}

static void reply_read_error(struct oms_http_request *req, enum oms_err err, const char *id)
{
    if (err == OMS_ENOTFOUND) {
        char message[128];
        snprintf(message, sizeof message, "no webhook '%.64s'", id);
        oms_http_reply_error(req, 404, "not_found", message, NULL);
        return;
    }
    oms_http_reply_error(req, 503, "server_busy", "cannot read webhooks now; retry later", NULL);
}

static void take_webhook(void *ctx, const struct oms_webhook_row *row)
{
    json_t **out = ctx;
    *out = json_pack("{s:o, s:o, s:o, s:o, s:b}", "id", oms_json_text(row->id), "url",
                     oms_json_text(row->url), "types", types_json(row->types), "created_at",
                     oms_json_instant(row->created_ms), "active", row->active);
}

void oms_route_get_webhook(struct oms_http_request *req)
{
    const char *id = webhook_path(req);
    if (!id) return;
    json_t *webhook = NULL;
    enum oms_err err = oms_engine_webhook_get(oms_http_app(req), id, take_webhook, &webhook);
    if (err || !webhook) {
        json_decref(webhook);
        reply_read_error(req, err ? err : OMS_ENOTFOUND, id);
        return;
    }
    oms_http_reply_json(req, 200, webhook);
}

void oms_route_delete_webhook(struct oms_http_request *req)
{
    const char *id = webhook_path(req);
    if (!id) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_WEBHOOK_DELETE, NULL);
    if (!call) return;
    call->cmd.u.webhook.id = oms_call_strdup(call, id);
    char resource[WEBHOOK_ID_BYTES_MAX + 16];
    snprintf(resource, sizeof resource, "webhooks/%s", id);
    oms_call_submit(req, call, NULL, resource);
}

struct deliveries_page {
    json_t *deliveries;
    int64_t last;
};

static void add_delivery(void *ctx, const struct oms_delivery_row *row)
{
    struct deliveries_page *page = ctx;
    json_t *delivery = json_pack(
        "{s:I, s:o, s:o, s:s, s:i, s:o, s:o}", "seq", (json_int_t)row->seq, "type",
        oms_json_text(row->type), "subject", oms_json_text(row->subject), "status",
        oms_delivery_status_name(row->status), "attempts", (int)row->attempts, "next_attempt_at",
        row->status == OMS_DELIVERY_PENDING ? oms_json_instant(row->next_ms) : json_null(),
        "last_error", oms_json_text(row->last_error));
    json_array_append_new(page->deliveries, delivery);
    page->last = row->seq;
}

static bool query_int(struct oms_http_request *req, struct oms_decoder *d, const char *key,
                      int64_t min, int64_t max, int64_t *out)
{
    const char *text = oms_http_query_first(req, key);
    if (!text) return false;
    char *end;
    long long value = strtoll(text, &end, 10);
    if (!text[0] || *end || value < min || value > max) {
        oms_decoder_fail(d, 422, "invalid_field", key,
                         "%s must be a whole number from %lld to %lld", key, (long long)min,
                         (long long)max);
        return false;
    }
    *out = value;
    return true;
}

void oms_route_get_deliveries(struct oms_http_request *req)
{
    const char *id = webhook_path(req);
    if (!id) return;
    struct oms_decoder d;
    oms_decoder_init(&d);
    int64_t after = 0, limit = DELIVERIES_LIMIT_DEFAULT;
    int status = -1;
    const char *status_name = oms_http_query_first(req, "status");
    enum oms_delivery_status wanted;
    if (status_name && !oms_delivery_status_parse(status_name, &wanted)) {
        oms_decoder_fail(&d, 422, "invalid_field", "status",
                         "status must be pending, delivered or dead");
    } else if (status_name) {
        status = (int)wanted;
    }
    query_int(req, &d, "after", 0, INT64_MAX, &after);
    query_int(req, &d, "limit", 1, DELIVERIES_LIMIT_MAX, &limit);
    if (d.failed) {
        oms_reply_decoder(req, &d);
        return;
    }
    struct deliveries_page page = {json_array(), after};
    enum oms_err err = oms_engine_webhook_deliveries(oms_http_app(req), id, status, after,
                                                     (uint32_t)limit, add_delivery, &page);
    if (err) {
        json_decref(page.deliveries);
        reply_read_error(req, err, id);
        return;
    }
    oms_http_reply_json(req, 200,
                        json_pack("{s:s, s:o, s:I}", "webhook", id, "deliveries", page.deliveries,
                                  "next", (json_int_t)page.last));
}

void oms_route_post_redeliver(struct oms_http_request *req)
{
    const char *id = webhook_path(req);
    if (!id) return;
    const char *seq_text = oms_http_param(req, "seq");
    char *end = NULL;
    long long seq = seq_text ? strtoll(seq_text, &end, 10) : 0;
    if (!seq_text || !seq_text[0] || *end || seq < 1) {
        oms_http_reply_error(req, 422, "invalid_field", "seq must be an event's seq (1 or more)",
                             "seq");
        return;
    }
    struct oms_call *call = oms_call_new(req, OMS_CMD_DELIVERY_REDELIVER, NULL);
    if (!call) return;
    call->cmd.u.webhook.id = oms_call_strdup(call, id);
    call->cmd.u.webhook.seq = seq;
    char resource[WEBHOOK_ID_BYTES_MAX + 64];
    snprintf(resource, sizeof resource, "webhooks/%s/deliveries/%lld/redeliver", id, seq);
    oms_call_submit(req, call, encode_requeued, resource);
}
