/* `thermoguard robustness`: the WBAD-style robustness table for one or more models on the
 * held-out patient split of a collection: clean accuracy and, per attack, accuracy under the
 * transfer (attack computed on an undefended source model), adaptive white-box (through the
 * whole deployed pipeline) and black-box (Square) threat models, at several budgets in °C and
 * normalised units; success rates, median perturbation in °C, detector rates, time per attack.
 * Text table, --json, --csv (one row per cell).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <cblas.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thermoguard/collection.h"
#include "thermoguard/robustness.h"
#include "thermoguard/thermoguard.h"

#define SYNTHETIC_NOTE "SYNTHETIC \xe2\x80\x94 not for clinical use"
#define MAX_MODELS 8
#define MAX_EPS 8
#define N_ATTACKS 7
#define N_THREATS 3

/* The attacks by name, with their kind, norm and loss (C&W is L2 by construction). */
static const char *const attack_names[N_ATTACKS] = {"fgsm", "pgd", "pgd-l2", "cw", "apgd", "apgd-margin", "square"};
static const tg_attack_kind attack_kinds[N_ATTACKS] = {TG_ATTACK_FGSM, TG_ATTACK_PGD,  TG_ATTACK_PGD,   TG_ATTACK_CW,
                                                       TG_ATTACK_APGD, TG_ATTACK_APGD, TG_ATTACK_SQUARE};
static const tg_attack_norm attack_norms[N_ATTACKS] = {TG_NORM_LINF, TG_NORM_LINF, TG_NORM_L2,  TG_NORM_L2,
                                                       TG_NORM_LINF, TG_NORM_LINF, TG_NORM_LINF};
static const tg_loss_kind attack_losses[N_ATTACKS] = {TG_LOSS_XENT, TG_LOSS_XENT,   TG_LOSS_XENT,  TG_LOSS_MARGIN,
                                                      TG_LOSS_XENT, TG_LOSS_MARGIN, TG_LOSS_MARGIN};
static const char *const threat_names[N_THREATS] = {"transfer", "adaptive", "black-box"};

static void help(FILE *out)
{
    fprintf(out,
            "usage: thermoguard robustness DATA_DIR --model NAME=FILE [--model NAME=FILE ...] [options]\n"
            "\n"
            "Evaluates models under adversarial attack on the collection DATA_DIR/views.csv, preprocessed\n"
            "with each model's settings, on the held-out test patients of the split the (first) model\n"
            "was trained with. Every number states its threat model:\n"
            "  transfer   attack computed on the SOURCE model (undefended), fed to the model\n"
            "  adaptive   white-box attack through the model's whole pipeline (denoiser by its\n"
            "             exact subgradient or BPDA), with restarts\n"
            "  black-box  score-based Square attack on the model (Square only)\n"
            "Research use only.\n"
            "\n"
            "options:\n"
            "  --model NAME=FILE     a model to evaluate (up to 8; repeat)\n"
            "  --source FILE         undefended model the transfer attacks run on (default: the first)\n"
            "  --attacks LIST        of fgsm,pgd,pgd-l2,cw,apgd,apgd-margin,square (default all)\n"
            "  --eps-c LIST          L-inf budgets in \xc2\xb0" "C (default 0.05,0.1,0.2)\n"
            "  --eps LIST            L-inf budgets in normalised units (fractions of t_max - t_min)\n"
            "  --eps-l2-c LIST       pgd-l2 budgets in \xc2\xb0" "C, L2 norm over one whole input sample, one per\n"
            "                        L-inf budget (default eps * sqrt(values per sample) / 4: the L2 size\n"
            "                        of a full-eps change of 1/16 of the values)\n"
            "  --threats LIST        of transfer,adaptive,black-box (default all)\n"
            "  --split test|all      held-out test patients (default) or every sample\n"
            "  --limit N             first N samples of the split only\n"
            "  --seed S              attack seed (default 1)\n"
            "  --pgd-steps N         PGD (L-inf and L2) steps per restart (default 20, step 2.5 eps / N)\n"
            "  --restarts N          PGD and APGD restarts, worst case kept (default 2)\n"
            "  --apgd-steps N        APGD iterations, CE and margin loss (default 100)\n"
            "  --cw-steps N          C&W iterations, fixed-c form c = 1, unbounded (default 100)\n"
            "  --queries N           Square query budget (default 1000)\n"
            "  --batch N             attack batch (default 32)\n"
            "  --threads N           OpenBLAS threads\n"
            "  --json                machine-readable output on stdout\n"
            "  --csv FILE            one row per cell, for plots\n"
            "  --help                this text\n"
            "C&W is a minimum-norm attack: it ignores the budget and is run once per model and threat.\n"
            "Verdicts are each model's deployed decision, sick when P(sick) >= its calibrated threshold\n"
            "(as 'thermoguard eval' and the node decide); every attack aims at the attacked model's rule.\n"
            "exit status: 0 ok, 1 runtime failure (unreadable model or data), 2 usage error\n");
}

