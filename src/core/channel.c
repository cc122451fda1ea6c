/*
 * channel.c - buffers, floors and caps of a channel for one item; see channel.h for the
 * formulas. Pure.
 */
#include "base/platform.h"

#include <string.h>

#include "base/assert.h"
#include "core/calendar.h"
#include "core/channel.h"

static const char *const period_names[] = {"day", "week", "month"};

const char *oms_period_name(enum oms_cap_period period)
{
    OMS_ASSERT((size_t)period < OMS_ARRAY_LEN(period_names));
    return period_names[period];
}

bool oms_period_parse(const char *text, enum oms_cap_period *out)
{
    for (size_t i = 0; i < OMS_ARRAY_LEN(period_names); i++) {
        if (strcmp(period_names[i], text) == 0) {
            *out = (enum oms_cap_period)i;
            return true;
        }
    }
    return false;
}

oms_day oms_period_start(oms_day day, enum oms_cap_period period)
{
    OMS_ASSERT(day != OMS_DAY_NONE);
    int32_t year, month, mday;
    switch (period) {
    case OMS_PERIOD_DAY:
        return day;
    case OMS_PERIOD_WEEK:
        return day - oms_day_weekday(day); /* ISO weeks start on Monday. */
    case OMS_PERIOD_MONTH:
        oms_day_to_ymd(day, &year, &month, &mday);
        return oms_day_from_ymd(year, month, 1);
    }
    OMS_ASSERT(false);
    return day;
}

oms_day oms_period_next(oms_day start, enum oms_cap_period period)
{
    int32_t year, month, mday;
    switch (period) {
    case OMS_PERIOD_DAY:
        return start + 1;
    case OMS_PERIOD_WEEK:
        return start + 7;
    case OMS_PERIOD_MONTH:
        oms_day_to_ymd(start, &year, &month, &mday);
        return month == 12 ? oms_day_from_ymd(year + 1, 1, 1) : oms_day_from_ymd(year, month + 1, 1);
    }
    OMS_ASSERT(false);
    return start;
}

oms_qty oms_buffer_units(oms_qty units, int32_t percent, oms_qty sum)
{
    OMS_ASSERT(oms_qty_valid(units));
    OMS_ASSERT(percent >= 0 && percent <= OMS_PERCENT_MAX);
    OMS_ASSERT(sum >= 0 && sum <= OMS_QTY_MAX * OMS_LOCATIONS_MAX);
    /* sum * 100 < 2^47 * 100: no overflow. Rounded down, as the issue says. */
    oms_qty of_percent = sum * percent / OMS_PERCENT_MAX;
    return units > of_percent ? units : of_percent;
}

static oms_qty sum_over(const oms_qty *free, uint32_t count, uint64_t mask)
{
    oms_qty sum = 0;
    for (uint32_t i = 0; i < count; i++) {
        if ((mask >> i) & 1u && free[i] > 0) sum += free[i];
    }
    return sum;
}

oms_qty oms_floor_held(const oms_qty *free, uint32_t count, uint64_t visible,
                       const struct oms_floor *floor)
{
    OMS_ASSERT(count <= OMS_LOCATIONS_MAX);
    OMS_ASSERT(oms_qty_valid(floor->floor));
    oms_qty inside = sum_over(free, count, floor->locations & visible);
    oms_qty outside = sum_over(free, count, floor->locations & ~visible);
    oms_qty need = floor->floor > outside ? floor->floor - outside : 0;
    return need < inside ? need : inside;
}

oms_qty oms_floor_room(const oms_qty *free, uint32_t count, const struct oms_floor *floor)
{
    oms_qty sum = sum_over(free, count, floor->locations);
    return sum > floor->floor ? sum - floor->floor : 0;
}

void oms_channel_breakdown_of(const oms_qty *free, uint32_t count,
                              const struct oms_channel_limits *limits,
                              struct oms_channel_breakdown *out)
{
    OMS_ASSERT(count <= OMS_LOCATIONS_MAX);
    OMS_ASSERT(limits->floors_count <= OMS_CHANNELS_MAX);
    out->sum = sum_over(free, count, limits->visible);
    out->buffer = oms_buffer_units(limits->buffer, limits->buffer_percent, out->sum);
    out->held = 0;
    for (uint32_t f = 0; f < limits->floors_count; f++) {
        out->held += oms_floor_held(free, count, limits->visible, &limits->floors[f]);
    }
    oms_qty kept = out->buffer + out->held;
    out->available = out->sum > kept ? out->sum - kept : 0;
}

