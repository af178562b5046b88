/* Losses over logits: softmax cross-entropy, focal loss, margin. Computed in double.
 * Legend: B batch, K classes; z = logits [B,K], y = labels [B], w = class weights [K].
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/nn.h"

#include <math.h>

#include "nn_internal.h"

static tg_status loss_check(const char *fn, const float *z, const int *y, const float *w, int B, int K,
                            tg_reduction red)
{
    size_t n;
    if (!z || !y)
        return tg_nn_null(fn, !z ? "logits" : "labels");
    tg_status st = tg_nn_count(fn, &n, B, K, 1, 1);
    if (st)
        return st;
    if (red != TG_REDUCE_MEAN && red != TG_REDUCE_SUM)
        return tg_fail(TG_ERR_ARG, "%s: unknown reduction %d", fn, (int)red);
    for (int b = 0; b < B; b++)
        if (y[b] < 0 || y[b] >= K)
            return tg_fail(TG_ERR_ARG, "%s: label %d of sample %d is outside [0, %d)", fn, y[b], b, K);
    if (w)
        for (int k = 0; k < K; k++)
            if (!(w[k] >= 0.0f) || !isfinite(w[k]))
                return tg_fail(TG_ERR_ARG, "%s: class weight %d must be finite and >= 0", fn, k);
    return TG_OK;
}

/* p [K] = softmax(z); returns log p_y. */
static double softmax(double *p, const float *z, int K, int y)
{
    double m = z[0], s = 0.0;
    for (int k = 1; k < K; k++)
        m = z[k] > m ? z[k] : m;
    for (int k = 0; k < K; k++)
        s += (p[k] = exp((double)z[k] - m));
    for (int k = 0; k < K; k++)
        p[k] /= s;
    return (double)z[y] - m - log(s);
}

/* Normaliser of the reduction: sum of the labels' class weights (CE mean), B (other means), 1 (sum). */
static tg_status reduction_norm(const char *fn, double *norm, const int *y, const float *w, int B,
                                tg_reduction red, int weighted_mean)
{
    *norm = 1.0;
    if (red == TG_REDUCE_SUM)
        return TG_OK;
    if (!weighted_mean || !w) {
        *norm = B;
        return TG_OK;
    }
    double s = 0.0;
    for (int b = 0; b < B; b++)
        s += w[y[b]];
    if (!(s > 0.0))
        return tg_fail(TG_ERR_ARG, "%s: the batch's class weights sum to zero", fn);
    *norm = s;
    return TG_OK;
}

/* Softmax probabilities go to a stack buffer, which bounds the number of classes. */
#define LOSS_MAX_K 4096

static tg_status k_limit(const char *fn, int K)
{
    return K > LOSS_MAX_K ? tg_fail(TG_ERR_ARG, "%s: at most %d classes, got %d", fn, LOSS_MAX_K, K) : TG_OK;
}

tg_status tg_xent_forward(float *loss, float *losses, const float *logits, const int *labels,
                          const float *class_w, int B, int K, tg_reduction red)
{
    static const char fn[] = "tg_xent_forward";
    double norm, p[LOSS_MAX_K], total = 0.0;
    if (!loss)
        return tg_nn_null(fn, "loss");
    tg_status st = loss_check(fn, logits, labels, class_w, B, K, red);
    if (st || (st = k_limit(fn, K)) || (st = reduction_norm(fn, &norm, labels, class_w, B, red, 1)))
        return st;
    for (int b = 0; b < B; b++) {
        double l = -softmax(p, logits + (size_t)b * K, K, labels[b]);
        if (losses)
            losses[b] = (float)l;
        total += (class_w ? class_w[labels[b]] : 1.0) * l;
    }
    *loss = (float)(total / norm);
    return TG_OK;
}

tg_status tg_xent_backward(float *dlogits, float dloss, const float *logits, const int *labels,
                           const float *class_w, int B, int K, tg_reduction red)
{
    static const char fn[] = "tg_xent_backward";
    double norm, p[LOSS_MAX_K];
    if (!dlogits)
        return tg_nn_null(fn, "dlogits");
    tg_status st = loss_check(fn, logits, labels, class_w, B, K, red);
    if (st || (st = k_limit(fn, K)) || (st = reduction_norm(fn, &norm, labels, class_w, B, red, 1)))
        return st;
    for (int b = 0; b < B; b++) {
        int y = labels[b];
        softmax(p, logits + (size_t)b * K, K, y);
        double s = dloss * (class_w ? class_w[y] : 1.0) / norm;
        for (int k = 0; k < K; k++)
            dlogits[(size_t)b * K + k] += (float)(s * (p[k] - (k == y)));
    }
    return TG_OK;
}