/* One evaluated cell with its coordinates. */
typedef struct cell {
    int model, attack, threat, eps; /* eps: index into the budget list, -1 for C&W (unbounded) */
    double eps_norm;                /* budget of the target in normalised units (0 for C&W; L2 for pgd-l2) */
    tg_robust_cell r;
} cell;

typedef struct opts {
    const char *dir, *source_path, *csv;
    const char *names[MAX_MODELS], *paths[MAX_MODELS];
    int n_models, attacks[N_ATTACKS], threats[N_THREATS];
    double eps[MAX_EPS], eps_l2_c[MAX_EPS];
    int n_eps, n_eps_l2, eps_in_c, split_all, json, threads, batch;
    int pgd_steps, restarts, apgd_steps, cw_steps, queries;
    size_t limit;
    uint64_t seed;
} opts;

/* Parses a comma-separated list of names into flags[i] for names[i]; -1 on an unknown name. */
static int parse_names(const char *s, const char *const *names, int n, int *flags)
{
    char buf[256];
    if (snprintf(buf, sizeof buf, "%s", s) >= (int)sizeof buf)
        return -1;
    memset(flags, 0, (size_t)n * sizeof *flags);
    int any = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int k = 0;
        while (k < n && strcmp(t, names[k]))
            k++;
        if (k == n)
            return -1;
        flags[k] = any = 1;
    }
    return any ? 0 : -1;
}

/* Parses a comma-separated list of positive budgets; -1 on a bad or out-of-range value. */
static int parse_eps(const char *s, double *eps, int *n)
{
    char buf[256];
    if (snprintf(buf, sizeof buf, "%s", s) >= (int)sizeof buf)
        return -1;
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == MAX_EPS || cli_parse_double(t, &eps[*n]) || !(eps[*n] > 0))
            return -1;
        (*n)++;
    }
    return *n ? 0 : -1;
}

/* Parses argv into o; returns -1 to continue, else the exit status. */
static int parse(int argc, char **argv, opts *o)
{
    enum { O_MODEL = 256, O_SOURCE, O_ATT, O_EPSC, O_EPS, O_EPSL2, O_THR, O_SPLIT, O_LIMIT, O_SEED, O_PGD, O_RST,
           O_APGD, O_CW, O_Q, O_BATCH, O_THREADS, O_JSON, O_CSV, O_HELP };
    static const struct option lo[] = {
        {"model", required_argument, 0, O_MODEL},     {"source", required_argument, 0, O_SOURCE},
        {"attacks", required_argument, 0, O_ATT},     {"eps-c", required_argument, 0, O_EPSC},
        {"eps", required_argument, 0, O_EPS},         {"eps-l2-c", required_argument, 0, O_EPSL2},
        {"threats", required_argument, 0, O_THR},
        {"split", required_argument, 0, O_SPLIT},     {"limit", required_argument, 0, O_LIMIT},
        {"seed", required_argument, 0, O_SEED},       {"pgd-steps", required_argument, 0, O_PGD},
        {"restarts", required_argument, 0, O_RST},    {"apgd-steps", required_argument, 0, O_APGD},
        {"cw-steps", required_argument, 0, O_CW},     {"queries", required_argument, 0, O_Q},
        {"batch", required_argument, 0, O_BATCH},     {"threads", required_argument, 0, O_THREADS},
        {"json", no_argument, 0, O_JSON},             {"csv", required_argument, 0, O_CSV},
        {"help", no_argument, 0, O_HELP},             {0, 0, 0, 0}};
    int c, li = -1, have_epsc = 0, have_eps = 0, limit = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, &li)) != -1) {
        const char *a = optarg;
        int bad = 0;
        switch (c) {
        case O_MODEL: {
            const char *eq = a ? strchr(a, '=') : NULL;
            if (o->n_models == MAX_MODELS)
                return cli_error("robustness", 2, "at most %d --model options", MAX_MODELS);
            if (!eq || eq == a || !eq[1] || eq - a >= 64) {
                bad = 1;
                break;
            }
            char *name = strndup(a, (size_t)(eq - a));
            if (!name)
                return cli_error("robustness", 1, "out of memory");
            o->names[o->n_models] = name;
            o->paths[o->n_models++] = eq + 1;
            break;
        }
        case O_SOURCE: o->source_path = a; break;
        case O_ATT: bad = parse_names(a, attack_names, N_ATTACKS, o->attacks); break;
        case O_THR: bad = parse_names(a, threat_names, N_THREATS, o->threats); break;
        case O_EPSC: bad = parse_eps(a, o->eps, &o->n_eps); have_epsc = 1; break;
        case O_EPS: bad = parse_eps(a, o->eps, &o->n_eps) || o->eps[0] > 1; have_eps = 1; break;
        case O_EPSL2: bad = parse_eps(a, o->eps_l2_c, &o->n_eps_l2); break;
        case O_SPLIT:
            if (!strcmp(a, "test") || !strcmp(a, "all"))
                o->split_all = !strcmp(a, "all");
            else
                bad = 1;
            break;
        case O_LIMIT: bad = cli_parse_int(a, 1, 1 << 30, &limit); o->limit = (size_t)limit; break;
        case O_SEED: bad = cli_parse_u64(a, &o->seed); break;
        case O_PGD: bad = cli_parse_int(a, 1, 100000, &o->pgd_steps); break;
        case O_RST: bad = cli_parse_int(a, 1, 1000, &o->restarts); break;
        case O_APGD: bad = cli_parse_int(a, 1, 100000, &o->apgd_steps); break;
        case O_CW: bad = cli_parse_int(a, 1, 100000, &o->cw_steps); break;
        case O_Q: bad = cli_parse_int(a, 1, 10000000, &o->queries); break;
        case O_BATCH: bad = cli_parse_int(a, 1, 4096, &o->batch); break;
        case O_THREADS: bad = cli_parse_int(a, 1, 256, &o->threads); break;
        case O_JSON: o->json = 1; break;
        case O_CSV: o->csv = a; break;
        case O_HELP: help(stdout); return 0;
        default: help(stderr); return 2;
        }
        if (bad)
            return cli_error("robustness", 2, "invalid value '%s' for --%s (see --help)", a ? a : "",
                             li >= 0 ? lo[li].name : "?");
        li = -1;
    }
    if (have_eps && have_epsc)
        return cli_error("robustness", 2, "give the budgets either in \xc2\xb0" "C (--eps-c) or normalised (--eps), not both");
    o->eps_in_c = !have_eps;
    if (o->n_eps_l2 && o->n_eps_l2 != o->n_eps)
        return cli_error("robustness", 2, "--eps-l2-c gives %d budgets for %d L-inf budgets (one per L-inf budget)",
                         o->n_eps_l2, o->n_eps);
    for (int k = 0; k < o->n_eps && have_eps; k++)
        if (o->eps[k] > 1)
            return cli_error("robustness", 2, "--eps %g: normalised budgets are fractions of the range (<= 1)", o->eps[k]);
    if (optind >= argc)
        return cli_error("robustness", 2, "the collection directory DATA_DIR is required (see --help)");
    if (optind + 1 < argc)
        return cli_error("robustness", 2, "unexpected argument '%s'", argv[optind + 1]);
    o->dir = argv[optind];
    if (o->n_models == 0)
        return cli_error("robustness", 2, "at least one --model NAME=FILE is required (see --help)");
    if (o->threats[2] && !o->attacks[4])
        fprintf(stderr, "thermoguard robustness: note: the black-box threat model uses Square, which is not selected\n");
    return -1;
}

