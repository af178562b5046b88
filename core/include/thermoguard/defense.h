/* ThermoGuard — adversarial-training defenses (WBAD stage 2 and peers) hooked into tg_train:
 *   PGD-AT (Madry et al.): every batch (or a fraction of it) replaced by PGD-L∞ examples.
 *   MPAdvT (Xu et al., MedIA 2021): per batch, with probability 0.5, the whole batch replaced by
 *     PGD-L∞ examples with ε ~ U(0.01, 0.04), steps ~ ⌊U(1, 10)⌋, step 1/255, random start.
 *     The paper trains it with the focal loss and SGD 1e-3: set tg_train_params.loss/optim.
 *   MART = MAAdvT (Wang et al.; Xu et al.): loss tg_mart_loss on x and x′, x′ by sign-PGD on the
 *     cross-entropy from x + 0.001·N(0, I) (the authors' code), ε 0.031, 4 steps, step 0.007, β 6.
 *   TRADES (Zhang et al.): loss tg_trades_loss, x′ by sign-PGD on KL(p(x) ‖ p(x′)) from
 *     x + 0.001·N(0, I), ε 0.031, 10 steps, step 0.007, β 6 (the paper's range is 1–6).
 * Every budget and step is L∞ in NORMALISED input units (fractions of t_max - t_min, as in
 * attack.h); x′ stays inside the ball and [t_min, t_max].
 *
 * Adversarial examples are crafted on the current weights in EVALUATION mode (running BN
 * statistics of set 0, no dropout), as the reference implementations do (model.eval() while
 * attacking): PGD-AT and MPAdvT with tg_attack_run (PGD, CE, one restart) inside tg_train's
 * adversary hook; MART and TRADES in tg_train's loss hook, which then runs the train-mode passes.
 *
 * MART/TRADES step: forward(x) → z, forward(x′) → z′ (both train passes, each with its own BN
 * batch statistics, as two separate calls of a torch model would), loss and dL/dz, dL/dz′;
 * backward(x′) with dL/dz′; forward(x) again with the BN running statistics saved and restored
 * (so they advance once per input, like torch) and backward(x) with dL/dz. Parameter gradients
 * of both passes accumulate: the exact gradient of the loss in train mode, BN batch statistics
 * included, with x′ held constant. Their loss is the formula as written: the run's class weights
 * and loss kind do not apply; training accuracy is that of the clean logits.
 *
 * Dual BN (Han et al.): with dual_bn the network needs "dbn" layers; clean samples use BN set 0
 * and adversarial samples set 1 (PGD-AT/MPAdvT: a replaced batch trains set 1, a clean batch
 * set 0; MART/TRADES: the x pass set 0, the x′ pass set 1). Partial replacement (mix < 1) mixes
 * both kinds in one pass and is refused with dual BN.
 *
 * Curriculum: ramp_epochs R > 0 scales ε and the step by min(1, (epoch + 1) / R).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_DEFENSE_H
#define THERMOGUARD_DEFENSE_H

#include <stddef.h>

#include "thermoguard/pipeline.h"
#include "thermoguard/status.h"
#include "thermoguard/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tg_defense_kind {
    TG_DEFENSE_NONE = 0,
    TG_DEFENSE_PGD_AT = 1,
    TG_DEFENSE_MPADVT = 2,
    TG_DEFENSE_MART = 3,
    TG_DEFENSE_TRADES = 4
} tg_defense_kind;

#define TG_DEFENSE_MAX_STEPS 1000

typedef struct tg_defense_params {
    tg_defense_kind kind;
    double eps;               /* L∞ budget (PGD-AT, MART, TRADES), in (0, 1] */
    double eps_min, eps_max;  /* MPAdvT: ε ~ U(eps_min, eps_max), 0 < eps_min <= eps_max <= 1 */
    int steps;                /* attack steps (PGD-AT, MART, TRADES), 1..TG_DEFENSE_MAX_STEPS */
    int steps_min, steps_max; /* MPAdvT: steps = ⌊U(steps_min, steps_max)⌋, 1 <= min <= max */
    double step;              /* step size α, in (0, 1] */
    int random_start;         /* PGD-AT/MPAdvT: uniform start in the ball; MART/TRADES: 0.001·N(0,I) */
    double prob;              /* PGD-AT/MPAdvT: probability a batch is attacked, in [0, 1] */
    double mix;               /* PGD-AT/MPAdvT: fraction of an attacked batch replaced, in (0, 1] */
    double beta;              /* MART/TRADES: weight of the robust term, finite, in [0, 100] */
    int ramp_epochs;          /* curriculum: 0 = off, else 1..TG_TRAIN_MAX_EPOCHS */
    int dual_bn;              /* 1: clean samples BN set 0, adversarial set 1 (needs "dbn" layers) */
} tg_defense_params;

