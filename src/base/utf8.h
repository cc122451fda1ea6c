/*
 * utf8.h - the one UTF-8 check of the engine, and the repair its JSON writers use (decision 51).
 * Every text the engine keeps comes in well-formed: JSON bodies are checked by jansson, path and
 * query parameters by the router, and the rest here, at the edge, into an error that says where:
 * every field of every CSV record (base/csv.c, so every importer), the command-line options
 * that name or become stored text, and the Idempotency-Key header (oms_check_id). What goes out
 * is UTF-8 too: a JSON writer that meets a stored string which is not (a database written
 * before decision 51) replaces each ill-formed part with U+FFFD instead of failing, so an answer
 * or an event is never lost and the server never stops on one.
 *
 * Well-formed is Unicode's Table 3-7: no overlong forms, no surrogates (U+D800..U+DFFF),
 * nothing past U+10FFFF, no sequence cut short. U+0000 is well-formed here: the callers hold C
 * strings or refuse NUL themselves (the CSV reader, the router, oms_get_text for JSON).
 * Pure: no allocation, no state; every pointer is the caller's and nothing is kept.
 */
#ifndef OMS_UTF8_H
#define OMS_UTF8_H

#include "base/platform.h"

#define OMS_UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD, three bytes. */
#define OMS_UTF8_REPLACEMENT_LEN 3

/* The character at the start of s[0..len), len > 0: its length in bytes (1 to 4) when it is
 * well-formed. Otherwise 0, and *bad_len is the length (1 to 3) of the maximal ill-formed
 * subpart there: the bytes one U+FFFD stands for (Unicode 3.9, "U+FFFD Substitution of Maximal
 * Subparts"; the practice of the WHATWG decoder and of Python). */
size_t oms_utf8_char(const char *s, size_t len, size_t *bad_len);

/* True when s[0..len) is well-formed. Otherwise false, and *bad_offset (when not NULL) is the
 * offset of the first byte of the first ill-formed sequence: "byte 0xE8 at offset 2". */
bool oms_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* Bytes oms_utf8_repair() writes for s[0..len): len when it is well-formed, never more than
 * 3 * len. */
size_t oms_utf8_repaired_len(const char *s, size_t len);

/* Copies s[0..len) to out with each maximal ill-formed subpart replaced by U+FFFD; returns the
 * bytes written (oms_utf8_repaired_len()). out has room for them and does not overlap s; no NUL
 * is appended. Well-formed text is copied unchanged. */
size_t oms_utf8_repair(const char *s, size_t len, char *out);

/* Drops a character cut short at the end of the NUL-terminated s, as snprintf() leaves one when
 * it cuts a message at a byte limit: a message that quotes a client's text stays well-formed
 * (the text itself was). Nothing else is changed. */
void oms_utf8_trim(char *s);

/* The offset of the first control character in the well-formed s[0..len), or len when it holds
 * none: C0 (U+0000..U+001F), DEL and C1 (U+0080..U+009F, `C2 80`..`C2 9F`). No name, code or id
 * the engine keeps holds one (decisions 45 and 51): each is invisible or moves the cursor where
 * it is shown, and C1 is what a Latin-1 file read as UTF-8 becomes. */
size_t oms_text_control(const char *s, size_t len);

/* True when s[0..len) begins or ends with a space. An identifier (a SKU, a code, an id) that does
 * is refused: " A14 " and "A14" would be two items no one can tell apart on a screen, and a
 * space at an end is what a spreadsheet's export leaves by mistake. */
static inline bool oms_text_padded(const char *s, size_t len)
{
    return len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
}

/* The offset of the first invisible format character in the well-formed s[0..len), or len when
 * it holds none: U+200B..U+200F (zero widths, direction marks), U+202A..U+202E (direction
 * overrides), U+2028 and U+2029 (line and paragraph separators), U+2060..U+2069 (word joiner,
 * invisible operators, direction isolates), U+061C (the Arabic letter mark) and U+FEFF (a byte
 * order mark). An identifier holding one looks like
 * another that does not (a SKU pasted from a web page), or reads in another order than it is
 * stored; names may hold them (a Persian name needs U+200C). */
size_t oms_text_invisible(const char *s, size_t len);

/* The length (1 or 2) of the control character at p[0..left), left > 0, or 0 when there is
 * none (also at an ill-formed sequence, which is the UTF-8 check's to tell): oms_text_control's
 * test, for a caller that scans the text already. */
static inline size_t oms_control_len(const unsigned char *p, size_t left)
{
    if (p[0] < 0x20 || p[0] == 0x7f) return 1;
    /* U+0080..U+009F; C2 followed by anything else is another character or ill-formed. */
    return p[0] == 0xC2 && left > 1 && p[1] >= 0x80 && p[1] <= 0x9F ? 2 : 0;
}

#endif
