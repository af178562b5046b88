/* Audit configuration, the audit object and the per-image step: the attack suite over threat
 * models and budgets with early stop, verdict flips, re-quantisation check, detector scores.
 * Legend: T threats, B budgets, K attacks of the config; N floats per raw sample.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_internal.h"

double tg_audit_now(void)
{
    struct timespec t;
    timespec_get(&t, TIME_UTC);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

tg_status tg_audit_attack_parse(const char *name, tg_audit_attack *out)
{
    if (!name || !out)
        return tg_fail(TG_ERR_ARG, "audit: NULL attack name");
    static const struct {
        const char *name, *label;
        tg_attack_kind kind;
        int iterations;
    } known[] = {{"fgsm", "FGSM", TG_ATTACK_FGSM, 1},
                 {"pgd", "PGD", TG_ATTACK_PGD, 20},
                 {"cw", "C&W", TG_ATTACK_CW, 100},
                 {"square", "Square", TG_ATTACK_SQUARE, 1000}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t l = strlen(known[i].name);
        if (strncmp(name, known[i].name, l) || (name[l] && name[l] != '-'))
            continue;
        int it = known[i].iterations;
        if (name[l] == '-') {
            char *end = NULL;
            long v = strtol(name + l + 1, &end, 10);
            if (known[i].kind == TG_ATTACK_FGSM || !end || *end || end == name + l + 1 || v < 1 || v > 100000)
                return tg_fail(TG_ERR_NOTFOUND, "audit: bad iteration count in attack '%s'", name);
            it = (int)v;
        }
        tg_audit_attack a;
        memset(&a, 0, sizeof a);
        a.params = tg_attack_params_default(known[i].kind);
        if (known[i].kind == TG_ATTACK_CW)
            tg_attack_params_cw_fixed(&a.params);
        a.params.iterations = it;
        if (known[i].kind == TG_ATTACK_FGSM)
            snprintf(a.label, sizeof a.label, "%s", known[i].label);
        else
            snprintf(a.label, sizeof a.label, "%s-%d", known[i].label, it);
        *out = a;
        return TG_OK;
    }
    return tg_fail(TG_ERR_NOTFOUND, "audit: unknown attack '%s' (fgsm, pgd[-N], cw[-N], square[-N])", name);
}

void tg_audit_config_default(tg_audit_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    static const char *suite[] = {"fgsm", "pgd-20", "cw-100", "square-1000"};
    for (int i = 0; i < 4; i++)
        tg_audit_attack_parse(suite[i], &cfg->attacks[cfg->n_attacks++]);
    cfg->n_threats = 2;
    cfg->threats[0] = TG_THREAT_ADAPTIVE;
    cfg->threats[1] = TG_THREAT_BLACKBOX;
    static const double eps[] = {0.02, 0.05, 0.1, 0.2};
    cfg->n_budgets = 4;
    memcpy(cfg->budgets, eps, sizeof eps);
    cfg->unit = TG_AUDIT_CELSIUS;
    cfg->quant_step_c = 0.01;
    cfg->seed = 1;
    cfg->early_stop = 1;
    cfg->min_images_for_percent = 30;
}

static tg_status check_config(const tg_audit_config *c, const tg_model *target, const tg_model *source)
{
    if (c->n_attacks < 1 || c->n_attacks > TG_AUDIT_MAX_ATTACKS)
        return tg_fail(TG_ERR_ARG, "audit: 1..%d attacks needed, got %d", TG_AUDIT_MAX_ATTACKS, c->n_attacks);
    if (c->n_threats < 1 || c->n_threats > TG_AUDIT_MAX_THREATS)
        return tg_fail(TG_ERR_ARG, "audit: 1..%d threat models needed, got %d", TG_AUDIT_MAX_THREATS, c->n_threats);
    if (c->n_budgets < 1 || c->n_budgets > TG_AUDIT_MAX_BUDGETS)
        return tg_fail(TG_ERR_ARG, "audit: 1..%d budgets needed, got %d", TG_AUDIT_MAX_BUDGETS, c->n_budgets);
    for (int t = 0; t < c->n_threats; t++) {
        if (c->threats[t] != TG_THREAT_TRANSFER && c->threats[t] != TG_THREAT_ADAPTIVE &&
            c->threats[t] != TG_THREAT_BLACKBOX)
            return tg_fail(TG_ERR_ARG, "audit: invalid threat model %d", (int)c->threats[t]);
        for (int u = 0; u < t; u++)
            if (c->threats[u] == c->threats[t])
                return tg_fail(TG_ERR_ARG, "audit: threat model %s given twice", tg_threat_name(c->threats[t]));
    }
    for (int b = 0; b < c->n_budgets; b++)
        if (!(c->budgets[b] > 0) || !isfinite(c->budgets[b]) || (b && !(c->budgets[b] > c->budgets[b - 1])))
            return tg_fail(TG_ERR_ARG, "audit: budgets must be finite, positive and strictly ascending (budget %d)", b);
    if (c->unit == TG_AUDIT_CELSIUS && !target->pipeline.has_temperature)
        return tg_fail(TG_ERR_ARG, "audit: budgets in °C asked for model '%s', which has no temperature scale "
                                   "(its inputs are normalised intensity): give budgets in normalised units",
                       target->name);
    if (c->unit != TG_AUDIT_CELSIUS && c->unit != TG_AUDIT_NORMALISED)
        return tg_fail(TG_ERR_ARG, "audit: invalid budget unit %d", (int)c->unit);
    if (c->quant_step_c < 0 || !isfinite(c->quant_step_c))
        return tg_fail(TG_ERR_ARG, "audit: quantisation step must be >= 0");
    if (c->max_seconds < 0 || !isfinite(c->max_seconds))
        return tg_fail(TG_ERR_ARG, "audit: time cap must be >= 0");
    for (int k = 0; k < c->n_attacks; k++) {
        tg_attack_kind kind = c->attacks[k].params.kind;
        if (kind != TG_ATTACK_FGSM && kind != TG_ATTACK_PGD && kind != TG_ATTACK_BIM && kind != TG_ATTACK_MIFGSM &&
            kind != TG_ATTACK_CW && kind != TG_ATTACK_SQUARE && kind != TG_ATTACK_APGD)
            return tg_fail(TG_ERR_ARG, "audit: attack %s is not supported in audits", tg_attack_name(kind));
        if (kind != TG_ATTACK_CW && kind != TG_ATTACK_SQUARE && c->attacks[k].params.norm != TG_NORM_LINF)
            return tg_fail(TG_ERR_ARG, "audit: budgets are L∞; attack %d (%s) is L2", k, c->attacks[k].label);
    }
    for (int t = 0; t < c->n_threats; t++) {
        if (c->threats[t] != TG_THREAT_TRANSFER)
            continue;
        if (!source)
            return tg_fail(TG_ERR_ARG, "audit: the transfer threat model needs a source (undefended) model");
        const tg_pipeline_config *a = &target->pipeline, *s = &source->pipeline;
        if (a->in_c != s->in_c || a->in_h != s->in_h || a->in_w != s->in_w || a->has_temperature != s->has_temperature)
            return tg_fail(TG_ERR_ARG, "audit: source model '%s' takes other inputs than the audited model", source->name);
    }
    return TG_OK;
}

tg_status tg_audit_create(tg_audit **out, const tg_audit_config *cfg, tg_model *target, tg_model *source)
{
    if (!out || !cfg || !target)
        return tg_fail(TG_ERR_ARG, "tg_audit_create: NULL argument");
    *out = NULL;
    tg_status st = check_config(cfg, target, source);
    if (st != TG_OK)
        return st;
    double cpu = tg_pipeline_celsius_per_unit(&target->pipeline);
    for (int b = 0; b < cfg->n_budgets; b++) {
        double en = cfg->unit == TG_AUDIT_CELSIUS ? cfg->budgets[b] / cpu : cfg->budgets[b];
        if (en > 1.0)
            return tg_fail(TG_ERR_RANGE, "audit: budget %g %s exceeds the model's whole input range", cfg->budgets[b],
                           cfg->unit == TG_AUDIT_CELSIUS ? "°C" : "(normalised)");
    }
    tg_audit *a = calloc(1, sizeof *a);
    if (!a)
        return tg_fail(TG_ERR_NOMEM, "audit: out of memory");
    a->cfg = *cfg;
    a->target = target;
    a->c_per_unit = cpu;
    a->n_cells = (size_t)cfg->n_threats * (size_t)cfg->n_budgets * (size_t)cfg->n_attacks;
    for (int b = 0; b < cfg->n_budgets; b++)
        a->budget_norm[b] = cfg->unit == TG_AUDIT_CELSIUS ? cfg->budgets[b] / cpu : cfg->budgets[b];
    a->use_detector = target->detector.calibrated;
    int need_source = 0;
    for (int t = 0; t < cfg->n_threats; t++)
        need_source |= cfg->threats[t] == TG_THREAT_TRANSFER;
    if ((st = tg_model_pipeline(target, 1, &a->pt)) == TG_OK && need_source) {
        a->source = source;
        st = tg_model_pipeline(source, 1, &a->ps);
    }
    if (st != TG_OK) {
        tg_audit_destroy(a);
        return st;
    }
    *out = a;
    return TG_OK;
}

void tg_audit_destroy(tg_audit *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->rec[i].cells);
    free(a->rec);
    for (int e = 0; e < a->n_examples; e++) {
        free(a->ex[e].clean);
        free(a->ex[e].adv);
    }
    tg_pipeline_destroy(a->pt);
    tg_pipeline_destroy(a->ps);
    free(a);
}

int tg_audit_done(const tg_audit *a)
{
    if (!a)
        return 1;
    if (a->cfg.max_images && a->n >= a->cfg.max_images)
        return 1;
    return a->cfg.max_seconds > 0 && a->elapsed >= a->cfg.max_seconds;
}

size_t tg_audit_cell_index(const tg_audit_config *cfg, int t, int b, int k)
{
    return ((size_t)t * (size_t)cfg->n_budgets + (size_t)b) * (size_t)cfg->n_attacks + (size_t)k;
}

/* Per-image working state. */
typedef struct image_ctx {
    tg_audit *a;
    const float *raw;
    float *adv, *q, *cw;           /* [N] each */
    float probs[TG_MODEL_MAX_CLASSES];
    size_t N;
    int cls;                       /* class of the clean verdict: the attack's "label" */
    int verdict;
} image_ctx;

