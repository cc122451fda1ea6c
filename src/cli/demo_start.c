/*
 * demo_start.c - derives the demo's starting position (demo.h; the rules are in docs/demo.md)
 * from one read of the UCI week and one of the SCMS lead/lateness table, submits it to the
 * engine, and lists the purchase orders' receipts for the replay. Every choice is a pure
 * function of the two files: sorting ties are broken by code, medians are lower medians of
 * integers, percentages round down, and the SCMS scaling rounds half away from zero.
 */
#include "base/platform.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/strmap.h"
#include "cli/common.h"
#include "cli/demo.h"
#include "cli/uci.h"
#include "core/calendar.h"

/* --- Reading the UCI week --- */

struct sku_table {
    struct demo_sku **skus;
    size_t count, cap;
    struct oms_strmap by_code; /* Keys are the records' own code arrays (stable: pointers). */
};

static struct demo_sku *sku_for(struct sku_table *t, const char *code)
{
    uint32_t index;
    if (oms_strmap_get(&t->by_code, code, &index)) return t->skus[index];
    if (t->count == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->skus = cli_xrealloc(t->skus, t->cap * sizeof *t->skus);
    }
    struct demo_sku *sku = cli_xcalloc(1, sizeof *sku);
    snprintf(sku->code, sizeof sku->code, "%s", code);
    t->skus[t->count] = sku;
    oms_strmap_put(&t->by_code, sku->code, (uint32_t)t->count++);
    return sku;
}

static void add_name(struct demo_sku *sku, const char *description)
{
    size_t start = strspn(description, " "), len = strlen(description + start);
    while (len > 0 && description[start + len - 1] == ' ') len--;
    if (len == 0) return;
    for (size_t i = 0; i < sku->names_count; i++) {
        if (strlen(sku->names[i].text) == len &&
            memcmp(sku->names[i].text, description + start, len) == 0) {
            sku->names[i].count++;
            return;
        }
    }
    sku->names = cli_xrealloc(sku->names, (sku->names_count + 1) * sizeof *sku->names);
    char *text = cli_xcalloc(len + 1, 1);
    memcpy(text, description + start, len);
    sku->names[sku->names_count++] = (struct demo_name){text, 1};
}

static void add_row(struct sku_table *t, const struct uci_row *row)
{
    struct demo_sku *sku = sku_for(t, row->code);
    add_name(sku, row->description);
    bool sale = row->klass == UCI_SALE;
    if (sale) {
        sku->demand += row->qty;
        sku->sale_lines++;
        if (!sku->sale_prices) sku->prices_count = 0; /* Sale prices replace the others. */
        sku->sale_prices = true;
    }
    if (!sale && sku->sale_prices) return;
    if (sku->prices_count == sku->prices_cap) {
        sku->prices_cap = sku->prices_cap ? sku->prices_cap * 2 : 8;
        sku->prices = cli_xrealloc(sku->prices, sku->prices_cap * sizeof *sku->prices);
    }
    sku->prices[sku->prices_count++] = row->price_minor;
}

static bool read_week(const char *path, struct demo_start *start, struct sku_table *t)
{
    struct uci_reader reader;
    if (!uci_open(&reader, path)) return false;
    struct cli_errors errors = {0};
    struct uci_row row;
    int rc;
    bool first = true;
    while ((rc = uci_next(&reader, &row, &errors)) != 0) {
        if (rc < 0) continue;
        if (first) {
            first = false;
            snprintf(start->first_invoice, sizeof start->first_invoice, "%s", row.invoice);
            start->week_start = cli_london_day(row.at_ms);
        }
        if (row.klass != UCI_SKIPPED) add_row(t, &row);
    }
    cli_errors_finish(&errors);
    uci_close(&reader);
    if (errors.count > 0 || first) {
        fprintf(stderr, "oms demo: %s: %s\n", path, first ? "no rows" : "cannot be used");
        return false;
    }
    return true;
}

/* --- The SCMS lead time and lateness table --- */

