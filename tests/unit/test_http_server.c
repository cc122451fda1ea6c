/*
 * test_http_server.c - the HTTP machinery end to end on loopback: a server with two event
 * loops and test routes (sync JSON, path parameters, query, body echo, deferred answers
 * completed or resumed from a worker thread), driven by a tiny blocking HTTP/1.1 client
 * written here (libcurl is not linked). Checks statuses, the JSON error shape of 404, 405,
 * 413 and 400, parameter decoding, 100 concurrent keep-alive deferred requests, clients that
 * hang up before their deferred answer, and a prompt stop with an idle keep-alive connection
 * open. Run under ASan/LSan, it also checks that nothing leaks.
 */
#include "base/platform.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/server.h"

#define BODY_MAX_BYTES 1024
#define JOBS_MAX 512
#define RESPONSE_BYTES_MAX 65536

/* cmocka's assertions may only fail on the test's own thread; handlers and the worker run on
 * other threads, so they check with this and abort. */
#define CHECK(expr)                                                                             \
    do {                                                                                        \
        if (!(expr)) {                                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);            \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

/* --- A worker thread standing in for the engine's writer --- */

struct job {
    struct oms_http_pending *pending;
    long id;
    int64_t due_ms;
    bool resume;
};

struct worker {
    pthread_mutex_t mutex;
    struct job jobs[JOBS_MAX];
    size_t jobs_count;
    bool stop;
    pthread_t thread;
    atomic_int completed;
};

struct fixture {
    struct oms_http_server *server;
    uint16_t port;
    pthread_t run_thread;
    int run_rc;
    struct worker worker;
    atomic_int handled;  /* Handler calls, all routes. */
    atomic_int deferred; /* Deferred handler calls. */
    atomic_int resumed_orphans;
};

static struct fixture fx;

/* LeakSanitizer reads this hook. h2o 2.2.5 caches memory-pool chunks in a per-thread recycle
 * bin (static to h2o, at most 16 chunks of 4 KiB per thread) that nothing can empty when a
 * loop thread ends; everything else must be freed. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:h2o_mem_alloc_recycle\n";
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void worker_push(struct job job)
{
    pthread_mutex_lock(&fx.worker.mutex);
    CHECK(fx.worker.jobs_count < JOBS_MAX);
    fx.worker.jobs[fx.worker.jobs_count++] = job;
    pthread_mutex_unlock(&fx.worker.mutex);
}

static void on_resumed(struct oms_http_request *req, void *arg)
{
    long *id = arg;
    if (req == NULL) {
        atomic_fetch_add(&fx.resumed_orphans, 1);
        free(id);
        return;
    }
    /* Runs on the loop: encoding here is what resume is for. */
    bool on_worker = pthread_equal(pthread_self(), fx.worker.thread) != 0;
    oms_http_reply_json(req, 200, json_pack("{s:I, s:b}", "id", (json_int_t)*id, "on_worker",
                                            on_worker));
    free(id);
}

static void job_finish(const struct job *job)
{
    if (job->resume) {
        long *id = malloc(sizeof *id);
        CHECK(id != NULL);
        *id = job->id;
        oms_http_pending_resume(job->pending, on_resumed, id);
    } else {
        json_t *body = json_pack("{s:I}", "id", (json_int_t)job->id);
        char *text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        oms_http_pending_complete(job->pending, 200, text, strlen(text));
    }
    atomic_fetch_add(&fx.worker.completed, 1);
}

/* Takes the jobs that are due out of the queue; returns how many. */
static size_t worker_take_due(struct job *due, bool *stop)
{
    size_t count = 0;
    int64_t now = now_ms();
    pthread_mutex_lock(&fx.worker.mutex);
    for (size_t i = 0; i < fx.worker.jobs_count;) {
        if (fx.worker.jobs[i].due_ms <= now) {
            due[count++] = fx.worker.jobs[i];
            fx.worker.jobs[i] = fx.worker.jobs[--fx.worker.jobs_count];
        } else {
            i++;
        }
    }
    *stop = fx.worker.stop && fx.worker.jobs_count == 0;
    pthread_mutex_unlock(&fx.worker.mutex);
    return count;
}

