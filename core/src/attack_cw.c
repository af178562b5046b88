/* Carlini-Wagner L2 in normalised units: x' = ½(tanh w + 1) ∈ (0, 1) (raw = t_min + range·x'),
 * minimise ||x' − x||² + c·max(m(x'), −κ) with Adam over w, m the adversarial margin
 * (untargeted Z_y − max_{i≠y} Z_i, targeted max_{i≠t} Z_i − Z_t). The kept result per sample is
 * the smallest-L2 iterate that succeeds (with κ: m < −κ); samples never fooled stay clean.
 * TG_CW_SEARCH (original): cw_binary_steps outer steps, each restarting w at atanh(2x − 1);
 * c starts at cw_c, ×10 until the first success, then bisection; abort-early every
 * iterations/10 steps when the summed loss has not dropped below 0.9999 of its last check.
 * TG_CW_FIXED (torchattacks): one run at c = cw_c, no abort. eps > 0 projects the final
 * perturbation onto the L2 ε-ball.
 * Legend: B = batch, N = floats per raw sample.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attack_internal.h"

typedef struct cw_buf {
    float *w, *am, *av, *xn, *xr, *g, *x0n; /* [B, N] */
    float *cb, *lower, *upper, *wt;         /* [B] */
    double *best;                           /* [B] best squared L2 (normalised) */
    int *found;                             /* [B] success in this binary step */
} cw_buf;

static void cw_free(cw_buf *a)
{
    free(a->w);
    free(a->am);
    free(a->av);
    free(a->xn);
    free(a->xr);
    free(a->g);
    free(a->x0n);
    free(a->cb);
    free(a->lower);
    free(a->upper);
    free(a->wt);
    free(a->best);
    free(a->found);
}

/* The original's c update after a binary step. */
static void update_c(const atk_ctx *c, cw_buf *a)
{
    for (int b = 0; b < c->B; b++) {
        if (a->found[b]) {
            a->upper[b] = fminf(a->upper[b], a->cb[b]);
            if (a->upper[b] < 1e9f)
                a->cb[b] = 0.5f * (a->lower[b] + a->upper[b]);
        } else {
            a->lower[b] = fmaxf(a->lower[b], a->cb[b]);
            a->cb[b] = a->upper[b] < 1e9f ? 0.5f * (a->lower[b] + a->upper[b]) : a->cb[b] * 10.0f;
        }
    }
}

tg_status atk_run_cw(atk_ctx *c)
{
    const tg_attack_params *prm = c->prm;
    size_t total = (size_t)c->B * c->n, B = (size_t)c->B, n = c->n;
    int search = prm->cw_form == TG_CW_SEARCH, iters = prm->iterations;
    int steps = search ? prm->cw_binary_steps : 1;
    int check_every = search && prm->cw_abort_early ? (iters / 10 > 1 ? iters / 10 : 1) : 0;
    float kappa = (float)prm->cw_kappa, lr = (float)prm->cw_lr, inv = 1.0f / c->scale;
    cw_buf a = {0};
    a.w = malloc(total * sizeof(float));
    a.am = malloc(total * sizeof(float));
    a.av = malloc(total * sizeof(float));
    a.xn = malloc(total * sizeof(float));
    a.xr = malloc(total * sizeof(float));
    a.g = malloc(total * sizeof(float));
    a.x0n = malloc(total * sizeof(float));
    a.cb = malloc(B * sizeof(float));
    a.lower = malloc(B * sizeof(float));
    a.upper = malloc(B * sizeof(float));
    a.wt = malloc(B * sizeof(float));
    a.best = malloc(B * sizeof(double));
    a.found = malloc(B * sizeof(int));
    tg_status st = TG_OK;
    if (!a.w || !a.am || !a.av || !a.xn || !a.xr || !a.g || !a.x0n || !a.cb || !a.lower || !a.upper || !a.wt ||
        !a.best || !a.found) {
        st = tg_fail(TG_ERR_NOMEM, "attack cw: out of memory");
        goto done;
    }
    for (size_t i = 0; i < total; i++)
        a.x0n[i] = (c->x0[i] - c->lo) * inv;
    for (size_t b = 0; b < B; b++) {
        a.cb[b] = (float)prm->cw_c;
        a.lower[b] = 0.0f;
        a.upper[b] = 1e10f;
        a.best[b] = DBL_MAX;
    }
    int stop = 0;
    for (int s = 0; s < steps && !stop; s++) {
        for (size_t i = 0; i < total; i++)
            a.w[i] = atanhf((2.0f * a.x0n[i] - 1.0f) * 0.999999f);
        memset(a.am, 0, total * sizeof(float));
        memset(a.av, 0, total * sizeof(float));
        memset(a.found, 0, B * sizeof(int));
        double prev = DBL_MAX, b1t = 1.0, b2t = 1.0;
        for (int it = 0; it < iters && !stop; it++) {
            for (size_t i = 0; i < total; i++) {
                a.xn[i] = 0.5f * (tanhf(a.w[i]) + 1.0f);
                a.xr[i] = c->lo + c->scale * a.xn[i];
            }
            if ((st = atk_forward(c, a.xr, c->B, NULL, TG_LOSS_MARGIN, 1)) != TG_OK)
                goto done;
            double loss = 0.0;
            for (int b = 0; b < c->B; b++) {
                const float *xb = a.xn + (size_t)b * n, *x0 = a.x0n + (size_t)b * n;
                double l2 = 0.0;
                for (size_t i = 0; i < n; i++)
                    l2 += ((double)xb[i] - x0[i]) * ((double)xb[i] - x0[i]);
                float m = c->m[b];
                loss += l2 + (double)a.cb[b] * fmaxf(m, -kappa);
                a.wt[b] = m > -kappa ? a.cb[b] : 0.0f;
                int ok = kappa > 0.0f ? m < -kappa : c->succ[b];
                if (ok) {
                    a.found[b] = 1;
                    if (l2 < a.best[b]) {
                        a.best[b] = l2;
                        memcpy(c->adv + (size_t)b * n, a.xr + (size_t)b * n, n * sizeof(float));
                    }
                }
            }
            if (check_every && it % check_every == 0) {
                if (loss > prev * 0.9999)
                    break;
                prev = loss;
            }
            /* ∇J = −c·∇m in raw units; d/dx' = 2(x' − x) + range·c·∇m; chain through tanh */
            if ((st = atk_backward(c, a.wt, a.g)) != TG_OK)
                goto done;
            b1t *= 0.9;
            b2t *= 0.999;
            float c1 = (float)(1.0 / (1.0 - b1t)), c2 = (float)(1.0 / (1.0 - b2t));
            for (size_t i = 0; i < total; i++) {
                float t = 2.0f * a.xn[i] - 1.0f;
                float gx = 2.0f * (a.xn[i] - a.x0n[i]) - c->scale * a.g[i];
                float gw = gx * 0.5f * (1.0f - t * t);
                a.am[i] = 0.9f * a.am[i] + 0.1f * gw;
                a.av[i] = 0.999f * a.av[i] + 0.001f * gw * gw;
                a.w[i] -= lr * (a.am[i] * c1) / (sqrtf(a.av[i] * c2) + 1e-8f);
            }
            stop = atk_tick(c, (double)(s * iters + it + 1) / ((double)steps * iters), "cw");
        }
        if (search)
            update_c(c, &a);
    }
    if (prm->eps > 0.0)
        for (int b = 0; b < c->B; b++)
            atk_project(c, c->adv, b, TG_NORM_L2, c->eps_c);
done:
    cw_free(&a);
    return st;
}
