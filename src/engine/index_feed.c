/*
 * index_feed.c - the channel feed: which items' answers moved on which channel, and pages of
 * them for a connector that keeps a marketplace in sync (GET /v1/channels/{code}/feed).
 *
 * Once a batch is durable, the publishing thread compares, per changed item and channel, the
 * answer for one unit before and after (status, available, promise and release dates) and logs
 * the item with the channels whose answer moved: an item that moved on another channel only
 * is not in this channel's feed. A change of master data that moves answers of every item on a
 * channel (its buffer or locations, a location's handling days or local day) logs one marker
 * instead of a million entries: cursors before it get a full snapshot.
 *
 * A cursor is a position in the log (plus the run it belongs to, the channel, and for a
 * snapshot in progress the next item): a page sends the items of the entries from there, each
 * once, with its answer now. The log keeps the last OMS_FEED_CHANGES_MAX entries; a cursor of
 * another run (the log is not persisted) or older than the log gets a full snapshot flagged
 * `reset`. A snapshot remembers where the log was when it started, and its last page hands
 * over a cursor at that position, so nothing that changed while it was paged is missed.
 */
#include "base/platform.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"
#include "engine/index_int.h"

void oms__feed_init(struct oms_index *index)
{
    /* The run's identity: cursors of an earlier run must not be read as positions here. */
    uint64_t epoch = 0;
    if (getrandom(&epoch, sizeof epoch, 0) != (ssize_t)sizeof epoch) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        epoch = ((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec) ^ (uint64_t)getpid();
    }
    index->epoch = epoch;
}

void oms__feed_release(struct oms_index *index)
{
    free(index->log.masks);
    free(index->log.items);
}

static bool same_answer(const struct oms_availability *a, const struct oms_availability *b)
{
    return a->status == b->status && a->available == b->available &&
           a->promise_day == b->promise_day && a->release_day == b->release_day;
}

uint64_t oms__feed_item_changes(const struct snap_view *view, const struct snap_item *old,
                                const struct snap_item *fresh)
{
    uint32_t channels_count = view->channels_count;
    OMS_ASSERT(channels_count <= OMS_CHANNELS_MAX);
    if (!old) return channels_count == 64 ? UINT64_MAX : (1ull << channels_count) - 1;
    struct item_ref before = oms__snap_ref(old), after = oms__snap_ref(fresh);
    uint64_t mask = 0;
    for (uint32_t c = 0; c < channels_count; c++) {
        struct oms_availability a, b;
        oms__index_answer(view, c, &before, 1, OMS_NONE, OMS_NONE, &a);
        oms__index_answer(view, c, &after, 1, OMS_NONE, OMS_NONE, &b);
        if (!same_answer(&a, &b)) mask |= 1ull << c;
    }
    return mask;
}

static bool same_location(const struct snap_location *a, const struct snap_location *b)
{
    return strcmp(a->code, b->code) == 0 && a->plan.priority == b->plan.priority &&
           a->plan.rank == b->plan.rank && a->plan.region == b->plan.region &&
           a->plan.ship_day == b->plan.ship_day && a->today == b->today &&
           a->handling_days == b->handling_days && a->working_mask == b->working_mask;
}

static bool same_channel(const struct snap_channel *a, const struct snap_channel *b)
{
    return a->visible == b->visible && a->listed == b->listed &&
           a->first_location == b->first_location &&
           a->buffer == b->buffer && a->buffer_percent == b->buffer_percent &&
           a->allow_backorder == b->allow_backorder &&
           a->priority == b->priority;
}

static int64_t day_of(int64_t ms)
{
    return ms / 86400000;
}

uint64_t oms__feed_master_changes(const struct oms_index *index,
                                  const struct snap_location *locations,
                                  uint32_t locations_count, const struct snap_channel *channels,
                                  uint32_t channels_count, int64_t clock_ms)
{
    uint64_t moved = 0; /* Locations whose settings or local day moved. */
    for (uint32_t l = 0; l < locations_count; l++) {
        if (l >= index->locations_count || !same_location(&locations[l], &index->locations[l])) {
            moved |= 1ull << l;
        }
    }
    /* Another channel's floors hold units where it ships: a change of any existing channel
     * may move every channel's answers. A new one has no floors yet: only its own start. */
    bool any_channel = false;
    for (uint32_t c = 0; c < channels_count && c < index->channels_count; c++) {
        if (!same_channel(&channels[c], &index->channels[c])) any_channel = true;
    }
    uint64_t reset = 0;
    for (uint32_t c = 0; c < channels_count; c++) {
        const struct snap_channel *ch = &channels[c];
        bool changed = c >= index->channels_count || any_channel || (ch->visible & moved) != 0 ||
                       (ch->first_location != OMS_NONE && ((moved >> ch->first_location) & 1u));
        /* A channel without locations dates lead-time promises from the engine clock. */
        if (ch->first_location == OMS_NONE && day_of(clock_ms) != day_of(index->clock_ms)) {
            changed = true;
        }
        if (changed) reset |= 1ull << c;
    }
    return reset;
}

