/* tg_image: allocation, copy, statistics.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

tg_status tg_image_create(tg_image *img, int c, int h, int w)
{
    if (!img)
        return tg_fail(TG_ERR_ARG, "tg_image_create: NULL image");
    img->c = img->h = img->w = 0;
    img->data = NULL;
    if (c <= 0 || h <= 0 || w <= 0)
        return tg_fail(TG_ERR_ARG, "tg_image_create: sizes must be positive, got %d x %d x %d", c, h, w);
    size_t n;
    tg_status st = tg_size_mul((size_t)c, (size_t)h, &n, "image");
    if (st == TG_OK)
        st = tg_size_mul(n, (size_t)w, &n, "image");
    if (st != TG_OK)
        return st;
    if (n > TG_IMAGE_MAX_ELEMENTS)
        return tg_fail(TG_ERR_OVERFLOW, "tg_image_create: %d x %d x %d = %zu elements exceeds the limit %zu",
                       c, h, w, n, TG_IMAGE_MAX_ELEMENTS);
    img->data = calloc(n, sizeof(float));
    if (!img->data)
        return tg_fail(TG_ERR_NOMEM, "tg_image_create: out of memory for %zu floats", n);
    img->c = c;
    img->h = h;
    img->w = w;
    return TG_OK;
}

void tg_image_destroy(tg_image *img)
{
    if (!img)
        return;
    free(img->data);
    img->data = NULL;
    img->c = img->h = img->w = 0;
}

size_t tg_image_size(const tg_image *img)
{
    if (!img || !img->data)
        return 0;
    return (size_t)img->c * (size_t)img->h * (size_t)img->w;
}

float *tg_image_channel(const tg_image *img, int c)
{
    return img->data + (size_t)c * (size_t)img->h * (size_t)img->w;
}

tg_status tg_image_copy(tg_image *dst, const tg_image *src)
{
    if (!dst || !src || !src->data)
        return tg_fail(TG_ERR_ARG, "tg_image_copy: NULL or empty image");
    tg_status st = tg_image_create(dst, src->c, src->h, src->w);
    if (st != TG_OK)
        return st;
    memcpy(dst->data, src->data, tg_image_size(src) * sizeof(float));
    return TG_OK;
}

tg_status tg_image_stats_compute(const tg_image *img, tg_image_stats *out)
{
    size_t n = tg_image_size(img);
    if (n == 0 || !out)
        return tg_fail(TG_ERR_ARG, "tg_image_stats_compute: empty image or NULL output");
    double mn = INFINITY, mx = -INFINITY, sum = 0.0, sum2 = 0.0;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double v = img->data[i];
        if (!isfinite(v)) {
            bad++;
            continue;
        }
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        sum += v;
        sum2 += v * v;
    }
    out->nonfinite = bad;
    size_t good = n - bad;
    if (good == 0) {
        out->min = out->max = out->mean = out->stddev = 0.0;
        return TG_OK;
    }
    out->min = mn;
    out->max = mx;
    out->mean = sum / (double)good;
    double var = sum2 / (double)good - out->mean * out->mean;
    out->stddev = var > 0.0 ? sqrt(var) : 0.0;
    return TG_OK;
}

tg_status tg_image_check_finite(const tg_image *img)
{
    size_t n = tg_image_size(img);
    if (n == 0)
        return tg_fail(TG_ERR_ARG, "tg_image_check_finite: empty image");
    size_t hw = (size_t)img->h * (size_t)img->w;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(img->data[i]))
            return tg_fail(TG_ERR_NONFINITE, "image element (c=%zu, y=%zu, x=%zu) is %g", i / hw,
                           (i % hw) / (size_t)img->w, i % (size_t)img->w, (double)img->data[i]);
    return TG_OK;
}
