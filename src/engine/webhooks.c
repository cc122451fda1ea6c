/*
 * webhooks.c - the webhook dispatcher (see webhooks.h for what it promises).
 *
 * One thread runs a libcurl multi handle. For each active webhook it keeps a window: the
 * pending deliveries, in seq order, each with its attempts and the wall-clock time of its
 * next attempt. A round of the loop:
 *   1. refresh: after the writer commits (or every POLL_MS), read the outbox's last seq and the
 *      "webhooks_generation" counter; a new generation reloads the registry and, once nothing
 *      of ours is unrecorded, picks up deliveries re-queued by hand;
 *   2. scan: read events after each webhook's cursor; each one it wants joins the window;
 *   3. start: for each subject, the earliest pending delivery in the window is the only one that
 *      may be sent (per-subject order); it is started when due, within the concurrency caps;
 *   4. collect finished attempts: 2xx is delivered, else retry later or dead;
 *   5. flush: every change (new rows, attempts, statuses, cursors) goes to the writer as one
 *      OMS_CMD_DELIVERY_UPDATE; the next waits until that one is committed.
 * The window in memory runs ahead of the database; on start it is rebuilt from the pending
 * rows and the cursor, so a crash re-sends what was not recorded (at least once), and a clean
 * stop lets attempts finish and records them first (nothing sent twice).
 */
#include "base/platform.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "base/strmap.h"
#include "base/utf8.h"
#include "engine/clock.h"
#include "engine/webhooks.h"
#include "store/model.h"

#define POLL_MS 1000          /* Longest sleep without a wake: catches anything missed. */
#define SUBMIT_RETRY_MS 20    /* The writer's queue was full: try the results again soon. */
#define SCAN_EVENTS_MAX 256   /* Events read per webhook and round. */
#define DIRTY_MAX 8192        /* Unrecorded results before scanning pauses. */
#define INFLIGHT_TOTAL_MAX 64 /* Concurrent attempts over every webhook. */
#define PAGE_MAX 512          /* Rows per read when loading pending deliveries. */
#define GENERATION_KEY "webhooks_generation"
#define ATTEMPTS_LIMIT 100    /* Highest attempts_max a setting may ask for. */

_Static_assert(OMS_WEBHOOK_BACKOFF_BASE_MS <= OMS_WEBHOOK_BACKOFF_CAP_MS,
               "the first retry waits no longer than the cap");
_Static_assert(OMS_WEBHOOK_INFLIGHT_MAX <= INFLIGHT_TOTAL_MAX,
               "one webhook alone can use its whole share");

struct entry { /* A pending delivery of one event to one webhook. */
    int64_t seq;
    char *type, *subject;
    char *body; /* The JSON posted: {seq, type, at, subject, data}. */
    size_t body_len;
    int32_t attempts;
    int64_t next_ms;
    bool inflight;
    uint64_t dirty_gen; /* == dispatcher's dirty_gen: its row is dirty[dirty_slot]. */
    uint32_t dirty_slot;
};

struct hook { /* A webhook as the dispatcher knows it. */
    int64_t idx;
    char *id, *url, *secret, *types;
    bool active;
    int64_t cursor;       /* Every event up to here was read (in memory). */
    int64_t cursor_saved; /* The cursor sent to the writer last. */
    struct entry *window; /* Pending deliveries, by seq. */
    uint32_t window_count, window_cap;
    uint32_t inflight_count;
};

struct dirty_row {
    struct oms_delivery_row row; /* row.last_error is set when sent (error moves with realloc). */
    bool has_error;
    char error[OMS_WEBHOOK_ERROR_BYTES_MAX];
};

struct transfer { /* One attempt in flight. */
    struct hook *hook;
    int64_t seq;
    struct curl_slist *headers;
    char error[CURL_ERROR_SIZE];
};

struct oms_webhooks {
    struct oms_engine *engine;
    struct oms_store *api; /* Reads for the API, under api_lock. */
    pthread_mutex_t api_lock;

    bool started;
    pthread_t thread;
    struct oms_store *feed; /* The dispatcher's connection: its thread only. */
    CURLM *multi;
    pthread_mutex_t lock; /* Guards the four flags below. */
    bool stopping, woken, update_inflight;
    /* False while the dispatcher has nothing to watch (no webhook, nothing pending): a batch
     * then wakes it only if it changed the registry, not for every commit. */
    bool listening;

