/*
 * apply_master.c - PUT of items, locations and channels (rule 9: create or update; a field
 * left out keeps its value). A change that can move availability or promises re-runs the
 * queues it touches at once.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "core/calendar.h"
#include "engine/tz.h"
#include "engine/writer.h"

#define DEFAULT_CURRENCY "USD"
#define DEFAULT_PRIORITY 100

bool oms_item_put_allowed(const struct oms_state *state, const struct oms_cmd_item *c, char *why,
                          size_t why_len)
{
    uint32_t index = oms_state_item(state, c->sku);
    if (index == OMS_NONE || !(c->fields & OMS_F_CURRENCY) || (c->fields & OMS_F_PRICE)) {
        return true;
    }
    const struct oms_item *item = &state->items[index];
    if (item->price_minor == 0 || strcmp(item->currency, c->currency) == 0) return true;
    /* A price is a number of the currency's minor units: 999 JPY kept as 999 KWD fils would be
     * another price, set by no one (decision 57). */
    snprintf(why, why_len, "item '%s' costs %lld in %s; a new currency needs its price", c->sku,
             (long long)item->price_minor, item->currency);
    return false;
}

enum oms_err oms__apply_put_item(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_item *c = &cmd->u.item;
    char why[160];
    if (!oms_item_put_allowed(state, c, why, sizeof why)) {
        return oms__fail(cmd, OMS_EINVAL, "price", "%s", why);
    }
    uint32_t index = oms_state_item(state, c->sku);
    bool created = index == OMS_NONE;
    if (created) {
        oms_grow((void **)&state->items, &state->items_cap, state->items_count + 1,
                 sizeof *state->items);
        index = state->items_count++;
        struct oms_item *item = &state->items[index];
        memset(item, 0, sizeof *item);
        item->sku = oms_strdup(c->sku);
        item->name = oms_strdup(c->sku);
        snprintf(item->currency, sizeof item->currency, "%s", DEFAULT_CURRENCY);
        item->policy = OMS_POLICY_DENY;
        item->backorder_limit = -1;
        item->lead_time_days = -1;
        item->low_stock_threshold = -1;
        item->min_order_qty = 1;
        item->release_day = OMS_DAY_NONE;
        item->allow_split = true;
        item->levels_count = state->locations_count;
        item->levels = calloc(state->locations_count ? state->locations_count : 1,
                              sizeof *item->levels);
        OMS_ASSERT(item->levels != NULL);
        oms_strmap_put(&state->item_by_sku, item->sku, index);
    }
    struct oms_item *item = &state->items[index];
    if (c->fields & OMS_F_NAME) {
        free(item->name);
        item->name = oms_strdup(c->name);
    }
    if (c->fields & OMS_F_PRICE) item->price_minor = c->price_minor;
    if (c->fields & OMS_F_CURRENCY) snprintf(item->currency, sizeof item->currency, "%s", c->currency);
    if (c->fields & OMS_F_POLICY) item->policy = c->policy;
    if (c->fields & OMS_F_BACKORDER_LIMIT) item->backorder_limit = c->backorder_limit;
    if (c->fields & OMS_F_LEAD_TIME) item->lead_time_days = c->lead_time_days;
    if (c->fields & OMS_F_LOW_STOCK) item->low_stock_threshold = c->low_stock_threshold;
    if (c->fields & OMS_F_MIN_ORDER_QTY) item->min_order_qty = c->min_order_qty;
    if (c->fields & OMS_F_RELEASE_DATE) item->release_day = c->release_day;
    if (c->fields & OMS_F_ALLOW_SPLIT) item->allow_split = c->allow_split;
    oms__must(oms_store_save_item(w->store, state, index), "save an item");
    w->cause = "item settings changed";
    if (!created) oms__repeg(w, index, OMS_NONE);
    oms__mark_dirty(w, index);
    cmd->status = created ? 201 : 200;
    cmd->result_index = index;
    return OMS_OK;
}