static tg_status positive_prob(tg_audit *a, const float *x, float *prob)
{
    float probs[TG_MODEL_MAX_CLASSES];
    tg_status st = tg_pipeline_predict(a->pt, x, 1, probs);
    if (st == TG_OK)
        *prob = probs[a->target->positive_class];
    return st;
}

static int verdict_of(const tg_audit *a, float prob)
{
    return prob >= a->target->threshold;
}

static tg_status detector_score(tg_audit *a, const float *x, float *score, int *flag)
{
    *score = NAN;
    *flag = 0;
    if (!a->use_detector)
        return TG_OK;
    tg_status st = tg_detector_scores(a->pt, &a->target->detector, x, 1, score);
    *flag = st == TG_OK && *score > a->target->detector.threshold;
    return st;
}

/* The decision threshold on P(class 1) of model m for the attacks: its calibrated rule on two
 * classes (kept inside (0, 1) so the attack's logit shift is finite), argmax otherwise. */
static double attack_threshold(const tg_model *m)
{
    if (m->n_classes != 2)
        return 0.5;
    double t = m->positive_class == 1 ? m->threshold : 1.0 - m->threshold;
    return t < 1e-6 ? 1e-6 : t > 1.0 - 1e-6 ? 1.0 - 1e-6 : t;
}

