/*
 * jsonw.c - escaping and appending for jsonw.h.
 */
#include "base/platform.h"

#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/jsonw.h"
#include "base/utf8.h"

static void put(struct oms_jsonw *w, const char *text, size_t len)
{
    OMS_ASSERT(w->len + len + 2 <= sizeof w->text);
    memcpy(w->text + w->len, text, len);
    w->len += len;
    w->text[w->len] = '\0';
}

static void put_string(struct oms_jsonw *w, const char *s)
{
    /* The usual string (a key, a SKU, an id, a code) is ASCII that needs no escape: copied
     * while scanned, between its quotes, with put()'s bound (two bytes kept for "}" and the
     * terminator). Anything else takes the loop below. */
    size_t room = sizeof w->text - w->len;
    if (room >= 4) {
        char *out = w->text + w->len;
        const unsigned char *p = (const unsigned char *)s;
        size_t n = 0, most = room - 4;
        while (n < most && p[n] >= 0x20 && p[n] < 0x80 && p[n] != '"' && p[n] != '\\') {
            out[1 + n] = (char)p[n];
            n++;
        }
        if (p[n] == '\0') {
            out[0] = '"';
            out[1 + n] = '"';
            w->len += n + 2;
            w->text[w->len] = '\0';
            return;
        }
    }
    put(w, "\"", 1);
    const unsigned char *run = (const unsigned char *)s, *p = run;
    for (;; p++) {
        if (*p >= 0x80) {
            /* A character stays in the run; an ill-formed part (text stored before decision
             * 51) is written as U+FFFD. oms_utf8_char stops at the NUL: it continues nothing. */
            size_t bad_len = 0, n = oms_utf8_char((const char *)p, 4, &bad_len);
            if (n > 0) {
                p += n - 1;
                continue;
            }
            if (p > run) put(w, (const char *)run, (size_t)(p - run));
            put(w, OMS_UTF8_REPLACEMENT, OMS_UTF8_REPLACEMENT_LEN);
            p += bad_len - 1;
            run = p + 1;
            continue;
        }
        /* Characters that need no escape are copied a run at a time (one memcpy, not one per
         * character: every event carries a SKU, an order id or a location code). */
        if (*p != '\0' && *p != '"' && *p != '\\' && *p >= 0x20) continue;
        if (p > run) put(w, (const char *)run, (size_t)(p - run));
        if (*p == '\0') break;
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(w, esc, 2);
        } else {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            put(w, esc, 6);
        }
        run = p + 1;
    }
    put(w, "\"", 1);
}

static void key(struct oms_jsonw *w, const char *name)
{
    if (!w->first) put(w, ",", 1);
    w->first = false;
    put_string(w, name);
    put(w, ":", 1);
}

void oms_jsonw_begin(struct oms_jsonw *w)
{
    w->len = 0;
    w->first = true;
    put(w, "{", 1);
}

void oms_jsonw_str(struct oms_jsonw *w, const char *name, const char *value)
{
    key(w, name);
    if (value) {
        put_string(w, value);
    } else {
        put(w, "null", 4);
    }
}

void oms_jsonw_int(struct oms_jsonw *w, const char *name, int64_t value)
{
    /* As "%lld" (every event carries several: snprintf was 700 instructions each). */
    char digits[24];
    size_t n = 0;
    unsigned long long magnitude =
        value < 0 ? 0ull - (unsigned long long)value : (unsigned long long)value;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (value < 0) digits[sizeof digits - 1 - n++] = '-';
    key(w, name);
    put(w, digits + sizeof digits - n, n);
}

void oms_jsonw_bool(struct oms_jsonw *w, const char *name, bool value)
{
    key(w, name);
    put(w, value ? "true" : "false", value ? 4 : 5);
}

const char *oms_jsonw_end(struct oms_jsonw *w)
{
    put(w, "}", 1);
    return w->text;
}
