/* Preprocessing settings: defaults and bounds (the preprocessing itself is in dicom/).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/preprocess_params.h"

#include <math.h>
#include <string.h>

void tg_preprocess_params_default(tg_preprocess_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->grid_h = p->grid_w = 64;
    p->otsu_bins = 256;
    p->closing_radius_px = 5;
    p->keep_largest = 1;
    p->fill_holes = 1;
    p->min_body_fraction = 0.02;
    p->min_separation = 4.0;
    p->band_top = 0.40;
    p->band_bottom = 0.80;
    p->roi_center_x = 0.45;
    p->roi_center_y = 0.60;
    p->roi_size = 0.90;
    p->lateral_center_x = 0.19;
    p->oblique_center_x = 0.51;
    p->lateral_size = 0.65;
    p->roi_margin = 0.10;
    p->aa_sigma = 0.5;
}

static int in_unit(double v) { return isfinite(v) && v >= 0.0 && v <= 1.0; }

tg_status tg_preprocess_params_check(const tg_preprocess_params *p)
{
    if (!p)
        return tg_fail(TG_ERR_ARG, "preprocess: NULL params");
    if (p->grid_h < 4 || p->grid_w < 4 || p->grid_h > TG_PREPROCESS_MAX_GRID || p->grid_w > TG_PREPROCESS_MAX_GRID)
        return tg_fail(TG_ERR_RANGE, "preprocess: grid %d x %d outside 4..%d", p->grid_h, p->grid_w,
                       TG_PREPROCESS_MAX_GRID);
    if (p->otsu_bins < 16 || p->otsu_bins > 4096)
        return tg_fail(TG_ERR_RANGE, "preprocess: otsu_bins %d outside 16..4096", p->otsu_bins);
    if (p->closing_radius_px < 0 || p->closing_radius_px > 64)
        return tg_fail(TG_ERR_RANGE, "preprocess: closing_radius_px %d outside 0..64", p->closing_radius_px);
    if (!isfinite(p->min_body_fraction) || p->min_body_fraction < 0 || p->min_body_fraction >= 0.5)
        return tg_fail(TG_ERR_RANGE, "preprocess: min_body_fraction %g outside [0, 0.5)", p->min_body_fraction);
    if (!isfinite(p->min_separation) || p->min_separation < 0 || p->min_separation > 100)
        return tg_fail(TG_ERR_RANGE, "preprocess: min_separation %g outside 0..100", p->min_separation);
    if (!in_unit(p->band_top) || !in_unit(p->band_bottom) || p->band_top >= p->band_bottom)
        return tg_fail(TG_ERR_RANGE, "preprocess: band %g..%g must satisfy 0 <= top < bottom <= 1", p->band_top,
                       p->band_bottom);
    const struct {
        const char *name;
        double v, lo, hi;
    } fr[] = {{"roi_center_x", p->roi_center_x, 0.0, 1.5},         {"roi_center_y", p->roi_center_y, 0.0, 1.0},
              {"roi_size", p->roi_size, 0.05, 3.0},                {"lateral_center_x", p->lateral_center_x, 0.0, 1.0},
              {"oblique_center_x", p->oblique_center_x, 0.0, 1.0}, {"lateral_size", p->lateral_size, 0.05, 2.0},
              {"roi_margin", p->roi_margin, 0.0, 1.0},             {"aa_sigma", p->aa_sigma, 0.0, 4.0}};
    for (size_t i = 0; i < sizeof fr / sizeof fr[0]; i++)
        if (!isfinite(fr[i].v) || fr[i].v < fr[i].lo || fr[i].v > fr[i].hi)
            return tg_fail(TG_ERR_RANGE, "preprocess: %s %g outside %g..%g", fr[i].name, fr[i].v, fr[i].lo,
                           fr[i].hi);
    return TG_OK;
}
