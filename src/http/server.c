/*
 * server.c - the HTTP machinery on libh2o-evloop 2.2.5: one event loop per thread, each with
 * its own SO_REUSEPORT listener and h2o_context; one h2o handler that routes every request
 * through the route table; the request accessors and replies handlers use; deferred answers
 * posted back to the owning loop through h2o's multithread queue; and a filter that gives
 * h2o's own error answers (413 for large bodies, 400 for broken framing) our JSON error shape.
 * Every h2o object is touched only by its loop's thread; the only cross-thread traffic is
 * h2o_multithread_send_message() and the byte written to a loop's stop pipe.
 */
#include "base/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/log.h"
#include "http/dump.h"
#include "http/h2o_include.h"
#include "http/server.h"

#define ACCEPTS_PER_WAKEUP 16        /* Connections accepted per listener wake-up. */
#define STOPPING_WAIT_MS 100         /* Loop wake-up period while stopping. */
#define HEADER_NAME_BYTES_MAX 64     /* Longest header name oms_http_header() looks up. */
#define MIME_JSON "application/json"

/* What the handler (or resume callback) running now did with its request. */
enum outcome { OUTCOME_NONE, OUTCOME_REPLIED, OUTCOME_DEFERRED };

struct loop {
    struct oms_http_server *server;
    pthread_t thread;
    int listen_fd;     /* Owned here until the loop hands it to h2o; then -1. */
    int stop_read_fd;  /* The pipe stays open until free(), so stop() never gets EPIPE. */
    int stop_write_fd;
    /* The rest belongs to the loop's thread. */
    h2o_evloop_t *evloop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_socket_t *stop_sock; /* Reads a dup() of stop_read_fd. */
    h2o_multithread_receiver_t receiver;
    size_t pendings_count; /* Deferred answers not delivered yet. */
    bool stopping;
    uint64_t stop_deadline_ms;
    enum outcome outcome;
};

struct oms_http_server {
    struct oms_http_config cfg; /* cfg.host points to `host`. */
    char *host;
    const struct oms_http_route *routes;
    size_t routes_count;
    void *app;
    uint16_t port;
    bool globalconf_ready;
    bool ran;
    h2o_globalconf_t globalconf;
    struct loop *loops; /* cfg.threads of them. */
};

enum request_state { REQUEST_HANDLING, REQUEST_REPLIED, REQUEST_DEFERRED };

struct oms_http_request {
    h2o_req_t *h2o;
    struct loop *loop;
    struct oms_http_match match; /* Parameters point into h2o's pool. */
    struct oms_http_query_pair *query;
    size_t query_count;
    size_t arena_bytes;
    enum request_state state;
};

/* Lives in the request's pool: h2o disposes it with the request, which tells the pending. */
struct pending_guard {
    struct oms_http_pending *pending; /* NULL once the answer was delivered. */
};

struct oms_http_pending {
    h2o_multithread_message_t message; /* Zeroed: not linked until completed. */
    struct loop *loop;
    struct pending_guard *guard;  /* Loop thread only; NULL once h2o disposed the request. */
    struct oms_http_request *req; /* Valid while guard != NULL. */
    /* Set by the completing thread, read by the loop after the queue's hand-off. */
    oms_http_resume_fn *fn;
    void *arg;
    int status;
    char *body;
    size_t body_len;
};

struct route_handler {
    h2o_handler_t super;
    struct oms_http_server *server;
};

struct error_filter {
    h2o_filter_t super;
    struct oms_http_server *server;
};

struct replace_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
};

/* Our answers start with this generator; the error filter leaves them alone. Never written. */
static h2o_generator_t reply_generator = {NULL, NULL};

static const char internal_error_json[] =
    "{\"error\":{\"code\":\"internal_error\",\"message\":\"the server failed to answer\","
    "\"field\":null}}";

