/* Wavelet denoising by per-subband shrinkage (VisuShrink / BayesShrink), scikit-image semantics.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/denoise.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
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

/* k-th smallest of v[0..n) (partially reorders v); quickselect for the small candidate sets. */
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

/* Order-preserving key of a non-negative double: its IEEE bits. */
static uint64_t key_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* Below this many values the histogram (65536 counters to clear) costs more than it saves. */
#define TG_SELECT_SMALL 16384

/* The k-th and (k-1)-th smallest of the non-negative values a[0..m) (k >= 1 for the second):
 * small sets by quickselect; otherwise one histogram pass on the top 16 key bits finds the
 * bucket(s) holding those ranks, then a
 * quickselect runs over that bucket's few elements only. `cand` has room for m values. */
static void select_pair(const double *a, size_t m, size_t k, double *kth, double *prev, double *cand,
                        uint32_t *hist)
{
    if (m < TG_SELECT_SMALL) {
        /* small sets (the model-grid subbands): quickselect on a copy; after it every element
         * before index k is <= the k-th, so the (k-1)-th is their maximum */
        memcpy(cand, a, m * sizeof *cand);
        *kth = select_kth(cand, m, k);
        if (k >= 1) {
            double p = cand[0];
            for (size_t i = 1; i < k; i++)
                p = cand[i] > p ? cand[i] : p;
            *prev = p;
        }
        return;
    }
    memset(hist, 0, 65536 * sizeof *hist);
    for (size_t i = 0; i < m; i++)
        hist[key_of(a[i]) >> 48]++;
    size_t below = 0, b = 0;
    while (below + hist[b] <= k) /* bucket b holds rank k */
        below += hist[b++];
    /* gather the bucket of rank k, and the one of rank k-1 if it lies below */
    size_t lo_bucket = b, lo_below = below;
    if (k >= 1 && k - 1 < below) {
        lo_bucket = b - 1;
        while (hist[lo_bucket] == 0)
            lo_bucket--;
        lo_below = below - hist[lo_bucket];
    }
    size_t nc = 0;
    for (size_t i = 0; i < m; i++) {
        uint64_t kb = key_of(a[i]) >> 48;
        if (kb == b || kb == lo_bucket)
            cand[nc++] = a[i];
    }
    /* candidates hold ranks lo_below .. lo_below + nc - 1 */
    *kth = select_kth(cand, nc, k - lo_below);
    if (k >= 1)
        *prev = select_kth(cand, nc, k - 1 - lo_below);
}

/* Median of |d| over the non-zero d (0 when all are zero); d must be finite.
 * abs and cand each hold n doubles, hist 65536 counters. */
static double median_abs_nonzero(const double *d, size_t n, double *abs_buf, double *cand, uint32_t *hist)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (d[i] != 0.0)
            abs_buf[m++] = fabs(d[i]);
    if (m == 0)
        return 0.0;
    double med, lower = 0.0;
    select_pair(abs_buf, m, m / 2, &med, &lower, cand, hist);
    return m % 2 == 0 ? 0.5 * (med + lower) : med;
}

tg_status tg_sigma_mad(const double *d, size_t n, double *sigma)
{
    if (!d || !sigma || n == 0)
        return tg_fail(TG_ERR_ARG, "tg_sigma_mad: NULL or empty input");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(d[i]))
            return tg_fail(TG_ERR_NONFINITE, "tg_sigma_mad: coefficient %zu is %g", i, d[i]);
    double *buf;
    uint32_t *hist = NULL; /* only sets of TG_SELECT_SMALL values or more use the histogram */
    tg_status st = tg_alloc_checked((void **)&buf, n, 2 * sizeof *buf, 0, "noise estimate buffer");
    if (st != TG_OK)
        return st;
    if (n >= TG_SELECT_SMALL &&
        (st = tg_alloc_checked((void **)&hist, 65536, sizeof *hist, 0, "noise estimate histogram")) != TG_OK) {
        free(buf);
        return st;
    }
    *sigma = median_abs_nonzero(d, n, buf, buf + n, hist) / TG_MAD_TO_SIGMA;
    free(buf);
    free(hist);
    return TG_OK;
}

