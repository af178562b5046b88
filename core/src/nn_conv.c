/* 2-D convolution by im2col + cblas_sgemm, one GEMM per sample.
 * Legend: B batch, C in channels, H x W input, K out channels, R kernel, S stride, P padding,
 * OH x OW output, L = OH*OW output pixels, CRR = C*R*R rows of the column matrix.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/nn.h"

#include <cblas.h>
#include <limits.h>
#include <string.h>

#include "nn_internal.h"
#include "simd_clones.h"

/* Validates a conv call; fills the output size and the element counts of in/out/w. */
static tg_status conv_check(const char *fn, int B, int C, int H, int W, int K, int R, int S, int P, int *OH,
                            int *OW, size_t *n_in, size_t *n_out)
{
    size_t n_w;
    tg_status st = tg_nn_count(fn, n_in, B, C, H, W);
    if (st)
        return st;
    if ((st = tg_nn_count(fn, &n_w, K, C, R, R)))
        return st;
    *OH = tg_nn_out_dim(H, R, S, P);
    *OW = tg_nn_out_dim(W, R, S, P);
    if (*OH <= 0 || *OW <= 0)
        return tg_fail(TG_ERR_ARG, "%s: kernel %d stride %d padding %d does not fit a %dx%d input", fn, R, S, P,
                       H, W);
    if ((st = tg_nn_count(fn, n_out, B, K, *OH, *OW)))
        return st;
    /* BLAS dimensions are int */
    if ((size_t)*OH * (size_t)*OW > INT_MAX / (size_t)K || (size_t)C * R * R > INT_MAX / (size_t)K)
        return tg_fail(TG_ERR_OVERFLOW, "%s: GEMM dimensions exceed the BLAS int range", fn);
    return tg_conv2d_col_floats(C, H, W, R, S, P) ? TG_OK
                                                  : tg_fail(TG_ERR_OVERFLOW, "%s: column matrix overflows", fn);
}

size_t tg_conv2d_col_floats(int C, int H, int W, int R, int S, int P)
{
    int OH = tg_nn_out_dim(H, R, S, P), OW = tg_nn_out_dim(W, R, S, P);
    size_t n, bytes;
    if (OH <= 0 || OW <= 0 || tg_nn_count("conv2d", &n, C, R, R, OH) || tg_size_mul(n, (size_t)OW, &n, "conv2d") ||
        tg_size_mul(n, sizeof(float), &bytes, "conv2d"))
        return 0;
    return n;
}

/* Valid output columns [lo, hi) of kernel column kw for stride 1 (input column ow - P + kw). */
static void s1_range(int OW, int W, int P, int kw, int *lo, int *hi)
{
    int a = P - kw, b = W + P - kw;
    *lo = a < 0 ? 0 : (a > OW ? OW : a);
    *hi = b > OW ? OW : (b < *lo ? *lo : b);
}

/* col [CRR, L] from one sample in [C,H,W]; padding reads as zero. */
static void im2col(float *col, const float *in, int C, int H, int W, int R, int S, int P, int OH, int OW)
{
    size_t L = (size_t)OH * OW;
    for (int c = 0; c < C; c++)
        for (int kh = 0; kh < R; kh++)
            for (int kw = 0; kw < R; kw++) {
                float *row = col + ((size_t)(c * R + kh) * R + kw) * L;
                int lo, hi;
                s1_range(OW, W, P, kw, &lo, &hi);
                for (int oh = 0; oh < OH; oh++) {
                    int ih = oh * S - P + kh;
                    float *dst = row + (size_t)oh * OW;
                    if (ih < 0 || ih >= H) {
                        memset(dst, 0, sizeof(float) * (size_t)OW);
                        continue;
                    }
                    const float *src = in + ((size_t)c * H + ih) * W;
                    if (S == 1) {
                        memset(dst, 0, sizeof(float) * (size_t)lo);
                        memcpy(dst + lo, src + lo - P + kw, sizeof(float) * (size_t)(hi - lo));
                        memset(dst + hi, 0, sizeof(float) * (size_t)(OW - hi));
                    } else {
                        for (int ow = 0; ow < OW; ow++) {
                            int iw = ow * S - P + kw;
                            dst[ow] = (iw >= 0 && iw < W) ? src[iw] : 0.0f;
                        }
                    }
                }
            }
}