    /* The dispatcher thread's own state. */
    int64_t backoff_ms, timeout_ms;
    int32_t attempts_max;
    uint64_t rng;
    int64_t generation, last_seq, poll_at_ms, flush_at_ms;
    bool want_requeue;
    struct hook **hooks;
    uint32_t hooks_count, hooks_cap;
    uint32_t inflight_total;
    struct dirty_row *dirty;
    uint32_t dirty_count, dirty_cap;
    uint64_t dirty_gen;
    /* The update in flight and what it points to (unchanged until it is done). */
    struct oms_command update;
    struct oms_delivery_row *sent_rows;
    char (*sent_errors)[OMS_WEBHOOK_ERROR_BYTES_MAX];
    uint32_t sent_cap;
    struct oms_webhook_cursor *sent_cursors;
    uint32_t sent_cursors_cap;
};

static const char *const status_names[] = {
    [OMS_DELIVERY_PENDING] = "pending",
    [OMS_DELIVERY_DELIVERED] = "delivered",
    [OMS_DELIVERY_DEAD] = "dead",
};

const char *oms_delivery_status_name(enum oms_delivery_status status)
{
    OMS_ASSERT((size_t)status < OMS_ARRAY_LEN(status_names));
    return status_names[status];
}

bool oms_delivery_status_parse(const char *name, enum oms_delivery_status *out)
{
    for (size_t i = 0; i < OMS_ARRAY_LEN(status_names); i++) {
        if (strcmp(status_names[i], name) == 0) {
            *out = (enum oms_delivery_status)i;
            return true;
        }
    }
    return false;
}

void oms_webhook_sign(const char *secret, int64_t unix_s, const char *body, size_t body_len,
                      char out[68])
{
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, "%lld.", (long long)unix_s);
    OMS_ASSERT(n > 0 && (size_t)n < sizeof prefix);
    unsigned char *signed_text = malloc((size_t)n + body_len + 1);
    OMS_ASSERT(signed_text != NULL);
    memcpy(signed_text, prefix, (size_t)n);
    memcpy(signed_text + n, body, body_len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    size_t secret_len = strlen(secret);
    OMS_ASSERT(secret_len <= OMS_WEBHOOK_SECRET_BYTES_MAX);
    OMS_ASSERT(HMAC(EVP_sha256(), secret, (int)secret_len, signed_text, (size_t)n + body_len,
                    mac, &mac_len) != NULL);
    OMS_ASSERT(mac_len == 32);
    free(signed_text);
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "v1=", 3);
    for (unsigned int i = 0; i < mac_len; i++) {
        out[3 + 2 * i] = hex[mac[i] >> 4];
        out[3 + 2 * i + 1] = hex[mac[i] & 15];
    }
    out[3 + 2 * mac_len] = '\0';
}

/* --- Settings --- */

/* option > environment > default, each within [min, max]. */
static int64_t setting(int64_t option, const char *env, int64_t min, int64_t max, int64_t fallback)
{
    if (option > 0) return option < min ? min : option > max ? max : option;
    const char *text = getenv(env);
    if (text && text[0]) {
        char *end;
        long long value = strtoll(text, &end, 10);
        if (!*end && value >= min && value <= max) return value;
        oms_log(OMS_LOG_WARN, "ignoring %s='%.32s': not a whole number from %lld to %lld", env,
                text, (long long)min, (long long)max);
    }
    return fallback;
}

/* --- Windows --- */

static bool types_match(const char *types, const char *type)
{
    if (strcmp(types, "*") == 0) return true;
    size_t len = strlen(type);
    for (const char *p = types; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == len && memcmp(p, type, len) == 0) return true;
        p += n + (comma ? 1 : 0);
    }
    return false;
}

/* Index of seq in the window, or of where it would go; *found says which. */
static uint32_t window_find(const struct hook *hook, int64_t seq, bool *found)
{
    uint32_t low = 0, high = hook->window_count;
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;
        if (hook->window[mid].seq < seq) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    *found = low < hook->window_count && hook->window[low].seq == seq;
    return low;
}

static char *event_body(int64_t seq, const char *type, int64_t at_ms, const char *subject,
                        const char *data_json, size_t *len)
{
    struct oms_jsonw json;
    char at[OMS_RFC3339_LEN];
    oms_rfc3339_format(at_ms, at);
    oms_jsonw_begin(&json);
    oms_jsonw_int(&json, "seq", seq);
    oms_jsonw_str(&json, "type", type);
    oms_jsonw_str(&json, "at", at);
    oms_jsonw_str(&json, "subject", subject);
    /* The head is an open object: the data, already JSON text, goes in as it is, but for the
     * bytes of a row stored before decision 51 that are not UTF-8, sent as U+FFFD. */
    size_t data_len = strlen(data_json);
    bool valid = oms_utf8_valid(data_json, data_len, NULL);
    size_t shown_len = valid ? data_len : oms_utf8_repaired_len(data_json, data_len);
    size_t cap = json.len + shown_len + 16;
    char *body = malloc(cap);
    OMS_ASSERT(body != NULL);
    memcpy(body, json.text, json.len);
    size_t n = json.len;
    memcpy(body + n, ",\"data\":", 8);
    n += 8;
    if (valid) {
        memcpy(body + n, data_json, data_len);
    } else {
        oms_utf8_repair(data_json, data_len, body + n);
    }
    n += shown_len;
    body[n++] = '}';
    body[n] = '\0';
    OMS_ASSERT(n < cap);
    *len = n;
    return body;
}

