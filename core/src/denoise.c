/* Wavelet denoising by per-subband shrinkage (VisuShrink / BayesShrink), scikit-image semantics.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/denoise.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "thermoguard/image.h"

/* Phi^-1(0.75): the MAD-to-sigma constant of a Gaussian (scipy.stats.norm.ppf(0.75)). */
#define TG_MAD_TO_SIGMA 0.6744897501960817

void tg_denoise_params_default(tg_denoise_params *p)
{
    memset(p, 0, sizeof *p);
    strcpy(p->wavelet, "db1");
    p->mode = TG_MODE_SYMMETRIC;
    p->levels = 0;
    p->threshold = TG_THRESH_SOFT;
    p->rule = TG_SHRINK_BAYES;
    p->sigma = 0.0;
    p->firm_ratio = 2.0;
}

static const char *const kind_names[] = {"soft", "hard", "garrote", "firm"};
static const char *const rule_names[] = {"BayesShrink", "VisuShrink"};

tg_status tg_threshold_kind_parse(const char *name, tg_threshold_kind *out)
{
    if (!name || !out)
        return tg_fail(TG_ERR_ARG, "tg_threshold_kind_parse: NULL argument");
    for (int i = 0; i < 4; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (tg_threshold_kind)i;
            return TG_OK;
        }
    return tg_fail(TG_ERR_NOTFOUND, "unknown threshold '%.40s' (expected soft, hard, garrote or firm)", name);
}

const char *tg_threshold_kind_name(tg_threshold_kind k)
{
    return ((int)k >= 0 && (int)k < 4) ? kind_names[k] : "invalid";
}

tg_status tg_shrink_rule_parse(const char *name, tg_shrink_rule *out)
{
    if (!name || !out)
        return tg_fail(TG_ERR_ARG, "tg_shrink_rule_parse: NULL argument");
    for (int i = 0; i < 2; i++)
        if (strcmp(name, rule_names[i]) == 0) {
            *out = (tg_shrink_rule)i;
            return TG_OK;
        }
    return tg_fail(TG_ERR_NOTFOUND, "unknown threshold rule '%.40s' (expected BayesShrink or VisuShrink)", name);
}

const char *tg_shrink_rule_name(tg_shrink_rule r) { return ((int)r >= 0 && (int)r < 2) ? rule_names[r] : "invalid"; }

double tg_threshold_apply(tg_threshold_kind k, double x, double t, double firm_ratio)
{
    double m = fabs(x);
    switch (k) {
    case TG_THRESH_SOFT:
        return m > t ? copysign(m - t, x) : 0.0;
    case TG_THRESH_HARD:
        return m >= t ? x : 0.0;
    case TG_THRESH_GARROTE:
        return m > t ? x * (1.0 - (t * t) / (x * x)) : 0.0;
    case TG_THRESH_FIRM: {
        double th = firm_ratio * t;
        if (m > th)
            return x;
        if (m <= t)
            return 0.0;
        return copysign(th * (m - t) / (th - t), x);
    }
    }
    return x;
}

/* k-th smallest of v[0..n) (partially reorders v). */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

tg_status tg_sigma_mad(const double *d, size_t n, double *sigma)
{
    if (!d || !sigma || n == 0)
        return tg_fail(TG_ERR_ARG, "tg_sigma_mad: NULL or empty input");
    double *a;
    tg_status st = tg_alloc_checked((void **)&a, n, sizeof *a, 0, "noise estimate buffer");
    if (st != TG_OK)
        return st;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(d[i])) {
            free(a);
            return tg_fail(TG_ERR_NONFINITE, "tg_sigma_mad: coefficient %zu is %g", i, d[i]);
        }
        if (d[i] != 0.0)
            a[m++] = fabs(d[i]);
    }
    if (m == 0) {
        free(a);
        *sigma = 0.0;
        return TG_OK;
    }
    double med = select_kth(a, m, m / 2);
    if (m % 2 == 0) {
        /* the lower middle is the largest of the elements left of m/2 */
        double lower = a[0];
        for (size_t i = 1; i < m / 2; i++)
            lower = a[i] > lower ? a[i] : lower;
        med = 0.5 * (med + lower);
    }
    free(a);
    *sigma = med / TG_MAD_TO_SIGMA;
    return TG_OK;
}

double tg_bayes_threshold(const double *d, size_t n, double var)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += d[i] * d[i];
    double dvar = s / (double)n - var;
    return var / sqrt(dvar > DBL_EPSILON ? dvar : DBL_EPSILON);
}