static const struct {
    int status;
    const char *reason;
} reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Payload Too Large"},
    {415, "Unsupported Media Type"},
    {417, "Expectation Failed"},
    {422, "Unprocessable Entity"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

static const char *status_reason(int status)
{
    for (size_t i = 0; i < OMS_ARRAY_LEN(reasons); i++) {
        if (reasons[i].status == status) return reasons[i].reason;
    }
    return "Status";
}

/* h2o 2.2.5's pool does not align its allocations; ours are aligned for any type. */
static void *pool_alloc(h2o_mem_pool_t *pool, size_t size)
{
    const uintptr_t align = _Alignof(max_align_t);
    uintptr_t at = (uintptr_t)h2o_mem_alloc_pool(pool, size + align - 1);
    return (void *)((at + align - 1) & ~(align - 1));
}

static char *pool_strndup(h2o_mem_pool_t *pool, const char *s, size_t len)
{
    char *copy = h2o_mem_alloc_pool(pool, len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

static void free_linked(void *slot)
{
    free(*(void **)slot);
}

/* Hands malloc()ed memory to the pool: it is freed when h2o clears the pool, after the
 * response bytes that point into it were written. */
static void pool_link_malloced(h2o_mem_pool_t *pool, void *p)
{
    void **slot = h2o_mem_alloc_shared(pool, sizeof *slot, free_linked);
    *slot = p;
}

/* {"error":{"code":...,"message":...,"field":...}} in the pool; {NULL, 0} if memory ran out.
 * A message or field that is not UTF-8 (a name cut inside a character by a "%.64s") is sent
 * with U+FFFD for the bad bytes (oms_json_text), not turned into a 500. */
static h2o_iovec_t error_json(h2o_mem_pool_t *pool, const char *code, const char *message,
                              const char *field)
{
    json_t *body = json_pack("{s:{s:s, s:o, s:o}}", "error", "code", code, "message",
                             oms_json_text(message), "field", oms_json_text(field));
    size_t len = 0;
    char *text = oms_json_dump(body, false, &len);
    json_decref(body);
    if (text == NULL) return h2o_iovec_init(NULL, 0);
    pool_link_malloced(pool, text);
    return h2o_iovec_init(text, len);
}

/* --- Answers --- */

/* Sends the one answer of a request. `content_type` and `body` must live as long as the pool.
 * The request may be disposed by h2o any time after this returns: callers do not touch it. */
static void send_answer(struct oms_http_request *req, int status, const char *content_type,
                        h2o_iovec_t body)
{
    OMS_ASSERT(req->state == REQUEST_HANDLING);
    OMS_ASSERT(status >= 200 && status <= 599);
    h2o_req_t *h = req->h2o;
    req->state = REQUEST_REPLIED;
    req->loop->outcome = OUTCOME_REPLIED;
    h->res.status = status;
    h->res.reason = status_reason(status);
    if (status == 204 || status == 304) {
        body = h2o_iovec_init(NULL, 0); /* These carry neither a body nor a Content-Length. */
        h->res.content_length = SIZE_MAX;
    } else {
        h->res.content_length = body.len;
        h2o_add_header(&h->pool, &h->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                       strlen(content_type));
    }
    if (h2o_memis(h->method.base, h->method.len, H2O_STRLIT("HEAD"))) {
        body = h2o_iovec_init(NULL, 0); /* h2o 2.2's HTTP/1 writes whatever it is given. */
    }
    h2o_start_response(h, &reply_generator);
    h2o_send(h, &body, body.len != 0 ? 1 : 0, H2O_SEND_STATE_FINAL);
}

static void send_internal_error(struct oms_http_request *req)
{
    send_answer(req, 500, MIME_JSON,
                h2o_iovec_init(internal_error_json, sizeof internal_error_json - 1));
}

void oms_http_reply_json(struct oms_http_request *req, int status, json_t *body)
{
    size_t len = 0;
    char *text = oms_json_dump(body, false, &len);
    json_decref(body);
    if (text == NULL) {
        oms_log(OMS_LOG_ERROR, "cannot encode the answer to '%s %s'", req->match.route->method,
                req->match.route->pattern);
        send_internal_error(req);
        return;
    }
    pool_link_malloced(&req->h2o->pool, text);
    send_answer(req, status, MIME_JSON, h2o_iovec_init(text, len));
}

void oms_http_reply_error(struct oms_http_request *req, int status, const char *code,
                          const char *message, const char *field)
{
    h2o_iovec_t body = error_json(&req->h2o->pool, code, message, field);
    if (body.base == NULL) {
        oms_log(OMS_LOG_ERROR, "cannot encode error '%s' (out of memory?)", code ? code : "(null)");
        send_internal_error(req);
        return;
    }
    send_answer(req, status, MIME_JSON, body);
}

void oms_http_reply_text(struct oms_http_request *req, int status, const char *content_type,
                         const char *body, size_t len)
{
    h2o_mem_pool_t *pool = &req->h2o->pool;
    char *copy = h2o_mem_alloc_pool(pool, len + 1);
    if (len > 0) memcpy(copy, body, len);
    send_answer(req, status, pool_strndup(pool, content_type, strlen(content_type)),
                h2o_iovec_init(copy, len));
}

void oms_http_add_header(struct oms_http_request *req, const char *name, const char *value)
{
    OMS_ASSERT(req->state == REQUEST_HANDLING);
    h2o_req_t *h = req->h2o;
    size_t name_len = strlen(name);
    char *lower = pool_strndup(&h->pool, name, name_len);
    h2o_strtolower(lower, name_len);
    size_t value_len = strlen(value);
    h2o_add_header_by_str(&h->pool, &h->res.headers, lower, name_len, 1, NULL,
                          pool_strndup(&h->pool, value, value_len), value_len);
}

/* --- The request, for handlers --- */

const char *oms_http_method(const struct oms_http_request *req)
{
    return req->match.route->method;
}

const char *oms_http_param(const struct oms_http_request *req, const char *name)
{
    size_t name_len = strlen(name);
    for (uint32_t i = 0; i < req->match.params_count; i++) {
        const struct oms_http_param *param = &req->match.params[i];
        if (param->name_len == name_len && memcmp(param->name, name, name_len) == 0) {
            return param->value;
        }
    }
    return NULL;
}

size_t oms_http_query(const struct oms_http_request *req, const char *key, const char **values,
                      size_t values_max)
{
    return oms_http_query_values(req->query, req->query_count, key, values, values_max);
}

const char *oms_http_query_first(const struct oms_http_request *req, const char *key)
{
    const char *value = NULL;
    return oms_http_query(req, key, &value, 1) > 0 ? value : NULL;
}

const char *oms_http_header(struct oms_http_request *req, const char *name)
{
    size_t count;
    return oms_http_header_all(req, name, &count);
}

const char *oms_http_header_all(struct oms_http_request *req, const char *name, size_t *count)
{
    char lower[HEADER_NAME_BYTES_MAX];
    size_t len = strlen(name);
    OMS_ASSERT(len > 0 && len <= sizeof lower); /* Names come from our code. */
    memcpy(lower, name, len);
    h2o_strtolower(lower, len);
    h2o_req_t *h = req->h2o;
    ssize_t first = h2o_find_header_by_str(&h->headers, lower, len, -1);
    *count = 0;
    for (ssize_t at = first; at >= 0; at = h2o_find_header_by_str(&h->headers, lower, len, at)) {
        (*count)++;
    }
    if (first < 0) return NULL;
    h2o_iovec_t value = h->headers.entries[first].value;
    return pool_strndup(&h->pool, value.base, value.len);
}

const char *oms_http_body(const struct oms_http_request *req, size_t *len)
{
    *len = req->h2o->entity.base != NULL ? req->h2o->entity.len : 0;
    return req->h2o->entity.base;
}

void *oms_http_app(const struct oms_http_request *req)
{
    return req->loop->server->app;
}

void *oms_http_alloc(struct oms_http_request *req, size_t size)
{
    if (size > OMS_HTTP_ARENA_BYTES_MAX - req->arena_bytes) return NULL;
    req->arena_bytes += size;
    return pool_alloc(&req->h2o->pool, size);
}

/* --- Routing a request to its handler --- */

/* After a handler or resume callback returned: answers 500 if it neither replied nor deferred.
 * Reads only the loop, since an answered request may already be gone. */
static void ensure_answered(struct loop *loop, struct oms_http_request *req,
                            const struct oms_http_route *route)
{
    if (loop->outcome != OUTCOME_NONE) return;
    oms_log(OMS_LOG_ERROR, "handler for '%s %s' returned without an answer", route->method,
            route->pattern);
    send_internal_error(req);
}

/* 400 invalid_query naming the piece that is not percent-encoded UTF-8: by its decoded key
 * when only the value failed; by the key as sent when that is printable ASCII; else no name
 * (the answer must stay valid UTF-8). */
static void query_refuse_undecodable(struct oms_http_request *req,
                                     const struct oms_http_query_error *error)
{
    h2o_mem_pool_t *pool = &req->h2o->pool;
    const char *name = error->key;
    bool printable = error->raw_key_len > 0;
    for (size_t i = 0; i < error->raw_key_len; i++) {
        printable = printable && error->raw_key[i] > 0x20 && error->raw_key[i] < 0x7f;
    }
    if (!name && printable) name = pool_strndup(pool, error->raw_key, error->raw_key_len);
    size_t cap = (name ? strlen(name) : 0) + 96;
    char *message = h2o_mem_alloc_pool(pool, cap);
    if (error->key) {
        snprintf(message, cap, "the value of the query parameter %s is not valid "
                               "percent-encoded UTF-8", name);
    } else {
        snprintf(message, cap, "the query parameter name %s is not valid percent-encoded UTF-8",
                 name ? name : "sent");
    }
    oms_http_reply_error(req, 400, "invalid_query", message, name);
}

/* 400 invalid_query naming a parameter the route does not take, or one it takes once that came
 * again (router.h): a typo or a second value is refused rather than ignored. */
static void query_refuse(struct oms_http_request *req, enum oms_http_query_result result,
                         const char *key)
{
    const char *spec = req->match.route->query ? req->match.route->query : "";
    size_t cap = strlen(key) + 2 * strlen(spec) + 128;
    char *message = h2o_mem_alloc_pool(&req->h2o->pool, cap);
    if (result == OMS_HTTP_QUERY_REPEATED) {
        snprintf(message, cap, "the query parameter %s is given more than once; it takes one value",
                 key);
    } else {
        /* "channel sku* qty" reads "channel, sku, qty" to a client. */
        int n = snprintf(message, cap, "%s is not a query parameter of this path; it takes %s",
                         key, spec[0] ? "" : "none");
        for (const char *c = spec; *c && n > 0 && (size_t)n + 3 < cap; c++) {
            if (*c == '*') continue;
            if (*c == ' ') message[n++] = ',';
            message[n++] = *c;
        }
        if (n > 0 && (size_t)n < cap) message[n] = '\0';
    }
    oms_http_reply_error(req, 400, "invalid_query", message, key);
}

/* Splits and decodes the query string; answers 400 or 413 and returns false when it cannot. */
static bool request_parse_query(struct oms_http_request *req)
{
    h2o_req_t *h = req->h2o;
    if (h->query_at == SIZE_MAX) return true;
    const char *query = h->path.base + h->query_at + 1;
    size_t query_len = h->path.len - h->query_at - 1;
    size_t bound = oms_http_query_pairs_bound(query, query_len);
    if (bound > OMS_HTTP_QUERY_PAIRS_MAX) {
        oms_http_reply_error(req, 413, "too_large", "the query has too many parameters", NULL);
        return false;
    }
    req->query = pool_alloc(&h->pool, bound * sizeof req->query[0]);
    char *scratch = h2o_mem_alloc_pool(&h->pool, OMS_HTTP_QUERY_SCRATCH_BYTES(query_len));
    struct oms_http_query_error error;
    if (!oms_http_query_parse(query, query_len, scratch, req->query, &req->query_count,
                              &error)) {
        query_refuse_undecodable(req, &error);
        return false;
    }
    size_t bad = 0;
    enum oms_http_query_result result =
        oms_http_query_check(req->match.route->query, req->query, req->query_count, &bad);
    if (result != OMS_HTTP_QUERY_OK) {
        query_refuse(req, result, req->query[bad].key);
        return false;
    }
    return true;
}

/* Finds the route and decodes parameters and query; answers 404, 405 or 400 and returns false
 * when the request cannot reach a handler. */
static bool request_route(struct oms_http_request *req)
{
    h2o_req_t *h = req->h2o;
    const struct oms_http_server *s = req->loop->server;
    if (h->entity.base != NULL && h->entity.len > s->cfg.body_max_bytes) {
        char message[96];
        snprintf(message, sizeof message, "the request body is larger than %zu bytes",
                 s->cfg.body_max_bytes);
        oms_http_reply_error(req, 413, "too_large", message, NULL);
        return false;
    }
    size_t path_len = h->query_at != SIZE_MAX ? h->query_at : h->path.len;
    char *scratch = h2o_mem_alloc_pool(&h->pool, path_len + 1);
    switch (oms_http_route_find(s->routes, s->routes_count, h->method.base, h->method.len,
                                h->path.base, path_len, scratch, &req->match)) {
    case OMS_HTTP_ROUTE_FOUND:
        return request_parse_query(req);
    case OMS_HTTP_ROUTE_NO_PATH:
        oms_http_reply_error(req, 404, "not_found", "no such path", NULL);
        return false;
    case OMS_HTTP_ROUTE_NO_METHOD:
        oms_http_add_header(req, "allow", req->match.allow);
        oms_http_reply_error(req, 405, "method_not_allowed", "this path does not take that method",
                             NULL);
        return false;
    case OMS_HTTP_ROUTE_BAD_PARAM: {
        const struct oms_http_param *bad = &req->match.params[req->match.bad_param_index];
        oms_http_reply_error(req, 400, "invalid_field",
                             "path parameter is not valid percent-encoded UTF-8",
                             pool_strndup(&h->pool, bad->name, bad->name_len));
        return false;
    }
    }
    OMS_ASSERT(!"unknown route result");
    return false;
}

static int on_req(h2o_handler_t *self, h2o_req_t *h)
{
    struct route_handler *handler = (struct route_handler *)self;
    struct loop *loop = H2O_STRUCT_FROM_MEMBER(struct loop, ctx, h->conn->ctx);
    OMS_ASSERT(loop->server == handler->server);
    struct oms_http_request *req = pool_alloc(&h->pool, sizeof *req);
    memset(req, 0, sizeof *req);
    req->h2o = h;
    req->loop = loop;
    req->state = REQUEST_HANDLING;
    loop->outcome = OUTCOME_NONE;
    if (!request_route(req)) return 0;
    const struct oms_http_route *route = req->match.route;
    route->handler(req);
    ensure_answered(loop, req, route);
    return 0;
}

/* --- Deferred answers --- */

static void guard_dispose(void *p)
{
    struct pending_guard *guard = p;
    if (guard->pending == NULL) return;
    guard->pending->guard = NULL; /* The client is gone: the answer will be dropped. */
    guard->pending->req = NULL;
}

struct oms_http_pending *oms_http_defer(struct oms_http_request *req)
{
    OMS_ASSERT(req->state == REQUEST_HANDLING);
    struct oms_http_pending *pending = h2o_mem_alloc(sizeof *pending);
    memset(pending, 0, sizeof *pending);
    pending->loop = req->loop;
    pending->req = req;
    pending->guard = h2o_mem_alloc_shared(&req->h2o->pool, sizeof *pending->guard, guard_dispose);
    pending->guard->pending = pending;
    req->state = REQUEST_DEFERRED;
    req->loop->outcome = OUTCOME_DEFERRED;
    req->loop->pendings_count++;
    return pending;
}

void oms_http_pending_complete(struct oms_http_pending *pending, int status, char *body,
                               size_t len)
{
    OMS_ASSERT(status >= 200 && status <= 599);
    OMS_ASSERT(body != NULL || len == 0);
    pending->fn = NULL;
    pending->status = status;
    pending->body = body;
    pending->body_len = len;
    h2o_multithread_send_message(&pending->loop->receiver, &pending->message);
}

void oms_http_pending_resume(struct oms_http_pending *pending, oms_http_resume_fn *fn, void *arg)
{
    OMS_ASSERT(fn != NULL);
    pending->fn = fn;
    pending->arg = arg;
    h2o_multithread_send_message(&pending->loop->receiver, &pending->message);
}

/* On the loop: answers a completed pending, or drops it if h2o disposed its request. */
static void pending_deliver(struct loop *loop, struct oms_http_pending *pending)
{
    OMS_ASSERT(pending->loop == loop);
    OMS_ASSERT(loop->pendings_count > 0);
    loop->pendings_count--;
    struct oms_http_request *req = NULL;
    if (pending->guard != NULL) {
        pending->guard->pending = NULL; /* From here h2o may end the request silently. */
        req = pending->req;
        OMS_ASSERT(req->state == REQUEST_DEFERRED);
        req->state = REQUEST_HANDLING;
    }
    struct oms_http_pending done = *pending;
    free(pending);
    if (done.fn != NULL) {
        const struct oms_http_route *route = req != NULL ? req->match.route : NULL;
        loop->outcome = OUTCOME_NONE;
        done.fn(req, done.arg);
        if (req != NULL) ensure_answered(loop, req, route);
    } else if (req != NULL) {
        if (done.body != NULL) pool_link_malloced(&req->h2o->pool, done.body);
        loop->outcome = OUTCOME_NONE;
        send_answer(req, done.status, MIME_JSON, h2o_iovec_init(done.body, done.body_len));
    } else {
        free(done.body);
    }
}

static void on_pending_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    struct loop *loop = H2O_STRUCT_FROM_MEMBER(struct loop, receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        struct oms_http_pending *pending =
            H2O_STRUCT_FROM_MEMBER(struct oms_http_pending, message.link, messages->next);
        h2o_linklist_unlink(&pending->message.link);
        pending_deliver(loop, pending);
    }
}

/* --- h2o's own errors in our shape --- */

static void replace_do_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs,
                            size_t bufcnt, h2o_send_state_t state)
{
    (void)bufs;
    (void)bufcnt;
    struct replace_ostream *replace = (struct replace_ostream *)self;
    h2o_iovec_t body = replace->body;
    replace->body = h2o_iovec_init(NULL, 0); /* h2o's error bodies come in one piece. */
    h2o_ostream_send_next(&replace->super, req, &body, body.len != 0 ? 1 : 0, state);
}

/* The JSON for an error h2o answered itself (before any handler ran). */
static h2o_iovec_t h2o_error_json(const struct oms_http_server *s, h2o_req_t *req)
{
    char message[128];
    const char *code = req->res.status >= 500 ? "internal_error" : "bad_request";
    snprintf(message, sizeof message, "%s", "the request is not valid HTTP/1.1");
    if (req->res.status == 413) {
        code = "too_large";
        snprintf(message, sizeof message, "the request body is larger than %zu bytes",
                 s->cfg.body_max_bytes);
    } else if (req->res.status == 417) {
        snprintf(message, sizeof message, "%s", "the Expect header is not supported");
    } else if (req->res.status >= 500) {
        snprintf(message, sizeof message, "%s", "the server failed to answer");
    }
    h2o_iovec_t body = error_json(&req->pool, code, message, NULL);
    if (body.base != NULL) return body;
    return h2o_iovec_init(internal_error_json, sizeof internal_error_json - 1);
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    const struct error_filter *filter = (const struct error_filter *)self;
    if (req->_generator != &reply_generator && req->res.status >= 400) {
        h2o_iovec_t body = h2o_error_json(filter->server, req);
        bool head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
        req->res.content_length = body.len;
        h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                       H2O_STRLIT(MIME_JSON), 1);
        struct replace_ostream *replace = (void *)h2o_add_ostream(req, sizeof *replace, slot);
        replace->super.do_send = replace_do_send;
        replace->body = head ? h2o_iovec_init(NULL, 0) : body;
        slot = &replace->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

static void error_filter_register(h2o_pathconf_t *pathconf, struct oms_http_server *s)
{
    struct error_filter *filter = (void *)h2o_create_filter(pathconf, sizeof *filter);
    filter->super.on_setup_ostream = on_setup_ostream;
    filter->server = s;
}

/* --- Event loops --- */

static void on_accept(h2o_socket_t *listener, const char *err)
{
    struct loop *loop = listener->data;
    if (err != NULL) return;
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL) return;
        h2o_accept(&loop->accept_ctx, sock);
    }
}

