/*
 * index_memory.c - what the availability index costs per (item, location), measured, not
 * estimated: builds a model of N items over L locations (stock at every location, two
 * channels), loads it into the index with the engine's own oms_index_update() (as `oms serve`
 * does at open), then changes every item once in batches of 1024 (as the writer does after
 * commits), which fills the channel feed's change log. It reports the heap bytes the model and
 * the index hold (glibc's mallinfo2(): in-use arena bytes plus mmapped blocks, so malloc's own
 * headers count) and the resident set growth, per (item, location).
 *
 * Under AddressSanitizer (the `make check` build) malloc is ASan's: the figure is then the
 * bytes requested (__sanitizer_get_current_allocated_bytes) plus 16 bytes per item allocation
 * for the glibc chunk header and rounding, stated as such.
 *
 *   oms_bench_index_memory [--items N] [--locations L] [--max-bytes B]
 * With --max-bytes, exits 1 when the index costs more than B bytes per (item, location):
 * memory is deterministic, so this is a test, not a timing.
 */
#include "base/platform.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/assert.h"
#include "engine/index.h"
#include "store/model.h"

#if defined(__SANITIZE_ADDRESS__)
/* From libasan (sanitizer/allocator_interface.h, which Debian's gcc does not install). */
size_t __sanitizer_get_current_allocated_bytes(void);
#define HEAP_HOW "ASan: requested bytes + 16 per item allocation"
static size_t heap_bytes(void)
{
    return __sanitizer_get_current_allocated_bytes();
}
#define ASAN_ITEM_OVERHEAD 16
#else
#define HEAP_HOW "glibc mallinfo2: arena in use + mmapped"
static size_t heap_bytes(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}
#define ASAN_ITEM_OVERHEAD 0
#endif

#define BATCH 1024u

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * (size_t)sysconf(_SC_PAGESIZE);
}

static void add_locations(struct oms_state *state, uint32_t count)
{
    state->locations = calloc(count, sizeof *state->locations);
    OMS_ASSERT(state->locations != NULL);
    for (uint32_t l = 0; l < count; l++) {
        struct oms_location *loc = &state->locations[l];
        char code[16];
        snprintf(code, sizeof code, "L%02u", l);
        loc->code = oms_strdup(code);
        loc->name = oms_strdup(code);
        loc->region = oms_strdup("");
        loc->region_id = oms_state_region(state, "");
        loc->timezone = oms_strdup("UTC");
        loc->priority = (int32_t)l + 1;
        loc->rank = l;
        loc->handling_days = 1;
        loc->working_mask = 0x1Fu;
        loc->today = 20000;
        loc->ship_day = 20001;
        state->locations_count++;
        oms_strmap_put(&state->location_by_code, loc->code, l);
    }
}

static void add_channels(struct oms_state *state)
{
    static const char *const codes[] = {"WEB", "MKT"};
    state->channels = calloc(2, sizeof *state->channels);
    OMS_ASSERT(state->channels != NULL);
    for (uint32_t c = 0; c < 2; c++) {
        struct oms_channel *ch = &state->channels[c];
        ch->code = oms_strdup(codes[c]);
        ch->name = oms_strdup(codes[c]);
        /* WEB sees every location; MKT the first, with a buffer of 5 units. */
        ch->visible = c == 0 ? (state->locations_count == 64 ? UINT64_MAX
                                                             : (1ull << state->locations_count) - 1)
                             : 1u;
        ch->ships = ch->visible;
        ch->first_location = 0;
        ch->buffer = c == 0 ? 0 : 5;
        ch->allow_backorder = true;
        ch->priority = 100;
        state->channels_count++;
        oms_strmap_put(&state->channel_by_code, ch->code, c);
    }
}

