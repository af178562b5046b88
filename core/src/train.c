/* The training loop: shuffled near-equal batches, augmentation, the adversary hook, weighted
 * cross-entropy or focal loss, optimiser step, per-epoch validation and early stopping with the
 * best weights restored. Legend: N training samples, B batch, S = C*H*W floats per sample.
 * Randomness: augmentation of sample i in epoch e from tg_rng_stream(seed, e*N + i); shuffling
 * and per-step seeds (dropout, hook) from generators seeded by derived seeds.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tg_train_params_default(tg_train_params *t)
{
    memset(t, 0, sizeof *t);
    t->epochs = 30;
    t->batch_size = 32;
    t->shuffle = 1;
    tg_optim_params_default(&t->optim);
    tg_lr_schedule_default(&t->lr);
    t->lr.kind = TG_LR_COSINE;
    t->loss = TG_LOSS_XENT;
    t->focal_gamma = 2.0f;
    t->weighting = TG_CLASS_WEIGHT_BALANCED;
    t->class_w[0] = t->class_w[1] = 1.0f;
    t->augment_on = 1;
    tg_augment_params_default(&t->augment);
    t->patience = 8;
    t->monitor = TG_MONITOR_VAL_LOSS;
}

/* Re-raises the current error with a prefix naming the context. */
static tg_status prefixed(tg_status st, const char *prefix)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", tg_last_error());
    return tg_fail(st, "%s: %s", prefix, msg);
}

static tg_status check_params(const tg_train_params *t)
{
    if (t->epochs < 1 || t->epochs > TG_TRAIN_MAX_EPOCHS)
        return tg_fail(TG_ERR_RANGE, "tg_train: epochs %d outside 1..%d", t->epochs, TG_TRAIN_MAX_EPOCHS);
    if (t->batch_size < 1)
        return tg_fail(TG_ERR_RANGE, "tg_train: batch_size %d must be >= 1", t->batch_size);
    if (t->shuffle != 0 && t->shuffle != 1)
        return tg_fail(TG_ERR_RANGE, "tg_train: shuffle must be 0 or 1");
    if (t->loss != TG_LOSS_XENT && t->loss != TG_LOSS_FOCAL)
        return tg_fail(TG_ERR_ARG, "tg_train: loss %d is not cross-entropy or focal", (int)t->loss);
    if (!(t->focal_gamma >= 0.0f) || !isfinite(t->focal_gamma))
        return tg_fail(TG_ERR_RANGE, "tg_train: focal_gamma %g must be finite and >= 0", (double)t->focal_gamma);
    if (t->weighting < TG_CLASS_WEIGHT_NONE || t->weighting > TG_CLASS_WEIGHT_MANUAL)
        return tg_fail(TG_ERR_ARG, "tg_train: unknown class weighting %d", (int)t->weighting);
    if (t->weighting == TG_CLASS_WEIGHT_MANUAL &&
        (!(t->class_w[0] >= 0.0f) || !(t->class_w[1] >= 0.0f) || !isfinite(t->class_w[0]) ||
         !isfinite(t->class_w[1]) || t->class_w[0] + t->class_w[1] <= 0.0f))
        return tg_fail(TG_ERR_RANGE, "tg_train: class weights (%g, %g) must be finite, >= 0 and not both 0",
                       (double)t->class_w[0], (double)t->class_w[1]);
    if (t->augment_on != 0 && t->augment_on != 1)
        return tg_fail(TG_ERR_RANGE, "tg_train: augment_on must be 0 or 1");
    if (t->patience < 0 || !(t->min_delta >= 0.0) || !isfinite(t->min_delta))
        return tg_fail(TG_ERR_RANGE, "tg_train: patience %d and min_delta %g must be >= 0", t->patience, t->min_delta);
    if (t->monitor != TG_MONITOR_VAL_LOSS && t->monitor != TG_MONITOR_VAL_ACC && t->monitor != TG_MONITOR_LAST)
        return tg_fail(TG_ERR_ARG, "tg_train: unknown monitor %d", (int)t->monitor);
    return TG_OK;
}

