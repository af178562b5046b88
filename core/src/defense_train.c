/* Adversarial-training defenses as tg_train hooks: PGD-AT and MPAdvT replace (part of) a batch
 * in the adversary hook; MART and TRADES craft x′ and run their two-pass loss in the loss hook;
 * the epoch hook drives the budget ramp-up. Legend: B batch, S = C*H*W floats per sample,
 * K = 2 classes. Crafting runs in evaluation mode on the current weights (see defense.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/attack.h"
#include "thermoguard/defense.h"
#include "thermoguard/robust_loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct tg_defense_state {
    tg_defense_params d;
    int epoch;                  /* current epoch (epoch hook) */
    size_t cap_b, cap_s, cap_stats; /* buffer capacity: samples, floats per sample, BN stats */
    void *mem;                  /* one allocation for the buffers below */
    float *x;                   /* [B, S] the attacked subset (PGD-AT/MPAdvT) */
    float *adv;                 /* [B, S] adversarial samples */
    float *grad;                /* [B, S] input gradient (MART/TRADES crafting) */
    float *z, *z_adv, *z_ref;   /* [B, K] train-mode clean / adversarial logits, eval-mode reference */
    float *dz, *dz_adv;         /* [B, K] loss gradients */
    float *stats;               /* [cap_stats] BN running statistics saved around the re-forward */
    int *y;                     /* [B] labels of the attacked subset */
    int *idx;                   /* [B] sample order for partial replacement */
    tg_attack_result res;       /* for B samples */
    int last_batch;             /* batch of the last MART/TRADES step; 0 = none yet */
};

/* Sizes the buffers for batches of up to max(batch, the pipeline's max_batch). */
static tg_status ensure(tg_defense_state *s, tg_pipeline *p, int batch)
{
    const tg_pipeline_config *c = tg_pipeline_get_config(p);
    const tg_net *net = tg_pipeline_get_net(p);
    size_t S = (size_t)c->in_c * (size_t)c->in_h * (size_t)c->in_w;
    size_t B = (size_t)(batch > tg_pipeline_max_batch(p) ? batch : tg_pipeline_max_batch(p));
    if (s->mem && B <= s->cap_b && S == s->cap_s && net->n_stats <= s->cap_stats)
        return TG_OK;
    free(s->mem);
    s->mem = NULL;
    s->cap_b = s->cap_s = s->cap_stats = 0;
    tg_attack_result_free(&s->res);
    size_t floats, bytes;
    tg_status st;
    if ((st = tg_size_mul(B, 3 * S + 5 * 2, &floats, "defense buffers")) != TG_OK ||
        (st = tg_size_add(floats, net->n_stats, &floats, "defense buffers")) != TG_OK ||
        (st = tg_size_mul(floats, sizeof(float), &bytes, "defense buffers")) != TG_OK ||
        (st = tg_size_add(bytes, 2 * B * sizeof(int), &bytes, "defense buffers")) != TG_OK ||
        (st = tg_alloc_checked(&s->mem, bytes, 1, 0, "defense buffers")) != TG_OK)
        return st;
    if ((st = tg_attack_result_init(&s->res, (int)B)) != TG_OK) {
        free(s->mem);
        s->mem = NULL;
        return st;
    }
    s->x = s->mem;
    s->adv = s->x + B * S;
    s->grad = s->adv + B * S;
    s->z = s->grad + B * S;
    s->z_adv = s->z + 2 * B;
    s->z_ref = s->z_adv + 2 * B;
    s->dz = s->z_ref + 2 * B;
    s->dz_adv = s->dz + 2 * B;
    s->stats = s->dz_adv + 2 * B;
    s->y = (int *)(s->stats + net->n_stats);
    s->idx = s->y + B;
    s->cap_b = B;
    s->cap_s = S;
    s->cap_stats = net->n_stats;
    s->last_batch = 0;
    return TG_OK;
}

/* Curriculum factor of the current epoch for ε and the step. */
static double ramp(const tg_defense_state *s)
{
    int r = s->d.ramp_epochs;
    return r > 0 && s->epoch + 1 < r ? (double)(s->epoch + 1) / (double)r : 1.0;
}

static int epoch_hook(void *user, int epoch, int epochs)
{
    (void)epochs;
    ((tg_defense_state *)user)->epoch = epoch;
    return 0;
}

/* PGD-AT / MPAdvT: with probability prob, replace mix·batch samples (a random subset; all for
 * mix 1) by PGD-L∞ examples crafted with tg_attack_run (evaluation mode, CE, one restart). */
