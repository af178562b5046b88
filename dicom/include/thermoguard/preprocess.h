/* ThermoGuard — preprocessing of one thermogram view into per-breast model inputs (ITK inside),
 * and PNG/JPEG/TIFF file input/output. No ITK type crosses this header.
 *
 * Steps (data flow step 4 of DESIGN.md), all configured by tg_preprocess_params
 * (thermoguard/preprocess_params.h), a plain struct of numbers the model file carries so training, evaluation, audits and the node preprocess
 * identically:
 *  1. body mask: Otsu threshold over the finite pixels, binary closing with a disc, the largest
 *     connected component, holes filled;
 *  2. geometry from the mask: body top/bottom rows and, inside a measurement band of rows, the
 *     body's left/right edges per row;
 *  3. frontal view: the midline is the median over the band of the body's row centres; each
 *     breast ROI is a square box in its half of the torso, placed and sized as fractions of the
 *     half-torso width (horizontally) and of the body height (vertically). The ROIs are exact
 *     mirror images about the midline. Lateral/oblique views: one box for the named side, placed
 *     from the anterior body edge (image left for *-left views, image right for *-right views:
 *     the patient turns the named side toward the camera, as in the phantom and DMR-IR);
 *  4. anti-aliasing Gaussian (sigma given in model-grid pixels, scaled to source pixels) and
 *     bilinear resampling of each box to the model grid;
 *  5. laterality-consistent orientation: every breast is presented as if it were the patient's
 *     RIGHT breast seen from the front (lateral edge on the grid's left, sternum/anterior on its
 *     right): LEFT-breast outputs are mirrored left-right.
 * The ROI is a body-relative box, not a breast segmentation: it contains the breast plus some
 * surrounding torso and, where it leaves the image, the mean background value.
 * Pixel values stay in the input's units (°C or normalised intensity); normalisation by the
 * model's fixed range belongs to the core pipeline.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_PREPROCESS_H
#define THERMOGUARD_PREPROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "thermoguard/dataset.h"
#include "thermoguard/image.h"
#include "thermoguard/preprocess_params.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest view accepted (rows x columns), checked before any allocation. */
#define TG_PREPROCESS_MAX_PIXELS ((size_t)1 << 24)

/* One breast's model input. */
typedef struct tg_breast_input {
    tg_side side;                  /* whose breast this is */
    tg_image input;                /* 2 x grid_h x grid_w: channel 0 = this breast, channel 1 = the
                                      contralateral breast, both oriented as a right breast */
    int contralateral_present;     /* 0: the view shows one side; channel 1 is a copy of channel 0
                                      (a neutral "no asymmetry" input) until a caller supplies the
                                      opposite-side view (tg_preprocess_pair_views) */
    tg_image mask;                 /* 1 x grid_h x grid_w body mask in [0,1], oriented as channel 0 */
    double roi_col, roi_row;       /* top-left corner of the ROI box in source pixels (before
                                      mirroring; may lie outside the image) */
    double roi_size;               /* side of the (square) box in source pixels, margin included */
} tg_breast_input;

/* Everything one view yields. */
typedef struct tg_preprocess_result {
    int n_breasts;                 /* 2 for a frontal view, 1 otherwise */
    tg_breast_input breast[2];     /* frontal: [TG_SIDE_RIGHT], [TG_SIDE_LEFT]; otherwise [0] */
    tg_image body_mask;            /* 1 x H x W, 1 = body, 0 = background */
    double threshold;              /* the Otsu threshold used, in the input's units */
    double background;             /* mean value outside the mask (fills out-of-image ROI parts) */
    int body_top, body_bottom;     /* first and last mask row */
    double midline_col;            /* frontal: the split column; -1 otherwise */
} tg_preprocess_result;

/* Preprocesses channel 0 of `view_image` (1 x H x W, °C or intensity) shot as `view` into a new
 * `out` (params NULL = defaults). TG_ERR_ARG for an empty image, more than one channel or a bad
 * view; TG_ERR_OVERFLOW above TG_PREPROCESS_MAX_PIXELS; TG_ERR_NONFINITE for NaN/Inf pixels;
 * TG_ERR_FORMAT when no body is found (uniform image, mask too small/large, no midline). On
 * failure `out` is left empty. */
tg_status tg_preprocess_view(const tg_image *view_image, tg_view view,
                             const tg_preprocess_params *params, tg_preprocess_result *out);

/* Frees every image in `r` and empties it; safe on an empty or NULL result. */
void tg_preprocess_result_destroy(tg_preprocess_result *r);

/* Completes two single-breast results of opposite sides from the same series (e.g. the
 * lateral-left and lateral-right views): copies each one's channel 0 into the other's channel 1
 * and marks both contralateral_present. TG_ERR_ARG unless both hold exactly one breast, of
 * opposite sides, on the same grid. */
tg_status tg_preprocess_pair_views(tg_preprocess_result *a, tg_preprocess_result *b);

/* ---- plain image files (ITK) ---- */

/* Reads a PNG, JPEG or TIFF file into a new 1 x H x W image of intensity in [0,1] (8- or 16-bit
 * grey; RGB/RGBA converted to Rec. 709 luminance, alpha ignored) and sets *has_temperature = 0
 * (such files carry no temperature scale; never treat them as °C). TG_ERR_IO if the file cannot
 * be opened, TG_ERR_FORMAT for another format or a decoding failure, TG_ERR_OVERFLOW above
 * TG_PREPROCESS_MAX_PIXELS. `has_temperature` may be NULL. On failure `out` is left empty. */
tg_status tg_image_read_file(const char *path, tg_image *out, int *has_temperature);

/* Writes channel `channel` of `img` as a 16-bit grey PNG, mapping [lo, hi] linearly to
 * 0..65535 (values outside are clipped). TG_ERR_ARG for a bad channel or lo >= hi,
 * TG_ERR_NONFINITE for NaN/Inf, TG_ERR_IO on write failure. */
tg_status tg_image_write_png(const char *path, const tg_image *img, int channel, double lo,
                             double hi);

/* Encodes channel `channel` of `img` as an 8-bit grey PNG in memory, mapping [lo, hi] linearly
 * to 0..255 (clipped): *data (malloc'd, free() it) of *size bytes, for inline report images.
 * ITK writes through a private temporary file. Errors as tg_image_write_png, TG_ERR_NOMEM. */
tg_status tg_image_encode_png(const tg_image *img, int channel, double lo, double hi, uint8_t **data,
                              size_t *size);

#ifdef __cplusplus
}
#endif
#endif