/* The set fits the pipeline and every sample is usable; errors name the set. */
static tg_status check_set(const tg_pipeline_config *c, const tg_sample_set *s, const char *name)
{
    if (s->n == 0)
        return tg_fail(TG_ERR_ARG, "tg_train: the %s set is empty", name);
    if (s->c != c->in_c || s->h != c->in_h || s->w != c->in_w)
        return tg_fail(TG_ERR_ARG, "tg_train: %s samples are %d x %d x %d but the pipeline takes %d x %d x %d", name,
                       s->c, s->h, s->w, c->in_c, c->in_h, c->in_w);
    tg_status st = tg_sample_set_check(s);
    if (st != TG_OK) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "tg_train: %s set", name);
        return prefixed(st, prefix);
    }
    return TG_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Refuses a validation set that shares a patient with the training set (a leaky split). */
static tg_status check_disjoint(const tg_sample_set *train, const tg_sample_set *val)
{
    const char **ids = malloc(train->n * sizeof *ids);
    if (!ids)
        return tg_fail(TG_ERR_NOMEM, "tg_train: out of memory");
    for (size_t i = 0; i < train->n; i++)
        ids[i] = train->patient[i];
    qsort(ids, train->n, sizeof *ids, cmp_str);
    tg_status st = TG_OK;
    for (size_t i = 0; i < val->n && st == TG_OK; i++) {
        const char *key = val->patient[i];
        if (bsearch(&key, ids, train->n, sizeof *ids, cmp_str))
            st = tg_fail(TG_ERR_ARG,
                         "tg_train: patient '%s' (validation sample %zu) is also in the training set; "
                         "split by patient",
                         key, i);
    }
    free(ids);
    return st;
}

/* Working memory of one run, one allocation: 8-byte arrays first, then floats, then ints. */
typedef struct work {
    void *mem;
    size_t *order;      /* [N] sample order of the epoch */
    uint64_t *ids;      /* [B] dropout stream ids */
    float *batch;       /* [B, S] */
    float *scratch;     /* [S] augmentation */
    float *dlogits;     /* [B, 2] */
    float *losses;      /* [B] */
    float *best;        /* [params + stats] best snapshot */
    float *val_scores;  /* [Nval] */
    int *labels;        /* [B] */
    int *pred;          /* [B] loss hook predictions */
} work;

static tg_status work_alloc(work *w, size_t n, size_t nval, size_t B, size_t S, size_t snap)
{
    size_t f[6] = {B * S, S, 2 * B, B, snap, nval}, total = 0, bytes;
    tg_status st;
    for (int i = 0; i < 6; i++)
        if ((st = tg_size_add(total, f[i], &total, "training buffers")) != TG_OK)
            return st;
    if ((st = tg_size_mul(total, sizeof(float), &bytes, "training buffers")) != TG_OK ||
        (st = tg_size_add(bytes, (n + B) * 8 + 2 * B * sizeof(int), &bytes, "training buffers")) != TG_OK ||
        (st = tg_alloc_checked(&w->mem, bytes, 1, 0, "training buffers")) != TG_OK)
        return st;
    char *p = w->mem;
    w->order = (size_t *)p;
    w->ids = (uint64_t *)(p + n * 8);
    float *q = (float *)(p + (n + B) * 8);
    w->batch = q;
    w->scratch = w->batch + B * S;
    w->dlogits = w->scratch + S;
    w->losses = w->dlogits + 2 * B;
    w->best = w->losses + B;
    w->val_scores = w->best + snap;
    w->labels = (int *)(w->val_scores + nval);
    w->pred = w->labels + B;
    return TG_OK;
}

static void snapshot(const tg_net *net, float *best)
{
    memcpy(best, net->params, net->n_params * sizeof(float));
    if (net->n_stats)
        memcpy(best + net->n_params, net->stats, net->n_stats * sizeof(float));
}

static void restore(tg_net *net, const float *best)
{
    memcpy(net->params, best, net->n_params * sizeof(float));
    if (net->n_stats)
        memcpy(net->stats, best + net->n_params, net->n_stats * sizeof(float));
}

/* Loss of `b` samples: *loss = the reduced training loss, w->losses = unweighted per-sample
 * values; with `grad`, w->dlogits receives its gradient. */
static tg_status loss_eval(const tg_train_params *t, const float *cw, const float *logits, const int *labels, int b,
                           float *loss, float *losses, float *dlogits)
{
    tg_status st;
    if (t->loss == TG_LOSS_FOCAL) {
        st = tg_focal_forward(loss, losses, logits, labels, cw, t->focal_gamma, b, 2, TG_REDUCE_MEAN);
        if (st == TG_OK && dlogits) {
            memset(dlogits, 0, (size_t)b * 2 * sizeof(float));
            st = tg_focal_backward(dlogits, 1.0f, logits, labels, cw, t->focal_gamma, b, 2, TG_REDUCE_MEAN);
        }
        return st;
    }
    st = tg_xent_forward(loss, losses, logits, labels, cw, b, 2, TG_REDUCE_MEAN);
    if (st == TG_OK && dlogits) {
        memset(dlogits, 0, (size_t)b * 2 * sizeof(float));
        st = tg_xent_backward(dlogits, 1.0f, logits, labels, cw, b, 2, TG_REDUCE_MEAN);
    }
    return st;
}

