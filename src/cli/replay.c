/*
 * replay.c - the replay of replay.h: a checking pass over the whole history (so a bad row or
 * a step back in time refuses the replay before anything is submitted), a check that the
 * channels exist and no order id was used before, then the streaming pass that turns each
 * invoice into commands. Orders, receipts, cancellations and write-offs are submitted
 * asynchronously through a window; only a cancellation or a write-off waits, for one READ of
 * the model, because its quantities depend on what the engine decided before it.
 */
#include "base/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/replay_int.h"
#include "cli/uci.h"
#include "engine/clock.h"

/* --- Commands and their callbacks (writer thread) --- */

struct order_job {
    struct oms_command cmd; /* First, so the callbacks find the job from the command. */
    struct replay *rp;
    char id[OMS_ID_BYTES_MAX];
    char region[3];
    char *customer;
    struct oms_cmd_line *lines;
    char (*skus)[OMS_SKU_BYTES_MAX];
};

struct simple_job { /* Cancellations, adjustments, receipts. */
    struct oms_command cmd;
    struct replay *rp;
    char id[OMS_ID_BYTES_MAX];
    char sku[OMS_SKU_BYTES_MAX];
    char location[OMS_CODE_BYTES_MAX];
    struct oms_cmd_qty_line *lines;
};

static void push_i32(int32_t **values, size_t *count, size_t *cap, int32_t value)
{
    if (*count == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *values = cli_xrealloc(*values, *cap * sizeof **values);
    }
    (*values)[(*count)++] = value;
}

static void tally_line(struct replay_tally *t, const struct oms_state *state,
                       const struct oms_line *line, oms_day today)
{
    oms_qty allocated = oms_line_allocated(line), backordered = oms_line_backordered(line);
    int64_t price = line->price_minor >= 0      ? line->price_minor
                    : line->item != OMS_NONE ? state->items[line->item].price_minor
                                             : 0;
    t->lines++;
    t->units += (uint64_t)line->qty;
    if (allocated > 0) t->allocated_lines++;
    t->allocated_units += (uint64_t)allocated;
    if (allocated == line->qty) t->full_lines++;
    if (backordered > 0) {
        size_t index = (size_t)(line - state->lines);
        if (index >= t->was_backordered_cap) {
            size_t cap = (index + 1) * 2;
            t->was_backordered = cli_xrealloc(t->was_backordered, cap);
            memset(t->was_backordered + t->was_backordered_cap, 0, cap - t->was_backordered_cap);
            t->was_backordered_cap = cap;
        }
        t->was_backordered[index] = 1;
        t->backordered_lines++;
        t->backordered_units += (uint64_t)backordered;
        push_i32(&t->leads, &t->leads_count, &t->leads_cap, line->promise_day - today);
        if (t->leads_count == 1 || line->promise_day < t->first_promise) {
            t->first_promise = line->promise_day;
        }
        if (t->leads_count == 1 || line->promise_day > t->last_promise) {
            t->last_promise = line->promise_day;
        }
    }
    if (line->rejected > 0) {
        t->rejected_lines++;
        t->rejected_units += (uint64_t)line->rejected;
        t->reason_lines[line->reason]++;
        t->reason_units[line->reason] += (uint64_t)line->rejected;
    }
    t->revenue_now += allocated * price;
    t->revenue_backorder += backordered * price;
    t->revenue_lost += line->rejected * price;
}

/* Encoder of ORDER_PLACE: runs on the writer thread right after the order was decided. */
static char *order_encode(struct oms_command *cmd, const struct oms_state *state, size_t *len)
{
    struct replay_tally *t = &((struct order_job *)cmd)->rp->tally;
    const struct oms_order *order = &state->orders[cmd->result_index];
    const struct oms_channel *channel = &state->channels[order->channel];
    oms_day today = channel->first_location != OMS_NONE
                        ? state->locations[channel->first_location].today
                        : (oms_day)(order->at_ms / OMS_MS_PER_DAY);
    t->orders++;
    for (uint32_t i = 0; i < order->lines_count; i++) {
        tally_line(t, state, &state->lines[order->first_line + i], today);
    }
    if (t->orders_placed_count == t->orders_placed_cap) {
        t->orders_placed_cap = t->orders_placed_cap ? t->orders_placed_cap * 2 : 1024;
        t->orders_placed = cli_xrealloc(t->orders_placed,
                                        t->orders_placed_cap * sizeof *t->orders_placed);
    }
    t->orders_placed[t->orders_placed_count++] = cmd->result_index;
    *len = 0;
    return NULL;
}

