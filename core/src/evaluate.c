/* Evaluation: binary metrics (confusion matrix, accuracy, sensitivity, specificity, rank AUC),
 * per-breast and per-patient (max over the patient's breasts) reports, per-group breakdown.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct scored {
    float score;
    int truth;
} scored;

static int cmp_score(const void *a, const void *b)
{
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x > y) - (x < y);
}

/* Mann-Whitney AUC: (sum of positive ranks - P(P+1)/2) / (P N), tied scores share their average
 * rank (so a tie between a positive and a negative counts 1/2). NaN when a class is missing. */
static tg_status rank_auc(const int *truth, const float *scores, size_t n, size_t pos, double *auc)
{
    size_t neg = n - pos;
    if (pos == 0 || neg == 0) {
        *auc = NAN;
        return TG_OK;
    }
    scored *v = malloc(n * sizeof *v);
    if (!v)
        return tg_fail(TG_ERR_NOMEM, "AUC: out of memory for %zu scores", n);
    for (size_t i = 0; i < n; i++)
        v[i] = (scored){scores[i], truth[i]};
    qsort(v, n, sizeof *v, cmp_score);
    double rank_sum = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        size_t tie_pos = 0;
        while (j < n && v[j].score == v[i].score)
            tie_pos += (size_t)v[j++].truth;
        double avg_rank = 0.5 * ((double)(i + 1) + (double)j); /* ranks i+1 .. j */
        rank_sum += avg_rank * (double)tie_pos;
        i = j;
    }
    free(v);
    *auc = (rank_sum - 0.5 * (double)pos * (double)(pos + 1)) / ((double)pos * (double)neg);
    return TG_OK;
}

tg_status tg_binary_metrics_compute(const int *truth, const float *scores, size_t n, double threshold,
                                    tg_binary_metrics *out)
{
    if (!truth || !scores || !out)
        return tg_fail(TG_ERR_ARG, "metrics: NULL argument");
    memset(out, 0, sizeof *out);
    if (n == 0)
        return tg_fail(TG_ERR_ARG, "metrics: no items to evaluate");
    for (size_t i = 0; i < n; i++) {
        if (truth[i] != 0 && truth[i] != 1)
            return tg_fail(TG_ERR_ARG, "metrics: item %zu has label %d, not 0/1", i, truth[i]);
        if (isnan(scores[i]))
            return tg_fail(TG_ERR_ARG, "metrics: item %zu has a NaN score", i);
    }
    tg_binary_metrics m = {0};
    m.n = n;
    for (size_t i = 0; i < n; i++) {
        int pred = (double)scores[i] >= threshold;
        if (truth[i])
            pred ? m.tp++ : m.fn++;
        else
            pred ? m.fp++ : m.tn++;
    }
    m.accuracy = (double)(m.tp + m.tn) / (double)n;
    m.sensitivity = m.tp + m.fn ? (double)m.tp / (double)(m.tp + m.fn) : NAN;
    m.specificity = m.tn + m.fp ? (double)m.tn / (double)(m.tn + m.fp) : NAN;
    tg_status st = rank_auc(truth, scores, n, m.tp + m.fn, &m.auc);
    if (st == TG_OK)
        *out = m;
    return st;
}

void tg_eval_report_destroy(tg_eval_report *r)
{
    if (!r)
        return;
    tg_breakdown_destroy(&r->groups);
    memset(r, 0, sizeof *r);
}

static tg_status set_fits(tg_pipeline *p, const tg_sample_set *set, const char *fn)
{
    if (!p || !set)
        return tg_fail(TG_ERR_ARG, "%s: NULL argument", fn);
    if (set->n == 0)
        return tg_fail(TG_ERR_ARG, "%s: the sample set is empty", fn);
    const tg_pipeline_config *c = tg_pipeline_get_config(p);
    if (set->c != c->in_c || set->h != c->in_h || set->w != c->in_w)
        return tg_fail(TG_ERR_ARG, "%s: samples are %d x %d x %d but the pipeline takes %d x %d x %d", fn, set->c,
                       set->h, set->w, c->in_c, c->in_h, c->in_w);
    if (tg_pipeline_get_net(p)->classes != 2)
        return tg_fail(TG_ERR_ARG, "%s: the network has %d classes, healthy/sick needs 2", fn,
                       tg_pipeline_get_net(p)->classes);
    return TG_OK;
}

