/* Squeezers: bit-depth reduction, median smoothing, JPEG-style DCT re-quantisation.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/squeeze.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ITU-T T.81 Annex K.1 luminance quantisation table (natural order). */
static const int luminance_q[64] = {
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
};

tg_status tg_squeezer_check(const tg_squeezer *s)
{
    if (!s)
        return tg_fail(TG_ERR_ARG, "squeezer: NULL");
    switch (s->kind) {
    case TG_SQUEEZE_BITDEPTH:
        if (s->bits < 1 || s->bits > 16)
            return tg_fail(TG_ERR_ARG, "squeezer: bit depth %d outside 1..16", s->bits);
        return TG_OK;
    case TG_SQUEEZE_MEDIAN:
        if (s->size < 3 || s->size > 15 || s->size % 2 == 0)
            return tg_fail(TG_ERR_ARG, "squeezer: median window %d must be odd, 3..15", s->size);
        return TG_OK;
    case TG_SQUEEZE_JPEG:
        if (s->quality < 1 || s->quality > 100)
            return tg_fail(TG_ERR_ARG, "squeezer: JPEG quality %d outside 1..100", s->quality);
        return TG_OK;
    }
    return tg_fail(TG_ERR_ARG, "squeezer: unknown kind %d", (int)s->kind);
}

tg_status tg_squeezer_parse(const char *text, tg_squeezer *out)
{
    if (!text || !out)
        return tg_fail(TG_ERR_ARG, "tg_squeezer_parse: NULL argument");
    memset(out, 0, sizeof *out);
    const char *colon = strchr(text, ':');
    if (!colon)
        return tg_fail(TG_ERR_ARG, "squeezer '%.40s': expected bits:N, median:N or jpeg:N", text);
    char *end;
    long v = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || v < -100000 || v > 100000)
        return tg_fail(TG_ERR_ARG, "squeezer '%.40s': the value after ':' must be an integer", text);
    size_t klen = (size_t)(colon - text);
    if (klen == 4 && strncmp(text, "bits", 4) == 0) {
        out->kind = TG_SQUEEZE_BITDEPTH;
        out->bits = (int)v;
    } else if (klen == 6 && strncmp(text, "median", 6) == 0) {
        out->kind = TG_SQUEEZE_MEDIAN;
        out->size = (int)v;
    } else if (klen == 4 && strncmp(text, "jpeg", 4) == 0) {
        out->kind = TG_SQUEEZE_JPEG;
        out->quality = (int)v;
    } else {
        return tg_fail(TG_ERR_ARG, "squeezer '%.40s': unknown kind (bits, median or jpeg)", text);
    }
    return tg_squeezer_check(out);
}

void tg_squeezer_format(const tg_squeezer *s, char *buf, size_t size)
{
    switch (s->kind) {
    case TG_SQUEEZE_BITDEPTH:
        snprintf(buf, size, "bits:%d", s->bits);
        return;
    case TG_SQUEEZE_MEDIAN:
        snprintf(buf, size, "median:%d", s->size);
        return;
    case TG_SQUEEZE_JPEG:
        snprintf(buf, size, "jpeg:%d", s->quality);
        return;
    }
    snprintf(buf, size, "invalid");
}

static float clip01(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void median(const float *in, int h, int w, int k, float *out)
{
    int r = k / 2;
    float win[15 * 15];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int n = 0;
            for (int dy = -r; dy <= r; dy++) {
                int yy = y + dy < 0 ? 0 : (y + dy >= h ? h - 1 : y + dy);
                for (int dx = -r; dx <= r; dx++) {
                    int xx = x + dx < 0 ? 0 : (x + dx >= w ? w - 1 : x + dx);
                    win[n++] = clip01(in[(size_t)yy * (size_t)w + (size_t)xx]);
                }
            }
            qsort(win, (size_t)n, sizeof *win, cmp_float);
            out[(size_t)y * (size_t)w + (size_t)x] = win[n / 2];
        }
}

/* Orthonormal 8-point DCT-II basis: c[u][x] = a(u) cos((2x+1) u pi / 16). */
static void dct_basis(double c[8][8])
{
    for (int u = 0; u < 8; u++)
        for (int x = 0; x < 8; x++)
            c[u][x] = (u == 0 ? sqrt(1.0 / 8.0) : sqrt(2.0 / 8.0)) * cos((2 * x + 1) * u * 3.14159265358979323846 / 16.0);
}

/* JPEG's lossy stage on 8x8 blocks of the image scaled to 0..255 (edges replicated into
 * partial blocks): level shift, 2-D DCT, quantise with the IJG-scaled table, dequantise,
 * inverse DCT, round and clip to 0..255 like a decoder, scale back to [0, 1]. */