double tg_bayes_threshold(const double *d, size_t n, double var)
{
    /* eight independent partial sums: the loop vectorises without reassociating a single chain */
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            acc[j] += d[i + j] * d[i + j];
    double s = 0.0;
    for (; i < n; i++)
        s += d[i] * d[i];
    for (int j = 0; j < 8; j++)
        s += acc[j];
    double dvar = s / (double)n - var;
    return var / sqrt(dvar > DBL_EPSILON ? dvar : DBL_EPSILON);
}

double tg_threshold_derivative(tg_threshold_kind k, double x, double t, double firm_ratio)
{
    double m = fabs(x);
    switch (k) {
    case TG_THRESH_SOFT:
        return m > t ? 1.0 : 0.0;
    case TG_THRESH_HARD:
        return m >= t ? 1.0 : 0.0;
    case TG_THRESH_GARROTE:
        return m > t ? 1.0 + (t * t) / (x * x) : 0.0;
    case TG_THRESH_FIRM: {
        double th = firm_ratio * t;
        if (m > th)
            return 1.0;
        if (m <= t)
            return 0.0;
        return th / (th - t);
    }
    }
    return 1.0;
}

/* Thresholds a band in place; the soft and hard loops are branch-free so they vectorise. */
static void threshold_band(tg_threshold_kind k, double *restrict d, size_t n, double t, double firm_ratio)
{
    switch (k) {
    case TG_THRESH_SOFT:
        for (size_t i = 0; i < n; i++) {
            double m = fabs(d[i]) - t;
            d[i] = copysign(m > 0.0 ? m : 0.0, d[i]);
        }
        return;
    case TG_THRESH_HARD:
        for (size_t i = 0; i < n; i++)
            d[i] = fabs(d[i]) >= t ? d[i] : 0.0;
        return;
    default:
        for (size_t i = 0; i < n; i++)
            d[i] = tg_threshold_apply(k, d[i], t, firm_ratio);
    }
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

struct tg_denoiser {
    tg_denoise_params p;
    size_t rows, cols;
    tg_dwt_plan *plan;
    double *coeffs;  /* layout->total */
    double *buf;     /* 2*rows*cols, allocated by the first float32 call */
    double *gcoeffs; /* layout->total, allocated by the first backward call */
    double *mad;     /* scratch of the noise estimate: |d|, candidates (finest band each) */
    uint32_t *hist;  /* 65536 buckets */
};

void tg_denoiser_destroy(tg_denoiser *d)
{
    if (!d)
        return;
    tg_dwt_plan_destroy(d->plan);
    free(d->coeffs);
    free(d->buf);
    free(d->gcoeffs);
    free(d->mad);
    free(d->hist);
    free(d);
}

tg_status tg_denoiser_create(tg_denoiser **out, const tg_denoise_params *p, size_t rows, size_t cols)
{
    if (!out || !p)
        return tg_fail(TG_ERR_ARG, "tg_denoiser_create: NULL argument");
    *out = NULL;
    if (rows == 0 || cols == 0)
        return tg_fail(TG_ERR_ARG, "tg_denoiser_create: sizes must be positive, got %zu x %zu", rows, cols);
    tg_wavelet w;
    tg_status st = check_params(p, &w);
    if (st != TG_OK)
        return st;
    size_t n;
    if ((st = tg_size_mul(rows, cols, &n, "denoise image")) != TG_OK)
        return st;
    if (n > TG_IMAGE_MAX_ELEMENTS)
        return tg_fail(TG_ERR_OVERFLOW, "tg_denoiser_create: %zu x %zu exceeds the limit of %zu pixels", rows, cols,
                       TG_IMAGE_MAX_ELEMENTS);
    int levels = p->levels;
    if (levels == 0) {
        int mr = tg_dwt_max_level(rows, w.len), mc = tg_dwt_max_level(cols, w.len);
        int ml = mr < mc ? mr : mc;
        levels = ml - 3 > 1 ? ml - 3 : 1;
    }
    tg_denoiser *d = calloc(1, sizeof *d);
    if (!d)
        return tg_fail(TG_ERR_NOMEM, "tg_denoiser_create: out of memory");
    d->p = *p;
    d->p.levels = levels;
    d->rows = rows;
    d->cols = cols;
    if ((st = tg_dwt_plan_create_2d(&d->plan, &w, p->mode, rows, cols, levels)) == TG_OK) {
        const tg_dwt_layout *l = tg_dwt_plan_layout(d->plan);
        size_t nd = l->shape[1][0] * l->shape[1][1];
        st = tg_alloc_checked((void **)&d->coeffs, l->total, sizeof(double), 0, "denoise coefficients");
        if (st == TG_OK)
            st = tg_alloc_checked((void **)&d->mad, 2 * nd, sizeof(double), 0, "noise estimate buffer");
        if (st == TG_OK)
            st = tg_alloc_checked((void **)&d->hist, 65536, sizeof(uint32_t), 0, "noise estimate histogram");
    }
    if (st != TG_OK) {
        tg_denoiser_destroy(d);
        return st;
    }
    *out = d;
    return TG_OK;
}

static tg_status check_finite(const tg_denoiser *d, const double *in)
{
    size_t n = d->rows * d->cols;
    /* a double is NaN/Inf iff its exponent bits are all set: one integer pass that vectorises */
    const uint64_t exp_mask = 0x7FF0000000000000ull;
    uint64_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &in[i], sizeof u);
        bad |= ((u & exp_mask) + 0x0010000000000000ull) & 0x8000000000000000ull; /* carries only for 0x7FF */
    }
    for (size_t i = 0; bad && i < n; i++)
        if (!isfinite(in[i]))
            return tg_fail(TG_ERR_NONFINITE, "denoise: pixel (%zu, %zu) is %g; the denoiser needs finite input",
                           i / d->cols, i % d->cols, in[i]);
    return TG_OK;
}

