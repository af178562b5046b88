/* Forward and backward passes of the sequential network over a workspace.
 * Legend: B batch; a layer maps [B, c, h, w] (act[i]) to [B, oc, oh, ow] (act[i+1]).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/nn.h"

#include <string.h>

#include "nn_internal.h"

/* BN set `set` of layer l: gamma [C], beta [C] in params; running mean [C], var [C] in stats. */
static float *bn_params(float *block, const tg_layer *l, int set) { return block + l->param_off + (size_t)2 * set * l->c; }
static float *bn_stats(float *block, const tg_layer *l, int set) { return block + l->stat_off + (size_t)2 * set * l->c; }

static tg_status layer_forward(tg_net *net, tg_net_workspace *ws, int i, int B, const tg_net_pass *pass)
{
    const tg_layer *l = &net->layers[i];
    const float *in = ws->act[i];
    float *out = ws->act[i + 1], *p = net->params + l->param_off;
    size_t n = (size_t)B * l->c * l->h * l->w;
    int hw = l->h * l->w;
    switch (l->kind) {
    case TG_LAYER_CONV:
        return tg_conv2d_forward(out, ws->col, in, p, p + (size_t)l->oc * l->c * l->k * l->k, B, l->c, l->h, l->w,
                                 l->oc, l->k, l->s, l->p);
    case TG_LAYER_BN: {
        float *g = bn_params(net->params, l, pass->bn_set), *rs = bn_stats(net->stats, l, pass->bn_set);
        return tg_batchnorm_forward(out, ws->aux[i], ws->aux[i] + l->c, in, g, g + l->c, rs, rs + l->c,
                                    net->bn_momentum, net->bn_eps, pass->train, B, l->c, hw);
    }
    case TG_LAYER_RELU:
        return tg_relu_forward(out, in, n);
    case TG_LAYER_LRELU:
        return tg_leaky_relu_forward(out, in, l->arg, n);
    case TG_LAYER_MAXPOOL:
        return tg_maxpool_forward(out, in, B, l->c, l->h, l->w, l->k, l->s);
    case TG_LAYER_AVGPOOL:
        return tg_avgpool_forward(out, in, B, l->c, l->h, l->w, l->k, l->s);
    case TG_LAYER_GAP:
        return tg_gap_forward(out, in, B, l->c, hw);
    case TG_LAYER_DENSE: {
        int F = l->c * hw;
        return tg_dense_forward(out, in, p, p + (size_t)l->oc * F, B, F, l->oc);
    }
    case TG_LAYER_DROPOUT:
        if (!pass->train) {
            memcpy(out, in, n * sizeof(float));
            return TG_OK;
        }
        /* each dropout layer draws from its own family of per-sample streams */
        return tg_dropout_forward(out, ws->aux[i], in, l->arg, pass->seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(i + 1)),
                                  pass->sample_ids, B, l->c * hw);
    }
    return tg_fail(TG_ERR_ARG, "tg_net_forward: layer %d has an unknown kind", i);
}

tg_status tg_net_forward(tg_net *net, tg_net_workspace *ws, const float *input, int batch, const tg_net_pass *pass,
                         const float **logits)
{
    static const char fn[] = "tg_net_forward";
    if (!net || !ws || !input || !pass || !logits)
        return tg_nn_null(fn, !net ? "net" : !ws ? "ws" : !input ? "input" : !pass ? "pass" : "logits");
    if (ws->net != net)
        return tg_fail(TG_ERR_ARG, "%s: the workspace belongs to another network", fn);
    if (batch <= 0 || batch > ws->max_batch)
        return tg_fail(TG_ERR_ARG, "%s: batch %d outside 1..%d (the workspace size)", fn, batch, ws->max_batch);
    if (pass->bn_set < 0 || pass->bn_set > 1)
        return tg_fail(TG_ERR_ARG, "%s: bn_set must be 0 or 1, got %d", fn, pass->bn_set);
    for (int i = 0; i < net->n_layers; i++) {
        const tg_layer *l = &net->layers[i];
        if (l->kind == TG_LAYER_BN && pass->bn_set >= l->sets)
            return tg_fail(TG_ERR_ARG, "%s: bn_set 1 needs dual BN but layer %d is plain bn", fn, i);
        if (l->kind == TG_LAYER_BN && pass->train && (size_t)batch * l->h * l->w < 2)
            return tg_fail(TG_ERR_ARG, "%s: training BN layer %d needs more than one value per channel", fn, i);
    }
    ws->ready = 0;
    memcpy(ws->act[0], input, (size_t)batch * net->in_c * net->in_h * net->in_w * sizeof(float));
    for (int i = 0; i < net->n_layers; i++) {
        tg_status st = layer_forward(net, ws, i, batch, pass);
        if (st)
            return st;
    }
    ws->batch = batch;
    ws->train = pass->train != 0;
    ws->bn_set = pass->bn_set;
    ws->ready = 1;
    *logits = ws->act[net->n_layers];
    return TG_OK;
}