/* Validation in evaluation mode: class-weighted mean loss (as trained), accuracy at 0.5, AUC. */
static tg_status validate(tg_pipeline *p, const tg_sample_set *val, const tg_train_params *t, const float *cw,
                          work *w, tg_epoch_stats *e)
{
    size_t S = (size_t)val->c * (size_t)val->h * (size_t)val->w;
    double wsum = 0.0, lsum = 0.0;
    for (size_t i = 0; i < val->n; i += (size_t)t->batch_size) {
        int b = val->n - i < (size_t)t->batch_size ? (int)(val->n - i) : t->batch_size;
        const float *logits;
        float unused;
        tg_status st = tg_pipeline_forward(p, val->raw + i * S, b, NULL, &logits);
        if (st == TG_OK)
            st = loss_eval(t, NULL, logits, val->labels + i, b, &unused, w->losses, NULL);
        if (st != TG_OK)
            return prefixed(st, "tg_train: validation");
        for (int k = 0; k < b; k++) {
            double wk = cw[val->labels[i + (size_t)k]];
            lsum += wk * w->losses[k];
            wsum += wk;
            w->val_scores[i + (size_t)k] = (float)(1.0 / (1.0 + exp((double)logits[2 * k] - logits[2 * k + 1])));
        }
    }
    tg_binary_metrics m;
    tg_status st = tg_binary_metrics_compute(val->labels, w->val_scores, val->n, 0.5, &m);
    if (st != TG_OK)
        return prefixed(st, "tg_train: validation");
    e->val_loss = wsum > 0.0 ? lsum / wsum : NAN;
    e->val_acc = m.accuracy;
    e->val_auc = m.auc;
    if (!isfinite(e->val_loss))
        return tg_fail(TG_ERR_NONFINITE, "tg_train: validation loss is not finite");
    return TG_OK;
}

/* One run's fixed context. */
typedef struct run {
    tg_pipeline *p;
    tg_net *net;
    const tg_sample_set *train;
    const tg_train_params *t;
    float cw[2];
    uint64_t shuffle_seed, step_seed;
    tg_optim *opt;
    tg_lr_schedule lr;
    const tg_progress *progress;
} run;

/* A hook's non-zero return as a status naming the hook and the place. */
static tg_status hook_failed(int hs, const char *hook, int epoch, size_t batch)
{
    tg_status st = hs > 0 && hs <= TG_ERR_CANCELLED ? (tg_status)hs : TG_ERR_ARG;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", tg_last_error());
    return tg_fail(st, "tg_train: %s hook failed with %d at epoch %d batch %zu: %s", hook, hs, epoch, batch, msg);
}

/* Loss, predictions and parameter gradients of one batch: the loss hook, or the built-in loss
 * on one train pass. */
static tg_status batch_loss(run *r, work *w, int epoch, size_t k, int b, int bn_set, uint64_t step_seed,
                            long steps, float *loss)
{
    const tg_train_params *t = r->t;
    tg_status st;
    tg_net_zero_grad(r->net);
    if (t->loss_hook) {
        tg_train_step info = {epoch, t->epochs, steps, step_seed, w->ids, bn_set, r->cw, t->loss, t->focal_gamma};
        int hs = t->loss_hook(t->loss_user, r->p, w->batch, w->labels, b, &info, loss, w->pred);
        return hs != 0 ? hook_failed(hs, "loss", epoch, k) : TG_OK;
    }
    tg_net_pass pass = {1, bn_set, step_seed, w->ids};
    const float *logits;
    if ((st = tg_pipeline_forward(r->p, w->batch, b, &pass, &logits)) != TG_OK ||
        (st = loss_eval(t, r->cw, logits, w->labels, b, loss, w->losses, w->dlogits)) != TG_OK)
        return prefixed(st, "tg_train");
    for (int j = 0; j < b; j++)
        w->pred[j] = logits[2 * j + 1] > logits[2 * j];
    if ((st = tg_pipeline_backward(r->p, w->dlogits, TG_NET_GRAD_PARAMS, NULL)) != TG_OK)
        return prefixed(st, "tg_train");
    return TG_OK;
}

