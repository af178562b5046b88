/* ThermoGuard — adversarial attacks against any tg_pipeline (white-box through its gradient,
 * or black-box through its scores): FGSM, BIM, PGD (L∞/L2, random start, restarts), MI-FGSM,
 * C&W-L2 (binary search over c, or the fixed-c short form), APGD (CE or margin loss),
 * Square (score-based, L∞) and DeepFool. Formulas and defaults: docs/algorithms.md.
 *
 * Units. Budgets (eps, step) are in NORMALISED input units, i.e. fractions of the pipeline's
 * fixed range t_max - t_min (x = (T - t_min) / (t_max - t_min)); results report every norm in
 * both normalised units and °C (raw units). Inputs and outputs are RAW (°C) batches
 * [batch, in_c, in_h, in_w]. The valid set for an adversarial pixel is the normalised box [0, 1]
 * mapped back, i.e. [t_min, t_max]; every attack clips there, and clean inputs outside that
 * range are rejected (TG_ERR_RANGE): widen the pipeline's range instead.
 *
 * Randomness: sample b of a call draws from tg_rng_stream(seed', index_base + b), seed' derived
 * from `seed` and the restart, so results do not depend on how a data set is cut into batches.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_ATTACK_H
#define THERMOGUARD_ATTACK_H

#include <stdint.h>

#include "thermoguard/pipeline.h"
#include "thermoguard/progress.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tg_attack_kind {
    TG_ATTACK_FGSM = 0,    /* one signed/normalised gradient step of size eps */
    TG_ATTACK_BIM = 1,     /* iterative FGSM, no random start (Kurakin et al.) */
    TG_ATTACK_PGD = 2,     /* projected gradient ascent, random start, restarts (Madry et al.) */
    TG_ATTACK_MIFGSM = 3,  /* momentum iterative FGSM (Dong et al.) */
    TG_ATTACK_CW = 4,      /* Carlini-Wagner L2 (minimum norm; form chosen by cw_form) */
    TG_ATTACK_APGD = 5,    /* AutoAttack's APGD with loss TG_LOSS_XENT (APGD-CE) or TG_LOSS_MARGIN */
    TG_ATTACK_SQUARE = 6,  /* Square attack, L∞, score-based (no gradients), query budget */
    TG_ATTACK_DEEPFOOL = 7 /* DeepFool (minimum norm; exact for two classes, runner-up class otherwise) */
} tg_attack_kind;

typedef enum tg_attack_norm { TG_NORM_LINF = 0, TG_NORM_L2 = 1 } tg_attack_norm;

typedef enum tg_cw_form {
    TG_CW_SEARCH = 0, /* Carlini-Wagner original: binary search over c, abort-early */
    TG_CW_FIXED = 1   /* short form (torchattacks): one run at fixed c, no search */
} tg_cw_form;

/* Why an attack ended. */
typedef enum tg_attack_stop {
    TG_STOP_DONE = 0,      /* ran its full schedule */
    TG_STOP_TIME = 1,      /* max_seconds reached */
    TG_STOP_ITERATIONS = 2,/* max_total_iterations reached */
    TG_STOP_CANCELLED = 3  /* progress callback / cancel flag (tg_attack_run returns TG_ERR_CANCELLED) */
} tg_attack_stop;

typedef struct tg_attack_params {
    tg_attack_kind kind;
    tg_attack_norm norm;     /* FGSM, BIM, PGD, MI-FGSM, APGD, DeepFool; Square is L∞, C&W is L2 */
    double eps;              /* budget, normalised units; for C&W and DeepFool 0 = unbounded, else
                              * a found perturbation above eps is projected back onto the ball */
    double step;             /* step size α, normalised units (PGD, BIM, MI-FGSM) */
    int iterations;          /* steps per restart (per binary-search step for C&W; Square: queries) */
    int restarts;            /* PGD/APGD runs; the worst case per sample is kept */
    int random_start;        /* PGD: start uniformly in the ball */
    int targeted;            /* 1: success = prediction equals targets[b] */
    const int *targets;      /* [batch] target classes when targeted */
    tg_loss_kind loss;       /* gradient attacks: loss ascended (targeted: descended on the target) */
    double threshold;        /* two classes: the attacked model's decision rule, class 1 when
                              * P(1) >= threshold (its calibrated threshold); every loss, margin and
                              * success is taken on the logits shifted by logit(threshold), so the
                              * attack aims at that decision. 0.5 = argmax (required for K != 2) */
    double momentum;         /* MI-FGSM decay μ */
    tg_cw_form cw_form;
    double cw_c;             /* search: initial c; fixed: the constant c */
    int cw_binary_steps;     /* search form only */
    double cw_kappa;         /* confidence κ >= 0 */
    double cw_lr;            /* Adam learning rate */
    int cw_abort_early;      /* search form: stop a binary step when the loss stalls */
    double apgd_rho;         /* oscillation threshold ρ */
    double apgd_alpha;       /* momentum α of the APGD update */
    double square_p_init;    /* initial fraction of pixels in a square */
    double overshoot;        /* DeepFool */
    double max_seconds;      /* wall-clock cap, 0 = none */
    long max_total_iterations; /* cap on iterations over all restarts / binary steps, 0 = none */
    uint64_t seed;
    uint64_t index_base;     /* data-set index of sample 0 of this batch (random streams) */
} tg_attack_params;

