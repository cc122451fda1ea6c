/*
 * import_kinds.c - the four CSV kinds of `oms import` (items, locations, stock, supply): their
 * columns (and channel_rules), one parser per column (syntax and range of a cell, the same bounds the HTTP API
 * enforces), the per-row and per-file keys, and the check of every row against the engine's
 * state, run as a READ command on the writer thread.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/assert.h"
#include "base/csv.h"
#include "base/utf8.h"
#include "cli/import.h"
#include "core/calendar.h"
#include "engine/clock.h"
#include "engine/tz.h"
#include "store/model.h"

#define NAME_BYTES_MAX 256
#define PRIORITY_MAX 1000000

/* --- Cell helpers --- */

static const char *keep(struct import_row *row, const char *text)
{
    OMS_ASSERT(row->texts_count < IMPORT_TEXTS_MAX);
    char *copy = cli_xstrdup(text);
    row->texts[row->texts_count++] = copy;
    return copy;
}

/* No control character (oms_text_control), as the API's text fields (oms_get_text): a cell may
 * hold a line break inside quotes, but a name with one could not be set over HTTP. The CSV
 * reader has already refused NUL and what is not UTF-8 (decision 51). */
static bool check_controls(const char *text, char *why, size_t len)
{
    if (oms_text_control(text, strlen(text)) < strlen(text)) {
        snprintf(why, len, "contains a control character");
        return false;
    }
    return true;
}

/* An identifier: 1 to max - 1 bytes (room for the NUL the model keeps), no control bytes. */
static bool check_id(const char *text, size_t max, char *why, size_t len)
{
    if (strlen(text) >= max) {
        snprintf(why, len, "longer than %zu bytes", max - 1);
        return false;
    }
    if (oms_text_padded(text, strlen(text))) {
        snprintf(why, len, "'%s' begins or ends with a space", text);
        return false;
    }
    if (oms_text_invisible(text, strlen(text)) < strlen(text)) {
        snprintf(why, len, "holds an invisible character (a zero width, a direction mark or a "
                 "byte order mark)");
        return false;
    }
    return check_controls(text, why, len);
}

/* A name: at most NAME_BYTES_MAX bytes, no control bytes. */
static bool check_name(const char *text, char *why, size_t len)
{
    if (strlen(text) > NAME_BYTES_MAX) {
        snprintf(why, len, "longer than %d bytes", NAME_BYTES_MAX);
        return false;
    }
    return check_controls(text, why, len);
}

static bool whole(const char *text, int64_t min, int64_t max, int64_t *out, char *why,
                  size_t len)
{
    if (oms_parse_int64(text, min, max, out)) return true;
    int64_t any;
    if (oms_parse_int64(text, INT64_MIN, INT64_MAX, &any)) {
        snprintf(why, len, "%s is %s %lld", text, any < min ? "below" : "above",
                 (long long)(any < min ? min : max));
    } else {
        snprintf(why, len, "'%s' is not a whole number", text);
    }
    return false;
}

static bool is_none(const char *text) { return strcasecmp(text, "none") == 0; }

/* A date in the engine's range (decisions.md 53), as the API takes it. */
static bool date(const char *text, oms_day *out, char *why, size_t len)
{
    char sentence[128];
    if (oms_date_parse("the date", text, out, sentence, sizeof sentence)) return true;
    snprintf(why, len, "'%s': %s", text, sentence);
    return false;
}

/* --- items --- */

#define ITEM(row) (&(row)->cmd.u.item)

static bool item_sku(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_id(t, OMS_SKU_BYTES_MAX, why, n)) return false;
    ITEM(r)->sku = keep(r, t);
    return true;
}

static bool item_name(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_name(t, why, n)) return false;
    ITEM(r)->name = keep(r, t);
    ITEM(r)->fields |= OMS_F_NAME;
    return true;
}

/* A price is read with its currency (item_check): its decimals are the currency's. */
static bool item_price(struct import_row *r, const char *t, char *why, size_t n)
{
    (void)why;
    (void)n;
    r->price_text = keep(r, t);
    ITEM(r)->fields |= OMS_F_PRICE;
    return true;
}

