/* Max, average and global average pooling (no padding, floor output size).
 * Legend: B batch, C channels, H x W input, R window, S stride, OH x OW output, N = H*W.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/nn.h"

#include "nn_internal.h"

static tg_status pool_check(const char *fn, const void *a, const void *b, int B, int C, int H, int W, int R,
                            int S, int *OH, int *OW)
{
    size_t n;
    if (!a || !b)
        return tg_nn_null(fn, "a buffer");
    tg_status st = tg_nn_count(fn, &n, B, C, H, W);
    if (st)
        return st;
    *OH = tg_nn_out_dim(H, R, S, 0);
    *OW = tg_nn_out_dim(W, R, S, 0);
    if (*OH <= 0 || *OW <= 0)
        return tg_fail(TG_ERR_ARG, "%s: window %d stride %d does not fit a %dx%d input", fn, R, S, H, W);
    return TG_OK;
}

/* Index (within one H x W plane) of the first maximum of the window at output (oh, ow). */
static size_t window_argmax(const float *x, int W, int R, int S, int oh, int ow)
{
    size_t best = (size_t)oh * S * W + (size_t)ow * S;
    for (int i = 0; i < R; i++)
        for (int j = 0; j < R; j++) {
            size_t k = (size_t)(oh * S + i) * W + (size_t)(ow * S + j);
            if (x[k] > x[best])
                best = k;
        }
    return best;
}

/* The common 2x2 stride-2 window: offset (0, 1, W or W+1) of the first maximum at (2 oh, 2 ow). */
static inline size_t argmax2(const float *r0, int W)
{
    size_t k = 0;
    float best = r0[0];
    if (r0[1] > best) {
        best = r0[1];
        k = 1;
    }
    if (r0[W] > best) {
        best = r0[W];
        k = (size_t)W;
    }
    if (r0[W + 1] > best)
        k = (size_t)W + 1;
    return k;
}

tg_status tg_maxpool_forward(float *out, const float *in, int B, int C, int H, int W, int R, int S)
{
    int OH, OW;
    tg_status st = pool_check("tg_maxpool_forward", out, in, B, C, H, W, R, S, &OH, &OW);
    if (st)
        return st;
    if (R == 2 && S == 2) {
        for (size_t bc = 0; bc < (size_t)B * C; bc++)
            for (int oh = 0; oh < OH; oh++) {
                const float *r0 = in + bc * H * W + (size_t)2 * oh * W, *r1 = r0 + W;
                float *y = out + bc * OH * OW + (size_t)oh * OW;
                for (int ow = 0; ow < OW; ow++) {
                    float a = r0[2 * ow] > r0[2 * ow + 1] ? r0[2 * ow] : r0[2 * ow + 1];
                    float b = r1[2 * ow] > r1[2 * ow + 1] ? r1[2 * ow] : r1[2 * ow + 1];
                    y[ow] = a > b ? a : b;
                }
            }
        return TG_OK;
    }
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        const float *x = in + bc * H * W;
        float *y = out + bc * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++)
                y[oh * OW + ow] = x[window_argmax(x, W, R, S, oh, ow)];
    }
    return TG_OK;
}

tg_status tg_maxpool_backward(float *din, const float *dout, const float *in, int B, int C, int H, int W, int R,
                              int S)
{
    int OH, OW;
    tg_status st = pool_check("tg_maxpool_backward", din, dout, B, C, H, W, R, S, &OH, &OW);
    if (st)
        return st;
    if (!in)
        return tg_nn_null("tg_maxpool_backward", "in");
    if (R == 2 && S == 2) {
        for (size_t bc = 0; bc < (size_t)B * C; bc++)
            for (int oh = 0; oh < OH; oh++) {
                size_t row = bc * H * W + (size_t)2 * oh * W;
                const float *g = dout + bc * OH * OW + (size_t)oh * OW;
                for (int ow = 0; ow < OW; ow++) {
                    size_t at = row + (size_t)2 * ow;
                    din[at + argmax2(in + at, W)] += g[ow];
                }
            }
        return TG_OK;
    }
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        const float *x = in + bc * H * W;
        const float *g = dout + bc * OH * OW;
        float *dx = din + bc * H * W;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++)
                dx[window_argmax(x, W, R, S, oh, ow)] += g[oh * OW + ow];
    }
    return TG_OK;
}

tg_status tg_avgpool_forward(float *out, const float *in, int B, int C, int H, int W, int R, int S)
{
    int OH, OW;
    tg_status st = pool_check("tg_avgpool_forward", out, in, B, C, H, W, R, S, &OH, &OW);
    if (st)
        return st;
    float scale = 1.0f / (float)(R * R);
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        const float *x = in + bc * H * W;
        float *y = out + bc * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float s = 0.0f;
                for (int i = 0; i < R; i++)
                    for (int j = 0; j < R; j++)
                        s += x[(size_t)(oh * S + i) * W + (size_t)(ow * S + j)];
                y[oh * OW + ow] = s * scale;
            }
    }
    return TG_OK;
}

tg_status tg_avgpool_backward(float *din, const float *dout, int B, int C, int H, int W, int R, int S)
{
    int OH, OW;
    tg_status st = pool_check("tg_avgpool_backward", din, dout, B, C, H, W, R, S, &OH, &OW);
    if (st)
        return st;
    float scale = 1.0f / (float)(R * R);
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        const float *g = dout + bc * OH * OW;
        float *dx = din + bc * H * W;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float v = g[oh * OW + ow] * scale;
                for (int i = 0; i < R; i++)
                    for (int j = 0; j < R; j++)
                        dx[(size_t)(oh * S + i) * W + (size_t)(ow * S + j)] += v;
            }
    }
    return TG_OK;
}

tg_status tg_gap_forward(float *out, const float *in, int B, int C, int N)
{
    size_t n;
    if (!out || !in)
        return tg_nn_null("tg_gap_forward", !out ? "out" : "in");
    tg_status st = tg_nn_count("tg_gap_forward", &n, B, C, N, 1);
    if (st)
        return st;
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        const float *x = in + bc * N;
        double s = 0.0;
        for (int i = 0; i < N; i++)
            s += x[i];
        out[bc] = (float)(s / N);
    }
    return TG_OK;
}

tg_status tg_gap_backward(float *din, const float *dout, int B, int C, int N)
{
    size_t n;
    if (!din || !dout)
        return tg_nn_null("tg_gap_backward", !din ? "din" : "dout");
    tg_status st = tg_nn_count("tg_gap_backward", &n, B, C, N, 1);
    if (st)
        return st;
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        float v = dout[bc] / (float)N;
        float *dx = din + bc * N;
        for (int i = 0; i < N; i++)
            dx[i] += v;
    }
    return TG_OK;
}