struct scms_table {
    int64_t *ids, *planned, *lateness;
    size_t count, cap;
};

static bool scms_row(struct scms_table *s, const struct oms_csv *csv, const int *cols)
{
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->ids = cli_xrealloc(s->ids, s->cap * sizeof *s->ids);
        s->planned = cli_xrealloc(s->planned, s->cap * sizeof *s->planned);
        s->lateness = cli_xrealloc(s->lateness, s->cap * sizeof *s->lateness);
    }
    for (int i = 0; i < 3; i++) {
        if ((uint32_t)cols[i] >= csv->fields_count) return false;
    }
    size_t k = s->count;
    if (!oms_parse_int64(csv->fields[cols[0]], 0, INT32_MAX, &s->ids[k]) ||
        !oms_parse_int64(csv->fields[cols[1]], -100000, 100000, &s->planned[k]) ||
        !oms_parse_int64(csv->fields[cols[2]], -100000, 100000, &s->lateness[k])) {
        return false;
    }
    s->count++;
    return true;
}

static bool read_scms(const char *path, struct scms_table *s)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "oms demo: cannot open '%s': %s\n", path, strerror(errno));
        return false;
    }
    struct oms_csv csv;
    oms_csv_init(&csv, file);
    int cols[3] = {-1, -1, -1};
    int rc = oms_csv_header(&csv);
    if (rc == 1) {
        cols[0] = oms_csv_column(&csv, "id");
        cols[1] = oms_csv_column(&csv, "planned_lead_days");
        cols[2] = oms_csv_column(&csv, "lateness_days");
    }
    bool ok = rc == 1 && cols[0] >= 0 && cols[1] >= 0 && cols[2] >= 0;
    while (ok && (rc = oms_csv_next(&csv)) != 0) {
        ok = rc == 1 && scms_row(s, &csv, cols);
        if (!ok) {
            fprintf(stderr, "oms demo: %s: row %llu: %s\n", path,
                    (unsigned long long)(csv.record_number - 1),
                    rc < 0 ? csv.error
                           : "expected whole numbers id,planned_lead_days,lateness_days");
        }
    }
    if (ok && s->count == 0) fprintf(stderr, "oms demo: %s: no rows\n", path);
    oms_csv_release(&csv);
    fclose(file);
    return ok && s->count > 0;
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Twice the median (the sum of the two middle values when the count is even). */
static int64_t median_x2(const int64_t *values, size_t count)
{
    int64_t *sorted = cli_xcalloc(count, sizeof *sorted);
    memcpy(sorted, values, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, compare_i64);
    int64_t m = count % 2 ? 2 * sorted[count / 2] : sorted[count / 2 - 1] + sorted[count / 2];
    free(sorted);
    return m;
}

/* days * DEMO_HORIZON_DAYS / median, rounded half away from zero. */
static int64_t scale_days(int64_t days, int64_t median2)
{
    int64_t num = days * 2 * DEMO_HORIZON_DAYS, mag = num < 0 ? -num : num;
    int64_t q = (2 * mag + median2) / (2 * median2);
    return num < 0 ? -q : q;
}

/* --- The rules --- */

static int64_t lower_median(int64_t *values, size_t count)
{
    qsort(values, count, sizeof *values, compare_i64);
    return values[(count - 1) / 2];
}

static const char *most_frequent_name(const struct demo_sku *sku)
{
    const struct demo_name *best = NULL;
    for (size_t i = 0; i < sku->names_count; i++) {
        const struct demo_name *n = &sku->names[i];
        if (!best || n->count > best->count ||
            (n->count == best->count && strcmp(n->text, best->text) < 0)) {
            best = n;
        }
    }
    return best ? best->text : sku->code;
}