static void analyse(tg_denoiser *d, const double *in, tg_denoise_report *rep);

tg_status tg_denoiser_apply_d(tg_denoiser *d, const double *in, double *out, tg_denoise_report *report)
{
    if (!d || !in || !out)
        return tg_fail(TG_ERR_ARG, "tg_denoiser_apply: NULL argument");
    tg_status st = check_finite(d, in);
    if (st != TG_OK)
        return st;
    tg_denoise_report rep;
    analyse(d, in, &rep);
    tg_dwt_inverse_d(d->plan, d->coeffs, out);
    if (report)
        *report = rep;
    return TG_OK;
}

/* Forward transform into d->coeffs, noise estimate and per-band thresholds (applied in place
 * when `apply` is set); fills rep. `in` must be finite. */
static void analyse_impl(tg_denoiser *d, const double *in, tg_denoise_report *out_rep, int apply)
{
    size_t n = d->rows * d->cols;
    const tg_dwt_layout *l = tg_dwt_plan_layout(d->plan);
    double *c = d->coeffs;
    tg_dwt_forward_d(d->plan, in, c);

    double sigma = d->p.sigma;
    if (sigma <= 0.0) {
        size_t nd = l->shape[1][0] * l->shape[1][1];
        sigma = median_abs_nonzero(c + tg_dwt_layout_offset(l, 1, 2), nd, d->mad, d->mad + nd, d->hist) /
                TG_MAD_TO_SIGMA;
    }
    tg_denoise_report rep;
    memset(&rep, 0, sizeof rep);
    rep.sigma = sigma;
    rep.levels = l->levels;
    double visu = sigma * sqrt(2.0 * log((double)n));
    for (int k = 1; k <= l->levels; k++) {
        size_t nb = l->shape[k][0] * l->shape[k][1];
        for (int b = 0; b < 3; b++) {
            double *band = c + tg_dwt_layout_offset(l, k, b);
            double t = d->p.rule == TG_SHRINK_VISU ? visu : tg_bayes_threshold(band, nb, sigma * sigma);
            rep.threshold[k][b] = t;
            if (apply)
                threshold_band(d->p.threshold, band, nb, t, d->p.firm_ratio);
        }
    }
    *out_rep = rep;
}

static void analyse(tg_denoiser *d, const double *in, tg_denoise_report *rep) { analyse_impl(d, in, rep, 1); }