static void order_done(struct oms_command *cmd)
{
    struct order_job *job = (struct order_job *)cmd;
    char what[OMS_ID_BYTES_MAX + 8];
    snprintf(what, sizeof what, "order %s", job->id);
    oms_command_release(cmd);
    cli_pipe_done(&job->rp->pipe, what, cmd);
    free(job->customer);
    free(job->lines);
    free(job->skus);
    free(job);
}

static void simple_done(struct oms_command *cmd)
{
    struct simple_job *job = (struct simple_job *)cmd;
    struct replay_tally *t = &job->rp->tally;
    char what[OMS_ID_BYTES_MAX + OMS_SKU_BYTES_MAX + 32];
    if (cmd->kind == OMS_CMD_ORDER_CANCEL) {
        snprintf(what, sizeof what, "cancellation of order %s", job->id);
        if (!cmd->err) t->cancelled_units += (uint64_t)cmd->u.cancel.cancelled;
    } else if (cmd->kind == OMS_CMD_ADJUST) {
        snprintf(what, sizeof what, "write-off of %s at %s", job->sku, job->location);
    } else if (cmd->kind == OMS_CMD_SUPPLY_UPDATE) {
        snprintf(what, sizeof what, "delay of %s", job->id);
        if (!cmd->err) t->delays++;
    } else {
        snprintf(what, sizeof what, "receipt of %s", job->id);
        const struct oms_cmd_receive *r = &cmd->u.receive;
        if (!cmd->err) {
            t->receipts++;
            t->receipt_units += (uint64_t)r->qty;
            t->over_received += (uint64_t)r->over_received;
        }
        for (uint32_t i = 0; !cmd->err && i < r->fills_count; i++) {
            size_t line = r->fills[i].line;
            if (line >= t->filled_cap) {
                size_t cap = (line + 1) * 2;
                t->filled = cli_xrealloc(t->filled, cap);
                memset(t->filled + t->filled_cap, 0, cap - t->filled_cap);
                t->filled_cap = cap;
            }
            t->filled_lines += t->filled[line] ? 0 : 1;
            t->filled[line] = 1;
            t->filled_units += (uint64_t)r->fills[i].qty;
        }
    }
    oms_command_release(cmd);
    cli_pipe_done(&job->rp->pipe, what, cmd);
    free(job->lines);
    free(job);
}

static struct simple_job *simple_job_new(struct replay *rp, enum oms_cmd_kind kind,
                                         int64_t at_ms)
{
    struct simple_job *job = cli_xcalloc(1, sizeof *job);
    job->rp = rp;
    job->cmd.kind = kind;
    job->cmd.at_ms = at_ms;
    job->cmd.done = simple_done;
    return job;
}

/* --- The invoice being read --- */

struct invoice_row {
    char code[OMS_SKU_BYTES_MAX];
    int64_t qty, price_minor;
    enum uci_class klass;
};

struct invoice {
    bool open;
    char id[OMS_ID_BYTES_MAX - 8]; /* uci.c checks the length; "UCI-" is added. */
    char *customer, *country;
    int64_t at_ms;
    bool cancel;
    struct invoice_row *rows;
    size_t count, cap;
};

static void invoice_add(struct invoice *inv, const struct uci_row *row)
{
    if (!inv->open) {
        inv->open = true;
        snprintf(inv->id, sizeof inv->id, "%s", row->invoice);
        inv->customer = cli_xstrdup(row->customer);
        inv->country = cli_xstrdup(row->country);
        inv->at_ms = row->at_ms;
        inv->cancel = row->cancel_invoice;
        inv->count = 0;
    }
    if (inv->count == inv->cap) {
        inv->cap = inv->cap ? inv->cap * 2 : 64;
        inv->rows = cli_xrealloc(inv->rows, inv->cap * sizeof *inv->rows);
    }
    struct invoice_row *r = &inv->rows[inv->count++];
    memcpy(r->code, row->code, sizeof r->code);
    r->qty = row->qty;
    r->price_minor = row->price_minor;
    r->klass = row->klass;
}

