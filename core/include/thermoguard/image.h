/* ThermoGuard — tg_image: an owned float32 image of C channels x H rows x W columns.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_IMAGE_H
#define THERMOGUARD_IMAGE_H

#include <stddef.h>
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest image the core will allocate, in elements (C*H*W): 2^28 floats = 1 GiB. */
#define TG_IMAGE_MAX_ELEMENTS ((size_t)1 << 28)

/* Planar layout: element (c, y, x) lives at data[(c*h + y)*w + x]. */
typedef struct tg_image {
    int c, h, w;
    float *data; /* owned; c*h*w floats */
} tg_image;

/* Allocates a zero-filled image. TG_ERR_ARG for non-positive sizes or a NULL `img`,
 * TG_ERR_OVERFLOW above TG_IMAGE_MAX_ELEMENTS, TG_ERR_NOMEM. On failure *img is left empty. */
tg_status tg_image_create(tg_image *img, int c, int h, int w);

/* Frees the pixels and resets the struct to empty; safe on an empty or NULL image. */
void tg_image_destroy(tg_image *img);

/* Deep copy of `src` into a newly created `dst`. */
tg_status tg_image_copy(tg_image *dst, const tg_image *src);

/* Number of elements c*h*w (0 for an empty image). */
size_t tg_image_size(const tg_image *img);

/* Pointer to channel `c` (h*w contiguous floats). */
float *tg_image_channel(const tg_image *img, int c);

/* Summary statistics over all elements, accumulated in double. */
typedef struct tg_image_stats {
    double min, max, mean, stddev;
    size_t nonfinite; /* count of NaN/Inf elements (excluded from the other fields) */
} tg_image_stats;

/* Computes statistics; TG_ERR_ARG on an empty image. All-non-finite images report
 * nonfinite = size and min = max = mean = stddev = 0. */
tg_status tg_image_stats_compute(const tg_image *img, tg_image_stats *out);

/* TG_OK if every element is finite, else TG_ERR_NONFINITE naming the first bad element. */
tg_status tg_image_check_finite(const tg_image *img);

#ifdef __cplusplus
}
#endif
#endif
