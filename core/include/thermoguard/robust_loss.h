/* ThermoGuard — losses of the adversarial-training defenses that need the clean AND the
 * adversarial logits of the same batch (their gradients flow into both):
 *   TRADES (Zhang et al., ICML 2019):  CE(z, y) + beta * KL(softmax z || softmax z')
 *   MART / MAAdvT (Wang et al., ICLR 2020; Xu et al., MedIA 2021):
 *     CE(z', y) - log(1.0001 - max_{k != y} p'_k) + beta * KL(p || p') * (1 - p_y)
 * with z = clean logits, z' = adversarial logits [B, K], p = softmax z, p' = softmax z'; every
 * term is a batch mean. The constants (1.0001, 1e-12 inside the log of p', 1.0000001 instead of
 * 1) follow the authors' reference code so losses compare with it directly. Computed in double.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_ROBUST_LOSS_H
#define THERMOGUARD_ROBUST_LOSS_H

#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* TRADES loss into *loss; dz, dz_adv [B, K] (either may be NULL) receive += the gradients.
 * TG_ERR_ARG for NULL inputs, B < 1, K < 2, a label outside [0, K), beta < 0 or non-finite. */
tg_status tg_trades_loss(float *loss, const float *z, const float *z_adv, const int *labels, int B, int K, float beta,
                         float *dz, float *dz_adv);

/* MART loss (as above); same conventions and errors. */
tg_status tg_mart_loss(float *loss, const float *z, const float *z_adv, const int *labels, int B, int K, float beta,
                       float *dz, float *dz_adv);

/* The TRADES inner objective: *loss = sum_b KL(softmax z_ref || softmax z)_b; dz [B, K] += its
 * gradient with respect to z (z_ref is a constant). Used to craft TRADES examples. */
tg_status tg_kl_loss(float *loss, const float *z_ref, const float *z, int B, int K, float *dz);

#ifdef __cplusplus
}
#endif
#endif