static void *worker_main(void *arg)
{
    (void)arg;
    static struct job due[JOBS_MAX];
    bool stop = false;
    while (!stop) {
        size_t count = worker_take_due(due, &stop);
        for (size_t i = 0; i < count; i++) job_finish(&due[i]);
        if (count == 0) sleep_ms(2);
    }
    return NULL;
}

/* --- Routes --- */

static void handle_hello(struct oms_http_request *req)
{
    atomic_fetch_add(&fx.handled, 1);
    CHECK(oms_http_app(req) == &fx);
    oms_http_reply_json(req, 200, json_pack("{s:s}", "hello", "world"));
}

static void handle_item(struct oms_http_request *req)
{
    atomic_fetch_add(&fx.handled, 1);
    CHECK(strcmp(oms_http_method(req), "GET") == 0);
    CHECK(oms_http_param(req, "nope") == NULL);
    oms_http_reply_json(req, 200, json_pack("{s:s}", "sku", oms_http_param(req, "sku")));
}

static void handle_item_line(struct oms_http_request *req)
{
    atomic_fetch_add(&fx.handled, 1);
    oms_http_reply_json(req, 200, json_pack("{s:s, s:s}", "sku", oms_http_param(req, "sku"),
                                            "line", oms_http_param(req, "line")));
}

static void handle_item_post(struct oms_http_request *req)
{
    atomic_fetch_add(&fx.handled, 1);
    oms_http_reply_error(req, 409, "conflict", "test route", "lines[0].qty");
}

static void handle_item_delete(struct oms_http_request *req)
{
    atomic_fetch_add(&fx.handled, 1);
    oms_http_reply_text(req, 204, "text/plain", NULL, 0);
}

static void handle_echo(struct oms_http_request *req)
{
    atomic_fetch_add(&fx.handled, 1);
    size_t len = 0;
    const char *body = oms_http_body(req, &len);
    if (len > 0) CHECK(body != NULL);
    const char *key = oms_http_header(req, "Idempotency-Key");
    char *copy = oms_http_alloc(req, len + 1);
    CHECK(copy != NULL);
    CHECK(oms_http_alloc(req, OMS_HTTP_ARENA_BYTES_MAX) == NULL); /* Over the cap. */
    oms_http_add_header(req, "Location", "/t/echo/1");
    oms_http_reply_json(req, 201, json_pack("{s:I, s:s?}", "length", (json_int_t)len,
                                            "idempotency_key", key));
}

static void handle_query(struct oms_http_request *req)
{
    atomic_fetch_add(&fx.handled, 1);
    const char *values[2];
    size_t count = oms_http_query(req, "sku", values, 2); /* Fewer slots than values. */
    json_t *skus = json_array();
    for (size_t i = 0; i < count && i < 2; i++) json_array_append_new(skus, json_string(values[i]));
    oms_http_reply_json(req, 200, json_pack("{s:o, s:I, s:s?, s:s?}", "sku", skus, "count",
                                            (json_int_t)count, "flag",
                                            oms_http_query_first(req, "flag"), "missing",
                                            oms_http_query_first(req, "missing")));
}

static void handle_text(struct oms_http_request *req)
{
    atomic_fetch_add(&fx.handled, 1);
    oms_http_reply_text(req, 200, "text/plain; charset=utf-8", "hi\n", 3);
}

static void handle_forget(struct oms_http_request *req)
{
    atomic_fetch_add(&fx.handled, 1);
    (void)req; /* Neither replies nor defers: the machinery must answer 500. */
}

static long query_long(struct oms_http_request *req, const char *key, long fallback)
{
    const char *value = oms_http_query_first(req, key);
    return value != NULL ? strtol(value, NULL, 10) : fallback;
}

static void handle_deferred(struct oms_http_request *req)
{
    atomic_fetch_add(&fx.handled, 1);
    long id = query_long(req, "id", 0);
    long delay_ms = query_long(req, "ms", 20);
    bool resume = oms_http_query_first(req, "resume") != NULL;
    struct oms_http_pending *pending = oms_http_defer(req);
    worker_push((struct job){.pending = pending, .id = id, .due_ms = now_ms() + delay_ms,
                             .resume = resume});
    atomic_fetch_add(&fx.deferred, 1);
}