tg_status tg_focal_forward(float *loss, float *losses, const float *logits, const int *labels,
                           const float *class_w, float gamma, int B, int K, tg_reduction red)
{
    static const char fn[] = "tg_focal_forward";
    double norm, p[LOSS_MAX_K], total = 0.0;
    if (!loss)
        return tg_nn_null(fn, "loss");
    if (!(gamma >= 0.0f) || !isfinite(gamma))
        return tg_fail(TG_ERR_ARG, "%s: gamma must be finite and >= 0", fn);
    tg_status st = loss_check(fn, logits, labels, class_w, B, K, red);
    if (st || (st = k_limit(fn, K)) || (st = reduction_norm(fn, &norm, labels, class_w, B, red, 0)))
        return st;
    for (int b = 0; b < B; b++) {
        int y = labels[b];
        double logp = softmax(p, logits + (size_t)b * K, K, y), q = 0.0;
        for (int k = 0; k < K; k++)
            q += k == y ? 0.0 : p[k];
        double l = -pow(q, gamma) * logp;
        if (losses)
            losses[b] = (float)l;
        total += (class_w ? class_w[y] : 1.0) * l;
    }
    *loss = (float)(total / norm);
    return TG_OK;
}

tg_status tg_focal_backward(float *dlogits, float dloss, const float *logits, const int *labels,
                            const float *class_w, float gamma, int B, int K, tg_reduction red)
{
    static const char fn[] = "tg_focal_backward";
    double norm, p[LOSS_MAX_K];
    if (!dlogits)
        return tg_nn_null(fn, "dlogits");
    if (!(gamma >= 0.0f) || !isfinite(gamma))
        return tg_fail(TG_ERR_ARG, "%s: gamma must be finite and >= 0", fn);
    tg_status st = loss_check(fn, logits, labels, class_w, B, K, red);
    if (st || (st = k_limit(fn, K)) || (st = reduction_norm(fn, &norm, labels, class_w, B, red, 0)))
        return st;
    for (int b = 0; b < B; b++) {
        int y = labels[b];
        double logp = softmax(p, logits + (size_t)b * K, K, y), q = 0.0;
        for (int k = 0; k < K; k++)
            q += k == y ? 0.0 : p[k];
        /* dl/dz_k = [gamma q^(gamma-1) p_y log p_y - q^gamma] (delta_ky - p_k), q = 1 - p_y taken as
         * the sum of the other classes for accuracy; p_y log p_y / q -> -1 as q -> 0. */
        double ratio = q > 0.0 ? p[y] * logp / q : -1.0;
        double c = gamma * pow(q, gamma) * ratio - pow(q, gamma);
        double s = dloss * (class_w ? class_w[y] : 1.0) / norm;
        for (int k = 0; k < K; k++)
            dlogits[(size_t)b * K + k] += (float)(s * c * ((k == y) - p[k]));
    }
    return TG_OK;
}

/* First index of the largest logit other than y. */
static int runner_up(const float *z, int K, int y)
{
    int best = y == 0 ? 1 : 0;
    for (int k = 0; k < K; k++)
        if (k != y && z[k] > z[best])
            best = k;
    return best;
}

tg_status tg_margin_forward(float *loss, float *losses, const float *logits, const int *labels, int B, int K,
                            tg_reduction red)
{
    static const char fn[] = "tg_margin_forward";
    double total = 0.0;
    if (!loss)
        return tg_nn_null(fn, "loss");
    tg_status st = loss_check(fn, logits, labels, NULL, B, K, red);
    if (st)
        return st;
    if (K < 2)
        return tg_fail(TG_ERR_ARG, "%s: needs at least 2 classes, got %d", fn, K);
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * K;
        double l = (double)z[labels[b]] - z[runner_up(z, K, labels[b])];
        if (losses)
            losses[b] = (float)l;
        total += l;
    }
    *loss = (float)(red == TG_REDUCE_MEAN ? total / B : total);
    return TG_OK;
}

tg_status tg_margin_backward(float *dlogits, float dloss, const float *logits, const int *labels, int B, int K,
                             tg_reduction red)
{
    static const char fn[] = "tg_margin_backward";
    if (!dlogits)
        return tg_nn_null(fn, "dlogits");
    tg_status st = loss_check(fn, logits, labels, NULL, B, K, red);
    if (st)
        return st;
    if (K < 2)
        return tg_fail(TG_ERR_ARG, "%s: needs at least 2 classes, got %d", fn, K);
    float s = red == TG_REDUCE_MEAN ? dloss / (float)B : dloss;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * K;
        dlogits[(size_t)b * K + labels[b]] += s;
        dlogits[(size_t)b * K + runner_up(z, K, labels[b])] -= s;
    }
    return TG_OK;
}