/* The split a model was trained with: "split val V test T seed S" in its provenance (written
 * by `thermoguard train`), else train's defaults with the provenance seed. */
static void model_split(const tg_model *m, tg_split_opts *s)
{
    tg_split_opts_default(s);
    s->val_fraction = s->test_fraction = 0.15;
    s->seed = m->prov.seed;
    const char *p = strstr(m->prov.defense_settings, "split val ");
    unsigned long long seed;
    double v, t;
    if (p && sscanf(p, "split val %lf test %lf seed %llu", &v, &t, &seed) == 3) {
        s->val_fraction = v;
        s->test_fraction = t;
        s->seed = (uint64_t)seed;
    }
}

/* Attack parameters of attack index `ai` for a budget of eps (normalised units of the attacking
 * pipeline; ignored by C&W, which is unbounded). */
static tg_attack_params attack_params(const opts *o, int ai, double eps)
{
    tg_attack_params p = tg_attack_params_default(attack_kinds[ai]);
    p.seed = o->seed;
    p.norm = attack_norms[ai];
    p.loss = attack_losses[ai];
    switch (attack_kinds[ai]) {
    case TG_ATTACK_FGSM: p.eps = p.step = eps; break;
    case TG_ATTACK_PGD:
        p.eps = eps;
        p.iterations = o->pgd_steps;
        p.step = 2.5 * eps / o->pgd_steps;
        p.restarts = o->restarts;
        break;
    case TG_ATTACK_CW:
        tg_attack_params_cw_fixed(&p);
        p.iterations = o->cw_steps;
        p.eps = 0;
        break;
    case TG_ATTACK_APGD:
        p.eps = eps;
        p.iterations = o->apgd_steps;
        p.restarts = o->restarts;
        break;
    default: /* Square */
        p.eps = eps;
        p.iterations = o->queries;
        break;
    }
    return p;
}

