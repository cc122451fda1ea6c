/*
 * dump.c - compact JSON text of a jansson value without jansson's per-container cycle check
 * (our values are trees built by the encoders), and stored text as JSON strings. See dump.h.
 */
#include "base/platform.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/utf8.h"
#include "http/dump.h"

struct out {
    char *data;
    size_t len, cap;
    bool failed;
    bool real; /* A real was met: the caller asks jansson instead. */
};

static void reserve(struct out *out, size_t more)
{
    if (out->failed || out->len + more + 1 <= out->cap) return;
    size_t cap = out->cap ? out->cap : 512;
    while (cap < out->len + more + 1) cap *= 2;
    char *data = realloc(out->data, cap);
    if (!data) {
        out->failed = true;
        return;
    }
    out->data = data;
    out->cap = cap;
}

static void put(struct out *out, const char *text, size_t len)
{
    reserve(out, len);
    if (out->failed) return;
    memcpy(out->data + out->len, text, len);
    out->len += len;
}

static void put_char(struct out *out, char c)
{
    reserve(out, 1);
    if (out->failed) return;
    out->data[out->len++] = c;
}

/* As jansson: \\ \" \b \f \n \r \t, other control characters \u00XX (upper-case hex); every
 * other byte (UTF-8 included) as it is. */
static void put_string(struct out *out, const char *text, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    reserve(out, len + 2);
    put_char(out, '"');
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(out, text + start, i - start);
        start = i + 1;
        char seq[6] = {'\\', 0, '0', '0', 0, 0};
        size_t seq_len = 2;
        switch (c) {
        case '"':
            seq[1] = '"';
            break;
        case '\\':
            seq[1] = '\\';
            break;
        case '\b':
            seq[1] = 'b';
            break;
        case '\f':
            seq[1] = 'f';
            break;
        case '\n':
            seq[1] = 'n';
            break;
        case '\r':
            seq[1] = 'r';
            break;
        case '\t':
            seq[1] = 't';
            break;
        default:
            seq[1] = 'u';
            seq[4] = hex[c >> 4];
            seq[5] = hex[c & 0xF];
            seq_len = 6;
        }
        put(out, seq, seq_len);
    }
    put(out, text + start, len - start);
    put_char(out, '"');
}

static void put_int(struct out *out, json_int_t value)
{
    char digits[24];
    size_t n = 0;
    /* Through unsigned: the most negative value has no positive counterpart. */
    unsigned long long magnitude =
        value < 0 ? 0ull - (unsigned long long)value : (unsigned long long)value;
    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    reserve(out, n + 1);
    if (value < 0) put_char(out, '-');
    while (n > 0) put_char(out, digits[--n]);
}

struct key {
    const char *text;
    size_t len;
};

/* jansson's order for JSON_SORT_KEYS: bytes, then the shorter first. */
static int compare_keys(const void *a, const void *b)
{
    const struct key *ka = a, *kb = b;
    size_t min = ka->len < kb->len ? ka->len : kb->len;
    int res = memcmp(ka->text, kb->text, min);
    if (res) return res;
    return ka->len < kb->len ? -1 : ka->len > kb->len ? 1 : 0;
}

static void dump(struct out *out, const json_t *json, bool sort_keys)
{
    switch (json_typeof(json)) {
    case JSON_NULL:
        put(out, "null", 4);
        return;
    case JSON_TRUE:
        put(out, "true", 4);
        return;
    case JSON_FALSE:
        put(out, "false", 5);
        return;
    case JSON_INTEGER:
        put_int(out, json_integer_value(json));
        return;
    case JSON_STRING:
        put_string(out, json_string_value(json), json_string_length(json));
        return;
    case JSON_ARRAY:
        put_char(out, '[');
        for (size_t i = 0; i < json_array_size(json); i++) {
            if (i) put_char(out, ',');
            dump(out, json_array_get(json, i), sort_keys);
        }
        put_char(out, ']');
        return;
    case JSON_OBJECT: {
        put_char(out, '{');
        size_t size = json_object_size(json);
        struct key local[32], *keys = local;
        if (sort_keys && size > 32) {
            keys = malloc(size * sizeof *keys);
            if (!keys) {
                out->failed = true;
                return;
            }
        }
        size_t n = 0;
        for (void *iter = json_object_iter((json_t *)json); iter;
             iter = json_object_iter_next((json_t *)json, iter)) {
            const char *key = json_object_iter_key(iter);
            size_t key_len = json_object_iter_key_len(iter);
            if (sort_keys) {
                keys[n++] = (struct key){key, key_len};
                continue;
            }
            if (n++) put_char(out, ',');
            put_string(out, key, key_len);
            put_char(out, ':');
            dump(out, json_object_iter_value(iter), sort_keys);
        }
        if (sort_keys) {
            qsort(keys, n, sizeof *keys, compare_keys);
            for (size_t i = 0; i < n; i++) {
                if (i) put_char(out, ',');
                put_string(out, keys[i].text, keys[i].len);
                put_char(out, ':');
                dump(out, json_object_getn(json, keys[i].text, keys[i].len), sort_keys);
            }
            if (keys != local) free(keys);
        }
        put_char(out, '}');
        return;
    }
    case JSON_REAL:
        out->real = true;
        break;
    }
    out->failed = true;
}

char *oms_json_dump(const json_t *json, bool sort_keys, size_t *len)
{
    if (!json) return NULL;
    struct out out = {0};
    dump(&out, json, sort_keys);
    reserve(&out, 0);
    if (out.failed) {
        free(out.data);
        if (!out.real) return NULL;
        /* jansson's own real formatting (precision 17, ".0"...): the API sends no reals. */
        size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | (sort_keys ? JSON_SORT_KEYS : 0);
        char *text = json_dumps(json, flags);
        if (text && len) *len = strlen(text);
        return text;
    }
    out.data[out.len] = '\0';
    if (len) *len = out.len;
    return out.data;
}

json_t *oms_json_text(const char *text)
{
    static _Atomic bool told = false;
    if (!text) return json_null();
    size_t len = strlen(text);
    if (oms_utf8_valid(text, len, NULL)) return json_stringn_nocheck(text, len);
    size_t fixed_len = oms_utf8_repaired_len(text, len);
    char *fixed = malloc(fixed_len);
    if (!fixed) return NULL;
    oms_utf8_repair(text, len, fixed);
    json_t *json = json_stringn_nocheck(fixed, fixed_len);
    if (!atomic_exchange(&told, true)) {
        /* Once: a database with such text answers with it on every read that shows it. */
        oms_log(OMS_LOG_WARN, "stored text is not UTF-8 (written before decision 51); answered "
                "with U+FFFD in place of the bad bytes, first '%.*s'",
                (int)(fixed_len < 200 ? fixed_len : 200), fixed);
    }
    free(fixed);
    return json;
}

int oms_json_set_text_key(json_t *object, const char *key, json_t *value)
{
    json_t *text = oms_json_text(key);
    int rc = text ? json_object_set_new_nocheck(object, json_string_value(text), value) : -1;
    if (!text) json_decref(value);
    json_decref(text); /* The object keeps a copy of the key. */
    return rc;
}
