/* ThermoGuard — training: optimisers and learning-rate schedules, breast sample sets,
 * thermogram augmentation, the training loop (with batch, loss and epoch hooks for adversarial
 * training),
 * evaluation metrics, and a phantom-to-breast-sample helper for tests and quick experiments.
 *
 * A sample is one breast: raw [2, H, W] °C, channel 0 = the breast, channel 1 = the mirrored
 * contralateral breast, both in one canonical orientation (see DESIGN.md). Label 1 = sick.
 * A patient's verdict is the maximum over the patient's breasts.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_TRAIN_H
#define THERMOGUARD_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "thermoguard/dataset.h"
#include "thermoguard/phantom.h"
#include "thermoguard/pipeline.h"
#include "thermoguard/progress.h"
#include "thermoguard/rng.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- optimisers over a contiguous parameter block -------------------------------------- */

typedef enum tg_optim_kind { TG_OPTIM_SGD = 0, TG_OPTIM_ADAM = 1 } tg_optim_kind;

typedef struct tg_optim_params {
    tg_optim_kind kind;
    double momentum;      /* SGD: heavy-ball momentum in [0, 1) (torch.optim.SGD, dampening 0) */
    int nesterov;         /* SGD: Nesterov momentum (needs momentum > 0) */
    double beta1, beta2;  /* Adam: moment decay rates in [0, 1) */
    double eps;           /* Adam: denominator term > 0 */
    double weight_decay;  /* >= 0; SGD and Adam: L2 added to the gradient (torch semantics) */
    int decoupled;        /* Adam only: 1 = decoupled decay p -= lr*wd*p (AdamW) */
    double clip_norm;     /* > 0: scale the gradient to this global L2 norm when above; 0 = off */
} tg_optim_params;

/* Defaults: Adam, betas 0.9/0.999, eps 1e-8, momentum 0.9 (for SGD), no decay, no clipping. */
void tg_optim_params_default(tg_optim_params *o);

/* The optimiser state: moment buffers for n parameters in one allocation. */
typedef struct tg_optim {
    tg_optim_params prm;
    size_t n;
    long steps;           /* optimiser steps taken (Adam bias correction) */
    float *mem;           /* the one allocation: m [n] (momentum / first moment), v [n] (Adam) */
    float *m, *v;
} tg_optim;

/* Creates an optimiser for n parameters with zeroed state. TG_ERR_ARG / TG_ERR_RANGE naming a
 * bad field, TG_ERR_OVERFLOW / TG_ERR_NOMEM; *out is NULL on failure. */
tg_status tg_optim_create(tg_optim **out, const tg_optim_params *prm, size_t n);

/* Frees an optimiser (NULL is fine). */
void tg_optim_destroy(tg_optim *o);

/* Zeroes the moment buffers and the step count (a fresh start with the same settings). */
void tg_optim_reset(tg_optim *o);

/* One update of params [n] from grads [n] (not modified; clipping scales on the fly) at learning
 * rate lr, exactly torch.optim.SGD / Adam / AdamW (+ clip_grad_norm_). *grad_norm (may be NULL)
 * receives the gradient's L2 norm before clipping. TG_ERR_ARG for NULL or lr < 0,
 * TG_ERR_NONFINITE for a NaN/Inf gradient (params untouched). */
tg_status tg_optim_step(tg_optim *o, float *params, const float *grads, double lr, double *grad_norm);

typedef enum tg_lr_kind {
    TG_LR_CONSTANT = 0,
    TG_LR_STEP = 1,       /* lr * gamma^floor(t / step_size) */
    TG_LR_COSINE = 2      /* min_lr + (lr - min_lr) * (1 + cos(pi * t / total)) / 2, t <= total */
} tg_lr_kind;

/* A schedule over a unit t = 0, 1, ... (the training loop uses epochs). A linear warm-up of
 * `warmup` units comes first: lr * (t + 1) / (warmup + 1); then the schedule runs on t - warmup
 * (the cosine over total - warmup units). */
