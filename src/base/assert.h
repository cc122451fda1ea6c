/*
 * assert.h - assertions that stay on in release builds. An assertion states a fact that our
 * own code guarantees; a failure is our bug, so the process logs where and aborts. Input from
 * outside (HTTP bodies, CSV rows, database rows) is checked into errors, never asserted.
 * The core may include this header: it has no I/O of its own (oms_panic lives in assert.c).
 */
#ifndef OMS_ASSERT_H
#define OMS_ASSERT_H

#include "base/platform.h"

OMS_NORETURN void oms_panic(const char *file, int line, const char *what);

#define OMS_ASSERT(expr) ((expr) ? (void)0 : oms_panic(__FILE__, __LINE__, #expr))

/* For O(n) checks; on unless OMS_NO_DEBUG_ASSERT is defined (benchmarks may define it). */
#ifdef OMS_NO_DEBUG_ASSERT
#define OMS_DEBUG_ASSERT(expr) ((void)0)
#else
#define OMS_DEBUG_ASSERT(expr) OMS_ASSERT(expr)
#endif

#endif