/* Human-readable settings of attack `ai` (budget aside). */
static void attack_settings(const opts *o, int ai, char *buf, size_t size)
{
    switch (attack_kinds[ai]) {
    case TG_ATTACK_FGSM: snprintf(buf, size, "FGSM L-inf, one step of eps"); break;
    case TG_ATTACK_PGD:
        snprintf(buf, size, "PGD %s, CE, random start, %d steps of 2.5 eps/%d, %d restarts (worst case)",
                 attack_norms[ai] == TG_NORM_L2 ? "L2 (budget --eps-l2-c)" : "L-inf", o->pgd_steps, o->pgd_steps,
                 o->restarts);
        break;
    case TG_ATTACK_CW:
        snprintf(buf, size, "C&W L2 fixed-c form (c 1, %d Adam steps, lr 0.01, kappa 0), unbounded", o->cw_steps);
        break;
    case TG_ATTACK_APGD:
        snprintf(buf, size, "APGD L-inf, %s loss, %d iterations, rho 0.75, %d restarts",
                 attack_losses[ai] == TG_LOSS_MARGIN ? "margin z_y - z_other" : "CE", o->apgd_steps, o->restarts);
        break;
    default: snprintf(buf, size, "Square L-inf, margin loss, %d queries, p_init 0.8", o->queries); break;
    }
}

/* A loaded model with its pipeline and evaluation set. */
typedef struct entry {
    tg_model *m;
    tg_pipeline *p;
    tg_sample_set set;      /* the evaluated samples, preprocessed with this model's settings */
    double cpu;             /* °C per normalised unit (1 for intensity models) */
    double threshold;       /* the deployed decision: sick when P(sick) >= threshold */
    int synthetic_data;
} entry;

static void entry_free(entry *e)
{
    tg_pipeline_destroy(e->p);
    tg_sample_set_destroy(&e->set);
    tg_model_destroy(e->m);
    memset(e, 0, sizeof *e);
}

/* Loads model `path` with a pipeline for `batch` and (when `load_set`) its evaluation set:
 * the collection preprocessed with its settings, split as `split` (NULL = every sample),
 * cut to `limit` samples (0 = all). Returns 0 or prints the error and returns 1. */