/* One epoch over all training samples; fills the training part of `e`. */
static tg_status train_epoch(run *r, work *w, int epoch, tg_train_report *rep, tg_epoch_stats *e)
{
    const tg_train_params *t = r->t;
    const tg_sample_set *s = r->train;
    const size_t N = s->n, S = (size_t)s->c * (size_t)s->h * (size_t)s->w;
    for (size_t i = 0; i < N; i++)
        w->order[i] = i;
    if (t->shuffle) {
        tg_rng g;
        tg_rng_stream(&g, r->shuffle_seed, (uint64_t)epoch);
        for (size_t i = N - 1; i > 0; i--) {
            size_t j = (size_t)tg_rng_below(&g, (uint64_t)i + 1), tmp = w->order[i];
            w->order[i] = w->order[j];
            w->order[j] = tmp;
        }
    }
    const size_t nb = (N + (size_t)t->batch_size - 1) / (size_t)t->batch_size;
    e->lr = tg_lr_at(&r->lr, epoch);
    double loss_sum = 0.0;
    size_t correct = 0;
    tg_status st;
    for (size_t k = 0; k < nb; k++) {
        /* near-equal batches [k N / nb, (k+1) N / nb): every sample once, none above batch_size */
        size_t lo = k * N / nb, hi = (k + 1) * N / nb;
        int b = (int)(hi - lo);
        for (int j = 0; j < b; j++) {
            size_t idx = w->order[lo + (size_t)j];
            float *x = w->batch + (size_t)j * S;
            memcpy(x, s->raw + idx * S, S * sizeof(float));
            w->labels[j] = s->labels[idx];
            w->ids[j] = (uint64_t)epoch * N + idx;
            if (t->augment_on &&
                (st = tg_augment_sample(&t->augment, t->seed, w->ids[j], x, s->c, s->h, s->w, w->scratch)) != TG_OK)
                return st;
        }
        tg_rng g;
        tg_rng_stream(&g, r->step_seed, (uint64_t)rep->steps);
        const uint64_t step_seed = tg_rng_u64(&g);
        int bn_set = 0;
        if (t->adversary) {
            int hs = t->adversary(t->adversary_user, r->p, w->batch, w->labels, b, step_seed, &bn_set);
            if (hs != 0)
                return hook_failed(hs, "adversary", epoch, k);
            if (bn_set != 0 && bn_set != 1)
                return tg_fail(TG_ERR_ARG, "tg_train: adversary hook chose BN set %d (0 or 1)", bn_set);
        }
        float loss;
        if ((st = batch_loss(r, w, epoch, k, b, bn_set, step_seed, rep->steps, &loss)) != TG_OK)
            return st;
        if (!isfinite(loss))
            return tg_fail(TG_ERR_NONFINITE, "tg_train: loss diverged (%g) at epoch %d batch %zu", (double)loss, epoch,
                           k);
        for (int j = 0; j < b; j++)
            correct += (w->pred[j] == 1) == (w->labels[j] == 1);
        loss_sum += (double)loss * b;
        if ((st = tg_optim_step(r->opt, r->net->params, r->net->grads, e->lr, NULL)) != TG_OK)
            return prefixed(st, "tg_train");
        rep->steps++;
        char stage[160];
        size_t seen = hi;
        snprintf(stage, sizeof stage, "train epoch %d/%d batch %zu/%zu loss %.4f acc %.3f", epoch + 1, t->epochs,
                 k + 1, nb, loss_sum / (double)seen, (double)correct / (double)seen);
        double frac = ((double)epoch + (double)(k + 1) / (double)nb) / (double)t->epochs;
        if ((st = tg_progress_report(r->progress, frac, stage)) != TG_OK)
            return st;
    }
    e->train_loss = loss_sum / (double)N;
    e->train_acc = (double)correct / (double)N;
    return TG_OK;
}

static tg_status set_class_weights(const tg_sample_set *s, const tg_train_params *t, float cw[2])
{
    size_t n1 = 0;
    for (size_t i = 0; i < s->n; i++)
        n1 += (size_t)s->labels[i];
    size_t n0 = s->n - n1;
    if (t->weighting == TG_CLASS_WEIGHT_MANUAL) {
        cw[0] = t->class_w[0];
        cw[1] = t->class_w[1];
    } else if (t->weighting == TG_CLASS_WEIGHT_BALANCED) {
        if (n0 == 0 || n1 == 0)
            return tg_fail(TG_ERR_ARG, "tg_train: balanced class weights need both classes (healthy %zu, sick %zu)", n0,
                           n1);
        cw[0] = (float)((double)s->n / (2.0 * (double)n0));
        cw[1] = (float)((double)s->n / (2.0 * (double)n1));
    } else {
        cw[0] = cw[1] = 1.0f;
    }
    return TG_OK;
}

