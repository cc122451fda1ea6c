/*
 * jbuf.h - JSON text appended into one growable buffer, for answers on the hot read path that
 * are too large or too frequent to build as a jansson tree and then dump (a tree costs a malloc
 * per value and a second walk). Strings are escaped exactly as jansson's json_dumps does by
 * default (compact, UTF-8 kept, `/` kept), so an answer written here is byte-identical to one
 * the rest of the API builds with jansson. The caller writes the punctuation ({ } [ ] , :).
 */
#ifndef OMS_JBUF_H
#define OMS_JBUF_H

#include "base/platform.h"

#include <string.h>

struct oms_jbuf {
    char *text; /* Not NUL-terminated. */
    size_t len, cap;
    char *heap; /* text when it outgrew the caller's storage; freed by oms_jbuf_release. */
};

/* Starts empty in the caller's storage (for example a stack array); grows on the heap. */
void oms_jbuf_init(struct oms_jbuf *b, char *storage, size_t cap);
void oms_jbuf_release(struct oms_jbuf *b);

void oms_jbuf_grow(struct oms_jbuf *b, size_t more); /* Room for `more` bytes after len. */

static inline void oms_jbuf_raw(struct oms_jbuf *b, const char *text, size_t len)
{
    if (len > b->cap - b->len) oms_jbuf_grow(b, len);
    memcpy(b->text + b->len, text, len);
    b->len += len;
}

/* A string literal, punctuation included: oms_jbuf_lit(b, "{\"items\":["). */
#define oms_jbuf_lit(b, literal) oms_jbuf_raw((b), (literal), sizeof(literal) - 1)

/* A quoted, escaped JSON string of `s`: UTF-8 as it is, each ill-formed part of text that is
 * not (stored before decision 51) as U+FFFD. */
void oms_jbuf_str(struct oms_jbuf *b, const char *s);
/* A decimal integer. */
void oms_jbuf_int(struct oms_jbuf *b, int64_t value);

#endif
