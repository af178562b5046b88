/* Audit summary from the per-image records: robust accuracy and flip counts per (threat,
 * budget, suite prefix) with Wilson intervals, minimal flipping perturbations, detector ROC.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

tg_audit_count tg_audit_wilson(size_t k, size_t n, double z)
{
    tg_audit_count c = {k, n, 0.0, 1.0};
    if (n == 0)
        return c;
    double nn = (double)n, p = (double)k / nn, z2 = z * z;
    double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
    double half = z / (1 + z2 / nn) * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    c.lo = centre - half < 0 ? 0 : centre - half;
    c.hi = centre + half > 1 ? 1 : centre + half;
    if (k == 0)
        c.lo = 0;
    if (k == n)
        c.hi = 1;
    return c;
}

void tg_audit_summary_free(tg_audit_summary *s)
{
    if (!s)
        return;
    free(s->points);
    for (int t = 0; t < TG_AUDIT_MAX_THREATS; t++) {
        free(s->min_linf_c[t]);
        free(s->roc[t]);
    }
    memset(s, 0, sizeof *s);
}

static int cmp_float(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

typedef struct scored {
    float score;
    int positive;
} scored;

static int cmp_scored_desc(const void *x, const void *y)
{
    float a = ((const scored *)x)->score, b = ((const scored *)y)->score;
    return (a < b) - (a > b);
}

/* ROC of the detector for threat t: negatives = clean inputs, positives = the flipping
 * adversarial input with the smallest L∞ per flipped image. One point per distinct score. */
static tg_status roc_of(const tg_audit *a, int t, tg_audit_summary *s)
{
    const tg_audit_config *cfg = &a->cfg;
    scored *v = malloc(2 * (a->n ? a->n : 1) * sizeof *v);
    if (!v)
        return tg_fail(TG_ERR_NOMEM, "audit: out of memory for the ROC");
    size_t n = 0, npos = 0, nneg = 0;
    for (size_t i = 0; i < a->n; i++) {
        const tg_audit_record *r = &a->rec[i];
        if (r->skipped)
            continue;
        v[n++] = (scored){r->clean_det_score, 0};
        nneg++;
        const tg_audit_cell *best = NULL;
        for (int b = 0; b < cfg->n_budgets; b++)
            for (int k = 0; k < cfg->n_attacks; k++) {
                const tg_audit_cell *c = &r->cells[tg_audit_cell_index(cfg, t, b, k)];
                if (c->state == TG_AUDIT_RUN && c->flipped && (!best || c->linf_c < best->linf_c))
                    best = c;
            }
        if (best) {
            v[n++] = (scored){best->det_score, 1};
            npos++;
        }
    }
    s->auc[t] = NAN;
    if (!npos || !nneg) {
        free(v);
        return TG_OK;
    }
    qsort(v, n, sizeof *v, cmp_scored_desc);
    tg_audit_roc *roc = malloc((n + 2) * sizeof *roc);
    if (!roc) {
        free(v);
        return tg_fail(TG_ERR_NOMEM, "audit: out of memory for the ROC");
    }
    size_t m = 0, tp = 0, fp = 0;
    double auc = 0, prev_fpr = 0, prev_tpr = 0;
    roc[m++] = (tg_audit_roc){INFINITY, 0, 0};
    for (size_t i = 0; i < n; i++) {
        tp += (size_t)v[i].positive;
        fp += (size_t)!v[i].positive;
        if (i + 1 < n && v[i + 1].score == v[i].score)
            continue;
        double fpr = (double)fp / (double)nneg, tpr = (double)tp / (double)npos;
        auc += (fpr - prev_fpr) * (tpr + prev_tpr) / 2;
        prev_fpr = fpr;
        prev_tpr = tpr;
        roc[m++] = (tg_audit_roc){v[i].score, fpr, tpr};
    }
    free(v);
    s->roc[t] = roc;
    s->n_roc[t] = m;
    s->auc[t] = auc;
    return TG_OK;
}