static const struct oms_http_route routes[] = {
    {"GET", "/t/hello", handle_hello, NULL},
    {"GET", "/t/items/{sku}", handle_item, NULL},
    {"POST", "/t/items/{sku}", handle_item_post, NULL},
    {"DELETE", "/t/items/{sku}", handle_item_delete, NULL},
    {"GET", "/t/items/{sku}/lines/{line}", handle_item_line, NULL},
    {"POST", "/t/echo", handle_echo, NULL},
    {"GET", "/t/query", handle_query, "sku* other flag missing"},
    {"GET", "/t/text", handle_text, NULL},
    {"GET", "/t/forget", handle_forget, NULL},
    {"GET", "/t/deferred", handle_deferred, "id ms resume"},
};

/* --- A tiny blocking HTTP/1.1 client --- */

struct conn {
    int fd;
    char buf[RESPONSE_BYTES_MAX];
    size_t len;
};

struct response {
    int status;
    char head[8192]; /* Status line and headers, lower-cased, NUL-terminated. */
    char body[RESPONSE_BYTES_MAX];
    size_t body_len;
    bool closed; /* The server closed the connection after this response (or instead of it). */
};

static void conn_open(struct conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    struct timeval timeout = {.tv_sec = 10};
    assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout), 0);
    int one = 1;
    assert_int_equal(setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(fx.port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&addr, sizeof addr), 0);
    c->len = 0;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

/* Closes with a reset (SO_LINGER 0), the rudest way a client can leave. */
static void conn_reset(struct conn *c)
{
    struct linger linger = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger), 0);
    conn_close(c);
}

static void conn_write(struct conn *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        data += n;
        len -= (size_t)n;
    }
}

static void conn_printf(struct conn *c, const char *fmt, ...) OMS_PRINTF(2, 3);
static void conn_printf(struct conn *c, const char *fmt, ...)
{
    char text[4096];
    va_list args;
    va_start(args, fmt);
    int len = vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    assert_true(len > 0 && (size_t)len < sizeof text);
    conn_write(c, text, (size_t)len);
}

/* Reads more bytes into the connection's buffer; false on EOF or error. */
static bool conn_fill(struct conn *c)
{
    assert_true(c->len < sizeof c->buf);
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (n <= 0) return false;
    c->len += (size_t)n;
    return true;
}

static size_t content_length(const char *head)
{
    const char *at = strstr(head, "\r\ncontent-length:");
    return at != NULL ? (size_t)strtoul(at + strlen("\r\ncontent-length:"), NULL, 10) : 0;
}

/* The length of the head up to and including its last header's CRLF (without the blank line),
 * or 0 while the blank line has not arrived. */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++) {
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0) return i + 2;
    }
    return 0;
}

/* Reads one response (which must carry a Content-Length or have no body; none is read when
 * `to_head`, the answer to a HEAD request). Returns false when the connection ended before a
 * whole response arrived. */
static bool conn_read_answer(struct conn *c, struct response *res, bool to_head)
{
    memset(res, 0, sizeof *res);
    size_t head_len = 0;
    while ((head_len = head_end(c->buf, c->len)) == 0) {
        if (!conn_fill(c)) return false;
    }
    assert_true(head_len < sizeof res->head);
    memcpy(res->head, c->buf, head_len);
    res->head[head_len] = '\0';
    for (size_t i = 0; i < head_len; i++) {
        res->head[i] = (char)tolower((unsigned char)res->head[i]);
    }
    res->status = atoi(res->head + strlen("HTTP/1.1 "));
    res->body_len = to_head ? 0 : content_length(res->head);
    size_t total = head_len + 2 + res->body_len;
    assert_true(total <= sizeof c->buf);
    while (c->len < total) {
        if (!conn_fill(c)) return false;
    }
    memcpy(res->body, c->buf + head_len + 2, res->body_len);
    memmove(c->buf, c->buf + total, c->len - total);
    c->len -= total;
    res->closed = strstr(res->head, "\r\nconnection: close\r\n") != NULL;
    return true;
}

static bool conn_read(struct conn *c, struct response *res)
{
    return conn_read_answer(c, res, false);
}