static void apply_item_rules(struct demo_sku *sku, int64_t median_demand)
{
    size_t len = strlen(sku->code);
    bool letter = len > 0 && sku->code[len - 1] >= 'A' && sku->code[len - 1] <= 'Z';
    sku->name = most_frequent_name(sku);
    sku->price_minor = sku->prices_count ? lower_median(sku->prices, sku->prices_count) : 0;
    sku->policy = letter ? OMS_POLICY_DENY : OMS_POLICY_BACKORDER;
    sku->lead_time_days = letter                          ? -1
                          : sku->demand >= median_demand ? DEMO_LEAD_FAST_DAYS
                                                          : DEMO_LEAD_SLOW_DAYS;
    sku->backorder_limit = (sku->demand * DEMO_LIMIT_PERCENT + 99) / 100;
    oms_qty opening = sku->demand * DEMO_STOCK_PERCENT / 100;
    sku->stock_uk1 = opening * DEMO_UK1_PERCENT / 100;
    sku->stock_eu1 = opening - sku->stock_uk1;
}

static int compare_code(const void *a, const void *b)
{
    return strcmp(((const struct demo_sku *)a)->code, ((const struct demo_sku *)b)->code);
}

/* Demand, highest first; then code. */
static int compare_rank(const void *a, const void *b)
{
    const struct demo_sku *x = *(const struct demo_sku *const *)a;
    const struct demo_sku *y = *(const struct demo_sku *const *)b;
    if (x->demand != y->demand) return x->demand > y->demand ? -1 : 1;
    return strcmp(x->code, y->code);
}

static void plan_pos(struct demo_start *start, const struct scms_table *scms)
{
    const struct demo_sku **rank = cli_xcalloc(start->skus_count, sizeof *rank);
    for (size_t i = 0; i < start->skus_count; i++) rank[i] = &start->skus[i];
    qsort(rank, start->skus_count, sizeof *rank, compare_rank);
    start->pos = cli_xcalloc(DEMO_PO_SKUS, sizeof *start->pos);
    for (size_t k = 0; k < start->skus_count && k < DEMO_PO_SKUS; k++) {
        const struct demo_sku *sku = rank[k];
        if (sku->demand <= 0) break;
        size_t row = k % scms->count;
        struct demo_po *po = &start->pos[start->pos_count++];
        snprintf(po->id, sizeof po->id, "PO-%s", sku->code);
        po->sku = sku->code;
        po->qty = sku->demand * DEMO_PO_PERCENT / 100 > 0 ? sku->demand * DEMO_PO_PERCENT / 100 : 1;
        po->scms_id = scms->ids[row];
        po->planned_lead_days = scms->planned[row];
        po->lateness_days = scms->lateness[row];
        int64_t lead = scale_days(po->planned_lead_days, start->scms_median_x2);
        lead = lead < DEMO_PO_LEAD_MIN_DAYS ? DEMO_PO_LEAD_MIN_DAYS
             : lead > DEMO_PO_LEAD_MAX_DAYS ? DEMO_PO_LEAD_MAX_DAYS
                                            : lead;
        po->expected_day = start->week_start + (oms_day)lead;
        /* Lateness keeps its sign and, when the SCMS delivery was late or early at all, at
         * least one day: scaled like the lead time it would mostly round to zero. */
        int64_t late = scale_days(po->lateness_days, start->scms_median_x2);
        if (po->lateness_days != 0 && late == 0) late = po->lateness_days > 0 ? 1 : -1;
        int64_t receipt = (int64_t)po->expected_day + late;
        po->receipt_day = receipt < start->week_start ? start->week_start : (oms_day)receipt;
    }
    free(rank);
}

static void derive(struct demo_start *start, struct sku_table *t, const struct scms_table *scms)
{
    start->skus_count = t->count;
    start->skus = cli_xcalloc(t->count, sizeof *start->skus);
    for (size_t i = 0; i < t->count; i++) {
        start->skus[i] = *t->skus[i];
        free(t->skus[i]);
    }
    qsort(start->skus, start->skus_count, sizeof *start->skus, compare_code);
    int64_t *demands = cli_xcalloc(start->skus_count, sizeof *demands);
    size_t selling = 0;
    for (size_t i = 0; i < start->skus_count; i++) {
        if (start->skus[i].demand > 0) demands[selling++] = start->skus[i].demand;
    }
    start->median_demand = selling ? lower_median(demands, selling) : 0;
    free(demands);
    for (size_t i = 0; i < start->skus_count; i++) {
        apply_item_rules(&start->skus[i], start->median_demand);
    }
    int32_t y, m, d;
    oms_day_to_ymd(start->week_start, &y, &m, &d);
    start->start_ms = cli_london_to_utc_ms(y, m, d, 0, 0);
    start->scms_rows = scms->count;
    start->scms_median_x2 = median_x2(scms->planned, scms->count);
    plan_pos(start, scms);
}

