/*
 * flash_client.c - the load of the flash-sale end-to-end test (t0014-flash-sale.sh): many
 * concurrent clients place orders for one hot SKU across several channels over HTTP, with
 * retries of the same Idempotency-Key mixed in, and keep going through a server crash.
 *
 * Each of --clients connections (libcurl multi, keep-alive) loops: with --retry-pct percent
 * it re-sends an order that was already answered (same key, same body: the answer must be
 * the first answer's body, byte for byte, with status 200), with --conflict-pct percent it
 * re-sends an answered key with a different body (must be 409), else it places a new order.
 * A request that gets no HTTP answer (connection refused or reset while the server is down,
 * 503) is sent again unchanged until it gets one: that is a client whose answer was lost.
 * The server's address is read from --base-file before every request, so the test can
 * restart the server on another port mid-run.
 *
 * Output in --out DIR: acks.jsonl, one line per order the server acknowledged (its first
 * answer: {"id", "status", "body"}), and summary.txt with counters. The exit status is 0
 * when every check above held and --orders new orders were answered; 1 otherwise, with the
 * reason on stderr.
 *
 * --verify (after the run, with the server up again): reads acks.jsonl back, fetches every
 * acknowledged order and checks its lines equal the acknowledged ones, and writes
 * verify.json: {"orders": N, "allocated": {"<location>": units}, "by_channel": {"<channel>":
 * units}} summed over the acknowledged answers, for the test to hold against the stock.
 */
#include "base/platform.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS_MAX 256
#define BODY_MAX 65536
#define DEADLINE_SECONDS 240
#define CHANNEL_PICKS_MAX 1024 /* --channels entries; repeat a channel to weigh it. */

enum kind { KIND_NEW, KIND_RETRY, KIND_CONFLICT };

struct order {
    char id[32];
    char request[256];
    char *answer; /* First answer's body; NULL until answered. */
    int status;
};

struct slot {
    CURL *easy;
    struct curl_slist *headers;
    enum kind kind;
    struct order *order;
    char conflict_body[256];
    char response[BODY_MAX];
    size_t response_len;
    bool overflow;
};

static struct {
    const char *base_file, *out_dir, *sku;
    char **channels;
    int channels_count, clients, orders, retry_pct, conflict_pct, max_qty;
    struct order *all;
    int created, answered;
    long retries_ok, conflicts_ok, resent, failures;
    uint64_t rng;
    FILE *acks;
} g = {.clients = 64, .orders = 2000, .retry_pct = 15, .conflict_pct = 2, .max_qty = 3,
       .rng = 0x9e3779b97f4a7c15u};

static int usage(void);

static uint64_t next_random(void)
{
    g.rng ^= g.rng << 13;
    g.rng ^= g.rng >> 7;
    g.rng ^= g.rng << 17;
    return g.rng;
}

static void failure(const char *what, const struct order *o, const char *detail)
{
    g.failures++;
    fprintf(stderr, "flash_client: %s: order %s: %.300s\n", what, o ? o->id : "-",
            detail ? detail : "");
}

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
    struct slot *s = user;
    size_t n = size * count;
    if (s->response_len + n >= BODY_MAX) {
        s->overflow = true;
        return n;
    }
    memcpy(s->response + s->response_len, data, n);
    s->response_len += n;
    s->response[s->response_len] = '\0';
    return n;
}

static bool read_base(char *url, size_t size)
{
    FILE *f = fopen(g.base_file, "r");
    if (!f) return false;
    bool ok = fgets(url, (int)size, f) != NULL;
    fclose(f);
    if (!ok) return false; /* An empty file (the server restarting): url holds nothing. */
    url[strcspn(url, "\r\n")] = '\0';
    return url[0] != '\0';
}

/* Picks what the slot sends next. Retries and conflicts need an answered order. */
static void choose(struct slot *s)
{
    int roll = (int)(next_random() % 100);
    if (g.answered > 0 && roll < g.retry_pct + g.conflict_pct) {
        struct order *o;
        do {
            o = &g.all[next_random() % (uint64_t)g.created];
        } while (!o->answer);
        s->order = o;
        s->kind = roll < g.retry_pct ? KIND_RETRY : KIND_CONFLICT;
        if (s->kind == KIND_CONFLICT) {
            /* Same key and id, one more unit: a different body. */
            snprintf(s->conflict_body, sizeof s->conflict_body,
                     "{\"id\":\"%s\",\"channel\":\"%s\",\"lines\":[{\"sku\":\"%s\",\"qty\":%d}]}",
                     o->id, g.channels[0], g.sku, g.max_qty + 1);
        }
        return;
    }
    if (g.created == g.orders) {
        s->order = NULL;
        return;
    }
    struct order *o = &g.all[g.created++];
    snprintf(o->id, sizeof o->id, "F%05d", g.created);
    const char *channel = g.channels[next_random() % (uint64_t)g.channels_count];
    int qty = 1 + (int)(next_random() % (uint64_t)g.max_qty);
    snprintf(o->request, sizeof o->request,
             "{\"id\":\"%s\",\"channel\":\"%s\",\"lines\":[{\"sku\":\"%s\",\"qty\":%d}]}", o->id,
             channel, g.sku, qty);
    s->order = o;
    s->kind = KIND_NEW;
}