static void get(struct conn *c, const char *target, struct response *res)
{
    conn_printf(c, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", target);
    assert_true(conn_read(c, res));
}

/* One request on a fresh connection. */
static void get_once(const char *target, struct response *res)
{
    struct conn *c = malloc(sizeof *c);
    assert_non_null(c);
    conn_open(c);
    get(c, target, res);
    conn_close(c);
    free(c);
}

static json_t *body_json(const struct response *res)
{
    json_error_t error;
    json_t *json = json_loadb(res->body, res->body_len, 0, &error);
    if (json == NULL) fail_msg("body is not JSON: %.*s", (int)res->body_len, res->body);
    return json;
}

static bool head_has(const struct response *res, const char *line)
{
    return strstr(res->head, line) != NULL; /* `line` in lower case. */
}

/* Checks {"error":{"code":code,"message":<string>,"field":field-or-null}} and nothing else. */
static void assert_error_shape(const struct response *res, const char *code, const char *field)
{
    assert_true(head_has(res, "\r\ncontent-type: application/json\r\n"));
    json_t *json = body_json(res);
    assert_int_equal(json_object_size(json), 1);
    json_t *error = json_object_get(json, "error");
    assert_true(json_is_object(error));
    assert_int_equal(json_object_size(error), 3);
    assert_string_equal(json_string_value(json_object_get(error, "code")), code);
    assert_true(json_is_string(json_object_get(error, "message")));
    json_t *field_json = json_object_get(error, "field");
    if (field == NULL) {
        assert_true(json_is_null(field_json));
    } else {
        assert_string_equal(json_string_value(field_json), field);
    }
    json_decref(json);
}

/* --- Server lifecycle --- */

static void *run_main(void *arg)
{
    (void)arg;
    fx.run_rc = oms_http_server_run(fx.server);
    return NULL;
}

static int group_setup(void **state)
{
    (void)state;
    pthread_mutex_init(&fx.worker.mutex, NULL);
    if (pthread_create(&fx.worker.thread, NULL, worker_main, NULL) != 0) return -1;
    struct oms_http_config cfg = {
        .host = "127.0.0.1", .port = 0, .threads = 2, .body_max_bytes = BODY_MAX_BYTES};
    fx.server = oms_http_server_new(&cfg, routes, OMS_ARRAY_LEN(routes), &fx);
    if (fx.server == NULL) return -1;
    fx.port = oms_http_server_port(fx.server);
    if (fx.port == 0) return -1;
    fx.run_rc = -2;
    return pthread_create(&fx.run_thread, NULL, run_main, NULL) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    if (fx.server != NULL) { /* The stop test did not run: stop here. */
        oms_http_server_stop(fx.server);
        pthread_join(fx.run_thread, NULL);
        oms_http_server_free(fx.server);
    }
    pthread_mutex_lock(&fx.worker.mutex);
    fx.worker.stop = true;
    pthread_mutex_unlock(&fx.worker.mutex);
    pthread_join(fx.worker.thread, NULL);
    pthread_mutex_destroy(&fx.worker.mutex);
    return 0;
}

/* --- Tests --- */

static void test_http_server__answers_a_sync_json_route(void **state)
{
    (void)state;
    struct response *res = malloc(sizeof *res);
    get_once("/t/hello", res);
    assert_int_equal(res->status, 200);
    assert_true(head_has(res, "\r\ncontent-type: application/json\r\n"));
    assert_int_equal(res->body_len, strlen("{\"hello\":\"world\"}"));
    assert_memory_equal(res->body, "{\"hello\":\"world\"}", res->body_len);
    free(res);
}

static void test_http_server__decodes_path_params(void **state)
{
    (void)state;
    struct response *res = malloc(sizeof *res);
    get_once("/t/items/A%2FB%20%C3%A9+x", res);
    assert_int_equal(res->status, 200);
    json_t *json = body_json(res);
    assert_string_equal(json_string_value(json_object_get(json, "sku")), "A/B \xc3\xa9+x");
    json_decref(json);

    get_once("/t/items/85123A/lines/2", res);
    assert_int_equal(res->status, 200);
    json = body_json(res);
    assert_string_equal(json_string_value(json_object_get(json, "sku")), "85123A");
    assert_string_equal(json_string_value(json_object_get(json, "line")), "2");
    json_decref(json);
    free(res);
}

static void test_http_server__refuses_undecodable_path_params_with_400(void **state)
{
    (void)state;
    const char *targets[] = {"/t/items/a%00b", "/t/items/%FF", "/t/items/%G1", "/t/items/%C3",
                             "/t/items/%ED%A0%80", "/t/items/ab%2"};
    struct response *res = malloc(sizeof *res);
    int handled = atomic_load(&fx.handled);
    for (size_t i = 0; i < OMS_ARRAY_LEN(targets); i++) {
        get_once(targets[i], res);
        assert_int_equal(res->status, 400);
        assert_error_shape(res, "invalid_field", "sku");
    }
    assert_int_equal(atomic_load(&fx.handled), handled);
    free(res);
}

static void test_http_server__answers_404_json_for_an_unknown_path(void **state)
{
    (void)state;
    struct response *res = malloc(sizeof *res);
    const char *targets[] = {"/nope", "/t/hello/", "/t/items/", "/t//hello", "/"};
    for (size_t i = 0; i < OMS_ARRAY_LEN(targets); i++) {
        get_once(targets[i], res);
        assert_int_equal(res->status, 404);
        assert_error_shape(res, "not_found", NULL);
    }
    const char *exact = "{\"error\":{\"code\":\"not_found\",\"message\":\"no such path\","
                        "\"field\":null}}";
    assert_int_equal(res->body_len, strlen(exact));
    assert_memory_equal(res->body, exact, res->body_len);
    free(res);
}

static void test_http_server__answers_405_with_allow_for_another_method(void **state)
{
    (void)state;
    struct response *res = malloc(sizeof *res);
    struct conn *c = malloc(sizeof *c);
    conn_open(c);
    conn_printf(c, "PUT /t/items/X HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}");
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 405);
    assert_true(head_has(res, "\r\nallow: get, head, post, delete\r\n"));
    assert_error_shape(res, "method_not_allowed", NULL);
    get(c, "/t/hello", res); /* Keep-alive survives a 405. */
    assert_int_equal(res->status, 200);
    conn_close(c);

    conn_open(c);
    conn_printf(c, "POST /t/items/X HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 409);
    assert_error_shape(res, "conflict", "lines[0].qty");
    conn_close(c);
    free(c);
    free(res);
}

static void test_http_server__answers_413_before_the_handler(void **state)
{
    (void)state;
    struct response *res = malloc(sizeof *res);
    struct conn *c = malloc(sizeof *c);
    static char body[BODY_MAX_BYTES + 1];
    memset(body, 'x', sizeof body);
    int handled = atomic_load(&fx.handled);
    conn_open(c); /* Far over: h2o refuses on the header alone and closes. */
    conn_printf(c, "POST /t/echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n",
                BODY_MAX_BYTES + 100);
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 413);
    assert_error_shape(res, "too_large", NULL);
    assert_true(res->closed);
    conn_close(c);

    conn_open(c); /* One byte over, sent in full, in both framings. */
    conn_printf(c, "POST /t/echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n",
                BODY_MAX_BYTES + 1);
    conn_write(c, body, BODY_MAX_BYTES + 1);
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 413);
    assert_error_shape(res, "too_large", NULL);
    conn_printf(c, "POST /t/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "%x\r\n", BODY_MAX_BYTES + 1);
    conn_write(c, body, BODY_MAX_BYTES + 1);
    conn_printf(c, "\r\n0\r\n\r\n");
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 413);
    assert_error_shape(res, "too_large", NULL);
    conn_close(c);
    assert_int_equal(atomic_load(&fx.handled), handled);

    conn_open(c); /* Exactly the limit passes, in both framings. */
    conn_printf(c, "POST /t/echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n",
                BODY_MAX_BYTES);
    conn_write(c, body, BODY_MAX_BYTES);
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 201);
    json_t *json = body_json(res);
    assert_int_equal(json_integer_value(json_object_get(json, "length")), BODY_MAX_BYTES);
    json_decref(json);
    conn_printf(c, "POST /t/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "%x\r\n", BODY_MAX_BYTES);
    conn_write(c, body, BODY_MAX_BYTES);
    conn_printf(c, "\r\n0\r\n\r\n");
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 201);
    json = body_json(res);
    assert_int_equal(json_integer_value(json_object_get(json, "length")), BODY_MAX_BYTES);
    json_decref(json);
    conn_close(c);
    free(c);
    free(res);
}