bool demo_derive(const char *uci_path, const char *scms_path, struct demo_start *start)
{
    memset(start, 0, sizeof *start);
    struct sku_table t = {0};
    oms_strmap_init(&t.by_code);
    struct scms_table scms = {0};
    bool ok = read_week(uci_path, start, &t) && read_scms(scms_path, &scms);
    if (ok && median_x2(scms.planned, scms.count) <= 0) {
        fprintf(stderr, "oms demo: %s: the median planned lead is not positive\n", scms_path);
        ok = false;
    }
    oms_strmap_release(&t.by_code);
    if (ok) derive(start, &t, &scms);
    for (size_t i = 0; !ok && i < t.count; i++) {
        struct demo_sku *sku = t.skus[i];
        for (size_t k = 0; k < sku->names_count; k++) free(sku->names[k].text);
        free(sku->names);
        free(sku->prices);
        free(sku);
    }
    free(t.skus);
    free(scms.ids);
    free(scms.planned);
    free(scms.lateness);
    return ok;
}

void demo_start_release(struct demo_start *start)
{
    for (size_t i = 0; i < start->skus_count; i++) {
        struct demo_sku *sku = &start->skus[i];
        for (size_t k = 0; k < sku->names_count; k++) free(sku->names[k].text);
        free(sku->names);
        free(sku->prices);
    }
    free(start->skus);
    free(start->pos);
    memset(start, 0, sizeof *start);
}

/* --- Loading the position into the engine --- */

struct setup_job {
    struct oms_command cmd; /* First: done finds the job from the command. */
    struct cli_pipe *pipe;
    char what[OMS_ID_BYTES_MAX + 32];
};

static void setup_done(struct oms_command *cmd)
{
    struct setup_job *job = (struct setup_job *)cmd;
    oms_command_release(cmd);
    cli_pipe_done(job->pipe, job->what, cmd);
}

static const char *const demo_channel_locations[] = {"UK1", "EU1"};

/* The master data: two locations and one channel. Jobs 0..2. */
static void master_jobs(struct setup_job *jobs)
{
    jobs[0].cmd.kind = jobs[1].cmd.kind = OMS_CMD_PUT_LOCATION;
    uint32_t all = OMS_F_NAME | OMS_F_KIND | OMS_F_REGION | OMS_F_PRIORITY | OMS_F_TIMEZONE |
                   OMS_F_HANDLING | OMS_F_WORKING_DAYS;
    jobs[0].cmd.u.location = (struct oms_cmd_location){
        "UK1", all, "UK warehouse", OMS_LOCATION_WAREHOUSE, "UK", 1, "Europe/London", 1,
        OMS_WORKING_DAYS_MON_FRI};
    jobs[1].cmd.u.location = (struct oms_cmd_location){
        "EU1", all, "EU warehouse", OMS_LOCATION_WAREHOUSE, "EU", 2, "Europe/Amsterdam", 2,
        OMS_WORKING_DAYS_MON_FRI};
    jobs[2].cmd.kind = OMS_CMD_PUT_CHANNEL;
    jobs[2].cmd.u.channel = (struct oms_cmd_channel){
        .code = "web",
        .fields = OMS_F_NAME | OMS_F_LOCATIONS | OMS_F_ALLOW_BACKORDER | OMS_F_PRIORITY,
        .name = "web shop",
        .locations = demo_channel_locations,
        .locations_count = 2,
        .allow_backorder = true,
        .priority = 10,
    };
    snprintf(jobs[0].what, sizeof jobs[0].what, "location UK1");
    snprintf(jobs[1].what, sizeof jobs[1].what, "location EU1");
    snprintf(jobs[2].what, sizeof jobs[2].what, "channel web");
}

