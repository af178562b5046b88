/* Square attack, L∞ (Andriushchenko et al. 2020): score-based, no gradients. Starts from vertical
 * stripes of ±ε; each iteration proposes, for every sample not yet fooled, a random s×s window
 * set to x0 ± ε (one sign per channel) and keeps it when the adversarial margin drops. The side s
 * follows the reference schedule p(i) (p_init halved at 10, 50, 200, 500, 1000, 2000, 4000, 6000,
 * 8000 of 10 000 rescaled iterations). Every sample spends at most `iterations` queries,
 * including the initial one; only samples still correctly classified are queried.
 * Legend: B = batch, C = channels, H x W = raw grid, N = C*H*W.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attack_internal.h"

static double p_schedule(double p_init, int it, int n_iters)
{
    static const int bounds[] = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
    int i = (int)((double)it / n_iters * 10000.0);
    double p = p_init;
    for (int k = 0; k < 9 && i > bounds[k]; k++)
        p *= 0.5;
    return p;
}

tg_status atk_run_square(atk_ctx *c)
{
    const tg_pipeline_config *cfg = tg_pipeline_get_config(c->p);
    int C = cfg->in_c, H = cfg->in_h, W = cfg->in_w, Q = c->prm->iterations;
    size_t total = (size_t)c->B * c->n, hw = (size_t)H * (size_t)W;
    float eps = c->eps_c;
    float *xb = malloc(total * sizeof(float)), *xn = malloc(total * sizeof(float));
    float *mb = malloc((size_t)c->B * sizeof(float));
    int *idx = malloc((size_t)c->B * sizeof(int)), *done = malloc((size_t)c->B * sizeof(int));
    tg_rng *rng = malloc((size_t)c->B * sizeof(tg_rng));
    tg_status st = TG_OK;
    if (!xb || !xn || !mb || !idx || !done || !rng) {
        st = tg_fail(TG_ERR_NOMEM, "attack square: out of memory");
        goto done;
    }
    for (int b = 0; b < c->B; b++) {
        atk_rng(c, 0, b, &rng[b]);
        float *x = xb + (size_t)b * c->n;
        const float *x0 = c->x0 + (size_t)b * c->n;
        for (int ch = 0; ch < C; ch++)
            for (int j = 0; j < W; j++) {
                float d = tg_rng_below(&rng[b], 2) ? eps : -eps;
                for (int i = 0; i < H; i++) {
                    size_t o = (size_t)ch * hw + (size_t)i * W + j;
                    x[o] = fminf(fmaxf(x0[o] + d, c->lo), c->hi);
                }
            }
    }
    if ((st = atk_forward(c, xb, c->B, NULL, TG_LOSS_MARGIN, 0)) != TG_OK)
        goto done;
    atk_keep(c, xb);
    for (int b = 0; b < c->B; b++) {
        mb[b] = c->m[b];
        done[b] = c->succ[b];
    }
    for (int it = 1; it < Q; it++) {
        int nb = 0;
        for (int b = 0; b < c->B; b++)
            if (!done[b])
                idx[nb++] = b;
        if (nb == 0)
            break;
        int s = (int)lround(sqrt(p_schedule(c->prm->square_p_init, it, Q) * (double)hw));
        int smax = (H < W ? H : W) - 1;
        s = s < 1 ? 1 : s > smax ? smax : s;
        atk_gather(c, xn, xb, idx, nb);
        for (int j = 0; j < nb; j++) {
            int b = idx[j];
            tg_rng *r = &rng[b];
            float *x = xn + (size_t)j * c->n;
            const float *x0 = c->x0 + (size_t)b * c->n, *xcur = xb + (size_t)b * c->n;
            int vh = (int)tg_rng_below(r, (uint64_t)(H - s + 1)), vw = (int)tg_rng_below(r, (uint64_t)(W - s + 1));
            /* redraw the signs until the window differs from the current best (bounded tries) */
            for (int tries = 0; tries < 16; tries++) {
                int changed = 0;
                for (int ch = 0; ch < C; ch++) {
                    float d = tg_rng_below(r, 2) ? eps : -eps;
                    for (int i = vh; i < vh + s; i++)
                        for (int k = vw; k < vw + s; k++) {
                            size_t o = (size_t)ch * hw + (size_t)i * W + k;
                            x[o] = fminf(fmaxf(x0[o] + d, c->lo), c->hi);
                            changed |= fabsf(x[o] - xcur[o]) >= 1e-7f * c->scale;
                        }
                }
                if (changed)
                    break;
            }
        }
        if ((st = atk_forward(c, xn, nb, idx, TG_LOSS_MARGIN, 0)) != TG_OK)
            goto done;
        for (int j = 0; j < nb; j++) {
            int b = idx[j];
            if (c->m[j] < mb[b] || c->succ[j]) {
                mb[b] = c->m[j];
                done[b] = c->succ[j];
                memcpy(xb + (size_t)b * c->n, xn + (size_t)j * c->n, c->n * sizeof(float));
                memcpy(c->adv + (size_t)b * c->n, xn + (size_t)j * c->n, c->n * sizeof(float));
            }
        }
        if (atk_tick(c, (double)(it + 1) / Q, "square"))
            break;
    }
done:
    free(xb);
    free(xn);
    free(mb);
    free(idx);
    free(done);
    free(rng);
    return st;
}
