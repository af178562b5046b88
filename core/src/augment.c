/* Label-preserving augmentation of breast samples (flip, integer shift, °C jitter, gain); why
 * each is label-preserving is in train.h. Legend: C channels, H x W grid.
 * Draws, in this fixed order, from one stream per (seed, stream): flip, dx, dy, offset, gain —
 * all five whatever the knobs, so a sample's transform is a pure function of (knobs, seed, stream).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/train.h"

#include <math.h>
#include <string.h>

void tg_augment_params_default(tg_augment_params *a)
{
    memset(a, 0, sizeof *a);
    a->flip = 1;
    a->max_shift = 2;
    a->jitter_c = 0.3;
}

tg_status tg_augment_check(const tg_augment_params *a, int h, int w)
{
    if (!a)
        return tg_fail(TG_ERR_ARG, "augmentation: NULL parameters");
    if (a->flip != 0 && a->flip != 1)
        return tg_fail(TG_ERR_RANGE, "augmentation: flip must be 0 or 1, got %d", a->flip);
    if (a->max_shift < 0 || a->max_shift >= h || a->max_shift >= w)
        return tg_fail(TG_ERR_RANGE, "augmentation: max_shift %d outside 0..%d for a %d x %d grid", a->max_shift,
                       (h < w ? h : w) - 1, h, w);
    if (!(a->jitter_c >= 0.0 && a->jitter_c <= 10.0))
        return tg_fail(TG_ERR_RANGE, "augmentation: jitter_c %g °C outside [0, 10]", a->jitter_c);
    if (!(a->gain >= 0.0 && a->gain <= 0.5))
        return tg_fail(TG_ERR_RANGE, "augmentation: gain %g outside [0, 0.5]", a->gain);
    return TG_OK;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

tg_status tg_augment_sample(const tg_augment_params *a, uint64_t seed, uint64_t stream, float *raw, int c, int h,
                            int w, float *scratch)
{
    if (!raw || !scratch)
        return tg_fail(TG_ERR_ARG, "tg_augment_sample: NULL buffer");
    if (c < 1 || h < 1 || w < 1)
        return tg_fail(TG_ERR_ARG, "tg_augment_sample: shape %d x %d x %d must be positive", c, h, w);
    tg_status st = tg_augment_check(a, h, w);
    if (st != TG_OK)
        return st;
    tg_rng r;
    tg_rng_stream(&r, seed, stream);
    const int flip = tg_rng_uniform(&r) < 0.5;
    const int span = 2 * a->max_shift + 1;
    const int dx = (int)tg_rng_below(&r, (uint64_t)span) - a->max_shift;
    const int dy = (int)tg_rng_below(&r, (uint64_t)span) - a->max_shift;
    const double off = tg_rng_range(&r, -a->jitter_c, a->jitter_c);
    const double g = tg_rng_range(&r, 1.0 - a->gain, 1.0 + a->gain);
    const size_t hw = (size_t)h * (size_t)w, n = (size_t)c * hw;

    if ((a->flip && flip) || dx != 0 || dy != 0) {
        /* out(y, x) = in(clamp(y - dy), clamp(x' - dx)), x' = the flipped column */
        memcpy(scratch, raw, n * sizeof(float));
        const int fl = a->flip && flip;
        for (int ch = 0; ch < c; ch++) {
            const float *src = scratch + (size_t)ch * hw;
            float *dst = raw + (size_t)ch * hw;
            for (int y = 0; y < h; y++) {
                const float *row = src + (size_t)clampi(y - dy, 0, h - 1) * (size_t)w;
                for (int x = 0; x < w; x++) {
                    int sx = clampi(x - dx, 0, w - 1);
                    dst[(size_t)y * (size_t)w + (size_t)x] = row[fl ? w - 1 - sx : sx];
                }
            }
        }
    }
    if (a->gain > 0.0) {
        double mean = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += raw[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++)
            raw[i] = (float)(mean + g * ((double)raw[i] - mean));
    }
    if (a->jitter_c > 0.0)
        for (size_t i = 0; i < n; i++)
            raw[i] = (float)((double)raw[i] + off);
    return TG_OK;
}