void oms__feed_append(struct oms_index *index, uint32_t item, uint64_t mask)
{
    struct feed_log *log = &index->log;
    if (log->count == log->cap && log->cap < OMS_FEED_CHANGES_MAX) {
        /* Grow, unrolling the ring (it is full: start is its oldest slot). */
        uint32_t cap = log->cap ? log->cap * 2 : 1024;
        if (cap > OMS_FEED_CHANGES_MAX) cap = OMS_FEED_CHANGES_MAX;
        uint64_t *masks = malloc(cap * sizeof *masks);
        uint32_t *items = malloc(cap * sizeof *items);
        OMS_ASSERT(masks != NULL && items != NULL);
        for (uint32_t k = 0; k < log->count; k++) {
            masks[k] = log->masks[(log->start + k) % log->cap];
            items[k] = log->items[(log->start + k) % log->cap];
        }
        free(log->masks);
        free(log->items);
        log->masks = masks;
        log->items = items;
        log->cap = cap;
        log->start = 0;
    }
    uint32_t at;
    if (log->count < log->cap) {
        at = (log->start + log->count++) % log->cap;
    } else { /* Full at its bound: the oldest entry goes. */
        at = log->start;
        log->start = (log->start + 1) % log->cap;
    }
    log->masks[at] = mask;
    log->items[at] = item;
    log->head++;
    if (item == OMS_NONE) {
        for (uint32_t c = 0; c < OMS_CHANNELS_MAX; c++) {
            if ((mask >> c) & 1u) index->reset_after[c] = log->head;
        }
    }
}

/* Cursor text: mode ('d' changes since pos, 'f' a snapshot started at pos, at item), the
 * run's epoch, the channel, pos, item, and a check of all that, in lowercase hex. */
struct cursor {
    char mode;
    uint64_t epoch, pos;
    uint32_t channel, item;
};

static uint32_t check_of(const char *text, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a. */
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)text[i]) * 16777619u;
    return h;
}

static void cursor_format(const struct cursor *c, char out[OMS_FEED_CURSOR_LEN + 1])
{
    int n = snprintf(out, OMS_FEED_CURSOR_LEN + 1, "%c%016llx%02x%016llx%08x", c->mode,
                     (unsigned long long)c->epoch, (unsigned)c->channel,
                     (unsigned long long)c->pos, (unsigned)c->item);
    OMS_ASSERT(n == OMS_FEED_CURSOR_LEN - 8);
    snprintf(out + n, 9, "%08x", (unsigned)check_of(out, (size_t)n));
}

static bool hex_field(const char *text, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        uint64_t digit;
        if (ch >= '0' && ch <= '9') {
            digit = (uint64_t)(ch - '0');
        } else if (ch >= 'a' && ch <= 'f') {
            digit = (uint64_t)(ch - 'a' + 10);
        } else {
            return false;
        }
        v = v << 4 | digit;
    }
    *out = v;
    return true;
}

static bool cursor_parse(const char *text, struct cursor *c)
{
    uint64_t channel, item, check;
    if (strlen(text) != OMS_FEED_CURSOR_LEN || (text[0] != 'd' && text[0] != 'f')) return false;
    if (!hex_field(text + 1, 16, &c->epoch) || !hex_field(text + 17, 2, &channel) ||
        !hex_field(text + 19, 16, &c->pos) || !hex_field(text + 35, 8, &item) ||
        !hex_field(text + 43, 8, &check)) {
        return false;
    }
    if (check != check_of(text, OMS_FEED_CURSOR_LEN - 8)) return false;
    if (channel >= OMS_CHANNELS_MAX || (text[0] == 'd' && item != 0)) return false;
    c->mode = text[0];
    c->channel = (uint32_t)channel;
    c->item = (uint32_t)item;
    return true;
}

struct feed_run {
    struct oms_index *index;
    uint32_t channel, limit, sent;
    oms_feed_visit visit;
    void *ctx;
    struct oms_availability answer; /* Scratch: large, so not on every call's stack. */
};

static void send_item(struct feed_run *run, uint32_t item)
{
    const struct oms_index *index = run->index;
    /* No destination region: distances cannot tell locations apart (as without region=). */
    struct snap_view view = {index->locations, index->locations_count, index->channels,
                             index->channels_count, index->clock_ms, NULL};
    struct item_ref ref = oms__snap_ref(index->items[item]);
    memset(&run->answer, 0, sizeof run->answer);
    oms__index_answer(&view, run->channel, &ref, 1, OMS_NONE, OMS_NONE, &run->answer);
    run->visit(run->ctx, oms__snap_sku(index->items[item]), &run->answer);
    run->sent++;
}