/* Puts a pending delivery into the window at its place (seq not there yet). */
static struct entry *window_insert(struct hook *hook, int64_t seq, const char *type,
                                   const char *subject, int64_t at_ms, const char *data_json,
                                   int32_t attempts, int64_t next_ms)
{
    bool found;
    uint32_t at = window_find(hook, seq, &found);
    OMS_ASSERT(!found);
    oms_grow((void **)&hook->window, &hook->window_cap, hook->window_count + 1,
             sizeof *hook->window);
    memmove(&hook->window[at + 1], &hook->window[at],
            (hook->window_count - at) * sizeof *hook->window);
    hook->window_count++;
    struct entry *e = &hook->window[at];
    memset(e, 0, sizeof *e);
    e->seq = seq;
    e->type = oms_strdup(type);
    e->subject = oms_strdup(subject);
    e->body = event_body(seq, type, at_ms, subject, data_json, &e->body_len);
    e->attempts = attempts;
    e->next_ms = next_ms;
    return e;
}

static void entry_free(struct entry *e)
{
    free(e->type);
    free(e->subject);
    free(e->body);
}

static void window_remove(struct hook *hook, uint32_t at)
{
    OMS_ASSERT(at < hook->window_count);
    OMS_ASSERT(!hook->window[at].inflight);
    entry_free(&hook->window[at]);
    memmove(&hook->window[at], &hook->window[at + 1],
            (hook->window_count - at - 1) * sizeof *hook->window);
    hook->window_count--;
}

/* Notes the delivery's state for the next update (one row per delivery per update). */
static void record(struct oms_webhooks *d, const struct hook *hook, struct entry *e,
                   enum oms_delivery_status status, const char *error)
{
    struct dirty_row *row;
    if (e->dirty_gen == d->dirty_gen) {
        OMS_ASSERT(e->dirty_slot < d->dirty_count);
        row = &d->dirty[e->dirty_slot];
    } else {
        oms_grow((void **)&d->dirty, &d->dirty_cap, d->dirty_count + 1, sizeof *d->dirty);
        e->dirty_gen = d->dirty_gen;
        e->dirty_slot = d->dirty_count;
        row = &d->dirty[d->dirty_count++];
    }
    memset(row, 0, sizeof *row);
    row->row.webhook = hook->idx;
    row->row.seq = e->seq;
    row->row.attempts = e->attempts;
    row->row.next_ms = e->next_ms;
    row->row.status = status;
    row->has_error = error != NULL;
    if (error) snprintf(row->error, sizeof row->error, "%s", error);
}

/* --- Registry --- */

struct hook_load {
    struct hook *hook;
    int64_t last;
    uint32_t count;
};

static void take_pending(void *ctx, const struct oms_delivery_row *row)
{
    struct hook_load *load = ctx;
    bool found;
    load->last = row->seq;
    load->count++;
    (void)window_find(load->hook, row->seq, &found);
    if (found) return; /* Already in the window (a re-queue scan meets it again). */
    (void)window_insert(load->hook, row->seq, row->type, row->subject, row->at_ms,
                        row->data_json, row->attempts, row->next_ms);
}

/* Adds every pending row of the webhook that is not in its window yet; false when the store
 * failed (logged; the caller tries again later). */
static bool load_pending(struct oms_webhooks *d, struct hook *hook)
{
    struct hook_load load = {.hook = hook, .last = 0};
    do {
        load.count = 0;
        enum oms_err err = oms_store_deliveries_list(d->feed, hook->idx, OMS_DELIVERY_PENDING,
                                                     load.last, PAGE_MAX, take_pending, &load);
        if (err) {
            oms_log(OMS_LOG_WARN, "cannot read pending deliveries of webhook '%s': %s",
                    hook->id, oms_err_message(err));
            return false;
        }
    } while (load.count == PAGE_MAX);
    return true;
}

