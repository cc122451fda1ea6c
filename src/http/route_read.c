/*
 * route_read.c - the reads answered on the event loop without the writer: bulk availability
 * from the in-memory index (the hot path), a channel's availability feed from the index too,
 * the event feed from the store's read connection, health and metrics.
 */
#include "base/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/jbuf.h"
#include "base/utf8.h"
#include "core/calendar.h"
#include "http/call.h"
#include "http/encode.h"
#include "http/routes.h"
#include "store/store.h"

#define EVENTS_LIMIT_MAX 1000
#define EVENTS_LIMIT_DEFAULT 100

bool oms_query_int(struct oms_http_request *req, struct oms_decoder *d, const char *key,
                   int64_t min, int64_t max, int64_t *out)
{
    const char *text = oms_http_query_first(req, key);
    if (!text) return false;
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (!text[0] || *end || errno == ERANGE || value < min || value > max ||
        !(text[0] >= '0' && text[0] <= '9') ) {
        oms_decoder_fail(d, 422, "invalid_field", key, "%s must be a whole number from %lld to %lld",
                         key, (long long)min, (long long)max);
        return false;
    }
    *out = value;
    return true;
}

/* One item of a channel feed page, as a jansson value; availability_write() below writes
 * the same shape for GET /v1/availability. */
static json_t *availability_json(const char *sku, const struct oms_availability *a)
{
    json_t *item = json_pack("{s:o, s:s, s:I}", "sku", oms_json_text(sku), "status",
                             oms_avail_status_name(a->status), "available",
                             (json_int_t)a->available);
    if (a->status == OMS_AVAIL_UNKNOWN_SKU) return item;
    json_object_set_new(item, "promise_date", oms_json_date(a->promise_day));
    if (a->release_day != OMS_DAY_NONE) {
        json_object_set_new(item, "release_date", oms_json_date(a->release_day));
    }
    json_t *locations = json_array();
    for (uint32_t k = 0; k < a->locations_count; k++) {
        json_array_append_new(locations, json_pack("{s:o, s:I}", "location",
                                                   oms_json_text(a->locations[k].code),
                                                   "available",
                                                   (json_int_t)a->locations[k].available));
    }
    json_object_set_new(item, "locations", locations);
    return item;
}

static void date_write(struct oms_jbuf *b, oms_day day)
{
    if (day == OMS_DAY_NONE) {
        oms_jbuf_lit(b, "null");
        return;
    }
    /* The items of one answer mostly share their dates: each loop thread keeps the last. */
    static _Thread_local oms_day last_day = OMS_DAY_NONE;
    static _Thread_local char last_text[13];
    if (day != last_day) {
        last_text[0] = '"';
        oms_day_format(day, last_text + 1);
        last_text[11] = '"';
        last_day = day;
    }
    oms_jbuf_raw(b, last_text, 12);
}

/* One item of an availability answer: {"sku","status","available"} and, for a known SKU,
 * "promise_date", "release_date" (preorders only) and "locations", in that order. */
static void availability_write(struct oms_jbuf *b, const char *sku, const struct oms_availability *a)
{
    oms_jbuf_lit(b, "{\"sku\":");
    oms_jbuf_str(b, sku);
    oms_jbuf_lit(b, ",\"status\":\"");
    const char *status = oms_avail_status_name(a->status);
    oms_jbuf_raw(b, status, strlen(status)); /* Our own names: nothing to escape. */
    oms_jbuf_lit(b, "\",\"available\":");
    oms_jbuf_int(b, a->available);
    if (a->status != OMS_AVAIL_UNKNOWN_SKU) {
        oms_jbuf_lit(b, ",\"promise_date\":");
        date_write(b, a->promise_day);
        if (a->release_day != OMS_DAY_NONE) {
            oms_jbuf_lit(b, ",\"release_date\":");
            date_write(b, a->release_day);
        }
        oms_jbuf_lit(b, ",\"locations\":[");
        for (uint32_t k = 0; k < a->locations_count; k++) {
            if (k > 0) oms_jbuf_lit(b, ",");
            oms_jbuf_lit(b, "{\"location\":");
            oms_jbuf_str(b, a->locations[k].code);
            oms_jbuf_lit(b, ",\"available\":");
            oms_jbuf_int(b, a->locations[k].available);
            oms_jbuf_lit(b, "}");
        }
        oms_jbuf_lit(b, "]");
    }
    oms_jbuf_lit(b, "}");
}

struct items_writer {
    struct oms_jbuf *b;
    const char *const *skus;
};

static void add_item(void *ctx, size_t i, const struct oms_availability *a)
{
    const struct items_writer *w = ctx;
    if (i > 0) oms_jbuf_lit(w->b, ",");
    availability_write(w->b, w->skus[i], a);
}

