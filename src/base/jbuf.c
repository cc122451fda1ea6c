/*
 * jbuf.c - growth, string escaping and integers for jbuf.h.
 */
#include "base/platform.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/jbuf.h"
#include "base/utf8.h"

void oms_jbuf_init(struct oms_jbuf *b, char *storage, size_t cap)
{
    b->text = storage;
    b->len = 0;
    b->cap = cap;
    b->heap = NULL;
}

void oms_jbuf_release(struct oms_jbuf *b)
{
    free(b->heap);
    b->heap = NULL;
    b->text = NULL;
    b->len = b->cap = 0;
}

void oms_jbuf_grow(struct oms_jbuf *b, size_t more)
{
    OMS_ASSERT(more <= SIZE_MAX / 2 - b->len);
    size_t cap = b->cap > 0 ? b->cap : 256;
    while (cap - b->len < more) cap *= 2;
    char *text = realloc(b->heap, cap);
    OMS_ASSERT(text != NULL);
    if (b->heap == NULL && b->len > 0) memcpy(text, b->text, b->len);
    b->text = b->heap = text;
    b->cap = cap;
}

void oms_jbuf_str(struct oms_jbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(s);
    /* Worst case: every byte a \u00XX escape (or a U+FFFD, 3 bytes), plus the quotes. */
    if (6 * len + 2 > b->cap - b->len) oms_jbuf_grow(b, 6 * len + 2);
    char *out = b->text + b->len;
    *out++ = '"';
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            /* A character is copied whole; an ill-formed part (text stored before decision
             * 51) is written as U+FFFD, so the answer stays UTF-8 and says where it was. */
            size_t bad_len = 0, n = oms_utf8_char(s + i, len - i, &bad_len);
            if (n > 0) {
                memcpy(out, s + i, n);
                out += n;
                i += n;
            } else {
                memcpy(out, OMS_UTF8_REPLACEMENT, OMS_UTF8_REPLACEMENT_LEN);
                out += OMS_UTF8_REPLACEMENT_LEN;
                i += bad_len;
            }
            continue;
        }
        i++;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        default: /* jansson writes the other control characters as \u00XX, upper-case hex. */
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    *out++ = '"';
    b->len = (size_t)(out - b->text);
}

void oms_jbuf_int(struct oms_jbuf *b, int64_t value)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                "31323334353637383940414243444546474849505152535455565758596061"
                                "62636465666768697071727374757677787980818283848586878889909192"
                                "93949596979899";
    char digits[24];
    size_t at = sizeof digits;
    /* Through unsigned so that INT64_MIN has a magnitude; two digits per division. */
    uint64_t magnitude = value < 0 ? 0u - (uint64_t)value : (uint64_t)value;
    while (magnitude >= 100) {
        size_t two = (size_t)(magnitude % 100) * 2;
        magnitude /= 100;
        at -= 2;
        digits[at] = pairs[two];
        digits[at + 1] = pairs[two + 1];
    }
    if (magnitude >= 10) {
        at -= 2;
        digits[at] = pairs[magnitude * 2];
        digits[at + 1] = pairs[magnitude * 2 + 1];
    } else {
        digits[--at] = (char)('0' + magnitude);
    }
    if (value < 0) digits[--at] = '-';
    oms_jbuf_raw(b, digits + at, sizeof digits - at);
}
