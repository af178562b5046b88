/* ThermoGuard — neural-network layers (forward/backward pairs) and the sequential network.
 *
 * Shape legend used throughout: B = batch, C = input channels, H x W = input height x width,
 * K = output channels, R = kernel size (square), S = stride, P = zero padding,
 * OH x OW = output height x width, N = elements per channel or per sample, F/O = dense in/out features.
 * Tensors are float32, row-major, NCHW.
 *
 * Layer rules (karpathy/llm.c style):
 * - x_forward(out, ..., in, params, shape) overwrites `out`.
 * - x_backward(din, dparams, ..., dout, in, params, shape) ACCUMULATES (+=) into `din` and the
 *   parameter gradients; the caller zeroes them. Any gradient output may be NULL to skip it.
 * - Every function validates its arguments and returns TG_ERR_ARG (NULL, zero/negative size,
 *   inconsistent shape) or TG_ERR_OVERFLOW (sizes whose product overflows) with a message;
 *   on error nothing is written.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_NN_H
#define THERMOGUARD_NN_H

#include <stddef.h>
#include <stdint.h>
#include "thermoguard/rng.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- convolution --------------------------------------------------------------------------- */

/* Floats of im2col scratch one conv2d_forward/backward call needs (C*R*R*OH*OW); 0 when the
 * shape is invalid or the product overflows. */
size_t tg_conv2d_col_floats(int C, int H, int W, int R, int S, int P);

/* 2-D convolution (cross-correlation like torch.nn.Conv2d) via im2col + cblas_sgemm.
 * in [B,C,H,W], w [K,C,R,R], b [K] or NULL, out [B,K,OH,OW], OH = (H+2P-R)/S + 1,
 * col = scratch of tg_conv2d_col_floats() floats. Bad shapes give TG_ERR_ARG. */
tg_status tg_conv2d_forward(float *out, float *col, const float *in, const float *w, const float *b,
                            int B, int C, int H, int W, int K, int R, int S, int P);

/* Backward of tg_conv2d_forward: din [B,C,H,W] += dL/din, dw [K,C,R,R] += dL/dw, db [K] += dL/db
 * (each may be NULL). dout [B,K,OH,OW]; `col` as in forward. Bad shapes give TG_ERR_ARG. */
tg_status tg_conv2d_backward(float *din, float *dw, float *db, float *col, const float *dout,
                             const float *in, const float *w, int B, int C, int H, int W, int K, int R,
                             int S, int P);

/* ---- activations and dropout ------------------------------------------------------------- */

/* out[i] = max(in[i], 0) over n elements. TG_ERR_ARG for NULL or n == 0. */
tg_status tg_relu_forward(float *out, const float *in, size_t n);

/* din[i] += dout[i] where in[i] > 0; din must not overlap dout or in. TG_ERR_ARG for NULL or n == 0. */
tg_status tg_relu_backward(float *din, const float *dout, const float *in, size_t n);

/* out[i] = in[i] > 0 ? in[i] : slope * in[i]. TG_ERR_ARG for NULL, n == 0 or non-finite slope. */
tg_status tg_leaky_relu_forward(float *out, const float *in, float slope, size_t n);

/* din[i] += dout[i] * (in[i] > 0 ? 1 : slope). TG_ERR_ARG as for the forward. */
tg_status tg_leaky_relu_backward(float *din, const float *dout, const float *in, float slope, size_t n);

/* Inverted dropout over [B,N]: out = in * mask, mask = 0 with probability p else 1/(1-p), drawn
 * from tg_rng_stream(seed, ids[b]) per sample (ids NULL = 0..B-1), so a sample's mask does not
 * depend on batching. mask [B,N] is saved for backward. TG_ERR_ARG for p outside [0,1). */
tg_status tg_dropout_forward(float *out, float *mask, const float *in, float p, uint64_t seed,
                             const uint64_t *ids, int B, int N);

/* din += dout * mask over [B,N]. TG_ERR_ARG for NULL or bad sizes. */
tg_status tg_dropout_backward(float *din, const float *dout, const float *mask, int B, int N);

/* ---- pooling (no padding, floor output size like torch) ---------------------------------- */

/* Max pool, window R, stride S: in [B,C,H,W] -> out [B,C,OH,OW], OH = (H-R)/S + 1.
 * TG_ERR_ARG for bad shapes (R > H or R > W included). */