/* Items as apply_master.c creates them (SKU, name, one level per location), with stock. */
static void add_items(struct oms_state *state, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        oms_grow((void **)&state->items, &state->items_cap, state->items_count + 1,
                 sizeof *state->items);
        struct oms_item *item = &state->items[state->items_count];
        memset(item, 0, sizeof *item);
        char sku[32];
        snprintf(sku, sizeof sku, "SKU-%07u", i);
        item->sku = oms_strdup(sku);
        item->name = oms_strdup(sku);
        memcpy(item->currency, "USD", 4);
        item->policy = OMS_POLICY_BACKORDER;
        item->backorder_limit = -1;
        item->lead_time_days = 14;
        item->low_stock_threshold = -1;
        item->min_order_qty = 1;
        item->release_day = OMS_DAY_NONE;
        item->allow_split = true;
        item->levels_count = state->locations_count;
        item->levels = calloc(state->locations_count, sizeof *item->levels);
        OMS_ASSERT(item->levels != NULL);
        for (uint32_t l = 0; l < state->locations_count; l++) {
            item->levels[l].on_hand = (oms_qty)(i % 50 + l);
        }
        oms_strmap_put(&state->item_by_sku, item->sku, state->items_count);
        state->items_count++;
    }
}

static double per_pair(size_t bytes, uint32_t items, uint32_t locations)
{
    return (double)bytes / ((double)items * locations);
}

int main(int argc, char **argv)
{
    uint32_t items = 1000000, locations = 4;
    double max_bytes = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--items") == 0) {
            items = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--locations") == 0) {
            locations = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--max-bytes") == 0) {
            max_bytes = strtod(argv[i + 1], NULL);
        } else {
            fprintf(stderr, "usage: %s [--items N] [--locations L] [--max-bytes B]\n", argv[0]);
            return 2;
        }
    }
    if (items == 0 || locations == 0 || locations > OMS_LOCATIONS_MAX) {
        fprintf(stderr, "items must be > 0 and locations 1..%d\n", OMS_LOCATIONS_MAX);
        return 2;
    }
    struct oms_state state;
    oms_state_init(&state);
    add_locations(&state, locations);
    add_channels(&state);
    size_t heap0 = heap_bytes(), rss0 = rss_bytes();
    add_items(&state, items);
    size_t heap1 = heap_bytes(), rss1 = rss_bytes();
    /* An item of the model is three allocations (sku, name, levels) besides its array slot. */
    size_t model = heap1 - heap0 + (size_t)ASAN_ITEM_OVERHEAD * 3 * items;

    uint32_t *all = malloc(items * sizeof *all);
    OMS_ASSERT(all != NULL);
    for (uint32_t i = 0; i < items; i++) all[i] = i;
    size_t heap2 = heap_bytes(), rss2 = rss_bytes();
    struct oms_index *index = oms_index_new();
    oms_index_update(index, &state, true, all, items);
    size_t heap3 = heap_bytes(), rss3 = rss_bytes();
    size_t loaded = heap3 - heap2 + (size_t)ASAN_ITEM_OVERHEAD * items;

    /* Every item changes once, a writer's batch at a time: the feed logs each. */
    for (uint32_t i = 0; i < items; i++) state.items[i].levels[0].on_hand += 1;
    for (uint32_t at = 0; at < items; at += BATCH) {
        oms_index_update(index, &state, false, all + at, items - at < BATCH ? items - at : BATCH);
    }
    size_t heap4 = heap_bytes(), rss4 = rss_bytes();
    size_t changed = heap4 - heap2 + (size_t)ASAN_ITEM_OVERHEAD * items;

    printf("items %u, locations %u, heap measured by %s\n", items, locations, HEAP_HOW);
    printf("model: %zu bytes, %.1f bytes per (item, location); rss +%zu\n", model,
           per_pair(model, items, locations), rss1 - rss0);
    printf("index after load: %zu bytes, %.1f bytes per (item, location); rss +%zu\n", loaded,
           per_pair(loaded, items, locations), rss3 - rss2);
    printf("index after every item changed once (feed log holds %u changes): %zu bytes, "
           "%.1f bytes per (item, location); rss +%zu\n",
           items, changed, per_pair(changed, items, locations), rss4 - rss2);
    double worst = per_pair(changed > loaded ? changed : loaded, items, locations);
    int status = 0;
    if (max_bytes > 0 && worst > max_bytes) {
        printf("FAIL: the index costs %.1f bytes per (item, location), more than %.0f\n", worst,
               max_bytes);
        status = 1;
    }
    oms_index_free(index);
    free(all);
    oms_state_release(&state);
    return status;
}
