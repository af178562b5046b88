/* Attack parameters, results, the shared evaluation/projection helpers and tg_attack_run.
 * Legend: B = batch, K = classes, N = floats per raw sample.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attack_internal.h"

tg_attack_params tg_attack_params_default(tg_attack_kind kind)
{
    tg_attack_params p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.norm = TG_NORM_LINF;
    p.eps = 8.0 / 255.0;
    p.step = 2.0 / 255.0;
    p.iterations = 10;
    p.restarts = 1;
    p.random_start = 0;
    p.loss = TG_LOSS_XENT;
    p.threshold = 0.5;
    p.momentum = 1.0;
    p.cw_form = TG_CW_SEARCH;
    p.cw_c = 1e-3;
    p.cw_binary_steps = 9;
    p.cw_kappa = 0.0;
    p.cw_lr = 1e-2;
    p.cw_abort_early = 1;
    p.apgd_rho = 0.75;
    p.apgd_alpha = 0.75;
    p.square_p_init = 0.8;
    p.overshoot = 0.02;
    switch (kind) {
    case TG_ATTACK_FGSM:
        p.step = p.eps;
        p.iterations = 1;
        break;
    case TG_ATTACK_BIM: {
        double a = p.eps * 255.0 + 4.0, b = 1.25 * p.eps * 255.0;
        p.step = 1.0 / 255.0;
        p.iterations = (int)(a < b ? a : b);
        break;
    }
    case TG_ATTACK_MIFGSM:
        p.step = p.eps / 10.0;
        break;
    case TG_ATTACK_CW:
        p.norm = TG_NORM_L2;
        p.eps = 0.0;
        p.iterations = 10000;
        break;
    case TG_ATTACK_APGD:
        p.iterations = 100;
        break;
    case TG_ATTACK_SQUARE:
        p.iterations = 5000;
        p.loss = TG_LOSS_MARGIN;
        break;
    case TG_ATTACK_DEEPFOOL:
        p.norm = TG_NORM_L2;
        p.eps = 0.0;
        p.iterations = 50;
        p.loss = TG_LOSS_MARGIN;
        break;
    default:
        p.kind = TG_ATTACK_PGD;
        p.random_start = 1;
        break;
    }
    return p;
}

void tg_attack_params_cw_fixed(tg_attack_params *p)
{
    if (!p)
        return;
    p->cw_form = TG_CW_FIXED;
    p->cw_c = 1.0;
    p->iterations = 50;
    p->cw_lr = 1e-2;
}

const char *tg_attack_name(tg_attack_kind kind)
{
    static const char *names[] = {"fgsm", "bim", "pgd", "mifgsm", "cw", "apgd", "square", "deepfool"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

tg_status tg_attack_params_check(const tg_attack_params *p, int classes, int batch)
{
    if (!p)
        return tg_fail(TG_ERR_ARG, "attack params: NULL");
    if ((unsigned)p->kind > TG_ATTACK_DEEPFOOL)
        return tg_fail(TG_ERR_ARG, "attack params: unknown kind %d", (int)p->kind);
    if (p->norm != TG_NORM_LINF && p->norm != TG_NORM_L2)
        return tg_fail(TG_ERR_ARG, "attack params: unknown norm %d", (int)p->norm);
    if (p->kind == TG_ATTACK_SQUARE && p->norm != TG_NORM_LINF)
        return tg_fail(TG_ERR_ARG, "attack params: the Square attack is L-infinity only");
    int min_norm = p->kind == TG_ATTACK_CW || p->kind == TG_ATTACK_DEEPFOOL;
    if (!isfinite(p->eps) || p->eps < 0.0 || (!min_norm && p->eps == 0.0) || p->eps > 1e3)
        return tg_fail(TG_ERR_RANGE, "attack params: eps %g must be > 0 (>= 0 for C&W/DeepFool) and finite", p->eps);
    if (!isfinite(p->step) || p->step < 0.0 || p->step > 1e3)
        return tg_fail(TG_ERR_RANGE, "attack params: step %g outside [0, 1e3]", p->step);
    if (p->iterations < 1 || p->iterations > 100000000)
        return tg_fail(TG_ERR_RANGE, "attack params: iterations %d outside 1..1e8", p->iterations);
    if (p->restarts < 1 || p->restarts > 10000)
        return tg_fail(TG_ERR_RANGE, "attack params: restarts %d outside 1..10000", p->restarts);
    if ((unsigned)p->loss > TG_LOSS_FOCAL)
        return tg_fail(TG_ERR_ARG, "attack params: unknown loss %d", (int)p->loss);
    if (!(p->threshold > 0.0 && p->threshold < 1.0))
        return tg_fail(TG_ERR_RANGE, "attack params: decision threshold %g outside (0, 1)", p->threshold);
    if (classes != 2 && p->threshold != 0.5)
        return tg_fail(TG_ERR_ARG, "attack params: a decision threshold other than 0.5 needs two classes, not %d",
                       classes);
    if (!isfinite(p->momentum) || p->momentum < 0.0)
        return tg_fail(TG_ERR_RANGE, "attack params: momentum %g must be >= 0", p->momentum);
    if (p->cw_form != TG_CW_SEARCH && p->cw_form != TG_CW_FIXED)
        return tg_fail(TG_ERR_ARG, "attack params: unknown cw_form %d", (int)p->cw_form);
    if (!(p->cw_c > 0.0) || !isfinite(p->cw_c) || p->cw_binary_steps < 1 || p->cw_binary_steps > 64 ||
        !(p->cw_kappa >= 0.0) || !isfinite(p->cw_kappa) || !(p->cw_lr > 0.0) || !isfinite(p->cw_lr))
        return tg_fail(TG_ERR_RANGE, "attack params: C&W needs c > 0, 1..64 binary steps, kappa >= 0, lr > 0");
    if (!(p->apgd_rho > 0.0 && p->apgd_rho <= 1.0) || !(p->apgd_alpha > 0.0 && p->apgd_alpha <= 1.0))
        return tg_fail(TG_ERR_RANGE, "attack params: APGD rho and alpha must lie in (0, 1]");
    if (!(p->square_p_init > 0.0 && p->square_p_init <= 1.0))
        return tg_fail(TG_ERR_RANGE, "attack params: square_p_init %g outside (0, 1]", p->square_p_init);
    if (!(p->overshoot >= 0.0) || !isfinite(p->overshoot))
        return tg_fail(TG_ERR_RANGE, "attack params: overshoot %g must be >= 0", p->overshoot);
    if (!(p->max_seconds >= 0.0) || p->max_total_iterations < 0)
        return tg_fail(TG_ERR_RANGE, "attack params: max_seconds and max_total_iterations must be >= 0");
    if (p->targeted != 0 && p->targeted != 1)
        return tg_fail(TG_ERR_ARG, "attack params: targeted must be 0 or 1");
    if (p->targeted) {
        if (!p->targets)
            return tg_fail(TG_ERR_ARG, "attack params: targeted attack without targets");
        for (int b = 0; b < batch; b++)
            if (p->targets[b] < 0 || p->targets[b] >= classes)
                return tg_fail(TG_ERR_RANGE, "attack params: target %d of sample %d outside 0..%d", p->targets[b], b,
                               classes - 1);
    }
    return TG_OK;
}

tg_status tg_attack_result_init(tg_attack_result *res, int batch)
{
    if (!res || batch < 1)
        return tg_fail(TG_ERR_ARG, "tg_attack_result_init: NULL result or batch %d < 1", batch);
    memset(res, 0, sizeof *res);
    res->batch = batch;
    size_t b = (size_t)batch;
    res->success = calloc(b, sizeof(int));
    res->pred = calloc(b, sizeof(int));
    res->linf = calloc(b, sizeof(float));
    res->l2 = calloc(b, sizeof(float));
    res->linf_c = calloc(b, sizeof(float));
    res->l2_c = calloc(b, sizeof(float));
    res->evals = calloc(b, sizeof(long));
    if (!res->success || !res->pred || !res->linf || !res->l2 || !res->linf_c || !res->l2_c || !res->evals) {
        tg_attack_result_free(res);
        return tg_fail(TG_ERR_NOMEM, "tg_attack_result_init: out of memory");
    }
    return TG_OK;
}

void tg_attack_result_free(tg_attack_result *res)
{
    if (!res)
        return;
    free(res->success);
    free(res->pred);
    free(res->linf);
    free(res->l2);
    free(res->linf_c);
    free(res->l2_c);
    free(res->evals);
    memset(res, 0, sizeof *res);
}

static double now_seconds(void)
{
    struct timespec t;
    timespec_get(&t, TIME_UTC);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Adversarial margin, success and prediction of one logit row against class r. */
