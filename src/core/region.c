/*
 * region.c - distances between regions for sourcing; see region.h.
 */
#include "base/platform.h"

#include "base/assert.h"
#include "core/region.h"

static uint32_t row_of(const struct oms_region_table *table, uint32_t id)
{
    return id < table->ids_count ? table->row_of[id] : OMS_REGION_NO_ROW;
}

int32_t oms_region_distance(const struct oms_region_table *table, uint32_t from, uint32_t to)
{
    if (from == to) return 0;
    if (!table) return OMS_DISTANCE_UNKNOWN;
    uint32_t a = row_of(table, from), b = row_of(table, to);
    if (a == OMS_REGION_NO_ROW || b == OMS_REGION_NO_ROW) return OMS_DISTANCE_UNKNOWN;
    OMS_ASSERT(a < table->stride && b < table->stride);
    int32_t distance = table->cells[(size_t)a * table->stride + b];
    OMS_ASSERT(distance == OMS_DISTANCE_UNKNOWN || (distance >= 0 && distance <= OMS_DISTANCE_MAX));
    return distance;
}