/* ISO 4217's minor unit of a currency: 2, but for the currencies with none or three (or four). */
static int currency_exponent(const char *code)
{
    static const char *const none[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW",
                                       "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
                                       "XPF"};
    static const char *const three[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
    for (size_t i = 0; i < OMS_ARRAY_LEN(none); i++) {
        if (strcmp(code, none[i]) == 0) return 0;
    }
    for (size_t i = 0; i < OMS_ARRAY_LEN(three); i++) {
        if (strcmp(code, three[i]) == 0) return 3;
    }
    return strcmp(code, "CLF") == 0 || strcmp(code, "UYW") == 0 ? 4 : 2;
}

/* "2.55" in a currency of `exponent` decimals, in its minor unit: at most that many decimals
 * (a third decimal of pence is not rounded away: it is refused), not negative, in range. */
static bool parse_price(const char *text, int exponent, int64_t *minor)
{
    int64_t value = 0;
    int decimals = -1; /* -1: before the point. */
    const char *p = text;
    if (*p == '\0' || *p == '.') return false;
    for (; *p; p++) {
        if (*p == '.' && decimals < 0) {
            decimals = 0;
            continue;
        }
        if (*p < '0' || *p > '9' || decimals >= exponent) return false;
        if (value > (INT64_MAX - 9) / 10) return false;
        value = value * 10 + (*p - '0');
        if (decimals >= 0) decimals++;
    }
    if (decimals == 0) return false; /* "2." */
    for (int d = decimals < 0 ? 0 : decimals; d < exponent; d++) {
        if (value > INT64_MAX / 10) return false;
        value *= 10;
    }
    *minor = value;
    return value <= INT64_MAX / 4; /* The API's bound of price. */
}

static void item_check(struct import_row *r, struct cli_errors *errors)
{
    if (!r->price_text) return;
    unsigned long long row = (unsigned long long)r->row;
    if (!(ITEM(r)->fields & OMS_F_CURRENCY)) {
        cli_error(errors, "row %llu, column price: give the row's currency too: a price's "
                  "decimals are its currency's (GBP two, JPY none, KWD three)", row);
        r->bad = true;
        return;
    }
    int exponent = currency_exponent(ITEM(r)->currency);
    if (!parse_price(r->price_text, exponent, &ITEM(r)->price_minor)) {
        cli_error(errors, "row %llu, column price: '%s' is not a price in %s (%d decimal%s at "
                  "most)", row, r->price_text, ITEM(r)->currency, exponent,
                  exponent == 1 ? "" : "s");
        r->bad = true;
    }
}

static bool item_currency(struct import_row *r, const char *t, char *why, size_t n)
{
    bool ok = strlen(t) == 3;
    for (int i = 0; ok && i < 3; i++) ok = t[i] >= 'A' && t[i] <= 'Z';
    if (!ok) {
        snprintf(why, n, "'%s' is not a three-letter ISO 4217 code like GBP", t);
        return false;
    }
    ITEM(r)->currency = keep(r, t);
    ITEM(r)->fields |= OMS_F_CURRENCY;
    return true;
}

static bool item_policy(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!oms_policy_parse(t, &ITEM(r)->policy)) {
        snprintf(why, n, "'%s' is not deny, backorder or preorder", t);
        return false;
    }
    ITEM(r)->fields |= OMS_F_POLICY;
    return true;
}

static bool item_backorder_limit(struct import_row *r, const char *t, char *why, size_t n)
{
    ITEM(r)->backorder_limit = -1;
    if (!is_none(t) && !whole(t, 0, OMS_QTY_MAX, &ITEM(r)->backorder_limit, why, n)) return false;
    ITEM(r)->fields |= OMS_F_BACKORDER_LIMIT;
    return true;
}

static bool item_lead_time(struct import_row *r, const char *t, char *why, size_t n)
{
    int64_t days = -1;
    if (!is_none(t) && !whole(t, 0, OMS_LEAD_TIME_DAYS_MAX, &days, why, n)) return false;
    ITEM(r)->lead_time_days = (int32_t)days;
    ITEM(r)->fields |= OMS_F_LEAD_TIME;
    return true;
}

static bool item_low_stock(struct import_row *r, const char *t, char *why, size_t n)
{
    ITEM(r)->low_stock_threshold = -1;
    if (!is_none(t) && !whole(t, 0, OMS_QTY_MAX, &ITEM(r)->low_stock_threshold, why, n)) {
        return false;
    }
    ITEM(r)->fields |= OMS_F_LOW_STOCK;
    return true;
}

static bool item_min_order_qty(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!whole(t, 1, OMS_QTY_MAX, &ITEM(r)->min_order_qty, why, n)) return false;
    ITEM(r)->fields |= OMS_F_MIN_ORDER_QTY;
    return true;
}