static void invoice_close(struct invoice *inv)
{
    free(inv->customer);
    free(inv->country);
    inv->customer = inv->country = NULL;
    inv->open = false;
}

/* --- Receipts --- */

static bool flush_receipts(struct replay *rp, int64_t until_ms)
{
    const struct replay_options *o = rp->options;
    while (rp->next_receipt < o->receipts_count &&
           o->receipts[rp->next_receipt].at_ms <= until_ms) {
        const struct replay_receipt *r = &o->receipts[rp->next_receipt++];
        struct simple_job *job = simple_job_new(
            rp, r->delay ? OMS_CMD_SUPPLY_UPDATE : OMS_CMD_SUPPLY_RECEIVE, r->at_ms);
        snprintf(job->id, sizeof job->id, "%s", r->supply_id);
        if (r->delay) {
            job->cmd.u.supply_update.id = job->id;
            job->cmd.u.supply_update.has_expected = true;
            job->cmd.u.supply_update.expected_day = r->new_expected_day;
        } else {
            job->cmd.u.receive.id = job->id;
            job->cmd.u.receive.qty = r->qty;
            rp->stats.receipts_submitted++;
        }
        if (!cli_pipe_submit(&rp->pipe, &job->cmd)) return false;
    }
    return true;
}

/* --- Orders --- */

static uint32_t list_for(struct replay *rp, const char *customer, const char *sku, bool create)
{
    char key[OMS_TEXT_BYTES_MAX + OMS_SKU_BYTES_MAX];
    snprintf(key, sizeof key, "%s\x1f%s", customer, sku);
    uint32_t index;
    if (oms_strmap_get(&rp->list_by_key, key, &index)) return index;
    if (!create) return OMS_NONE;
    if (rp->lists_count == rp->lists_cap) {
        rp->lists_cap = rp->lists_cap ? rp->lists_cap * 2 : 1024;
        rp->lists = cli_xrealloc(rp->lists, rp->lists_cap * sizeof *rp->lists);
        rp->list_keys = cli_xrealloc(rp->list_keys, rp->lists_cap * sizeof *rp->list_keys);
    }
    index = rp->lists_count++;
    memset(&rp->lists[index], 0, sizeof rp->lists[index]);
    rp->list_keys[index] = cli_xstrdup(key);
    oms_strmap_put(&rp->list_by_key, rp->list_keys[index], index);
    return index;
}

static void add_candidate(struct replay *rp, uint32_t order, uint32_t line_no, const char *sku,
                          const char *customer)
{
    uint32_t index = list_for(rp, customer, sku, true); /* May move rp->lists. */
    struct replay_list *list = &rp->lists[index];
    if (rp->candidates_count == rp->candidates_cap) {
        rp->candidates_cap = rp->candidates_cap ? rp->candidates_cap * 2 : 4096;
        rp->candidates = cli_xrealloc(rp->candidates, rp->candidates_cap * sizeof *rp->candidates);
    }
    rp->candidates[rp->candidates_count] = (struct replay_candidate){order, line_no, 0};
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 4;
        list->items = cli_xrealloc(list->items, list->cap * sizeof *list->items);
    }
    list->items[list->count++] = rp->candidates_count++;
}

static uint32_t remember_order(struct replay *rp, const char *id)
{
    if (rp->order_ids_count == rp->order_ids_cap) {
        rp->order_ids_cap = rp->order_ids_cap ? rp->order_ids_cap * 2 : 1024;
        rp->order_ids = cli_xrealloc(rp->order_ids, rp->order_ids_cap * sizeof *rp->order_ids);
    }
    rp->order_ids[rp->order_ids_count] = cli_xstrdup(id);
    return rp->order_ids_count++;
}