static void item_job(struct setup_job *job, const struct demo_sku *sku)
{
    job->cmd.kind = OMS_CMD_PUT_ITEM;
    job->cmd.u.item = (struct oms_cmd_item){
        .sku = sku->code,
        .fields = OMS_F_NAME | OMS_F_PRICE | OMS_F_CURRENCY | OMS_F_POLICY |
                  OMS_F_BACKORDER_LIMIT | OMS_F_LEAD_TIME,
        .name = sku->name,
        .price_minor = sku->price_minor,
        .currency = "GBP",
        .policy = sku->policy,
        .backorder_limit = sku->policy == OMS_POLICY_DENY ? -1 : sku->backorder_limit,
        .lead_time_days = sku->lead_time_days,
    };
    snprintf(job->what, sizeof job->what, "item %s", sku->code);
}

static void stock_job(struct setup_job *job, const char *sku, const char *location, oms_qty qty,
                      int64_t as_of_ms)
{
    job->cmd.kind = OMS_CMD_ADJUST;
    job->cmd.u.adjust = (struct oms_cmd_adjust){.sku = sku, .location = location,
                                                .reason = "demo opening stock", .is_set = true,
                                                .set = qty, .as_of_ms = as_of_ms};
    snprintf(job->what, sizeof job->what, "stock of %s at %s", sku, location);
}

static size_t build_jobs(const struct demo_start *start, struct setup_job *jobs)
{
    master_jobs(jobs);
    size_t n = 3;
    for (size_t i = 0; i < start->skus_count; i++) item_job(&jobs[n++], &start->skus[i]);
    for (size_t i = 0; i < start->skus_count; i++) {
        const struct demo_sku *sku = &start->skus[i];
        int64_t at = start->start_ms;
        if (sku->stock_uk1 > 0) stock_job(&jobs[n++], sku->code, "UK1", sku->stock_uk1, at);
        if (sku->stock_eu1 > 0) stock_job(&jobs[n++], sku->code, "EU1", sku->stock_eu1, at);
    }
    for (size_t i = 0; i < start->pos_count; i++) {
        const struct demo_po *po = &start->pos[i];
        jobs[n].cmd.kind = OMS_CMD_SUPPLY_CREATE;
        jobs[n].cmd.u.supply = (struct oms_cmd_supply){
            .id = po->id, .sku = po->sku, .location = "UK1", .qty = po->qty,
            .expected_day = po->expected_day};
        snprintf(jobs[n++].what, sizeof jobs[0].what, "purchase order %s", po->id);
    }
    return n;
}

bool demo_load(struct oms_engine *engine, const struct demo_start *start)
{
    size_t cap = 3 + 3 * start->skus_count + start->pos_count;
    struct setup_job *jobs = cli_xcalloc(cap, sizeof *jobs);
    size_t count = build_jobs(start, jobs);
    struct cli_pipe pipe;
    cli_pipe_init(&pipe, engine, CLI_WINDOW_DEFAULT);
    bool ok = true;
    for (size_t i = 0; ok && i < count; i++) {
        jobs[i].pipe = &pipe;
        jobs[i].cmd.at_ms = start->start_ms;
        jobs[i].cmd.done = setup_done;
        ok = cli_pipe_submit(&pipe, &jobs[i].cmd);
    }
    cli_pipe_drain(&pipe);
    if (pipe.failed > 0) {
        fprintf(stderr, "oms demo: %llu commands of the starting position failed:\n",
                (unsigned long long)pipe.failed);
        cli_pipe_print_failures(&pipe);
        ok = false;
    }
    cli_pipe_release(&pipe);
    free(jobs);
    return ok;
}

