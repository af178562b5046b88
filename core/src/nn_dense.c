/* Fully connected layer (torch.nn.Linear layout) on cblas_sgemm.
 * Legend: B batch, F input features, O output features.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/nn.h"

#include <cblas.h>

#include "nn_internal.h"

tg_status tg_dense_forward(float *out, const float *in, const float *w, const float *b, int B, int F, int O)
{
    static const char fn[] = "tg_dense_forward";
    size_t n;
    if (!out || !in || !w)
        return tg_nn_null(fn, !out ? "out" : !in ? "in" : "w");
    tg_status st;
    if ((st = tg_nn_count(fn, &n, B, F, 1, 1)) || (st = tg_nn_count(fn, &n, O, F, 1, 1)) ||
        (st = tg_nn_count(fn, &n, B, O, 1, 1)))
        return st;
    for (int bi = 0; bi < B; bi++)
        for (int o = 0; o < O; o++)
            out[(size_t)bi * O + o] = b ? b[o] : 0.0f;
    /* out [B, O] += in [B, F] * w^T [F, O] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, O, F, 1.0f, in, F, w, F, 1.0f, out, O);
    return TG_OK;
}

tg_status tg_dense_backward(float *din, float *dw, float *db, const float *dout, const float *in, const float *w,
                            int B, int F, int O)
{
    static const char fn[] = "tg_dense_backward";
    size_t n;
    if (!dout || !in || !w)
        return tg_nn_null(fn, !dout ? "dout" : !in ? "in" : "w");
    tg_status st;
    if ((st = tg_nn_count(fn, &n, B, F, 1, 1)) || (st = tg_nn_count(fn, &n, O, F, 1, 1)) ||
        (st = tg_nn_count(fn, &n, B, O, 1, 1)))
        return st;
    if (din) /* din [B, F] += dout [B, O] * w [O, F] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, F, O, 1.0f, dout, O, w, F, 1.0f, din, F);
    if (dw) /* dw [O, F] += dout^T [O, B] * in [B, F] */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, O, F, B, 1.0f, dout, O, in, F, 1.0f, dw, F);
    if (db)
        for (int bi = 0; bi < B; bi++)
            for (int o = 0; o < O; o++)
                db[o] += dout[(size_t)bi * O + o];
    return TG_OK;
}
