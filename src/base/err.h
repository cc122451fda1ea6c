/*
 * err.h - operating errors: one list, numbers never reused, each saying whether a retry may
 * help. Domain outcomes (no stock, unknown SKU) are not errors: they are results per line.
 * Caller mistakes found by the engine (unknown order, shipping more than allocated) are here
 * too, because the HTTP edge maps each to one status and code.
 */
#ifndef OMS_ERR_H
#define OMS_ERR_H

#include "base/platform.h"

/*  name            number retryable  message */
#define OMS_ERR_MAP(X)                                                                          \
    X(OK, 0, false, "ok")                                                                       \
    X(ENOTFOUND, 1, false, "not found")                                                         \
    X(EBUSY, 2, true, "store is busy")                                                          \
    X(ENOMEM, 3, true, "out of memory")                                                         \
    X(ETOOBIG, 4, false, "request exceeds a configured limit")                                  \
    X(ESTORE, 5, true, "storage backend failed")                                                \
    X(ECORRUPT, 6, false, "stored data breaks an invariant")                                    \
    X(EINVAL, 7, false, "invalid value")                                                        \
    X(ECONFLICT, 8, false, "conflicts with the current state")                                  \
    X(EIDEMPOTENCY, 9, false, "idempotency key or id reused with a different body")             \
    X(EINSUFFICIENT_ALLOCATION, 10, false, "more than the line has allocated there")            \
    X(EINSUFFICIENT_SHIPPED, 11, false, "more than the line has shipped")                       \
    X(EUNKNOWN_SUPPLY, 12, false, "no such supply line")                                        \
    X(ESUPPLY_CLOSED, 13, false, "supply line is closed")                                       \
    X(ELIMIT, 14, false, "a named limit would be exceeded")                                     \
    X(ELOCKED, 15, false, "the database is held by another process")                           \
    X(EIO, 16, true, "input/output failed")                                                     \
    X(ESHUTDOWN, 17, true, "engine is shutting down")                                           \
    X(EMISSING, 18, false, "a value the request must give in this case is missing")

enum oms_err {
#define X(name, number, retryable, message) OMS_##name = number,
    OMS_ERR_MAP(X)
#undef X
};

const char *oms_err_message(enum oms_err err);
const char *oms_err_name(enum oms_err err);
bool oms_err_retryable(enum oms_err err);

#endif