enum oms_err oms__apply_put_location(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_location *c = &cmd->u.location;
    uint32_t index = oms_state_location(state, c->code);
    bool created = index == OMS_NONE;
    if ((c->fields & OMS_F_TIMEZONE) && !oms_tz_valid(c->timezone)) {
        return oms__fail(cmd, OMS_EINVAL, "timezone", "'%s' is not a time zone ICU knows",
                         c->timezone);
    }
    if (created && state->locations_count >= OMS_LOCATIONS_MAX) {
        return oms__fail(cmd, OMS_ELIMIT, "code", "at most %d locations (locations_max)",
                         OMS_LOCATIONS_MAX);
    }
    if (created) {
        index = state->locations_count;
        uint32_t cap = index;
        oms_grow((void **)&state->locations, &cap, index + 1, sizeof *state->locations);
        w->tz[index] = NULL; /* w->tz has room for OMS_LOCATIONS_MAX calendars. */
        struct oms_location *l = &state->locations[index];
        memset(l, 0, sizeof *l);
        l->code = oms_strdup(c->code);
        l->name = oms_strdup(c->code);
        l->kind = OMS_LOCATION_WAREHOUSE;
        l->region = oms_strdup("");
        l->region_id = oms_state_region(state, "");
        l->priority = DEFAULT_PRIORITY;
        l->timezone = oms_strdup("UTC");
        l->working_mask = 0x1Fu;
        l->today = OMS_DAY_NONE;
        state->locations_count++;
        oms_strmap_put(&state->location_by_code, l->code, index);
        for (uint32_t i = 0; i < state->items_count; i++) {
            struct oms_item *item = &state->items[i];
            item->levels = realloc(item->levels, state->locations_count * sizeof *item->levels);
            OMS_ASSERT(item->levels != NULL);
            memset(&item->levels[index], 0, sizeof *item->levels);
            item->levels_count = state->locations_count;
        }
    }
    struct oms_location *l = &state->locations[index];
    if (c->fields & OMS_F_NAME) {
        free(l->name);
        l->name = oms_strdup(c->name);
    }
    if (c->fields & OMS_F_KIND) l->kind = c->kind;
    if (c->fields & OMS_F_REGION) {
        free(l->region);
        l->region = oms_strdup(c->region);
        l->region_id = oms_state_region(state, c->region);
    }
    if (c->fields & OMS_F_PRIORITY) l->priority = c->priority;
    if (c->fields & OMS_F_TIMEZONE) {
        free(l->timezone);
        l->timezone = oms_strdup(c->timezone);
    }
    if (c->fields & OMS_F_HANDLING) l->handling_days = c->handling_days;
    if (c->fields & OMS_F_WORKING_DAYS) l->working_mask = c->working_mask;
    if (created || (c->fields & OMS_F_TIMEZONE)) {
        oms_tz_close(w->tz[index]);
        w->tz[index] = oms_tz_open(l->timezone);
        OMS_ASSERT(w->tz[index] != NULL); /* The zone was checked above or is "UTC". */
    }
    l->today = OMS_DAY_NONE; /* Forces the ship day to be recomputed with the new settings. */
    oms_state_refresh_ranks(state);
    (void)oms__refresh_days(w);
    oms__cap_recount(w); /* A channel's first location, or its zone, may have changed. */
    oms__must(oms_store_save_location(w->store, state, index), "save a location");
    w->master_dirty = true;
    if (!created) {
        /* Handling days, working days, zone, priority and region move promises and sourcing:
         * waiting lines are planned again and hear of any date that moved. */
        w->cause = "location settings changed";
        for (uint32_t i = 0; i < state->items_count; i++) {
            if (state->items[i].queue_count > 0) oms__repeg(w, i, OMS_NONE);
        }
    }
    cmd->status = created ? 201 : 200;
    cmd->result_index = index;
    return OMS_OK;
}

