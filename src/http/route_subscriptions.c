/*
 * route_subscriptions.c - back-in-stock notice requests (API.md "Events and notices", rule 7):
 * POST /v1/subscriptions {sku, channel, contact} and GET /v1/subscriptions/{id}. The engine
 * checks that the item and channel exist (422 naming the field) and answers 201 with a new
 * subscription, or 200 with the one already waiting for the same sku, channel and contact.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"

#define CONTACT_BYTES_MAX 256 /* An e-mail address or phone number; no control characters. */

static const struct oms_body_field subscription_fields[] = {
    {"sku", NULL}, {"channel", NULL}, {"contact", NULL}, {"at", NULL}, {NULL, NULL}};

static json_t *json_subscription(const struct oms_state *state, uint32_t index)
{
    const struct oms_subscription *sub = &state->subscriptions[index];
    char id[32];
    snprintf(id, sizeof id, "%s%u", OMS_SUBSCRIPTION_ID_PREFIX, index + 1);
    return json_pack("{s:s, s:o, s:o, s:o, s:s, s:o, s:o}", "id", id, "sku",
                     oms_json_text(state->items[sub->item].sku), "channel",
                     oms_json_text(state->channels[sub->channel].code), "contact",
                     oms_json_text(sub->contact), "status", sub->notified ? "notified" : "waiting",
                     "created_at", oms_json_instant(sub->created_ms), "notified_at",
                     sub->notified ? oms_json_instant(sub->notified_ms) : json_null());
}

static char *encode_subscription(struct oms_command *cmd, const struct oms_state *state,
                                 size_t *len)
{
    return oms_json_answer(json_subscription(state, cmd->result_index), len);
}

void oms_route_post_subscription(struct oms_http_request *req)
{
    struct oms_call *call = oms_call_new(req, OMS_CMD_SUBSCRIBE, subscription_fields);
    if (!call) return;
    struct oms_cmd_subscribe *c = &call->cmd.u.subscribe;
    json_t *b = call->body;
    struct oms_decoder d;
    oms_decoder_init(&d);
    oms_get_id(&d, b, "", "sku", true, OMS_SKU_BYTES_MAX, &c->sku);
    oms_get_id(&d, b, "", "channel", true, OMS_CODE_BYTES_MAX, &c->channel);
    oms_get_id(&d, b, "", "contact", true, CONTACT_BYTES_MAX, &c->contact);
    oms_get_instant(&d, b, "", "at", false, &call->cmd.at_ms);
    if (d.failed) {
        oms_call_fail(req, call, &d);
        return;
    }
    oms_call_submit(req, call, encode_subscription, "subscriptions");
}

/* "sub_<n>" with n from 1 to the number of subscriptions; anything else is unknown. */
static uint32_t parse_id(const struct oms_state *state, const char *id)
{
    size_t prefix = strlen(OMS_SUBSCRIPTION_ID_PREFIX);
    if (strncmp(id, OMS_SUBSCRIPTION_ID_PREFIX, prefix) != 0) return OMS_NONE;
    const char *digits = id + prefix;
    if (digits[0] < '1' || digits[0] > '9' || strlen(digits) > 10) return OMS_NONE;
    char *end;
    unsigned long long n = strtoull(digits, &end, 10);
    if (*end || n > state->subscriptions_count) return OMS_NONE;
    return (uint32_t)(n - 1);
}

static char *read_subscription(struct oms_command *cmd, const struct oms_state *state,
                               size_t *len)
{
    const char *id = cmd->u.item.sku; /* oms_route_read's key. */
    uint32_t index = parse_id(state, id);
    if (index == OMS_NONE) {
        snprintf(cmd->err_message, sizeof cmd->err_message, "no subscription '%s'", id);
        cmd->err = OMS_ENOTFOUND;
        *len = 0;
        return NULL;
    }
    return oms_json_answer(json_subscription(state, index), len);
}

void oms_route_get_subscription(struct oms_http_request *req)
{
    oms_route_read(req, "id", OMS_ID_BYTES_MAX, read_subscription);
}