static void margin_of(const float *z, int K, int r, int targeted, float *m, int *succ, int *pred)
{
    int arg = 0;
    float other = -FLT_MAX;
    for (int k = 0; k < K; k++) {
        if (z[k] > z[arg])
            arg = k;
        if (k != r && z[k] > other)
            other = z[k];
    }
    *pred = arg;
    *m = targeted ? other - z[r] : z[r] - other;
    *succ = targeted ? arg == r : arg != r;
}

/* The attacked decision's logits of nb samples: the pipeline's z with class 1 lowered by
 * logit(threshold) (into c->zs), so argmax is the model's calibrated rule; z itself at 0.5. */
static const float *decision_logits(atk_ctx *c, const float *z, int nb)
{
    if (c->offset == 0.0f)
        return z;
    for (int j = 0; j < nb; j++) {
        c->zs[2 * j] = z[2 * j];
        c->zs[2 * j + 1] = z[2 * j + 1] - c->offset;
    }
    return c->zs;
}

tg_status atk_forward(atk_ctx *c, const float *x, int nb, const int *idx, tg_loss_kind loss, int grad)
{
    const float *z;
    tg_status st = tg_pipeline_forward(c->p, x, nb, NULL, &z);
    if (st != TG_OK)
        return st;
    z = decision_logits(c, z, nb);
    c->nb = nb;
    c->idx = idx;
    c->loss = loss;
    c->logits = z;
    for (int j = 0; j < nb; j++) {
        int b = idx ? idx[j] : j, pred;
        c->lab[j] = c->ref[b];
        margin_of(z + (size_t)j * (size_t)c->K, c->K, c->ref[b], c->prm->targeted, &c->m[j], &c->succ[j], &pred);
        c->res->evals[b]++;
    }
    if (grad)
        c->res->grad_evals += nb;
    else
        c->res->queries += nb;
    switch (loss) {
    case TG_LOSS_XENT:
        st = tg_xent_forward(&(float){0}, c->J, z, c->lab, NULL, nb, c->K, TG_REDUCE_SUM);
        break;
    case TG_LOSS_MARGIN:
        st = tg_margin_forward(&(float){0}, c->J, z, c->lab, nb, c->K, TG_REDUCE_SUM);
        break;
    default:
        st = tg_focal_forward(&(float){0}, c->J, z, c->lab, NULL, 2.0f, nb, c->K, TG_REDUCE_SUM);
        break;
    }
    /* the margin is positive when correct, so untargeted attacks ascend its negative */
    float s = loss == TG_LOSS_MARGIN ? -c->sgn : c->sgn;
    for (int j = 0; j < nb; j++)
        c->J[j] *= s;
    return st;
}

