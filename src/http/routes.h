/*
 * routes.h - the handlers of the API's routes, one file per resource (route_<resource>.c);
 * the table that maps paths to them is in api.c.
 */
#ifndef OMS_HTTP_ROUTES_H
#define OMS_HTTP_ROUTES_H

#include "http/server.h"

oms_http_handler oms_route_get_items, oms_route_get_orders; /* route_lists.c */
oms_http_handler oms_route_put_item, oms_route_get_item, oms_route_get_queue,
    oms_route_put_location, oms_route_get_location, oms_route_put_channel, oms_route_get_channel;
oms_http_handler oms_route_put_channel_item, oms_route_get_channel_item,
    oms_route_get_channel_items;
oms_http_handler oms_route_get_stock, oms_route_post_adjustment, oms_route_post_supply,
    oms_route_get_supply, oms_route_post_receipt;
oms_http_handler oms_route_post_order, oms_route_get_order, oms_route_post_cancel,
    oms_route_post_shipment, oms_route_post_return, oms_route_get_timeline, oms_route_post_unship,
    oms_route_post_accept_delay;
oms_http_handler oms_route_patch_supply, oms_route_post_repeg;
oms_http_handler oms_route_put_region, oms_route_get_region, oms_route_get_regions;
oms_http_handler oms_route_post_snapshot, oms_route_get_snapshot;
oms_http_handler oms_route_post_subscription, oms_route_get_subscription;
oms_http_handler oms_route_post_webhook, oms_route_get_webhook, oms_route_delete_webhook,
    oms_route_get_deliveries, oms_route_post_redeliver;
oms_http_handler oms_route_post_hold, oms_route_get_hold, oms_route_delete_hold;
oms_http_handler oms_route_get_availability, oms_route_get_channel_feed, oms_route_get_events,
    oms_route_post_clock,
    oms_route_get_healthz, oms_route_get_metrics, oms_route_get_openapi;


/* ?key=N, a whole number in [min, max], into *out: true when given and valid; false when absent
 * (*out untouched) or invalid (d fails: 422 invalid_field naming key). */
struct oms_decoder;
bool oms_query_int(struct oms_http_request *req, struct oms_decoder *d, const char *key,
                   int64_t min, int64_t max, int64_t *out);
/* ?dry_run=true|false (false when absent); fails d on anything else. */
struct oms_decoder;
bool oms_query_dry_run(struct oms_http_request *req, struct oms_decoder *d);

/* A READ of one record by the path parameter `name`: the encoder answers 404 when the key
 * (in the command's u.item.sku) is unknown. */
void oms_route_read(struct oms_http_request *req, const char *name, size_t max,
                    oms_encode_fn encode);

#endif
