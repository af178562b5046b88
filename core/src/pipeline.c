/* The differentiable WBAD chain: normalisation -> denoising -> DWT features -> network.
 * Legend: B = batch, C = raw channels, H x W = raw grid, FC x FH x FW = feature image.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "thermoguard/image.h"

struct tg_pipeline {
    tg_pipeline_config cfg;
    tg_net *net;
    tg_net_workspace *ws;
    int max_batch, batch;     /* capacity, and the batch of the last forward */
    int fc, fh, fw, nbands;
    int band_of[4];           /* feature band j -> 0 LL, 1 H, 2 V, 3 D */
    tg_dwt_plan *plan;        /* feature DWT of one H x W channel */
    tg_denoiser *den;
    float ll_scale;           /* 2^-k */
    float *norm;              /* [B, C, H, W] normalised input of the last forward */
    float *feat;              /* [B, FC, FH, FW] */
    float *den_out;           /* [H, W] denoised channel */
    float *coeffs;            /* feature DWT coefficients of one channel */
    float *gbuf;              /* [H, W] gradient scratch */
    float *probs_logits;      /* [B, classes] scratch for losses */
};

void tg_pipeline_config_default(tg_pipeline_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->in_c = 2;
    cfg->in_h = 64;
    cfg->in_w = 64;
    cfg->has_temperature = 1;
    cfg->t_min = 20.0f;
    cfg->t_max = 40.0f;
    cfg->denoise_on = 1;
    tg_denoise_params_default(&cfg->denoise);
    cfg->denoise_grad = TG_DENOISE_GRAD_EXACT;
    strcpy(cfg->feat_wavelet, "haar");
    cfg->feat_mode = TG_MODE_SYMMETRIC;
    cfg->feat_level = 1;
    cfg->feat_bands = TG_BAND_ALL;
}

double tg_pipeline_celsius_per_unit(const tg_pipeline_config *cfg) { return (double)cfg->t_max - (double)cfg->t_min; }

tg_status tg_pipeline_config_check(const tg_pipeline_config *cfg)
{
    if (!cfg)
        return tg_fail(TG_ERR_ARG, "pipeline config: NULL");
    if (cfg->in_c < 1 || cfg->in_c > 16 || cfg->in_h < 2 || cfg->in_w < 2 || cfg->in_h > 4096 || cfg->in_w > 4096)
        return tg_fail(TG_ERR_RANGE, "pipeline config: input grid %d x %d x %d outside 1..16 x 2..4096 x 2..4096",
                       cfg->in_c, cfg->in_h, cfg->in_w);
    if (!isfinite(cfg->t_min) || !isfinite(cfg->t_max) || !(cfg->t_max > cfg->t_min))
        return tg_fail(TG_ERR_RANGE, "pipeline config: normalisation range [%g, %g] must be finite and increasing",
                       (double)cfg->t_min, (double)cfg->t_max);
    if (cfg->has_temperature != 0 && cfg->has_temperature != 1)
        return tg_fail(TG_ERR_ARG, "pipeline config: has_temperature must be 0 or 1");
    if (cfg->denoise_on != 0 && cfg->denoise_on != 1)
        return tg_fail(TG_ERR_ARG, "pipeline config: denoise_on must be 0 or 1");
    if (cfg->denoise_grad != TG_DENOISE_GRAD_EXACT && cfg->denoise_grad != TG_DENOISE_GRAD_BPDA)
        return tg_fail(TG_ERR_ARG, "pipeline config: invalid denoise_grad %d", (int)cfg->denoise_grad);
    if (cfg->feat_bands == 0 || (cfg->feat_bands & ~(unsigned)TG_BAND_ALL))
        return tg_fail(TG_ERR_ARG, "pipeline config: feat_bands 0x%x must be a non-empty mask of LL/H/V/D",
                       cfg->feat_bands);
    if (memchr(cfg->feat_wavelet, '\0', sizeof cfg->feat_wavelet) == NULL ||
        memchr(cfg->denoise.wavelet, '\0', sizeof cfg->denoise.wavelet) == NULL)
        return tg_fail(TG_ERR_ARG, "pipeline config: wavelet name not terminated");
    tg_wavelet w;
    tg_status st = tg_wavelet_get(cfg->feat_wavelet, &w);
    if (st != TG_OK)
        return st;
    if ((int)cfg->feat_mode < 0 || (int)cfg->feat_mode >= TG_DWT_MODE_COUNT)
        return tg_fail(TG_ERR_ARG, "pipeline config: invalid feature mode %d", (int)cfg->feat_mode);
    int ml = tg_dwt_max_level((size_t)(cfg->in_h < cfg->in_w ? cfg->in_h : cfg->in_w), w.len);
    if (cfg->feat_level < 1 || (cfg->feat_level > 1 && cfg->feat_level > ml))
        return tg_fail(TG_ERR_RANGE, "pipeline config: feature level %d outside 1..%d for %d x %d with %s",
                       cfg->feat_level, ml > 1 ? ml : 1, cfg->in_h, cfg->in_w, w.name);
    if (cfg->denoise_on) {
        tg_denoiser *d;
        st = tg_denoiser_create(&d, &cfg->denoise, (size_t)cfg->in_h, (size_t)cfg->in_w);
        tg_denoiser_destroy(d);
        if (st != TG_OK)
            return st;
    }
    return TG_OK;
}

