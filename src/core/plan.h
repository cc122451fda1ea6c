/*
 * plan.h - the decision for one order line (DESIGN.md rule 2) and the step of the backorder
 * queue re-run (rule 3). One function, oms_plan_line(), does both: the caller walks an item's
 * queue in order (oms_queue_before()) and plans each line against what the lines ahead left.
 *
 * Pure: no I/O, no allocation, no clock. The caller owns every array; the plan consumes from
 * the caller's copies of free stock, open supply and the lead-time budget, so after a line
 * is planned they hold what is left for the lines behind it. A decision never takes a
 * location's free stock below zero: a short location (free < 0) gives nothing.
 *
 * Sourcing of free stock (rule 2, issue 4): fewest shipments first (one location that fills
 * the whole line; else, where the item allows a split, the fewest locations that do), then the
 * location nearest the line's destination region (core/region.h), then location priority,
 * then code. A receipt's re-run puts the receiving location before all of these (rule 4).
 * Each allocation says which of these rules chose it (enum oms_source_reason).
 *
 * Sources of a backordered part, earliest promise first: each open supply line at a location
 * the line's channel sees, then the supplier lead time (capped by the item's backorder
 * limit). Supply promising later than the lead time is used only once the lead-time budget
 * is spent (docs/decisions.md: better a later date than a refusal).
 */
#ifndef OMS_CORE_PLAN_H
#define OMS_CORE_PLAN_H

#include "core/channel.h"
#include "core/region.h"
#include "core/types.h"

enum { OMS_SOURCE_LEAD = -1, OMS_SOURCE_RELEASE = -2 };

struct oms_plan_location {
    oms_qty free;       /* In: free now (signed). Out: what the line left. */
    int32_t priority;   /* Smaller is served first; ties by rank. */
    uint32_t rank;      /* Position of the location's code in code order: the last tie-break. */
    uint32_t region;    /* Region id: its distance from the line's destination ranks it. */
    oms_day ship_day;   /* Today + handling days at this location: the promise of stock here. */
};

struct oms_plan_supply {
    uint32_t location;  /* Index into the locations array. */
    oms_qty open;       /* In: units still to come that no line ahead holds. Out: what is left. */
    oms_day promise_day; /* Expected date + handling at its location, never before its ship_day. */
};

struct oms_plan_item {
    bool allow_split;           /* Stock allocated now may come from several locations. */
    bool backorderable;         /* Policy backorder or preorder. */
    bool unreleased;            /* Policy preorder and the release date not reached yet. */
    oms_day release_promise_day; /* When unreleased: release date + handling. */
    bool has_lead_time;         /* The item has a supplier lead time to promise on. */
    oms_qty lead_budget;        /* In: units lead time (or release) may still carry; out: left.
                                 * OMS_QTY_MAX means no limit. */
    oms_qty min_order_qty;      /* A new line asking fewer units is rejected whole. */
};

struct oms_plan_line {
    uint64_t visible;       /* Bit i set: the line's channel sees location i. */
    uint32_t region;        /* Destination region id (OMS_REGION_NO_ROW: none given). */
    const struct oms_region_table *regions; /* Distances between regions; NULL: none known
                                             * (only the destination region itself is near). */
    bool collect;           /* Click-and-collect: visible holds the one location the customer
                             * collects from; every allocation there says so. */
    oms_qty need;           /* Units to place: a new line's qty, a waiting line's backordered. */
    bool is_new;            /* New: may be rejected. Waiting: an accepted sale, never rejected. */
    bool ship_complete;     /* All of it now or none of it now. */
    bool channel_backorder; /* The line's channel takes backorders. */
    bool prefer;            /* Take stock at preferred_location first (a receipt there turns
                             * the units pegged to it into allocations there: rule 4). */
    uint32_t preferred_location;
    oms_qty buffer;         /* The channel's buffer for the item, in units, and in percent of */
    int32_t buffer_percent; /* its visible available stock (the larger counts, core/channel.h):
                             * the line allocates at most the channel's availability (rule 1). */
    const struct oms_floor *floors; /* Other channels' floors on the item: the line never takes */
    uint32_t floors_count;          /* a floor's locations below it (core/channel.h). */
    bool capped;            /* The channel caps the item: a new line is accepted (allocated or
                             * backordered) for at most cap_left units; the rest is rejected
                             * (channel_cap; all of it when ship_complete or below the minimum
                             * order quantity). Waiting lines were accepted already. */
    oms_qty cap_left;
    oms_day lead_day;       /* Today + lead time + handling at the channel's first location. */
};

struct oms_plan_alloc {
    uint32_t location;
    oms_qty qty;
    enum oms_source_reason reason; /* Which sourcing rule chose this location. */
};

struct oms_plan_peg {
    int32_t source;     /* Index into supplies, or OMS_SOURCE_LEAD / OMS_SOURCE_RELEASE. */
    oms_qty qty;
    oms_day promise_day;
};

struct oms_plan_result {
    struct oms_plan_alloc allocs[OMS_LOCATIONS_MAX];
    uint32_t allocs_count;
    struct oms_plan_peg pegs[OMS_PEGS_MAX];
    uint32_t pegs_count;
    oms_qty rejected;
    enum oms_reject_reason reason; /* OMS_REJECT_NONE when rejected == 0. */
    oms_day promise_day;           /* Latest day over allocs and pegs; OMS_DAY_NONE if neither,
                                    * or if a peg is undated (a waiting line of an item without
                                    * lead time that no supply carries any more). */
};

/*
 * Plans one line. Supplies must be sorted by promise_day ascending (ties in the caller's
 * order); locations_count <= OMS_LOCATIONS_MAX, supplies_count <= OMS_SUPPLIES_MAX.
 * Afterwards: sum(allocs) + sum(pegs) + rejected == line->need, and a waiting line has
 * rejected == 0.
 */
void oms_plan_line(struct oms_plan_item *item, struct oms_plan_location *locations,
                   uint32_t locations_count, struct oms_plan_supply *supplies,
                   uint32_t supplies_count, const struct oms_plan_line *line,
                   struct oms_plan_result *result);

/* Queue order of rule 3: channel priority, then order time, then order id, then line number.
 * True when a comes strictly before b. */
struct oms_queue_key {
    int32_t channel_priority;
    int64_t at_ms;
    const char *order_id;
    uint32_t line_no;
};
bool oms_queue_before(const struct oms_queue_key *a, const struct oms_queue_key *b);

#endif