static int compare_receipt(const void *a, const void *b)
{
    const struct replay_receipt *x = a, *y = b;
    if (x->at_ms != y->at_ms) return x->at_ms < y->at_ms ? -1 : 1;
    return strcmp(x->supply_id, y->supply_id);
}

static int64_t demo_instant(oms_day day, int hour)
{
    int32_t y, m, d;
    oms_day_to_ymd(day, &y, &m, &d);
    return cli_london_to_utc_ms(y, m, d, hour, 0);
}

struct replay_receipt *demo_receipts(const struct demo_start *start, size_t *count,
                                     size_t *delays)
{
    /* Every PO is received on its real (scaled) date; a late one is first announced late by
     * its supplier, the day before it was expected (never before the week starts), so the
     * promises pegged to it move ahead of time, as they would with a real supplier. */
    struct replay_receipt *receipts = cli_xcalloc(2 * start->pos_count + 1, sizeof *receipts);
    size_t n = 0;
    *delays = 0;
    for (size_t i = 0; i < start->pos_count; i++) {
        const struct demo_po *po = &start->pos[i];
        struct replay_receipt *r = &receipts[n++];
        r->at_ms = demo_instant(po->receipt_day, DEMO_RECEIPT_HOUR);
        snprintf(r->supply_id, sizeof r->supply_id, "%s", po->id);
        r->qty = po->qty;
        if (po->receipt_day <= po->expected_day) continue;
        oms_day told = po->expected_day - 1 > start->week_start ? po->expected_day - 1
                                                                : start->week_start;
        r = &receipts[n++];
        r->at_ms = demo_instant(told, DEMO_RECEIPT_HOUR);
        snprintf(r->supply_id, sizeof r->supply_id, "%s", po->id);
        r->delay = true;
        r->new_expected_day = po->receipt_day;
        (*delays)++;
    }
    qsort(receipts, n, sizeof *receipts, compare_receipt);
    *count = n;
    return receipts;
}

void demo_print_start(const struct demo_start *start, FILE *out)
{
    size_t deny = 0, fast = 0, slow = 0, on_time = 0, late = 0, early = 0;
    oms_qty uk1 = 0, eu1 = 0, demand = 0, po_units = 0;
    for (size_t i = 0; i < start->skus_count; i++) {
        const struct demo_sku *s = &start->skus[i];
        deny += s->policy == OMS_POLICY_DENY;
        fast += s->lead_time_days == DEMO_LEAD_FAST_DAYS;
        slow += s->lead_time_days == DEMO_LEAD_SLOW_DAYS;
        uk1 += s->stock_uk1;
        eu1 += s->stock_eu1;
        demand += s->demand;
    }
    for (size_t i = 0; i < start->pos_count; i++) {
        const struct demo_po *po = &start->pos[i];
        po_units += po->qty;
        on_time += po->receipt_day == po->expected_day;
        late += po->receipt_day > po->expected_day;
        early += po->receipt_day < po->expected_day;
    }
    char day[11];
    oms_day_format(start->week_start, day);
    fprintf(out, "oms demo: starting position on %s 00:00 UK time (docs/demo.md)\n", day);
    fprintf(out, "  %-34s%zu (%zu deny, %zu backorder: %zu with lead time %d days, %zu with %d)\n",
            "items", start->skus_count, deny, fast + slow, fast, DEMO_LEAD_FAST_DAYS, slow,
            DEMO_LEAD_SLOW_DAYS);
    fprintf(out, "  %-34s%" PRId64 " units in UK1, %" PRId64 " in EU1 (%d%% of the week's %" PRId64
            " units ordered)\n", "opening stock", uk1, eu1, DEMO_STOCK_PERCENT, demand);
    fprintf(out, "  %-34s%zu to UK1, %" PRId64 " units; SCMS median planned lead %.1f days -> %d;"
            " %zu on time, %zu late, %zu early\n", "purchase orders", start->pos_count, po_units,
            (double)start->scms_median_x2 / 2.0, DEMO_HORIZON_DAYS, on_time, late, early);
}