static void test_http_server__echoes_body_length_and_headers(void **state)
{
    (void)state;
    struct response *res = malloc(sizeof *res);
    struct conn *c = malloc(sizeof *c);
    conn_open(c);
    conn_printf(c, "POST /t/echo HTTP/1.1\r\nHost: t\r\nIDEMPOTENCY-KEY: k-123\r\n"
                   "Content-Length: 5\r\n\r\nhello");
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 201);
    assert_true(head_has(res, "\r\nlocation: /t/echo/1\r\n"));
    json_t *json = body_json(res);
    assert_int_equal(json_integer_value(json_object_get(json, "length")), 5);
    assert_string_equal(json_string_value(json_object_get(json, "idempotency_key")), "k-123");
    json_decref(json);

    conn_printf(c, "POST /t/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 201);
    json = body_json(res);
    assert_int_equal(json_integer_value(json_object_get(json, "length")), 7);
    assert_true(json_is_null(json_object_get(json, "idempotency_key")));
    json_decref(json);

    conn_printf(c, "POST /t/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    assert_true(conn_read(c, res));
    json = body_json(res);
    assert_int_equal(json_integer_value(json_object_get(json, "length")), 0);
    json_decref(json);
    conn_close(c);
    free(c);
    free(res);
}

static void test_http_server__reads_every_value_of_a_query_key(void **state)
{
    (void)state;
    struct response *res = malloc(sizeof *res);
    get_once("/t/query?sku=A&sku=B%20C&other=1&&sku=D+E&flag", res);
    assert_int_equal(res->status, 200);
    json_t *json = body_json(res);
    json_t *skus = json_object_get(json, "sku");
    assert_int_equal(json_array_size(skus), 2);
    assert_string_equal(json_string_value(json_array_get(skus, 0)), "A");
    assert_string_equal(json_string_value(json_array_get(skus, 1)), "B C");
    assert_int_equal(json_integer_value(json_object_get(json, "count")), 3);
    assert_string_equal(json_string_value(json_object_get(json, "flag")), "");
    assert_true(json_is_null(json_object_get(json, "missing")));
    json_decref(json);

    get_once("/t/query?sku=%ZZ", res);
    assert_int_equal(res->status, 400);
    assert_error_shape(res, "invalid_query", "sku");
    get_once("/t/query?sku=%00", res);
    assert_int_equal(res->status, 400);
    assert_error_shape(res, "invalid_query", "sku");
    get_once("/t/query?%ZZ=1", res); /* A name that does not decode is named as sent. */
    assert_int_equal(res->status, 400);
    assert_error_shape(res, "invalid_query", "%ZZ");
    free(res);
}

/* The route's list of query parameters is enforced before its handler runs: another name, or
 * a second value of one not marked '*', is 400 invalid_query naming it. */
static void test_http_server__refuses_unknown_and_repeated_query_parameters(void **state)
{
    (void)state;
    struct response *res = malloc(sizeof *res);
    int handled = atomic_load(&fx.handled);
    get_once("/t/query?sku=A&other=1&other=2", res);
    assert_int_equal(res->status, 400);
    assert_error_shape(res, "invalid_query", "other");
    get_once("/t/query?sku=A&skus=B", res);
    assert_int_equal(res->status, 400);
    assert_error_shape(res, "invalid_query", "skus");
    get_once("/t/hello?x=1", res); /* A route without a list takes no parameter. */
    assert_int_equal(res->status, 400);
    assert_error_shape(res, "invalid_query", "x");
    assert_int_equal(atomic_load(&fx.handled), handled);
    get_once("/t/query?sku=A&sku=B&sku=C&other=1&flag", res);
    assert_int_equal(res->status, 200);
    free(res);
}

static void test_http_server__answers_text_204_and_500(void **state)
{
    (void)state;
    struct response *res = malloc(sizeof *res);
    struct conn *c = malloc(sizeof *c);
    conn_open(c);
    get(c, "/t/text", res);
    assert_int_equal(res->status, 200);
    assert_true(head_has(res, "\r\ncontent-type: text/plain; charset=utf-8\r\n"));
    assert_memory_equal(res->body, "hi\n", 3);

    conn_printf(c, "DELETE /t/items/X HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 204);
    assert_false(head_has(res, "content-length"));
    assert_int_equal(res->body_len, 0);

    get(c, "/t/forget", res); /* Same connection: the 204 left it usable. */
    assert_int_equal(res->status, 500);
    assert_error_shape(res, "internal_error", NULL);
    conn_close(c);
    free(c);
    free(res);
}

static void test_http_server__answers_100_concurrent_keepalive_deferred_requests(void **state)
{
    (void)state;
    enum { CONNS = 100, ROUNDS = 3 };
    struct conn *conns = malloc(CONNS * sizeof *conns);
    struct response *res = malloc(sizeof *res);
    for (int i = 0; i < CONNS; i++) conn_open(&conns[i]);
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < CONNS; i++) {
            conn_printf(&conns[i], "GET /t/deferred?id=%d&ms=%d%s HTTP/1.1\r\nHost: t\r\n\r\n",
                        round * 1000 + i, 10 + i % 20, round == 1 ? "&resume=1" : "");
        }
        for (int i = 0; i < CONNS; i++) {
            assert_true(conn_read(&conns[i], res));
            assert_int_equal(res->status, 200);
            assert_false(res->closed);
            json_t *json = body_json(res);
            assert_int_equal(json_integer_value(json_object_get(json, "id")), round * 1000 + i);
            if (round == 1) assert_true(json_is_false(json_object_get(json, "on_worker")));
            json_decref(json);
        }
    }
    for (int i = 0; i < CONNS; i++) conn_close(&conns[i]);
    free(conns);
    free(res);
}

