/* Breast samples from phantom views using the phantom's ground-truth geometry — a test and
 * experiment utility standing in for the real (ITK) preprocessing in dicom/. SYNTHETIC.
 * Legend: GH x GW = output grid; a crop is a square of side L = 2 * crop_scale * r pixels.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* View pairs that give both breasts: [pair][side] = the view that shows that side. */
static const tg_view pair_views[3][2] = {
    {TG_VIEW_FRONTAL, TG_VIEW_FRONTAL},
    {TG_VIEW_LATERAL_RIGHT, TG_VIEW_LATERAL_LEFT},
    {TG_VIEW_OBLIQUE_RIGHT, TG_VIEW_OBLIQUE_LEFT},
};
static const char *const pair_names[3] = {"frontal", "lateral", "oblique"};

static int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Source pixel range [*p0, *p1) whose centres fall in [a, b); the nearest pixel when none does. */
static void pixel_span(double a, double b, int *p0, int *p1)
{
    *p0 = (int)ceil(a - 0.5);
    *p1 = (int)ceil(b - 0.5);
    if (*p1 <= *p0) {
        *p0 = (int)floor(0.5 * (a + b));
        *p1 = *p0 + 1;
    }
}

/* Area-averages the square of side L at (col, row) of `img` into dst [GH, GW], mirrored
 * left-right when `mirror`; pixels outside the image replicate the edge. */
static void crop_resample(float *dst, const tg_image *img, double col, double row, double L, int gh, int gw,
                          int mirror)
{
    const double x0 = col - 0.5 * L, y0 = row - 0.5 * L;
    for (int i = 0; i < gh; i++) {
        int r0, r1;
        pixel_span(y0 + L * i / gh, y0 + L * (i + 1) / gh, &r0, &r1);
        for (int j = 0; j < gw; j++) {
            int sj = mirror ? gw - 1 - j : j, c0, c1;
            pixel_span(x0 + L * sj / gw, x0 + L * (sj + 1) / gw, &c0, &c1);
            double sum = 0.0;
            for (int y = r0; y < r1; y++) {
                const float *src = img->data + (size_t)clampi(y, 0, img->h - 1) * (size_t)img->w;
                for (int x = c0; x < c1; x++)
                    sum += src[clampi(x, 0, img->w - 1)];
            }
            dst[(size_t)i * (size_t)gw + (size_t)j] = (float)(sum / ((double)(r1 - r0) * (double)(c1 - c0)));
        }
    }
}

/* Renders the pair's view(s) of one patient and appends its two breast samples at `at`. */
static tg_status pair_samples(const tg_phantom_opts *o, size_t patient, int pair, double crop_scale,
                              tg_sample_set *out, size_t at)
{
    tg_image img[2] = {{0}, {0}};
    tg_phantom_view_info info[2];
    const int views = pair_views[pair][0] == pair_views[pair][1] ? 1 : 2;
    tg_status st = TG_OK;
    for (int v = 0; v < views && st == TG_OK; v++)
        st = tg_phantom_render(o, patient, pair_views[pair][v], &img[v], &info[v]);
    if (st == TG_OK) {
        /* the image and info in which side s is seen */
        const tg_image *im[2] = {&img[0], &img[views - 1]};
        const tg_phantom_view_info *in[2] = {&info[0], &info[views - 1]};
        double r = fmax(in[0]->breast[TG_SIDE_RIGHT].radius, in[1]->breast[TG_SIDE_LEFT].radius);
        const double L = 2.0 * crop_scale * r;
        const size_t plane = (size_t)out->h * (size_t)out->w;
        for (int s = 0; s < 2 && st == TG_OK; s++) {
            size_t k = at + (size_t)s;
            for (int ch = 0; ch < 2; ch++) {
                int side = ch == 0 ? s : 1 - s; /* channel 0 the breast, channel 1 the contralateral */
                const tg_breast_region *b = &in[side]->breast[side];
                crop_resample(out->raw + (k * 2 + (size_t)ch) * plane, im[side], b->col, b->row, L, out->h, out->w,
                              side == TG_SIDE_LEFT);
            }
            st = tg_sample_set_put(out, k, NULL, in[s]->breast_label[s] == TG_LABEL_SICK, in[0]->patient_id,
                                   pair_names[pair]);
        }
    }
    for (int v = 0; v < 2; v++)
        tg_image_destroy(&img[v]);
    return st;
}

tg_status tg_phantom_breast_samples(const tg_phantom_opts *o, size_t first, size_t count, int grid_h, int grid_w,
                                    double crop_scale, tg_sample_set *out)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "tg_phantom_breast_samples: NULL output");
    memset(out, 0, sizeof *out);
    tg_status st = tg_phantom_opts_check(o);
    if (st != TG_OK)
        return st;
    if (count == 0 || first >= o->n_patients || count > o->n_patients - first)
        return tg_fail(TG_ERR_RANGE, "tg_phantom_breast_samples: patients %zu..%zu outside the %zu of the phantom",
                       first, first + count, o->n_patients);
    if (grid_h < 2 || grid_w < 2 || grid_h > 1024 || grid_w > 1024)
        return tg_fail(TG_ERR_RANGE, "tg_phantom_breast_samples: grid %d x %d outside 2..1024", grid_h, grid_w);
    if (!(crop_scale > 0.0 && crop_scale <= 4.0))
        return tg_fail(TG_ERR_RANGE, "tg_phantom_breast_samples: crop_scale %g outside (0, 4]", crop_scale);
    int use[3], pairs = 0;
    for (int q = 0; q < 3; q++) {
        int has0 = (o->views >> pair_views[q][0]) & 1u, has1 = (o->views >> pair_views[q][1]) & 1u;
        if (has0 != has1)
            return tg_fail(TG_ERR_ARG,
                           "tg_phantom_breast_samples: %s views need both sides (the contralateral channel comes "
                           "from the other side's view)",
                           pair_names[q]);
        use[q] = has0;
        pairs += has0;
    }
    if (pairs == 0)
        return tg_fail(TG_ERR_ARG, "tg_phantom_breast_samples: the view mask 0x%x holds no usable view", o->views);
    size_t n;
    if ((st = tg_size_mul(count, (size_t)(2 * pairs), &n, "phantom breast samples")) != TG_OK ||
        (st = tg_sample_set_create(out, n, 2, grid_h, grid_w)) != TG_OK)
        return st;
    size_t at = 0;
    for (size_t pt = first; pt < first + count && st == TG_OK; pt++)
        for (int q = 0; q < 3 && st == TG_OK; q++)
            if (use[q]) {
                st = pair_samples(o, pt, q, crop_scale, out, at);
                at += 2;
            }
    if (st != TG_OK)
        tg_sample_set_destroy(out);
    return st;
}