static int end_keepalive(h2o_req_t *req, void *data)
{
    (void)data;
    req->http1_is_persistent = 0; /* The answer in flight says "Connection: close". */
    return 0;
}

/* Stops accepting and lets connections drain: keep-alive ends with the answers in flight, and
 * idle connections expire at the next timer tick instead of after h2o's request timeout. */
static void loop_begin_stop(struct loop *loop)
{
    if (loop->stopping) return;
    loop->stopping = true;
    loop->stop_deadline_ms = h2o_now(loop->evloop) + OMS_HTTP_STOP_GRACE_MS;
    h2o_socket_read_stop(loop->listener);
    h2o_socket_close(loop->listener);
    loop->listener = NULL;
    h2o_socket_read_stop(loop->stop_sock);
    h2o_socket_close(loop->stop_sock);
    loop->stop_sock = NULL;
    h2o_context_request_shutdown(&loop->ctx);
    (void)loop->ctx.globalconf->http1.callbacks.foreach_request(&loop->ctx, end_keepalive, NULL);
    loop->ctx.http1.req_timeout.timeout = 0;
}

static void on_stop_requested(h2o_socket_t *sock, const char *err)
{
    (void)err;
    loop_begin_stop(sock->data);
}

static size_t connections_count(struct loop *loop)
{
    size_t count = 0;
    h2o_linklist_t *anchors[] = {&loop->ctx.http1._conns, &loop->ctx.http2._conns};
    for (size_t i = 0; i < OMS_ARRAY_LEN(anchors); i++) {
        for (h2o_linklist_t *node = anchors[i]->next; node != anchors[i]; node = node->next) {
            count++;
        }
    }
    return count;
}