tg_status tg_predict_set(tg_pipeline *p, const tg_sample_set *set, int batch, float *scores)
{
    tg_status st = set_fits(p, set, "tg_predict_set");
    if (st != TG_OK)
        return st;
    if (!scores || batch < 1)
        return tg_fail(TG_ERR_ARG, "tg_predict_set: NULL scores or batch %d < 1", batch);
    size_t per = (size_t)set->c * (size_t)set->h * (size_t)set->w;
    float probs[2 * 64];
    int chunk = batch < 64 ? batch : 64;
    for (size_t i = 0; i < set->n; i += (size_t)chunk) {
        int b = set->n - i < (size_t)chunk ? (int)(set->n - i) : chunk;
        if ((st = tg_pipeline_predict(p, set->raw + i * per, b, probs)) != TG_OK)
            return st;
        for (int k = 0; k < b; k++)
            scores[i + (size_t)k] = probs[2 * k + 1];
    }
    return TG_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Patient-level truth/score: max over each patient's samples. */
static tg_status patient_metrics(const tg_sample_set *set, const float *scores, double threshold,
                                 tg_binary_metrics *out)
{
    size_t n = set->n;
    const char **ids = malloc(n * sizeof *ids);
    int *truth = malloc(n * sizeof *truth);
    float *score = malloc(n * sizeof *score);
    tg_status st = TG_OK;
    if (!ids || !truth || !score) {
        st = tg_fail(TG_ERR_NOMEM, "evaluation: out of memory for %zu patients", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = set->patient[i];
    qsort(ids, n, sizeof *ids, cmp_str);
    size_t np = 0;
    for (size_t i = 0; i < n; i++)
        if (np == 0 || strcmp(ids[np - 1], ids[i]) != 0)
            ids[np++] = ids[i];
    for (size_t k = 0; k < np; k++) {
        truth[k] = 0;
        score[k] = -INFINITY;
    }
    for (size_t i = 0; i < n; i++) {
        const char *key = set->patient[i];
        const char **hit = bsearch(&key, ids, np, sizeof *ids, cmp_str);
        size_t k = (size_t)(hit - ids);
        truth[k] = truth[k] || set->labels[i];
        score[k] = scores[i] > score[k] ? scores[i] : score[k];
    }
    st = tg_binary_metrics_compute(truth, score, np, threshold, out);
done:
    free(ids);
    free(truth);
    free(score);
    return st;
}

tg_status tg_evaluate_scores(const tg_sample_set *set, const float *scores, double threshold, tg_eval_report *out)
{
    if (!set || !scores || !out)
        return tg_fail(TG_ERR_ARG, "tg_evaluate_scores: NULL argument");
    memset(out, 0, sizeof *out);
    if (set->n == 0)
        return tg_fail(TG_ERR_ARG, "tg_evaluate_scores: the sample set is empty");
    if (!(threshold >= 0.0 && threshold <= 1.0))
        return tg_fail(TG_ERR_ARG, "tg_evaluate_scores: threshold %g outside [0, 1]", threshold);
    tg_status st = tg_binary_metrics_compute(set->labels, scores, set->n, threshold, &out->breast);
    if (st == TG_OK)
        st = patient_metrics(set, scores, threshold, &out->patient);
    if (st != TG_OK) {
        memset(out, 0, sizeof *out);
        return st;
    }
    out->threshold = threshold;
    const char **keys = malloc(set->n * sizeof *keys);
    tg_label *truth = malloc(set->n * sizeof *truth), *pred = malloc(set->n * sizeof *pred);
    if (!keys || !truth || !pred) {
        st = tg_fail(TG_ERR_NOMEM, "tg_evaluate_scores: out of memory");
    } else {
        for (size_t i = 0; i < set->n; i++) {
            keys[i] = set->group[i][0] ? set->group[i] : "(none)";
            truth[i] = set->labels[i] ? TG_LABEL_SICK : TG_LABEL_HEALTHY;
            pred[i] = (double)scores[i] >= threshold ? TG_LABEL_SICK : TG_LABEL_HEALTHY;
        }
        st = tg_breakdown_compute(keys, truth, pred, set->n, &out->groups);
    }
    free(keys);
    free(truth);
    free(pred);
    if (st != TG_OK)
        memset(out, 0, sizeof *out);
    return st;
}

tg_status tg_evaluate(tg_pipeline *p, const tg_sample_set *set, double threshold, int batch, tg_eval_report *out)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "tg_evaluate: NULL report");
    memset(out, 0, sizeof *out);
    tg_status st = set_fits(p, set, "tg_evaluate");
    if (st != TG_OK)
        return st;
    float *scores = malloc(set->n * sizeof *scores);
    if (!scores)
        return tg_fail(TG_ERR_NOMEM, "tg_evaluate: out of memory for %zu scores", set->n);
    st = tg_predict_set(p, set, batch, scores);
    if (st == TG_OK)
        st = tg_evaluate_scores(set, scores, threshold, out);
    free(scores);
    return st;
}