void oms_route_get_availability(struct oms_http_request *req)
{
    struct oms_engine *engine = oms_http_app(req);
    struct oms_decoder d;
    oms_decoder_init(&d);
    const char *channel = oms_http_query_first(req, "channel");
    const char *region = oms_http_query_first(req, "region");
    const char *collect = oms_http_query_first(req, "collect"); /* Click-and-collect there. */
    int64_t want = 1;
    if (!channel) oms_decoder_fail(&d, 422, "missing_field", "channel", "channel is required");
    oms_query_int(req, &d, "qty", 1, OMS_QTY_MAX, &want);
    const char **skus = oms_http_alloc(req, (OMS_AVAILABILITY_SKUS_MAX + 1) * sizeof *skus);
    size_t count = skus ? oms_http_query(req, "sku", skus, OMS_AVAILABILITY_SKUS_MAX + 1) : 0;
    if (!skus) oms_decoder_fail(&d, 413, "too_large", NULL, "the request is too large");
    if (count == 0) oms_decoder_fail(&d, 422, "missing_field", "sku", "give at least one sku");
    if (count > OMS_AVAILABILITY_SKUS_MAX) {
        oms_decoder_fail(&d, 413, "too_large", "sku", "at most %d skus per request (skus_max)",
                         OMS_AVAILABILITY_SKUS_MAX);
    }
    /* Each parameter bounded by its field's own limit, with the error every route gives: a
     * value no write could have created is refused, not looked up. */
    if (channel && !d.failed) oms_check_id(&d, "channel", channel, OMS_CODE_BYTES_MAX);
    if (region && !d.failed) oms_check_id(&d, "region", region, OMS_CODE_BYTES_MAX);
    if (collect && !d.failed) oms_check_id(&d, "collect", collect, OMS_CODE_BYTES_MAX);
    for (size_t i = 0; i < count && i <= OMS_AVAILABILITY_SKUS_MAX && !d.failed; i++) {
        oms_check_id(&d, "sku", skus[i], OMS_SKU_BYTES_MAX);
    }
    if (d.failed) {
        oms_reply_decoder(req, &d);
        return;
    }
    /* Written straight into one buffer (base/jbuf.h), never as a jansson tree: this is the
     * hot read path, and the bytes are the same as json_dumps would write. */
    char storage[16384];
    struct oms_jbuf b;
    oms_jbuf_init(&b, storage, sizeof storage);
    oms_jbuf_lit(&b, "{\"channel\":");
    oms_jbuf_str(&b, channel);
    oms_jbuf_lit(&b, ",\"qty\":");
    oms_jbuf_int(&b, want);
    oms_jbuf_lit(&b, ",\"items\":[");
    struct items_writer writer = {&b, skus};
    enum oms_err err = oms_engine_availability_many(engine, channel, skus, count, want, region,
                                                    collect, add_item, &writer);
    if (err == OMS_ENOTFOUND) {
        oms_jbuf_release(&b);
        oms_http_reply_error(req, 404, "not_found", "no such channel", "channel");
        return;
    }
    if (err == OMS_EINVAL) {
        oms_jbuf_release(&b);
        oms_http_reply_error(req, 422, "invalid_field",
                             "collect must be a location of the channel", "collect");
        return;
    }
    oms_jbuf_lit(&b, "]");
    if (collect) {
        oms_jbuf_lit(&b, ",\"collect\":");
        oms_jbuf_str(&b, collect);
    }
    oms_jbuf_lit(&b, "}");
    oms_http_reply_text(req, 200, "application/json", b.text, b.len);
    oms_jbuf_release(&b);
}

static void add_feed_item(void *ctx, const char *sku, const struct oms_availability *a)
{
    json_array_append_new((json_t *)ctx, availability_json(sku, a));
}

/* GET /v1/channels/{code}/feed?after=&limit=: a page of the items whose availability on the
 * channel changed since the cursor (all of them without one), from the index. */
void oms_route_get_channel_feed(struct oms_http_request *req)
{
    struct oms_engine *engine = oms_http_app(req);
    struct oms_decoder d;
    oms_decoder_init(&d);
    const char *code = oms_http_param(req, "code");
    const char *after = oms_http_query_first(req, "after");
    int64_t limit = OMS_FEED_LIMIT_DEFAULT;
    if (code) oms_check_id(&d, "code", code, OMS_CODE_BYTES_MAX);
    oms_query_int(req, &d, "limit", 1, OMS_FEED_LIMIT_MAX, &limit);
    if (!code || d.failed) {
        oms_reply_decoder(req, &d);
        return;
    }
    json_t *items = json_array();
    struct oms_feed_page page;
    enum oms_err err = oms_engine_feed(engine, code, after, (uint32_t)limit, add_feed_item, items,
                                       &page);
    if (err) {
        json_decref(items);
        if (err == OMS_ENOTFOUND) {
            oms_http_reply_error(req, 404, "not_found", "no such channel", "code");
        } else {
            oms_http_reply_error(req, 400, "invalid_cursor", page.why, "after");
        }
        return;
    }
    oms_http_reply_json(req, 200,
                        json_pack("{s:o, s:o, s:s, s:b, s:b, s:b}", "channel",
                                  oms_json_text(code), "items", items, "next", page.next, "more",
                                  page.more, "full", page.full, "reset", page.reset));
}

