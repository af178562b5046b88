/* DWT plans: per-level axis descriptions, coefficient layout and workspace sizing.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "dwt_internal.h"
#include "thermoguard/image.h"

tg_status tg_dwt_axis_init(tg_dwt_axis *a, size_t n, const tg_wavelet *w, tg_dwt_mode m)
{
    memset(a, 0, sizeof *a);
    long F = w->len;
    a->n = n;
    a->nc = tg_dwt_coeff_len(n, w->len, m);
    /* analysis: c[o] = sum_t h[F-1-t] * X(2o + s - (F-1) + t), s = F/2 (periodization) or 1 */
    long s = (m == TG_MODE_PERIODIZATION) ? F / 2 : 1;
    size_t n_ext = 2 * (a->nc - 1) + (size_t)F;
    tg_status st = tg_ext_plan_init(&a->fwd, n, m, s - (F - 1), n_ext);
    if (st != TG_OK)
        return st;
    /* synthesis: x[m] = sum_j g[j] * U(m + tau - j), U = c upsampled by two (periodic for
     * periodization); split into even and odd outputs. */
    long tau = (m == TG_MODE_PERIODIZATION) ? F / 2 - 1 : F - 2;
    a->periodic_inv = (m == TG_MODE_PERIODIZATION);
    a->p0 = (int)(tau & 1);
    a->a0 = (tau - a->p0) / 2;
    a->p1 = (int)((tau + 1) & 1);
    a->a1 = (tau + 1 - a->p1) / 2;
    return TG_OK;
}

void tg_dwt_axis_free(tg_dwt_axis *a) { tg_ext_plan_free(&a->fwd); }

void tg_dwt_plan_destroy(tg_dwt_plan *p)
{
    if (!p)
        return;
    for (int k = 0; k < p->layout.levels; k++) {
        tg_dwt_axis_free(&p->axis[k][0]);
        tg_dwt_axis_free(&p->axis[k][1]);
    }
    free(p->work);
    free(p);
}

const tg_dwt_layout *tg_dwt_plan_layout(const tg_dwt_plan *p) { return p ? &p->layout : NULL; }

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

static tg_status plan_create(tg_dwt_plan **out, const tg_wavelet *w, tg_dwt_mode m, int ndim, size_t rows,
                             size_t cols, int levels)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "dwt plan: NULL output pointer");
    *out = NULL;
    if (!w)
        return tg_fail(TG_ERR_ARG, "dwt plan: NULL wavelet");
    if (w->len < 2 || w->len > TG_WAVELET_MAX_LEN || w->len % 2)
        return tg_fail(TG_ERR_ARG, "dwt plan: invalid wavelet filter length %d", w->len);
    if ((int)m < 0 || (int)m >= TG_DWT_MODE_COUNT)
        return tg_fail(TG_ERR_ARG, "dwt plan: invalid boundary mode %d", (int)m);
    if (rows == 0 || cols == 0)
        return tg_fail(TG_ERR_ARG, "dwt plan: sizes must be positive, got %zu x %zu", rows, cols);
    size_t elems;
    tg_status st = tg_size_mul(rows, cols, &elems, "dwt input");
    if (st != TG_OK)
        return st;
    if (elems > TG_IMAGE_MAX_ELEMENTS)
        return tg_fail(TG_ERR_OVERFLOW, "dwt plan: %zu x %zu input exceeds the limit of %zu elements", rows, cols,
                       TG_IMAGE_MAX_ELEMENTS);
    int maxlev = tg_dwt_max_level(cols, w->len);
    if (ndim == 2) {
        int mr = tg_dwt_max_level(rows, w->len);
        maxlev = mr < maxlev ? mr : maxlev;
    }
    if (levels == TG_DWT_LEVELS_MAX)
        levels = maxlev > 1 ? maxlev : 1;
    if (levels < 1)
        return tg_fail(TG_ERR_ARG, "dwt plan: levels must be >= 1, got %d", levels);
    if (levels > 1 && levels > maxlev)
        return tg_fail(TG_ERR_RANGE, "dwt plan: %d levels requested but the maximum for %zu x %zu with %s is %d",
                       levels, rows, cols, w->name, maxlev);
    if (levels > TG_DWT_MAX_LEVELS)
        return tg_fail(TG_ERR_RANGE, "dwt plan: %d levels exceed the limit %d", levels, TG_DWT_MAX_LEVELS);

    tg_dwt_plan *p = calloc(1, sizeof *p);
    if (!p)
        return tg_fail(TG_ERR_NOMEM, "dwt plan: out of memory");
    p->w = *w;
    p->mode = m;
    tg_dwt_layout *l = &p->layout;
    l->ndim = ndim;
    l->levels = levels;
    l->bands = ndim == 2 ? 3 : 1;
    l->shape[0][0] = rows;
    l->shape[0][1] = cols;
    size_t F = (size_t)w->len;
    size_t row_scratch = 0, vec_scratch = 0, inter = 0;
    for (int k = 1; k <= levels; k++) {
        st = tg_dwt_axis_init(&p->axis[k - 1][1], l->shape[k - 1][1], w, m);
        if (st == TG_OK && ndim == 2)
            st = tg_dwt_axis_init(&p->axis[k - 1][0], l->shape[k - 1][0], w, m);
        if (st != TG_OK) {
            l->levels = k; /* free what was built */
            tg_dwt_plan_destroy(p);
            return st;
        }
        l->shape[k][0] = ndim == 2 ? p->axis[k - 1][0].nc : 1;
        l->shape[k][1] = p->axis[k - 1][1].nc;
        size_t band = l->shape[k][0] * l->shape[k][1];
        l->total += (size_t)l->bands * band;
        if (k == levels)
            l->total += band;
        /* row kernels: extended signal + two phases, or two periodic coefficient copies + phases */
        row_scratch = max_sz(row_scratch, 2 * p->axis[k - 1][1].fwd.n_ext + 2 * (l->shape[k][1] + F) + 4);
        if (ndim == 2) {
            size_t cols_in = l->shape[k - 1][1];
            vec_scratch = max_sz(vec_scratch, p->axis[k - 1][0].fwd.n_ext * cols_in);
            inter = max_sz(inter, l->shape[k][0] * cols_in);
        }
    }
    /* workspace (elements): [ping][pong] approximations, [L0][H0] axis-0 halves, vec, row scratch,
     * then the row-pointer array for the axis-0 kernels */
    size_t approx = levels > 1 ? l->shape[1][0] * l->shape[1][1] : 0;
    size_t elems_ws = 2 * approx + 2 * inter + vec_scratch + row_scratch;
    size_t nptr = ndim == 2 ? max_sz(p->axis[0][0].fwd.n_ext, rows) + 2 * F + 4 : 0;
    size_t bytes = elems_ws * sizeof(double) + nptr * sizeof(void *);
    p->work = malloc(bytes ? bytes : 1);
    if (!p->work) {
        tg_dwt_plan_destroy(p);
        return tg_fail(TG_ERR_NOMEM, "dwt plan: out of memory for a %zu-byte workspace", bytes);
    }
    p->work_bytes = bytes;
    *out = p;
    return TG_OK;
}

tg_status tg_dwt_plan_create_1d(tg_dwt_plan **out, const tg_wavelet *w, tg_dwt_mode m, size_t n, int levels)
{
    return plan_create(out, w, m, 1, 1, n, levels);
}

tg_status tg_dwt_plan_create_2d(tg_dwt_plan **out, const tg_wavelet *w, tg_dwt_mode m, size_t rows, size_t cols,
                                int levels)
{
    return plan_create(out, w, m, 2, rows, cols, levels);
}