tg_status tg_denoiser_backward_d(tg_denoiser *d, const double *in, const double *dout, double *din)
{
    if (!d || !in || !dout || !din)
        return tg_fail(TG_ERR_ARG, "tg_denoiser_backward: NULL argument");
    tg_status st = check_finite(d, in);
    if (st != TG_OK)
        return st;
    tg_denoise_report rep;
    analyse_impl(d, in, &rep, 0); /* coefficients before thresholding, thresholds */
    const tg_dwt_layout *l = tg_dwt_plan_layout(d->plan);
    if (!d->gcoeffs &&
        (st = tg_alloc_checked((void **)&d->gcoeffs, l->total, sizeof(double), 0, "denoise gradient")) != TG_OK)
        return st;
    double *g = d->gcoeffs;
    tg_dwt_inverse_adjoint_d(d->plan, dout, g);
    for (int k = 1; k <= l->levels; k++) {
        size_t nb = l->shape[k][0] * l->shape[k][1];
        for (int b = 0; b < 3; b++) {
            size_t off = tg_dwt_layout_offset(l, k, b);
            double t = rep.threshold[k][b];
            for (size_t i = 0; i < nb; i++)
                g[off + i] *= tg_threshold_derivative(d->p.threshold, d->coeffs[off + i], t, d->p.firm_ratio);
        }
    }
    tg_dwt_adjoint_d(d->plan, g, din);
    return TG_OK;
}

static tg_status ensure_buf(tg_denoiser *d)
{
    if (d->buf)
        return TG_OK;
    return tg_alloc_checked((void **)&d->buf, 2 * d->rows * d->cols, sizeof(double), 0, "denoise buffer");
}

tg_status tg_denoiser_backward_f(tg_denoiser *d, const float *in, const float *dout, float *din)
{
    if (!d || !in || !dout || !din)
        return tg_fail(TG_ERR_ARG, "tg_denoiser_backward: NULL argument");
    tg_status st = ensure_buf(d);
    if (st != TG_OK)
        return st;
    size_t n = d->rows * d->cols;
    double *x = d->buf, *g = d->buf + n;
    for (size_t i = 0; i < n; i++) {
        x[i] = in[i];
        g[i] = dout[i];
    }
    st = tg_denoiser_backward_d(d, x, g, g);
    if (st == TG_OK)
        for (size_t i = 0; i < n; i++)
            din[i] = (float)g[i];
    return st;
}

tg_status tg_denoiser_apply_f(tg_denoiser *d, const float *in, float *out, tg_denoise_report *report)
{
    if (!d || !in || !out)
        return tg_fail(TG_ERR_ARG, "tg_denoiser_apply: NULL argument");
    size_t n = d->rows * d->cols;
    tg_status st0 = ensure_buf(d);
    if (st0 != TG_OK)
        return st0;
    for (size_t i = 0; i < n; i++)
        d->buf[i] = in[i];
    tg_status st = tg_denoiser_apply_d(d, d->buf, d->buf, report);
    if (st == TG_OK)
        for (size_t i = 0; i < n; i++)
            out[i] = (float)d->buf[i];
    return st;
}

tg_status tg_denoise2_d(const double *in, size_t rows, size_t cols, const tg_denoise_params *p, double *out,
                        tg_denoise_report *report)
{
    if (!in || !out)
        return tg_fail(TG_ERR_ARG, "tg_denoise2: NULL argument");
    tg_denoiser *d = NULL; /* tg_denoiser_create leaves it unset when p is NULL */
    tg_status st = tg_denoiser_create(&d, p, rows, cols);
    if (st == TG_OK)
        st = tg_denoiser_apply_d(d, in, out, report);
    tg_denoiser_destroy(d);
    return st;
}

tg_status tg_denoise2_f(const float *in, size_t rows, size_t cols, const tg_denoise_params *p, float *out,
                        tg_denoise_report *report)
{
    if (!in || !out)
        return tg_fail(TG_ERR_ARG, "tg_denoise2: NULL argument");
    tg_denoiser *d = NULL; /* tg_denoiser_create leaves it unset when p is NULL */
    tg_status st = tg_denoiser_create(&d, p, rows, cols);
    if (st == TG_OK)
        st = tg_denoiser_apply_f(d, in, out, report);
    tg_denoiser_destroy(d);
    return st;
}
