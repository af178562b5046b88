/* ThermoGuard — robustness evaluation of a deployed pipeline under one attack and one threat
 * model, the building block of `thermoguard robustness` and of QA audits:
 *   transfer / non-adaptive: the attack is computed on a SOURCE pipeline (typically the
 *     undefended model, as the WBAD paper does) and the adversarial inputs are fed to the target;
 *   adaptive white-box: the attack differentiates through the whole target pipeline (its
 *     denoiser by the exact subgradient or BPDA, as the target's config says), with restarts;
 *   black-box: a score-based attack (Square) querying the target only.
 * Every number says which threat model produced it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_ROBUSTNESS_H
#define THERMOGUARD_ROBUSTNESS_H

#include "thermoguard/attack.h"
#include "thermoguard/detect.h"
#include "thermoguard/progress.h"
#include "thermoguard/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tg_threat {
    TG_THREAT_TRANSFER = 0,
    TG_THREAT_ADAPTIVE = 1,
    TG_THREAT_BLACKBOX = 2
} tg_threat;

/* "transfer", "adaptive", "black-box". */
const char *tg_threat_name(tg_threat t);

/* One cell of a robustness table. Accuracies are over all n samples (a sample misclassified
 * when clean counts as wrong under attack too); the perturbation medians are over the
 * successful attacks (0 when none). */
typedef struct tg_robust_cell {
    size_t n;                 /* samples evaluated */
    size_t clean_correct;     /* correctly classified without attack */
    size_t robust_correct;    /* still correct on the adversarial input */
    size_t flipped;           /* clean-correct samples whose verdict the attack flipped */
    double clean_acc, robust_acc, success_rate; /* success_rate = flipped / clean_correct */
    double median_linf_c, median_l2_c;          /* of the flipping perturbations, °C */
    double eps_c;             /* the budget in °C (0 for unbounded minimum-norm attacks) */
    double detector_tpr;      /* flagged among flipped adversarial inputs (NaN: no detector/none) */
    double detector_fpr;      /* flagged among clean inputs (NaN without a detector) */
    double seconds;           /* wall time of the attack */
    long grad_evals, queries;
} tg_robust_cell;

/* Evaluates `target` on set `s` under attack `a` with threat model `t`: the attack runs on
 * `source` for TG_THREAT_TRANSFER (it must take the same raw input shape), on `target`
 * otherwise; TG_THREAT_BLACKBOX requires a Square attack. Every verdict is the deployed
 * decision, class 1 when P(1) >= the model's calibrated threshold (as tg_evaluate and the node
 * decide; 0.5 = argmax), and the attack aims at the attacked model's rule (a->threshold is
 * replaced by source_threshold for transfer, target_threshold otherwise). Samples go in
 * batches of `batch` (<= both pipelines' max batch). `det` (may be NULL) is the target's
 * detector. Deterministic for a fixed seed in `a` (per-sample streams by data-set index).
 * TG_ERR_ARG for inconsistent arguments (thresholds other than 0.5 without two classes),
 * TG_ERR_RANGE for a threshold outside (0, 1), attack and pipeline errors, TG_ERR_CANCELLED. */
tg_status tg_robustness_run(tg_pipeline *target, double target_threshold, tg_pipeline *source,
                            double source_threshold, const tg_detector *det, const tg_sample_set *s,
                            const tg_attack_params *a, tg_threat t, int batch, tg_robust_cell *out,
                            const tg_progress *progress);

#ifdef __cplusplus
}
#endif
#endif