static void loop_open(struct loop *loop)
{
    struct oms_http_server *s = loop->server;
    loop->evloop = h2o_evloop_create();
    h2o_context_init(&loop->ctx, loop->evloop, &s->globalconf);
    h2o_multithread_register_receiver(loop->ctx.queue, &loop->receiver, on_pending_messages);
    loop->accept_ctx.ctx = &loop->ctx;
    loop->accept_ctx.hosts = s->globalconf.hosts;

    loop->listener = h2o_evloop_socket_create(loop->evloop, loop->listen_fd,
                                              H2O_SOCKET_FLAG_DONT_READ);
    loop->listen_fd = -1; /* h2o closes it now. */
    loop->listener->data = loop;
    h2o_socket_read_start(loop->listener, on_accept);

    int stop_fd = fcntl(loop->stop_read_fd, F_DUPFD_CLOEXEC, 0);
    OMS_ASSERT(stop_fd >= 0); /* Only EMFILE: the process is out of descriptors at start. */
    loop->stop_sock = h2o_evloop_socket_create(loop->evloop, stop_fd, H2O_SOCKET_FLAG_DONT_READ);
    loop->stop_sock->data = loop;
    h2o_socket_read_start(loop->stop_sock, on_stop_requested);
}

/* True when the loop may end: stopping, no deferred answer outstanding, and every connection
 * closed (or the grace period over: those left are abandoned, and *abandoned set). */
