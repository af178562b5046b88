/* APGD (Croce & Hein 2020, AutoAttack) with CE or the margin loss, L∞ or L2:
 *   z = Π(x_k + η sign∇J(x_k)) (L2: η ∇J/||∇J||),  x_{k+1} = Π(x_k + α(z − x_k) + (1−α)(x_k − x_{k−1})),
 * first step η = 2ε, α = 0.75 (1 at the first step). Checkpoints as in AutoAttack's code: the first
 * window is max(⌊0.22 N⌋, 1) iterations, each next one max(⌊0.03 N⌋, 1) shorter, never below
 * max(⌊0.06 N⌋, 1). At a checkpoint a sample halves η and restarts from its best point when its
 * loss increased in at most ρ of the window's steps, or when η was not halved at the previous
 * checkpoint and the best loss did not improve since. Every evaluated iterate is a candidate
 * for the kept worst case; restarts start again at a random corner of the ball.
 * Legend: B = batch, N = floats per raw sample.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attack_internal.h"

/* AutoAttack's start: x0 + ε t / ||t|| with t uniform in [-1, 1] (L∞ norm) or normal (L2). */
static void apgd_start(const atk_ctx *c, float *x, int r)
{
    for (int b = 0; b < c->B; b++) {
        tg_rng rng;
        atk_rng(c, r, b, &rng);
        float *xb = x + (size_t)b * c->n;
        const float *x0 = c->x0 + (size_t)b * c->n;
        double s = 0.0;
        for (size_t i = 0; i < c->n; i++) {
            double t = c->prm->norm == TG_NORM_LINF ? tg_rng_range(&rng, -1.0, 1.0) : tg_rng_normal(&rng);
            xb[i] = (float)t;
            s = c->prm->norm == TG_NORM_LINF ? fmax(s, fabs(t)) : s + t * t;
        }
        double f = s > 0.0 ? c->eps_c / (c->prm->norm == TG_NORM_LINF ? s : sqrt(s)) : 0.0;
        for (size_t i = 0; i < c->n; i++)
            xb[i] = x0[i] + (float)(f * xb[i]);
        atk_project(c, x, b, c->prm->norm, c->eps_c);
    }
}

typedef struct apgd_buf {
    float *x, *xold, *z, *g, *xbest, *gbest; /* [B, N] */
    float *eta, *loss, *lbest, *lbest_last;  /* [B] */
    int *incr, *reduced_last;                /* [B] */
} apgd_buf;

static void apgd_free(apgd_buf *a)
{
    free(a->x);
    free(a->xold);
    free(a->z);
    free(a->g);
    free(a->xbest);
    free(a->gbest);
    free(a->eta);
    free(a->loss);
    free(a->lbest);
    free(a->lbest_last);
    free(a->incr);
    free(a->reduced_last);
}

/* The AutoAttack checkpoint decision for every sample (see the file comment). */
static void checkpoint(const atk_ctx *c, apgd_buf *a, int window)
{
    size_t n = c->n;
    for (int b = 0; b < c->B; b++) {
        int osc = a->incr[b] <= (int)floor(c->prm->apgd_rho * window + 1e-9) ? 1 : 0;
        int stuck = !a->reduced_last[b] && a->lbest_last[b] >= a->lbest[b];
        int reduce = osc || stuck;
        a->reduced_last[b] = reduce;
        a->lbest_last[b] = a->lbest[b];
        a->incr[b] = 0;
        if (!reduce)
            continue;
        a->eta[b] *= 0.5f;
        memcpy(a->x + (size_t)b * n, a->xbest + (size_t)b * n, n * sizeof(float));
        memcpy(a->g + (size_t)b * n, a->gbest + (size_t)b * n, n * sizeof(float));
    }
}

/* Evaluates J and ∇J at a->x; records losses, best points and the kept worst case. first != 0
 * initialises the best point. */
