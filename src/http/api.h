/*
 * api.h - the HTTP API of API.md on top of the engine: the route table, request decoding,
 * answers. oms_http_serve() is what `oms serve` runs.
 */
#ifndef OMS_HTTP_API_H
#define OMS_HTTP_API_H

#include "base/platform.h"
#include "engine/engine.h"

struct oms_serve_options {
    const char *host;
    uint16_t port; /* 0: any free port. */
    uint32_t threads;
    size_t body_max_bytes;
};

/* Serves the API until SIGINT/SIGTERM; prints one line "oms: listening on http://HOST:PORT"
 * to stdout once ready; returns 0 on a clean stop, 1 if it cannot listen. */
int oms_http_serve(struct oms_engine *engine, const struct oms_serve_options *opts);

#endif