/* Sends the slot's current request (again, after a lost answer). False: nothing to send. */
static bool send_request(CURLM *multi, struct slot *s)
{
    if (!s->order) return false;
    char base[256], url[320], key[64];
    /* While the server restarts the file is empty: wait for its new address. */
    time_t give_up = time(NULL) + 60;
    while (!read_base(base, sizeof base)) {
        if (time(NULL) > give_up) return false;
        usleep(20000);
    }
    snprintf(url, sizeof url, "%s/v1/orders", base);
    snprintf(key, sizeof key, "Idempotency-Key: k-%s", s->order->id);
    curl_slist_free_all(s->headers);
    s->headers = curl_slist_append(NULL, "Content-Type: application/json");
    s->headers = curl_slist_append(s->headers, key);
    s->response_len = 0;
    s->response[0] = '\0';
    s->overflow = false;
    curl_easy_setopt(s->easy, CURLOPT_URL, url);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS,
                     s->kind == KIND_CONFLICT ? s->conflict_body : s->order->request);
    curl_multi_add_handle(multi, s->easy);
    return true;
}

static void write_ack(const struct order *o)
{
    fprintf(g.acks, "{\"id\":\"%s\",\"status\":%d,\"body\":%s}\n", o->id, o->status, o->answer);
}

/* An HTTP answer arrived. True when the slot should move on to a new request. */
static bool on_answer(struct slot *s, long status)
{
    struct order *o = s->order;
    if (status == 503) return false; /* server_busy: the same request again. */
    if (s->overflow) {
        failure("answer too long", o, NULL);
        return true;
    }
    switch (s->kind) {
    case KIND_NEW:
        if (o->answer) { /* A retry after a lost answer that another path answered. */
            if (strcmp(o->answer, s->response) != 0) failure("second answer differs", o, s->response);
            return true;
        }
        if (status != 201 && status != 200) {
            failure("order not accepted", o, s->response);
            return true;
        }
        o->answer = strdup(s->response);
        o->status = (int)status;
        g.answered++;
        write_ack(o);
        return true;
    case KIND_RETRY:
        if (status != 200) failure("retry status", o, s->response);
        else if (strcmp(o->answer, s->response) != 0) failure("retry body differs", o, s->response);
        else g.retries_ok++;
        return true;
    case KIND_CONFLICT:
        if (status != 409 || !strstr(s->response, "\"idempotency_conflict\"")) {
            failure("conflicting retry not refused", o, s->response);
        } else {
            g.conflicts_ok++;
        }
        return true;
    }
    return true;
}

static char **split_channels(char *text, int *count)
{
    char **out = calloc(CHANNEL_PICKS_MAX, sizeof *out);
    *count = 0;
    for (char *tok = strtok(text, ","); tok; tok = strtok(NULL, ",")) {
        if (*count == CHANNEL_PICKS_MAX) {
            *count = 0; /* Too many: refused by the caller's check, never silently cut. */
            break;
        }
        out[(*count)++] = tok;
    }
    return out;
}

/* GET url into a jansson value; NULL unless the answer is 200 and JSON. */
static json_t *get_json(CURL *easy, const char *url, struct slot *s)
{
    s->response_len = 0;
    s->response[0] = '\0';
    s->overflow = false;
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, s);
    long status = 0;
    if (curl_easy_perform(easy) != CURLE_OK) return NULL;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200 || s->overflow) return NULL;
    return json_loads(s->response, 0, NULL);
}

static void add_units(json_t *totals, const char *key, json_int_t qty)
{
    json_t *have = json_object_get(totals, key);
    json_object_set_new(totals, key, json_integer(json_integer_value(have) + qty));
}

