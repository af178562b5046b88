/* ThermoGuard — input transformations ("squeezers") used as defenses and by the
 * feature-squeezing detector: bit-depth reduction, median smoothing, and JPEG-style DCT
 * re-quantisation (the lossy stage of baseline JPEG, implemented here without libjpeg).
 * They act on one normalised image (values in [0, 1], row-major H x W); inputs are clipped to
 * [0, 1] first. None is differentiable: attacks must go through them with BPDA (and EOT where
 * random) — none of these is random.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_SQUEEZE_H
#define THERMOGUARD_SQUEEZE_H

#include "thermoguard/pipeline.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tg_squeeze_kind {
    TG_SQUEEZE_BITDEPTH = 0, /* round(x (2^b - 1)) / (2^b - 1) */
    TG_SQUEEZE_MEDIAN = 1,   /* k x k median (k odd), edges replicated */
    TG_SQUEEZE_JPEG = 2      /* 8x8 DCT, IJG-scaled luminance table at `quality`, back */
} tg_squeeze_kind;

typedef struct tg_squeezer {
    tg_squeeze_kind kind;
    int bits;      /* bit depth, 1..16 */
    int size;      /* median window, odd, 3..15 */
    int quality;   /* JPEG quality, 1..100 */
} tg_squeezer;

/* Checks a squeezer's kind and the parameter that kind uses; TG_ERR_ARG naming the bad one. */
tg_status tg_squeezer_check(const tg_squeezer *s);

/* Parses "bits:5", "median:3", "jpeg:50" into a squeezer; TG_ERR_ARG with the reason otherwise. */
tg_status tg_squeezer_parse(const char *text, tg_squeezer *out);

/* Writes the canonical text of a squeezer ("median:3") into buf. */
void tg_squeezer_format(const tg_squeezer *s, char *buf, size_t size);

/* Applies one squeezer to an h x w normalised image; in == out is allowed except for the
 * median (use separate buffers). TG_ERR_ARG for NULL/bad parameters/sizes, TG_ERR_NONFINITE
 * for NaN/Inf, TG_ERR_NOMEM. */
tg_status tg_squeeze_apply(const tg_squeezer *s, const float *in, int h, int w, float *out);

/* Applies a squeezer to a batch of raw pipeline samples [batch, in_c, in_h, in_w] (°C or
 * intensity): normalise with the pipeline's fixed range, squeeze each channel, map back. */
tg_status tg_squeeze_raw(const tg_pipeline_config *cfg, const tg_squeezer *s, const float *raw, int batch, float *out);

#ifdef __cplusplus
}
#endif
#endif
