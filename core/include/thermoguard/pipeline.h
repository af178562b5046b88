/* ThermoGuard — the WBAD pipeline as one differentiable chain:
 *   raw map (°C or intensity) -> fixed normalisation -> [wavelet denoising] -> DWT feature
 *   images (chosen subbands of level k, stacked as channels) -> CNN -> logits,
 * with the gradient of any loss with respect to the RAW input pixels (what attacks need).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_PIPELINE_H
#define THERMOGUARD_PIPELINE_H

#include "thermoguard/denoise.h"
#include "thermoguard/dwt.h"
#include "thermoguard/nn.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the backward pass crosses the denoiser. */
typedef enum tg_denoise_grad {
    TG_DENOISE_GRAD_EXACT = 0, /* exact subgradient of thresholding (thresholds held fixed) */
    TG_DENOISE_GRAD_BPDA = 1   /* identity in the backward pass (Athalye et al.'s BPDA) */
} tg_denoise_grad;

/* Subbands of the feature level, as a bit mask. */
enum { TG_BAND_LL = 1, TG_BAND_H = 2, TG_BAND_V = 4, TG_BAND_D = 8, TG_BAND_ALL = 15 };

/* Everything the pipeline does before the network; stored in the model file. */
typedef struct tg_pipeline_config {
    int in_c, in_h, in_w;         /* raw input grid per sample: channels (breast, contralateral) */
    int has_temperature;          /* 1: raw values are °C; 0: normalised intensity */
    float t_min, t_max;           /* fixed affine map x = (T - t_min) / (t_max - t_min): never per image,
                                   * so an attack budget in °C means the same for every image */
    int denoise_on;               /* WBAD stage 1 on/off */
    tg_denoise_params denoise;    /* applied to the normalised image, per channel */
    tg_denoise_grad denoise_grad;
    char feat_wavelet[16];        /* DWT of the feature images */
    tg_dwt_mode feat_mode;
    int feat_level;               /* k >= 1: bands of level k; LL is scaled by 2^-k */
    unsigned feat_bands;          /* TG_BAND_* mask, at least one band */
} tg_pipeline_config;

/* Defaults: 2 x 64 x 64 °C input, 20-40 °C range, denoising on (scikit-image defaults, exact
 * gradient), haar level-1 features LL+H+V+D. */
void tg_pipeline_config_default(tg_pipeline_config *cfg);

/* Validates every field (sizes, range, names, levels against the grid). TG_ERR_ARG / RANGE /
 * NOTFOUND with a message naming the field. */
tg_status tg_pipeline_config_check(const tg_pipeline_config *cfg);

/* Shape of one sample's feature image (the network input): channels, height, width. */
tg_status tg_pipeline_feature_shape(const tg_pipeline_config *cfg, int *c, int *h, int *w);

/* °C per normalised unit (t_max - t_min): converts attack budgets for reports. */
double tg_pipeline_celsius_per_unit(const tg_pipeline_config *cfg);

typedef struct tg_pipeline tg_pipeline;

/* Builds a pipeline around `net` (borrowed: it must outlive the pipeline and take the feature
 * shape as input) for batches of up to max_batch samples. Not thread-safe: one per thread. */
tg_status tg_pipeline_create(tg_pipeline **out, const tg_pipeline_config *cfg, tg_net *net, int max_batch);
void tg_pipeline_destroy(tg_pipeline *p);

const tg_pipeline_config *tg_pipeline_get_config(const tg_pipeline *p);
int tg_pipeline_max_batch(const tg_pipeline *p);
tg_net *tg_pipeline_get_net(tg_pipeline *p);

/* Feature images of `batch` raw samples into `features` [batch, fc, fh, fw] (no network).
 * TG_ERR_NONFINITE for NaN/Inf input (naming sample and pixel), TG_ERR_ARG for bad sizes. */
tg_status tg_pipeline_features(tg_pipeline *p, const float *raw, int batch, float *features);

/* Forward of `batch` raw samples [batch, in_c, in_h, in_w]: *logits points at [batch, classes]
 * inside the pipeline, valid until the next forward. `pass` NULL = evaluation mode. */
tg_status tg_pipeline_forward(tg_pipeline *p, const float *raw, int batch, const tg_net_pass *pass,
                              const float **logits);

/* Backward of the last forward: dlogits [batch, classes] -> draw [batch, in_c, in_h, in_w]
 * (overwritten; may be NULL when only parameter gradients are wanted). `flags` are
 * TG_NET_GRAD_* (TG_NET_GRAD_INPUT is implied when draw is not NULL). */
tg_status tg_pipeline_backward(tg_pipeline *p, const float *dlogits, int flags, float *draw);

/* Losses an attack or a training step can ask for. */
typedef enum tg_loss_kind { TG_LOSS_XENT = 0, TG_LOSS_MARGIN = 1, TG_LOSS_FOCAL = 2 } tg_loss_kind;

/* Convenience for attacks: evaluation-mode forward, summed loss over the batch, gradient of
 * that sum w.r.t. the raw input into draw. *loss_out (may be NULL) = the summed loss,
 * losses (may be NULL) = per-sample values [batch]. */
tg_status tg_pipeline_input_gradient(tg_pipeline *p, const float *raw, const int *labels, int batch,
                                     tg_loss_kind loss, float *loss_out, float *losses, float *draw);

/* Class probabilities (softmax of the logits) of `batch` samples into probs [batch, classes]. */
tg_status tg_pipeline_predict(tg_pipeline *p, const float *raw, int batch, float *probs);

#ifdef __cplusplus
}
#endif
#endif