static int adversary_hook(void *user, tg_pipeline *p, float *raw, const int *labels, int batch, uint64_t seed,
                          int *bn_set)
{
    tg_defense_state *s = user;
    const tg_defense_params *d = &s->d;
    tg_status st = ensure(s, p, batch);
    if (st != TG_OK)
        return (int)st;
    tg_rng g;
    tg_rng_stream(&g, seed, 0);
    if (d->prob < 1.0 && !(tg_rng_uniform(&g) < d->prob))
        return 0; /* a clean batch: BN set 0 */
    double eps = d->eps;
    int steps = d->steps;
    if (d->kind == TG_DEFENSE_MPADVT) {
        eps = tg_rng_range(&g, d->eps_min, d->eps_max);
        steps = (int)floor(tg_rng_range(&g, (double)d->steps_min, (double)d->steps_max));
        steps = steps < d->steps_min ? d->steps_min : steps > d->steps_max ? d->steps_max : steps;
    }
    int k = batch;
    for (int i = 0; i < batch; i++)
        s->idx[i] = i;
    if (d->mix < 1.0) {
        k = (int)lround(d->mix * batch);
        k = k < 1 ? 1 : k;
        for (int i = 0; i < k; i++) { /* partial Fisher-Yates: idx[0..k) is a uniform subset */
            int j = i + (int)tg_rng_below(&g, (uint64_t)(batch - i)), tmp = s->idx[i];
            s->idx[i] = s->idx[j];
            s->idx[j] = tmp;
        }
    }
    const size_t S = s->cap_s;
    for (int i = 0; i < k; i++) {
        memcpy(s->x + (size_t)i * S, raw + (size_t)s->idx[i] * S, S * sizeof(float));
        s->y[i] = labels[s->idx[i]];
    }
    const double f = ramp(s);
    tg_attack_params a = tg_attack_params_default(TG_ATTACK_PGD);
    a.norm = TG_NORM_LINF;
    a.eps = f * eps;
    a.step = f * d->step;
    a.iterations = steps;
    a.restarts = 1;
    a.random_start = d->random_start;
    a.loss = TG_LOSS_XENT;
    a.seed = tg_rng_u64(&g);
    if ((st = tg_attack_run(p, &a, s->x, s->y, k, s->adv, &s->res, NULL)) != TG_OK)
        return (int)st;
    for (int i = 0; i < k; i++)
        memcpy(raw + (size_t)s->idx[i] * S, s->adv + (size_t)i * S, S * sizeof(float));
    *bn_set = d->dual_bn;
    return 0;
}

/* x′ into s->adv by sign-PGD from x + 0.001·N(0, I) (random_start; else from x) in evaluation
 * mode, ascending CE(f(x′), y) (MART) or KL(p(x) ‖ p(x′)) (TRADES); inside the ε-ball and the
 * valid range. */
static tg_status craft(tg_defense_state *s, tg_pipeline *p, const float *raw, const int *labels, int b, uint64_t seed)
{
    const tg_defense_params *d = &s->d;
    const tg_pipeline_config *c = tg_pipeline_get_config(p);
    const double range = tg_pipeline_celsius_per_unit(c), f = ramp(s);
    const float eps = (float)(f * d->eps * range), step = (float)(f * d->step * range);
    const size_t n = (size_t)b * s->cap_s;
    const float *logits;
    tg_status st;
    if (d->kind == TG_DEFENSE_TRADES) {
        if ((st = tg_pipeline_forward(p, raw, b, NULL, &logits)) != TG_OK)
            return st;
        memcpy(s->z_ref, logits, (size_t)b * 2 * sizeof(float));
    }
    tg_rng g;
    tg_rng_stream(&g, seed, 1);
    for (size_t i = 0; i < n; i++) {
        float v = raw[i] + (d->random_start ? (float)(0.001 * range * tg_rng_normal(&g)) : 0.0f);
        s->adv[i] = fminf(fmaxf(v, c->t_min), c->t_max);
    }
    for (int it = 0; it < d->steps; it++) {
        if (d->kind == TG_DEFENSE_TRADES) {
            float kl;
            memset(s->dz, 0, (size_t)b * 2 * sizeof(float));
            if ((st = tg_pipeline_forward(p, s->adv, b, NULL, &logits)) != TG_OK ||
                (st = tg_kl_loss(&kl, s->z_ref, logits, b, 2, s->dz)) != TG_OK ||
                (st = tg_pipeline_backward(p, s->dz, TG_NET_GRAD_INPUT, s->grad)) != TG_OK)
                return st;
        } else if ((st = tg_pipeline_input_gradient(p, s->adv, labels, b, TG_LOSS_XENT, NULL, NULL, s->grad)) != TG_OK) {
            return st;
        }
        for (size_t i = 0; i < n; i++) {
            float gi = s->grad[i], v = s->adv[i] + (gi > 0.0f ? step : gi < 0.0f ? -step : 0.0f);
            v = fminf(fmaxf(v, raw[i] - eps), raw[i] + eps);
            s->adv[i] = fminf(fmaxf(v, c->t_min), c->t_max);
        }
    }
    return TG_OK;
}