tg_status atk_backward(atk_ctx *c, const float *w, float *g)
{
    int nb = c->nb, K = c->K;
    float *dl = c->dl;
    tg_status st;
    memset(dl, 0, (size_t)nb * (size_t)K * sizeof(float));
    float s = c->loss == TG_LOSS_MARGIN ? -c->sgn : c->sgn;
    switch (c->loss) {
    case TG_LOSS_XENT:
        st = tg_xent_backward(dl, s, c->logits, c->lab, NULL, nb, K, TG_REDUCE_SUM);
        break;
    case TG_LOSS_MARGIN:
        st = tg_margin_backward(dl, s, c->logits, c->lab, nb, K, TG_REDUCE_SUM);
        break;
    default:
        st = tg_focal_backward(dl, s, c->logits, c->lab, NULL, 2.0f, nb, K, TG_REDUCE_SUM);
        break;
    }
    if (st != TG_OK)
        return st;
    if (w)
        for (int j = 0; j < nb; j++)
            for (int k = 0; k < K; k++)
                dl[(size_t)j * (size_t)K + (size_t)k] *= w[j];
    return tg_pipeline_backward(c->p, dl, TG_NET_GRAD_INPUT, g);
}

void atk_keep(atk_ctx *c, const float *x)
{
    for (int b = 0; b < c->nb; b++) {
        int better = c->succ[b] > c->best_s[b] || (c->succ[b] == c->best_s[b] && c->m[b] < c->best_m[b]);
        if (!better)
            continue;
        c->best_s[b] = c->succ[b];
        c->best_m[b] = c->m[b];
        memcpy(c->adv + (size_t)b * c->n, x + (size_t)b * c->n, c->n * sizeof(float));
    }
}