static bool loop_finished(struct loop *loop, bool *abandoned)
{
    if (!loop->stopping || loop->pendings_count > 0) return false;
    size_t open = connections_count(loop);
    if (open == 0) return true;
    if (h2o_now(loop->evloop) < loop->stop_deadline_ms) return false;
    oms_log(OMS_LOG_WARN, "abandoning %zu http connections still open after %d ms", open,
            OMS_HTTP_STOP_GRACE_MS);
    *abandoned = true;
    return true;
}

static void signals_block(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE); /* A write to a closed connection fails with EPIPE instead. */
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    int err = pthread_sigmask(SIG_BLOCK, &set, NULL);
    OMS_ASSERT(err == 0);
}

/* What h2o 2.2 leaves behind when a loop thread ends. Its evloop build of
 * h2o_multithread_destroy_queue() closes the queue's sockets but never frees the queue itself
 * (later h2o versions do: hence the version check). Socket buffers are cached per thread in
 * h2o_socket_buffer_prototype's recycle bin, which dies with the thread: empty it. (h2o's
 * memory-pool chunks sit in a similar per-thread bin that is static to h2o and cannot be
 * emptied; at most 16 chunks of 4 KiB per loop thread, reported by LeakSanitizer.) */
static void h2o_leftovers_free(h2o_multithread_queue_t *queue)
{
#if H2O_VERSION_MAJOR == 2 && H2O_VERSION_MINOR == 2
    free(queue);
#else
    (void)queue;
#endif
    h2o_mem_recycle_t *bin = &h2o_socket_buffer_prototype.allocator;
    while (bin->cnt > 0) free(h2o_mem_alloc_recycle(bin, 1));
}