static void test_http_server__answers_pipelined_requests_in_order(void **state)
{
    (void)state;
    struct response *res = malloc(sizeof *res);
    struct conn *c = malloc(sizeof *c);
    conn_open(c);
    conn_printf(c, "GET /t/deferred?id=1&ms=40 HTTP/1.1\r\nHost: t\r\n\r\n"
                   "GET /t/hello HTTP/1.1\r\nHost: t\r\n\r\n"
                   "HEAD /t/hello HTTP/1.1\r\nHost: t\r\n\r\n"
                   "POST /t/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                   "GET /t/deferred?id=2&ms=1 HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 200);
    assert_memory_equal(res->body, "{\"id\":1}", res->body_len);
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 200);
    assert_memory_equal(res->body, "{\"hello\":\"world\"}", res->body_len);
    assert_true(conn_read_answer(c, res, true)); /* HEAD: GET's headers, no body. */
    assert_int_equal(res->status, 200);
    assert_true(head_has(res, "\r\ncontent-length: 17\r\n"));
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 201);
    assert_true(conn_read(c, res));
    assert_int_equal(res->status, 200);
    assert_memory_equal(res->body, "{\"id\":2}", res->body_len);
    assert_int_equal(c->len, 0); /* Nothing more was sent. */
    conn_close(c);
    free(c);
    free(res);
}