/* Rebuilds every item's queue: channel priorities order the queues. */
static void resort_queues(struct oms_state *state)
{
    for (uint32_t i = 0; i < state->items_count; i++) state->items[i].queue_count = 0;
    for (uint32_t i = 0; i < state->lines_count; i++) {
        const struct oms_line *line = &state->lines[i];
        if (line->item != OMS_NONE && line->allocs_count + line->pegs_count > 0) {
            oms_state_queue_insert(state, i);
        }
    }
}

enum oms_err oms__apply_put_channel(struct oms_writer *w, struct oms_command *cmd)
{
    struct oms_state *state = &w->state;
    const struct oms_cmd_channel *c = &cmd->u.channel;
    uint64_t visible = 0;
    for (uint32_t i = 0; (c->fields & OMS_F_LOCATIONS) && i < c->locations_count; i++) {
        uint32_t location = oms_state_location(state, c->locations[i]);
        char field[32];
        snprintf(field, sizeof field, "locations[%u]", i);
        if (location == OMS_NONE) {
            return oms__fail(cmd, OMS_EINVAL, field, "no location '%s'", c->locations[i]);
        }
        visible |= 1ull << location;
    }
    uint32_t index = oms_state_channel(state, c->code);
    bool created = index == OMS_NONE;
    if (created && state->channels_count >= OMS_CHANNELS_MAX) {
        return oms__fail(cmd, OMS_ELIMIT, "code", "at most %d channels (channels_max)",
                         OMS_CHANNELS_MAX);
    }
    if (created) {
        index = state->channels_count;
        uint32_t cap = index;
        oms_grow((void **)&state->channels, &cap, index + 1, sizeof *state->channels);
        struct oms_channel *ch = &state->channels[index];
        memset(ch, 0, sizeof *ch);
        ch->code = oms_strdup(c->code);
        ch->name = oms_strdup(c->code);
        ch->allow_backorder = true;
        ch->priority = DEFAULT_PRIORITY;
        ch->first_location = OMS_NONE;
        state->channels_count++;
        oms_strmap_put(&state->channel_by_code, ch->code, index);
    }
    struct oms_channel *ch = &state->channels[index];
    bool reorder = !created && (c->fields & OMS_F_PRIORITY) && c->priority != ch->priority;
    if (c->fields & OMS_F_NAME) {
        free(ch->name);
        ch->name = oms_strdup(c->name);
    }
    if (c->fields & OMS_F_LOCATIONS) {
        for (uint32_t i = 0; i < ch->location_codes_count; i++) free(ch->location_codes[i]);
        free(ch->location_codes);
        ch->location_codes = calloc(c->locations_count ? c->locations_count : 1, sizeof(char *));
        OMS_ASSERT(ch->location_codes != NULL);
        for (uint32_t i = 0; i < c->locations_count; i++) {
            ch->location_codes[i] = oms_strdup(c->locations[i]);
        }
        ch->location_codes_count = c->locations_count;
        ch->visible = visible;
    }
    if (c->fields & OMS_F_BUFFER) ch->buffer = c->buffer;
    if (c->fields & OMS_F_BUFFER_PERCENT) ch->buffer_percent = c->buffer_percent;
    if (c->fields & OMS_F_EXCLUDE_STORES) ch->exclude_stores = c->exclude_stores;
    if (c->fields & OMS_F_ALLOW_BACKORDER) ch->allow_backorder = c->allow_backorder;
    if (c->fields & OMS_F_PRIORITY) ch->priority = c->priority;
    if (c->fields & OMS_F_DELAY_POLICY) ch->cancel_on_delay = c->cancel_on_delay;
    oms_state_refresh_ranks(state);
    oms__cap_recount(w); /* Its first location may have changed: so have its periods. */
    if (reorder) resort_queues(state);
    oms__must(oms_store_save_channel(w->store, state, index), "save a channel");
    w->master_dirty = true;
    if (!created) {
        w->cause = "channel settings changed";
        for (uint32_t i = 0; i < state->items_count; i++) {
            if (state->items[i].queue_count > 0) oms__repeg(w, i, OMS_NONE);
        }
    }
    cmd->status = created ? 201 : 200;
    cmd->result_index = index;
    return OMS_OK;
}