/* Runs attack k with L∞ budget b against the threat's attacker into c->adv. */
static tg_status run_attack(image_ctx *c, int t, int b, int k, int *cw_done, const tg_progress *cancel_only)
{
    tg_audit *a = c->a;
    tg_threat th = a->cfg.threats[t];
    tg_pipeline *p = th == TG_THREAT_TRANSFER ? a->ps : a->pt;
    tg_attack_params prm = a->cfg.attacks[k].params;
    double eps = a->budget_norm[b];
    prm.seed = a->cfg.seed * 0x9E3779B97F4A7C15ull + (uint64_t)(t * 131 + k) + 1;
    prm.index_base = a->n;
    prm.threshold = attack_threshold(th == TG_THREAT_TRANSFER ? a->source : a->target);
    tg_attack_result res;
    tg_status st = tg_attack_result_init(&res, 1);
    if (st != TG_OK)
        return st;
    if (prm.kind == TG_ATTACK_CW) {
        prm.seed = a->cfg.seed * 0x9E3779B97F4A7C15ull + (uint64_t)t + 7;
        prm.eps = 0.0;
        if (!*cw_done && (st = tg_attack_run(p, &prm, c->raw, &c->cls, 1, c->cw, &res, cancel_only)) == TG_OK)
            *cw_done = 1;
        double e = eps * a->c_per_unit;
        for (size_t i = 0; st == TG_OK && i < c->N; i++) {
            double d = (double)c->cw[i] - c->raw[i];
            d = d > e ? e : d < -e ? -e : d;
            c->adv[i] = (float)(c->raw[i] + d);
        }
    } else {
        prm.eps = eps;
        if (prm.kind == TG_ATTACK_FGSM)
            prm.step = eps;
        else if (prm.kind != TG_ATTACK_SQUARE && prm.kind != TG_ATTACK_APGD)
            prm.step = 2.5 * eps / prm.iterations;
        st = tg_attack_run(p, &prm, c->raw, &c->cls, 1, c->adv, &res, cancel_only);
    }
    tg_attack_result_free(&res);
    return st;
}