tg_status tg_maxpool_forward(float *out, const float *in, int B, int C, int H, int W, int R, int S);

/* din += dout routed to each window's first maximum (recomputed from `in`). TG_ERR_ARG as above. */
tg_status tg_maxpool_backward(float *din, const float *dout, const float *in, int B, int C, int H, int W,
                              int R, int S);

/* Average pool, window R, stride S (same shapes as max pool). TG_ERR_ARG for bad shapes. */
tg_status tg_avgpool_forward(float *out, const float *in, int B, int C, int H, int W, int R, int S);

/* din += dout / (R*R) spread over each window. TG_ERR_ARG for bad shapes. */
tg_status tg_avgpool_backward(float *din, const float *dout, int B, int C, int H, int W, int R, int S);

/* Global average pool: in [B,C,N] -> out [B,C]. TG_ERR_ARG for NULL or bad sizes. */
tg_status tg_gap_forward(float *out, const float *in, int B, int C, int N);

/* din [B,C,N] += dout [B,C] / N. TG_ERR_ARG for NULL or bad sizes. */
tg_status tg_gap_backward(float *din, const float *dout, int B, int C, int N);

/* ---- batch normalisation ----------------------------------------------------------------- */

/* Batch norm over [B,C,N] per channel. train != 0: batch mean/variance (biased, accumulated in
 * double), and when run_mean/run_var are non-NULL they are updated like torch:
 * run = (1-momentum) run + momentum batch, with the unbiased variance; needs B*N > 1.
 * train == 0: uses run_mean/run_var (required). mean/rstd [C] receive the statistics used
 * (rstd = 1/sqrt(var+eps)) for backward. gamma/beta [C]. TG_ERR_ARG for bad arguments. */
tg_status tg_batchnorm_forward(float *out, float *mean, float *rstd, const float *in, const float *gamma,
                               const float *beta, float *run_mean, float *run_var, float momentum, float eps,
                               int train, int B, int C, int N);

/* Backward of tg_batchnorm_forward with the same `train` flag (eval mode treats the statistics as
 * constants). din [B,C,N], dgamma/dbeta [C] accumulate. TG_ERR_ARG for bad arguments. */
tg_status tg_batchnorm_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                                const float *mean, const float *rstd, const float *gamma, int train, int B,
                                int C, int N);

/* ---- dense -------------------------------------------------------------------------------- */

/* out [B,O] = in [B,F] w^T + b, w [O,F] (torch.nn.Linear layout), b [O] or NULL.
 * TG_ERR_ARG for NULL or bad sizes. */
tg_status tg_dense_forward(float *out, const float *in, const float *w, const float *b, int B, int F, int O);

/* din [B,F] += dout w, dw [O,F] += dout^T in, db [O] += sum_b dout. TG_ERR_ARG as above. */
tg_status tg_dense_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                            const float *w, int B, int F, int O);

/* ---- losses over logits [B,K] with labels in [0,K) ---------------------------------------- */

typedef enum tg_reduction {
    TG_REDUCE_MEAN = 0, /* CE: sum_b w_yb l_b / sum_b w_yb (torch); focal and margin: / B */
    TG_REDUCE_SUM = 1   /* sum_b of the (weighted) per-sample losses */
} tg_reduction;

/* Softmax cross-entropy l_b = -w_y log softmax(z_b)_y with class weights w [K] (NULL = 1).
 * *loss = the reduction; losses [B] (may be NULL) = per-sample unweighted losses.
 * TG_ERR_ARG for NULL, bad sizes, a label outside [0,K), negative weights or zero total weight. */
tg_status tg_xent_forward(float *loss, float *losses, const float *logits, const int *labels,
                          const float *class_w, int B, int K, tg_reduction red);

/* dlogits [B,K] += dloss * d(reduced loss)/dlogits. Arguments as for the forward. */
tg_status tg_xent_backward(float *dlogits, float dloss, const float *logits, const int *labels,
                           const float *class_w, int B, int K, tg_reduction red);

/* Focal loss l_b = -w_y (1 - p_y)^gamma log p_y, p = softmax(z_b), gamma >= 0, w [K] or NULL.
 * losses [B] may be NULL (unweighted per-sample values). TG_ERR_ARG as for cross-entropy. */
