/* Element-wise activations (ReLU, LeakyReLU) and inverted dropout.
 * Legend: n elements; B batch, N elements per sample.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/nn.h"

#include <math.h>

#include "nn_internal.h"
#include "simd_clones.h"

static tg_status act_check(const char *fn, const void *a, const void *b, const void *c, size_t n)
{
    if (!a || !b || !c)
        return tg_nn_null(fn, "a buffer");
    if (n == 0)
        return tg_fail(TG_ERR_ARG, "%s: n must be > 0", fn);
    return TG_OK;
}

/* The ReLU loops (memory-bound on large activations): selects, not branches or conditional
 * loads, so both clones vectorise; the same bits in either. */
TG_SIMD_CLONES static void relu_fwd(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

TG_SIMD_CLONES static void relu_bwd(float *restrict din, const float *restrict dout, const float *restrict in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float g = dout[i];
        din[i] += in[i] > 0.0f ? g : 0.0f;
    }
}

tg_status tg_relu_forward(float *out, const float *in, size_t n)
{
    tg_status st = act_check("tg_relu_forward", out, in, in, n);
    if (st)
        return st;
    relu_fwd(out, in, n);
    return TG_OK;
}

tg_status tg_relu_backward(float *restrict din, const float *restrict dout, const float *restrict in, size_t n)
{
    tg_status st = act_check("tg_relu_backward", din, dout, in, n);
    if (st)
        return st;
    relu_bwd(din, dout, in, n);
    return TG_OK;
}

tg_status tg_leaky_relu_forward(float *out, const float *in, float slope, size_t n)
{
    tg_status st = act_check("tg_leaky_relu_forward", out, in, in, n);
    if (st)
        return st;
    if (!isfinite(slope))
        return tg_fail(TG_ERR_ARG, "tg_leaky_relu_forward: slope must be finite");
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : slope * in[i];
    return TG_OK;
}

tg_status tg_leaky_relu_backward(float *din, const float *dout, const float *in, float slope, size_t n)
{
    tg_status st = act_check("tg_leaky_relu_backward", din, dout, in, n);
    if (st)
        return st;
    if (!isfinite(slope))
        return tg_fail(TG_ERR_ARG, "tg_leaky_relu_backward: slope must be finite");
    for (size_t i = 0; i < n; i++) {
        float g = dout[i];
        din[i] += in[i] > 0.0f ? g : slope * g;
    }
    return TG_OK;
}

tg_status tg_dropout_forward(float *out, float *mask, const float *in, float p, uint64_t seed,
                             const uint64_t *ids, int B, int N)
{
    static const char fn[] = "tg_dropout_forward";
    size_t n;
    if (!out || !mask || !in)
        return tg_nn_null(fn, !out ? "out" : !mask ? "mask" : "in");
    tg_status st = tg_nn_count(fn, &n, B, N, 1, 1);
    if (st)
        return st;
    if (!(p >= 0.0f && p < 1.0f))
        return tg_fail(TG_ERR_ARG, "%s: p must be in [0, 1), got %g", fn, (double)p);
    float keep = 1.0f / (1.0f - p);
    for (int b = 0; b < B; b++) {
        tg_rng r;
        tg_rng_stream(&r, seed, ids ? ids[b] : (uint64_t)b);
        size_t o = (size_t)b * N;
        for (int i = 0; i < N; i++) {
            mask[o + i] = tg_rng_uniform(&r) < p ? 0.0f : keep;
            out[o + i] = in[o + i] * mask[o + i];
        }
    }
    return TG_OK;
}

tg_status tg_dropout_backward(float *din, const float *dout, const float *mask, int B, int N)
{
    static const char fn[] = "tg_dropout_backward";
    size_t n;
    if (!din || !dout || !mask)
        return tg_nn_null(fn, !din ? "din" : !dout ? "dout" : "mask");
    tg_status st = tg_nn_count(fn, &n, B, N, 1, 1);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++)
        din[i] += dout[i] * mask[i];
    return TG_OK;
}
