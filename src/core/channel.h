/*
 * channel.h - a channel's rules for one item, as plain numbers (DESIGN.md rule 1 with the
 * channel rules of issue 4): what the channel holds back (a buffer in units or percent), what
 * other channels protect for themselves (floors), and how much it may still accept in the
 * current period (a cap). Pure: no I/O, no allocation, no clock; the caller passes today's
 * local day.
 *
 * The formulas (docs/decisions.md, "Channel rules"), for one item and channel D:
 *   S       = sum over D's shipping locations of max(0, free)   (short locations count 0)
 *   buffer  = max(buffer units, floor(buffer_percent * S / 100))
 *   held_C  = for every other channel C with a floor F_C, the part of F_C that only D's
 *             locations can still hold: min(S_in, max(0, F_C - S_out)), where S_in / S_out
 *             are C's available units inside / outside D's locations
 *   available(D) = max(0, S - buffer - sum of held_C), then min with the cap left.
 * An allocation by D takes at most max(0, S_C - F_C) units out of C's locations (S_C: all of
 * C's available units), so after any orders of other channels C still has min(F_C, what it
 * had) available at its locations. A floor is a standing protection: it does not shrink as C
 * sells from it.
 *
 * Rules are kept per item, sorted by channel index, sparse: an item without a rule has none.
 */
#ifndef OMS_CORE_CHANNEL_H
#define OMS_CORE_CHANNEL_H

#include "core/types.h"

#define OMS_PERCENT_MAX 100

enum oms_cap_period { OMS_PERIOD_DAY, OMS_PERIOD_WEEK, OMS_PERIOD_MONTH };

/* Which fields of a rule the merchant set (the others fall back on the channel's defaults,
 * or do not apply). */
enum {
    OMS_RULE_BUFFER = 1u << 0,
    OMS_RULE_BUFFER_PERCENT = 1u << 1,
    OMS_RULE_CAP = 1u << 2,
    OMS_RULE_FLOOR = 1u << 3,
};

/* One channel's rule for one item, with its cap counter. */
struct oms_channel_rule {
    uint32_t channel;       /* Index of the channel. */
    uint32_t set;           /* OMS_RULE_* bits. */
    oms_qty buffer;         /* Units, when OMS_RULE_BUFFER. */
    int32_t buffer_percent; /* 0..100, when OMS_RULE_BUFFER_PERCENT. */
    enum oms_cap_period cap_period;
    oms_qty cap_qty;        /* Units the channel may accept per period, when OMS_RULE_CAP. */
    oms_qty floor;          /* Units protected for this channel, when OMS_RULE_FLOOR. */
    oms_day sold_period;    /* First day of the period `sold` counts; OMS_DAY_NONE: none yet. */
    oms_qty sold;           /* Units accepted in that period, less cancellations of them. */
};

/* Another channel's floor on the item: keep `floor` units available across `locations`. */
struct oms_floor {
    uint64_t locations;
    oms_qty floor;
};

/* What bounds one channel's availability of one item (the rule above, resolved). */
struct oms_channel_limits {
    uint64_t visible;           /* Locations that ship the channel's orders. */
    oms_qty buffer;             /* Units. */
    int32_t buffer_percent;     /* 0..100. */
    const struct oms_floor *floors; /* The floors of the other channels; may be NULL. */
    uint32_t floors_count;
    oms_qty cap_left;           /* Units the channel may still accept; OMS_QTY_MAX: no cap. */
};

/* The parts of the availability, for answers that explain it. */
struct oms_channel_breakdown {
    oms_qty sum;       /* S. */
    oms_qty buffer;    /* The buffer in units now. */
    oms_qty held;      /* Held for other channels' floors. */
    oms_qty available; /* max(0, S - buffer - held), before the cap. */
};

const char *oms_period_name(enum oms_cap_period period);
bool oms_period_parse(const char *text, enum oms_cap_period *out);
/* The first day of the period that holds `day`: the day itself, the Monday of its ISO week,
 * the first of its month. */
oms_day oms_period_start(oms_day day, enum oms_cap_period period);
/* The first day of the period after the one starting at `start`. */
oms_day oms_period_next(oms_day start, enum oms_cap_period period);

/* max(units, floor(percent * sum / 100)). */
oms_qty oms_buffer_units(oms_qty units, int32_t percent, oms_qty sum);

/* What C's floor keeps out of reach of a channel seeing `visible` (held_C above). */
oms_qty oms_floor_held(const oms_qty *free, uint32_t count, uint64_t visible,
                       const struct oms_floor *floor);

/* How many units the channel may take out of the floor's locations now: max(0, S_C - F_C). */
oms_qty oms_floor_room(const oms_qty *free, uint32_t count, const struct oms_floor *floor);

void oms_channel_breakdown_of(const oms_qty *free, uint32_t count,
                              const struct oms_channel_limits *limits,
                              struct oms_channel_breakdown *out);

/* Rule 1 with the channel's rules: the breakdown's available, then at most the cap left. */
oms_qty oms_channel_available_with(const oms_qty *free, uint32_t count,
                                   const struct oms_channel_limits *limits);

/* The channel's `available` units split over its locations (docs/decisions.md 36): the walk
 * visits `order` (visible locations, most preferred first) and gives each what is left of
 * `available`, at most its free stock and what the other channels' floors still let the
 * channel take there (a floor's room is shared by its locations and shrinks as the walk
 * takes). So the parts add up to at most `available` (to exactly it: every unit the walk
 * leaves behind is held by a floor that counted it), none is negative, and each is what one
 * order of the channel could take at that location alone. out[l] is set for the locations of
 * `order` only. */
void oms_channel_split(const oms_qty *free, uint32_t count, const struct oms_channel_limits *limits,
                       const uint32_t *order, uint32_t order_count, oms_qty available,
                       oms_qty *out);

/* The rule of `channel` among rules sorted by channel, or NULL. */
const struct oms_channel_rule *oms_rule_find(const struct oms_channel_rule *rules,
                                             uint32_t rules_count, uint32_t channel);

/* Resolves the limits of `channel` for an item with these rules: the item's buffer when its
 * rule sets either buffer field (the unset one counts 0), else the channel's defaults; the
 * floors of every other channel (their shipping locations from `ships`, one per channel);
 * the cap left today. `floors` has room for OMS_CHANNELS_MAX entries and must outlive `out`. */
struct oms_channel_defaults {
    uint64_t ships;         /* The channel's shipping locations. */
    oms_qty buffer;
    int32_t buffer_percent;
};
void oms_channel_limits_of(const struct oms_channel_rule *rules, uint32_t rules_count,
                           uint32_t channel, const struct oms_channel_defaults *defaults,
                           const uint64_t *ships, uint32_t channels_count, oms_day today,
                           struct oms_floor *floors, struct oms_channel_limits *out);

/* Units sold in the period holding `today` (0 once the counter's period has passed). */
oms_qty oms_rule_sold(const struct oms_channel_rule *rule, oms_day today);
/* What the rule's cap leaves today; OMS_QTY_MAX when the rule is NULL or has no cap. */
oms_qty oms_rule_cap_left(const struct oms_channel_rule *rule, oms_day today);

#endif