tg_status tg_train(tg_pipeline *p, const tg_sample_set *train, const tg_sample_set *val,
                   const tg_train_params *params, tg_train_report *report, const tg_progress *progress)
{
    tg_train_report local;
    tg_train_report *rep = report ? report : &local;
    memset(rep, 0, sizeof *rep);
    rep->best_epoch = -1;
    if (!p || !train || !params)
        return tg_fail(TG_ERR_ARG, "tg_train: NULL argument");
    tg_net *net = tg_pipeline_get_net(p);
    const tg_pipeline_config *cfg = tg_pipeline_get_config(p);
    tg_status st;
    if ((st = check_params(params)) != TG_OK)
        return st;
    if (net->classes != 2)
        return tg_fail(TG_ERR_ARG, "tg_train: the network has %d classes, healthy/sick needs 2", net->classes);
    if ((st = check_set(cfg, train, "training")) != TG_OK)
        return st;
    if (val && ((st = check_set(cfg, val, "validation")) != TG_OK || (st = check_disjoint(train, val)) != TG_OK))
        return st;
    if (params->augment_on && (st = tg_augment_check(&params->augment, cfg->in_h, cfg->in_w)) != TG_OK)
        return prefixed(st, "tg_train");
    run r = {.p = p, .net = net, .train = train, .t = params, .lr = params->lr, .progress = progress};
    if (r.lr.kind == TG_LR_COSINE && r.lr.total == 0)
        r.lr.total = params->epochs;
    if ((st = tg_lr_schedule_check(&r.lr)) != TG_OK || (st = set_class_weights(train, params, r.cw)) != TG_OK)
        return st;
    tg_rng g;
    tg_rng_seed(&g, params->seed ^ 0x5452414953454544ull); /* independent of the augmentation streams */
    r.shuffle_seed = tg_rng_u64(&g);
    r.step_seed = tg_rng_u64(&g);
    work w = {0};
    const size_t nval = val ? val->n : 0, B = (size_t)params->batch_size;
    const size_t S = (size_t)cfg->in_c * (size_t)cfg->in_h * (size_t)cfg->in_w;
    if ((st = work_alloc(&w, train->n, nval, B, S, net->n_params + net->n_stats)) != TG_OK)
        return st;
    if ((st = tg_optim_create(&r.opt, &params->optim, net->n_params)) != TG_OK) {
        free(w.mem);
        return prefixed(st, "tg_train");
    }
    rep->n_train = train->n;
    rep->n_val = nval;
    rep->class_w[0] = r.cw[0];
    rep->class_w[1] = r.cw[1];
    snapshot(net, w.best);
    const int lower_better = params->monitor == TG_MONITOR_VAL_LOSS;
    double best = lower_better ? INFINITY : -INFINITY;
    int since_best = 0;
    for (int epoch = 0; epoch < params->epochs; epoch++) {
        tg_epoch_stats *e = &rep->epoch[epoch];
        e->val_loss = e->val_acc = e->val_auc = NAN;
        int hs = params->epoch_hook ? params->epoch_hook(params->epoch_user, epoch, params->epochs) : 0;
        if (hs != 0) {
            st = hook_failed(hs, "epoch", epoch, 0);
            break;
        }
        if ((st = train_epoch(&r, &w, epoch, rep, e)) != TG_OK)
            break;
        if (val && (st = validate(p, val, params, r.cw, &w, e)) != TG_OK)
            break;
        rep->epochs_run = epoch + 1;
        double metric = lower_better ? e->val_loss : e->val_acc;
        int improved = !val || params->monitor == TG_MONITOR_LAST ||
                       (lower_better ? best - metric > params->min_delta : metric - best > params->min_delta);
        if (improved) {
            best = metric;
            rep->best_epoch = epoch;
            since_best = 0;
            snapshot(net, w.best);
        } else if (params->patience > 0 && ++since_best >= params->patience) {
            rep->stopped_early = 1;
            break;
        }
    }
    restore(net, w.best);
    tg_optim_destroy(r.opt);
    free(w.mem);
    return st;
}
