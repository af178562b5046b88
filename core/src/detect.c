/* Feature-squeezing detector: scores and clean-data calibration.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tg_detector_default(tg_detector *d)
{
    memset(d, 0, sizeof *d);
    d->n = 2;
    d->sq[0].kind = TG_SQUEEZE_BITDEPTH;
    d->sq[0].bits = 5;
    d->sq[1].kind = TG_SQUEEZE_MEDIAN;
    d->sq[1].size = 3;
    d->threshold = 2.0; /* above the largest possible L1 distance of two distributions */
    d->target_fpr = 0.0;
}

tg_status tg_detector_check(const tg_detector *d)
{
    if (!d)
        return tg_fail(TG_ERR_ARG, "detector: NULL");
    if (d->n < 1 || d->n > TG_DETECTOR_MAX_SQUEEZERS)
        return tg_fail(TG_ERR_RANGE, "detector: %d squeezers (1..%d)", d->n, TG_DETECTOR_MAX_SQUEEZERS);
    for (int i = 0; i < d->n; i++) {
        tg_status st = tg_squeezer_check(&d->sq[i]);
        if (st != TG_OK) {
            char why[256];
            snprintf(why, sizeof why, "%s", tg_last_error());
            return tg_fail(st, "detector squeezer %d: %s", i, why);
        }
    }
    if (!(d->threshold >= 0.0 && d->threshold <= 2.0))
        return tg_fail(TG_ERR_RANGE, "detector: threshold %g outside [0, 2]", d->threshold);
    if (d->calibrated != 0 && d->calibrated != 1)
        return tg_fail(TG_ERR_RANGE, "detector: calibrated must be 0 or 1, got %d", d->calibrated);
    if (d->calibrated ? !(d->target_fpr > 0.0 && d->target_fpr < 1.0) : !(d->target_fpr >= 0.0 && d->target_fpr < 1.0))
        return tg_fail(TG_ERR_RANGE, "detector: target_fpr %g outside %s", d->target_fpr,
                       d->calibrated ? "(0, 1)" : "[0, 1)");
    return TG_OK;
}

tg_status tg_detector_scores(tg_pipeline *p, const tg_detector *d, const float *raw, int batch, float *scores)
{
    if (!p || !d || !raw || !scores || batch < 1)
        return tg_fail(TG_ERR_ARG, "tg_detector_scores: NULL argument or empty batch");
    if (d->n < 1 || d->n > TG_DETECTOR_MAX_SQUEEZERS)
        return tg_fail(TG_ERR_ARG, "detector: %d squeezers (1..%d)", d->n, TG_DETECTOR_MAX_SQUEEZERS);
    const tg_pipeline_config *cfg = tg_pipeline_get_config(p);
    int K = tg_pipeline_get_net(p)->classes, mb = tg_pipeline_max_batch(p);
    size_t per = (size_t)cfg->in_c * (size_t)cfg->in_h * (size_t)cfg->in_w;
    float *sq, *pc, *ps;
    tg_status st = tg_alloc_checked((void **)&sq, (size_t)mb * per, sizeof *sq, 0, "detector buffer");
    if (st != TG_OK)
        return st;
    if ((st = tg_alloc_checked((void **)&pc, 2 * (size_t)mb * (size_t)K, sizeof *pc, 0, "detector probs")) != TG_OK) {
        free(sq);
        return st;
    }
    ps = pc + (size_t)mb * (size_t)K;
    for (int b0 = 0; b0 < batch && st == TG_OK; b0 += mb) {
        int nb = batch - b0 < mb ? batch - b0 : mb;
        const float *x = raw + (size_t)b0 * per;
        if ((st = tg_pipeline_predict(p, x, nb, pc)) != TG_OK)
            break;
        for (int b = 0; b < nb; b++)
            scores[b0 + b] = 0.0f;
        for (int s = 0; s < d->n && st == TG_OK; s++) {
            if ((st = tg_squeeze_raw(cfg, &d->sq[s], x, nb, sq)) != TG_OK ||
                (st = tg_pipeline_predict(p, sq, nb, ps)) != TG_OK)
                break;
            for (int b = 0; b < nb; b++) {
                float l1 = 0.0f;
                for (int k = 0; k < K; k++) {
                    float diff = pc[b * K + k] - ps[b * K + k];
                    l1 += diff < 0 ? -diff : diff;
                }
                if (l1 > scores[b0 + b])
                    scores[b0 + b] = l1;
            }
        }
    }
    free(sq);
    free(pc);
    return st;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

tg_status tg_detector_calibrate(tg_pipeline *p, tg_detector *d, const float *clean, int n, double fpr,
                                double *achieved)
{
    if (!p || !d || !clean)
        return tg_fail(TG_ERR_ARG, "tg_detector_calibrate: NULL argument");
    if (!(fpr > 0.0 && fpr < 1.0))
        return tg_fail(TG_ERR_RANGE, "detector calibration: false-positive rate %g outside (0, 1)", fpr);
    if (n < 20)
        return tg_fail(TG_ERR_RANGE, "detector calibration: %d clean samples; at least 20 are needed", n);
    float *s;
    tg_status st = tg_alloc_checked((void **)&s, (size_t)n, sizeof *s, 0, "detector scores");
    if (st != TG_OK)
        return st;
    if ((st = tg_detector_scores(p, d, clean, n, s)) != TG_OK) {
        free(s);
        return st;
    }
    qsort(s, (size_t)n, sizeof *s, cmp_float);
    int k = (int)(fpr * n); /* at most k samples may lie strictly above the threshold */
    d->threshold = s[n - 1 - k];
    int flagged = 0;
    for (int i = 0; i < n; i++)
        flagged += s[i] > d->threshold;
    d->target_fpr = fpr;
    d->calibrated = 1;
    if (achieved)
        *achieved = (double)flagged / n;
    free(s);
    return TG_OK;
}
