/* TRADES and MART losses with their gradients w.r.t. clean and adversarial logits.
 * Legend: B = batch, K = classes, p = softmax(z) (clean), q = softmax(z') (adversarial).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/robust_loss.h"

#include <math.h>

#define TG_MAX_CLASSES 64

/* Validates the common arguments; labels are required when need_labels is set. */
static tg_status check(const float *z, const float *za, const int *y, int need_labels, int B, int K, float beta,
                       const char *fn)
{
    if (!z || !za || (need_labels && !y))
        return tg_fail(TG_ERR_ARG, "%s: NULL argument", fn);
    if (B < 1 || K < 2 || K > TG_MAX_CLASSES)
        return tg_fail(TG_ERR_ARG, "%s: batch %d / classes %d outside 1.. / 2..%d", fn, B, K, TG_MAX_CLASSES);
    if (!(beta >= 0.0f) || !isfinite(beta))
        return tg_fail(TG_ERR_ARG, "%s: beta %g must be finite and >= 0", fn, (double)beta);
    for (int b = 0; y && b < B; b++)
        if (y[b] < 0 || y[b] >= K)
            return tg_fail(TG_ERR_ARG, "%s: label %d of sample %d outside [0, %d)", fn, y[b], b, K);
    for (long i = 0; i < (long)B * K; i++)
        if (!isfinite(z[i]) || !isfinite(za[i]))
            return tg_fail(TG_ERR_NONFINITE, "%s: logit %ld is not finite", fn, i);
    return TG_OK;
}

/* p = softmax(z), logp = log softmax(z), in double. */
static void softmax(const float *z, int K, double *p, double *logp)
{
    double m = z[0], s = 0.0;
    for (int k = 1; k < K; k++)
        m = z[k] > m ? z[k] : m;
    for (int k = 0; k < K; k++)
        s += exp((double)z[k] - m);
    double ls = log(s);
    for (int k = 0; k < K; k++) {
        logp[k] = (double)z[k] - m - ls;
        p[k] = exp(logp[k]);
    }
}

tg_status tg_kl_loss(float *loss, const float *z_ref, const float *z, int B, int K, float *dz)
{
    tg_status st = check(z_ref, z, NULL, 0, B, K, 0.0f, "tg_kl_loss");
    if (st != TG_OK)
        return st;
    double total = 0.0, p[TG_MAX_CLASSES], lp[TG_MAX_CLASSES], q[TG_MAX_CLASSES], lq[TG_MAX_CLASSES];
    for (int b = 0; b < B; b++) {
        softmax(z_ref + (long)b * K, K, p, lp);
        softmax(z + (long)b * K, K, q, lq);
        for (int k = 0; k < K; k++) {
            total += p[k] > 0.0 ? p[k] * (lp[k] - lq[k]) : 0.0;
            if (dz)
                dz[(long)b * K + k] += (float)(q[k] - p[k]);
        }
    }
    if (loss)
        *loss = (float)total;
    return TG_OK;
}

tg_status tg_trades_loss(float *loss, const float *z, const float *z_adv, const int *labels, int B, int K, float beta,
                         float *dz, float *dz_adv)
{
    tg_status st = check(z, z_adv, labels, 1, B, K, beta, "tg_trades_loss");
    if (st != TG_OK)
        return st;
    double total = 0.0, p[TG_MAX_CLASSES], lp[TG_MAX_CLASSES], q[TG_MAX_CLASSES], lq[TG_MAX_CLASSES];
    const double inv = 1.0 / B;
    for (int b = 0; b < B; b++) {
        softmax(z + (long)b * K, K, p, lp);
        softmax(z_adv + (long)b * K, K, q, lq);
        int y = labels[b];
        double kl = 0.0;
        for (int k = 0; k < K; k++)
            kl += p[k] > 0.0 ? p[k] * (lp[k] - lq[k]) : 0.0;
        total += -lp[y] + beta * kl;
        for (int k = 0; k < K; k++) {
            /* d CE/dz = p - onehot; d KL/dz_k = p_k (log p_k - log q_k - KL); d KL/dz'_k = q_k - p_k */
            if (dz)
                dz[(long)b * K + k] += (float)(inv * (p[k] - (k == y) + beta * p[k] * (lp[k] - lq[k] - kl)));
            if (dz_adv)
                dz_adv[(long)b * K + k] += (float)(inv * beta * (q[k] - p[k]));
        }
    }
    if (loss)
        *loss = (float)(total * inv);
    return TG_OK;
}

tg_status tg_mart_loss(float *loss, const float *z, const float *z_adv, const int *labels, int B, int K, float beta,
                       float *dz, float *dz_adv)
{
    tg_status st = check(z, z_adv, labels, 1, B, K, beta, "tg_mart_loss");
    if (st != TG_OK)
        return st;
    const double eps = 1e-12, inv = 1.0 / B;
    double total = 0.0, p[TG_MAX_CLASSES], lp[TG_MAX_CLASSES], q[TG_MAX_CLASSES], lq[TG_MAX_CLASSES],
           a[TG_MAX_CLASSES], s[TG_MAX_CLASSES];
    for (int b = 0; b < B; b++) {
        softmax(z + (long)b * K, K, p, lp);
        softmax(z_adv + (long)b * K, K, q, lq);
        int y = labels[b], n = -1;
        for (int k = 0; k < K; k++) /* the most probable wrong class under attack */
            if (k != y && (n < 0 || q[k] > q[n]))
                n = k;
        double r = 1.0 / (1.0001 - q[n] + eps);
        double kle = 0.0, ssum = 0.0;
        for (int k = 0; k < K; k++) {
            a[k] = lp[k] - log(q[k] + eps);
            kle += p[k] > 0.0 ? p[k] * a[k] : 0.0;
            s[k] = p[k] * q[k] / (q[k] + eps);
            ssum += s[k];
        }
        double w = 1.0000001 - p[y];
        total += -lq[y] - log(1.0001 - q[n] + eps) + beta * kle * w;
        for (int k = 0; k < K; k++) {
            if (dz_adv) {
                double g = q[k] - (k == y);                 /* CE(z', y) */
                g += r * q[n] * ((k == n) - q[k]);          /* -log(1.0001 - q_n) */
                g += beta * w * (-s[k] + q[k] * ssum);      /* KL(p || q + eps) through q */
                dz_adv[(long)b * K + k] += (float)(inv * g);
            }
            if (dz) {
                double g = w * p[k] * (a[k] - kle) + kle * (-p[y] * ((k == y) - p[k]));
                dz[(long)b * K + k] += (float)(inv * beta * g);
            }
        }
    }
    if (loss)
        *loss = (float)(total * inv);
    return TG_OK;
}