static bool submit_order(struct replay *rp, const struct invoice *inv)
{
    uint32_t count = 0;
    for (size_t i = 0; i < inv->count; i++) count += inv->rows[i].klass == UCI_SALE;
    if (count == 0) return true;
    struct order_job *job = cli_xcalloc(1, sizeof *job);
    job->rp = rp;
    snprintf(job->id, sizeof job->id, "UCI-%s", inv->id);
    snprintf(job->region, sizeof job->region, "%s", uci_region(inv->country));
    job->customer = inv->customer[0] ? cli_xstrdup(inv->customer) : NULL;
    job->lines = cli_xcalloc(count, sizeof *job->lines);
    job->skus = cli_xcalloc(count, sizeof *job->skus);
    uint32_t order = remember_order(rp, job->id), n = 0;
    for (size_t i = 0; i < inv->count; i++) {
        const struct invoice_row *r = &inv->rows[i];
        if (r->klass != UCI_SALE) continue;
        memcpy(job->skus[n], r->code, sizeof job->skus[n]);
        job->lines[n] = (struct oms_cmd_line){job->skus[n], r->qty, r->price_minor, false, false, 0};
        n++;
        if (job->customer) add_candidate(rp, order, n, r->code, job->customer);
    }
    bool uk = strcmp(job->region, "UK") == 0;
    job->cmd.kind = OMS_CMD_ORDER_PLACE;
    job->cmd.at_ms = inv->at_ms;
    job->cmd.u.order = (struct oms_cmd_order){
        .id = job->id,
        .channel = uk ? rp->options->channel_uk : rp->options->channel_other,
        .region = job->region,
        .customer_ref = job->customer,
        .lines = job->lines,
        .lines_count = count,
    };
    job->cmd.encode = order_encode;
    job->cmd.done = order_done;
    return cli_pipe_submit(&rp->pipe, &job->cmd);
}

/* --- Cancellations --- */

struct line_query {
    const char *order_id;
    uint32_t line_no;
    oms_qty open, rejected, planned; /* planned: what this invoice cancels of it. */
};

struct lines_read {
    struct line_query *queries;
    size_t count;
};

static void read_lines(void *ctx, const struct oms_state *state)
{
    struct lines_read *read = ctx;
    for (size_t i = 0; i < read->count; i++) {
        struct line_query *q = &read->queries[i];
        uint32_t order = oms_state_order(state, q->order_id);
        q->open = q->rejected = 0;
        if (order == OMS_NONE || q->line_no > state->orders[order].lines_count) continue;
        const struct oms_order *o = &state->orders[order];
        const struct oms_line *line = &state->lines[o->first_line + q->line_no - 1];
        q->open = oms_line_allocated(line) + oms_line_backordered(line);
        q->rejected = line->rejected;
    }
}

struct cancel_plan {
    uint32_t order, line_no;
    oms_qty qty;
};

static int compare_plan(const void *a, const void *b)
{
    const struct cancel_plan *x = a, *y = b;
    if (x->order != y->order) return x->order < y->order ? -1 : 1;
    return (x->line_no > y->line_no) - (x->line_no < y->line_no);
}

/* One ORDER_CANCEL per order, with its lines merged. plan is sorted by order then line. */
static bool submit_cancels(struct replay *rp, struct cancel_plan *plan, size_t count,
                           int64_t at_ms)
{
    qsort(plan, count, sizeof *plan, compare_plan);
    for (size_t start = 0; start < count;) {
        size_t end = start;
        while (end < count && plan[end].order == plan[start].order) end++;
        struct simple_job *job = simple_job_new(rp, OMS_CMD_ORDER_CANCEL, at_ms);
        snprintf(job->id, sizeof job->id, "%s", rp->order_ids[plan[start].order]);
        job->lines = cli_xcalloc(end - start, sizeof *job->lines);
        uint32_t n = 0;
        for (size_t i = start; i < end; i++) {
            if (n > 0 && job->lines[n - 1].line_no == plan[i].line_no) {
                job->lines[n - 1].qty += plan[i].qty;
                continue;
            }
            job->lines[n++] = (struct oms_cmd_qty_line){plan[i].line_no, plan[i].qty};
        }
        rp->stats.cancel_order_lines += n;
        job->cmd.u.cancel = (struct oms_cmd_cancel){.id = job->id, .lines = job->lines,
                                                    .lines_count = n};
        if (!cli_pipe_submit(&rp->pipe, &job->cmd)) return false;
        start = end;
    }
    return true;
}

/* Matches `want` units against the list, newest order first; adds to plan. Returns what is
 * left unmatched. */