static tg_status keep_example(tg_audit *a, image_ctx *c, int t, int b, int k)
{
    if (a->n_examples >= TG_AUDIT_MAX_EXAMPLES ||
        (a->n_examples && a->ex[a->n_examples - 1].image == a->n))
        return TG_OK;
    const tg_pipeline_config *pc = &a->target->pipeline;
    size_t hw = (size_t)pc->in_h * (size_t)pc->in_w;
    tg_audit_example *e = &a->ex[a->n_examples];
    e->clean = malloc(hw * sizeof *e->clean);
    e->adv = malloc(hw * sizeof *e->adv);
    if (!e->clean || !e->adv) {
        free(e->clean);
        free(e->adv);
        e->clean = e->adv = NULL;
        return tg_fail(TG_ERR_NOMEM, "audit: out of memory keeping an example");
    }
    memcpy(e->clean, c->raw, hw * sizeof *e->clean);
    memcpy(e->adv, c->adv, hw * sizeof *e->adv);
    e->image = a->n;
    e->threat = t;
    e->budget = b;
    e->attack = k;
    e->h = pc->in_h;
    e->w = pc->in_w;
    a->n_examples++;
    return TG_OK;
}

/* Fills a run cell from c->adv: verdict, norms, re-quantisation, detector. */
static tg_status score_cell(image_ctx *c, tg_audit_cell *cell)
{
    tg_audit *a = c->a;
    double linf = 0, l2 = 0;
    for (size_t i = 0; i < c->N; i++) {
        double d = fabs((double)c->adv[i] - c->raw[i]);
        linf = d > linf ? d : linf;
        l2 += d * d;
    }
    cell->linf_c = (float)linf;
    cell->l2_c = (float)sqrt(l2);
    tg_status st = positive_prob(a, c->adv, &cell->prob);
    if (st != TG_OK)
        return st;
    cell->flipped = verdict_of(a, cell->prob) != c->verdict;
    if (cell->flipped && a->cfg.quant_step_c > 0) {
        double s = a->cfg.quant_step_c;
        for (size_t i = 0; i < c->N; i++)
            c->q[i] = (float)(nearbyint(c->adv[i] / s) * s);
        float pq;
        if ((st = positive_prob(a, c->q, &pq)) != TG_OK)
            return st;
        cell->survives_quant = verdict_of(a, pq) != c->verdict;
    }
    return detector_score(a, c->adv, &cell->det_score, &cell->det_flag);
}

