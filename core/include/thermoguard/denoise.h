/* ThermoGuard — wavelet denoising (WBAD stage 1): noise estimate, per-subband thresholds,
 * soft/hard/garrote/firm shrinkage. Defaults equal skimage.restoration.denoise_wavelet
 * (scikit-image 0.19): db1, symmetric, BayesShrink, soft, levels = max(maxlevel - 3, 1),
 * sigma estimated from the finest diagonal band. The approximation band is never touched.
 * Unlike scikit-image, the output is not clipped to [0, 1]: clipping belongs to the caller.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_DENOISE_H
#define THERMOGUARD_DENOISE_H

#include <stddef.h>
#include "thermoguard/dwt.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tg_threshold_kind {
    TG_THRESH_SOFT = 0,    /* sign(x) max(|x| - T, 0) */
    TG_THRESH_HARD = 1,    /* x where |x| >= T, else 0 (pywt.threshold 'hard') */
    TG_THRESH_GARROTE = 2, /* x max(1 - T^2/x^2, 0) */
    TG_THRESH_FIRM = 3     /* pywt.threshold_firm(x, T, firm_ratio * T) */
} tg_threshold_kind;

typedef enum tg_shrink_rule {
    TG_SHRINK_BAYES = 0,   /* T = sigma^2 / sqrt(max(mean(d^2) - sigma^2, eps)) per subband */
    TG_SHRINK_VISU = 1     /* T = sigma sqrt(2 ln(rows*cols)), one value for all subbands */
} tg_shrink_rule;

/* Every parameter of the denoiser; fill with tg_denoise_params_default and change fields. */
typedef struct tg_denoise_params {
    char wavelet[16];           /* PyWavelets name, default "db1" */
    tg_dwt_mode mode;           /* default TG_MODE_SYMMETRIC */
    int levels;                 /* 0 = max(dwt_max_level - 3, 1) (scikit-image's choice) */
    tg_threshold_kind threshold;/* default soft */
    tg_shrink_rule rule;        /* default BayesShrink */
    double sigma;               /* noise standard deviation; <= 0 = estimate (default) */
    double firm_ratio;          /* firm thresholding's upper threshold / lower, > 1; default 2 */
} tg_denoise_params;

/* What the denoiser decided, for logs, reports and the SR. */
typedef struct tg_denoise_report {
    double sigma;                               /* used (estimated or given) */
    int levels;
    double threshold[TG_DWT_MAX_LEVELS + 1][3]; /* [level 1..levels][H, V, D] */
} tg_denoise_report;

/* The defaults above. */
void tg_denoise_params_default(tg_denoise_params *p);

/* Names: "soft", "hard", "garrote", "firm"; "BayesShrink", "VisuShrink". TG_ERR_NOTFOUND otherwise. */
tg_status tg_threshold_kind_parse(const char *name, tg_threshold_kind *out);
const char *tg_threshold_kind_name(tg_threshold_kind k);
tg_status tg_shrink_rule_parse(const char *name, tg_shrink_rule *out);
const char *tg_shrink_rule_name(tg_shrink_rule r);

/* Applies thresholding of the given kind to one value (the shrinkage function itself). */
double tg_threshold_apply(tg_threshold_kind k, double x, double t, double firm_ratio);

/* Derivative of that shrinkage function with respect to x (the subgradient 0 at the kinks). */
double tg_threshold_derivative(tg_threshold_kind k, double x, double t, double firm_ratio);

/* Robust noise estimate: median(|d|, zeros excluded) / Phi^-1(0.75), Phi^-1(0.75) =
 * 0.6744897501960817 (the exact constant scikit-image uses; 0.6745 rounded). 0 when every d
 * is 0. TG_ERR_ARG for NULL/empty, TG_ERR_NONFINITE for NaN/Inf, TG_ERR_NOMEM. */
tg_status tg_sigma_mad(const double *d, size_t n, double *sigma);

/* BayesShrink threshold of one subband for noise variance `var` (eps = DBL_EPSILON). */
double tg_bayes_threshold(const double *d, size_t n, double var);

/* Denoises a rows x cols image (row-major). `in` and `out` may be the same buffer. The input
 * must be finite: NaN/Inf gives TG_ERR_NONFINITE (naming the first bad pixel) and leaves `out`
 * untouched. TG_ERR_ARG for NULL pointers/zero sizes/invalid parameters, TG_ERR_NOTFOUND for an
 * unknown wavelet, TG_ERR_RANGE for more levels than the image allows. `report` may be NULL. */
tg_status tg_denoise2_d(const double *in, size_t rows, size_t cols, const tg_denoise_params *p, double *out,
                        tg_denoise_report *report);

/* A reusable denoiser for one image size: the DWT plan and every buffer are allocated once,
 * so repeated calls (an attack loop, a batch) allocate nothing. Not thread-safe: one per thread.
 * Creation fails like tg_denoise2_d does for invalid parameters or sizes. */
typedef struct tg_denoiser tg_denoiser;
tg_status tg_denoiser_create(tg_denoiser **out, const tg_denoise_params *p, size_t rows, size_t cols);
void tg_denoiser_destroy(tg_denoiser *d);

/* Denoises one rows x cols image with a denoiser (in == out allowed); errors as tg_denoise2_d.
 * The float32 entry point computes in double precision internally. */
tg_status tg_denoiser_apply_d(tg_denoiser *d, const double *in, double *out, tg_denoise_report *report);
tg_status tg_denoiser_apply_f(tg_denoiser *d, const float *in, float *out, tg_denoise_report *report);

/* Gradient of the denoiser at `in`: din = W^T diag(S'(W in)) W^-T dout, the exact
 * subgradient of thresholding with the thresholds held fixed (sigma and BayesShrink statistics
 * are not differentiated). Recomputes the forward analysis of `in` (no state from apply).
 * din may alias dout. TG_ERR_NONFINITE for non-finite input. */
tg_status tg_denoiser_backward_d(tg_denoiser *d, const double *in, const double *dout, double *din);
tg_status tg_denoiser_backward_f(tg_denoiser *d, const float *in, const float *dout, float *din);

/* One-shot float32 version of tg_denoise2_d (computed in double precision internally). */
tg_status tg_denoise2_f(const float *in, size_t rows, size_t cols, const tg_denoise_params *p, float *out,
                        tg_denoise_report *report);

#ifdef __cplusplus
}
#endif
#endif