tg_status tg_focal_forward(float *loss, float *losses, const float *logits, const int *labels,
                           const float *class_w, float gamma, int B, int K, tg_reduction red);

/* dlogits [B,K] += dloss * d(reduced focal loss)/dlogits. Arguments as for the forward. */
tg_status tg_focal_backward(float *dlogits, float dloss, const float *logits, const int *labels,
                            const float *class_w, float gamma, int B, int K, tg_reduction red);

/* Margin l_b = z_y - max_{i != y} z_i (positive = correctly classified; attacks minimise it).
 * Needs K >= 2. losses [B] may be NULL. TG_ERR_ARG for NULL, K < 2 or a bad label. */
tg_status tg_margin_forward(float *loss, float *losses, const float *logits, const int *labels, int B, int K,
                            tg_reduction red);

/* dlogits += dloss * (+1 at y, -1 at the first maximal other class) (/B for the mean). */
tg_status tg_margin_backward(float *dlogits, float dloss, const float *logits, const int *labels, int B, int K,
                             tg_reduction red);

/* ---- the sequential network -------------------------------------------------------------- */

#define TG_NET_MAX_LAYERS 64
#define TG_NET_MAX_DIM 16384                    /* any channel count, height, width, feature count */
#define TG_NET_MAX_KERNEL 64
#define TG_NET_MAX_PARAMS ((size_t)64 << 20)    /* floats in the parameter block */
#define TG_NET_MAX_SPEC 1024                    /* characters of a spec string */
#define TG_NET_MAX_WORKSPACE ((size_t)8 << 30)  /* bytes of one workspace */

typedef enum tg_layer_kind {
    TG_LAYER_CONV = 0,    /* conv(K,R[,S[,P]])  params: w [K,C,R,R], b [K] */
    TG_LAYER_BN = 1,      /* bn / dbn (dual)    params: per set gamma [C], beta [C];
                                                stats: per set running mean [C], running var [C] */
    TG_LAYER_RELU = 2,    /* relu */
    TG_LAYER_LRELU = 3,   /* lrelu[(slope)], slope default 0.01 */
    TG_LAYER_MAXPOOL = 4, /* maxpool(R[,S]), S default R */
    TG_LAYER_AVGPOOL = 5, /* avgpool(R[,S]), S default R */
    TG_LAYER_GAP = 6,     /* gap */
    TG_LAYER_DENSE = 7,   /* dense(O) on the flattened C*H*W features; params: w [O,F], b [O] */
    TG_LAYER_DROPOUT = 8  /* dropout(p) */
} tg_layer_kind;

/* One layer: its kind, per-sample input/output shapes and where its parameters live. */
typedef struct tg_layer {
    tg_layer_kind kind;
    int c, h, w;           /* input shape of one sample */
    int oc, oh, ow;        /* output shape of one sample */
    int k, s, p;           /* kernel/window, stride, padding (conv and pools) */
    int sets;              /* batch norm: 1, or 2 for dual BN (set 0 clean, set 1 adversarial) */
    float arg;             /* leaky slope or dropout probability */
    size_t param_off, param_count; /* into tg_net.params / tg_net.grads */
    size_t stat_off, stat_count;   /* into tg_net.stats */
} tg_layer;

/* A sequential network. Fields are read-only for callers except the contents of params, grads
 * and stats. params, grads and stats are one allocation each; the layout is the layer order,
 * each layer's parameters in the order listed at tg_layer_kind, which is also the order of
 * torch's state_dict for the equivalent nn.Sequential. Saving a model is writing params + stats. */
typedef struct tg_net {
    char spec[TG_NET_MAX_SPEC];
    int in_c, in_h, in_w;  /* input shape of one sample */
    int classes;           /* output width (the final dense layer) */
    int n_layers;
    tg_layer layers[TG_NET_MAX_LAYERS];
    size_t n_params, n_stats;
    float *params, *grads, *stats;
    float bn_momentum;     /* 0.1 like torch */
    float bn_eps;          /* 1e-5 like torch */
} tg_net;

/* Builds a network from a '-'-separated spec such as
 * "conv(16,3,1,1)-bn-relu-maxpool(2)-conv(32,3,1,1)-bn-relu-gap-dense(2)" for inputs of shape
 * [in_c, in_h, in_w]. The last layer must be dense. Parameters start at zero, BN gamma at 1,
 * running variances at 1; call tg_net_init for random weights. TG_ERR_FORMAT for syntax errors,
 * TG_ERR_NOTFOUND for an unknown layer, TG_ERR_RANGE for shapes that do not fit, TG_ERR_OVERFLOW
 * above the TG_NET_MAX_* caps, TG_ERR_NOMEM. *out is NULL on failure. */
