/* libFuzzer target for the DMR-IR text-matrix reader (tg_textmatrix_read_buffer).
 * Each input is parsed under three configurations (strict 480 x 640 defaults; any size;
 * any size with a very wide value range). Whatever parses must be a finite, in-range,
 * rectangular matrix, and writing it back must re-read to the same text (round trip).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thermoguard/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parsed(const tg_image *img, const tg_textmatrix_opts *o, tg_textmatrix_dialect d)
{
    if (img->c != 1 || img->h <= 0 || img->w <= 0 || !img->data)
        abort();
    if (!o->any_size && (img->h != o->rows || img->w != o->cols))
        abort();
    size_t n = (size_t)img->h * (size_t)img->w;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(img->data[i]) || img->data[i] < (float)o->min_value || img->data[i] > (float)o->max_value)
            abort();
    /* Round trip: write, re-read, write again -> identical text and dimensions. */
    char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    if (tg_textmatrix_write_buffer(img, d, &a, &la) != TG_OK)
        abort();
    tg_textmatrix_opts wide = *o;
    wide.any_size = 1;
    wide.min_value = -FLT_MAX; /* float rounding may lift 1e30 a little above 1e30 */
    wide.max_value = FLT_MAX;
    wide.max_bytes = (size_t)-1;
    tg_image back;
    tg_textmatrix_dialect d2;
    if (tg_textmatrix_read_buffer(a, la, "roundtrip", &wide, &back, &d2) != TG_OK)
        abort();
    if (d2 != d || back.h != img->h || back.w != img->w)
        abort();
    if (tg_textmatrix_write_buffer(&back, d, &b, &lb) != TG_OK || la != lb || memcmp(a, b, la) != 0)
        abort();
    tg_image_destroy(&back);
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tg_textmatrix_opts o[3];
    for (int k = 0; k < 3; k++)
        tg_textmatrix_opts_default(&o[k]);
    o[1].any_size = 1;
    o[2].any_size = 1;
    o[2].min_value = -1e30;
    o[2].max_value = 1e30;
    for (int k = 0; k < 3; k++) {
        tg_image img;
        tg_textmatrix_dialect d;
        tg_status st = tg_textmatrix_read_buffer((const char *)data, size, "fuzz", &o[k], &img, &d);
        if (st == TG_OK)
            check_parsed(&img, &o[k], d);
        else if (img.data != NULL || tg_last_error()[0] == '\0')
            abort(); /* failures leave the image empty and always explain themselves */
        tg_image_destroy(&img);
    }
    return 0;
}