static void *loop_main(void *arg)
{
    struct loop *loop = arg;
    signals_block();
    loop_open(loop);
    bool abandoned = false;
    while (!loop_finished(loop, &abandoned)) {
        /* -1 is EINTR or a failed epoll_wait: the next turn retries. */
        (void)h2o_evloop_run(loop->evloop, loop->stopping ? STOPPING_WAIT_MS : INT32_MAX);
    }
    if (abandoned) return NULL; /* Connections still point into the context: leave it all. */
    /* h2o_context_request_shutdown() armed HTTP/2's one-second GOAWAY timer; dispose asserts
     * that no timer is armed. */
    if (h2o_timeout_is_linked(&loop->ctx.http2._graceful_shutdown_timeout)) {
        h2o_timeout_unlink(&loop->ctx.http2._graceful_shutdown_timeout);
    }
    h2o_multithread_unregister_receiver(loop->ctx.queue, &loop->receiver);
    h2o_multithread_queue_t *queue = loop->ctx.queue;
    h2o_context_dispose(&loop->ctx);
    h2o_evloop_destroy(loop->evloop);
    loop->evloop = NULL;
    h2o_leftovers_free(queue);
    return NULL;
}

/* --- Server lifecycle --- */

static const char *config_problem(const struct oms_http_config *cfg)
{
    if (cfg->host == NULL || cfg->host[0] == '\0') return "no host to listen on";
    if (cfg->threads < 1 || cfg->threads > OMS_HTTP_THREADS_MAX) {
        return "threads must be in 1 .. OMS_HTTP_THREADS_MAX";
    }
    if (cfg->body_max_bytes == 0 || cfg->body_max_bytes == SIZE_MAX) {
        return "body_max_bytes must be in 1 .. SIZE_MAX - 1";
    }
    return NULL;
}