static oms_qty match_list(struct replay *rp, const struct replay_list *list, oms_qty want,
                          struct line_query *queries, const uint32_t *query_of,
                          struct cancel_plan *plan, size_t *plan_count)
{
    for (uint32_t k = list->count; k > 0 && want > 0; k--) {
        struct replay_candidate *c = &rp->candidates[list->items[k - 1]];
        struct line_query *q = &queries[query_of[list->items[k - 1]]];
        oms_qty take = q->open - q->planned < want ? q->open - q->planned : want;
        if (take > 0) {
            q->planned += take;
            plan[(*plan_count)++] = (struct cancel_plan){c->order, c->line_no, take};
            rp->stats.cancel_sent_units += (uint64_t)take;
            want -= take;
        }
        oms_qty unmatched = q->rejected - c->rejected_matched;
        oms_qty refused = unmatched < want ? unmatched : want;
        c->rejected_matched += refused;
        rp->stats.cancel_already_rejected += (uint64_t)refused;
        want -= refused;
    }
    return want;
}

/* The candidate lines the invoice's cancellations may hit, one query each. */
static size_t gather_queries(struct replay *rp, const struct invoice *inv,
                             struct line_query **queries, uint32_t *query_of)
{
    size_t count = 0, cap = 0;
    for (size_t i = 0; i < inv->count; i++) {
        if (inv->rows[i].klass != UCI_CANCEL || !inv->customer[0]) continue;
        uint32_t index = list_for(rp, inv->customer, inv->rows[i].code, false);
        for (uint32_t k = 0; index != OMS_NONE && k < rp->lists[index].count; k++) {
            uint32_t cand = rp->lists[index].items[k];
            if (query_of[cand] != OMS_NONE) continue;
            if (count == cap) {
                cap = cap ? cap * 2 : 16;
                *queries = cli_xrealloc(*queries, cap * sizeof **queries);
            }
            query_of[cand] = (uint32_t)count;
            (*queries)[count++] = (struct line_query){
                rp->order_ids[rp->candidates[cand].order], rp->candidates[cand].line_no, 0, 0, 0};
        }
    }
    return count;
}

static bool process_cancels(struct replay *rp, const struct invoice *inv)
{
    uint32_t *query_of = cli_xcalloc(rp->candidates_count, sizeof *query_of);
    for (uint32_t i = 0; i < rp->candidates_count; i++) query_of[i] = OMS_NONE;
    struct line_query *queries = NULL;
    struct lines_read read = {NULL, gather_queries(rp, inv, &queries, query_of)};
    read.queries = queries;
    bool ok = read.count == 0 || cli_read(rp->engine, read_lines, &read) == OMS_OK;
    size_t plan_cap = 1; /* Each cancelled row adds at most one entry per candidate. */
    for (size_t i = 0; i < inv->count; i++) {
        if (inv->rows[i].klass != UCI_CANCEL || !inv->customer[0]) continue;
        uint32_t index = list_for(rp, inv->customer, inv->rows[i].code, false);
        plan_cap += index == OMS_NONE ? 0 : rp->lists[index].count;
    }
    struct cancel_plan *plan = cli_xcalloc(plan_cap, sizeof *plan);
    size_t plan_count = 0;
    for (size_t i = 0; ok && i < inv->count; i++) {
        const struct invoice_row *r = &inv->rows[i];
        if (r->klass != UCI_CANCEL) continue;
        oms_qty want = -r->qty;
        rp->stats.cancel_lines++;
        rp->stats.cancel_units += (uint64_t)want;
        if (!inv->customer[0]) {
            rp->stats.cancel_no_customer += (uint64_t)want;
            continue;
        }
        uint32_t index = list_for(rp, inv->customer, r->code, false);
        oms_qty left = index == OMS_NONE ? want
                                         : match_list(rp, &rp->lists[index], want, queries,
                                                      query_of, plan, &plan_count);
        rp->stats.cancel_no_order += (uint64_t)left;
    }
    if (ok) ok = submit_cancels(rp, plan, plan_count, inv->at_ms);
    free(plan);
    free(queries);
    free(query_of);
    return ok;
}

/* --- Write-offs --- */

struct level_info {
    char code[OMS_CODE_BYTES_MAX];
    bool in_region;
    int32_t priority;
    oms_qty on_hand;
};