static void wait_until(atomic_int *counter, int target)
{
    int64_t deadline = now_ms() + 10000;
    while (atomic_load(counter) < target) {
        assert_true(now_ms() < deadline);
        sleep_ms(2);
    }
}

static void test_http_server__drops_answers_for_clients_that_hung_up(void **state)
{
    (void)state;
    enum { CONNS = 64 };
    struct conn *conns = malloc(CONNS * sizeof *conns);
    struct response *res = malloc(sizeof *res);
    int deferred = atomic_load(&fx.deferred);
    int completed = atomic_load(&fx.worker.completed);
    for (int i = 0; i < CONNS; i++) {
        conn_open(&conns[i]);
        conn_printf(&conns[i], "GET /t/deferred?id=%d&ms=150%s HTTP/1.1\r\nHost: t\r\n\r\n", i,
                    i % 4 == 1 ? "&resume=1" : "");
    }
    wait_until(&fx.deferred, deferred + CONNS); /* Every request is waiting on the worker. */
    for (int i = 0; i < CONNS; i += 2) {
        if (i % 4 == 0) conn_reset(&conns[i]);
        else conn_close(&conns[i]);
    }
    for (int i = 1; i < CONNS; i += 2) {
        assert_true(conn_read(&conns[i], res));
        assert_int_equal(res->status, 200);
        json_t *json = body_json(res);
        assert_int_equal(json_integer_value(json_object_get(json, "id")), i);
        json_decref(json);
        conn_close(&conns[i]);
    }
    wait_until(&fx.worker.completed, completed + CONNS);
    get_once("/t/hello", res); /* The server is still fine. */
    assert_int_equal(res->status, 200);
    free(conns);
    free(res);
}