/* MART / TRADES step (the two-pass scheme of defense.h). */
static tg_status robust_step(tg_defense_state *s, tg_pipeline *p, const float *raw, const int *labels, int b,
                             const tg_train_step *info, float *loss, int *pred)
{
    tg_status st = ensure(s, p, b);
    if (st != TG_OK || (st = craft(s, p, raw, labels, b, info->seed)) != TG_OK)
        return st;
    tg_net *net = tg_pipeline_get_net(p);
    tg_net_zero_grad(net); /* crafting asks for input gradients only; start the step clean anyway */
    const tg_net_pass clean = {1, 0, info->seed, info->sample_ids};
    const tg_net_pass adv = {1, s->d.dual_bn, info->seed ^ 0x616476ull, info->sample_ids};
    const size_t zb = (size_t)b * 2 * sizeof(float);
    const float *logits;
    if ((st = tg_pipeline_forward(p, raw, b, &clean, &logits)) != TG_OK)
        return st;
    memcpy(s->z, logits, zb);
    if ((st = tg_pipeline_forward(p, s->adv, b, &adv, &logits)) != TG_OK)
        return st;
    memcpy(s->z_adv, logits, zb);
    memset(s->dz, 0, zb);
    memset(s->dz_adv, 0, zb);
    const float beta = (float)s->d.beta;
    st = s->d.kind == TG_DEFENSE_MART ? tg_mart_loss(loss, s->z, s->z_adv, labels, b, 2, beta, s->dz, s->dz_adv)
                                      : tg_trades_loss(loss, s->z, s->z_adv, labels, b, 2, beta, s->dz, s->dz_adv);
    if (st != TG_OK || (st = tg_pipeline_backward(p, s->dz_adv, TG_NET_GRAD_PARAMS, NULL)) != TG_OK)
        return st;
    /* re-run the clean pass for its backward; its running-statistics update was already counted */
    memcpy(s->stats, net->stats, net->n_stats * sizeof(float));
    st = tg_pipeline_forward(p, raw, b, &clean, &logits);
    memcpy(net->stats, s->stats, net->n_stats * sizeof(float));
    if (st != TG_OK || (st = tg_pipeline_backward(p, s->dz, TG_NET_GRAD_PARAMS, NULL)) != TG_OK)
        return st;
    for (int j = 0; j < b; j++)
        pred[j] = s->z[2 * j + 1] > s->z[2 * j];
    s->last_batch = b;
    return TG_OK;
}

static int loss_hook(void *user, tg_pipeline *p, const float *raw, const int *labels, int batch,
                     const tg_train_step *info, float *loss, int *pred)
{
    return (int)robust_step(user, p, raw, labels, batch, info, loss, pred);
}

tg_status tg_defense_attach(const tg_defense_params *d, tg_train_params *t, tg_defense_state **state)
{
    if (!state)
        return tg_fail(TG_ERR_ARG, "tg_defense_attach: NULL state");
    *state = NULL;
    if (!d || !t)
        return tg_fail(TG_ERR_ARG, "tg_defense_attach: NULL argument");
    tg_status st = tg_defense_params_check(d);
    if (st != TG_OK)
        return st;
    if (t->adversary || t->loss_hook || t->epoch_hook)
        return tg_fail(TG_ERR_ARG, "tg_defense_attach: the training parameters already carry a hook");
    tg_defense_state *s = calloc(1, sizeof *s);
    if (!s)
        return tg_fail(TG_ERR_NOMEM, "tg_defense_attach: out of memory");
    s->d = *d;
    if (d->kind == TG_DEFENSE_PGD_AT || d->kind == TG_DEFENSE_MPADVT) {
        t->adversary = adversary_hook;
        t->adversary_user = s;
    } else if (d->kind == TG_DEFENSE_MART || d->kind == TG_DEFENSE_TRADES) {
        t->loss_hook = loss_hook;
        t->loss_user = s;
    }
    if (d->kind != TG_DEFENSE_NONE) {
        t->epoch_hook = epoch_hook;
        t->epoch_user = s;
    }
    *state = s;
    return TG_OK;
}

void tg_defense_destroy(tg_defense_state *s)
{
    if (!s)
        return;
    tg_attack_result_free(&s->res);
    free(s->mem);
    free(s);
}

tg_status tg_defense_last_step(const tg_defense_state *s, const float **x_adv, const float **z, const float **z_adv,
                               int *batch)
{
    if (!s || !x_adv || !z || !z_adv || !batch)
        return tg_fail(TG_ERR_ARG, "tg_defense_last_step: NULL argument");
    if (s->last_batch == 0)
        return tg_fail(TG_ERR_ARG, "tg_defense_last_step: no MART/TRADES step has run");
    *x_adv = s->adv;
    *z = s->z;
    *z_adv = s->z_adv;
    *batch = s->last_batch;
    return TG_OK;
}
