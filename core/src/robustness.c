/* One robustness-table cell: clean accuracy, attack under a threat model, robust accuracy,
 * flips, perturbation sizes in °C, detector rates.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/robustness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *tg_threat_name(tg_threat t)
{
    switch (t) {
    case TG_THREAT_TRANSFER: return "transfer";
    case TG_THREAT_ADAPTIVE: return "adaptive";
    case TG_THREAT_BLACKBOX: return "black-box";
    }
    return "invalid";
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static double median(float *v, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(v, n, sizeof *v, cmp_float);
    return n % 2 ? v[n / 2] : 0.5 * ((double)v[n / 2 - 1] + v[n / 2]);
}

/* The model's decision: two classes, class 1 when P(1) >= threshold (as tg_evaluate and the
 * node decide); otherwise the argmax of the probabilities. */
static int decide(const float *p, int K, double threshold)
{
    if (K == 2)
        return p[1] >= threshold;
    int best = 0;
    for (int k = 1; k < K; k++)
        if (p[k] > p[best])
            best = k;
    return best;
}

tg_status tg_robustness_run(tg_pipeline *target, double target_threshold, tg_pipeline *source,
                            double source_threshold, const tg_detector *det, const tg_sample_set *s,
                            const tg_attack_params *a, tg_threat t, int batch, tg_robust_cell *out,
                            const tg_progress *progress)
{
    if (!target || !s || !a || !out)
        return tg_fail(TG_ERR_ARG, "tg_robustness_run: NULL argument");
    if (!(target_threshold > 0.0 && target_threshold < 1.0) || !(source_threshold > 0.0 && source_threshold < 1.0))
        return tg_fail(TG_ERR_RANGE, "robustness: decision thresholds (target %g, source %g) must lie in (0, 1)",
                       target_threshold, source_threshold);
    if (t == TG_THREAT_TRANSFER && !source)
        return tg_fail(TG_ERR_ARG, "robustness: the transfer threat model needs a source pipeline");
    if (t == TG_THREAT_BLACKBOX && a->kind != TG_ATTACK_SQUARE)
        return tg_fail(TG_ERR_ARG, "robustness: the black-box threat model uses the Square attack, not %s",
                       tg_attack_name(a->kind));
    if (t != TG_THREAT_TRANSFER && t != TG_THREAT_ADAPTIVE && t != TG_THREAT_BLACKBOX)
        return tg_fail(TG_ERR_ARG, "robustness: invalid threat model %d", (int)t);
    tg_pipeline *attacker = t == TG_THREAT_TRANSFER ? source : target;
    const tg_pipeline_config *ct = tg_pipeline_get_config(target), *ca = tg_pipeline_get_config(attacker);
    if (s->n == 0 || s->c != ct->in_c || s->h != ct->in_h || s->w != ct->in_w || ca->in_c != ct->in_c ||
        ca->in_h != ct->in_h || ca->in_w != ct->in_w)
        return tg_fail(TG_ERR_ARG, "robustness: empty set or shapes differ (set %d x %d x %d, target %d x %d x %d)", s->c,
                       s->h, s->w, ct->in_c, ct->in_h, ct->in_w);
    if (batch < 1 || batch > tg_pipeline_max_batch(target) || batch > tg_pipeline_max_batch(attacker))
        return tg_fail(TG_ERR_ARG, "robustness: batch %d exceeds a pipeline's capacity", batch);
    const int K = tg_pipeline_get_net(target)->classes;
    if (K != 2 && (target_threshold != 0.5 || source_threshold != 0.5))
        return tg_fail(TG_ERR_ARG, "robustness: decision thresholds other than 0.5 need two classes, not %d", K);
    const size_t per = (size_t)s->c * (size_t)s->h * (size_t)s->w;
    float *adv = NULL, *probs = NULL, *linf = NULL, *l2 = NULL, *sc_clean = NULL, *sc_adv = NULL;
    int *pred_clean = NULL;
    tg_status st = tg_alloc_checked((void **)&adv, (size_t)batch * per, sizeof *adv, 0, "robustness batch");
    if (st == TG_OK)
        st = tg_alloc_checked((void **)&probs, (size_t)batch * (size_t)K, sizeof *probs, 0, "robustness probs");
    if (st == TG_OK)
        st = tg_alloc_checked((void **)&linf, 2 * s->n, sizeof *linf, 0, "robustness norms");
    if (st == TG_OK)
        st = tg_alloc_checked((void **)&sc_clean, 2 * (size_t)batch, sizeof *sc_clean, 0, "detector scores");
    if (st == TG_OK)
        st = tg_alloc_checked((void **)&pred_clean, (size_t)batch, sizeof *pred_clean, 0, "robustness predictions");
    l2 = linf ? linf + s->n : NULL;
    sc_adv = sc_clean ? sc_clean + batch : NULL;
    tg_robust_cell c;
    memset(&c, 0, sizeof c);
    size_t nflip = 0, det_flag_adv = 0, det_flag_clean = 0;
    tg_attack_result res;
    memset(&res, 0, sizeof res);
    if (st == TG_OK)
        st = tg_attack_result_init(&res, batch);
    for (size_t b0 = 0; st == TG_OK && b0 < s->n; b0 += (size_t)batch) {
        int nb = (int)((s->n - b0) < (size_t)batch ? s->n - b0 : (size_t)batch);
        const float *x = s->raw + b0 * per;
        const int *y = s->labels + b0;
        if ((st = tg_progress_report(progress, (double)b0 / (double)s->n, "robustness")) != TG_OK)
            break;
        if ((st = tg_pipeline_predict(target, x, nb, probs)) != TG_OK)
            break;
        for (int b = 0; b < nb; b++)
            pred_clean[b] = decide(probs + (size_t)b * (size_t)K, K, target_threshold);
        tg_attack_params ap = *a;
        ap.index_base = a->index_base + b0;
        ap.threshold = t == TG_THREAT_TRANSFER ? source_threshold : target_threshold;
        if (res.batch != nb) {
            tg_attack_result_free(&res);
            if ((st = tg_attack_result_init(&res, nb)) != TG_OK)
                break;
        }
        if ((st = tg_attack_run(attacker, &ap, x, y, nb, adv, &res, NULL)) != TG_OK)
            break;
        c.seconds += res.seconds;
        c.grad_evals += res.grad_evals;
        c.queries += res.queries;
        c.eps_c = res.eps_c;
        if ((st = tg_pipeline_predict(target, adv, nb, probs)) != TG_OK)
            break;
        if (det && ((st = tg_detector_scores(target, det, x, nb, sc_clean)) != TG_OK ||
                    (st = tg_detector_scores(target, det, adv, nb, sc_adv)) != TG_OK))
            break;
        for (int b = 0; b < nb; b++) {
            int ok_clean = pred_clean[b] == y[b];
            int ok_adv = decide(probs + (size_t)b * (size_t)K, K, target_threshold) == y[b];
            c.n++;
            c.clean_correct += (size_t)ok_clean;
            c.robust_correct += (size_t)(ok_clean && ok_adv); /* wrong when clean = wrong under attack */
            if (det)
                det_flag_clean += sc_clean[b] > det->threshold;
            if (ok_clean && !ok_adv) {
                linf[nflip] = res.linf_c[b];
                l2[nflip] = res.l2_c[b];
                nflip++;
                if (det)
                    det_flag_adv += sc_adv[b] > det->threshold;
            }
        }
    }
    if (st == TG_OK) {
        c.flipped = nflip;
        c.clean_acc = (double)c.clean_correct / (double)c.n;
        c.robust_acc = (double)c.robust_correct / (double)c.n;
        c.success_rate = c.clean_correct ? (double)nflip / (double)c.clean_correct : 0.0;
        c.median_linf_c = median(linf, nflip);
        c.median_l2_c = median(l2, nflip);
        c.detector_tpr = det && nflip ? (double)det_flag_adv / (double)nflip : NAN;
        c.detector_fpr = det ? (double)det_flag_clean / (double)c.n : NAN;
        *out = c;
        st = tg_progress_report(progress, 1.0, "robustness");
    }
    tg_attack_result_free(&res);
    free(adv);
    free(probs);
    free(linf);
    free(sc_clean);
    free(pred_clean);
    return st;
}