void atk_step(float *xb, const float *gb, size_t n, tg_attack_norm norm, float step)
{
    if (norm == TG_NORM_LINF) {
        for (size_t i = 0; i < n; i++)
            xb[i] += gb[i] > 0.0f ? step : gb[i] < 0.0f ? -step : 0.0f;
        return;
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)gb[i] * gb[i];
    if (s <= 0.0)
        return;
    float f = (float)(step / sqrt(s));
    for (size_t i = 0; i < n; i++)
        xb[i] += f * gb[i];
}

void atk_project(const atk_ctx *c, float *x, int b, tg_attack_norm norm, float eps_c)
{
    float *xb = x + (size_t)b * c->n;
    const float *x0 = c->x0 + (size_t)b * c->n;
    if (norm == TG_NORM_LINF) {
        for (size_t i = 0; i < c->n; i++) {
            float lo = fmaxf(c->lo, x0[i] - eps_c), hi = fminf(c->hi, x0[i] + eps_c);
            xb[i] = fminf(fmaxf(xb[i], lo), hi);
        }
        return;
    }
    double s = 0.0;
    for (size_t i = 0; i < c->n; i++)
        s += ((double)xb[i] - x0[i]) * ((double)xb[i] - x0[i]);
    /* shrinking toward x0 then clipping to the box keeps ||delta|| <= eps (x0 is in the box) */
    double f = s > (double)eps_c * eps_c ? (double)eps_c / sqrt(s) * (1.0 - 1e-6) : 1.0;
    for (size_t i = 0; i < c->n; i++)
        xb[i] = fminf(fmaxf(x0[i] + (float)(f * ((double)xb[i] - x0[i])), c->lo), c->hi);
}

void atk_rng(const atk_ctx *c, int r, int b, tg_rng *rng)
{
    tg_rng_stream(rng, c->prm->seed ^ ((uint64_t)r * 0x9E3779B97F4A7C15ull), c->prm->index_base + (uint64_t)b);
}

int atk_tick(atk_ctx *c, double fraction, const char *stage)
{
    tg_attack_result *res = c->res;
    res->iterations++;
    if (tg_progress_report(c->prog, fraction, stage) != TG_OK) {
        c->st = TG_ERR_CANCELLED;
        res->stop = TG_STOP_CANCELLED;
    } else if (c->prm->max_total_iterations > 0 && res->iterations >= c->prm->max_total_iterations) {
        res->stop = TG_STOP_ITERATIONS;
    } else if (c->prm->max_seconds > 0.0 && now_seconds() - c->t0 >= c->prm->max_seconds) {
        res->stop = TG_STOP_TIME;
    }
    return res->stop != TG_STOP_DONE;
}

void atk_gather(const atk_ctx *c, float *dst, const float *src, const int *idx, int nb)
{
    for (int j = 0; j < nb; j++)
        memcpy(dst + (size_t)j * c->n, src + (size_t)idx[j] * c->n, c->n * sizeof(float));
}

/* Prediction, success and norms of the output batch (one forward, not counted as a query). */
static tg_status finish(atk_ctx *c)
{
    tg_attack_result *res = c->res;
    const float *z;
    tg_status st = tg_pipeline_forward(c->p, c->adv, c->B, NULL, &z);
    if (st != TG_OK)
        return st;
    z = decision_logits(c, z, c->B);
    res->n_success = 0;
    for (int b = 0; b < c->B; b++) {
        float m;
        margin_of(z + (size_t)b * (size_t)c->K, c->K, c->ref[b], c->prm->targeted, &m, &res->success[b],
                  &res->pred[b]);
        res->n_success += res->success[b];
        const float *xa = c->adv + (size_t)b * c->n, *x0 = c->x0 + (size_t)b * c->n;
        double li = 0.0, l2 = 0.0;
        for (size_t i = 0; i < c->n; i++) {
            double d = fabs((double)xa[i] - x0[i]);
            li = d > li ? d : li;
            l2 += d * d;
        }
        l2 = sqrt(l2);
        res->linf_c[b] = (float)li;
        res->l2_c[b] = (float)l2;
        res->linf[b] = (float)(li / c->scale);
        res->l2[b] = (float)(l2 / c->scale);
    }
    return TG_OK;
}