typedef struct tg_lr_schedule {
    tg_lr_kind kind;
    double lr;            /* base learning rate > 0 */
    int step_size;        /* step: units per decay (>= 1) */
    double gamma;         /* step: decay factor in (0, 1] */
    int total;            /* cosine: units until min_lr (the training loop sets it to epochs) */
    double min_lr;        /* cosine: final rate, 0 <= min_lr <= lr */
    int warmup;           /* warm-up units >= 0 */
} tg_lr_schedule;

/* Defaults: constant 1e-3, step_size 10, gamma 0.1, total 0, min_lr 0, no warm-up. */
void tg_lr_schedule_default(tg_lr_schedule *s);

/* Validates a schedule. TG_ERR_RANGE naming the bad field. */
tg_status tg_lr_schedule_check(const tg_lr_schedule *s);

/* Learning rate at unit t >= 0 (t past a cosine's total stays at min_lr). Assumes a checked schedule. */
double tg_lr_at(const tg_lr_schedule *s, int t);

/* ---- breast sample sets ------------------------------------------------------------------- */

#define TG_SAMPLE_KEY_MAX 64            /* patient ids and group keys are at most 63 bytes */
#define TG_SAMPLE_SET_MAX_BYTES ((size_t)4 << 30)

/* N samples of raw [c, h, w] °C with label, patient id and group key, in owned contiguous
 * arrays (one allocation). An empty set has n == 0 and NULL arrays. */
typedef struct tg_sample_set {
    size_t n;
    int c, h, w;
    float *raw;                             /* [n, c, h, w] */
    int *labels;                            /* [n] 0 healthy, 1 sick */
    char (*patient)[TG_SAMPLE_KEY_MAX];     /* [n] patient id (non-empty) */
    char (*group)[TG_SAMPLE_KEY_MAX];       /* [n] group key for breakdowns ("" = none) */
    void *mem;
} tg_sample_set;

/* Allocates n samples of [c, h, w], zero-filled, labels 0, empty ids. n == 0 gives an empty set.
 * TG_ERR_ARG for NULL or non-positive shape, TG_ERR_OVERFLOW above TG_SAMPLE_SET_MAX_BYTES,
 * TG_ERR_NOMEM. On failure *s is empty. */
tg_status tg_sample_set_create(tg_sample_set *s, size_t n, int c, int h, int w);

/* Frees the arrays and empties the set; safe on an empty or NULL set. */
void tg_sample_set_destroy(tg_sample_set *s);

/* Fills sample i: raw (c*h*w floats, may be NULL to keep the pixels), label 0/1, patient id
 * (non-empty) and group key (NULL = ""). TG_ERR_RANGE for i >= n, TG_ERR_ARG for a bad label,
 * TG_ERR_ARG for an empty or over-long id/key (naming it). */
tg_status tg_sample_set_put(tg_sample_set *s, size_t i, const float *raw, int label, const char *patient,
                            const char *group);

/* Checks every sample: labels 0/1, non-empty patient ids, finite pixels. The first problem is
 * reported naming the sample index and patient (TG_ERR_ARG or TG_ERR_NONFINITE). */
tg_status tg_sample_set_check(const tg_sample_set *s);

/* Copies samples idx[0..k) of src into a new set (k == 0 gives an empty set).
 * TG_ERR_RANGE for an index past the end. */
tg_status tg_sample_set_subset(tg_sample_set *out, const tg_sample_set *src, const size_t *idx, size_t k);

/* Patient-level split of `src` with tg_split_patients (stratified by the patient's label =
 * max over its samples): out[TG_SPLIT_TRAIN / VAL / TEST] become new sets (possibly empty).
 * Errors of tg_split_patients; on failure every out[] is empty. */
tg_status tg_sample_set_split(const tg_sample_set *src, const tg_split_opts *opts, tg_sample_set out[3]);

/* ---- augmentation ------------------------------------------------------------------------ */

