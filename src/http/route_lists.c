/*
 * route_lists.c - the collections of API.md: GET /v1/items?status=&channel=&after=&limit= and
 * GET /v1/orders?status=&channel=&sku=&after=&limit=, a page at a time by cursor. Reads through
 * the writer like every GET of the model (READ commands); each page scans a bounded number of
 * records (OMS_LIST_SCAN_MAX, encode.h), so a filter that matches little answers a short page
 * with a cursor rather than holding the writer for the whole collection.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"

/* What a list request asks for, kept with its call until the encoder runs. */
struct list_page {
    int64_t after, limit;
    const char *channel; /* NULL: any. */
    const char *sku;     /* Orders only; NULL: any. */
    bool has_status;
    int status; /* enum oms_avail_status (items, on channel) or oms_order_status (orders). */
};

static char *fail_not_found(struct oms_command *cmd, const char *field, const char *message,
                            const char *key, size_t *len)
{
    snprintf(cmd->err_field, sizeof cmd->err_field, "%s", field);
    snprintf(cmd->err_message, sizeof cmd->err_message, message, key);
    cmd->err = OMS_ENOTFOUND;
    *len = 0;
    return NULL;
}

static bool status_on(struct oms_engine *engine, const struct oms_state *state, uint32_t item,
                      const char *channel, int status)
{
    struct oms_availability a;
    if (oms_engine_availability(engine, channel, state->items[item].sku, 1, NULL, &a)) {
        return false;
    }
    return (int)a.status == status;
}

static char *encode_items(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    const struct oms_call *call = cmd->user;
    const struct list_page *page = call->spec;
    uint32_t channel = OMS_NONE;
    if (page->channel) {
        channel = oms_state_channel(state, page->channel);
        if (channel == OMS_NONE) {
            return fail_not_found(cmd, "channel", "no channel '%s'", page->channel, len);
        }
    }
    json_t *items = json_array();
    uint32_t i = page->after < state->items_count ? (uint32_t)page->after : state->items_count;
    int64_t shown = 0;
    for (uint32_t scanned = 0; i < state->items_count && shown < page->limit &&
                               scanned < OMS_LIST_SCAN_MAX;
         i++, scanned++) {
        if (page->has_status && !status_on(call->engine, state, i, page->channel, page->status)) {
            continue;
        }
        json_array_append_new(items, oms_json_item_channels(call->engine, state, i, channel));
        shown++;
    }
    json_t *next = i < state->items_count ? json_integer(i) : json_null();
    return oms_json_answer(json_pack("{s:o, s:o}", "items", items, "next", next), len);
}

static char *encode_orders(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    const struct oms_call *call = cmd->user;
    const struct list_page *page = call->spec;
    struct oms_order_filter filter = {.channel = OMS_NONE,
                                      .sku = page->sku,
                                      .has_status = page->has_status,
                                      .status = (enum oms_order_status)page->status};
    if (page->channel) {
        filter.channel = oms_state_channel(state, page->channel);
        if (filter.channel == OMS_NONE) {
            return fail_not_found(cmd, "channel", "no channel '%s'", page->channel, len);
        }
    }
    return oms_orders_text(state, &filter, (uint32_t)page->after, (uint32_t)page->limit, len);
}

/* ?status= as one of the names name_of gives for first..last; fails d otherwise. */
static void query_status(struct oms_http_request *req, struct oms_decoder *d, int first,
                         int last, const char *(*name_of)(int), struct list_page *page)
{
    const char *text = oms_http_query_first(req, "status");
    if (!text) return;
    char names[160] = "";
    for (int s = first; s <= last; s++) {
        if (strcmp(text, name_of(s)) == 0) {
            page->has_status = true;
            page->status = s;
            return;
        }
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", s > first ? ", " : "", name_of(s));
    }
    oms_decoder_fail(d, 422, "invalid_field", "status", "status must be one of %s", names);
}

static const char *avail_name(int status) { return oms_avail_status_name(status); }
static const char *order_name(int status) { return oms_order_status_name(status); }

/* The query every list takes; false after answering the request with the first error. */
static bool list_query(struct oms_http_request *req, bool orders, struct list_page *page)
{
    struct oms_decoder d;
    oms_decoder_init(&d);
    page->after = 0;
    page->limit = OMS_LIST_LIMIT_DEFAULT;
    page->channel = oms_http_query_first(req, "channel");
    page->sku = orders ? oms_http_query_first(req, "sku") : NULL;
    if (orders) {
        query_status(req, &d, OMS_ORDER_OPEN, OMS_ORDER_REJECTED, order_name, page);
    } else {
        query_status(req, &d, OMS_AVAIL_PREORDER, OMS_AVAIL_OUT_OF_STOCK, avail_name, page);
    }
    if (page->channel && !d.failed) oms_check_id(&d, "channel", page->channel, OMS_CODE_BYTES_MAX);
    if (page->sku && !d.failed) oms_check_id(&d, "sku", page->sku, OMS_SKU_BYTES_MAX);
    oms_query_int(req, &d, "after", 0, UINT32_MAX, &page->after);
    oms_query_int(req, &d, "limit", 1, OMS_LIST_LIMIT_MAX, &page->limit);
    /* An item's status is its status on a channel: which one must be said. */
    if (!orders && page->has_status && !page->channel && !d.failed) {
        oms_decoder_fail(&d, 422, "missing_field", "channel",
                         "channel is required with status: an item's status is per channel");
    }
    if (d.failed) oms_reply_decoder(req, &d);
    return !d.failed;
}

static void get_list(struct oms_http_request *req, bool orders, oms_encode_fn encode)
{
    struct list_page page;
    memset(&page, 0, sizeof page);
    if (!list_query(req, orders, &page)) return;
    struct oms_call *call = oms_call_new(req, OMS_CMD_READ, NULL);
    if (!call) return;
    struct list_page *owned = oms_call_own(call, malloc(sizeof *owned));
    *owned = page;
    /* The query's strings belong to the request; the encoder runs on the writer thread and
     * reads copies the call owns. */
    if (page.channel) owned->channel = oms_call_strdup(call, page.channel);
    if (page.sku) owned->sku = oms_call_strdup(call, page.sku);
    call->spec = owned;
    oms_call_submit(req, call, encode, "");
}

void oms_route_get_items(struct oms_http_request *req) { get_list(req, false, encode_items); }

void oms_route_get_orders(struct oms_http_request *req) { get_list(req, true, encode_orders); }
