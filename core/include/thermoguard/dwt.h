/* ThermoGuard — discrete wavelet transforms (1-D and 2-D, single and multi-level), their
 * inverses and the adjoint of the forward transform, with PyWavelets 1.1.1 semantics:
 * same boundary modes, coefficient lengths (pywt.dwt_coeff_len), maximum level
 * (pywt.dwt_max_level) and coefficient values (pywt.wavedec / pywt.wavedec2).
 *
 * Non-finite input is not rejected by the transforms: NaN/Inf propagate by IEEE arithmetic
 * into the coefficients whose support contains them (callers that need finite data, like the
 * denoiser, check first).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_DWT_H
#define THERMOGUARD_DWT_H

#include <stddef.h>
#include "thermoguard/status.h"
#include "thermoguard/wavelet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Signal extension modes, numbered as pywt.Modes. */
typedef enum tg_dwt_mode {
    TG_MODE_ZERO = 0,
    TG_MODE_CONSTANT = 1,
    TG_MODE_SYMMETRIC = 2,     /* half-sample mirror (PyWavelets' default) */
    TG_MODE_PERIODIC = 3,
    TG_MODE_SMOOTH = 4,        /* first-derivative extrapolation */
    TG_MODE_PERIODIZATION = 5, /* ceil(N/2) coefficients, odd N padded by its last sample */
    TG_MODE_REFLECT = 6,       /* whole-sample mirror */
    TG_MODE_ANTISYMMETRIC = 7, /* half-sample anti-mirror */
    TG_MODE_ANTIREFLECT = 8    /* whole-sample point reflection */
} tg_dwt_mode;
#define TG_DWT_MODE_COUNT 9

/* Parses a PyWavelets mode name ("symmetric", ...); TG_ERR_NOTFOUND for unknown names. */
tg_status tg_dwt_mode_parse(const char *name, tg_dwt_mode *out);

/* PyWavelets name of a mode; "invalid" for out-of-range values. */
const char *tg_dwt_mode_name(tg_dwt_mode m);

/* Number of approximation (= detail) coefficients of one level for a signal of length n:
 * floor((n + F - 1) / 2), or ceil(n / 2) for periodization. 0 when n == 0 or F < 2. */
size_t tg_dwt_coeff_len(size_t n, int filter_len, tg_dwt_mode m);

/* Length of one inverse level from nc coefficients per band: 2nc - F + 2 (2nc for
 * periodization); 0 when that is not positive. */
size_t tg_idwt_len(size_t nc, int filter_len, tg_dwt_mode m);

/* pywt.dwt_max_level: floor(log2(n / (F - 1))), 0 when n < F - 1 or F < 2. */
int tg_dwt_max_level(size_t n, int filter_len);

/* ---- Single-level 1-D (any n >= 1, like pywt.dwt / pywt.idwt) ---- */

/* ca, cd receive tg_dwt_coeff_len(n) values each. TG_ERR_ARG for NULL pointers, n == 0 or an
 * invalid mode; TG_ERR_NOMEM. */
tg_status tg_dwt1_d(const double *x, size_t n, const tg_wavelet *w, tg_dwt_mode m, double *ca, double *cd);
tg_status tg_dwt1_f(const float *x, size_t n, const tg_wavelet *w, tg_dwt_mode m, float *ca, float *cd);

/* Inverse of one level; either ca or cd may be NULL (treated as zeros, as in pywt.idwt);
 * `out` receives tg_idwt_len(nc) values. TG_ERR_ARG when both are NULL or nc is too short. */
tg_status tg_idwt1_d(const double *ca, const double *cd, size_t nc, const tg_wavelet *w, tg_dwt_mode m,
                     double *out);
tg_status tg_idwt1_f(const float *ca, const float *cd, size_t nc, const tg_wavelet *w, tg_dwt_mode m,
                     float *out);

/* Adjoint of tg_dwt1: gx (n values) = D^T applied to (ga, gd), so that
 * <dwt1(x), (ga, gd)> = <x, gx>. Either ga or gd may be NULL (zeros). */
tg_status tg_dwt1_adjoint_d(const double *ga, const double *gd, size_t n, const tg_wavelet *w,
                            tg_dwt_mode m, double *gx);
tg_status tg_dwt1_adjoint_f(const float *ga, const float *gd, size_t n, const tg_wavelet *w,
                            tg_dwt_mode m, float *gx);

