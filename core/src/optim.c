/* Optimisers (SGD with momentum/Nesterov, Adam, AdamW, global-norm clipping) over one contiguous
 * parameter block, and learning-rate schedules. Formulas follow torch.optim so results can be
 * cross-checked; scalars in double, buffers in float.
 * Legend: n = parameters, p = params [n], g = grads [n], m/v = moment buffers [n].
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double PI = 3.14159265358979323846;

void tg_optim_params_default(tg_optim_params *o)
{
    memset(o, 0, sizeof *o);
    o->kind = TG_OPTIM_ADAM;
    o->momentum = 0.9;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
}

static tg_status optim_check(const tg_optim_params *p)
{
    if (p->kind != TG_OPTIM_SGD && p->kind != TG_OPTIM_ADAM)
        return tg_fail(TG_ERR_ARG, "optimiser: unknown kind %d", (int)p->kind);
    if (!(p->momentum >= 0.0 && p->momentum < 1.0))
        return tg_fail(TG_ERR_RANGE, "optimiser: momentum %g outside [0, 1)", p->momentum);
    if (p->nesterov != 0 && p->nesterov != 1)
        return tg_fail(TG_ERR_RANGE, "optimiser: nesterov must be 0 or 1");
    if (p->kind == TG_OPTIM_SGD && p->nesterov && p->momentum == 0.0)
        return tg_fail(TG_ERR_RANGE, "optimiser: Nesterov needs momentum > 0");
    if (!(p->beta1 >= 0.0 && p->beta1 < 1.0) || !(p->beta2 >= 0.0 && p->beta2 < 1.0))
        return tg_fail(TG_ERR_RANGE, "optimiser: Adam betas (%g, %g) outside [0, 1)", p->beta1, p->beta2);
    if (!(p->eps > 0.0) || !isfinite(p->eps))
        return tg_fail(TG_ERR_RANGE, "optimiser: eps %g must be finite and > 0", p->eps);
    if (!(p->weight_decay >= 0.0) || !isfinite(p->weight_decay))
        return tg_fail(TG_ERR_RANGE, "optimiser: weight_decay %g must be finite and >= 0", p->weight_decay);
    if (p->decoupled != 0 && p->decoupled != 1)
        return tg_fail(TG_ERR_RANGE, "optimiser: decoupled must be 0 or 1");
    if (!(p->clip_norm >= 0.0) || !isfinite(p->clip_norm))
        return tg_fail(TG_ERR_RANGE, "optimiser: clip_norm %g must be finite and >= 0", p->clip_norm);
    return TG_OK;
}

tg_status tg_optim_create(tg_optim **out, const tg_optim_params *prm, size_t n)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "tg_optim_create: NULL output");
    *out = NULL;
    if (!prm || n == 0)
        return tg_fail(TG_ERR_ARG, "tg_optim_create: NULL parameters or zero size");
    tg_status st = optim_check(prm);
    if (st != TG_OK)
        return st;
    size_t bufs = prm->kind == TG_OPTIM_ADAM ? 2 : 1, count;
    if ((st = tg_size_mul(n, bufs, &count, "optimiser state")) != TG_OK)
        return st;
    tg_optim *o = calloc(1, sizeof *o);
    if (!o)
        return tg_fail(TG_ERR_NOMEM, "tg_optim_create: out of memory");
    if ((st = tg_alloc_checked((void **)&o->mem, count, sizeof(float), 0, "optimiser state")) != TG_OK) {
        free(o);
        return st;
    }
    o->prm = *prm;
    o->n = n;
    o->m = o->mem;
    o->v = bufs == 2 ? o->mem + n : NULL;
    tg_optim_reset(o);
    *out = o;
    return TG_OK;
}

void tg_optim_destroy(tg_optim *o)
{
    if (!o)
        return;
    free(o->mem);
    free(o);
}

void tg_optim_reset(tg_optim *o)
{
    if (!o)
        return;
    memset(o->mem, 0, o->n * (o->v ? 2 : 1) * sizeof(float));
    o->steps = 0;
}

tg_status tg_optim_step(tg_optim *o, float *params, const float *grads, double lr, double *grad_norm)
{
    if (!o || !params || !grads)
        return tg_fail(TG_ERR_ARG, "tg_optim_step: NULL argument");
    if (!(lr >= 0.0) || !isfinite(lr))
        return tg_fail(TG_ERR_ARG, "tg_optim_step: learning rate %g must be finite and >= 0", lr);
    double sq = 0.0;
    for (size_t i = 0; i < o->n; i++)
        sq += (double)grads[i] * (double)grads[i];
    double norm = sqrt(sq);
    if (grad_norm)
        *grad_norm = norm;
    if (!isfinite(norm))
        return tg_fail(TG_ERR_NONFINITE, "tg_optim_step: the gradient is not finite (norm %g)", norm);
    /* torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1 */
    double clip = 1.0;
    if (o->prm.clip_norm > 0.0 && o->prm.clip_norm / (norm + 1e-6) < 1.0)
        clip = o->prm.clip_norm / (norm + 1e-6);
    const tg_optim_params *q = &o->prm;
    const double wd = q->weight_decay;
    o->steps++;
    if (q->kind == TG_OPTIM_SGD) {
        const double mu = q->momentum;
        for (size_t i = 0; i < o->n; i++) {
            double g = clip * grads[i] + wd * params[i];
            if (mu > 0.0) {
                /* buf = mu buf + g (the first step's buf = g, which zero init gives too) */
                double buf = mu * o->m[i] + g;
                o->m[i] = (float)buf;
                g = q->nesterov ? g + mu * buf : buf;
            }
            params[i] = (float)(params[i] - lr * g);
        }
        return TG_OK;
    }
    const double b1 = q->beta1, b2 = q->beta2;
    const double bc1 = 1.0 - pow(b1, (double)o->steps), bc2 = 1.0 - pow(b2, (double)o->steps);
    const double step = lr / bc1, sbc2 = sqrt(bc2);
    for (size_t i = 0; i < o->n; i++) {
        double p = params[i], g = clip * grads[i];
        if (q->decoupled)
            p *= 1.0 - lr * wd;
        else
            g += wd * p;
        double m = b1 * o->m[i] + (1.0 - b1) * g;
        double v = b2 * o->v[i] + (1.0 - b2) * g * g;
        o->m[i] = (float)m;
        o->v[i] = (float)v;
        params[i] = (float)(p - step * m / (sqrt(v) / sbc2 + q->eps));
    }
    return TG_OK;
}