/* Label-preserving augmentation of one breast sample. Every transform touches all channels
 * identically and never swaps channels:
 * - flip: mirrors the whole sample left-right. Both channels are in the canonical orientation,
 *   so the flipped pair is exactly how the same breast pair of a mirror-image patient would
 *   look: channel 0 is still the classified breast (its lesion, if any, stays in it) and
 *   channel 1 still its contralateral, pixel-aligned. Flipping one channel alone, or swapping
 *   channels, would break the breast/contralateral correspondence or classify the other breast.
 * - shift: integer translation by (dx, dy) in [-max_shift, max_shift], edge pixels replicated.
 * - jitter: one °C offset uniform in [-jitter_c, jitter_c] added to both channels (ambient and
 *   calibration drift; the left/right difference, the main cue, is unchanged).
 * - gain: T' = mean + g (T - mean), g uniform in [1 - gain, 1 + gain], mean over the sample. */
typedef struct tg_augment_params {
    int flip;             /* 1: flip with probability 1/2 */
    int max_shift;        /* pixels >= 0; 0 = off */
    double jitter_c;      /* °C >= 0; 0 = off */
    double gain;          /* in [0, 0.5]; 0 = off */
} tg_augment_params;

/* Defaults: flip on, max_shift 2, jitter 0.3 °C, gain 0. */
void tg_augment_params_default(tg_augment_params *a);

/* Validates the knobs (TG_ERR_RANGE naming the field; shift must be below the grid size). */
tg_status tg_augment_check(const tg_augment_params *a, int h, int w);

/* Augments one sample raw [c, h, w] in place with draws from tg_rng_stream(seed, stream)
 * (the training loop uses stream = epoch * N + sample index, so the result does not depend on
 * batching or order). scratch holds c*h*w floats. TG_ERR_ARG for NULL or bad knobs. */
tg_status tg_augment_sample(const tg_augment_params *a, uint64_t seed, uint64_t stream, float *raw, int c, int h,
                            int w, float *scratch);

/* ---- training ---------------------------------------------------------------------------- */

#define TG_TRAIN_MAX_EPOCHS 1000

typedef enum tg_class_weighting {
    TG_CLASS_WEIGHT_NONE = 0,
    TG_CLASS_WEIGHT_BALANCED = 1, /* w_c = N / (2 N_c) over the training set (sklearn "balanced") */
    TG_CLASS_WEIGHT_MANUAL = 2    /* class_w[] as given */
} tg_class_weighting;

typedef enum tg_monitor {
    TG_MONITOR_VAL_LOSS = 0,      /* lower is better */
    TG_MONITOR_VAL_ACC = 1,       /* higher is better */
    TG_MONITOR_LAST = 2           /* keep the last epoch (validation still reported, no early stop):
                                   * for adversarial training, whose clean validation loss favours
                                   * the weakly trained epochs of a budget ramp */
} tg_monitor;

/* Batch hook for adversarial training, called on every training batch after augmentation.
 * It may overwrite raw_batch [batch, c, h, w] (e.g. with adversarial examples computed on `p`)
 * and set *bn_set (starts at 0; 1 = the adversarial BN statistics of dual BN). step_seed is
 * unique per (training seed, step) for the hook's own randomness. It may run forwards/backwards
 * on `p` (parameter gradients are zeroed after it returns). Returns 0, or a tg_status that stops
 * training and is returned. */
typedef int (*tg_adversary_fn)(void *user, tg_pipeline *p, float *raw_batch, const int *labels, int batch,
                               uint64_t step_seed, int *bn_set);

/* What a loss hook knows about the current training step. */
typedef struct tg_train_step {
    int epoch, epochs;            /* 0-based epoch and the planned total */
    long step;                    /* optimiser steps taken before this one */
    uint64_t seed;                /* unique per (training seed, step): dropout seed of the step's
                                   * train passes and the hook's own randomness */
    const uint64_t *sample_ids;   /* [batch] per-sample dropout stream ids */
    int bn_set;                   /* BN set chosen by the adversary hook (0 without one) */
    const float *class_w;         /* [2] class weights of the run */
    tg_loss_kind loss;            /* the run's loss kind and focal gamma */
    float focal_gamma;
} tg_train_step;