/* Accumulates layer i's parameter gradients (dp, may be NULL) and input gradient (din, may be NULL). */
static tg_status layer_backward(tg_net *net, tg_net_workspace *ws, int i, float *din, const float *dout, float *dp)
{
    const tg_layer *l = &net->layers[i];
    const float *in = ws->act[i], *p = net->params + l->param_off;
    int B = ws->batch, hw = l->h * l->w;
    size_t n = (size_t)B * l->c * hw;
    switch (l->kind) {
    case TG_LAYER_CONV: {
        size_t nw = (size_t)l->oc * l->c * l->k * l->k;
        return tg_conv2d_backward(din, dp, dp ? dp + nw : NULL, ws->col, dout, in, p, B, l->c, l->h, l->w, l->oc,
                                  l->k, l->s, l->p);
    }
    case TG_LAYER_BN: {
        size_t off = (size_t)2 * ws->bn_set * l->c;
        return tg_batchnorm_backward(din, dp ? dp + off : NULL, dp ? dp + off + l->c : NULL, dout, in, ws->aux[i],
                                     ws->aux[i] + l->c, p + off, ws->train, B, l->c, hw);
    }
    case TG_LAYER_RELU:
        return din ? tg_relu_backward(din, dout, in, n) : TG_OK;
    case TG_LAYER_LRELU:
        return din ? tg_leaky_relu_backward(din, dout, in, l->arg, n) : TG_OK;
    case TG_LAYER_MAXPOOL:
        return din ? tg_maxpool_backward(din, dout, in, B, l->c, l->h, l->w, l->k, l->s) : TG_OK;
    case TG_LAYER_AVGPOOL:
        return din ? tg_avgpool_backward(din, dout, B, l->c, l->h, l->w, l->k, l->s) : TG_OK;
    case TG_LAYER_GAP:
        return din ? tg_gap_backward(din, dout, B, l->c, hw) : TG_OK;
    case TG_LAYER_DENSE: {
        int F = l->c * hw;
        return tg_dense_backward(din, dp, dp ? dp + (size_t)l->oc * F : NULL, dout, in, p, B, F, l->oc);
    }
    case TG_LAYER_DROPOUT:
        if (!din)
            return TG_OK;
        if (ws->train)
            return tg_dropout_backward(din, dout, ws->aux[i], B, l->c * hw);
        for (size_t j = 0; j < n; j++)
            din[j] += dout[j];
        return TG_OK;
    }
    return tg_fail(TG_ERR_ARG, "tg_net_backward: layer %d has an unknown kind", i);
}

tg_status tg_net_backward(tg_net *net, tg_net_workspace *ws, const float *dlogits, int flags, const float **dinput)
{
    static const char fn[] = "tg_net_backward";
    if (!net || !ws || !dlogits)
        return tg_nn_null(fn, !net ? "net" : !ws ? "ws" : "dlogits");
    if (ws->net != net)
        return tg_fail(TG_ERR_ARG, "%s: the workspace belongs to another network", fn);
    if (!ws->ready)
        return tg_fail(TG_ERR_ARG, "%s: no successful forward pass on this workspace", fn);
    if (flags == 0 || (flags & ~(TG_NET_GRAD_PARAMS | TG_NET_GRAD_INPUT)))
        return tg_fail(TG_ERR_ARG, "%s: flags must combine TG_NET_GRAD_PARAMS and TG_NET_GRAD_INPUT", fn);
    if ((flags & TG_NET_GRAD_INPUT) && !dinput)
        return tg_nn_null(fn, "dinput");
    int B = ws->batch, cur = 0;
    memcpy(ws->grad[0], dlogits, (size_t)B * net->classes * sizeof(float));
    for (int i = net->n_layers - 1; i >= 0; i--) {
        const tg_layer *l = &net->layers[i];
        float *dp = (flags & TG_NET_GRAD_PARAMS) && l->param_count ? net->grads + l->param_off : NULL;
        float *din = NULL;
        if (i > 0 || (flags & TG_NET_GRAD_INPUT)) {
            din = ws->grad[1 - cur];
            memset(din, 0, (size_t)B * l->c * l->h * l->w * sizeof(float));
        } else if (!dp) {
            break;
        }
        tg_status st = layer_backward(net, ws, i, din, ws->grad[cur], dp);
        if (st)
            return st;
        cur = 1 - cur;
    }
    if (flags & TG_NET_GRAD_INPUT)
        *dinput = ws->grad[cur];
    return TG_OK;
}
