/* DeepFool (Moosavi-Dezfooli et al. 2016), minimum-norm. With m the adversarial margin
 * (untargeted z_y − max_{i≠y} z_i, targeted max_{i≠t} z_i − z_t; success at m < 0) each step
 * linearises m and jumps to its zero: r = −(m + 1e-4) ∇m/||∇m||² (L2) or
 * −(m + 1e-4) sign(∇m)/||∇m||_1 (L∞); x = clip(x0 + (1 + overshoot) Σr). Exact for two
 * classes; with more, m is the margin to the current runner-up. The step is invariant to the
 * normalisation (units cancel), so it is taken in °C directly. Samples leave the batch once
 * fooled. eps > 0 projects the final perturbation onto the ε-ball.
 * Legend: B = batch, N = floats per raw sample.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attack_internal.h"

tg_status atk_run_deepfool(atk_ctx *c)
{
    const tg_attack_params *prm = c->prm;
    size_t total = (size_t)c->B * c->n;
    float *x = malloc(total * sizeof(float)), *xc = malloc(total * sizeof(float));
    float *g = malloc(total * sizeof(float)), *rt = calloc(total, sizeof(float));
    int *idx = malloc((size_t)c->B * sizeof(int)), *done = calloc((size_t)c->B, sizeof(int));
    tg_status st = TG_OK;
    if (!x || !xc || !g || !rt || !idx || !done) {
        st = tg_fail(TG_ERR_NOMEM, "attack deepfool: out of memory");
        goto done;
    }
    memcpy(x, c->x0, total * sizeof(float));
    float over = 1.0f + (float)prm->overshoot;
    for (int it = 0; it < prm->iterations; it++) {
        int nb = 0;
        for (int b = 0; b < c->B; b++)
            if (!done[b])
                idx[nb++] = b;
        if (nb == 0)
            break;
        atk_gather(c, xc, x, idx, nb);
        /* J = −m for the margin loss, so ∇J = −∇m */
        if ((st = atk_forward(c, xc, nb, idx, TG_LOSS_MARGIN, 1)) != TG_OK || (st = atk_backward(c, NULL, g)) != TG_OK)
            goto done;
        for (int j = 0; j < nb; j++) {
            int b = idx[j];
            if (c->succ[j]) {
                done[b] = 1;
                continue;
            }
            const float *gj = g + (size_t)j * c->n;
            double s = 0.0;
            for (size_t i = 0; i < c->n; i++)
                s += prm->norm == TG_NORM_L2 ? (double)gj[i] * gj[i] : fabs((double)gj[i]);
            if (s <= 0.0) {
                done[b] = 1; /* flat: no direction to follow */
                continue;
            }
            float f = (float)(((double)c->m[j] + 1e-4) / s);
            float *rb = rt + (size_t)b * c->n, *xb = x + (size_t)b * c->n;
            const float *x0 = c->x0 + (size_t)b * c->n;
            for (size_t i = 0; i < c->n; i++) {
                float d = prm->norm == TG_NORM_L2 ? gj[i] : (gj[i] > 0.0f ? 1.0f : gj[i] < 0.0f ? -1.0f : 0.0f);
                rb[i] += f * d;
                xb[i] = fminf(fmaxf(x0[i] + over * rb[i], c->lo), c->hi);
            }
        }
        if (atk_tick(c, (double)(it + 1) / prm->iterations, "deepfool"))
            break;
    }
    memcpy(c->adv, x, total * sizeof(float));
    if (prm->eps > 0.0)
        for (int b = 0; b < c->B; b++)
            atk_project(c, c->adv, b, prm->norm, c->eps_c);
done:
    free(x);
    free(xc);
    free(g);
    free(rt);
    free(idx);
    free(done);
    return st;
}
