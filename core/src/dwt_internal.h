/* Internals shared by the DWT sources: boundary-extension plans and the plan struct.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_DWT_INTERNAL_H
#define TG_DWT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "simd_clones.h"
#include "thermoguard/dwt.h"


/* One term of a boundary sample: extended value += w * x[idx]. */
typedef struct tg_ext_term {
    size_t idx;
    double w;
} tg_ext_term;

/* How to build the extended signal xe[i] = X(lo + i), i in [0, n_ext), from a signal x of
 * length n under a boundary mode. Positions inside [0, n) are copies; the n_left positions
 * before and n_right after are sparse linear combinations of x (CSR in off/terms). */
typedef struct tg_ext_plan {
    size_t n;
    long lo;
    size_t n_ext;
    size_t n_left, n_right;
    size_t *off;          /* n_left + n_right + 1 offsets into terms */
    tg_ext_term *terms;
} tg_ext_plan;

/* Builds the extension of a length-n signal for extended positions lo .. lo+n_ext-1.
 * TG_ERR_NOMEM on allocation failure (the plan is then empty and safe to free). */
tg_status tg_ext_plan_init(tg_ext_plan *e, size_t n, tg_dwt_mode m, long lo, size_t n_ext);
void tg_ext_plan_free(tg_ext_plan *e);

/* One axis of one level: signal length n -> nc coefficients per band. */
typedef struct tg_dwt_axis {
    size_t n, nc;
    tg_ext_plan fwd;      /* extension of the signal for analysis / the adjoint */
    int periodic_inv;     /* inverse reads coefficients periodically (periodization) */
    long a0, a1;          /* inverse polyphase offsets: x[2i] uses c[i + a0 - q], x[2i+1] c[i + a1 - q] */
    int p0, p1;           /* ... with filter taps g[2q + p0] and g[2q + p1], q = 0 .. F/2-1 */
} tg_dwt_axis;

struct tg_dwt_plan {
    tg_wavelet w;
    tg_dwt_mode mode;
    tg_dwt_layout layout;
    tg_dwt_axis axis[TG_DWT_MAX_LEVELS][2]; /* [level-1][0 = rows axis (axis 0), 1 = cols axis] */
    void *work;          /* workspace, sized for double */
    size_t work_bytes;
};

/* Fills an axis description for a signal of length n (allocates its extension plans). */
tg_status tg_dwt_axis_init(tg_dwt_axis *a, size_t n, const tg_wavelet *w, tg_dwt_mode m);
void tg_dwt_axis_free(tg_dwt_axis *a);

#endif