static tg_status evaluate(atk_ctx *c, apgd_buf *a, int first)
{
    tg_status st = atk_forward(c, a->x, c->B, NULL, c->prm->loss, 1);
    if (st == TG_OK)
        st = atk_backward(c, NULL, a->g);
    if (st != TG_OK)
        return st;
    atk_keep(c, a->x);
    size_t n = c->n;
    for (int b = 0; b < c->B; b++) {
        float l = c->J[b];
        if (!first && l > a->loss[b])
            a->incr[b]++;
        a->loss[b] = l;
        if (first || l > a->lbest[b]) {
            a->lbest[b] = l;
            memcpy(a->xbest + (size_t)b * n, a->x + (size_t)b * n, n * sizeof(float));
            memcpy(a->gbest + (size_t)b * n, a->g + (size_t)b * n, n * sizeof(float));
        }
    }
    return TG_OK;
}

tg_status atk_run_apgd(atk_ctx *c)
{
    const tg_attack_params *prm = c->prm;
    size_t total = (size_t)c->B * c->n, B = (size_t)c->B;
    int N = prm->iterations;
    apgd_buf a = {0};
    a.x = malloc(total * sizeof(float));
    a.xold = malloc(total * sizeof(float));
    a.z = malloc(total * sizeof(float));
    a.g = malloc(total * sizeof(float));
    a.xbest = malloc(total * sizeof(float));
    a.gbest = malloc(total * sizeof(float));
    a.eta = malloc(B * sizeof(float));
    a.loss = malloc(B * sizeof(float));
    a.lbest = malloc(B * sizeof(float));
    a.lbest_last = malloc(B * sizeof(float));
    a.incr = malloc(B * sizeof(int));
    a.reduced_last = malloc(B * sizeof(int));
    tg_status st = TG_OK;
    if (!a.x || !a.xold || !a.z || !a.g || !a.xbest || !a.gbest || !a.eta || !a.loss || !a.lbest || !a.lbest_last ||
        !a.incr || !a.reduced_last) {
        st = tg_fail(TG_ERR_NOMEM, "attack apgd: out of memory");
        goto done;
    }
    int w_first = N * 22 / 100 > 1 ? N * 22 / 100 : 1;
    int w_min = N * 6 / 100 > 1 ? N * 6 / 100 : 1;
    int w_decr = N * 3 / 100 > 1 ? N * 3 / 100 : 1;
    float alpha = (float)prm->apgd_alpha;
    int stop = 0;
    for (int r = 0; r < prm->restarts && !stop; r++) {
        apgd_start(c, a.x, r);
        memcpy(a.xold, a.x, total * sizeof(float));
        for (size_t b = 0; b < B; b++) {
            a.eta[b] = 2.0f * c->eps_c;
            a.incr[b] = 0;
            a.reduced_last[b] = 1;
        }
        if ((st = evaluate(c, &a, 1)) != TG_OK)
            goto done;
        memcpy(a.lbest_last, a.lbest, B * sizeof(float));
        int window = w_first, since = 0;
        for (int k = 0; k < N && !stop; k++) {
            float mix = k == 0 ? 1.0f : alpha;
            for (int b = 0; b < c->B; b++) {
                size_t o = (size_t)b * c->n;
                memcpy(a.z + o, a.x + o, c->n * sizeof(float));
                atk_step(a.z + o, a.g + o, c->n, prm->norm, a.eta[b]);
                atk_project(c, a.z, b, prm->norm, c->eps_c);
                for (size_t i = 0; i < c->n; i++) {
                    float xi = a.x[o + i];
                    a.z[o + i] = xi + mix * (a.z[o + i] - xi) + (1.0f - mix) * (xi - a.xold[o + i]);
                }
                atk_project(c, a.z, b, prm->norm, c->eps_c);
            }
            float *t = a.xold;
            a.xold = a.x;
            a.x = a.z;
            a.z = t;
            if ((st = evaluate(c, &a, 0)) != TG_OK)
                goto done;
            if (++since == window) {
                checkpoint(c, &a, window);
                window = window - w_decr > w_min ? window - w_decr : w_min;
                since = 0;
            }
            stop = atk_tick(c, (double)(r * N + k + 1) / ((double)prm->restarts * N), "apgd");
        }
    }
done:
    apgd_free(&a);
    return st;
}
