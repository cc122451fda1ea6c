/*
 * api.c - the route table of API.md and `oms serve`: the HTTP server on the engine, stopped
 * cleanly by SIGINT or SIGTERM.
 */
#include "base/platform.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "http/api.h"
#include "http/routes.h"
#include "http/server.h"

/* Method, path, handler and the query parameters the route takes (router.h: '*' may repeat;
 * any other parameter, or a second value of one without '*', is a 400 naming it). */
static const struct oms_http_route routes[] = {
    {"GET", "/healthz", oms_route_get_healthz, NULL},
    {"GET", "/metrics", oms_route_get_metrics, NULL},
    {"GET", "/v1/items", oms_route_get_items, "status channel after limit"},
    {"PUT", "/v1/items/{sku}", oms_route_put_item, NULL},
    {"GET", "/v1/items/{sku}", oms_route_get_item, NULL},
    {"GET", "/v1/items/{sku}/queue", oms_route_get_queue, "after limit"},
    {"PUT", "/v1/locations/{code}", oms_route_put_location, NULL},
    {"GET", "/v1/locations/{code}", oms_route_get_location, NULL},
    {"PUT", "/v1/channels/{code}", oms_route_put_channel, NULL},
    {"GET", "/v1/channels/{code}", oms_route_get_channel, NULL},
    {"GET", "/v1/channels/{code}/items", oms_route_get_channel_items, "after limit"},
    {"PUT", "/v1/channels/{code}/items/{sku}", oms_route_put_channel_item, NULL},
    {"GET", "/v1/channels/{code}/items/{sku}", oms_route_get_channel_item, NULL},
    {"GET", "/v1/regions", oms_route_get_regions, NULL},
    {"PUT", "/v1/regions/{code}", oms_route_put_region, NULL},
    {"GET", "/v1/regions/{code}", oms_route_get_region, NULL},
    {"GET", "/v1/channels/{code}/feed", oms_route_get_channel_feed, "after limit"},
    {"GET", "/v1/stock/{sku}", oms_route_get_stock, NULL},
    {"POST", "/v1/stock/adjustments", oms_route_post_adjustment, NULL},
    {"POST", "/v1/stock/snapshots", oms_route_post_snapshot, "dry_run"},
    {"GET", "/v1/stock/snapshots/{id}", oms_route_get_snapshot, NULL},
    {"POST", "/v1/supply", oms_route_post_supply, "dry_run"},
    {"GET", "/v1/supply/{id}", oms_route_get_supply, NULL},
    {"PATCH", "/v1/supply/{id}", oms_route_patch_supply, "dry_run"},
    {"POST", "/v1/supply/{id}/receipts", oms_route_post_receipt, "dry_run"},
    {"POST", "/v1/orders", oms_route_post_order, NULL},
    {"GET", "/v1/orders", oms_route_get_orders, "status channel sku after limit"},
    {"GET", "/v1/orders/{id}", oms_route_get_order, NULL},
    {"POST", "/v1/orders/{id}/cancel", oms_route_post_cancel, NULL},
    {"POST", "/v1/orders/{id}/shipments", oms_route_post_shipment, NULL},
    {"POST", "/v1/orders/{id}/returns", oms_route_post_return, NULL},
    {"POST", "/v1/orders/{id}/shipments/cancel", oms_route_post_unship, NULL},
    {"POST", "/v1/orders/{id}/accept_delay", oms_route_post_accept_delay, NULL},
    {"GET", "/v1/orders/{id}/timeline", oms_route_get_timeline, "after limit"},
    {"POST", "/v1/items/{sku}/repeg", oms_route_post_repeg, "dry_run"},
    {"GET", "/v1/availability", oms_route_get_availability, "channel sku* qty region collect"},
    {"GET", "/v1/events", oms_route_get_events, "after limit"},
    {"POST", "/v1/subscriptions", oms_route_post_subscription, NULL},
    {"GET", "/v1/subscriptions/{id}", oms_route_get_subscription, NULL},
    {"POST", "/v1/webhooks", oms_route_post_webhook, NULL},
    {"GET", "/v1/webhooks/{id}", oms_route_get_webhook, NULL},
    {"DELETE", "/v1/webhooks/{id}", oms_route_delete_webhook, NULL},
    {"GET", "/v1/webhooks/{id}/deliveries", oms_route_get_deliveries, "status after limit"},
    {"POST", "/v1/webhooks/{id}/deliveries/{seq}/redeliver", oms_route_post_redeliver, NULL},
    {"POST", "/v1/clock", oms_route_post_clock, NULL},
    {"POST", "/v1/holds", oms_route_post_hold, NULL},
    {"GET", "/v1/holds/{id}", oms_route_get_hold, NULL},
    {"DELETE", "/v1/holds/{id}", oms_route_delete_hold, NULL},
};

static struct oms_http_server *serving; /* For the signal handler only. */

static void on_signal(int sig)
{
    (void)sig;
    if (serving) oms_http_server_stop(serving); /* Async-signal-safe. */
}

int oms_http_serve(struct oms_engine *engine, const struct oms_serve_options *opts)
{
    /* jansson seeds its hash function on first use; do it before threads race to. */
    json_object_seed(0);
    struct oms_http_config config = {
        .host = opts->host,
        .port = opts->port,
        .threads = opts->threads,
        .body_max_bytes = opts->body_max_bytes,
    };
    struct oms_http_server *server =
        oms_http_server_new(&config, routes, OMS_ARRAY_LEN(routes), engine);
    if (!server) return 1;
    serving = server;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    printf("oms: listening on http://%s:%u\n", opts->host, oms_http_server_port(server));
    fflush(stdout);
    int rc = oms_http_server_run(server);
    serving = NULL;
    oms_http_server_free(server);
    oms_log(OMS_LOG_INFO, "server stopped");
    return rc;
}
