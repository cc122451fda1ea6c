/*
 * page_next.h - the cursor a paged answer gives for its next page ("next"), for the tests that
 * walk the lists page by page (test_http_lists, test_http_queue).
 */
#ifndef OMS_TEST_PAGE_NEXT_H
#define OMS_TEST_PAGE_NEXT_H

#include <stdint.h>

#include <jansson.h>

/* The answer's "next", or -1 when it has none (the last page). */
static inline int64_t next_of(const char *text)
{
    json_t *page = json_loads(text, 0, NULL);
    json_t *next = json_object_get(page, "next");
    int64_t after = json_is_integer(next) ? json_integer_value(next) : -1;
    json_decref(page);
    return after;
}

#endif