tg_status tg_pipeline_feature_shape(const tg_pipeline_config *cfg, int *c, int *h, int *w)
{
    tg_status st = tg_pipeline_config_check(cfg);
    if (st != TG_OK)
        return st;
    tg_wavelet wv;
    tg_wavelet_get(cfg->feat_wavelet, &wv);
    size_t hh = (size_t)cfg->in_h, ww = (size_t)cfg->in_w;
    for (int k = 0; k < cfg->feat_level; k++) {
        hh = tg_dwt_coeff_len(hh, wv.len, cfg->feat_mode);
        ww = tg_dwt_coeff_len(ww, wv.len, cfg->feat_mode);
    }
    int nb = 0;
    for (int b = 0; b < 4; b++)
        nb += (cfg->feat_bands >> b) & 1;
    *c = cfg->in_c * nb;
    *h = (int)hh;
    *w = (int)ww;
    return TG_OK;
}

void tg_pipeline_destroy(tg_pipeline *p)
{
    if (!p)
        return;
    tg_net_workspace_destroy(p->ws);
    tg_dwt_plan_destroy(p->plan);
    tg_denoiser_destroy(p->den);
    free(p->norm);
    free(p->feat);
    free(p->den_out);
    free(p->coeffs);
    free(p->gbuf);
    free(p->probs_logits);
    free(p);
}

const tg_pipeline_config *tg_pipeline_get_config(const tg_pipeline *p) { return p ? &p->cfg : NULL; }

tg_net *tg_pipeline_get_net(tg_pipeline *p) { return p ? p->net : NULL; }

int tg_pipeline_max_batch(const tg_pipeline *p) { return p ? p->max_batch : 0; }

tg_status tg_pipeline_create(tg_pipeline **out, const tg_pipeline_config *cfg, tg_net *net, int max_batch)
{
    if (!out || !cfg || !net)
        return tg_fail(TG_ERR_ARG, "tg_pipeline_create: NULL argument");
    *out = NULL;
    if (max_batch < 1 || max_batch > 4096)
        return tg_fail(TG_ERR_ARG, "tg_pipeline_create: max_batch %d outside 1..4096", max_batch);
    int fc, fh, fw;
    tg_status st = tg_pipeline_feature_shape(cfg, &fc, &fh, &fw);
    if (st != TG_OK)
        return st;
    if (net->in_c != fc || net->in_h != fh || net->in_w != fw)
        return tg_fail(TG_ERR_ARG, "tg_pipeline_create: network input %d x %d x %d but the features are %d x %d x %d",
                       net->in_c, net->in_h, net->in_w, fc, fh, fw);
    tg_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return tg_fail(TG_ERR_NOMEM, "tg_pipeline_create: out of memory");
    p->cfg = *cfg;
    p->net = net;
    p->max_batch = max_batch;
    p->fc = fc;
    p->fh = fh;
    p->fw = fw;
    for (int b = 0; b < 4; b++)
        if ((cfg->feat_bands >> b) & 1)
            p->band_of[p->nbands++] = b;
    p->ll_scale = ldexpf(1.0f, -cfg->feat_level);
    size_t hw = (size_t)cfg->in_h * (size_t)cfg->in_w;
    size_t raw = (size_t)max_batch * (size_t)cfg->in_c * hw;
    size_t feat = (size_t)max_batch * (size_t)fc * (size_t)fh * (size_t)fw;
    tg_wavelet wv;
    tg_wavelet_get(cfg->feat_wavelet, &wv);
    st = tg_dwt_plan_create_2d(&p->plan, &wv, cfg->feat_mode, (size_t)cfg->in_h, (size_t)cfg->in_w, cfg->feat_level);
    if (st == TG_OK && cfg->denoise_on)
        st = tg_denoiser_create(&p->den, &cfg->denoise, (size_t)cfg->in_h, (size_t)cfg->in_w);
    if (st == TG_OK)
        st = tg_net_workspace_create(&p->ws, net, max_batch);
    if (st == TG_OK)
        st = tg_alloc_checked((void **)&p->norm, raw, sizeof(float), 0, "pipeline input");
    if (st == TG_OK)
        st = tg_alloc_checked((void **)&p->feat, feat, sizeof(float), 0, "pipeline features");
    if (st == TG_OK)
        st = tg_alloc_checked((void **)&p->den_out, hw, sizeof(float), 0, "pipeline denoised channel");
    if (st == TG_OK)
        st = tg_alloc_checked((void **)&p->gbuf, hw, sizeof(float), 0, "pipeline gradient");
    if (st == TG_OK)
        st = tg_alloc_checked((void **)&p->coeffs, tg_dwt_plan_layout(p->plan)->total, sizeof(float), 0,
                              "pipeline coefficients");
    if (st == TG_OK)
        st = tg_alloc_checked((void **)&p->probs_logits, (size_t)max_batch * (size_t)net->classes, sizeof(float), 0,
                              "pipeline logits");
    if (st != TG_OK) {
        tg_pipeline_destroy(p);
        return st;
    }
    *out = p;
    return TG_OK;
}