struct events_page {
    json_t *events;
    int64_t last;
};

/* An event's data as stored: JSON text the engine wrote (base/jsonw.h). A row written before
 * decision 51 may hold bytes that are not UTF-8 inside its strings: they are read as U+FFFD,
 * so the event keeps its data instead of losing it (or the whole event). */
static json_t *event_data(const char *text)
{
    if (!text) return json_object();
    json_t *data = json_loads(text, 0, NULL);
    size_t len = strlen(text);
    if (data || oms_utf8_valid(text, len, NULL)) return data ? data : json_object();
    char *fixed = malloc(oms_utf8_repaired_len(text, len) + 1);
    if (!fixed) return NULL;
    size_t fixed_len = oms_utf8_repair(text, len, fixed);
    data = json_loadb(fixed, fixed_len, 0, NULL);
    free(fixed);
    return data ? data : json_object();
}

static void add_event(void *ctx, const struct oms_event_row *row)
{
    struct events_page *page = ctx;
    json_array_append_new(page->events,
                          json_pack("{s:I, s:o, s:o, s:o, s:o}", "seq", (json_int_t)row->seq,
                                    "type", oms_json_text(row->type), "at",
                                    oms_json_instant(row->at_ms), "subject",
                                    oms_json_text(row->subject), "data",
                                    event_data(row->data_json)));
    page->last = row->seq;
}

void oms_route_get_events(struct oms_http_request *req)
{
    struct oms_engine *engine = oms_http_app(req);
    struct oms_decoder d;
    oms_decoder_init(&d);
    int64_t after = 0, limit = EVENTS_LIMIT_DEFAULT;
    oms_query_int(req, &d, "after", 0, INT64_MAX, &after);
    oms_query_int(req, &d, "limit", 1, EVENTS_LIMIT_MAX, &limit);
    if (d.failed) {
        oms_reply_decoder(req, &d);
        return;
    }
    struct events_page page = {json_array(), after};
    enum oms_err err = oms_engine_events(engine, after, (uint32_t)limit, add_event, &page);
    if (err) {
        json_decref(page.events);
        oms_http_reply_error(req, 503, "server_busy", "cannot read the event feed now", NULL);
        return;
    }
    oms_http_reply_json(req, 200,
                        json_pack("{s:o, s:I}", "events", page.events, "next",
                                  (json_int_t)page.last));
}

void oms_route_get_timeline(struct oms_http_request *req)
{
    struct oms_engine *engine = oms_http_app(req);
    struct oms_decoder d;
    oms_decoder_init(&d);
    const char *id = oms_http_param(req, "id");
    int64_t after = 0, limit = EVENTS_LIMIT_MAX;
    if (id) oms_check_id(&d, "id", id, OMS_ID_BYTES_MAX);
    oms_query_int(req, &d, "after", 0, INT64_MAX, &after);
    oms_query_int(req, &d, "limit", 1, EVENTS_LIMIT_MAX, &limit);
    if (!id || d.failed) {
        oms_reply_decoder(req, &d);
        return;
    }
    struct events_page page = {json_array(), after};
    enum oms_err err =
        oms_engine_subject_events(engine, id, after, (uint32_t)limit, add_event, &page);
    if (err) {
        json_decref(page.events);
        oms_http_reply_error(req, 503, "server_busy", "cannot read the timeline now", NULL);
        return;
    }
    /* Every order's story starts with order.created: none at all means no such order. */
    if (after == 0 && json_array_size(page.events) == 0) {
        json_decref(page.events);
        oms_http_reply_error(req, 404, "not_found", "no such order", NULL);
        return;
    }
    oms_http_reply_json(req, 200,
                        json_pack("{s:s, s:o, s:I}", "order", id, "events", page.events, "next",
                                  (json_int_t)page.last));
}

void oms_route_get_healthz(struct oms_http_request *req)
{
    oms_http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

void oms_route_get_metrics(struct oms_http_request *req)
{
    struct oms_engine *engine = oms_http_app(req);
    char text[512];
    int n = snprintf(text, sizeof text,
                     "# HELP oms_up 1 while the server answers.\n# TYPE oms_up gauge\noms_up 1\n"
                     "# HELP oms_engine_clock_seconds The engine clock (latest instant seen).\n"
                     "# TYPE oms_engine_clock_seconds gauge\noms_engine_clock_seconds %lld\n",
                     (long long)(oms_engine_clock_ms(engine) / 1000));
    oms_http_reply_text(req, 200, "text/plain; version=0.0.4", text, (size_t)n);
}
