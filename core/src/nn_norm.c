/* Batch normalisation (train: batch statistics + running update; eval: running statistics).
 * Legend: B batch, C channels, N elements per channel per sample (H*W), M = B*N.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/nn.h"

#include <math.h>

#include "nn_internal.h"

tg_status tg_batchnorm_forward(float *out, float *mean, float *rstd, const float *in, const float *gamma,
                               const float *beta, float *run_mean, float *run_var, float momentum, float eps,
                               int train, int B, int C, int N)
{
    static const char fn[] = "tg_batchnorm_forward";
    size_t n;
    if (!out || !mean || !rstd || !in || !gamma || !beta)
        return tg_nn_null(fn, !out ? "out" : !mean ? "mean" : !rstd ? "rstd" : !in ? "in" : "gamma/beta");
    tg_status st = tg_nn_count(fn, &n, B, C, N, 1);
    if (st)
        return st;
    if (!(eps > 0.0f) || !(momentum >= 0.0f && momentum <= 1.0f))
        return tg_fail(TG_ERR_ARG, "%s: need eps > 0 and momentum in [0, 1]", fn);
    if (!train && (!run_mean || !run_var))
        return tg_fail(TG_ERR_ARG, "%s: eval mode needs running mean and variance", fn);
    if ((run_mean == NULL) != (run_var == NULL))
        return tg_fail(TG_ERR_ARG, "%s: give both running mean and variance or neither", fn);
    size_t M = (size_t)B * N;
    if (train && M < 2)
        return tg_fail(TG_ERR_ARG, "%s: training needs more than one value per channel", fn);
    size_t plane = (size_t)C * N;
    for (int c = 0; c < C; c++) {
        double mu, var;
        if (train) {
            double s = 0.0, q = 0.0;
            for (int b = 0; b < B; b++) {
                const float *x = in + b * plane + (size_t)c * N;
                for (int i = 0; i < N; i++)
                    s += x[i];
            }
            mu = s / (double)M;
            for (int b = 0; b < B; b++) {
                const float *x = in + b * plane + (size_t)c * N;
                for (int i = 0; i < N; i++)
                    q += (x[i] - mu) * (x[i] - mu);
            }
            var = q / (double)M;
            if (run_mean) {
                run_mean[c] = (float)((1.0 - momentum) * run_mean[c] + momentum * mu);
                run_var[c] = (float)((1.0 - momentum) * run_var[c] + momentum * var * (double)M / (double)(M - 1));
            }
        } else {
            mu = run_mean[c];
            var = run_var[c];
        }
        mean[c] = (float)mu;
        rstd[c] = (float)(1.0 / sqrt(var + eps));
        float a = gamma[c] * rstd[c], sh = beta[c] - a * mean[c];
        for (int b = 0; b < B; b++) {
            const float *x = in + b * plane + (size_t)c * N;
            float *y = out + b * plane + (size_t)c * N;
            for (int i = 0; i < N; i++)
                y[i] = a * x[i] + sh;
        }
    }
    return TG_OK;
}

tg_status tg_batchnorm_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                                const float *mean, const float *rstd, const float *gamma, int train, int B, int C,
                                int N)
{
    static const char fn[] = "tg_batchnorm_backward";
    size_t n;
    if (!dout || !in || !mean || !rstd || !gamma)
        return tg_nn_null(fn, !dout ? "dout" : !in ? "in" : !mean ? "mean" : !rstd ? "rstd" : "gamma");
    tg_status st = tg_nn_count(fn, &n, B, C, N, 1);
    if (st)
        return st;
    double M = (double)B * N;
    size_t plane = (size_t)C * N;
    for (int c = 0; c < C; c++) {
        double sdy = 0.0, sdyx = 0.0;
        float mu = mean[c], rs = rstd[c];
        for (int b = 0; b < B; b++) {
            const float *x = in + b * plane + (size_t)c * N;
            const float *g = dout + b * plane + (size_t)c * N;
            for (int i = 0; i < N; i++) {
                sdy += g[i];
                sdyx += g[i] * ((x[i] - mu) * rs);
            }
        }
        if (dgamma)
            dgamma[c] += (float)sdyx;
        if (dbeta)
            dbeta[c] += (float)sdy;
        if (!din)
            continue;
        float a = gamma[c] * rs;
        /* train: the statistics depend on the input, which removes the gradient's mean and its
         * projection on xhat; eval: a fixed affine map */
        float m1 = train ? (float)(sdy / M) : 0.0f, m2 = train ? (float)(sdyx / M) : 0.0f;
        for (int b = 0; b < B; b++) {
            const float *x = in + b * plane + (size_t)c * N;
            const float *g = dout + b * plane + (size_t)c * N;
            float *dx = din + b * plane + (size_t)c * N;
            for (int i = 0; i < N; i++)
                dx[i] += a * (g[i] - m1 - (x[i] - mu) * rs * m2);
        }
    }
    return TG_OK;
}