struct level_read {
    const char *sku, *region;
    bool found;
    uint32_t count;
    struct level_info levels[OMS_LOCATIONS_MAX];
};

static void read_levels(void *ctx, const struct oms_state *state)
{
    struct level_read *read = ctx;
    uint32_t item = oms_state_item(state, read->sku);
    read->found = item != OMS_NONE;
    read->count = 0;
    for (uint32_t l = 0; read->found && l < state->locations_count; l++) {
        const struct oms_location *loc = &state->locations[l];
        snprintf(read->levels[l].code, sizeof read->levels[l].code, "%s", loc->code);
        read->levels[l].in_region = strcmp(loc->region, read->region) == 0;
        read->levels[l].priority = loc->priority;
        read->levels[l].on_hand = state->items[item].levels[l].on_hand;
        read->count++;
    }
}

/* The next location to write off from: in the region first, then priority, then code. */
static int next_level(const struct level_read *read, const bool *used)
{
    int best = -1;
    for (uint32_t l = 0; l < read->count; l++) {
        if (used[l]) continue;
        if (best < 0) {
            best = (int)l;
            continue;
        }
        const struct level_info *a = &read->levels[l], *b = &read->levels[best];
        if (a->in_region != b->in_region ? a->in_region
            : a->priority != b->priority ? a->priority < b->priority
                                         : strcmp(a->code, b->code) < 0) {
            best = (int)l;
        }
    }
    return best;
}

static bool write_off(struct replay *rp, const struct invoice *inv, const struct invoice_row *r)
{
    struct level_read read = {.sku = r->code, .region = uci_region(inv->country)};
    if (cli_read(rp->engine, read_levels, &read) != OMS_OK) return false;
    oms_qty left = -r->qty;
    bool used[OMS_LOCATIONS_MAX] = {false};
    for (int l; left > 0 && (l = next_level(&read, used)) >= 0;) {
        used[l] = true;
        oms_qty take = read.levels[l].on_hand < left ? read.levels[l].on_hand : left;
        if (take == 0) continue;
        struct simple_job *job = simple_job_new(rp, OMS_CMD_ADJUST, inv->at_ms);
        snprintf(job->sku, sizeof job->sku, "%s", r->code);
        snprintf(job->location, sizeof job->location, "%s", read.levels[l].code);
        job->cmd.u.adjust = (struct oms_cmd_adjust){
            .sku = job->sku, .location = job->location, .reason = "write-off", .delta = -take};
        left -= take;
        if (!cli_pipe_submit(&rp->pipe, &job->cmd)) return false;
    }
    rp->stats.written_off += (uint64_t)(-r->qty - left);
    rp->stats.not_written_off += (uint64_t)left;
    return true;
}

/* --- One invoice --- */

static void count_skipped(struct replay_stats *s, const char *code)
{
    s->skipped_lines++;
    for (size_t i = 0; i < s->skipped_count; i++) {
        if (strcmp(s->skipped[i].code, code) == 0) {
            s->skipped[i].lines++;
            return;
        }
    }
    s->skipped = cli_xrealloc(s->skipped, (s->skipped_count + 1) * sizeof *s->skipped);
    snprintf(s->skipped[s->skipped_count].code, sizeof s->skipped[0].code, "%s", code);
    s->skipped[s->skipped_count++].lines = 1;
}

static bool process_invoice(struct replay *rp, struct invoice *inv)
{
    struct replay_stats *s = &rp->stats;
    bool ok = flush_receipts(rp, inv->at_ms);
    s->invoices++;
    s->cancel_invoices += inv->cancel;
    for (size_t i = 0; i < inv->count; i++) {
        const struct invoice_row *r = &inv->rows[i];
        if (r->klass == UCI_SKIPPED) count_skipped(s, r->code);
        s->other_lines += r->klass == UCI_OTHER;
        if (r->klass != UCI_WRITEOFF) continue;
        s->writeoff_lines++;
        s->writeoff_units += (uint64_t)-r->qty;
    }
    if (ok && inv->cancel) ok = process_cancels(rp, inv);
    if (ok && !inv->cancel) ok = submit_order(rp, inv);
    for (size_t i = 0; ok && i < inv->count; i++) {
        if (inv->rows[i].klass == UCI_WRITEOFF) ok = write_off(rp, inv, &inv->rows[i]);
    }
    invoice_close(inv);
    return ok;
}

