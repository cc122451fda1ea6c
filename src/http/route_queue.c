/*
 * route_queue.c - GET /v1/items/{sku}/queue (API.md "Master data"): an item's backorder queue
 * in order, each waiting line with its pegging and promise. Read through the writer like every
 * GET of the model (a READ command: the encoder walks the item's queue in the writer's model,
 * between batches), a page at a time: a hot item may have hundreds of thousands of lines
 * waiting, and one answer must not hold the writer for all of them.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>

#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"

#define QUEUE_LIMIT_DEFAULT 100
#define QUEUE_LIMIT_MAX 1000 /* queue_page_max: waiting lines per answer. */

struct queue_page {
    int64_t after, limit;
};

static char *encode_queue(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    const struct oms_call *call = cmd->user;
    const struct queue_page *page = call->spec;
    uint32_t item = oms_state_item(state, cmd->u.item.sku);
    if (item == OMS_NONE) {
        snprintf(cmd->err_message, sizeof cmd->err_message, "no item '%s'", cmd->u.item.sku);
        cmd->err = OMS_ENOTFOUND;
        *len = 0;
        return NULL;
    }
    return oms_queue_text(state, item, (uint32_t)page->after, (uint32_t)page->limit, len);
}

void oms_route_get_queue(struct oms_http_request *req)
{
    const char *sku = oms_path_id(req, "sku", OMS_SKU_BYTES_MAX);
    if (!sku) return;
    struct oms_decoder d;
    oms_decoder_init(&d);
    struct queue_page page = {0, QUEUE_LIMIT_DEFAULT};
    oms_query_int(req, &d, "after", 0, UINT32_MAX, &page.after);
    oms_query_int(req, &d, "limit", 1, QUEUE_LIMIT_MAX, &page.limit);
    if (d.failed) {
        oms_reply_decoder(req, &d);
        return;
    }
    struct oms_call *call = oms_call_new(req, OMS_CMD_READ, NULL);
    if (!call) return;
    struct queue_page *owned = oms_call_own(call, malloc(sizeof *owned));
    *owned = page;
    call->spec = owned;
    call->cmd.u.item.sku = oms_call_strdup(call, sku);
    oms_call_submit(req, call, encode_queue, "");
}