static int applicable(tg_threat t, tg_attack_kind k)
{
    return (t == TG_THREAT_BLACKBOX) == (k == TG_ATTACK_SQUARE);
}

/* The attack suite over every (threat, budget) of one in-range image. */
static tg_status audit_cells(image_ctx *c, tg_audit_record *r, const tg_progress *progress)
{
    tg_audit *a = c->a;
    const tg_audit_config *cfg = &a->cfg;
    tg_progress cancel_only = {NULL, NULL, progress ? progress->cancel : NULL};
    size_t done = 0;
    for (int t = 0; t < cfg->n_threats; t++) {
        int cw_done = 0;
        r->min_linf_c[t] = r->min_l2_c[t] = -1.0f;
        for (int b = 0; b < cfg->n_budgets; b++) {
            int flipped = 0;
            for (int k = 0; k < cfg->n_attacks; k++, done++) {
                tg_audit_cell *cell = &r->cells[tg_audit_cell_index(cfg, t, b, k)];
                cell->det_score = NAN;
                if (!applicable(cfg->threats[t], cfg->attacks[k].params.kind))
                    continue;
                if (cfg->early_stop && flipped) {
                    cell->state = TG_AUDIT_SKIPPED;
                    continue;
                }
                tg_status st = tg_progress_report(progress, (double)done / (double)a->n_cells, "audit");
                double t0 = tg_audit_now();
                if (st == TG_OK)
                    st = run_attack(c, t, b, k, &cw_done, &cancel_only);
                if (st == TG_OK)
                    st = score_cell(c, cell);
                if (st != TG_OK)
                    return st;
                cell->state = TG_AUDIT_RUN;
                cell->seconds = tg_audit_now() - t0;
                if (!cell->flipped)
                    continue;
                flipped = 1;
                if (r->min_linf_c[t] < 0 || cell->linf_c < r->min_linf_c[t]) {
                    r->min_linf_c[t] = cell->linf_c;
                    r->min_l2_c[t] = cell->l2_c;
                }
                if ((st = keep_example(a, c, t, b, k)) != TG_OK)
                    return st;
            }
        }
    }
    return tg_progress_report(progress, 1.0, "audit");
}

static int in_range(const tg_pipeline_config *pc, const float *raw, size_t N)
{
    for (size_t i = 0; i < N; i++)
        if (!(raw[i] >= pc->t_min && raw[i] <= pc->t_max))
            return 0;
    return 1;
}

static int argmax(const float *p, int K)
{
    int best = 0;
    for (int k = 1; k < K; k++)
        if (p[k] > p[best])
            best = k;
    return best;
}

