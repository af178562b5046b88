/* Patient-level train/validation/test splits and per-group breakdowns.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "thermoguard/rng.h"

void tg_split_opts_default(tg_split_opts *o)
{
    o->val_fraction = 0.15;
    o->test_fraction = 0.15;
    o->seed = 0;
}

const char *tg_split_set_name(tg_split_set s)
{
    switch (s) {
    case TG_SPLIT_TRAIN: return "train";
    case TG_SPLIT_VAL: return "validation";
    case TG_SPLIT_TEST: return "test";
    }
    return "unknown";
}

/* qsort has no context argument, so items are sorted as (key, index) pairs. */
typedef struct keyed {
    const char *key;
    size_t index;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Sorts item indices by key; the result groups equal keys together in a stable order. */
static tg_status sort_by_key(const char *const *keys, size_t n, keyed **out, const char *what)
{
    void *mem;
    tg_status st = tg_alloc_checked(&mem, n, sizeof(keyed), 0, what);
    if (st != TG_OK)
        return st;
    keyed *k = mem;
    for (size_t i = 0; i < n; i++) {
        if (!keys[i]) {
            free(k);
            return tg_fail(TG_ERR_ARG, "%s: item %zu has no key (NULL)", what, i);
        }
        k[i].key = keys[i];
        k[i].index = i;
    }
    qsort(k, n, sizeof *k, cmp_keyed);
    *out = k;
    return TG_OK;
}

tg_status tg_split_patients(const char *const *patient_ids, const tg_label *labels, size_t n,
                            const tg_split_opts *opts, tg_split_set *out)
{
    tg_split_opts def;
    if (!opts) {
        tg_split_opts_default(&def);
        opts = &def;
    }
    if (!patient_ids || !out || n == 0)
        return tg_fail(TG_ERR_ARG, "tg_split_patients: empty dataset or NULL argument");
    double fv = opts->val_fraction, ft = opts->test_fraction;
    if (!(fv >= 0.0 && ft >= 0.0 && fv + ft <= 1.0))
        return tg_fail(TG_ERR_ARG, "tg_split_patients: fractions val=%g test=%g must be >= 0 and sum to <= 1",
                       fv, ft);
    if (labels)
        for (size_t i = 0; i < n; i++)
            if (labels[i] != TG_LABEL_HEALTHY && labels[i] != TG_LABEL_SICK &&
                labels[i] != TG_LABEL_UNKNOWN)
                return tg_fail(TG_ERR_ARG, "tg_split_patients: item %zu has invalid label %d", i,
                               (int)labels[i]);
    keyed *k;
    tg_status st = sort_by_key(patient_ids, n, &k, "tg_split_patients");
    if (st != TG_OK)
        return st;
    /* Patients in id order: first sorted position and stratum (0 unknown, 1 healthy, 2 sick). */
    size_t *first = malloc(n * sizeof *first);
    int *stratum = malloc(n * sizeof *stratum);
    size_t *order = malloc(n * sizeof *order);
    if (!first || !stratum || !order) {
        free(k);
        free(first);
        free(stratum);
        free(order);
        return tg_fail(TG_ERR_NOMEM, "tg_split_patients: out of memory for %zu items", n);
    }
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(k[i].key, k[i - 1].key) != 0) {
            first[np] = i;
            stratum[np] = 0;
            np++;
        }
        int s = labels ? (int)labels[k[i].index] + 1 : 0;
        if (s > stratum[np - 1])
            stratum[np - 1] = s;
    }
    for (int s = 0; s < 3; s++) {
        size_t m = 0;
        for (size_t p = 0; p < np; p++)
            if (stratum[p] == s)
                order[m++] = p;
        if (m == 0)
            continue;
        tg_rng r;
        tg_rng_stream(&r, opts->seed, (uint64_t)s);
        for (size_t i = m - 1; i > 0; i--) {
            size_t j = (size_t)tg_rng_below(&r, (uint64_t)i + 1);
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        size_t n_test = (size_t)floor((double)m * ft + 0.5);
        size_t n_val = (size_t)floor((double)m * fv + 0.5);
        if (n_test > m)
            n_test = m;
        if (n_val > m - n_test)
            n_val = m - n_test;
        for (size_t i = 0; i < m; i++) {
            size_t p = order[i];
            tg_split_set set = i < n_test ? TG_SPLIT_TEST
                             : i < n_test + n_val ? TG_SPLIT_VAL : TG_SPLIT_TRAIN;
            size_t end = p + 1 < np ? first[p + 1] : n;
            for (size_t q = first[p]; q < end; q++)
                out[k[q].index] = set;
        }
    }
    free(k);
    free(first);
    free(stratum);
    free(order);
    return TG_OK;
}