static struct hook *hook_by_idx(struct oms_webhooks *d, int64_t idx)
{
    for (uint32_t i = 0; i < d->hooks_count; i++) {
        if (d->hooks[i]->idx == idx) return d->hooks[i];
    }
    return NULL;
}

static void take_webhook(void *ctx, const struct oms_webhook_row *row)
{
    struct oms_webhooks *d = ctx;
    struct hook *hook = hook_by_idx(d, row->idx);
    if (!hook && row->active) {
        hook = calloc(1, sizeof *hook);
        OMS_ASSERT(hook != NULL);
        hook->idx = row->idx;
        hook->id = oms_strdup(row->id);
        hook->url = oms_strdup(row->url);
        hook->secret = oms_strdup(row->secret);
        hook->types = oms_strdup(row->types);
        hook->active = true;
        hook->cursor = hook->cursor_saved = row->cursor;
        oms_grow((void **)&d->hooks, &d->hooks_cap, d->hooks_count + 1, sizeof *d->hooks);
        d->hooks[d->hooks_count++] = hook;
        /* A failure here is repaired by the re-queue scan this refresh asks for. */
        (void)load_pending(d, hook);
        return;
    }
    if (hook && hook->active && !row->active) {
        /* Deactivated: attempts in flight finish and are recorded; the rest stay pending. */
        hook->active = false;
        for (uint32_t i = hook->window_count; i-- > 0;) {
            if (!hook->window[i].inflight) window_remove(hook, i);
        }
    }
}

/* After a commit: new events, and a new generation (registrations, re-queues). */
static void refresh(struct oms_webhooks *d)
{
    int64_t generation = 0, last = 0;
    enum oms_err err = oms_store_meta_get(d->feed, GENERATION_KEY, &generation);
    if (err == OMS_ENOTFOUND) err = OMS_OK;
    if (!err) err = oms_store_last_event_seq(d->feed, &last);
    if (!err) {
        int64_t durable = oms__engine_durable_event_seq(d->engine);
        if (last > durable) last = durable; /* Committed, not yet synced: not yet. */
    }
    if (err) {
        oms_log(OMS_LOG_WARN, "webhook dispatcher cannot read the outbox: %s",
                oms_err_message(err));
        return;
    }
    d->last_seq = last;
    if (generation == d->generation) return;
    err = oms_store_webhook_get(d->feed, NULL, take_webhook, d);
    if (err) {
        oms_log(OMS_LOG_WARN, "webhook dispatcher cannot read webhooks: %s",
                oms_err_message(err));
        return;
    }
    d->generation = generation;
    d->want_requeue = true;
}

/* True when everything the dispatcher decided is committed: the database then holds exactly
 * the windows' deliveries as pending, plus any re-queued by hand. */
static bool quiescent(struct oms_webhooks *d)
{
    pthread_mutex_lock(&d->lock);
    bool inflight = d->update_inflight;
    pthread_mutex_unlock(&d->lock);
    return !inflight && d->dirty_count == 0 && d->inflight_total == 0;
}

static void requeue(struct oms_webhooks *d)
{
    bool loaded = true;
    for (uint32_t i = 0; i < d->hooks_count; i++) {
        if (d->hooks[i]->active) loaded &= load_pending(d, d->hooks[i]);
    }
    d->want_requeue = !loaded;
}

/* --- Reading the outbox --- */

struct scan {
    struct oms_webhooks *d;
    struct hook *hook;
    int64_t now_ms;
};

static void take_event(void *ctx, const struct oms_event_row *row)
{
    struct scan *scan = ctx;
    struct hook *hook = scan->hook;
    OMS_ASSERT(row->seq > hook->cursor);
    if (row->seq > scan->d->last_seq) return; /* Not durable yet: the next scan takes it. */
    hook->cursor = row->seq;
    if (!types_match(hook->types, row->type)) return;
    struct entry *e = window_insert(hook, row->seq, row->type, row->subject, row->at_ms,
                                    row->data_json, 0, scan->now_ms);
    record(scan->d, hook, e, OMS_DELIVERY_PENDING, NULL);
}