static bool item_release_date(struct import_row *r, const char *t, char *why, size_t n)
{
    ITEM(r)->release_day = OMS_DAY_NONE;
    if (!is_none(t) && !date(t, &ITEM(r)->release_day, why, n)) return false;
    ITEM(r)->fields |= OMS_F_RELEASE_DATE;
    return true;
}

static bool item_allow_split(struct import_row *r, const char *t, char *why, size_t n)
{
    static const char *const yes[] = {"true", "yes", "1"}, *const no[] = {"false", "no", "0"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(t, yes[i]) == 0 || strcasecmp(t, no[i]) == 0) {
            ITEM(r)->allow_split = strcasecmp(t, yes[i]) == 0;
            ITEM(r)->fields |= OMS_F_ALLOW_SPLIT;
            return true;
        }
    }
    snprintf(why, n, "'%s' is not true or false", t);
    return false;
}

static const struct import_column item_columns[] = {
    {"sku", true, item_sku},
    {"name", false, item_name},
    {"price", false, item_price},
    {"currency", false, item_currency},
    {"policy", false, item_policy},
    {"backorder_limit", false, item_backorder_limit},
    {"lead_time_days", false, item_lead_time},
    {"low_stock_threshold", false, item_low_stock},
    {"min_order_qty", false, item_min_order_qty},
    {"release_date", false, item_release_date},
    {"allow_split", false, item_allow_split},
};

static void item_key(const struct import_row *r, char *out, size_t len)
{
    snprintf(out, len, "%s", r->cmd.u.item.sku);
}

/* --- locations --- */

#define LOC(row) (&(row)->cmd.u.location)

static bool loc_code(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_id(t, OMS_CODE_BYTES_MAX, why, n)) return false;
    LOC(r)->code = keep(r, t);
    return true;
}

static bool loc_name(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_name(t, why, n)) return false;
    LOC(r)->name = keep(r, t);
    LOC(r)->fields |= OMS_F_NAME;
    return true;
}

static bool loc_kind(struct import_row *r, const char *t, char *why, size_t n)
{
    static const char *const kinds[] = {"warehouse", "store", "dc"};
    for (int k = 0; k < 3; k++) {
        if (strcmp(t, kinds[k]) == 0) {
            LOC(r)->kind = (enum oms_location_kind)k;
            LOC(r)->fields |= OMS_F_KIND;
            return true;
        }
    }
    snprintf(why, n, "'%s' is not warehouse, store or dc", t);
    return false;
}

static bool loc_region(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_id(t, OMS_CODE_BYTES_MAX, why, n)) return false;
    LOC(r)->region = keep(r, t);
    LOC(r)->fields |= OMS_F_REGION;
    return true;
}

static bool loc_priority(struct import_row *r, const char *t, char *why, size_t n)
{
    int64_t v;
    if (!whole(t, 1, PRIORITY_MAX, &v, why, n)) return false;
    LOC(r)->priority = (int32_t)v;
    LOC(r)->fields |= OMS_F_PRIORITY;
    return true;
}

static bool loc_timezone(struct import_row *r, const char *t, char *why, size_t n)
{
    if (strlen(t) > 64 || !oms_tz_valid(t)) {
        snprintf(why, n, "'%s' is not a time zone like Europe/London", t);
        return false;
    }
    LOC(r)->timezone = keep(r, t);
    LOC(r)->fields |= OMS_F_TIMEZONE;
    return true;
}

static bool loc_handling(struct import_row *r, const char *t, char *why, size_t n)
{
    int64_t v;
    if (!whole(t, 0, OMS_HANDLING_DAYS_MAX, &v, why, n)) return false;
    LOC(r)->handling_days = (int32_t)v;
    LOC(r)->fields |= OMS_F_HANDLING;
    return true;
}