static void test_http_server__refuses_a_port_in_use_and_bad_tables(void **state)
{
    (void)state;
    struct oms_http_config cfg = {
        .host = "127.0.0.1", .port = fx.port, .threads = 1, .body_max_bytes = 1};
    assert_null(oms_http_server_new(&cfg, routes, OMS_ARRAY_LEN(routes), NULL));
    cfg.port = 0;
    const struct oms_http_route bad[] = {{"GET", "/a/{x}", handle_hello, NULL},
                                         {"GET", "/a/{y}", handle_hello, NULL}};
    assert_null(oms_http_server_new(&cfg, bad, OMS_ARRAY_LEN(bad), NULL));
    const struct oms_http_route no_slash[] = {{"GET", "a", handle_hello, NULL}};
    assert_null(oms_http_server_new(&cfg, no_slash, 1, NULL));
    cfg.threads = 0;
    assert_null(oms_http_server_new(&cfg, routes, OMS_ARRAY_LEN(routes), NULL));
}

static void test_http_server__stops_before_run_at_once(void **state)
{
    (void)state;
    struct oms_http_config cfg = {
        .host = "127.0.0.1", .port = 0, .threads = 3, .body_max_bytes = 1};
    struct oms_http_server *s = oms_http_server_new(&cfg, routes, OMS_ARRAY_LEN(routes), NULL);
    assert_non_null(s);
    oms_http_server_stop(s);
    oms_http_server_stop(s);
    int64_t started = now_ms();
    assert_int_equal(oms_http_server_run(s), 0);
    assert_true(now_ms() - started < 1000);
    oms_http_server_stop(s); /* After run: harmless. */
    oms_http_server_free(s);
    oms_http_server_free(NULL);
}

static void test_http_server__stops_promptly_with_an_idle_keepalive_connection(void **state)
{
    (void)state;
    struct response *res = malloc(sizeof *res);
    struct conn *idle = malloc(sizeof *idle);
    struct conn *busy = malloc(sizeof *busy);
    conn_open(idle);
    get(idle, "/t/hello", res);
    assert_int_equal(res->status, 200);
    int deferred = atomic_load(&fx.deferred);
    conn_open(busy);
    conn_printf(busy, "GET /t/deferred?id=9&ms=300 HTTP/1.1\r\nHost: t\r\n\r\n");
    wait_until(&fx.deferred, deferred + 1);

    int64_t started = now_ms();
    oms_http_server_stop(fx.server);
    assert_true(conn_read(busy, res)); /* The answer in flight still arrives... */
    assert_int_equal(res->status, 200);
    assert_true(res->closed); /* ...and ends the connection. */
    assert_false(conn_read(idle, res)); /* The idle connection is closed by the server. */
    pthread_join(fx.run_thread, NULL);
    assert_true(now_ms() - started < 3000);
    assert_int_equal(fx.run_rc, 0);
    oms_http_server_free(fx.server);
    fx.server = NULL;
    conn_close(idle);
    conn_close(busy);
    free(idle);
    free(busy);
    free(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_server__answers_a_sync_json_route),
        cmocka_unit_test(test_http_server__decodes_path_params),
        cmocka_unit_test(test_http_server__refuses_undecodable_path_params_with_400),
        cmocka_unit_test(test_http_server__answers_404_json_for_an_unknown_path),
        cmocka_unit_test(test_http_server__answers_405_with_allow_for_another_method),
        cmocka_unit_test(test_http_server__answers_413_before_the_handler),
        cmocka_unit_test(test_http_server__echoes_body_length_and_headers),
        cmocka_unit_test(test_http_server__reads_every_value_of_a_query_key),
        cmocka_unit_test(test_http_server__refuses_unknown_and_repeated_query_parameters),
        cmocka_unit_test(test_http_server__answers_text_204_and_500),
        cmocka_unit_test(test_http_server__answers_pipelined_requests_in_order),
        cmocka_unit_test(test_http_server__answers_100_concurrent_keepalive_deferred_requests),
        cmocka_unit_test(test_http_server__drops_answers_for_clients_that_hung_up),
        cmocka_unit_test(test_http_server__refuses_a_port_in_use_and_bad_tables),
        cmocka_unit_test(test_http_server__stops_before_run_at_once),
        cmocka_unit_test(test_http_server__stops_promptly_with_an_idle_keepalive_connection),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