/* Reads new events into the windows; true when more are waiting. */
static bool scan(struct oms_webhooks *d, int64_t now_ms)
{
    bool more = false;
    for (uint32_t i = 0; i < d->hooks_count; i++) {
        struct hook *hook = d->hooks[i];
        if (!hook->active || hook->cursor >= d->last_seq) continue;
        if (hook->window_count >= OMS_WEBHOOK_WINDOW_MAX || d->dirty_count >= DIRTY_MAX) continue;
        uint32_t room = OMS_WEBHOOK_WINDOW_MAX - hook->window_count;
        struct scan ctx = {.d = d, .hook = hook, .now_ms = now_ms};
        enum oms_err err = oms_store_list_events(d->feed, hook->cursor,
                                                 room < SCAN_EVENTS_MAX ? room : SCAN_EVENTS_MAX,
                                                 take_event, &ctx);
        if (err) {
            oms_log(OMS_LOG_WARN, "webhook dispatcher cannot read events: %s",
                    oms_err_message(err));
            return false;
        }
        more |= hook->cursor < d->last_seq;
    }
    return more;
}

/* --- Attempts --- */

static size_t discard(char *data, size_t size, size_t count, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * count;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name, const char *value)
{
    char line[256];
    snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *grown = curl_slist_append(list, line);
    OMS_ASSERT(grown != NULL);
    return grown;
}

static void start(struct oms_webhooks *d, struct hook *hook, struct entry *e)
{
    struct transfer *t = calloc(1, sizeof *t);
    OMS_ASSERT(t != NULL);
    t->hook = hook;
    t->seq = e->seq;
    char text[80], signature[68];
    int64_t unix_s = oms_now_ms() / 1000;
    oms_webhook_sign(hook->secret, unix_s, e->body, e->body_len, signature);
    t->headers = add_header(NULL, "Content-Type", "application/json");
    t->headers = add_header(t->headers, "Expect", ""); /* No 100-continue round trip. */
    snprintf(text, sizeof text, "%lld", (long long)e->seq);
    t->headers = add_header(t->headers, "OMS-Event-Id", text);
    t->headers = add_header(t->headers, "OMS-Event-Type", e->type);
    snprintf(text, sizeof text, "%lld", (long long)unix_s);
    t->headers = add_header(t->headers, "OMS-Timestamp", text);
    t->headers = add_header(t->headers, "OMS-Signature", signature);
    t->headers = add_header(t->headers, "OMS-Webhook-Id", hook->id);
    snprintf(text, sizeof text, "%d", e->attempts + 1);
    t->headers = add_header(t->headers, "OMS-Delivery-Attempt", text);
    CURL *easy = curl_easy_init();
    OMS_ASSERT(easy != NULL);
    long connect_ms = (long)(d->timeout_ms < OMS_WEBHOOK_CONNECT_TIMEOUT_MS
                                 ? d->timeout_ms
                                 : OMS_WEBHOOK_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(easy, CURLOPT_URL, hook->url);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, e->body); /* Lives while the entry is in flight. */
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)e->body_len);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "oms-webhooks/1");
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)d->timeout_ms);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
    OMS_ASSERT(curl_multi_add_handle(d->multi, easy) == CURLM_OK);
    e->inflight = true;
    hook->inflight_count++;
    d->inflight_total++;
}

/* Starts every due delivery that heads its subject; returns the earliest time a waiting head
 * falls due (INT64_MAX: none). */
static int64_t start_due(struct oms_webhooks *d, int64_t now_ms)
{
    int64_t next_ms = INT64_MAX;
    struct oms_strmap seen;
    for (uint32_t i = 0; i < d->hooks_count; i++) {
        struct hook *hook = d->hooks[i];
        if (!hook->active || hook->window_count == 0) continue;
        oms_strmap_init(&seen);
        for (uint32_t k = 0; k < hook->window_count; k++) {
            struct entry *e = &hook->window[k];
            uint32_t unused;
            if (oms_strmap_get(&seen, e->subject, &unused)) continue; /* Behind its subject. */
            oms_strmap_put(&seen, e->subject, k);
            if (e->inflight) continue;
            if (e->next_ms > now_ms) {
                if (e->next_ms < next_ms) next_ms = e->next_ms;
                continue;
            }
            if (hook->inflight_count >= OMS_WEBHOOK_INFLIGHT_MAX ||
                d->inflight_total >= INFLIGHT_TOTAL_MAX) {
                continue; /* A finishing attempt wakes the loop. */
            }
            start(d, hook, e);
        }
        oms_strmap_release(&seen);
    }
    return next_ms;
}

/* Full jitter: a random delay in [0, min(cap, base * 2^(attempts - 1))]. */
static int64_t retry_delay_ms(struct oms_webhooks *d, int32_t attempts)
{
    int64_t ceiling = d->backoff_ms;
    for (int32_t i = 1; i < attempts && ceiling < OMS_WEBHOOK_BACKOFF_CAP_MS; i++) ceiling *= 2;
    if (ceiling > OMS_WEBHOOK_BACKOFF_CAP_MS) ceiling = OMS_WEBHOOK_BACKOFF_CAP_MS;
    /* xorshift64*: statistical quality is plenty for spreading retries. */
    d->rng ^= d->rng >> 12;
    d->rng ^= d->rng << 25;
    d->rng ^= d->rng >> 27;
    uint64_t random = d->rng * 0x2545F4914F6CDD1DULL;
    return (int64_t)(random % (uint64_t)(ceiling + 1));
}