oms_qty oms_channel_available_with(const oms_qty *free, uint32_t count,
                                   const struct oms_channel_limits *limits)
{
    struct oms_channel_breakdown parts;
    oms_channel_breakdown_of(free, count, limits, &parts);
    OMS_ASSERT(limits->cap_left >= 0);
    return parts.available < limits->cap_left ? parts.available : limits->cap_left;
}

void oms_channel_split(const oms_qty *free, uint32_t count, const struct oms_channel_limits *limits,
                       const uint32_t *order, uint32_t order_count, oms_qty available,
                       oms_qty *out)
{
    OMS_ASSERT(count <= OMS_LOCATIONS_MAX && order_count <= count);
    OMS_ASSERT(limits->floors_count <= OMS_CHANNELS_MAX);
    OMS_ASSERT(available >= 0);
    oms_qty room[OMS_CHANNELS_MAX];
    for (uint32_t f = 0; f < limits->floors_count; f++) {
        room[f] = oms_floor_room(free, count, &limits->floors[f]);
    }
    oms_qty left = available;
    for (uint32_t p = 0; p < order_count; p++) {
        uint32_t l = order[p];
        OMS_ASSERT(l < count && ((limits->visible >> l) & 1u));
        oms_qty give = free[l] > 0 ? (free[l] < left ? free[l] : left) : 0;
        for (uint32_t f = 0; f < limits->floors_count; f++) {
            if ((limits->floors[f].locations >> l) & 1u && room[f] < give) give = room[f];
        }
        for (uint32_t f = 0; f < limits->floors_count; f++) {
            if ((limits->floors[f].locations >> l) & 1u) room[f] -= give;
        }
        out[l] = give;
        left -= give;
    }
}

const struct oms_channel_rule *oms_rule_find(const struct oms_channel_rule *rules,
                                             uint32_t rules_count, uint32_t channel)
{
    uint32_t lo = 0, hi = rules_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (rules[mid].channel < channel) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < rules_count && rules[lo].channel == channel ? &rules[lo] : NULL;
}

oms_qty oms_rule_sold(const struct oms_channel_rule *rule, oms_day today)
{
    if (!rule || !(rule->set & OMS_RULE_CAP) || today == OMS_DAY_NONE) return 0;
    return rule->sold_period == oms_period_start(today, rule->cap_period) ? rule->sold : 0;
}

oms_qty oms_rule_cap_left(const struct oms_channel_rule *rule, oms_day today)
{
    if (!rule || !(rule->set & OMS_RULE_CAP)) return OMS_QTY_MAX;
    oms_qty sold = oms_rule_sold(rule, today);
    return rule->cap_qty > sold ? rule->cap_qty - sold : 0;
}

void oms_channel_limits_of(const struct oms_channel_rule *rules, uint32_t rules_count,
                           uint32_t channel, const struct oms_channel_defaults *defaults,
                           const uint64_t *ships, uint32_t channels_count, oms_day today,
                           struct oms_floor *floors, struct oms_channel_limits *out)
{
    OMS_ASSERT(channel < channels_count);
    OMS_ASSERT(channels_count <= OMS_CHANNELS_MAX);
    const struct oms_channel_rule *own = oms_rule_find(rules, rules_count, channel);
    *out = (struct oms_channel_limits){
        .visible = defaults->ships,
        .buffer = defaults->buffer,
        .buffer_percent = defaults->buffer_percent,
        .floors = floors,
        .floors_count = 0,
        .cap_left = oms_rule_cap_left(own, today),
    };
    if (own && (own->set & (OMS_RULE_BUFFER | OMS_RULE_BUFFER_PERCENT))) {
        /* The item's buffer replaces the channel's: "2 units for this item" means 2. */
        out->buffer = (own->set & OMS_RULE_BUFFER) ? own->buffer : 0;
        out->buffer_percent = (own->set & OMS_RULE_BUFFER_PERCENT) ? own->buffer_percent : 0;
    }
    for (uint32_t r = 0; r < rules_count; r++) {
        const struct oms_channel_rule *rule = &rules[r];
        if (r > 0) OMS_ASSERT(rules[r - 1].channel < rule->channel);
        if (rule->channel == channel || !(rule->set & OMS_RULE_FLOOR) || rule->floor == 0) continue;
        if (rule->channel >= channels_count) continue;
        floors[out->floors_count++] = (struct oms_floor){ships[rule->channel], rule->floor};
    }
}