/* Offset of the coefficient band feeding feature band index j (0 LL, 1 H, 2 V, 3 D). */
static size_t band_offset(const tg_dwt_layout *l, int band)
{
    return band == 0 ? 0 : tg_dwt_layout_offset(l, l->levels, band - 1);
}

static tg_status check_batch(const tg_pipeline *p, const void *raw, int batch, const char *fn)
{
    if (!p || !raw)
        return tg_fail(TG_ERR_ARG, "%s: NULL argument", fn);
    if (batch < 1 || batch > p->max_batch)
        return tg_fail(TG_ERR_ARG, "%s: batch %d outside 1..%d", fn, batch, p->max_batch);
    return TG_OK;
}

tg_status tg_pipeline_features(tg_pipeline *p, const float *raw, int batch, float *features)
{
    tg_status st = check_batch(p, raw, batch, "tg_pipeline_features");
    if (st != TG_OK)
        return st;
    if (!features)
        return tg_fail(TG_ERR_ARG, "tg_pipeline_features: NULL output");
    const tg_pipeline_config *c = &p->cfg;
    size_t hw = (size_t)c->in_h * (size_t)c->in_w, fhw = (size_t)p->fh * (size_t)p->fw;
    size_t n = (size_t)batch * (size_t)c->in_c * hw;
    const float scale = 1.0f / (c->t_max - c->t_min);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(raw[i]))
            return tg_fail(TG_ERR_NONFINITE, "pipeline: sample %zu channel %zu pixel (%zu, %zu) is %g", i / (hw * c->in_c),
                           (i / hw) % (size_t)c->in_c, (i % hw) / (size_t)c->in_w, i % (size_t)c->in_w, (double)raw[i]);
        p->norm[i] = (raw[i] - c->t_min) * scale;
    }
    const tg_dwt_layout *l = tg_dwt_plan_layout(p->plan);
    for (int b = 0; b < batch; b++) {
        for (int ch = 0; ch < c->in_c; ch++) {
            const float *x = p->norm + ((size_t)b * (size_t)c->in_c + (size_t)ch) * hw;
            if (p->den) {
                if ((st = tg_denoiser_apply_f(p->den, x, p->den_out, NULL)) != TG_OK)
                    return st;
                x = p->den_out;
            }
            tg_dwt_forward_f(p->plan, x, p->coeffs);
            for (int j = 0; j < p->nbands; j++) {
                float *dst = features + (((size_t)b * (size_t)p->fc) + (size_t)(ch * p->nbands + j)) * fhw;
                const float *src = p->coeffs + band_offset(l, p->band_of[j]);
                float s = p->band_of[j] == 0 ? p->ll_scale : 1.0f;
                for (size_t i = 0; i < fhw; i++)
                    dst[i] = s * src[i];
            }
        }
    }
    return TG_OK;
}

tg_status tg_pipeline_forward(tg_pipeline *p, const float *raw, int batch, const tg_net_pass *pass,
                              const float **logits)
{
    tg_status st = check_batch(p, raw, batch, "tg_pipeline_forward");
    if (st != TG_OK)
        return st;
    if (!logits)
        return tg_fail(TG_ERR_ARG, "tg_pipeline_forward: NULL output");
    p->batch = 0;
    if ((st = tg_pipeline_features(p, raw, batch, p->feat)) != TG_OK)
        return st;
    tg_net_pass eval = {0, 0, 0, NULL};
    if ((st = tg_net_forward(p->net, p->ws, p->feat, batch, pass ? pass : &eval, logits)) != TG_OK)
        return st;
    p->batch = batch;
    return TG_OK;
}