/* --- Before anything is submitted --- */

struct id_set {
    char **ids;
    size_t count, cap;
    struct oms_strmap map;
};

/* Pass 1: every row is valid and in time order; each invoice's rows are consecutive; no order
 * has more lines than the engine takes. Collects the order ids. */
static bool check_history(struct replay *rp, struct uci_reader *reader, struct id_set *ids)
{
    struct cli_errors errors = {0};
    struct uci_row row;
    char current[OMS_ID_BYTES_MAX] = "";
    uint64_t lines = 0;
    int rc;
    while ((rc = uci_next(reader, &row, &errors)) != 0) {
        if (rc < 0) {
            if (row.invoice[0]) snprintf(current, sizeof current, "%s", row.invoice);
            continue;
        }
        if (rp->stats.rows++ == 0) rp->stats.first_at_ms = row.at_ms;
        rp->stats.last_at_ms = row.at_ms;
        if (strcmp(current, row.invoice) != 0) {
            snprintf(current, sizeof current, "%s", row.invoice);
            lines = 0;
            char id[OMS_ID_BYTES_MAX];
            snprintf(id, sizeof id, "UCI-%s", row.invoice);
            uint32_t seen;
            if (oms_strmap_get(&ids->map, id, &seen)) {
                cli_error(&errors, "row %llu, column InvoiceNo: invoice %s appeared before, "
                          "its rows must be consecutive", (unsigned long long)row.row, row.invoice);
                continue;
            }
            if (ids->count == ids->cap) {
                ids->cap = ids->cap ? ids->cap * 2 : 1024;
                ids->ids = cli_xrealloc(ids->ids, ids->cap * sizeof *ids->ids);
            }
            ids->ids[ids->count] = cli_xstrdup(id);
            oms_strmap_put(&ids->map, ids->ids[ids->count], (uint32_t)ids->count);
            ids->count++;
        }
        if (row.klass == UCI_SALE && ++lines == OMS_LINES_PER_ORDER_MAX + 1) {
            cli_error(&errors, "row %llu: invoice %s has more than %d lines (lines_per_order_max)",
                      (unsigned long long)row.row, row.invoice, OMS_LINES_PER_ORDER_MAX);
        }
    }
    cli_errors_finish(&errors);
    if (errors.count > 0) {
        fprintf(stderr, "oms: %s: %llu problem%s; nothing was replayed\n", reader->path,
                (unsigned long long)errors.count, errors.count == 1 ? "" : "s");
    }
    return errors.count == 0;
}

struct precheck {
    const char *channels[2];
    bool channel_ok[2];
    const struct id_set *ids;
    size_t existing;
    const char *first_existing;
};

static void read_precheck(void *ctx, const struct oms_state *state)
{
    struct precheck *p = ctx;
    for (int i = 0; i < 2; i++) {
        p->channel_ok[i] = oms_state_channel(state, p->channels[i]) != OMS_NONE;
    }
    for (size_t i = 0; i < p->ids->count; i++) {
        if (oms_state_order(state, p->ids->ids[i]) == OMS_NONE) continue;
        if (p->existing++ == 0) p->first_existing = p->ids->ids[i];
    }
}

static bool check_engine(struct replay *rp, const struct id_set *ids)
{
    struct precheck p = {.channels = {rp->options->channel_uk, rp->options->channel_other},
                         .ids = ids};
    if (cli_read(rp->engine, read_precheck, &p) != OMS_OK) return false;
    bool ok = true;
    for (int i = 0; i < 2; i++) {
        if (p.channel_ok[i] || (i == 1 && strcmp(p.channels[0], p.channels[1]) == 0)) continue;
        fprintf(stderr, "oms: no channel '%s' in the database (create it first)\n", p.channels[i]);
        ok = false;
    }
    if (p.existing > 0) {
        fprintf(stderr, "oms: %zu orders of this history exist already (first: '%s'): was it "
                "replayed before? nothing was replayed\n", p.existing, p.first_existing);
        ok = false;
    }
    return ok;
}

/* --- The run --- */

