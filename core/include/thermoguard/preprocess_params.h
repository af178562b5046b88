/* ThermoGuard — the settings of the thermogram preprocessing (body mask, breast ROIs,
 * resampling to the model grid): plain numbers and flags, stored in the model file so that
 * training, evaluation, audits and the node preprocess identically. The preprocessing itself
 * (ITK) lives in dicom/ (thermoguard/preprocess.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_PREPROCESS_PARAMS_H
#define THERMOGUARD_PREPROCESS_PARAMS_H

#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_PREPROCESS_MAX_GRID 1024

/* Every setting of the preprocessing; numbers and flags only. Fractions are of the body
 * geometry measured on the mask, so they do not depend on the camera distance. */
typedef struct tg_preprocess_params {
    int grid_h, grid_w;        /* model grid (default 64 x 64), 4 .. TG_PREPROCESS_MAX_GRID */
    /* body mask */
    int otsu_bins;             /* histogram bins for Otsu (default 256), 16 .. 4096 */
    int closing_radius_px;     /* disc radius of the binary closing (default 5; 0 = none), <= 64 */
    int keep_largest;          /* non-zero: keep only the largest connected component (default 1) */
    int fill_holes;            /* non-zero: fill holes in the mask (default 1) */
    double min_body_fraction;  /* a mask smaller than this fraction of the image is "no body found"
                                  (default 0.02); so is a mask covering more than 1 - this */
    double min_separation;     /* "no body found" unless the Otsu classes' means differ by at least
                                  this many pooled within-class standard deviations (default 4;
                                  thermograms give > 6, pure noise about 2.7, uniform noise 3.5) */
    /* measurement band: rows between these fractions of the body's height (top -> bottom) give
       the edges and the midline (default 0.40 .. 0.80) */
    double band_top, band_bottom;
    /* frontal ROI, per breast: centre at roi_center_x * half-width from the midline and at
       roi_center_y of the body height from the body's top row; side roi_size * half-width
       (defaults 0.45, 0.60, 0.90) */
    double roi_center_x, roi_center_y, roi_size;
    /* lateral / oblique ROI: centre at this fraction of the body width from the anterior edge
       (defaults 0.19 lateral, 0.51 oblique); side lateral_size * body width (default 0.65).
       Defaults calibrated on the phantom (seed 7): breast centres within 11 grid px of the
       grid centre, whole breast inside the box */
    double lateral_center_x, oblique_center_x, lateral_size;
    double roi_margin;         /* added on every side, as a fraction of the ROI side (default 0.10) */
    /* anti-aliasing: Gaussian sigma in model-grid pixels, i.e. aa_sigma * (source px per grid px)
       in source pixels, applied when the box is shrunk (default 0.5; 0 = none) */
    double aa_sigma;
} tg_preprocess_params;

/* Fills `p` with the defaults documented above (NULL is ignored). */
void tg_preprocess_params_default(tg_preprocess_params *p);

/* Checks every field; TG_ERR_ARG / TG_ERR_RANGE naming the first bad one. */
tg_status tg_preprocess_params_check(const tg_preprocess_params *p);

#ifdef __cplusplus
}
#endif
#endif
