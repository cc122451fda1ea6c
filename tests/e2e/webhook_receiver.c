/*
 * webhook_receiver.c - a webhook endpoint for the end-to-end tests (t0004-webhooks.sh), built
 * on the project's own HTTP server. It listens on 127.0.0.1 (a port the kernel picks, written
 * to --port-file once it listens), checks each delivery's signature itself with OpenSSL, and
 * appends one line per arrival to --log: "seq status signature_ok subject type". It answers
 * 500 to the first --fail-first arrivals of each event, and 500 to every event whose subject
 * starts with --refuse-prefix while --refuse-file exists; else 200. SIGTERM stops it.
 */
#include "base/platform.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/server.h"

#define SEQ_MAX (1 << 20) /* Events this receiver can count arrivals of. */

static struct {
    const char *secret, *log_path, *port_path, *refuse_prefix, *refuse_path;
    int fail_first;
    pthread_mutex_t lock;
    FILE *log;
    uint8_t *arrivals; /* Per seq, saturating. */
    struct oms_http_server *server;
} rcv = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* LeakSanitizer reads this hook: h2o 2.2.5 keeps per-thread recycle bins nothing can empty
 * (see tests/unit/test_http_server.c). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:h2o_mem_alloc_recycle\n"; }

static bool signature_ok(const char *timestamp, const char *signature, const char *body,
                         size_t len)
{
    if (!timestamp || !signature || strncmp(signature, "v1=", 3) != 0) return false;
    size_t ts_len = strlen(timestamp);
    unsigned char *text = malloc(ts_len + 1 + len);
    if (!text) return false;
    memcpy(text, timestamp, ts_len);
    text[ts_len] = '.';
    memcpy(text + ts_len + 1, body, len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), rcv.secret, (int)strlen(rcv.secret), text, ts_len + 1 + len, mac,
         &mac_len);
    free(text);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned int i = 0; i < mac_len; i++) snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    long long age = (long long)time(NULL) - atoll(timestamp);
    return strcmp(hex, signature + 3) == 0 && age >= -5 && age <= 300;
}

static void on_hook(struct oms_http_request *req)
{
    size_t len = 0;
    const char *body = oms_http_body(req, &len);
    json_t *json = body ? json_loadb(body, len, 0, NULL) : NULL;
    json_int_t seq = json_integer_value(json_object_get(json, "seq"));
    const char *subject = json_string_value(json_object_get(json, "subject"));
    const char *type = json_string_value(json_object_get(json, "type"));
    const char *id = oms_http_header(req, "OMS-Event-Id");
    bool sig = body && signature_ok(oms_http_header(req, "OMS-Timestamp"),
                                    oms_http_header(req, "OMS-Signature"), body, len);
    bool sane = subject && type && id && atoll(id) == seq && seq > 0 && seq < SEQ_MAX;
    int status = 200;
    pthread_mutex_lock(&rcv.lock);
    if (sane) {
        if (rcv.arrivals[seq] < (uint8_t)rcv.fail_first) status = 500;
        if (rcv.arrivals[seq] < UINT8_MAX) rcv.arrivals[seq]++;
        bool refused = rcv.refuse_prefix &&
                       strncmp(subject, rcv.refuse_prefix, strlen(rcv.refuse_prefix)) == 0;
        if (refused && access(rcv.refuse_path, F_OK) == 0) {
            status = 500;
        }
        fprintf(rcv.log, "%lld %d %d %s %s\n", (long long)seq, status, sig ? 1 : 0, subject, type);
    } else {
        status = 400;
        fprintf(rcv.log, "0 400 %d ? ?\n", sig ? 1 : 0);
    }
    fflush(rcv.log);
    pthread_mutex_unlock(&rcv.lock);
    json_decref(json);
    oms_http_reply_json(req, status, json_pack("{s:b}", "ok", status == 200));
}

static const struct oms_http_route routes[] = {{"POST", "/hook", on_hook, NULL}};

static void on_signal(int sig)
{
    (void)sig;
    if (rcv.server) oms_http_server_stop(rcv.server);
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *flag = argv[i], *value = argv[i + 1];
        if (strcmp(flag, "--secret") == 0) rcv.secret = value;
        if (strcmp(flag, "--log") == 0) rcv.log_path = value;
        if (strcmp(flag, "--port-file") == 0) rcv.port_path = value;
        if (strcmp(flag, "--fail-first") == 0) rcv.fail_first = atoi(value);
        if (strcmp(flag, "--refuse-prefix") == 0) rcv.refuse_prefix = value;
        if (strcmp(flag, "--refuse-file") == 0) rcv.refuse_path = value;
    }
    if (!rcv.secret || !rcv.log_path || !rcv.port_path ||
        (rcv.refuse_prefix && !rcv.refuse_path)) {
        fprintf(stderr, "usage: webhook_receiver --secret S --log FILE --port-file FILE"
                        " [--fail-first N] [--refuse-prefix P --refuse-file F]\n");
        return 2;
    }
    rcv.log = fopen(rcv.log_path, "a");
    rcv.arrivals = calloc(SEQ_MAX, 1);
    if (!rcv.log || !rcv.arrivals) return 1;
    json_object_seed(0);
    struct oms_http_config cfg = {
        .host = "127.0.0.1", .port = 0, .threads = 2, .body_max_bytes = 1 << 20};
    rcv.server = oms_http_server_new(&cfg, routes, OMS_ARRAY_LEN(routes), NULL);
    if (!rcv.server) return 1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", rcv.port_path);
    FILE *port = fopen(tmp, "w");
    if (!port) return 1;
    fprintf(port, "%u\n", oms_http_server_port(rcv.server));
    fclose(port);
    rename(tmp, rcv.port_path); /* Whole or absent: the test polls for it. */
    int rc = oms_http_server_run(rcv.server);
    oms_http_server_free(rcv.server);
    fclose(rcv.log);
    free(rcv.arrivals);
    return rc;
}
