/*
 * region.h - the region distance table the merchant configures (PUT /v1/regions/{code}):
 * how far each destination region is from each region where locations stand, so sourcing
 * can take the nearest location (DESIGN.md rule 2, "the location nearest the destination").
 * Pure: no I/O, no allocation, no clock. The caller owns the arrays the table points to.
 *
 * Regions are the engine's interned region ids (locations' and orders' region names). Only
 * regions of the table have a row; a pair nobody configured is OMS_DISTANCE_UNKNOWN, which
 * sorts after every configured distance ("far"). A region's distance to itself is 0 whether
 * or not it is in the table, so without a table the nearest location is one in the
 * destination region, as before distances existed.
 */
#ifndef OMS_CORE_REGION_H
#define OMS_CORE_REGION_H

#include "core/types.h"

#define OMS_REGIONS_MAX 256          /* Regions in the distance table (regions_max). */
#define OMS_DISTANCE_MAX 1000000     /* Largest distance one may configure (any unit). */
#define OMS_DISTANCE_UNKNOWN INT32_MAX /* No distance configured: after every known one. */
#define OMS_REGION_NO_ROW UINT32_MAX

_Static_assert(OMS_DISTANCE_MAX < OMS_DISTANCE_UNKNOWN, "an unknown pair sorts after all");

struct oms_region_table {
    const uint32_t *row_of; /* By region id: the region's row in cells, or OMS_REGION_NO_ROW. */
    uint32_t ids_count;     /* Region ids row_of covers; ids beyond it have no row. */
    const int32_t *cells;   /* cells[row * stride + column]: a distance in [0, OMS_DISTANCE_MAX]
                             * or OMS_DISTANCE_UNKNOWN. Symmetric. */
    uint32_t stride;        /* Row length; rows are < stride <= OMS_REGIONS_MAX. */
};

/* Distance from region `from` to region `to`: 0 when they are the same region, the table's
 * figure when both have rows and the pair is configured, else OMS_DISTANCE_UNKNOWN. A NULL
 * table knows no pairs. Region ids may be any value (OMS_REGION_NO_ROW for "no region"). */
int32_t oms_region_distance(const struct oms_region_table *table, uint32_t from, uint32_t to);

#endif