/* din [C,H,W] += the column gradient folded back (the adjoint of im2col). */
TG_SIMD_CLONES static void col2im_add(float *din, const float *col, int C, int H, int W, int R, int S, int P, int OH,
                                      int OW)
{
    size_t L = (size_t)OH * OW;
    for (int c = 0; c < C; c++)
        for (int kh = 0; kh < R; kh++)
            for (int kw = 0; kw < R; kw++) {
                const float *row = col + ((size_t)(c * R + kh) * R + kw) * L;
                int lo, hi;
                s1_range(OW, W, P, kw, &lo, &hi);
                for (int oh = 0; oh < OH; oh++) {
                    int ih = oh * S - P + kh;
                    if (ih < 0 || ih >= H)
                        continue;
                    const float *src = row + (size_t)oh * OW;
                    float *dst = din + ((size_t)c * H + ih) * W;
                    if (S == 1) {
                        float *d = dst - P + kw;
                        for (int ow = lo; ow < hi; ow++)
                            d[ow] += src[ow];
                    } else {
                        for (int ow = 0; ow < OW; ow++) {
                            int iw = ow * S - P + kw;
                            if (iw >= 0 && iw < W)
                                dst[iw] += src[ow];
                        }
                    }
                }
            }
}

tg_status tg_conv2d_forward(float *out, float *col, const float *in, const float *w, const float *b, int B,
                            int C, int H, int W, int K, int R, int S, int P)
{
    static const char fn[] = "tg_conv2d_forward";
    int OH, OW;
    size_t n_in, n_out;
    if (!out || !col || !in || !w)
        return tg_nn_null(fn, !out ? "out" : !col ? "col" : !in ? "in" : "w");
    tg_status st = conv_check(fn, B, C, H, W, K, R, S, P, &OH, &OW, &n_in, &n_out);
    if (st)
        return st;
    int L = OH * OW, CRR = C * R * R;
    for (int bi = 0; bi < B; bi++) {
        const float *x = in + (size_t)bi * C * H * W;
        float *y = out + (size_t)bi * K * L;
        im2col(col, x, C, H, W, R, S, P, OH, OW);
        for (int k = 0; k < K; k++) {
            float v = b ? b[k] : 0.0f;
            float *yk = y + (size_t)k * L;
            for (int i = 0; i < L; i++)
                yk[i] = v;
        }
        /* y [K, L] += w [K, CRR] * col [CRR, L] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, L, CRR, 1.0f, w, CRR, col, L, 1.0f, y, L);
    }
    return TG_OK;
}

tg_status tg_conv2d_backward(float *din, float *dw, float *db, float *col, const float *dout, const float *in,
                             const float *w, int B, int C, int H, int W, int K, int R, int S, int P)
{
    static const char fn[] = "tg_conv2d_backward";
    int OH, OW;
    size_t n_in, n_out;
    if (!col || !dout || !in || !w)
        return tg_nn_null(fn, !col ? "col" : !dout ? "dout" : !in ? "in" : "w");
    tg_status st = conv_check(fn, B, C, H, W, K, R, S, P, &OH, &OW, &n_in, &n_out);
    if (st)
        return st;
    int L = OH * OW, CRR = C * R * R;
    for (int bi = 0; bi < B; bi++) {
        const float *x = in + (size_t)bi * C * H * W;
        const float *g = dout + (size_t)bi * K * L;
        if (db)
            for (int k = 0; k < K; k++) {
                const float *gk = g + (size_t)k * L;
                float s = 0.0f;
                for (int i = 0; i < L; i++)
                    s += gk[i];
                db[k] += s;
            }
        if (dw) {
            /* dw [K, CRR] += g [K, L] * col^T [L, CRR] */
            im2col(col, x, C, H, W, R, S, P, OH, OW);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, CRR, L, 1.0f, g, L, col, L, 1.0f, dw, CRR);
        }
        if (din) {
            /* dcol [CRR, L] = w^T [CRR, K] * g [K, L], then folded back into din */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CRR, L, K, 1.0f, w, CRR, g, L, 0.0f, col, L);
            col2im_add(din + (size_t)bi * C * H * W, col, C, H, W, R, S, P, OH, OW);
        }
    }
    return TG_OK;
}