/* ---- Multi-level plans (1-D wavedec/waverec and 2-D wavedec2/waverec2) ---- */

#define TG_DWT_MAX_LEVELS 30

/* Where the coefficients live in one contiguous buffer, in pywt.wavedec2's list order:
 * the approximation at the coarsest level `levels`, then for k = levels .. 1 the detail bands
 * of level k (one band in 1-D; three bands H, V, D = pywt's cH, cV, cD in 2-D).
 * shape[k] = (rows, cols) of every band of level k; shape[0] = the input size. 1-D plans use
 * rows = 1. */
typedef struct tg_dwt_layout {
    int ndim;                /* 1 or 2 */
    int levels;
    int bands;               /* detail bands per level: 1 (1-D) or 3 (2-D) */
    size_t shape[TG_DWT_MAX_LEVELS + 1][2];
    size_t total;            /* coefficients in the whole buffer */
} tg_dwt_layout;

/* Offset of the approximation band (always 0) and of detail band `band` of level `level`
 * (1 = finest). Returns (size_t)-1 for out-of-range arguments. */
size_t tg_dwt_layout_offset(const tg_dwt_layout *l, int level, int band);

/* An opaque transform plan: wavelet, mode, sizes, precomputed boundary handling and a private
 * workspace. A plan is not thread-safe: use one per thread. */
typedef struct tg_dwt_plan tg_dwt_plan;

/* Pass as `levels` to use tg_dwt_max_level (at least 1). */
#define TG_DWT_LEVELS_MAX (-1)

/* Creates a plan. A single level is always allowed (as pywt.dwt/dwt2 do); more levels than
 * tg_dwt_max_level of the shortest axis is TG_ERR_RANGE. TG_ERR_ARG for NULL pointers, zero
 * sizes, levels < 1 other than TG_DWT_LEVELS_MAX, or an invalid mode; TG_ERR_OVERFLOW for
 * sizes whose buffers would overflow; TG_ERR_NOMEM. */
tg_status tg_dwt_plan_create_1d(tg_dwt_plan **out, const tg_wavelet *w, tg_dwt_mode m, size_t n, int levels);
tg_status tg_dwt_plan_create_2d(tg_dwt_plan **out, const tg_wavelet *w, tg_dwt_mode m, size_t rows,
                                size_t cols, int levels);

/* Frees a plan (NULL is fine). */
void tg_dwt_plan_destroy(tg_dwt_plan *p);

/* The plan's coefficient layout. */
const tg_dwt_layout *tg_dwt_plan_layout(const tg_dwt_plan *p);

/* Forward transform (wavedec / wavedec2): x has shape[0] elements (row-major), coeffs
 * layout->total. TG_ERR_ARG for NULL pointers. */
tg_status tg_dwt_forward_d(tg_dwt_plan *p, const double *x, double *coeffs);
tg_status tg_dwt_forward_f(tg_dwt_plan *p, const float *x, float *coeffs);

/* Inverse transform (waverec / waverec2), cropped to the original shape[0] (PyWavelets may
 * return one extra row/column for odd sizes; that extra sample is not produced). */
tg_status tg_dwt_inverse_d(tg_dwt_plan *p, const double *coeffs, double *x);
tg_status tg_dwt_inverse_f(tg_dwt_plan *p, const float *coeffs, float *x);

/* Adjoint of the forward transform: gx = W^T gcoeffs, so <W x, g> = <x, W^T g>.
 * Used to backpropagate through the DWT. */
tg_status tg_dwt_adjoint_d(tg_dwt_plan *p, const double *gcoeffs, double *gx);
tg_status tg_dwt_adjoint_f(tg_dwt_plan *p, const float *gcoeffs, float *gx);

/* Adjoint of the inverse transform: gcoeffs = (W^-1)^T gx, so <W^-1 c, g> = <c, W^-T g>.
 * Backpropagates through a reconstruction (e.g. the denoiser's). */
tg_status tg_dwt_inverse_adjoint_d(tg_dwt_plan *p, const double *gx, double *gcoeffs);
tg_status tg_dwt_inverse_adjoint_f(tg_dwt_plan *p, const float *gx, float *gcoeffs);

#ifdef __cplusplus
}
#endif
#endif