static int verify(void)
{
    char path[512], base[256], url[400];
    snprintf(path, sizeof path, "%s/acks.jsonl", g.out_dir);
    FILE *in = fopen(path, "r");
    if (!in || !read_base(base, sizeof base)) return usage();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *easy = curl_easy_init();
    struct slot *s = calloc(1, sizeof *s);
    json_t *allocated = json_object(), *by_channel = json_object();
    long orders = 0;
    char line[BODY_MAX + 512];
    while (fgets(line, sizeof line, in)) {
        json_t *ack = json_loads(line, 0, NULL);
        json_t *body = json_object_get(ack, "body");
        const char *id = json_string_value(json_object_get(ack, "id"));
        if (!id || !body) {
            failure("unreadable ack", NULL, line);
            json_decref(ack);
            continue;
        }
        orders++;
        snprintf(url, sizeof url, "%s/v1/orders/%s", base, id);
        json_t *now = get_json(easy, url, s);
        struct order o = {0};
        snprintf(o.id, sizeof o.id, "%s", id);
        if (!now) failure("acknowledged order missing", &o, s->response);
        else if (!json_equal(json_object_get(now, "lines"), json_object_get(body, "lines")))
            failure("order differs from its acknowledgement", &o, s->response);
        const char *channel = json_string_value(json_object_get(body, "channel"));
        size_t i, j;
        json_t *l, *a;
        json_array_foreach(json_object_get(body, "lines"), i, l) {
            json_array_foreach(json_object_get(l, "allocated"), j, a) {
                json_int_t qty = json_integer_value(json_object_get(a, "qty"));
                add_units(allocated, json_string_value(json_object_get(a, "location")), qty);
                add_units(by_channel, channel ? channel : "?", qty);
            }
        }
        json_decref(now);
        json_decref(ack);
    }
    fclose(in);
    json_t *out = json_pack("{s:I, s:o, s:o}", "orders", (json_int_t)orders, "allocated",
                            allocated, "by_channel", by_channel);
    snprintf(path, sizeof path, "%s/verify.json", g.out_dir);
    json_dump_file(out, path, JSON_SORT_KEYS);
    json_decref(out);
    free(s);
    curl_easy_cleanup(easy);
    curl_global_cleanup();
    return g.failures == 0 ? 0 : 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: flash_client --base-file F --out DIR --sku SKU --channels a,b,c "
                    "[--clients N] [--orders N] [--retry-pct P] [--conflict-pct P] [--max-qty Q] "
                    "[--seed S]\n");
    return 2;
}

int main(int argc, char **argv)
{
    bool verifying = argc > 1 && !strcmp(argv[1], "--verify");
    for (int i = verifying ? 2 : 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--base-file")) g.base_file = v;
        else if (!strcmp(k, "--out")) g.out_dir = v;
        else if (!strcmp(k, "--sku")) g.sku = v;
        else if (!strcmp(k, "--channels")) g.channels = split_channels(argv[i + 1], &g.channels_count);
        else if (!strcmp(k, "--clients")) g.clients = atoi(v);
        else if (!strcmp(k, "--orders")) g.orders = atoi(v);
        else if (!strcmp(k, "--retry-pct")) g.retry_pct = atoi(v);
        else if (!strcmp(k, "--conflict-pct")) g.conflict_pct = atoi(v);
        else if (!strcmp(k, "--max-qty")) g.max_qty = atoi(v);
        else if (!strcmp(k, "--seed")) g.rng = strtoull(v, NULL, 10) | 1;
        else return usage();
    }
    if (verifying) return g.base_file && g.out_dir ? verify() : usage();
    if (!g.base_file || !g.out_dir || !g.sku || g.channels_count == 0 || g.clients < 1 ||
        g.clients > CLIENTS_MAX || g.orders < 1 || g.max_qty < 1) {
        return usage();
    }
    char path[512];
    snprintf(path, sizeof path, "%s/acks.jsonl", g.out_dir);
    g.acks = fopen(path, "w");
    if (!g.acks) return usage();
    setvbuf(g.acks, NULL, _IOLBF, 0); /* The test watches the acks come in. */
    g.all = calloc((size_t)g.orders, sizeof *g.all);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    struct slot *slots = calloc((size_t)g.clients, sizeof *slots);
    int active = 0;
    for (int i = 0; i < g.clients; i++) {
        struct slot *s = &slots[i];
        s->easy = curl_easy_init();
        curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
        curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, 20L);
        curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
        choose(s);
        if (send_request(multi, s)) active++;
    }
    time_t deadline = time(NULL) + DEADLINE_SECONDS;
    while (active > 0 && time(NULL) < deadline) {
        int running = 0;
        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 100, NULL);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            struct slot *s;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            curl_multi_remove_handle(multi, s->easy);
            long status = 0;
            curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
            bool move_on = false;
            if (msg->data.result == CURLE_OK && status != 0) {
                move_on = on_answer(s, status);
            }
            if (!move_on) {
                g.resent++;
                usleep(10000); /* The server is down or busy: ask again shortly. */
            } else {
                choose(s);
            }
            if (!send_request(multi, s)) active--;
        }
    }
    bool finished = active == 0 && g.answered == g.orders;
    if (!finished) failure("run did not finish", NULL, "deadline passed or orders unanswered");

    snprintf(path, sizeof path, "%s/summary.txt", g.out_dir);
    FILE *sum = fopen(path, "w");
    if (sum) {
        fprintf(sum, "orders %d\nanswered %d\nretries_ok %ld\nconflicts_ok %ld\nresent %ld\n"
                     "failures %ld\n",
                g.orders, g.answered, g.retries_ok, g.conflicts_ok, g.resent, g.failures);
        fclose(sum);
    }
    for (int i = 0; i < g.clients; i++) {
        curl_easy_cleanup(slots[i].easy);
        curl_slist_free_all(slots[i].headers);
    }
    for (int i = 0; i < g.created; i++) free(g.all[i].answer);
    free(g.all);
    free(slots);
    free(g.channels);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    fclose(g.acks);
    return g.failures == 0 ? 0 : 1;
}