static bool address_resolve(const struct oms_http_server *s, struct sockaddr_storage *addr,
                            socklen_t *addr_len)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *found = NULL;
    int rc = getaddrinfo(s->host, "0", &hints, &found);
    if (rc != 0) {
        oms_log(OMS_LOG_ERROR, "cannot resolve '%s': %s", s->host, gai_strerror(rc));
        return false;
    }
    memcpy(addr, found->ai_addr, found->ai_addrlen);
    *addr_len = found->ai_addrlen;
    freeaddrinfo(found);
    return true;
}

static void address_set_port(struct sockaddr_storage *addr, uint16_t port)
{
    if (addr->ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)addr)->sin6_port = htons(port);
    } else {
        ((struct sockaddr_in *)addr)->sin_port = htons(port);
    }
}

/* A listening socket. The first binds without SO_REUSEPORT, so it fails if anyone holds the
 * port (even another oms with SO_REUSEPORT); it sets the option after binding so the other
 * loops' sockets can join it. Returns the descriptor, or -1 with the reason logged. */
static int listener_open(const struct oms_http_server *s, const struct sockaddr_storage *addr,
                         socklen_t addr_len, bool first)
{
    int one = 1;
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0;
    if (ok) ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0;
    if (ok && !first) ok = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0;
    if (ok) ok = bind(fd, (const struct sockaddr *)addr, addr_len) == 0;
    if (ok && first) ok = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0;
    if (ok) ok = listen(fd, SOMAXCONN) == 0;
    if (!ok) {
        oms_log(OMS_LOG_ERROR, "cannot listen on '%s' port %u: %s", s->host,
                (unsigned)(first ? s->cfg.port : s->port), strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

static bool listeners_open(struct oms_http_server *s)
{
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    if (!address_resolve(s, &addr, &addr_len)) return false;
    address_set_port(&addr, s->cfg.port);
    for (uint32_t i = 0; i < s->cfg.threads; i++) {
        s->loops[i].listen_fd = listener_open(s, &addr, addr_len, i == 0);
        if (s->loops[i].listen_fd < 0) return false;
        if (i > 0) continue;
        struct sockaddr_storage bound;
        socklen_t bound_len = sizeof bound;
        if (getsockname(s->loops[0].listen_fd, (struct sockaddr *)&bound, &bound_len) != 0) {
            oms_log(OMS_LOG_ERROR, "cannot read the bound port: %s", strerror(errno));
            return false;
        }
        s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                    : ((struct sockaddr_in *)&bound)->sin_port);
        address_set_port(&addr, s->port);
    }
    return true;
}

static bool stop_pipes_open(struct oms_http_server *s)
{
    for (uint32_t i = 0; i < s->cfg.threads; i++) {
        int fds[2];
        if (pipe(fds) != 0) {
            oms_log(OMS_LOG_ERROR, "cannot create a pipe: %s", strerror(errno));
            return false;
        }
        s->loops[i].stop_read_fd = fds[0];
        s->loops[i].stop_write_fd = fds[1];
        for (size_t k = 0; k < 2; k++) {
            bool ok = fcntl(fds[k], F_SETFD, FD_CLOEXEC) == 0 &&
                      fcntl(fds[k], F_SETFL, O_NONBLOCK) == 0; /* stop() must never block. */
            if (!ok) {
                oms_log(OMS_LOG_ERROR, "cannot configure a pipe: %s", strerror(errno));
                return false;
            }
        }
    }
    return true;
}

static void h2o_config_setup(struct oms_http_server *s)
{
    h2o_config_init(&s->globalconf);
    s->globalconf_ready = true;
    s->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("oms"));
    /* h2o refuses a Content-Length above its limit but a chunked body that reaches it; one
     * byte of slack lets both reach request_route(), which refuses exactly what is over. */
    s->globalconf.max_request_entity_size = s->cfg.body_max_bytes + 1;
    s->globalconf.http1.upgrade_to_http2 = 0; /* Also refuses prior-knowledge HTTP/2. */
    h2o_hostconf_t *hostconf =
        h2o_config_register_host(&s->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pathconf = h2o_config_register_path(hostconf, "/", 0);
    struct route_handler *handler = (void *)h2o_create_handler(pathconf, sizeof *handler);
    handler->super.on_req = on_req;
    handler->server = s;
    error_filter_register(pathconf, s);
    error_filter_register(&hostconf->fallback_path, s); /* Where h2o's 413 and 400 go. */
}

struct oms_http_server *oms_http_server_new(const struct oms_http_config *cfg,
                                            const struct oms_http_route *routes,
                                            size_t routes_count, void *app)
{
    const char *why = config_problem(cfg);
    size_t bad_index = 0;
    if (why != NULL) {
        oms_log(OMS_LOG_ERROR, "cannot start the http server: %s", why);
        return NULL;
    }
    if (!oms_http_routes_check(routes, routes_count, &why, &bad_index)) {
        oms_log(OMS_LOG_ERROR, "http route %zu is invalid: %s", bad_index, why);
        return NULL;
    }
    /* Startup allocations abort on failure (h2o_mem_alloc does). */
    struct oms_http_server *s = h2o_mem_alloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->host = h2o_strdup(NULL, cfg->host, SIZE_MAX).base;
    s->cfg = *cfg;
    s->cfg.host = s->host;
    s->routes = routes;
    s->routes_count = routes_count;
    s->app = app;
    s->loops = h2o_mem_alloc(cfg->threads * sizeof s->loops[0]);
    memset(s->loops, 0, cfg->threads * sizeof s->loops[0]);
    for (uint32_t i = 0; i < cfg->threads; i++) {
        s->loops[i].server = s;
        s->loops[i].listen_fd = s->loops[i].stop_read_fd = s->loops[i].stop_write_fd = -1;
    }
    if (!listeners_open(s) || !stop_pipes_open(s)) {
        oms_http_server_free(s);
        return NULL;
    }
    h2o_config_setup(s);
    return s;
}

uint16_t oms_http_server_port(const struct oms_http_server *s)
{
    return s->port;
}

int oms_http_server_run(struct oms_http_server *s)
{
    OMS_ASSERT(!s->ran);
    s->ran = true;
    int rc = 0;
    uint32_t started = 0;
    for (; started < s->cfg.threads; started++) {
        int err = pthread_create(&s->loops[started].thread, NULL, loop_main, &s->loops[started]);
        if (err != 0) {
            oms_log(OMS_LOG_ERROR, "cannot start http loop %u: %s", started, strerror(err));
            oms_http_server_stop(s);
            rc = -1;
            break;
        }
    }
    for (uint32_t i = 0; i < started; i++) pthread_join(s->loops[i].thread, NULL);
    return rc;
}

void oms_http_server_stop(struct oms_http_server *s)
{
    int saved_errno = errno;
    for (uint32_t i = 0; i < s->cfg.threads; i++) {
        if (write(s->loops[i].stop_write_fd, "s", 1) < 0) {
            /* EAGAIN: the pipe is full, so a stop is already waiting. */
        }
    }
    errno = saved_errno;
}

void oms_http_server_free(struct oms_http_server *s)
{
    if (s == NULL) return;
    for (uint32_t i = 0; i < s->cfg.threads; i++) {
        int fds[] = {s->loops[i].listen_fd, s->loops[i].stop_read_fd, s->loops[i].stop_write_fd};
        for (size_t k = 0; k < OMS_ARRAY_LEN(fds); k++) {
            if (fds[k] >= 0) close(fds[k]);
        }
    }
    if (s->globalconf_ready) h2o_config_dispose(&s->globalconf);
    free(s->loops);
    free(s->host);
    free(s);
}