void tg_lr_schedule_default(tg_lr_schedule *s)
{
    memset(s, 0, sizeof *s);
    s->kind = TG_LR_CONSTANT;
    s->lr = 1e-3;
    s->step_size = 10;
    s->gamma = 0.1;
}

tg_status tg_lr_schedule_check(const tg_lr_schedule *s)
{
    if (!s)
        return tg_fail(TG_ERR_ARG, "lr schedule: NULL");
    if (s->kind != TG_LR_CONSTANT && s->kind != TG_LR_STEP && s->kind != TG_LR_COSINE)
        return tg_fail(TG_ERR_RANGE, "lr schedule: unknown kind %d", (int)s->kind);
    if (!(s->lr > 0.0) || !isfinite(s->lr))
        return tg_fail(TG_ERR_RANGE, "lr schedule: lr %g must be finite and > 0", s->lr);
    if (s->warmup < 0)
        return tg_fail(TG_ERR_RANGE, "lr schedule: warmup %d must be >= 0", s->warmup);
    if (s->kind == TG_LR_STEP && (s->step_size < 1 || !(s->gamma > 0.0 && s->gamma <= 1.0)))
        return tg_fail(TG_ERR_RANGE, "lr schedule: step needs step_size >= 1 (got %d) and gamma in (0, 1] (got %g)",
                       s->step_size, s->gamma);
    if (s->kind == TG_LR_COSINE) {
        if (s->total <= s->warmup)
            return tg_fail(TG_ERR_RANGE, "lr schedule: cosine total %d must exceed warmup %d", s->total, s->warmup);
        if (!(s->min_lr >= 0.0 && s->min_lr <= s->lr))
            return tg_fail(TG_ERR_RANGE, "lr schedule: min_lr %g outside [0, lr]", s->min_lr);
    }
    return TG_OK;
}

double tg_lr_at(const tg_lr_schedule *s, int t)
{
    if (t < 0)
        t = 0;
    if (t < s->warmup)
        return s->lr * (double)(t + 1) / (double)(s->warmup + 1);
    t -= s->warmup;
    switch (s->kind) {
    case TG_LR_STEP:
        return s->lr * pow(s->gamma, (double)(t / s->step_size));
    case TG_LR_COSINE: {
        int span = s->total - s->warmup;
        if (t >= span)
            return s->min_lr;
        return s->min_lr + (s->lr - s->min_lr) * 0.5 * (1.0 + cos(PI * (double)t / (double)span));
    }
    default:
        return s->lr;
    }
}
