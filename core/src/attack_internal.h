/* Shared machinery of the attack family (attack_*.c): the per-call context, evaluation of the
 * attack objective and its raw-input gradient, projection, worst-case bookkeeping and caps.
 * Legend: B = batch, K = classes, N = floats per raw sample (in_c * in_h * in_w).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_ATTACK_INTERNAL_H
#define THERMOGUARD_ATTACK_INTERNAL_H

#include <stddef.h>

#include "thermoguard/attack.h"
#include "thermoguard/rng.h"

typedef struct atk_ctx {
    tg_pipeline *p;
    const tg_attack_params *prm;
    tg_attack_result *res;
    const tg_progress *prog;
    int B, K;
    size_t n;             /* floats per sample */
    float lo, hi;         /* valid raw range [t_min, t_max] */
    float scale;          /* °C per normalised unit */
    float eps_c, step_c;  /* budget and step in raw units */
    const float *x0;      /* clean batch [B, N] */
    const int *ref;       /* class each loss is taken against: targets or labels [B] */
    float sgn;            /* objective J = sgn * loss: ascended by every gradient attack */
    float *adv;           /* the caller's output: the worst case kept so far [B, N] */
    float *best_m;        /* [B] adversarial margin of adv (< 0 roughly = success) */
    int *best_s;          /* [B] success of adv */
    /* the last atk_forward, over a compact batch of nb samples (idx maps to the batch) */
    int nb;
    const int *idx;
    tg_loss_kind loss;
    const float *logits;  /* [nb, K] the decision's logits (the pipeline's, or zs when shifted) */
    float offset;         /* logit(threshold) subtracted from class 1 (0 = argmax) */
    float *zs;            /* [B, K] shifted logits */
    float *m;             /* [B] adversarial margin: untargeted z_y - max_{i!=y} z_i, targeted max_{i!=t} z_i - z_t */
    float *J;             /* [B] objective */
    int *succ;            /* [B] argmax != label (targeted: == target) */
    int *lab;             /* [B] ref gathered for the compact batch */
    float *dl;            /* [B, K] d objective / d logits */
    double t0;
    tg_status st;         /* TG_ERR_CANCELLED once the caller stopped the attack */
} atk_ctx;

/* Forward of nb samples x [nb, N] (sample j is batch sample idx[j], idx NULL = identity) with
 * `loss`: fills m, J, succ for j < nb and counts one gradient evaluation (grad != 0) or query. */
tg_status atk_forward(atk_ctx *c, const float *x, int nb, const int *idx, tg_loss_kind loss, int grad);

/* Gradient of sum_j w[j] J[j] (w NULL = 1) of the last atk_forward w.r.t. its raw input, into g [nb, N]. */
tg_status atk_backward(atk_ctx *c, const float *w, float *g);

/* Keeps sample j of the last identity-batch forward on x when it beats the kept one
 * (success first, then the lower margin). */
void atk_keep(atk_ctx *c, const float *x);

/* x_b += step * direction of g_b: sign(g) for L∞, g / ||g||_2 for L2 (no move when g = 0). */
void atk_step(float *xb, const float *gb, size_t n, tg_attack_norm norm, float step);

/* Projects sample b of x onto {||x_b - x0_b|| <= eps_c (norm)} ∩ [lo, hi]. */
void atk_project(const atk_ctx *c, float *x, int b, tg_attack_norm norm, float eps_c);

/* Random stream of batch sample b for restart r. */
void atk_rng(const atk_ctx *c, int r, int b, tg_rng *rng);

/* Counts one iteration, reports progress and applies the caps; returns non-zero when the attack
 * must stop (res->stop says why; c->st = TG_ERR_CANCELLED when cancelled). */
int atk_tick(atk_ctx *c, double fraction, const char *stage);

/* dst[j] = src[idx[j]] for nb samples of N floats. */
void atk_gather(const atk_ctx *c, float *dst, const float *src, const int *idx, int nb);

/* The family entry points (c->adv starts as the clean batch). */
tg_status atk_run_pgd(atk_ctx *c);
tg_status atk_run_cw(atk_ctx *c);
tg_status atk_run_apgd(atk_ctx *c);
tg_status atk_run_square(atk_ctx *c);
tg_status atk_run_deepfool(atk_ctx *c);

#endif