static void finish(struct oms_webhooks *d, struct transfer *t, bool ok, const char *error)
{
    struct hook *hook = t->hook;
    bool found;
    uint32_t at = window_find(hook, t->seq, &found);
    OMS_ASSERT(found); /* An entry in flight never leaves its window. */
    struct entry *e = &hook->window[at];
    OMS_ASSERT(e->inflight);
    e->inflight = false;
    e->attempts++;
    hook->inflight_count--;
    d->inflight_total--;
    int64_t now_ms = oms_now_ms();
    if (ok) {
        record(d, hook, e, OMS_DELIVERY_DELIVERED, NULL);
    } else if (e->attempts >= d->attempts_max) {
        oms_log(OMS_LOG_WARN, "webhook '%s' gave up on event %lld after %d attempts: %s",
                hook->id, (long long)e->seq, e->attempts, error);
        record(d, hook, e, OMS_DELIVERY_DEAD, error);
    } else {
        e->next_ms = now_ms + retry_delay_ms(d, e->attempts);
        record(d, hook, e, OMS_DELIVERY_PENDING, error);
        if (hook->active) return; /* Stays in the window for its next attempt. */
    }
    window_remove(hook, at);
}

/* Runs transfers and records those that ended; returns how many ended. */
static uint32_t collect(struct oms_webhooks *d)
{
    int running = 0;
    (void)curl_multi_perform(d->multi, &running);
    uint32_t ended = 0;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(d->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        struct transfer *t = NULL;
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        char error[OMS_WEBHOOK_ERROR_BYTES_MAX];
        bool ok = result == CURLE_OK && status >= 200 && status <= 299;
        if (result != CURLE_OK) {
            const char *why = t->error[0] ? t->error : curl_easy_strerror(result);
            snprintf(error, sizeof error, "%.*s", (int)sizeof error - 1, why);
            oms_utf8_trim(error); /* Kept and shown as last_error: not cut in a character. */
        } else {
            snprintf(error, sizeof error, "HTTP %ld", status);
        }
        curl_multi_remove_handle(d->multi, easy);
        curl_easy_cleanup(easy);
        curl_slist_free_all(t->headers);
        finish(d, t, ok, error);
        free(t);
        ended++;
    }
    return ended;
}

/* --- Recording through the writer --- */

static void update_done(struct oms_command *cmd)
{
    struct oms_webhooks *d = cmd->user;
    if (cmd->err) {
        oms_log(OMS_LOG_ERROR, "cannot record webhook deliveries: %s", oms_err_message(cmd->err));
    }
    pthread_mutex_lock(&d->lock);
    d->update_inflight = false;
    pthread_mutex_unlock(&d->lock);
    curl_multi_wakeup(d->multi);
}

/* Sends what changed since the last update, unless one is still in flight; returns true when
 * nothing is left unsent. */
