/* Boundary extension of a finite signal, as sparse linear maps, for every PyWavelets mode.
 * Building the extension as explicit terms (rather than padding values) gives the forward
 * transform and its adjoint from one description: gather for the former, scatter for the latter.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "dwt_internal.h"

static size_t pmod(long p, size_t n)
{
    long r = p % (long)n;
    return (size_t)(r < 0 ? r + (long)n : r);
}

/* Adds s * X(p) to the weight vector w (length n), where X is x extended by mode m. */
static void accumulate(long p, size_t n, tg_dwt_mode m, double s, double *w)
{
    long last = (long)n - 1;
    if (p >= 0 && p <= last) {
        w[p] += s;
        return;
    }
    switch (m) {
    case TG_MODE_ZERO:
        return;
    case TG_MODE_CONSTANT:
        w[p < 0 ? 0 : last] += s;
        return;
    case TG_MODE_PERIODIC:
        w[pmod(p, n)] += s;
        return;
    case TG_MODE_PERIODIZATION: { /* periodic over x padded to even length with its last sample */
        size_t q = pmod(p, n + n % 2);
        w[q < n ? q : n - 1] += s;
        return;
    }
    case TG_MODE_SYMMETRIC: {
        size_t q = pmod(p, 2 * n);
        w[q < n ? q : 2 * n - 1 - q] += s;
        return;
    }
    case TG_MODE_ANTISYMMETRIC: {
        size_t q = pmod(p, 2 * n);
        if (q < n)
            w[q] += s;
        else
            w[2 * n - 1 - q] -= s;
        return;
    }
    case TG_MODE_REFLECT: {
        if (n == 1) {
            w[0] += s;
            return;
        }
        size_t q = pmod(p, 2 * n - 2);
        w[q < n ? q : 2 * n - 2 - q] += s;
        return;
    }
    case TG_MODE_SMOOTH: {
        if (n == 1) {
            w[0] += s;
            return;
        }
        if (p < 0) { /* x0 + k (x0 - x1), k = -p */
            w[0] += s * (double)(1 - p);
            w[1] -= s * (double)(-p);
        } else {
            double k = (double)(p - last);
            w[last] += s * (1.0 + k);
            w[last - 1] -= s * k;
        }
        return;
    }
    case TG_MODE_ANTIREFLECT: {
        if (n == 1) {
            w[0] += s;
            return;
        }
        /* point reflection about the end samples, repeated until inside */
        if (p < 0) {
            w[0] += 2.0 * s;
            accumulate(-p, n, m, -s, w);
        } else {
            w[last] += 2.0 * s;
            accumulate(2 * last - p, n, m, -s, w);
        }
        return;
    }
    }
}

void tg_ext_plan_free(tg_ext_plan *e)
{
    free(e->off);
    free(e->terms);
    e->off = NULL;
    e->terms = NULL;
}

tg_status tg_ext_plan_init(tg_ext_plan *e, size_t n, tg_dwt_mode m, long lo, size_t n_ext)
{
    memset(e, 0, sizeof *e);
    e->n = n;
    e->lo = lo;
    e->n_ext = n_ext;
    long hi = lo + (long)n_ext; /* one past the last position */
    long left_end = hi < 0 ? hi : 0;
    e->n_left = lo < left_end ? (size_t)(left_end - lo) : 0;
    long right_begin = lo > (long)n ? lo : (long)n;
    e->n_right = hi > right_begin ? (size_t)(hi - right_begin) : 0;
    size_t nb = e->n_left + e->n_right;

    e->off = calloc(nb + 1, sizeof *e->off);
    double *w = calloc(n, sizeof *w);
    size_t cap = nb * 2 + 1, used = 0;
    e->terms = malloc(cap * sizeof *e->terms);
    if (!e->off || !w || !e->terms) {
        free(w);
        tg_ext_plan_free(e);
        return tg_fail(TG_ERR_NOMEM, "dwt: out of memory for a boundary plan of %zu samples", nb);
    }
    for (size_t b = 0; b < nb; b++) {
        long p = b < e->n_left ? lo + (long)b : right_begin + (long)(b - e->n_left);
        accumulate(p, n, m, 1.0, w);
        for (size_t i = 0; i < n; i++) {
            if (w[i] == 0.0)
                continue;
            if (used == cap) {
                cap *= 2;
                tg_ext_term *t = realloc(e->terms, cap * sizeof *t);
                if (!t) {
                    free(w);
                    tg_ext_plan_free(e);
                    return tg_fail(TG_ERR_NOMEM, "dwt: out of memory for boundary terms");
                }
                e->terms = t;
            }
            e->terms[used].idx = i;
            e->terms[used].w = w[i];
            used++;
            w[i] = 0.0;
        }
        e->off[b + 1] = used;
    }
    free(w);
    return TG_OK;
}