static void jpeg_requantise(const float *in, int h, int w, int quality, float *out)
{
    double c[8][8], q[64];
    dct_basis(c);
    int scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
    for (int i = 0; i < 64; i++) {
        int v = (luminance_q[i] * scale + 50) / 100;
        q[i] = v < 1 ? 1 : (v > 255 ? 255 : v);
    }
    for (int by = 0; by < h; by += 8)
        for (int bx = 0; bx < w; bx += 8) {
            double blk[8][8], tmp[8][8], coef[8][8];
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 8; x++) {
                    int yy = by + y < h ? by + y : h - 1, xx = bx + x < w ? bx + x : w - 1;
                    blk[y][x] = rint(255.0 * clip01(in[(size_t)yy * (size_t)w + (size_t)xx])) - 128.0;
                }
            for (int u = 0; u < 8; u++) /* rows: tmp = blk C^T */
                for (int y = 0; y < 8; y++) {
                    double s = 0;
                    for (int x = 0; x < 8; x++)
                        s += blk[y][x] * c[u][x];
                    tmp[y][u] = s;
                }
            for (int v = 0; v < 8; v++) /* columns: coef = C tmp, quantised */
                for (int u = 0; u < 8; u++) {
                    double s = 0;
                    for (int y = 0; y < 8; y++)
                        s += c[v][y] * tmp[y][u];
                    double qq = q[v * 8 + u];
                    coef[v][u] = rint(s / qq) * qq;
                }
            for (int v = 0; v < 8; v++) /* inverse: blk = C^T coef C */
                for (int x = 0; x < 8; x++) {
                    double s = 0;
                    for (int u = 0; u < 8; u++)
                        s += coef[v][u] * c[u][x];
                    tmp[v][x] = s;
                }
            for (int y = 0; y < 8 && by + y < h; y++)
                for (int x = 0; x < 8 && bx + x < w; x++) {
                    double s = 0;
                    for (int v = 0; v < 8; v++)
                        s += c[v][y] * tmp[v][x];
                    double px = rint(s + 128.0);
                    px = px < 0 ? 0 : (px > 255 ? 255 : px);
                    out[(size_t)(by + y) * (size_t)w + (size_t)(bx + x)] = (float)(px / 255.0);
                }
        }
}

tg_status tg_squeeze_apply(const tg_squeezer *s, const float *in, int h, int w, float *out)
{
    if (!s || !in || !out)
        return tg_fail(TG_ERR_ARG, "tg_squeeze_apply: NULL argument");
    if (h < 1 || w < 1 || (size_t)h * (size_t)w > ((size_t)1 << 28))
        return tg_fail(TG_ERR_ARG, "tg_squeeze_apply: image size %d x %d outside 1..2^28 pixels", h, w);
    tg_status st = tg_squeezer_check(s);
    if (st != TG_OK)
        return st;
    size_t n = (size_t)h * (size_t)w;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(in[i]))
            return tg_fail(TG_ERR_NONFINITE, "squeezer: pixel (%zu, %zu) is %g", i / (size_t)w, i % (size_t)w,
                           (double)in[i]);
    switch (s->kind) {
    case TG_SQUEEZE_BITDEPTH: {
        float levels = (float)((1 << s->bits) - 1);
        for (size_t i = 0; i < n; i++)
            out[i] = rintf(clip01(in[i]) * levels) / levels;
        return TG_OK;
    }
    case TG_SQUEEZE_MEDIAN:
        if (in == out)
            return tg_fail(TG_ERR_ARG, "tg_squeeze_apply: the median needs separate input and output buffers");
        median(in, h, w, s->size, out);
        return TG_OK;
    case TG_SQUEEZE_JPEG: {
        if (in != out) {
            jpeg_requantise(in, h, w, s->quality, out);
            return TG_OK;
        }
        float *tmp;
        if ((st = tg_alloc_checked((void **)&tmp, n, sizeof *tmp, 0, "jpeg squeezer")) != TG_OK)
            return st;
        jpeg_requantise(in, h, w, s->quality, tmp);
        memcpy(out, tmp, n * sizeof *tmp);
        free(tmp);
        return TG_OK;
    }
    }
    return TG_OK;
}

tg_status tg_squeeze_raw(const tg_pipeline_config *cfg, const tg_squeezer *s, const float *raw, int batch, float *out)
{
    if (!cfg || !s || !raw || !out || batch < 1)
        return tg_fail(TG_ERR_ARG, "tg_squeeze_raw: NULL argument or empty batch");
    size_t hw = (size_t)cfg->in_h * (size_t)cfg->in_w, planes = (size_t)batch * (size_t)cfg->in_c;
    float *a, *b;
    tg_status st = tg_alloc_checked((void **)&a, 2 * hw, sizeof *a, 0, "squeeze buffer");
    if (st != TG_OK)
        return st;
    b = a + hw;
    float lo = cfg->t_min, range = cfg->t_max - cfg->t_min;
    for (size_t pl = 0; pl < planes && st == TG_OK; pl++) {
        for (size_t i = 0; i < hw; i++)
            a[i] = (raw[pl * hw + i] - lo) / range;
        st = tg_squeeze_apply(s, a, cfg->in_h, cfg->in_w, b);
        for (size_t i = 0; st == TG_OK && i < hw; i++)
            out[pl * hw + i] = b[i] * range + lo;
    }
    free(a);
    return st;
}