/* The documented defaults of `kind` (docs/algorithms.md), all with prob 1 (MPAdvT 0.5), mix 1,
 * no ramp, no dual BN: PGD-AT ε 0.031, 7 steps, α 0.0078 (2/255), random start; MPAdvT ε
 * U(0.01, 0.04), steps ⌊U(1, 10)⌋, α 1/255, random start; MART ε 0.031, 4 steps, α 0.007, β 6;
 * TRADES ε 0.031, 10 steps, α 0.007, β 6. An unknown kind gives NONE. */
tg_defense_params tg_defense_params_default(tg_defense_kind kind);

/* Validates the fields `kind` uses (ranges above; mix < 1 with dual BN and mix/prob other than 1
 * for MART/TRADES are refused). TG_ERR_ARG / TG_ERR_RANGE with a message naming the field. */
tg_status tg_defense_params_check(const tg_defense_params *d);

/* Short stable name of a kind: "none", "pgd-at", "mpadvt", "mart", "trades"; "unknown" else. */
const char *tg_defense_name(tg_defense_kind kind);

/* Kind of a name as tg_defense_name spells it (also "maadvt" for MART). TG_ERR_NOTFOUND. */
tg_status tg_defense_kind_from_name(const char *name, tg_defense_kind *out);

/* One-line settings text for the model provenance and the SR, e.g.
 * "pgd-at eps=0.031 (0.62 °C) steps=7 step=0.0078 (0.16 °C) random-start prob=1 mix=1 ramp=0
 * dual-bn=0 crafted-in=eval"; °C via tg_pipeline_celsius_per_unit(cfg) when cfg has
 * temperatures (cfg NULL or intensity input: normalised units only). Truncated to fit `size`
 * bytes (always terminated); returns the length the full text needs, like snprintf. */
size_t tg_defense_describe(const tg_defense_params *d, const tg_pipeline_config *cfg, char *buf, size_t size);

typedef struct tg_defense_state tg_defense_state;

/* Checks `d` and sets the hooks of `t` for it: adversary + epoch hooks (PGD-AT, MPAdvT) or loss +
 * epoch hooks (MART, TRADES); NONE sets nothing. *state (owns a copy of d and the working
 * buffers, allocated on first use) must outlive the training runs using `t` and be freed with
 * tg_defense_destroy. TG_ERR_ARG when `t` already carries a hook, errors of the check,
 * TG_ERR_NOMEM; *state is NULL on failure. */
tg_status tg_defense_attach(const tg_defense_params *d, tg_train_params *t, tg_defense_state **state);

/* Frees a state (NULL is fine). */
void tg_defense_destroy(tg_defense_state *s);

/* The last MART/TRADES step for diagnostics and tests: the adversarial batch x′ [batch, c, h, w]
 * (raw units), and the train-mode clean and adversarial logits [batch, 2] the loss used; pointers
 * valid until the next step. TG_ERR_ARG for NULL or before any MART/TRADES step. */
tg_status tg_defense_last_step(const tg_defense_state *s, const float **x_adv, const float **z, const float **z_adv,
                               int *batch);

#ifdef __cplusplus
}
#endif
#endif