static tg_status check_params(const tg_denoise_params *p, tg_wavelet *w)
{
    if ((int)p->threshold < 0 || (int)p->threshold > TG_THRESH_FIRM)
        return tg_fail(TG_ERR_ARG, "denoise: invalid threshold kind %d", (int)p->threshold);
    if ((int)p->rule < 0 || (int)p->rule > TG_SHRINK_VISU)
        return tg_fail(TG_ERR_ARG, "denoise: invalid threshold rule %d", (int)p->rule);
    if (p->threshold == TG_THRESH_FIRM && !(p->firm_ratio > 1.0))
        return tg_fail(TG_ERR_ARG, "denoise: firm_ratio must be > 1, got %g", p->firm_ratio);
    if (!isfinite(p->sigma))
        return tg_fail(TG_ERR_ARG, "denoise: sigma must be finite");
    if (p->levels < 0)
        return tg_fail(TG_ERR_ARG, "denoise: levels must be >= 0 (0 = automatic), got %d", p->levels);
    return tg_wavelet_get(p->wavelet, w);
}

tg_status tg_denoise2_d(const double *in, size_t rows, size_t cols, const tg_denoise_params *p, double *out,
                        tg_denoise_report *report)
{
    if (!in || !out || !p)
        return tg_fail(TG_ERR_ARG, "tg_denoise2: NULL argument");
    if (rows == 0 || cols == 0)
        return tg_fail(TG_ERR_ARG, "tg_denoise2: sizes must be positive, got %zu x %zu", rows, cols);
    tg_wavelet w;
    tg_status st = check_params(p, &w);
    if (st != TG_OK)
        return st;
    size_t n;
    if ((st = tg_size_mul(rows, cols, &n, "denoise image")) != TG_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(in[i]))
            return tg_fail(TG_ERR_NONFINITE, "tg_denoise2: pixel (%zu, %zu) is %g; the denoiser needs finite input",
                           i / cols, i % cols, in[i]);
    int levels = p->levels;
    if (levels == 0) {
        int mr = tg_dwt_max_level(rows, w.len), mc = tg_dwt_max_level(cols, w.len);
        int ml = mr < mc ? mr : mc;
        levels = ml - 3 > 1 ? ml - 3 : 1;
    }
    tg_dwt_plan *plan;
    if ((st = tg_dwt_plan_create_2d(&plan, &w, p->mode, rows, cols, levels)) != TG_OK)
        return st;
    const tg_dwt_layout *l = tg_dwt_plan_layout(plan);
    double *c;
    if ((st = tg_alloc_checked((void **)&c, l->total, sizeof *c, 0, "denoise coefficients")) != TG_OK) {
        tg_dwt_plan_destroy(plan);
        return st;
    }
    tg_dwt_forward_d(plan, in, c);

    double sigma = p->sigma;
    if (sigma <= 0.0) {
        size_t nd = l->shape[1][0] * l->shape[1][1];
        st = tg_sigma_mad(c + tg_dwt_layout_offset(l, 1, 2), nd, &sigma);
    }
    tg_denoise_report rep;
    memset(&rep, 0, sizeof rep);
    rep.sigma = sigma;
    rep.levels = levels;
    double visu = sigma * sqrt(2.0 * log((double)n));
    for (int k = 1; st == TG_OK && k <= levels; k++) {
        size_t nb = l->shape[k][0] * l->shape[k][1];
        for (int b = 0; b < 3; b++) {
            double *d = c + tg_dwt_layout_offset(l, k, b);
            double t = p->rule == TG_SHRINK_VISU ? visu : tg_bayes_threshold(d, nb, sigma * sigma);
            rep.threshold[k][b] = t;
            for (size_t i = 0; i < nb; i++)
                d[i] = tg_threshold_apply(p->threshold, d[i], t, p->firm_ratio);
        }
    }
    if (st == TG_OK)
        tg_dwt_inverse_d(plan, c, out);
    free(c);
    tg_dwt_plan_destroy(plan);
    if (st == TG_OK && report)
        *report = rep;
    return st;
}

tg_status tg_denoise2_f(const float *in, size_t rows, size_t cols, const tg_denoise_params *p, float *out,
                        tg_denoise_report *report)
{
    if (!in || !out || !p)
        return tg_fail(TG_ERR_ARG, "tg_denoise2: NULL argument");
    size_t n;
    tg_status st = tg_size_mul(rows, cols, &n, "denoise image");
    if (st != TG_OK)
        return st;
    if (n == 0)
        return tg_fail(TG_ERR_ARG, "tg_denoise2: sizes must be positive, got %zu x %zu", rows, cols);
    if (n > TG_IMAGE_MAX_ELEMENTS)
        return tg_fail(TG_ERR_OVERFLOW, "tg_denoise2: %zu x %zu exceeds the limit of %zu pixels", rows, cols,
                       TG_IMAGE_MAX_ELEMENTS);
    double *buf;
    if ((st = tg_alloc_checked((void **)&buf, n, sizeof *buf, 0, "denoise buffer")) != TG_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        buf[i] = in[i];
    st = tg_denoise2_d(buf, rows, cols, p, buf, report);
    if (st == TG_OK)
        for (size_t i = 0; i < n; i++)
            out[i] = (float)buf[i];
    free(buf);
    return st;
}
