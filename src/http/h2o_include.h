/*
 * h2o_include.h - the one place src/http/ includes libh2o's headers. Private to src/http/: no
 * other layer sees h2o. The project builds with -Wpedantic -Wconversion -Wshadow and more as
 * errors; h2o's headers (inline functions, GNU extensions) are not written for that, so their
 * warnings are silenced here, for these headers only, and stay on for our own code.
 * H2O_USE_LIBUV=0 must come from the build (CMake defines it for oms_http): without it h2o's
 * headers expect libuv instead of h2o's own event loop.
 */
#ifndef OMS_HTTP_H2O_INCLUDE_H
#define OMS_HTTP_H2O_INCLUDE_H

#ifndef H2O_USE_LIBUV
#error "H2O_USE_LIBUV must be defined (0: h2o's own event loop, libh2o-evloop)"
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wcast-qual"
#include <h2o.h>
#include <h2o/multithread.h>
#pragma GCC diagnostic pop

#endif