/* Documented defaults of `kind` (docs/algorithms.md; L∞, eps 8/255, untargeted):
 * FGSM step eps; BIM α 1/255, min(eps*255+4, 1.25*eps*255) steps; PGD α 2/255, 10 steps, random
 * start, 1 restart, CE; MI-FGSM μ 1, 10 steps, α eps/10; C&W search form (c0 1e-3, 9 binary
 * steps, 10 000 iterations, κ 0, lr 1e-2, abort-early, unbounded); APGD 100 iterations, ρ 0.75,
 * α 0.75, CE; Square 5 000 queries, p_init 0.8, margin; DeepFool 50 iterations, overshoot 0.02,
 * L2, unbounded; decision threshold 0.5 (argmax). An unknown kind gives the PGD defaults. For PGD-L2 set norm, eps and step
 * (torchattacks PGDL2: eps 1.0, α 0.2). */
tg_attack_params tg_attack_params_default(tg_attack_kind kind);

/* Switches C&W parameters to the short fixed-c form (torchattacks: c 1, 50 steps, lr 1e-2).
 * No-op for NULL. */
void tg_attack_params_cw_fixed(tg_attack_params *p);

/* Checks params for a network with `classes` outputs and a batch of `batch` (ranges, targets
 * given and in range when targeted). TG_ERR_ARG / TG_ERR_RANGE with a message naming the field. */
tg_status tg_attack_params_check(const tg_attack_params *p, int classes, int batch);

/* Per-sample and total outcome of one tg_attack_run. */
typedef struct tg_attack_result {
    int batch;
    int *success;        /* [batch] 1 = prediction != label (targeted: == target) on the output */
    int *pred;           /* [batch] prediction on the output */
    float *linf, *l2;    /* [batch] perturbation norms, normalised units */
    float *linf_c, *l2_c;/* [batch] the same in °C (raw units) */
    long *evals;         /* [batch] pipeline evaluations (gradient or query) spent on the sample */
    long grad_evals;     /* per-sample gradient evaluations, summed over the batch */
    long queries;        /* per-sample forward-only evaluations, summed (final verification excluded) */
    long iterations;     /* iterations run over all restarts / binary steps */
    double seconds;
    int n_success;
    tg_attack_stop stop;
    tg_cw_form cw_form;  /* the C&W form used (C&W only) */
    double eps_c, step_c;/* the budget and step in °C */
} tg_attack_result;

/* Allocates the per-sample arrays of `res` for `batch` samples (zeroed). TG_ERR_ARG for NULL or
 * batch < 1, TG_ERR_NOMEM. */
tg_status tg_attack_result_init(tg_attack_result *res, int batch);

/* Frees the arrays of `res` and zeroes it (NULL is fine). */
void tg_attack_result_free(tg_attack_result *res);

/* Runs the attack on `batch` raw samples raw_in [batch, in_c, in_h, in_w] with true `labels`,
 * writing adversarial samples (raw units, inside the budget and [t_min, t_max]) to out_adv and
 * the outcome to `res` (initialised by tg_attack_result_init for at least `batch`). The batch
 * goes through the pipeline together. Calls tg_progress_report once per iteration. On
 * TG_ERR_CANCELLED out_adv and res hold the best result so far (valid, inside the budget).
 * Time and iteration caps end the attack early with TG_OK and res->stop set. TG_ERR_ARG /
 * TG_ERR_RANGE for bad arguments (batch above the pipeline's maximum, a label out of range,
 * an input outside [t_min, t_max]), pipeline errors otherwise. */
tg_status tg_attack_run(tg_pipeline *p, const tg_attack_params *params, const float *raw_in, const int *labels,
                        int batch, float *out_adv, tg_attack_result *res, const tg_progress *progress);

/* Short stable name of an attack kind ("pgd", "cw", ...); "unknown" for foreign values. */
const char *tg_attack_name(tg_attack_kind kind);

#ifdef __cplusplus
}
#endif
#endif