/* A page of the snapshot that started at log position `start`, from item `from`. */
static void full_page(struct feed_run *run, uint64_t start, uint32_t from,
                      struct oms_feed_page *page)
{
    const struct oms_index *index = run->index;
    uint32_t i = from;
    for (; i < index->items_count && run->sent < run->limit; i++) {
        if (index->items[i]) send_item(run, i);
    }
    page->full = true;
    bool done = i >= index->items_count;
    struct cursor next = {done ? 'd' : 'f', index->epoch, start, run->channel, done ? 0 : i};
    cursor_format(&next, page->next);
    page->more = !done;
}

/* Items a page sent (item + 1; 0: empty), at most half full. */
#define SEEN_CAP_MAX 2048
_Static_assert(SEEN_CAP_MAX >= 2 * OMS_FEED_LIMIT_MAX, "a page's items fill the set at most half");

/* Whether item is in the page already; adds it when not. */
static bool seen(uint32_t *set, uint32_t set_cap, uint32_t item)
{
    uint32_t at = (item * 2654435761u) & (set_cap - 1);
    while (set[at] != 0) {
        if (set[at] == item + 1) return true;
        at = (at + 1) & (set_cap - 1);
    }
    set[at] = item + 1;
    return false;
}

/* A page of the changes from log position pos. */
static void changes_page(struct feed_run *run, uint64_t pos, struct oms_feed_page *page)
{
    const struct feed_log *log = &run->index->log;
    uint32_t set[SEEN_CAP_MAX];
    uint32_t set_cap = 1;
    while (set_cap < 2 * run->limit) set_cap *= 2;
    OMS_ASSERT(set_cap <= OMS_ARRAY_LEN(set));
    memset(set, 0, set_cap * sizeof *set);
    uint64_t oldest = log->head - log->count;
    uint64_t scanned = 0;
    for (; pos < log->head && scanned < OMS_FEED_SCAN_MAX; pos++, scanned++) {
        uint32_t slot = (uint32_t)((log->start + (pos - oldest)) % log->cap);
        uint32_t item = log->items[slot];
        if (item == OMS_NONE || !((log->masks[slot] >> run->channel) & 1u)) continue;
        /* A full page stops at the next entry of the channel: the cursor points at it. */
        if (run->sent == run->limit) break;
        if (!seen(set, set_cap, item)) send_item(run, item);
    }
    struct cursor next = {'d', run->index->epoch, pos, run->channel, 0};
    cursor_format(&next, page->next);
    page->more = pos < log->head;
}

static enum oms_err refuse(struct oms_feed_page *page, const char *why)
{
    snprintf(page->why, sizeof page->why, "%s", why);
    return OMS_EINVAL;
}

enum oms_err oms_index_feed(struct oms_index *index, const char *channel_code, const char *after,
                            uint32_t limit, oms_feed_visit visit, void *ctx,
                            struct oms_feed_page *page)
{
    OMS_ASSERT(limit >= 1 && limit <= OMS_FEED_LIMIT_MAX);
    memset(page, 0, sizeof *page);
    struct cursor cur = {0};
    if (after && !cursor_parse(after, &cur)) {
        return refuse(page, "after is not a cursor this feed gave (copy next as it is)");
    }
    struct feed_run *run = calloc(1, sizeof *run);
    OMS_ASSERT(run != NULL);
    *run = (struct feed_run){.index = index, .limit = limit, .visit = visit, .ctx = ctx};
    enum oms_err err = OMS_OK;
    OMS_ASSERT(pthread_rwlock_rdlock(&index->lock) == 0);
    run->channel = OMS_NONE;
    for (uint32_t c = 0; c < index->channels_count && run->channel == OMS_NONE; c++) {
        if (strcmp(index->channels[c].code, channel_code) == 0) run->channel = c;
    }
    const struct feed_log *log = &index->log;
    uint64_t oldest = log->head - log->count;
    if (run->channel == OMS_NONE) {
        err = OMS_ENOTFOUND;
    } else if (!after) {
        full_page(run, log->head, 0, page);
    } else if (cur.channel != run->channel) {
        err = refuse(page, "after is a cursor of another channel's feed");
    } else if (cur.epoch != index->epoch || (cur.mode == 'd' && cur.pos < oldest)) {
        /* Another run, or older than what the log keeps: start over, and say so. */
        page->reset = true;
        full_page(run, log->head, 0, page);
    } else if (cur.pos > log->head || (cur.mode == 'f' && cur.item > index->items_count)) {
        err = refuse(page, "after is ahead of this feed");
    } else if (cur.mode == 'f') {
        full_page(run, cur.pos, cur.item, page);
    } else if (cur.pos < index->reset_after[run->channel]) {
        /* Master data that every answer of the channel reads moved since the cursor. */
        full_page(run, log->head, 0, page);
    } else {
        changes_page(run, cur.pos, page);
    }
    pthread_rwlock_unlock(&index->lock);
    free(run);
    return err;
}