/* Loss hook: replaces the built-in loss of a training batch (after augmentation and the
 * adversary hook). Parameter gradients are zero when it is called; it runs whatever forward
 * passes (train passes: {1, bn_set, step->seed, step->sample_ids}) and backward passes
 * (TG_NET_GRAD_PARAMS, accumulating) on `p` its loss needs, so that net->grads holds the
 * gradient of the batch loss, then writes that loss to *loss and the predicted class of every
 * sample to pred [batch] (training accuracy). The loop then takes the optimiser step. Returns 0,
 * or a tg_status that stops training and is returned. */
typedef int (*tg_loss_fn)(void *user, tg_pipeline *p, const float *raw_batch, const int *labels, int batch,
                          const tg_train_step *step, float *loss, int *pred);

/* Epoch hook: called at the start of every epoch (curricula such as a budget ramp-up).
 * Returns 0, or a tg_status that stops training and is returned. */
typedef int (*tg_epoch_fn)(void *user, int epoch, int epochs);

typedef struct tg_train_params {
    int epochs;                   /* 1..TG_TRAIN_MAX_EPOCHS */
    int batch_size;               /* <= the pipeline's max_batch */
    uint64_t seed;                /* shuffling, augmentation, dropout, hook seeds */
    int shuffle;                  /* 1: new permutation each epoch */
    tg_optim_params optim;
    tg_lr_schedule lr;            /* stepped per epoch; a cosine with total 0 spans all epochs */
    tg_loss_kind loss;            /* TG_LOSS_XENT or TG_LOSS_FOCAL */
    float focal_gamma;
    tg_class_weighting weighting;
    float class_w[2];             /* TG_CLASS_WEIGHT_MANUAL */
    int augment_on;
    tg_augment_params augment;
    int patience;                 /* epochs without improvement before stopping; 0 = never */
    double min_delta;             /* improvement needed to count (>= 0) */
    tg_monitor monitor;
    tg_adversary_fn adversary;    /* NULL = plain training */
    void *adversary_user;
    tg_loss_fn loss_hook;         /* NULL = the built-in loss (`loss` above) */
    void *loss_user;
    tg_epoch_fn epoch_hook;       /* NULL = none */
    void *epoch_user;
} tg_train_params;

/* Defaults: 30 epochs, batch 32, seed 0, shuffle, Adam lr 1e-3 cosine, cross-entropy,
 * balanced class weights, augmentation defaults, patience 8 on validation loss, no hooks. */
void tg_train_params_default(tg_train_params *t);

typedef struct tg_epoch_stats {
    double lr;
    double train_loss;            /* mean (weighted) training loss over the epoch's batches */
    double train_acc;             /* on the batches as trained (augmented, after the hook) */
    double val_loss, val_acc, val_auc; /* NaN without a validation set */
} tg_epoch_stats;

typedef struct tg_train_report {
    int epochs_run;
    int best_epoch;               /* 0-based epoch whose weights the network holds; -1 = initial */
    int stopped_early;
    size_t n_train, n_val;        /* samples used per epoch (every sample, every epoch) */
    double class_w[2];            /* weights the loss used */
    long steps;                   /* optimiser steps taken */
    tg_epoch_stats epoch[TG_TRAIN_MAX_EPOCHS];
} tg_train_report;