static bool flush(struct oms_webhooks *d, int64_t now_ms)
{
    pthread_mutex_lock(&d->lock);
    bool inflight = d->update_inflight;
    pthread_mutex_unlock(&d->lock);
    if (inflight || now_ms < d->flush_at_ms) return false;
    uint32_t cursors = 0;
    for (uint32_t i = 0; i < d->hooks_count; i++) {
        cursors += d->hooks[i]->cursor > d->hooks[i]->cursor_saved;
    }
    if (d->dirty_count == 0 && cursors == 0) return true;
    if (d->dirty_count > d->sent_cap) {
        uint32_t cap = d->sent_cap;
        oms_grow((void **)&d->sent_rows, &d->sent_cap, d->dirty_count, sizeof *d->sent_rows);
        oms_grow((void **)&d->sent_errors, &cap, d->dirty_count, sizeof *d->sent_errors);
        OMS_ASSERT(cap == d->sent_cap);
    }
    oms_grow((void **)&d->sent_cursors, &d->sent_cursors_cap, cursors + 1,
             sizeof *d->sent_cursors);
    for (uint32_t i = 0; i < d->dirty_count; i++) {
        d->sent_rows[i] = d->dirty[i].row;
        memcpy(d->sent_errors[i], d->dirty[i].error, sizeof d->sent_errors[i]);
        d->sent_rows[i].last_error = d->dirty[i].has_error ? d->sent_errors[i] : NULL;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < d->hooks_count; i++) {
        if (d->hooks[i]->cursor <= d->hooks[i]->cursor_saved) continue;
        d->sent_cursors[k].webhook = d->hooks[i]->idx;
        d->sent_cursors[k++].cursor = d->hooks[i]->cursor;
    }
    memset(&d->update, 0, sizeof d->update);
    d->update.kind = OMS_CMD_DELIVERY_UPDATE;
    /* The engine clock's own instant: bookkeeping must not move the clock of the world. */
    int64_t clock_ms = oms_engine_clock_ms(d->engine);
    d->update.at_ms = clock_ms > 0 ? clock_ms : 1;
    d->update.u.deliveries.rows = d->sent_rows;
    d->update.u.deliveries.rows_count = d->dirty_count;
    d->update.u.deliveries.cursors = d->sent_cursors;
    d->update.u.deliveries.cursors_count = k;
    d->update.done = update_done;
    d->update.user = d;
    pthread_mutex_lock(&d->lock);
    d->update_inflight = true; /* Before submitting: the writer may finish it first. */
    pthread_mutex_unlock(&d->lock);
    enum oms_err err = oms_engine_submit(d->engine, &d->update);
    if (err) {
        pthread_mutex_lock(&d->lock);
        d->update_inflight = false;
        pthread_mutex_unlock(&d->lock);
        d->flush_at_ms = now_ms + SUBMIT_RETRY_MS; /* Keep the results; try again soon. */
        return false;
    }
    d->dirty_count = 0;
    d->dirty_gen++;
    for (uint32_t i = 0; i < d->hooks_count; i++) d->hooks[i]->cursor_saved = d->hooks[i]->cursor;
    return false;
}

/* --- The thread --- */

static int poll_timeout(int64_t now_ms, int64_t until_ms)
{
    if (until_ms <= now_ms) return 0;
    int64_t wait = until_ms - now_ms;
    return wait > POLL_MS ? POLL_MS : (int)wait;
}

static void *dispatcher_main(void *arg)
{
    struct oms_webhooks *d = arg;
    d->generation = -1; /* Differs from any stored value: the first refresh loads all. */
    for (;;) {
        pthread_mutex_lock(&d->lock);
        bool stopping = d->stopping, woken = d->woken;
        d->woken = false;
        pthread_mutex_unlock(&d->lock);
        if (stopping) break;
        int64_t now_ms = oms_now_ms();
        if (woken || now_ms >= d->poll_at_ms) {
            refresh(d);
            d->poll_at_ms = now_ms + POLL_MS;
        }
        if (d->want_requeue && quiescent(d)) requeue(d);
        bool more = false;
        int64_t due_ms = INT64_MAX;
        if (!d->want_requeue) { /* While it waits to be quiet, it starts nothing new. */
            more = scan(d, now_ms);
            due_ms = start_due(d, now_ms);
        }
        more |= collect(d) > 0;
        flush(d, now_ms);
        int64_t until_ms = more ? now_ms : d->poll_at_ms;
        if (due_ms < until_ms) until_ms = due_ms;
        if (d->flush_at_ms > now_ms && d->flush_at_ms < until_ms) until_ms = d->flush_at_ms;
        bool idle = d->hooks_count == 0 && !d->want_requeue && d->inflight_total == 0 &&
                    d->dirty_count == 0;
        pthread_mutex_lock(&d->lock);
        d->listening = !idle || d->woken || d->update_inflight;
        pthread_mutex_unlock(&d->lock);
        curl_multi_poll(d->multi, NULL, 0, poll_timeout(now_ms, until_ms), NULL);
    }
    /* Stopping: attempts in flight finish (each within the timeout) and every result is
     * committed before the thread ends, so a clean restart sends nothing twice. */
    while (d->inflight_total > 0) {
        if (collect(d) == 0) curl_multi_poll(d->multi, NULL, 0, 50, NULL);
    }
    for (;;) {
        bool done = flush(d, oms_now_ms());
        pthread_mutex_lock(&d->lock);
        bool inflight = d->update_inflight;
        pthread_mutex_unlock(&d->lock);
        if (done && !inflight) break;
        curl_multi_poll(d->multi, NULL, 0, 20, NULL);
    }
    return NULL;
}

