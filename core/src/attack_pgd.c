/* The sign / L2 step family: FGSM, BIM, PGD (random start, restarts keeping the worst case per
 * sample) and MI-FGSM share one loop: x <- Π(x + α · direction(∇J)), Π = projection onto the
 * ε-ball ∩ [t_min, t_max]. Each restart returns its last iterate; across restarts the worst case
 * per sample (success first, then the lowest margin) is kept.
 * Legend: B = batch, N = floats per raw sample.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attack_internal.h"

/* Uniform start in the L∞ ball, or a random direction at radius r·ε (r ~ U(0,1)) for L2. */
static void random_start(const atk_ctx *c, float *x, int r)
{
    for (int b = 0; b < c->B; b++) {
        tg_rng rng;
        atk_rng(c, r, b, &rng);
        float *xb = x + (size_t)b * c->n;
        const float *x0 = c->x0 + (size_t)b * c->n;
        if (c->prm->norm == TG_NORM_LINF) {
            for (size_t i = 0; i < c->n; i++)
                xb[i] = x0[i] + (float)tg_rng_range(&rng, -c->eps_c, c->eps_c);
        } else {
            double s = 0.0;
            for (size_t i = 0; i < c->n; i++) {
                xb[i] = (float)tg_rng_normal(&rng);
                s += (double)xb[i] * xb[i];
            }
            double f = s > 0.0 ? tg_rng_uniform(&rng) * c->eps_c / sqrt(s) : 0.0;
            for (size_t i = 0; i < c->n; i++)
                xb[i] = x0[i] + (float)(f * xb[i]);
        }
        atk_project(c, x, b, c->prm->norm, c->eps_c);
    }
}

/* MI-FGSM: mom_b = μ mom_b + g_b / ||g_b||_1, then g_b = mom_b (the step takes its sign). */
static void momentum_update(const atk_ctx *c, float *mom, float *g)
{
    float mu = (float)c->prm->momentum;
    for (int b = 0; b < c->B; b++) {
        float *gb = g + (size_t)b * c->n, *mb = mom + (size_t)b * c->n;
        double s = 0.0;
        for (size_t i = 0; i < c->n; i++)
            s += fabs((double)gb[i]);
        float inv = s > 0.0 ? (float)(1.0 / s) : 0.0f;
        for (size_t i = 0; i < c->n; i++) {
            mb[i] = mu * mb[i] + inv * gb[i];
            gb[i] = mb[i];
        }
    }
}

tg_status atk_run_pgd(atk_ctx *c)
{
    const tg_attack_params *prm = c->prm;
    int fgsm = prm->kind == TG_ATTACK_FGSM, mi = prm->kind == TG_ATTACK_MIFGSM;
    int iters = fgsm ? 1 : prm->iterations;
    int restarts = prm->kind == TG_ATTACK_PGD ? prm->restarts : 1;
    int rstart = prm->kind == TG_ATTACK_PGD && prm->random_start;
    float step = fgsm ? c->eps_c : c->step_c;
    size_t total = (size_t)c->B * c->n;
    float *x = malloc(total * sizeof(float)), *g = malloc(total * sizeof(float));
    float *mom = mi ? calloc(total, sizeof(float)) : NULL;
    tg_status st = TG_OK;
    if (!x || !g || (mi && !mom)) {
        st = tg_fail(TG_ERR_NOMEM, "attack %s: out of memory", tg_attack_name(prm->kind));
        goto done;
    }
    int stop = 0;
    for (int r = 0; r < restarts && !stop; r++) {
        if (rstart)
            random_start(c, x, r);
        else
            memcpy(x, c->x0, total * sizeof(float));
        if (mi)
            memset(mom, 0, total * sizeof(float));
        for (int k = 0; k < iters && !stop; k++) {
            if ((st = atk_forward(c, x, c->B, NULL, prm->loss, 1)) != TG_OK ||
                (st = atk_backward(c, NULL, g)) != TG_OK)
                goto done;
            if (mi)
                momentum_update(c, mom, g);
            for (int b = 0; b < c->B; b++) {
                atk_step(x + (size_t)b * c->n, g + (size_t)b * c->n, c->n, prm->norm, step);
                atk_project(c, x, b, prm->norm, c->eps_c);
            }
            stop = atk_tick(c, (double)(r * iters + k + 1) / ((double)restarts * iters), tg_attack_name(prm->kind));
        }
        if ((st = atk_forward(c, x, c->B, NULL, prm->loss, 0)) != TG_OK)
            goto done;
        atk_keep(c, x);
    }
done:
    free(x);
    free(g);
    free(mom);
    return st;
}