static bool stream(struct replay *rp, struct uci_reader *reader)
{
    struct cli_progress progress;
    cli_progress_init(&progress, "replay", rp->stats.rows);
    struct cli_errors errors = {0};
    struct invoice inv = {0};
    struct uci_row row;
    bool ok = true;
    int rc;
    while (ok && (rc = uci_next(reader, &row, &errors)) != 0) {
        if (rc < 0) {
            ok = false; /* The file changed since the checking pass. */
            break;
        }
        if (inv.open && strcmp(inv.id, row.invoice) != 0) ok = process_invoice(rp, &inv);
        invoice_add(&inv, &row);
        cli_progress_update(&progress, row.row);
    }
    if (ok && inv.open) ok = process_invoice(rp, &inv);
    if (inv.open) invoice_close(&inv);
    free(inv.rows);
    cli_pipe_drain(&rp->pipe);
    cli_progress_end(&progress);
    const struct replay_options *o = rp->options;
    for (size_t i = rp->next_receipt; i < o->receipts_count; i++) {
        if (o->receipts[i].delay) continue;
        rp->stats.receipts_left++;
        rp->stats.receipts_left_units += (uint64_t)o->receipts[i].qty;
    }
    return ok;
}

static void replay_free(struct replay *rp)
{
    for (uint32_t i = 0; i < rp->order_ids_count; i++) free(rp->order_ids[i]);
    for (uint32_t i = 0; i < rp->lists_count; i++) {
        free(rp->lists[i].items);
        free(rp->list_keys[i]);
    }
    free(rp->order_ids);
    free(rp->lists);
    free(rp->list_keys);
    free(rp->candidates);
    oms_strmap_release(&rp->list_by_key);
    free(rp->stats.skipped);
    free(rp->tally.leads);
    free(rp->tally.orders_placed);
    free(rp->tally.filled);
    free(rp->tally.was_backordered);
    cli_pipe_release(&rp->pipe);
    free(rp);
}

static void id_set_release(struct id_set *ids)
{
    for (size_t i = 0; i < ids->count; i++) free(ids->ids[i]);
    free(ids->ids);
    oms_strmap_release(&ids->map);
}

/* Most lines first, then code. */
static int compare_skipped(const void *a, const void *b)
{
    const struct replay_code_count *x = a, *y = b;
    if (x->lines != y->lines) return x->lines > y->lines ? -1 : 1;
    return strcmp(x->code, y->code);
}

/* Prints, writes the JSON, and says whether everything held. */
static int finish(struct replay *rp, bool streamed)
{
    if (rp->stats.skipped_count > 1) {
        qsort(rp->stats.skipped, rp->stats.skipped_count, sizeof *rp->stats.skipped,
              compare_skipped);
    }
    struct replay_final final;
    bool checked = replay_final_check(rp, &final);
    replay_print(rp, &final, stdout);
    fflush(stdout);
    bool ok = streamed && checked && rp->pipe.failed == 0;
    if (rp->pipe.failed > 0) {
        fprintf(stderr, "oms: %llu commands failed:\n", (unsigned long long)rp->pipe.failed);
        cli_pipe_print_failures(&rp->pipe);
    }
    const char *json = rp->options->json_path;
    if (json && !replay_write_json(rp, &final, json)) ok = false;
    return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int replay_run(struct oms_engine *engine, const struct replay_options *options)
{
    struct replay *rp = cli_xcalloc(1, sizeof *rp);
    rp->engine = engine;
    rp->options = options;
    oms_strmap_init(&rp->list_by_key);
    cli_pipe_init(&rp->pipe, engine, CLI_WINDOW_DEFAULT);
    struct id_set ids = {0};
    oms_strmap_init(&ids.map);
    struct uci_reader reader;
    if (!uci_open(&reader, options->path)) {
        id_set_release(&ids);
        replay_free(rp);
        return CLI_EXIT_FAIL;
    }
    int64_t start = cli_monotonic_ms();
    bool ok = check_history(rp, &reader, &ids) && check_engine(rp, &ids) && uci_rewind(&reader);
    id_set_release(&ids);
    int status = CLI_EXIT_FAIL;
    if (ok) {
        bool streamed = stream(rp, &reader);
        rp->stats.elapsed_ms = cli_monotonic_ms() - start;
        status = finish(rp, streamed);
    }
    uci_close(&reader);
    replay_free(rp);
    return status;
}