/* "mon tue wed thu fri" (spaces or commas between days, any case). */
static bool loc_working_days(struct import_row *r, const char *t, char *why, size_t n)
{
    static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    uint32_t mask = 0;
    for (const char *p = t; *p;) {
        size_t len = strcspn(p, " ,");
        uint32_t bit = 0;
        for (uint32_t k = 0; len == 3 && k < 7; k++) {
            if (strncasecmp(p, names[k], 3) == 0) bit = 1u << k;
        }
        if (len > 0 && !bit) {
            snprintf(why, n, "'%.*s' is not a day (mon tue wed thu fri sat sun)", (int)len, p);
            return false;
        }
        if (mask & bit) { /* As the API refuses working_days[i] (a typo for another day?). */
            snprintf(why, n, "'%.*s' is given twice", (int)len, p);
            return false;
        }
        mask |= bit;
        p += len;
        p += strspn(p, " ,");
    }
    if (mask == 0) {
        snprintf(why, n, "no working day given");
        return false;
    }
    LOC(r)->working_mask = mask;
    LOC(r)->fields |= OMS_F_WORKING_DAYS;
    return true;
}

static const struct import_column location_columns[] = {
    {"code", true, loc_code},         {"name", false, loc_name},
    {"kind", false, loc_kind},        {"region", false, loc_region},
    {"priority", false, loc_priority}, {"timezone", false, loc_timezone},
    {"handling_days", false, loc_handling}, {"working_days", false, loc_working_days},
};

static void location_key(const struct import_row *r, char *out, size_t len)
{
    snprintf(out, len, "%s", r->cmd.u.location.code);
}

/* --- stock --- */

#define ADJ(row) (&(row)->cmd.u.adjust)

static bool stock_sku(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_id(t, OMS_SKU_BYTES_MAX, why, n)) return false;
    ADJ(r)->sku = keep(r, t);
    return true;
}

static bool stock_location(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_id(t, OMS_CODE_BYTES_MAX, why, n)) return false;
    ADJ(r)->location = keep(r, t);
    return true;
}

static bool stock_on_hand(struct import_row *r, const char *t, char *why, size_t n)
{
    return whole(t, 0, OMS_QTY_MAX, &ADJ(r)->set, why, n);
}

static bool stock_safety(struct import_row *r, const char *t, char *why, size_t n)
{
    ADJ(r)->has_safety = whole(t, 0, OMS_QTY_MAX, &ADJ(r)->safety, why, n);
    return ADJ(r)->has_safety;
}

static bool stock_unavailable(struct import_row *r, const char *t, char *why, size_t n)
{
    ADJ(r)->has_unavailable = whole(t, 0, OMS_QTY_MAX, &ADJ(r)->unavailable, why, n);
    return ADJ(r)->has_unavailable;
}

static const struct import_column stock_columns[] = {
    {"sku", true, stock_sku},           {"location", true, stock_location},
    {"on_hand", true, stock_on_hand},   {"safety", false, stock_safety},
    {"unavailable", false, stock_unavailable},
};

static void stock_key(const struct import_row *r, char *out, size_t len)
{
    snprintf(out, len, "%s at %s", r->cmd.u.adjust.sku, r->cmd.u.adjust.location);
}

static void stock_check(struct import_row *r, struct cli_errors *errors)
{
    if (ADJ(r)->has_unavailable && !oms_count_valid(ADJ(r)->set, ADJ(r)->unavailable)) {
        cli_error(errors, "row %llu, column unavailable: %lld is more than on_hand (%lld)",
                  (unsigned long long)r->row, (long long)ADJ(r)->unavailable,
                  (long long)ADJ(r)->set);
        r->bad = true;
    }
}

/* --- supply --- */

#define SUP(row) (&(row)->cmd.u.supply)

static bool supply_id(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_id(t, OMS_ID_BYTES_MAX, why, n)) return false;
    SUP(r)->id = keep(r, t);
    return true;
}

static bool supply_sku(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_id(t, OMS_SKU_BYTES_MAX, why, n)) return false;
    SUP(r)->sku = keep(r, t);
    return true;
}

static bool supply_location(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_id(t, OMS_CODE_BYTES_MAX, why, n)) return false;
    SUP(r)->location = keep(r, t);
    return true;
}

static bool supply_qty(struct import_row *r, const char *t, char *why, size_t n)
{
    return whole(t, 1, OMS_QTY_MAX, &SUP(r)->qty, why, n);
}

static bool supply_expected(struct import_row *r, const char *t, char *why, size_t n)
{
    return date(t, &SUP(r)->expected_day, why, n);
}

static const struct import_column supply_columns[] = {
    {"id", true, supply_id},          {"sku", true, supply_sku},
    {"location", true, supply_location}, {"qty", true, supply_qty},
    {"expected_date", true, supply_expected},
};

static void supply_key(const struct import_row *r, char *out, size_t len)
{
    snprintf(out, len, "%s", r->cmd.u.supply.id);
}