tg_status tg_attack_run(tg_pipeline *p, const tg_attack_params *params, const float *raw_in, const int *labels,
                        int batch, float *out_adv, tg_attack_result *res, const tg_progress *progress)
{
    if (!p || !params || !raw_in || !labels || !out_adv || !res)
        return tg_fail(TG_ERR_ARG, "tg_attack_run: NULL argument");
    if (batch < 1 || res->batch < batch || !res->success)
        return tg_fail(TG_ERR_ARG, "tg_attack_run: batch %d < 1 or result sized for %d", batch, res->batch);
    const tg_pipeline_config *cfg = tg_pipeline_get_config(p);
    tg_net *net = tg_pipeline_get_net(p);
    int K = net->classes;
    tg_status st = tg_attack_params_check(params, K, batch);
    if (st != TG_OK)
        return st;
    atk_ctx c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.prm = params;
    c.res = res;
    c.prog = progress;
    c.B = batch;
    c.K = K;
    c.n = (size_t)cfg->in_c * (size_t)cfg->in_h * (size_t)cfg->in_w;
    c.lo = cfg->t_min;
    c.hi = cfg->t_max;
    c.scale = (float)tg_pipeline_celsius_per_unit(cfg);
    c.eps_c = (float)(params->eps * c.scale);
    c.step_c = (float)(params->step * c.scale);
    c.x0 = raw_in;
    c.ref = params->targeted ? params->targets : labels;
    c.sgn = params->targeted ? -1.0f : 1.0f;
    c.adv = out_adv;
    c.offset = (float)log(params->threshold / (1.0 - params->threshold));
    for (int b = 0; b < batch; b++)
        if (labels[b] < 0 || labels[b] >= K)
            return tg_fail(TG_ERR_RANGE, "tg_attack_run: label %d of sample %d outside 0..%d", labels[b], b, K - 1);
    for (size_t i = 0; i < (size_t)batch * c.n; i++)
        if (!(raw_in[i] >= c.lo && raw_in[i] <= c.hi))
            return tg_fail(TG_ERR_RANGE, "tg_attack_run: sample %zu value %g outside the valid range [%g, %g]",
                           i / c.n, (double)raw_in[i], (double)c.lo, (double)c.hi);
    for (int b = 0; b < res->batch; b++) {
        res->success[b] = res->pred[b] = 0;
        res->linf[b] = res->l2[b] = res->linf_c[b] = res->l2_c[b] = 0.0f;
        res->evals[b] = 0;
    }
    res->grad_evals = res->queries = res->iterations = 0;
    res->n_success = 0;
    res->stop = TG_STOP_DONE;
    res->cw_form = params->cw_form;
    res->eps_c = c.eps_c;
    res->step_c = c.step_c;
    size_t b = (size_t)batch;
    c.m = malloc(b * sizeof(float));
    c.J = malloc(b * sizeof(float));
    c.best_m = malloc(b * sizeof(float));
    c.succ = malloc(b * sizeof(int));
    c.best_s = calloc(b, sizeof(int));
    c.lab = malloc(b * sizeof(int));
    c.dl = malloc(b * (size_t)K * sizeof(float));
    c.zs = malloc(b * (size_t)K * sizeof(float));
    if (!c.m || !c.J || !c.best_m || !c.succ || !c.best_s || !c.lab || !c.dl || !c.zs) {
        st = tg_fail(TG_ERR_NOMEM, "tg_attack_run: out of memory");
        goto done;
    }
    for (int i = 0; i < batch; i++)
        c.best_m[i] = FLT_MAX;
    memcpy(out_adv, raw_in, b * c.n * sizeof(float));
    c.t0 = now_seconds();
    switch (params->kind) {
    case TG_ATTACK_CW:
        st = atk_run_cw(&c);
        break;
    case TG_ATTACK_APGD:
        st = atk_run_apgd(&c);
        break;
    case TG_ATTACK_SQUARE:
        st = atk_run_square(&c);
        break;
    case TG_ATTACK_DEEPFOOL:
        st = atk_run_deepfool(&c);
        break;
    default:
        st = atk_run_pgd(&c);
        break;
    }
    if (st == TG_OK || st == TG_ERR_CANCELLED) {
        tg_status fs = finish(&c);
        st = fs != TG_OK ? fs : c.st;
        if (st == TG_ERR_CANCELLED)
            tg_fail(TG_ERR_CANCELLED, "tg_attack_run: %s cancelled after %ld iterations", tg_attack_name(params->kind),
                    res->iterations);
    }
    res->seconds = now_seconds() - c.t0;
done:
    free(c.m);
    free(c.J);
    free(c.best_m);
    free(c.succ);
    free(c.best_s);
    free(c.lab);
    free(c.dl);
    free(c.zs);
    return st;
}