tg_status tg_audit_image(tg_audit *a, const float *raw, int label, const char *id, const char *patient,
                         const tg_progress *progress)
{
    if (!a || !raw)
        return tg_fail(TG_ERR_ARG, "tg_audit_image: NULL argument");
    if (label < -1 || label > 1)
        return tg_fail(TG_ERR_ARG, "audit: label must be 0, 1 or -1 (unknown), got %d", label);
    if (tg_audit_done(a))
        return tg_fail(TG_ERR_RANGE, "audit: the image or time cap is reached (%zu images, %.1f s)", a->n, a->elapsed);
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        tg_audit_record *r = realloc(a->rec, cap * sizeof *r);
        if (!r)
            return tg_fail(TG_ERR_NOMEM, "audit: out of memory for records");
        a->rec = r;
        a->cap = cap;
    }
    double t0 = tg_audit_now();
    const tg_pipeline_config *pc = &a->target->pipeline;
    image_ctx c;
    memset(&c, 0, sizeof c);
    c.a = a;
    c.raw = raw;
    c.N = (size_t)pc->in_c * (size_t)pc->in_h * (size_t)pc->in_w;
    tg_audit_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "%s", id ? id : "");
    if (!id)
        snprintf(r.id, sizeof r.id, "image %zu", a->n + 1);
    snprintf(r.patient, sizeof r.patient, "%s", patient ? patient : "");
    r.label = label;
    r.cells = calloc(a->n_cells, sizeof *r.cells);
    tg_status st = TG_OK;
    if (!r.cells || tg_alloc_checked((void **)&c.adv, 3 * c.N, sizeof *c.adv, 0, "audit buffers") != TG_OK) {
        free(r.cells);
        return tg_fail(TG_ERR_NOMEM, "audit: out of memory for image %zu", a->n + 1);
    }
    c.q = c.adv + c.N;
    c.cw = c.q + c.N;
    if (!in_range(pc, raw, c.N)) {
        r.skipped = 1;
        snprintf(r.note, sizeof r.note, "pixel outside the model's range %g..%g (or not finite)", pc->t_min, pc->t_max);
    } else if ((st = tg_pipeline_predict(a->pt, raw, 1, c.probs)) == TG_OK) {
        int K = tg_pipeline_get_net(a->pt)->classes;
        r.clean_prob = c.probs[a->target->positive_class];
        r.clean_verdict = c.verdict = verdict_of(a, r.clean_prob);
        /* two classes: the attacks flip the deployed verdict (P(positive) >= threshold) */
        c.cls = K == 2 ? (c.verdict ? a->target->positive_class : 1 - a->target->positive_class) : argmax(c.probs, K);
        if ((st = detector_score(a, raw, &r.clean_det_score, &r.clean_det_flag)) == TG_OK)
            st = audit_cells(&c, &r, progress);
    }
    free(c.adv);
    if (st != TG_OK) {
        free(r.cells);
        if (a->n_examples && a->ex[a->n_examples - 1].image == a->n) {
            a->n_examples--;
            free(a->ex[a->n_examples].clean);
            free(a->ex[a->n_examples].adv);
        }
        return st;
    }
    r.seconds = tg_audit_now() - t0;
    a->elapsed += r.seconds;
    a->rec[a->n++] = r;
    return TG_OK;
}

const tg_audit_config *tg_audit_get_config(const tg_audit *a)
{
    return a ? &a->cfg : NULL;
}

size_t tg_audit_images(const tg_audit *a)
{
    return a ? a->n : 0;
}

const tg_audit_record *tg_audit_get_record(const tg_audit *a, size_t i)
{
    return a && i < a->n ? &a->rec[i] : NULL;
}

int tg_audit_example_count(const tg_audit *a)
{
    return a ? a->n_examples : 0;
}

const tg_audit_example *tg_audit_get_example(const tg_audit *a, int i)
{
    return a && i >= 0 && i < a->n_examples ? &a->ex[i] : NULL;
}

double tg_audit_budget_norm(const tg_audit *a, int b)
{
    return a && b >= 0 && b < a->cfg.n_budgets ? a->budget_norm[b] : NAN;
}

double tg_audit_budget_c(const tg_audit *a, int b)
{
    return a && b >= 0 && b < a->cfg.n_budgets ? a->budget_norm[b] * a->c_per_unit : NAN;
}