/* --- channel rules (PUT /v1/channels/{code}/items/{sku}) --- */

#define RULE(row) (&(row)->cmd.u.channel_item)
#define PERIOD_GIVEN (1u << 16) /* Row-local: cap_period had a value (cleared by the row check). */
/* Row-local, set by the row check, cleared by the state check before anything is submitted:
 * one half of the cap was given, the other is the stored cap's. */
#define KEEP_PERIOD (1u << 17)
#define KEEP_QTY (1u << 18)

static bool rule_channel(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_id(t, OMS_CODE_BYTES_MAX, why, n)) return false;
    RULE(r)->channel = keep(r, t);
    return true;
}

static bool rule_sku(struct import_row *r, const char *t, char *why, size_t n)
{
    if (!check_id(t, OMS_SKU_BYTES_MAX, why, n)) return false;
    RULE(r)->sku = keep(r, t);
    return true;
}

/* "none" removes the field; a whole number in [0, max] sets it. */
static bool rule_qty(struct import_row *r, const char *t, uint32_t bit, int64_t max,
                     int64_t *out, char *why, size_t n)
{
    if (is_none(t)) {
        RULE(r)->cleared |= bit;
        return true;
    }
    if (!whole(t, 0, max, out, why, n)) return false;
    RULE(r)->fields |= bit;
    return true;
}

static bool rule_buffer(struct import_row *r, const char *t, char *why, size_t n)
{
    return rule_qty(r, t, OMS_RULE_BUFFER, OMS_QTY_MAX, &RULE(r)->buffer, why, n);
}

static bool rule_percent(struct import_row *r, const char *t, char *why, size_t n)
{
    int64_t percent = 0;
    if (!rule_qty(r, t, OMS_RULE_BUFFER_PERCENT, OMS_PERCENT_MAX, &percent, why, n)) return false;
    RULE(r)->buffer_percent = (int32_t)percent;
    return true;
}

static bool rule_cap_qty(struct import_row *r, const char *t, char *why, size_t n)
{
    return rule_qty(r, t, OMS_RULE_CAP, OMS_QTY_MAX, &RULE(r)->cap_qty, why, n);
}

static bool rule_cap_period(struct import_row *r, const char *t, char *why, size_t n)
{
    if (is_none(t)) {
        RULE(r)->cleared |= OMS_RULE_CAP;
        return true;
    }
    if (!oms_period_parse(t, &RULE(r)->cap_period)) {
        snprintf(why, n, "'%s' is not day, week or month", t);
        return false;
    }
    RULE(r)->fields |= PERIOD_GIVEN;
    return true;
}

static bool rule_floor(struct import_row *r, const char *t, char *why, size_t n)
{
    return rule_qty(r, t, OMS_RULE_FLOOR, OMS_QTY_MAX, &RULE(r)->floor, why, n);
}

static const struct import_column rule_columns[] = {
    {"channel", true, rule_channel},       {"sku", true, rule_sku},
    {"buffer", false, rule_buffer},        {"buffer_percent", false, rule_percent},
    {"cap_qty", false, rule_cap_qty},      {"cap_period", false, rule_cap_period},
    {"floor", false, rule_floor},
};

static void rule_key(const struct import_row *r, char *out, size_t len)
{
    snprintf(out, len, "%s on %s", r->cmd.u.channel_item.sku, r->cmd.u.channel_item.channel);
}

/* A cap is a quantity and a period. "none" in either removes it (a value in the other is then a
 * contradiction). An empty cell keeps its stored value, as everywhere in an import: one half
 * given alone keeps the other half of the stored cap (filled in by the state check). */
static void rule_check(struct import_row *r, struct cli_errors *errors)
{
    struct oms_cmd_channel_item *c = RULE(r);
    bool qty = (c->fields & OMS_RULE_CAP) != 0, period = (c->fields & PERIOD_GIVEN) != 0;
    c->fields &= ~PERIOD_GIVEN;
    const char *why = NULL;
    if (c->cleared & OMS_RULE_CAP) {
        if (qty || period) why = "\"none\" in one of cap_qty and cap_period and a value in the other";
        c->fields &= ~(uint32_t)OMS_RULE_CAP;
    } else if (qty != period) {
        c->fields |= OMS_RULE_CAP | (qty ? KEEP_PERIOD : KEEP_QTY);
    }
    if (why) {
        cli_error(errors, "row %llu, column %s: %s", (unsigned long long)r->row,
                  qty ? "cap_period" : "cap_qty", why);
        r->bad = true;
    }
}

