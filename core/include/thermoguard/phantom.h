/* ThermoGuard — the synthetic thermogram phantom: deterministic 640 x 480 degC maps of a torso
 * with two breasts, seen from several views, with a warm lesion in one breast of sick patients.
 * SYNTHETIC — NOT FOR CLINICAL USE. Every image is a pure function of (opts, patient, view):
 * patient anatomy comes from rng stream (seed, 8*patient), view noise from (seed, 8*patient+1+view),
 * so images can be made in any order, on any thread, one at a time.
 *
 * Geometry: an orthographic camera looks at an elliptic-cylinder torso with two spherical
 * breasts. World X points to the patient's left, Y down (image rows), Z anterior. In the
 * frontal view the patient faces the camera, so the patient's right breast is on the image's
 * left (x < midline). Lateral views are 90 degrees, oblique 45 degrees, toward the named side.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_PHANTOM_H
#define THERMOGUARD_PHANTOM_H

#include <stddef.h>
#include <stdint.h>
#include "thermoguard/dataset.h"
#include "thermoguard/image.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_PHANTOM_WIDTH 640
#define TG_PHANTOM_HEIGHT 480
#define TG_PHANTOM_MAX_PATIENTS ((size_t)1 << 40)

/* Difficulty knobs: the defaults make small, deep lesions hard to tell from healthy asymmetry
 * and noise, so a baseline classifier stays well below 100%. */
typedef struct tg_phantom_opts {
    uint64_t seed;
    size_t n_patients;           /* default 100 */
    unsigned views;              /* bitmask of (1u << tg_view); default frontal + both laterals */
    double sick_fraction;        /* probability that a patient is sick (default 0.5) */
    double lesion_min_c;         /* lesion contrast range in degC (default 0.3 .. 2.5); the */
    double lesion_max_c;         /*   surface peak is contrast * radius / (radius + depth) */
    double lesion_radius_min_px; /* lesion radius range in pixels (default 5 .. 22) */
    double lesion_radius_max_px;
    double lesion_depth_max_px;  /* depth below the skin, uniform in 0 .. this (default 25) */
    double noise_c;              /* per-pixel sensor noise sigma in degC (default 0.08) */
    double asymmetry;            /* healthy left/right differences: 0 = exact mirror (default 1) */
    double vessel_density;       /* mean number of vessels per breast (default 4, at most 12) */
    int quantize;                /* non-zero: round to 0.01 degC like DMR-IR files (default 0) */
} tg_phantom_opts;

/* Where a breast appears in a view, in pixel coordinates (col = x, row = y). */
typedef struct tg_breast_region {
    int visible;        /* the breast's front pole is seen in this view */
    double col, row;    /* projected centre of the breast */
    double radius;      /* breast radius in pixels */
} tg_breast_region;

/* Ground truth and geometry of one rendered view. Arrays indexed by tg_side. */
typedef struct tg_phantom_view_info {
    char patient_id[32];          /* "SYN-00007" */
    size_t patient_index;
    tg_view view;
    const char *view_name;        /* tg_view_name(view), static */
    tg_laterality laterality;
    tg_label patient_label;       /* sick if either breast is */
    tg_label breast_label[2];     /* which breast holds the lesion */
    double midline_col;           /* column of the sternum line; -1 in lateral views */
    tg_breast_region breast[2];
    int lesion_visible;           /* the lesion's surface peak is seen in this view */
    double lesion_col, lesion_row;/* its projected position (-1 when there is no lesion) */
    double lesion_peak_c;         /* surface temperature rise at the peak (0 if healthy) */
    double lesion_radius_px, lesion_depth_px;
} tg_phantom_view_info;

/* Fills `o` with the defaults above (seed 0). */
void tg_phantom_opts_default(tg_phantom_opts *o);

/* Checks every knob; TG_ERR_ARG / TG_ERR_RANGE naming the first bad one. */
tg_status tg_phantom_opts_check(const tg_phantom_opts *o);

/* Number of images: n_patients x number of views in the mask (0 for invalid options). */
size_t tg_phantom_item_count(const tg_phantom_opts *o);

/* Image number `item` in patient-major order -> (patient, view). TG_ERR_RANGE past the end. */
tg_status tg_phantom_item(const tg_phantom_opts *o, size_t item, size_t *patient, tg_view *view);

/* Labels of `patient` without rendering (breast_label may be NULL). TG_ERR_RANGE if
 * patient >= n_patients, TG_ERR_ARG for invalid options. */
tg_status tg_phantom_labels(const tg_phantom_opts *o, size_t patient, tg_label *patient_label,
                            tg_label breast_label[2]);

/* Renders `view` of `patient` into a new 1 x 480 x 640 degC image and describes it in `info`
 * (may be NULL). The view need not be in the mask. TG_ERR_RANGE for a bad patient or view,
 * TG_ERR_ARG for invalid options; on failure `out` is left empty. */
tg_status tg_phantom_render(const tg_phantom_opts *o, size_t patient, tg_view view,
                            tg_image *out, tg_phantom_view_info *info);

#ifdef __cplusplus
}
#endif
#endif