tg_status tg_audit_summarize(const tg_audit *a, tg_audit_summary *s)
{
    if (!a || !s)
        return tg_fail(TG_ERR_ARG, "tg_audit_summarize: NULL argument");
    memset(s, 0, sizeof *s);
    const tg_audit_config *cfg = &a->cfg;
    size_t correct = 0;
    for (size_t i = 0; i < a->n; i++) {
        const tg_audit_record *r = &a->rec[i];
        if (r->skipped) {
            s->n_skipped++;
            continue;
        }
        s->n_images++;
        if (r->label >= 0) {
            s->n_labelled++;
            correct += (size_t)(r->clean_verdict == r->label);
        }
        s->seconds += r->seconds;
    }
    s->has_labels = s->n_images > 0 && s->n_labelled == s->n_images;
    s->clean_correct = tg_audit_wilson(correct, s->n_labelled, 1.96);
    s->percent_ok = s->n_images >= cfg->min_images_for_percent;
    s->has_detector = a->use_detector;
    s->n_points = a->n_cells;
    s->points = calloc(a->n_cells, sizeof *s->points);
    if (!s->points)
        return tg_fail(TG_ERR_NOMEM, "audit: out of memory for the summary");
    for (int t = 0; t < cfg->n_threats; t++)
        for (int b = 0; b < cfg->n_budgets; b++) {
            size_t rk[TG_AUDIT_MAX_ATTACKS] = {0}, fk[TG_AUDIT_MAX_ATTACKS] = {0};
            size_t qk[TG_AUDIT_MAX_ATTACKS] = {0}, dk[TG_AUDIT_MAX_ATTACKS] = {0};
            tg_audit_point *pt = &s->points[tg_audit_cell_index(cfg, t, b, 0)];
            for (size_t i = 0; i < a->n; i++) {
                const tg_audit_record *r = &a->rec[i];
                if (r->skipped)
                    continue;
                int flipped = 0, surv = 0, det = 0;
                for (int k = 0; k < cfg->n_attacks; k++) {
                    const tg_audit_cell *c = &r->cells[tg_audit_cell_index(cfg, t, b, k)];
                    if (c->state == TG_AUDIT_RUN) {
                        pt[k].run++;
                        pt[k].run_flipped += (size_t)c->flipped;
                        if (c->flipped && !flipped) {
                            surv = c->survives_quant;
                            det = c->det_flag;
                        }
                        flipped |= c->flipped;
                    }
                    fk[k] += (size_t)flipped;
                    qk[k] += (size_t)(flipped && surv);
                    dk[k] += (size_t)(flipped && det);
                    rk[k] += (size_t)(r->label >= 0 && r->clean_verdict == r->label && !flipped);
                }
            }
            for (int k = 0; k < cfg->n_attacks; k++) {
                pt[k].threat = t;
                pt[k].budget = b;
                pt[k].attack = k;
                pt[k].robust = tg_audit_wilson(rk[k], s->n_labelled, 1.96);
                pt[k].flipped = tg_audit_wilson(fk[k], s->n_images, 1.96);
                pt[k].survives_quant = qk[k];
                pt[k].det_flagged = dk[k];
            }
        }
    tg_status st = TG_OK;
    for (int t = 0; t < cfg->n_threats && st == TG_OK; t++) {
        s->min_linf_c[t] = malloc((a->n ? a->n : 1) * sizeof(float));
        if (!s->min_linf_c[t]) {
            st = tg_fail(TG_ERR_NOMEM, "audit: out of memory for the summary");
            break;
        }
        for (size_t i = 0; i < a->n; i++)
            if (!a->rec[i].skipped && a->rec[i].min_linf_c[t] >= 0)
                s->min_linf_c[t][s->n_min[t]++] = a->rec[i].min_linf_c[t];
        qsort(s->min_linf_c[t], s->n_min[t], sizeof(float), cmp_float);
        if (a->use_detector)
            st = roc_of(a, t, s);
        else
            s->auc[t] = NAN;
    }
    if (st != TG_OK)
        tg_audit_summary_free(s);
    return st;
}
