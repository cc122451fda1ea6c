/*
 * order_oracle.h - the tree-based order encoder the engine used before encode_order.c, kept as
 * the tests' oracle (order_oracle.c). Read the model on the writer thread only.
 */
#ifndef OMS_TEST_ORDER_ORACLE_H
#define OMS_TEST_ORDER_ORACLE_H

#include <jansson.h>

#include "store/model.h"

json_t *oracle_json_order(const struct oms_state *state, uint32_t order);
/* The answer's text, malloc'd; cancelled_now >= 0 adds what a cancellation's answer adds. */
char *oracle_order_text(const struct oms_state *state, uint32_t order, oms_qty cancelled_now,
                        size_t *len);

/* harness_inspect callback: every order of the model through the direct encoder
 * (oms_order_text, oms_encode_cancel) and the oracle; the first difference goes to why. */
struct oracle_check {
    uint32_t orders; /* Orders compared. */
    char why[4096];  /* "" while every text was the same. */
};
void oracle_compare_orders(const struct oms_state *state, void *ctx);

#endif