/* --- The table --- */

static const struct import_kind kinds[] = {
    {"items", OMS_CMD_PUT_ITEM, item_columns, OMS_ARRAY_LEN(item_columns), "sku", item_key,
     item_check},
    {"locations", OMS_CMD_PUT_LOCATION, location_columns, OMS_ARRAY_LEN(location_columns), "code",
     location_key, NULL},
    {"stock", OMS_CMD_ADJUST, stock_columns, OMS_ARRAY_LEN(stock_columns), "sku",
     stock_key, stock_check},
    {"supply", OMS_CMD_SUPPLY_CREATE, supply_columns, OMS_ARRAY_LEN(supply_columns), "id",
     supply_key, NULL},
    {"channel_rules", OMS_CMD_PUT_CHANNEL_ITEM, rule_columns, OMS_ARRAY_LEN(rule_columns), "sku",
     rule_key, rule_check},
};

_Static_assert(OMS_ARRAY_LEN(item_columns) <= IMPORT_COLUMNS_MAX, "room for the item columns");

const struct import_kind *import_kind_find(const char *name)
{
    for (size_t i = 0; i < OMS_ARRAY_LEN(kinds); i++) {
        if (strcmp(kinds[i].name, name) == 0) return &kinds[i];
    }
    return NULL;
}

void import_row_init(struct import_row *row, const struct import_kind *kind, uint64_t number)
{
    memset(row, 0, sizeof *row);
    row->row = number;
    row->cmd.kind = kind->cmd_kind;
    if (kind->cmd_kind == OMS_CMD_ADJUST) {
        /* A count as of now: movements recorded after it are re-applied on top (rule 6). */
        ADJ(row)->is_set = true;
        ADJ(row)->as_of_ms = oms_now_ms();
        ADJ(row)->reason = "import";
    }
}

void import_row_release(struct import_row *row)
{
    for (uint32_t i = 0; i < row->texts_count; i++) free(row->texts[i]);
    row->texts_count = 0;
}

/* --- Against the engine's state (writer thread) --- */

struct state_check {
    const struct import_kind *kind;
    struct import_row *rows;
    size_t count;
    struct cli_errors *errors;
};

static void check_refs(struct state_check *c, const struct oms_state *state,
                       const struct import_row *r, const char *sku, const char *location,
                       uint32_t *item, uint32_t *loc)
{
    *item = oms_state_item(state, sku);
    *loc = oms_state_location(state, location);
    unsigned long long n = (unsigned long long)r->row;
    if (*item == OMS_NONE) cli_error(c->errors, "row %llu, column sku: no item '%s'", n, sku);
    if (*loc == OMS_NONE) {
        cli_error(c->errors, "row %llu, column location: no location '%s'", n, location);
    }
}

static void check_stock(struct state_check *c, const struct oms_state *state,
                        const struct import_row *r)
{
    uint32_t item, loc;
    check_refs(c, state, r, r->cmd.u.adjust.sku, r->cmd.u.adjust.location, &item, &loc);
    if (item == OMS_NONE || loc == OMS_NONE || r->cmd.u.adjust.has_unavailable) return;
    oms_qty unavailable = state->items[item].levels[loc].unavailable;
    if (unavailable > r->cmd.u.adjust.set) {
        cli_error(c->errors, "row %llu, column on_hand: %lld is below the %lld units held "
                  "unavailable there; give unavailable too", (unsigned long long)r->row,
                  (long long)r->cmd.u.adjust.set, (long long)unavailable);
    }
}

static void check_supply(struct state_check *c, const struct oms_state *state,
                         const struct import_row *r, uint32_t *open_lines)
{
    uint32_t item, loc;
    const struct oms_cmd_supply *s = &r->cmd.u.supply;
    if (oms_state_supply(state, s->id) != OMS_NONE) {
        cli_error(c->errors, "row %llu, column id: supply '%s' exists already",
                  (unsigned long long)r->row, s->id);
    }
    check_refs(c, state, r, s->sku, s->location, &item, &loc);
    if (item == OMS_NONE) return;
    if (open_lines[item] == 0) open_lines[item] = state->items[item].supplies_count;
    if (++open_lines[item] == OMS_SUPPLIES_MAX + 1) {
        cli_error(c->errors, "row %llu, column sku: item '%s' would have more than %d open "
                  "supply lines (supplies_per_item_max)", (unsigned long long)r->row, s->sku,
                  OMS_SUPPLIES_MAX);
    }
}