static int entry_load(entry *e, const char *path, const char *dir, const tg_split_opts *split, size_t limit,
                      int batch, int load_set)
{
    if (tg_model_load(path, &e->m, NULL) != TG_OK || tg_model_pipeline(e->m, batch, &e->p) != TG_OK)
        return cli_error("robustness", 1, "%s", tg_last_error());
    e->cpu = tg_pipeline_celsius_per_unit(&e->m->pipeline);
    if (e->m->n_classes != 2 || e->m->positive_class != 1)
        return cli_error("robustness", 1, "%s: a healthy/sick model (two classes, sick = class 1) is needed", path);
    /* A threshold of exactly 0 or 1 is a constant verdict; kept just inside so the attacks'
     * logit shift stays finite (the verdict of every finite score is unchanged). */
    e->threshold = e->m->threshold < 1e-6 ? 1e-6 : e->m->threshold > 1 - 1e-6 ? 1 - 1e-6 : e->m->threshold;
    if (!load_set)
        return 0;
    tg_sample_set all = {0}, parts[3] = {{0}};
    tg_collection_report coll;
    cli_progress cp;
    cli_progress_init(&cp, "robustness", 0);
    int rc = 1;
    if (tg_collection_load(dir, &e->m->prep, &all, &coll, &cp.p) != TG_OK) {
        cli_error("robustness", 1, "%s", tg_last_error());
        goto out;
    }
    cli_progress_done(&cp, "collection loaded");
    if (coll.has_temperature != e->m->pipeline.has_temperature) {
        cli_error("robustness", 1, "%s holds %s data but model %s takes %s", dir, coll.has_temperature ? "°C" : "intensity",
                  path, e->m->pipeline.has_temperature ? "°C" : "intensity");
        goto out;
    }
    e->synthetic_data = cli_set_is_synthetic(&all);
    const tg_sample_set *src = &all;
    if (split) {
        if (tg_sample_set_split(&all, split, parts) != TG_OK) {
            cli_error("robustness", 1, "split: %s", tg_last_error());
            goto out;
        }
        src = &parts[TG_SPLIT_TEST];
    }
    size_t n = limit && limit < src->n ? limit : src->n;
    if (n == 0) {
        cli_error("robustness", 1, "%s: the %s split is empty", dir, split ? "test" : "whole");
        goto out;
    }
    size_t *idx = malloc(n * sizeof *idx);
    if (!idx) {
        cli_error("robustness", 1, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    tg_status st = tg_sample_set_subset(&e->set, src, idx, n);
    free(idx);
    if (st != TG_OK) {
        cli_error("robustness", 1, "%s", tg_last_error());
        goto out;
    }
    rc = 0;
out:
    tg_sample_set_destroy(&all);
    for (int k = 0; k < 3; k++)
        tg_sample_set_destroy(&parts[k]);
    return rc;
}

/* A cell for every selected (model, attack, threat, budget) that makes sense: black-box is
 * Square only, Square's white-box column is its black-box one (it uses no gradient), C&W
 * once (unbounded). Returns the number written to `cells` (NULL: count only). */
static int plan(const opts *o, cell *cells)
{
    int n = 0;
    for (int m = 0; m < o->n_models; m++)
        for (int a = 0; a < N_ATTACKS; a++) {
            if (!o->attacks[a])
                continue;
            for (int t = 0; t < N_THREATS; t++) {
                int square = attack_kinds[a] == TG_ATTACK_SQUARE;
                if (!o->threats[t] || (t == TG_THREAT_BLACKBOX && !square) || (t == TG_THREAT_ADAPTIVE && square))
                    continue;
                int ne = attack_kinds[a] == TG_ATTACK_CW ? 1 : o->n_eps;
                for (int e = 0; e < ne; e++) {
                    if (cells) {
                        memset(&cells[n], 0, sizeof cells[n]);
                        cells[n].model = m;
                        cells[n].attack = a;
                        cells[n].threat = t;
                        cells[n].eps = attack_kinds[a] == TG_ATTACK_CW ? -1 : e;
                    }
                    n++;
                }
            }
        }
    return n;
}

/* The cell of (model, attack, threat, budget index), NULL when not run. */
static const cell *find(const cell *cells, int n, int m, int a, int t, int e)
{
    for (int i = 0; i < n; i++)
        if (cells[i].model == m && cells[i].attack == a && cells[i].threat == t && (cells[i].eps == e || cells[i].eps < 0))
            return &cells[i];
    return NULL;
}

/* The pgd-l2 budget of index e in °C for entry t: --eps-l2-c, else eps * sqrt(values) / 4. */
static double l2_budget_c(const opts *o, const entry *t, int e)
{
    if (o->n_eps_l2)
        return o->eps_l2_c[e];
    const tg_pipeline_config *pc = &t->m->pipeline;
    double linf_c = o->eps_in_c ? o->eps[e] : o->eps[e] * t->cpu;
    return linf_c * sqrt((double)pc->in_c * pc->in_h * pc->in_w) / 4.0;
}

/* The budget of index e of attack a in °C and normalised units for entry t (C&W: "unbounded"). */
static void budget_text(const opts *o, const entry *t, int a, int e, char *buf, size_t size)
{
    if (e < 0)
        snprintf(buf, size, "unbounded");
    else if (attack_norms[a] == TG_NORM_L2)
        snprintf(buf, size, "L2 %.4g \xc2\xb0" "C = %.5g", l2_budget_c(o, t, e), l2_budget_c(o, t, e) / t->cpu);
    else if (o->eps_in_c)
        snprintf(buf, size, "%g \xc2\xb0" "C = %.5g", o->eps[e], o->eps[e] / t->cpu);
    else if (t->m->pipeline.has_temperature)
        snprintf(buf, size, "%.4g \xc2\xb0" "C = %g", o->eps[e] * t->cpu, o->eps[e]);
    else
        snprintf(buf, size, "%g (normalised)", o->eps[e]);
}

static void print_text(const opts *o, const entry *ent, const entry *src, const tg_split_opts *split,
                       const cell *cells, int n, int synthetic)
{
    FILE *f = stdout;
    const char *syn = synthetic ? " [" SYNTHETIC_NOTE "]" : "";
    char buf[256];
    fprintf(f, "thermoguard robustness%s\n", syn);
    if (o->split_all)
        fprintf(f, "data: %s, every sample: %zu breasts%s\n", o->dir, ent[0].set.n, synthetic ? " [synthetic]" : "");
    else
        fprintf(f, "data: %s, held-out test patients (split val %g test %g seed %llu, as trained): %zu breasts%s\n",
                o->dir, split->val_fraction, split->test_fraction, (unsigned long long)split->seed, ent[0].set.n,
                synthetic ? " [synthetic]" : "");
    fprintf(f, "transfer source: %s (%s, defense %s, denoise %s)\n", o->source_path ? o->source_path : o->paths[0],
            src->m->name, src->m->prov.defense, src->m->pipeline.denoise_on ? "on" : "off");
    fprintf(f, "models:\n");
    for (int m = 0; m < o->n_models; m++)
        fprintf(f, "  %-14s %s: defense %s, denoise %s, threshold %.4g, %.4g \xc2\xb0" "C per unit, detector %s%s\n",
                o->names[m], o->paths[m], ent[m].m->prov.defense, ent[m].m->pipeline.denoise_on ? "on" : "off",
                ent[m].m->threshold, ent[m].cpu, ent[m].m->detector.calibrated ? "calibrated" : "none",
                ent[m].m->synthetic ? " [synthetic model]" : "");
    fprintf(f, "attacks (untargeted, seed %llu):\n", (unsigned long long)o->seed);
    for (int a = 0; a < N_ATTACKS; a++)
        if (o->attacks[a]) {
            attack_settings(o, a, buf, sizeof buf);
            fprintf(f, "  %-11s %s\n", attack_names[a], buf);
        }
    fprintf(f, "verdict: sick when P(sick) >= the model's calibrated threshold (as eval and the node decide)\n");
    fprintf(f, "columns: T = transfer from the source, A = adaptive white-box, B = black-box (Square); - = n/a\n");
    for (int e = 0; e < o->n_eps; e++) {
        budget_text(o, &ent[0], 0, e, buf, sizeof buf);
        fprintf(f, "\naccuracy at eps %s (L-inf; normalised = fraction of t_max - t_min)", buf);
        if (o->attacks[2]) {
            budget_text(o, &ent[0], 2, e, buf, sizeof buf);
            fprintf(f, "; pgd-l2 at %s", buf);
        }
        fprintf(f, "%s\n", syn);
        fprintf(f, "  %-14s %6s", "model", "clean");
        for (int a = 0; a < N_ATTACKS; a++)
            if (o->attacks[a])
                fprintf(f, " | %-11s %5s %5s %5s", attack_names[a], "T", "A", "B");
        fputc('\n', f);
        for (int m = 0; m < o->n_models; m++) {
            const cell *any = NULL;
            for (int i = 0; i < n && !any; i++)
                any = cells[i].model == m ? &cells[i] : NULL;
            fprintf(f, "  %-14s %6.3f", o->names[m], any ? any->r.clean_acc : NAN);
            for (int a = 0; a < N_ATTACKS; a++) {
                if (!o->attacks[a])
                    continue;
                fprintf(f, " | %-11s", "");
                for (int t = 0; t < N_THREATS; t++) {
                    const cell *c = find(cells, n, m, a, t, e);
                    if (c)
                        fprintf(f, " %5.3f", c->r.robust_acc);
                    else
                        fprintf(f, " %5s", "-");
                }
            }
            fputc('\n', f);
        }
    }
    fprintf(f, "\naccuracy vs budget (robust accuracy per eps, in the order given)%s\n", syn);
    for (int m = 0; m < o->n_models; m++)
        for (int i = 0; i < n; i++) {
            const cell *c = &cells[i];
            if (c->model != m || c->eps > 0 || attack_kinds[c->attack] == TG_ATTACK_CW)
                continue;
            fprintf(f, "  %-14s %-11s %-9s", o->names[m], attack_names[c->attack], threat_names[c->threat]);
            for (int e = 0; e < o->n_eps; e++)
                fprintf(f, " %6.3f", find(cells, n, m, c->attack, c->threat, e)->r.robust_acc);
            fputc('\n', f);
        }
    fprintf(f, "\ncells: success = flips / clean-correct; perturbation medians over the flips, \xc2\xb0" "C; detector "
               "TPR over flips, FPR over clean inputs\n");
    fprintf(f, "  %-14s %-11s %-9s %-24s %6s %6s %7s %9s %9s %6s %6s %8s\n", "model", "attack", "threat", "eps",
            "clean", "robust", "success", "med Linf", "med L2", "TPR", "FPR", "seconds");
    for (int i = 0; i < n; i++) {
        const cell *c = &cells[i];
        budget_text(o, &ent[c->model], c->attack, c->eps, buf, sizeof buf);
        fprintf(f, "  %-14s %-11s %-9s %-24s %6.3f %6.3f %7.3f %9.4f %9.4f %6.3f %6.3f %8.2f\n", o->names[c->model],
                attack_names[c->attack], threat_names[c->threat], buf, c->r.clean_acc, c->r.robust_acc,
                c->r.success_rate, c->r.median_linf_c, c->r.median_l2_c, c->r.detector_tpr, c->r.detector_fpr,
                c->r.seconds);
    }
    if (synthetic)
        fprintf(f, "note: synthetic \xe2\x80\x94 not for clinical use\n");
}

static void json_cell(FILE *f, const opts *o, const entry *ent, const cell *c)
{
    const tg_robust_cell *r = &c->r;
    fputs("{\"model\": ", f);
    cli_json_str(f, o->names[c->model]);
    fprintf(f, ", \"attack\": \"%s\", \"threat\": \"%s\", \"norm\": \"%s\", \"eps\": ", attack_names[c->attack],
            threat_names[c->threat], attack_norms[c->attack] == TG_NORM_L2 ? "l2" : "linf");
    if (c->eps < 0)
        fputs("null, \"eps_c\": null", f);
    else {
        cli_json_num(f, c->eps_norm);
        fputs(", \"eps_c\": ", f);
        cli_json_num(f, ent[c->model].m->pipeline.has_temperature ? c->eps_norm * ent[c->model].cpu : NAN);
    }
    fprintf(f, ", \"n\": %zu, \"clean_correct\": %zu, \"robust_correct\": %zu, \"flipped\": %zu", r->n,
            r->clean_correct, r->robust_correct, r->flipped);
    const char *k[] = {"clean_acc", "robust_acc", "success_rate", "median_linf_c", "median_l2_c", "detector_tpr",
                       "detector_fpr", "seconds"};
    const double v[] = {r->clean_acc,    r->robust_acc,   r->success_rate, r->median_linf_c,
                        r->median_l2_c,  r->detector_tpr, r->detector_fpr, r->seconds};
    for (int i = 0; i < 8; i++) {
        fprintf(f, ", \"%s\": ", k[i]);
        cli_json_num(f, v[i]);
    }
    fprintf(f, ", \"grad_evals\": %ld, \"queries\": %ld}", r->grad_evals, r->queries);
}

static void print_json(const opts *o, const entry *ent, const entry *src, const tg_split_opts *split,
                       const cell *cells, int n, int synthetic)
{
    FILE *f = stdout;
    char buf[256];
    fprintf(f, "{\"command\": \"robustness\", \"synthetic\": %s, \"note\": ", synthetic ? "true" : "false");
    cli_json_str(f, synthetic ? SYNTHETIC_NOTE : "research use only");
    fputs(", \"data\": ", f);
    cli_json_str(f, o->dir);
    fprintf(f, ", \"split\": {\"kind\": \"%s\", \"val\": ", o->split_all ? "all" : "test");
    cli_json_num(f, split->val_fraction);
    fputs(", \"test\": ", f);
    cli_json_num(f, split->test_fraction);
    fprintf(f, ", \"seed\": %llu, \"n\": %zu}, \"budget_unit\": \"%s\", \"budgets\": [",
            (unsigned long long)split->seed, ent[0].set.n, o->eps_in_c ? "celsius" : "normalised");
    for (int e = 0; e < o->n_eps; e++) {
        fputs(e ? ", " : "", f);
        cli_json_num(f, o->eps[e]);
    }
    fputs("], \"source\": {\"file\": ", f);
    cli_json_str(f, o->source_path ? o->source_path : o->paths[0]);
    fputs(", \"defense\": ", f);
    cli_json_str(f, src->m->prov.defense);
    fprintf(f, ", \"denoise\": %s}, \"models\": [", src->m->pipeline.denoise_on ? "true" : "false");
    for (int m = 0; m < o->n_models; m++) {
        const tg_model *md = ent[m].m;
        fputs(m ? ", {\"name\": " : "{\"name\": ", f);
        cli_json_str(f, o->names[m]);
        fputs(", \"file\": ", f);
        cli_json_str(f, o->paths[m]);
        fputs(", \"sha256\": ", f);
        cli_json_str(f, md->sha256_hex);
        fputs(", \"defense\": ", f);
        cli_json_str(f, md->prov.defense);
        fprintf(f, ", \"denoise\": %s, \"synthetic\": %s, \"celsius_per_unit\": ", md->pipeline.denoise_on ? "true" : "false",
                md->synthetic ? "true" : "false");
        cli_json_num(f, md->pipeline.has_temperature ? ent[m].cpu : NAN);
        fputs(", \"threshold\": ", f);
        cli_json_num(f, md->threshold);
        fprintf(f, ", \"detector\": %s}", md->detector.calibrated ? "true" : "false");
    }
    fputs("], \"attacks\": [", f);
    for (int a = 0, first = 1; a < N_ATTACKS; a++)
        if (o->attacks[a]) {
            attack_settings(o, a, buf, sizeof buf);
            fprintf(f, "%s{\"name\": \"%s\", \"settings\": ", first ? "" : ", ", attack_names[a]);
            cli_json_str(f, buf);
            fputc('}', f);
            first = 0;
        }
    fputs("], \"cells\": [", f);
    for (int i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        json_cell(f, o, ent, &cells[i]);
    }
    fputs("]}\n", f);
}

/* One CSV row per cell; 0 on success. */
static int write_csv(const opts *o, const entry *ent, const cell *cells, int n, int synthetic)
{
    FILE *f = fopen(o->csv, "w");
    if (!f)
        return -1;
    fprintf(f, "model,defense,attack,threat,norm,eps,eps_c,n,clean_correct,robust_correct,flipped,clean_acc,robust_acc,"
               "success_rate,median_linf_c,median_l2_c,detector_tpr,detector_fpr,seconds,grad_evals,queries,synthetic\n");
    for (int i = 0; i < n; i++) {
        const cell *c = &cells[i];
        const tg_robust_cell *r = &c->r;
        const entry *t = &ent[c->model];
        char eps[32] = "", eps_c[32] = "";
        if (c->eps >= 0) {
            snprintf(eps, sizeof eps, "%.9g", c->eps_norm);
            if (t->m->pipeline.has_temperature)
                snprintf(eps_c, sizeof eps_c, "%.9g", c->eps_norm * t->cpu);
        }
        fprintf(f, "%s,%s,%s,%s,%s,%s,%s,%zu,%zu,%zu,%zu,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.6f,%ld,%ld,%d\n",
                o->names[c->model], t->m->prov.defense, attack_names[c->attack], threat_names[c->threat],
                attack_norms[c->attack] == TG_NORM_L2 ? "l2" : "linf", eps, eps_c,
                r->n, r->clean_correct, r->robust_correct, r->flipped, r->clean_acc, r->robust_acc, r->success_rate,
                r->median_linf_c, r->median_l2_c, r->detector_tpr, r->detector_fpr, r->seconds, r->grad_evals,
                r->queries, synthetic);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Runs every cell; returns the exit status. */
static int run(opts *o)
{
    int rc = 1, n_cells = plan(o, NULL);
    entry ent[MAX_MODELS], src;
    memset(ent, 0, sizeof ent);
    memset(&src, 0, sizeof src);
    cell *cells = calloc((size_t)n_cells + 1, sizeof *cells);
    if (!cells)
        return cli_error("robustness", 1, "out of memory");
    plan(o, cells);
    if (o->threads > 0)
        openblas_set_num_threads(o->threads);

    tg_split_opts split;
    tg_split_opts_default(&split);
    for (int m = 0; m < o->n_models; m++) {
        tg_split_opts s;
        if (entry_load(&ent[m], o->paths[m], o->dir, NULL, 0, o->batch, 0))
            goto out;
        model_split(ent[m].m, &s);
        if (m == 0)
            split = s;
        else if (!o->split_all && (s.seed != split.seed || s.val_fraction != split.val_fraction ||
                                   s.test_fraction != split.test_fraction)) {
            cli_error("robustness", 1, "models %s and %s were trained on different patient splits: their test sets "
                      "differ (retrain with the same --seed/--val/--test, or use --split all)", o->names[0], o->names[m]);
            goto out;
        }
        if (o->eps_in_c && !ent[m].m->pipeline.has_temperature) {
            rc = cli_error("robustness", 2, "model %s has no temperature scale: give budgets with --eps, not --eps-c",
                           o->names[m]);
            goto out;
        }
    }
    for (int m = 0; m < o->n_models; m++) {
        tg_pipeline_destroy(ent[m].p);
        tg_model_destroy(ent[m].m);
        memset(&ent[m], 0, sizeof ent[m]);
        if (entry_load(&ent[m], o->paths[m], o->dir, o->split_all ? NULL : &split, o->limit, o->batch, 1))
            goto out;
    }
    if (entry_load(&src, o->source_path ? o->source_path : o->paths[0], o->dir, NULL, 0, o->batch, 0))
        goto out;
    if (src.m->pipeline.denoise_on || strcmp(src.m->prov.defense, "none"))
        fprintf(stderr, "thermoguard robustness: warning: the transfer source is not undefended (denoise %s, defense %s)\n",
                src.m->pipeline.denoise_on ? "on" : "off", src.m->prov.defense);

    cli_progress cp;
    cli_progress_init(&cp, "robustness", 0);
    for (int i = 0; i < n_cells; i++) {
        cell *c = &cells[i];
        entry *t = &ent[c->model];
        double eps_t = c->eps < 0                              ? 0
                       : attack_norms[c->attack] == TG_NORM_L2 ? l2_budget_c(o, t, c->eps) / t->cpu
                       : o->eps_in_c                           ? o->eps[c->eps] / t->cpu
                                                               : o->eps[c->eps];
        double cpu_a = c->threat == TG_THREAT_TRANSFER ? src.cpu : t->cpu;
        c->eps_norm = eps_t;
        /* The same budget in °C on the attacking pipeline's scale. */
        tg_attack_params ap = attack_params(o, c->attack, eps_t * t->cpu / cpu_a);
        const tg_detector *det = t->m->detector.calibrated ? &t->m->detector : NULL;
        fprintf(stderr, "thermoguard robustness: [%d/%d] %s %s %s eps %.4g\n", i + 1, n_cells, o->names[c->model],
                attack_names[c->attack], threat_names[c->threat], eps_t);
        if (tg_robustness_run(t->p, t->threshold, src.p, src.threshold, det, &t->set, &ap, (tg_threat)c->threat,
                              o->batch, &c->r, &cp.p) != TG_OK) {
            cli_error("robustness", 1, "%s, %s, %s: %s", o->names[c->model], attack_names[c->attack],
                      threat_names[c->threat], tg_last_error());
            goto out;
        }
    }
    cli_progress_done(&cp, "attacks done");
    int synthetic = 0;
    for (int m = 0; m < o->n_models; m++)
        synthetic |= ent[m].m->synthetic || ent[m].synthetic_data;
    if (o->csv && write_csv(o, ent, cells, n_cells, synthetic) != 0) {
        cli_error("robustness", 1, "cannot write %s", o->csv);
        goto out;
    }
    if (o->json)
        print_json(o, ent, &src, &split, cells, n_cells, synthetic);
    else
        print_text(o, ent, &src, &split, cells, n_cells, synthetic);
    rc = 0;
out:
    for (int m = 0; m < o->n_models; m++)
        entry_free(&ent[m]);
    entry_free(&src);
    free(cells);
    return rc;
}

int cmd_robustness(int argc, char **argv)
{
    opts o;
    memset(&o, 0, sizeof o);
    for (int k = 0; k < N_ATTACKS; k++)
        o.attacks[k] = 1;
    for (int k = 0; k < N_THREATS; k++)
        o.threats[k] = 1;
    o.eps[0] = 0.05;
    o.eps[1] = 0.1;
    o.eps[2] = 0.2;
    o.n_eps = 3;
    o.seed = 1;
    o.batch = 32;
    o.pgd_steps = 20;
    o.restarts = 2;
    o.apgd_steps = 100;
    o.cw_steps = 100;
    o.queries = 1000;
    int rc = parse(argc, argv, &o);
    if (rc < 0)
        rc = run(&o);
    for (int m = 0; m < o.n_models; m++)
        free((void *)o.names[m]);
    return rc;
}