/* Trains the pipeline's network (already initialised, e.g. tg_net_init) on `train` for up to
 * params->epochs epochs. `val` (may be NULL: no early stopping, the last epoch wins) is
 * evaluated after every epoch; the best epoch's parameters and BN statistics are restored at
 * the end. The network must have 2 classes. Every sample is used every epoch (ceil(N/batch)
 * batches of near-equal size); nothing is skipped: a bad sample (label, non-finite pixel,
 * shape) refuses the whole run naming it, and a validation set sharing a patient with the
 * training set is refused. Same seed, data, thread count and machine -> identical weights.
 * Returns TG_ERR_CANCELLED (after restoring the best weights so far) when `progress` asks,
 * TG_ERR_NONFINITE if the loss diverges (best weights restored), errors of the hook as is.
 * `report` (may be NULL) is filled with whatever ran. */
tg_status tg_train(tg_pipeline *p, const tg_sample_set *train, const tg_sample_set *val,
                   const tg_train_params *params, tg_train_report *report, const tg_progress *progress);

/* ---- evaluation -------------------------------------------------------------------------- */

/* Binary metrics, sick = positive; a sample is predicted sick when score >= threshold. */
typedef struct tg_binary_metrics {
    size_t n, tp, tn, fp, fn;     /* the confusion matrix */
    double accuracy;
    double sensitivity;           /* NaN without positives */
    double specificity;           /* NaN without negatives */
    double auc;                   /* Mann-Whitney with average ranks for ties; NaN if one class */
} tg_binary_metrics;

/* Metrics of n scores against truth (0/1). TG_ERR_ARG for NULL, n == 0, a label not 0/1 or a
 * NaN score (naming the item). */
tg_status tg_binary_metrics_compute(const int *truth, const float *scores, size_t n, double threshold,
                                    tg_binary_metrics *out);

typedef struct tg_eval_report {
    double threshold;
    tg_binary_metrics breast;     /* per sample */
    tg_binary_metrics patient;    /* per patient: label and score = max over its samples */
    tg_breakdown groups;          /* per group key (breasts); owned, tg_eval_report_destroy */
} tg_eval_report;

/* Frees the breakdown; safe on a zeroed or NULL report. */
void tg_eval_report_destroy(tg_eval_report *r);

/* P(sick) of every sample of `set` into scores [set->n], evaluation mode, in chunks of `batch`
 * (<= the pipeline's max_batch). TG_ERR_ARG for an empty set, a shape that is not the
 * pipeline's input or a network without 2 classes. */
tg_status tg_predict_set(tg_pipeline *p, const tg_sample_set *set, int batch, float *scores);

/* Report of given scores [set->n] for `set` at `threshold` in [0, 1]. TG_ERR_ARG as for
 * tg_binary_metrics_compute or for an empty set; on failure *out is zeroed. */
tg_status tg_evaluate_scores(const tg_sample_set *set, const float *scores, double threshold, tg_eval_report *out);

/* tg_predict_set + tg_evaluate_scores. */
tg_status tg_evaluate(tg_pipeline *p, const tg_sample_set *set, double threshold, int batch, tg_eval_report *out);

/* ---- breast samples from the phantom (test/experiment utility, no ITK) ------------------ */

/* A stand-in for the real preprocessing (ITK, in dicom/) using the phantom's ground-truth
 * geometry: for every patient in [first, first + count) and every view pair in o->views
 * (frontal; lateral-left + lateral-right; oblique-left + oblique-right, both of a pair needed),
 * each breast becomes one sample: a square of side 2 * crop_scale * r (r = the larger breast
 * radius of the pair) around each breast centre, area-averaged (nearest when enlarging) to
 * grid_h x grid_w, the patient's left breast mirrored so both share the right breast's image
 * orientation; channel 0 = the breast, channel 1 = the contralateral. Label = the breast's label,
 * patient = the phantom id, group = "frontal" / "lateral" / "oblique". Pixels outside the
 * image replicate the edge. TG_ERR_ARG / TG_ERR_RANGE for bad options, a lone lateral/oblique
 * view or patients past the end. On failure *out is empty. */
tg_status tg_phantom_breast_samples(const tg_phantom_opts *o, size_t first, size_t count, int grid_h, int grid_w,
                                    double crop_scale, tg_sample_set *out);

#ifdef __cplusplus
}
#endif
#endif