enum oms_err oms__webhooks_open(struct oms_engine *engine, const struct oms_engine_options *options,
                                struct oms_webhooks **out)
{
    struct oms_webhooks *d = calloc(1, sizeof *d);
    if (!d) return OMS_ENOMEM;
    d->engine = engine;
    pthread_mutex_init(&d->api_lock, NULL);
    pthread_mutex_init(&d->lock, NULL);
    enum oms_err err = oms_store_open(options->db_path, false, true, &d->api);
    if (!err && !options->no_webhooks) {
        err = oms_store_open(options->db_path, false, true, &d->feed);
    }
    if (err) {
        oms__webhooks_free(d);
        return err;
    }
    *out = d;
    if (options->no_webhooks) return OMS_OK;
    d->backoff_ms = setting(options->webhook_backoff_ms, "OMS_WEBHOOK_BACKOFF_MS", 1,
                            OMS_WEBHOOK_BACKOFF_CAP_MS, OMS_WEBHOOK_BACKOFF_BASE_MS);
    d->attempts_max = (int32_t)setting(options->webhook_attempts_max, "OMS_WEBHOOK_ATTEMPTS_MAX",
                                       1, ATTEMPTS_LIMIT, OMS_WEBHOOK_ATTEMPTS_MAX);
    d->timeout_ms = setting(options->webhook_timeout_ms, "OMS_WEBHOOK_TIMEOUT_MS", 10, 600000,
                            OMS_WEBHOOK_TIMEOUT_MS);
    d->rng = ((uint64_t)oms_now_ms() << 20) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)d;
    if (d->rng == 0) d->rng = 1;
    d->dirty_gen = 1;
    d->listening = true; /* Until its first round has read the registry. */
    OMS_ASSERT(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
    d->multi = curl_multi_init();
    OMS_ASSERT(d->multi != NULL);
    OMS_ASSERT(pthread_create(&d->thread, NULL, dispatcher_main, d) == 0);
    d->started = true;
    return OMS_OK;
}

void oms__webhooks_wake(struct oms_webhooks *d, bool registry_changed)
{
    if (!d || !d->started) return;
    pthread_mutex_lock(&d->lock);
    bool wake = registry_changed || d->listening;
    if (wake) d->woken = d->listening = true;
    pthread_mutex_unlock(&d->lock);
    if (wake) curl_multi_wakeup(d->multi);
}

void oms__webhooks_stop(struct oms_webhooks *d)
{
    if (!d || !d->started) return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_mutex_unlock(&d->lock);
    curl_multi_wakeup(d->multi);
    pthread_join(d->thread, NULL);
    d->started = false;
}

void oms__webhooks_free(struct oms_webhooks *d)
{
    if (!d) return;
    OMS_ASSERT(!d->started);
    for (uint32_t i = 0; i < d->hooks_count; i++) {
        struct hook *hook = d->hooks[i];
        for (uint32_t k = 0; k < hook->window_count; k++) entry_free(&hook->window[k]);
        free(hook->window);
        free(hook->id);
        free(hook->url);
        free(hook->secret);
        free(hook->types);
        free(hook);
    }
    free(d->hooks);
    free(d->dirty);
    free(d->sent_rows);
    free(d->sent_errors);
    free(d->sent_cursors);
    if (d->multi) {
        curl_multi_cleanup(d->multi);
        curl_global_cleanup();
    }
    oms_store_close(d->feed);
    oms_store_close(d->api);
    pthread_mutex_destroy(&d->lock);
    pthread_mutex_destroy(&d->api_lock);
    free(d);
}

/* --- API reads --- */

enum oms_err oms_engine_webhook_get(struct oms_engine *engine, const char *id,
                                    oms_webhook_visit_fn visit, void *ctx)
{
    OMS_ASSERT(id != NULL);
    struct oms_webhooks *d = oms__engine_webhooks(engine);
    pthread_mutex_lock(&d->api_lock);
    enum oms_err err = oms_store_webhook_get(d->api, id, visit, ctx);
    pthread_mutex_unlock(&d->api_lock);
    return err;
}

static void take_idx(void *ctx, const struct oms_webhook_row *row)
{
    *(int64_t *)ctx = row->idx;
}

enum oms_err oms_engine_webhook_deliveries(struct oms_engine *engine, const char *id, int status,
                                           int64_t after, uint32_t limit,
                                           oms_delivery_visit_fn visit, void *ctx)
{
    OMS_ASSERT(id != NULL);
    struct oms_webhooks *d = oms__engine_webhooks(engine);
    int64_t idx = -1;
    pthread_mutex_lock(&d->api_lock);
    enum oms_err err = oms_store_webhook_get(d->api, id, take_idx, &idx);
    if (!err) err = oms_store_deliveries_list(d->api, idx, status, after, limit, visit, ctx);
    pthread_mutex_unlock(&d->api_lock);
    return err;
}