/* The item's stored cap on the channel, or NULL. */
static const struct oms_channel_rule *stored_cap(const struct oms_state *state, uint32_t item,
                                                uint32_t channel)
{
    const struct oms_item *it = &state->items[item];
    for (uint32_t i = 0; i < it->rules_count; i++) {
        const struct oms_channel_rule *rule = &it->rules[i];
        if (rule->channel == channel) return (rule->set & OMS_RULE_CAP) ? rule : NULL;
    }
    return NULL;
}

/* A cap half given alone takes the other half from the stored cap; with none stored there is
 * nothing to keep and the empty cell is a missing value. Clears the row-local bits. */
static void fill_cap(struct state_check *c, const struct oms_state *state, struct import_row *r,
                     uint32_t item, uint32_t channel)
{
    struct oms_cmd_channel_item *rule = &r->cmd.u.channel_item;
    uint32_t keep = rule->fields & (KEEP_PERIOD | KEEP_QTY);
    rule->fields &= ~(KEEP_PERIOD | KEEP_QTY);
    if (!keep || item == OMS_NONE || channel == OMS_NONE) return;
    const struct oms_channel_rule *cap = stored_cap(state, item, channel);
    if (!cap) {
        cli_error(c->errors, "row %llu, column %s: missing value: '%s' has no cap on channel '%s' "
                  "to keep the %s of", (unsigned long long)r->row,
                  keep == KEEP_PERIOD ? "cap_period" : "cap_qty", rule->sku, rule->channel,
                  keep == KEEP_PERIOD ? "period" : "qty");
        return;
    }
    if (keep == KEEP_PERIOD) rule->cap_period = cap->cap_period;
    else rule->cap_qty = cap->cap_qty;
}

static void check_rule(struct state_check *c, const struct oms_state *state,
                       struct import_row *r)
{
    const struct oms_cmd_channel_item *rule = &r->cmd.u.channel_item;
    unsigned long long n = (unsigned long long)r->row;
    uint32_t channel = oms_state_channel(state, rule->channel);
    uint32_t item = oms_state_item(state, rule->sku);
    if (channel == OMS_NONE) {
        cli_error(c->errors, "row %llu, column channel: no channel '%s'", n, rule->channel);
    }
    if (item == OMS_NONE) cli_error(c->errors, "row %llu, column sku: no item '%s'", n, rule->sku);
    fill_cap(c, state, r, item, channel);
}

static void check_state(void *ctx, const struct oms_state *state)
{
    struct state_check *c = ctx;
    uint32_t *open_lines = cli_xcalloc(state->items_count, sizeof *open_lines);
    uint32_t locations = state->locations_count;
    for (size_t i = 0; i < c->count; i++) {
        struct import_row *r = &c->rows[i];
        if (r->bad) continue;
        switch (c->kind->cmd_kind) {
        case OMS_CMD_ADJUST: check_stock(c, state, r); break;
        case OMS_CMD_SUPPLY_CREATE: check_supply(c, state, r, open_lines); break;
        case OMS_CMD_PUT_CHANNEL_ITEM: check_rule(c, state, r); break;
        case OMS_CMD_PUT_ITEM: {
            char why[192];
            if (!oms_item_put_allowed(state, &r->cmd.u.item, why, sizeof why)) {
                cli_error(c->errors, "row %llu, column currency: %s", (unsigned long long)r->row,
                          why);
            }
            break;
        }
        case OMS_CMD_PUT_LOCATION:
            if (oms_state_location(state, r->cmd.u.location.code) == OMS_NONE &&
                ++locations == OMS_LOCATIONS_MAX + 1) {
                cli_error(c->errors, "row %llu, column code: more than %d locations "
                          "(locations_max)", (unsigned long long)r->row, OMS_LOCATIONS_MAX);
            }
            break;
        default: break;
        }
    }
    free(open_lines);
}

bool import_check_state(struct oms_engine *engine, const struct import_kind *kind,
                        struct import_row *rows, size_t count, struct cli_errors *errors)
{
    struct state_check check = {kind, rows, count, errors};
    enum oms_err err = cli_read(engine, check_state, &check);
    if (err) fprintf(stderr, "oms: cannot read the engine's state: %s\n", oms_err_message(err));
    return err == OMS_OK;
}