tg_status tg_pipeline_backward(tg_pipeline *p, const float *dlogits, int flags, float *draw)
{
    if (!p || !dlogits)
        return tg_fail(TG_ERR_ARG, "tg_pipeline_backward: NULL argument");
    if (p->batch == 0)
        return tg_fail(TG_ERR_ARG, "tg_pipeline_backward: no successful forward to differentiate");
    if (draw)
        flags |= TG_NET_GRAD_INPUT;
    if (!(flags & (TG_NET_GRAD_INPUT | TG_NET_GRAD_PARAMS)))
        return tg_fail(TG_ERR_ARG, "tg_pipeline_backward: nothing to compute (no flags, no draw)");
    const float *dfeat = NULL;
    tg_status st = tg_net_backward(p->net, p->ws, dlogits, flags, &dfeat);
    if (st != TG_OK || !draw)
        return st;
    const tg_pipeline_config *c = &p->cfg;
    const tg_dwt_layout *l = tg_dwt_plan_layout(p->plan);
    size_t hw = (size_t)c->in_h * (size_t)c->in_w, fhw = (size_t)p->fh * (size_t)p->fw;
    const float scale = 1.0f / (c->t_max - c->t_min);
    for (int b = 0; b < p->batch; b++) {
        for (int ch = 0; ch < c->in_c; ch++) {
            size_t idx = (size_t)b * (size_t)c->in_c + (size_t)ch;
            memset(p->coeffs, 0, l->total * sizeof(float));
            for (int j = 0; j < p->nbands; j++) {
                const float *src = dfeat + (((size_t)b * (size_t)p->fc) + (size_t)(ch * p->nbands + j)) * fhw;
                float *dst = p->coeffs + band_offset(l, p->band_of[j]);
                float s = p->band_of[j] == 0 ? p->ll_scale : 1.0f;
                for (size_t i = 0; i < fhw; i++)
                    dst[i] = s * src[i];
            }
            float *g = draw + idx * hw;
            tg_dwt_adjoint_f(p->plan, p->coeffs, g);
            if (p->den && c->denoise_grad == TG_DENOISE_GRAD_EXACT &&
                (st = tg_denoiser_backward_f(p->den, p->norm + idx * hw, g, g)) != TG_OK)
                return st;
            for (size_t i = 0; i < hw; i++)
                g[i] *= scale;
        }
    }
    return TG_OK;
}

tg_status tg_pipeline_input_gradient(tg_pipeline *p, const float *raw, const int *labels, int batch,
                                     tg_loss_kind loss, float *loss_out, float *losses, float *draw)
{
    if (!labels || !draw)
        return tg_fail(TG_ERR_ARG, "tg_pipeline_input_gradient: NULL argument");
    const float *logits;
    tg_status st = tg_pipeline_forward(p, raw, batch, NULL, &logits);
    if (st != TG_OK)
        return st;
    int K = p->net->classes;
    float *dl = p->probs_logits, total = 0.0f;
    memset(dl, 0, (size_t)batch * (size_t)K * sizeof(float));
    switch (loss) {
    case TG_LOSS_XENT:
        st = tg_xent_forward(&total, losses, logits, labels, NULL, batch, K, TG_REDUCE_SUM);
        if (st == TG_OK)
            st = tg_xent_backward(dl, 1.0f, logits, labels, NULL, batch, K, TG_REDUCE_SUM);
        break;
    case TG_LOSS_MARGIN:
        st = tg_margin_forward(&total, losses, logits, labels, batch, K, TG_REDUCE_SUM);
        if (st == TG_OK)
            st = tg_margin_backward(dl, 1.0f, logits, labels, batch, K, TG_REDUCE_SUM);
        break;
    case TG_LOSS_FOCAL:
        st = tg_focal_forward(&total, losses, logits, labels, NULL, 2.0f, batch, K, TG_REDUCE_SUM);
        if (st == TG_OK)
            st = tg_focal_backward(dl, 1.0f, logits, labels, NULL, 2.0f, batch, K, TG_REDUCE_SUM);
        break;
    default:
        return tg_fail(TG_ERR_ARG, "tg_pipeline_input_gradient: unknown loss %d", (int)loss);
    }
    if (st != TG_OK)
        return st;
    if (loss_out)
        *loss_out = total;
    return tg_pipeline_backward(p, dl, TG_NET_GRAD_INPUT, draw);
}

tg_status tg_pipeline_predict(tg_pipeline *p, const float *raw, int batch, float *probs)
{
    if (!probs)
        return tg_fail(TG_ERR_ARG, "tg_pipeline_predict: NULL output");
    const float *logits;
    tg_status st = tg_pipeline_forward(p, raw, batch, NULL, &logits);
    if (st != TG_OK)
        return st;
    int K = p->net->classes;
    for (int b = 0; b < batch; b++) {
        const float *z = logits + (size_t)b * (size_t)K;
        float m = z[0], s = 0.0f;
        for (int k = 1; k < K; k++)
            m = z[k] > m ? z[k] : m;
        for (int k = 0; k < K; k++)
            s += expf(z[k] - m);
        for (int k = 0; k < K; k++)
            probs[(size_t)b * (size_t)K + (size_t)k] = expf(z[k] - m) / s;
    }
    return TG_OK;
}