/* ---- per-group breakdown ---- */

static void stats_add(tg_group_stats *g, tg_label truth, tg_label pred)
{
    g->count++;
    g->correct += truth == pred;
    if (truth == TG_LABEL_SICK)
        ++*(pred == TG_LABEL_SICK ? &g->tp : &g->fn);
    else
        ++*(pred == TG_LABEL_HEALTHY ? &g->tn : &g->fp);
}

static void stats_finish(tg_group_stats *g)
{
    g->accuracy = g->count ? (double)g->correct / (double)g->count : NAN;
    g->sensitivity = g->tp + g->fn ? (double)g->tp / (double)(g->tp + g->fn) : NAN;
    g->specificity = g->tn + g->fp ? (double)g->tn / (double)(g->tn + g->fp) : NAN;
}

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

tg_status tg_breakdown_compute(const char *const *keys, const tg_label *truth,
                               const tg_label *pred, size_t n, tg_breakdown *out)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "tg_breakdown_compute: NULL output");
    memset(out, 0, sizeof *out);
    if (!keys || !truth || !pred || n == 0)
        return tg_fail(TG_ERR_ARG, "tg_breakdown_compute: empty dataset or NULL argument");
    for (size_t i = 0; i < n; i++) {
        int ok_t = truth[i] == TG_LABEL_HEALTHY || truth[i] == TG_LABEL_SICK;
        int ok_p = pred[i] == TG_LABEL_HEALTHY || pred[i] == TG_LABEL_SICK;
        if (!ok_t || !ok_p)
            return tg_fail(TG_ERR_ARG, "tg_breakdown_compute: item %zu has %s label %d (need healthy or sick)",
                           i, ok_t ? "predicted" : "true", ok_t ? (int)pred[i] : (int)truth[i]);
    }
    keyed *k;
    tg_status st = sort_by_key(keys, n, &k, "tg_breakdown_compute");
    if (st != TG_OK)
        return st;
    size_t ng = 0;
    for (size_t i = 0; i < n; i++)
        ng += i == 0 || strcmp(k[i].key, k[i - 1].key) != 0;
    out->groups = calloc(ng, sizeof *out->groups);
    out->total.key = dup_string("all");
    if (!out->groups || !out->total.key) {
        free(k);
        tg_breakdown_destroy(out);
        return tg_fail(TG_ERR_NOMEM, "tg_breakdown_compute: out of memory for %zu groups", ng);
    }
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(k[i].key, k[i - 1].key) != 0) {
            tg_group_stats *g = &out->groups[out->n_groups++];
            g->key = dup_string(k[i].key);
            if (!g->key) {
                free(k);
                tg_breakdown_destroy(out);
                return tg_fail(TG_ERR_NOMEM, "tg_breakdown_compute: out of memory");
            }
        }
        size_t idx = k[i].index;
        stats_add(&out->groups[out->n_groups - 1], truth[idx], pred[idx]);
        stats_add(&out->total, truth[idx], pred[idx]);
    }
    free(k);
    for (size_t g = 0; g < out->n_groups; g++)
        stats_finish(&out->groups[g]);
    stats_finish(&out->total);
    return TG_OK;
}

void tg_breakdown_destroy(tg_breakdown *b)
{
    if (!b)
        return;
    for (size_t g = 0; g < b->n_groups; g++)
        free(b->groups[g].key);
    free(b->groups);
    free(b->total.key);
    memset(b, 0, sizeof *b);
}