tg_status tg_net_create(tg_net **out, const char *spec, int in_c, int in_h, int in_w);

/* Parses `spec` for inputs [in_c, in_h, in_w] exactly as tg_net_create does, without allocating
 * the parameter blocks: *n_params / *n_stats (floats) and *classes (any may be NULL). Lets a
 * loader check a declared parameter count before allocating. Errors as tg_net_create. */
tg_status tg_net_spec_counts(const char *spec, int in_c, int in_h, int in_w, size_t *n_params, size_t *n_stats,
                             int *classes);

/* Frees a network (NULL is fine). */
void tg_net_destroy(tg_net *net);

/* He (Kaiming normal, fan_in, gain sqrt 2) initialisation of conv and dense weights from `rng`;
 * biases and BN beta 0, gamma 1, running mean 0, running variance 1. TG_ERR_ARG for NULL. */
tg_status tg_net_init(tg_net *net, tg_rng *rng);

/* Sets every gradient to zero (backward accumulates). No-op for NULL. */
void tg_net_zero_grad(tg_net *net);

/* Activations, saved statistics and scratch for batches of up to max_batch samples. */
typedef struct tg_net_workspace {
    const tg_net *net;     /* the network this workspace was sized for */
    int max_batch;
    int batch, train, bn_set, ready; /* the last forward pass, read by backward */
    float *mem;            /* the one allocation */
    float *act[TG_NET_MAX_LAYERS + 1];  /* act[0] = input copy, act[i+1] = output of layer i */
    float *aux[TG_NET_MAX_LAYERS];      /* BN: mean, rstd [2C]; dropout: mask [B, N] */
    float *grad[2];        /* ping-pong activation gradients, each the largest activation */
    float *col;            /* im2col scratch */
} tg_net_workspace;

/* Allocates a workspace for `net` and batches of 1..max_batch. TG_ERR_ARG for NULL/zero,
 * TG_ERR_OVERFLOW above TG_NET_MAX_WORKSPACE bytes, TG_ERR_NOMEM. *out is NULL on failure. */
tg_status tg_net_workspace_create(tg_net_workspace **out, const tg_net *net, int max_batch);

/* Frees a workspace (NULL is fine). */
void tg_net_workspace_destroy(tg_net_workspace *ws);

/* How one forward pass runs. */
typedef struct tg_net_pass {
    int train;                  /* 1: BN batch statistics + running-stat update, dropout active */
    int bn_set;                 /* dual BN: 0 = clean, 1 = adversarial; must be 0 otherwise */
    uint64_t seed;              /* dropout seed of this step */
    const uint64_t *sample_ids; /* per-sample dropout stream ids [batch]; NULL = 0..batch-1 */
} tg_net_pass;

/* Forward pass of `batch` samples in [batch, in_c, in_h, in_w] (copied into the workspace).
 * *logits points at [batch, classes] inside `ws`, valid until the next forward. A train pass
 * updates BN running statistics in net->stats. TG_ERR_ARG for NULL, a workspace of another
 * network, batch outside 1..max_batch, a bad bn_set, or a train pass whose BN sees one value per
 * channel. */
tg_status tg_net_forward(tg_net *net, tg_net_workspace *ws, const float *input, int batch,
                         const tg_net_pass *pass, const float **logits);

enum {
    TG_NET_GRAD_PARAMS = 1, /* accumulate parameter gradients into net->grads */
    TG_NET_GRAD_INPUT = 2   /* compute the gradient w.r.t. the network input */
};

/* Backward of the last tg_net_forward on `ws` for dlogits [batch, classes]. `flags` combines
 * TG_NET_GRAD_*; with TG_NET_GRAD_INPUT, *dinput points at [batch, in_c, in_h, in_w] inside `ws`
 * (valid until the next call). TG_ERR_ARG for NULL, no preceding forward, or no flags. */
tg_status tg_net_backward(tg_net *net, tg_net_workspace *ws, const float *dlogits, int flags,
                          const float **dinput);

#ifdef __cplusplus
}
#endif
#endif
