/*
 * err.c - names, messages and retry hints of enum oms_err, generated from the one list.
 */
#include "base/platform.h"

#include "base/err.h"

const char *oms_err_message(enum oms_err err)
{
    switch (err) {
#define X(name, number, retryable, message)                                                     \
    case OMS_##name:                                                                            \
        return message;
        OMS_ERR_MAP(X)
#undef X
    }
    return "unknown error";
}

const char *oms_err_name(enum oms_err err)
{
    switch (err) {
#define X(name, number, retryable, message)                                                     \
    case OMS_##name:                                                                            \
        return #name;
        OMS_ERR_MAP(X)
#undef X
    }
    return "EUNKNOWN";
}

bool oms_err_retryable(enum oms_err err)
{
    switch (err) {
#define X(name, number, retryable, message)                                                     \
    case OMS_##name:                                                                            \
        return retryable;
        OMS_ERR_MAP(X)
#undef X
    }
    return false;
}
