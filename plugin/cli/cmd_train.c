/* `thermoguard train`: loads a views.csv collection (the node's preprocessing), splits it by
 * patient, trains the WBAD pipeline's network, calibrates the adversarial-input detector and
 * the decision threshold on the validation split, evaluates on the test split and writes the
 * model file with its provenance.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <cblas.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "defense_opts.h"
#include "thermoguard/collection.h"
#include "thermoguard/thermoguard.h"

/* For the default 2 x 64 x 64 grid with haar level-1 features: 8 x 32 x 32 into the network. */
#define DEFAULT_SPEC "conv(16,3,1,1)-bn-relu-maxpool(2)-conv(32,3,1,1)-bn-relu-maxpool(2)-conv(32,3,1,1)-bn-relu-gap-dense(2)"
#define SYNTHETIC_NOTE "synthetic \xe2\x80\x94 not for clinical use"

static void help(FILE *out)
{
    fprintf(out,
            "usage: thermoguard train DIR --out MODEL.tgm [options]\n"
            "\n"
            "Trains a healthy/sick breast classifier on the collection DIR/views.csv (see\n"
            "'thermoguard synth'), split by patient into training, validation and test sets.\n"
            "Research use only.\n"
            "\n"
            "data and split:\n"
            "  --out FILE            model file to write (required)\n"
            "  --val F, --test F     fractions of patients for validation / test (default 0.15 each)\n"
            "  --seed S              split, initialisation, shuffling, augmentation (default 1)\n"
            "  --grid N              model grid N x N (default 64)\n"
            "  --synthetic           mark the model synthetic (automatic for SYN-* phantom patients)\n"
            "model:\n"
            "  --name NAME           model name (default 'thermoguard-model'; synthetic data: a\n"
            "                        'synthetic - not for clinical use' suffix is added)\n"
            "  --spec SPEC           network (default " DEFAULT_SPEC ")\n"
            "  --init MODEL.tgm      start from this model's weights and BN statistics (same network\n"
            "                        spec and grid; e.g. adversarial training warm-started from the\n"
            "                        undefended model) instead of a random initialisation\n"
            "  --denoise on|off      wavelet denoising stage (default on)\n"
            "  --wavelet W           denoising wavelet (default db1)\n"
            "  --feat-wavelet W      feature DWT wavelet (default haar)\n"
            "  --feat-level K        feature DWT level (default 1)\n"
            "  --t-min C, --t-max C  fixed normalisation range (default 20..40 for °C data, 0..1 for intensity)\n"
            "training:\n"
            "  --epochs N (30)  --batch N (32)  --lr X (1e-3)  --optim sgd|adam (adam)\n"
            "  --weight-decay X (0)  --schedule constant|step|cosine (cosine)  --augment on|off (on)\n"
            "  --patience N (8; 0 = no early stopping)  --class-weights balanced|none (balanced)\n"
            "  --keep best|last      weights kept: the best validation-loss epoch (default) or the last\n"
            "                        (adversarial training: the best clean epoch lies inside a budget ramp)\n"
            "  --threads N           OpenBLAS threads (use 1 for bit-reproducible runs)\n"
            "calibration and output:\n"
            "  --detector-fpr F      detector false-positive rate on validation (default 0.05)\n"
            "  --threshold T         decision threshold (default 0.5)\n"
            "  --threshold-from-val  use the Youden-optimal threshold on the validation set\n"
            "  --created TEXT        provenance date (default: now, UTC ISO 8601)\n"
            "  --notes TEXT          provenance notes\n"
            "  --defense SPEC        adversarial training: pgd-at, mpadvt, mart, trades [:key=value,...]\n"
            "                        (e.g. pgd-at:eps=0.02,dual-bn; see below)\n"
            "  --json                machine-readable summary on stdout\n"
            "  --help                this text\n");
}

typedef struct train_opts {
    const char *dir, *out, *name, *spec, *created, *notes, *init;
    tg_split_opts split;
    int grid, synthetic_flag, denoise, feat_level, threads, json, thr_from_val;
    const char *wavelet, *feat_wavelet;
    double t_min, t_max, detector_fpr, threshold;
    int have_tmin, have_tmax;
    tg_train_params tp;
    const char *defense;      /* --defense text, NULL = standard training */
} train_opts;

/* Attaches the adversarial-training defense named by --defense (WBAD stage 2) to the training
 * parameters and describes it for the provenance; "none" without one. Returns NULL (after an
 * error message) when the defense cannot be attached. */
static const char *attach_defense(train_opts *o, const tg_pipeline_config *cfg, tg_defense_state **state,
                                  char *settings, size_t size)
{
    *state = NULL;
    if (!o->defense) {
        snprintf(settings, size, "standard training");
        return "none";
    }
    tg_defense_params d;
    if (cli_parse_defense(o->defense, &d) != 0)
        return NULL;
    if (tg_defense_attach(&d, &o->tp, state) != TG_OK) {
        cli_error("train", 1, "--defense: %s", tg_last_error());
        return NULL;
    }
    tg_defense_describe(&d, cfg, settings, size);
    return tg_defense_name(d.kind);
}

/* --init: copies the weights and BN statistics of the model at `path` into m (same network spec
 * and input grid). 0, or the exit status after a clear error. */
static int warm_start(tg_model *m, const char *path, char sha[TG_SHA256_HEX_CHARS])
{
    tg_model *src = NULL;
    if (tg_model_load(path, &src, NULL) != TG_OK)
        return cli_error("train", 1, "--init %s: %s", path, tg_last_error());
    const tg_net *a = m->net, *b = src->net;
    int rc = 0;
    if (strcmp(a->spec, b->spec) || a->in_c != b->in_c || a->in_h != b->in_h || a->in_w != b->in_w ||
        a->n_params != b->n_params || a->n_stats != b->n_stats)
        rc = cli_error("train", 2, "--init %s: its network (%s on %d x %d x %d) differs from this one (%s on %d x %d x %d)",
                       path, b->spec, b->in_c, b->in_h, b->in_w, a->spec, a->in_c, a->in_h, a->in_w);
    else if (src->pipeline.in_c != m->pipeline.in_c || src->pipeline.in_h != m->pipeline.in_h ||
             src->pipeline.in_w != m->pipeline.in_w)
        rc = cli_error("train", 2, "--init %s: its input grid differs from this training set's", path);
    else {
        memcpy(a->params, b->params, a->n_params * sizeof *a->params);
        memcpy(a->stats, b->stats, a->n_stats * sizeof *a->stats);
        fprintf(stderr, "thermoguard train: weights and BN statistics from %s (sha256 %s)\n", path, src->sha256_hex);
        snprintf(sha, TG_SHA256_HEX_CHARS, "%s", src->sha256_hex);
    }
    tg_model_destroy(src);
    return rc;
}

static int on_off(const char *s, int *v)
{
    if (!strcmp(s, "on"))
        *v = 1;
    else if (!strcmp(s, "off"))
        *v = 0;
    else
        return -1;
    return 0;
}

/* Parses argv into o; returns -1 to continue, else the exit status. */
static int parse(int argc, char **argv, train_opts *o)
{
    enum { O_VAL = 256, O_TEST, O_SEED, O_GRID, O_SYN, O_NAME, O_SPEC, O_DEN, O_WAV, O_FWAV, O_FLEV, O_TMIN,
           O_TMAX, O_EPOCHS, O_BATCH, O_LR, O_OPTIM, O_WD, O_SCHED, O_AUG, O_PAT, O_CW, O_THREADS, O_DFPR,
           O_THR, O_THRVAL, O_CREATED, O_NOTES, O_JSON, O_OUT, O_DEFENSE, O_INIT, O_KEEP, O_HELP };
    static const struct option opts[] = {
        {"out", required_argument, 0, O_OUT},         {"val", required_argument, 0, O_VAL},
        {"test", required_argument, 0, O_TEST},       {"seed", required_argument, 0, O_SEED},
        {"grid", required_argument, 0, O_GRID},       {"synthetic", no_argument, 0, O_SYN},
        {"name", required_argument, 0, O_NAME},       {"spec", required_argument, 0, O_SPEC},
        {"denoise", required_argument, 0, O_DEN},     {"wavelet", required_argument, 0, O_WAV},
        {"feat-wavelet", required_argument, 0, O_FWAV}, {"feat-level", required_argument, 0, O_FLEV},
        {"t-min", required_argument, 0, O_TMIN},      {"t-max", required_argument, 0, O_TMAX},
        {"epochs", required_argument, 0, O_EPOCHS},   {"batch", required_argument, 0, O_BATCH},
        {"lr", required_argument, 0, O_LR},           {"optim", required_argument, 0, O_OPTIM},
        {"weight-decay", required_argument, 0, O_WD}, {"schedule", required_argument, 0, O_SCHED},
        {"augment", required_argument, 0, O_AUG},     {"patience", required_argument, 0, O_PAT},
        {"class-weights", required_argument, 0, O_CW}, {"threads", required_argument, 0, O_THREADS},
        {"detector-fpr", required_argument, 0, O_DFPR}, {"threshold", required_argument, 0, O_THR},
        {"threshold-from-val", no_argument, 0, O_THRVAL}, {"init", required_argument, 0, O_INIT},
        {"keep", required_argument, 0, O_KEEP}, {"created", required_argument, 0, O_CREATED},
        {"defense", required_argument, 0, O_DEFENSE}, {"notes", required_argument, 0, O_NOTES},     {"json", no_argument, 0, O_JSON},
        {"help", no_argument, 0, O_HELP},             {0, 0, 0, 0}};
    int c, li = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, &li)) != -1) {
        const char *a = optarg;
        int bad = 0;
        tg_train_params *t = &o->tp;
        switch (c) {
        case O_OUT: o->out = a; break;
        case O_VAL: bad = cli_parse_double(a, &o->split.val_fraction); break;
        case O_TEST: bad = cli_parse_double(a, &o->split.test_fraction); break;
        case O_SEED: bad = cli_parse_u64(a, &o->split.seed); break;
        case O_GRID: bad = cli_parse_int(a, 8, TG_PREPROCESS_MAX_GRID, &o->grid); break;
        case O_SYN: o->synthetic_flag = 1; break;
        case O_NAME: o->name = a; break;
        case O_SPEC: o->spec = a; break;
        case O_DEN: bad = on_off(a, &o->denoise); break;
        case O_WAV: o->wavelet = a; break;
        case O_FWAV: o->feat_wavelet = a; break;
        case O_FLEV: bad = cli_parse_int(a, 1, TG_DWT_MAX_LEVELS, &o->feat_level); break;
        case O_TMIN: bad = cli_parse_double(a, &o->t_min), o->have_tmin = 1; break;
        case O_TMAX: bad = cli_parse_double(a, &o->t_max), o->have_tmax = 1; break;
        case O_EPOCHS: bad = cli_parse_int(a, 1, TG_TRAIN_MAX_EPOCHS, &t->epochs); break;
        case O_BATCH: bad = cli_parse_int(a, 1, 4096, &t->batch_size); break;
        case O_LR: bad = cli_parse_double(a, &t->lr.lr) || !(t->lr.lr > 0); break;
        case O_OPTIM:
            if (!strcmp(a, "sgd"))
                t->optim.kind = TG_OPTIM_SGD;
            else if (!strcmp(a, "adam"))
                t->optim.kind = TG_OPTIM_ADAM;
            else
                bad = 1;
            break;
        case O_WD: bad = cli_parse_double(a, &t->optim.weight_decay) || t->optim.weight_decay < 0; break;
        case O_SCHED:
            if (!strcmp(a, "constant"))
                t->lr.kind = TG_LR_CONSTANT;
            else if (!strcmp(a, "step"))
                t->lr.kind = TG_LR_STEP;
            else if (!strcmp(a, "cosine"))
                t->lr.kind = TG_LR_COSINE;
            else
                bad = 1;
            break;
        case O_AUG: bad = on_off(a, &t->augment_on); break;
        case O_PAT: bad = cli_parse_int(a, 0, TG_TRAIN_MAX_EPOCHS, &t->patience); break;
        case O_CW:
            if (!strcmp(a, "balanced"))
                t->weighting = TG_CLASS_WEIGHT_BALANCED;
            else if (!strcmp(a, "none"))
                t->weighting = TG_CLASS_WEIGHT_NONE;
            else
                bad = 1;
            break;
        case O_THREADS: bad = cli_parse_int(a, 1, 256, &o->threads); break;
        case O_DFPR: bad = cli_parse_double(a, &o->detector_fpr) || !(o->detector_fpr > 0 && o->detector_fpr < 1); break;
        case O_THR: bad = cli_parse_double(a, &o->threshold) || !(o->threshold >= 0 && o->threshold <= 1); break;
        case O_THRVAL: o->thr_from_val = 1; break;
        case O_CREATED: o->created = a; break;
        case O_NOTES: o->notes = a; break;
        case O_DEFENSE: o->defense = a; break;
        case O_INIT: o->init = a; break;
        case O_KEEP:
            if (!strcmp(a, "best"))
                t->monitor = TG_MONITOR_VAL_LOSS;
            else if (!strcmp(a, "last"))
                t->monitor = TG_MONITOR_LAST;
            else
                bad = 1;
            break;
        case O_JSON: o->json = 1; break;
        case O_HELP: help(stdout); return 0;
        default: help(stderr); return 2;
        }
        if (bad)
            return cli_error("train", 2, "invalid value '%s' for --%s (see --help)", a, li >= 0 ? opts[li].name : "?");
        li = -1;
    }
    if (optind >= argc)
        return cli_error("train", 2, "the collection directory DIR is required (see --help)");
    if (optind + 1 < argc)
        return cli_error("train", 2, "unexpected argument '%s'", argv[optind + 1]);
    o->dir = argv[optind];
    if (!o->out)
        return cli_error("train", 2, "--out MODEL.tgm is required (see --help)");
    if (o->split.val_fraction < 0 || o->split.test_fraction < 0 || o->split.val_fraction + o->split.test_fraction >= 1)
        return cli_error("train", 2, "--val and --test must be >= 0 and leave patients for training");
    return -1;
}

/* The threshold maximising Youden's J = sensitivity + specificity - 1 over the validation
 * scores (midpoint between neighbouring distinct scores); 0.5 without both classes. */
static double youden_threshold(const tg_sample_set *val, const float *scores)
{
    size_t n = val->n, pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += (size_t)val->labels[i];
    if (pos == 0 || pos == n)
        return 0.5;
    double best_j = -2.0, best_t = 0.5;
    for (size_t i = 0; i < n; i++) {
        double t = scores[i]; /* predict sick when score >= t */
        size_t tp = 0, tn = 0;
        for (size_t k = 0; k < n; k++) {
            int pred = scores[k] >= t;
            tp += pred && val->labels[k];
            tn += !pred && !val->labels[k];
        }
        double j = (double)tp / (double)pos + (double)tn / (double)(n - pos) - 1.0;
        if (j > best_j || (j == best_j && fabs(t - 0.5) < fabs(best_t - 0.5))) {
            best_j = j;
            best_t = t;
        }
    }
    /* Lower the cut to halfway to the next smaller score, so a slightly lower score still counts. */
    double below = 0.0;
    for (size_t i = 0; i < n; i++)
        if (scores[i] < best_t && scores[i] > below)
            below = scores[i];
    return 0.5 * (best_t + below);
}

/* Everything train() produces, for the text and JSON summaries. */
typedef struct summary {
    tg_collection_report coll;
    size_t n_split[3], p_split[3];
    tg_train_report rep;
    double seconds, detector_achieved;
    int detector_ok, has_test;
    tg_eval_report test;
    char defense[64];
} summary;

static size_t count_patients(const tg_sample_set *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(s->patient[i], s->patient[j]);
        k += !seen;
    }
    return k;
}

static void print_json(const train_opts *o, const tg_model *m, const summary *s)
{
    FILE *f = stdout;
    fputs("{\"command\": \"train\", \"synthetic\": ", f);
    fputs(m->synthetic ? "true" : "false", f);
    fputs(", \"model\": {\"file\": ", f);
    cli_json_str(f, o->out);
    fputs(", \"name\": ", f);
    cli_json_str(f, m->name);
    fputs(", \"sha256\": ", f);
    cli_json_str(f, m->sha256_hex);
    fputs(", \"spec\": ", f);
    cli_json_str(f, m->net->spec);
    fprintf(f, ", \"parameters\": %zu, \"threshold\": ", m->net->n_params);
    cli_json_num(f, m->threshold);
    fputs(", \"defense\": ", f);
    cli_json_str(f, m->prov.defense);
    fputs(", \"defense_settings\": ", f);
    cli_json_str(f, m->prov.defense_settings);
    fputs(", \"data_sha256\": ", f);
    cli_json_str(f, m->prov.data_sha256);
    fprintf(f, ", \"seed\": %llu}, \"data\": {\"dir\": ", (unsigned long long)m->prov.seed);
    cli_json_str(f, o->dir);
    fprintf(f, ", \"views\": %zu, \"breasts\": %zu, \"patients\": %zu, \"has_temperature\": %s}",
            s->coll.views, s->coll.breasts, s->coll.patients, s->coll.has_temperature ? "true" : "false");
    fprintf(f, ", \"split\": {\"train\": {\"breasts\": %zu, \"patients\": %zu}, \"val\": {\"breasts\": %zu, "
               "\"patients\": %zu}, \"test\": {\"breasts\": %zu, \"patients\": %zu}}",
            s->n_split[0], s->p_split[0], s->n_split[1], s->p_split[1], s->n_split[2], s->p_split[2]);
    fputs(", \"epochs\": [", f);
    for (int e = 0; e < s->rep.epochs_run; e++) {
        const tg_epoch_stats *x = &s->rep.epoch[e];
        fprintf(f, "%s{\"epoch\": %d, \"lr\": ", e ? ", " : "", e + 1);
        cli_json_num(f, x->lr);
        fputs(", \"train_loss\": ", f);
        cli_json_num(f, x->train_loss);
        fputs(", \"train_acc\": ", f);
        cli_json_num(f, x->train_acc);
        fputs(", \"val_loss\": ", f);
        cli_json_num(f, x->val_loss);
        fputs(", \"val_acc\": ", f);
        cli_json_num(f, x->val_acc);
        fputs(", \"val_auc\": ", f);
        cli_json_num(f, x->val_auc);
        fputc('}', f);
    }
    fprintf(f, "], \"best_epoch\": %d, \"stopped_early\": %s, \"seconds\": ", s->rep.best_epoch + 1,
            s->rep.stopped_early ? "true" : "false");
    cli_json_num(f, s->seconds);
    fprintf(f, ", \"detector\": {\"calibrated\": %s, \"threshold\": ", m->detector.calibrated ? "true" : "false");
    cli_json_num(f, m->detector.threshold);
    fputs(", \"target_fpr\": ", f);
    cli_json_num(f, m->detector.target_fpr);
    fputs(", \"achieved_fpr\": ", f);
    cli_json_num(f, s->detector_ok ? s->detector_achieved : NAN);
    fputs("}, \"test\": ", f);
    if (s->has_test) {
        fputs("{\"breast\": ", f);
        cli_json_metrics(f, &s->test.breast);
        fputs(", \"patient\": ", f);
        cli_json_metrics(f, &s->test.patient);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fputs("}\n", f);
}

static void print_text(const train_opts *o, const tg_model *m, const summary *s)
{
    FILE *f = o->json ? stderr : stdout;
    const char *syn = m->synthetic ? " [SYNTHETIC \xe2\x80\x94 not for clinical use]" : "";
    fprintf(f, "epoch      lr  train_loss  train_acc  val_loss  val_acc  val_auc\n");
    for (int e = 0; e < s->rep.epochs_run; e++) {
        const tg_epoch_stats *x = &s->rep.epoch[e];
        fprintf(f, "%5d  %.1e  %10.4f  %9.3f  %8.4f  %7.3f  %7.3f%s\n", e + 1, x->lr, x->train_loss, x->train_acc,
                x->val_loss, x->val_acc, x->val_auc, e == s->rep.best_epoch ? "  *best" : "");
    }
    fprintf(f, "defense: %s\n", m->prov.defense);
    fprintf(f, "decision threshold: %.4f%s\n", m->threshold, o->thr_from_val ? " (Youden, validation)" : "");
    if (s->detector_ok)
        fprintf(f, "detector: threshold %.4f for %.1f%% FPR on validation (achieved %.1f%%)\n", m->detector.threshold,
                100.0 * m->detector.target_fpr, 100.0 * s->detector_achieved);
    else
        fprintf(f, "detector: NOT calibrated (%zu validation breasts; at least 20 are needed)\n", s->n_split[1]);
    if (s->has_test) {
        fprintf(f, "test split, breast level%s:\n", syn);
        cli_print_metrics(f, "  ", &s->test.breast);
        fprintf(f, "test split, patient level (max over breasts)%s:\n", syn);
        cli_print_metrics(f, "  ", &s->test.patient);
    } else {
        fprintf(f, "test split: empty (--test 0)\n");
    }
    fprintf(f, "model: %s -> %s (sha256 %s)%s\n", m->name, o->out, m->sha256_hex, syn);
}

/* Loads, splits, trains, calibrates, evaluates and saves; returns the exit status. */
static int train(train_opts *o)
{
    int rc = 1;
    tg_sample_set all = {0}, parts[3] = {{0}};
    tg_model *m = NULL;
    tg_defense_state *dstate = NULL;
    tg_pipeline *p = NULL;
    float *scores = NULL;
    summary s;
    memset(&s, 0, sizeof s);
    if (o->threads > 0)
        openblas_set_num_threads(o->threads);

    tg_preprocess_params prep;
    tg_preprocess_params_default(&prep);
    prep.grid_h = prep.grid_w = o->grid;
    cli_progress cp;
    cli_progress_init(&cp, "train", 0);
    if (tg_collection_load(o->dir, &prep, &all, &s.coll, &cp.p) != TG_OK) {
        cli_error("train", 1, "%s", tg_last_error());
        goto out;
    }
    cli_progress_done(&cp, "collection loaded");
    fprintf(stderr, "thermoguard train: %zu views, %zu breasts, %zu patients (%s)\n", s.coll.views, s.coll.breasts,
            s.coll.patients, s.coll.has_temperature ? "°C" : "intensity");
    int synthetic = o->synthetic_flag || cli_set_is_synthetic(&all);
    char data_hash[TG_SHA256_HEX_CHARS];
    if (cli_data_hash(o->dir, &all, data_hash) != 0) {
        cli_error("train", 1, "cannot read %s/views.csv for the data hash", o->dir);
        goto out;
    }
    if (tg_sample_set_split(&all, &o->split, parts) != TG_OK) {
        cli_error("train", 1, "split: %s", tg_last_error());
        goto out;
    }
    for (int k = 0; k < 3; k++) {
        s.n_split[k] = parts[k].n;
        s.p_split[k] = count_patients(&parts[k]);
    }
    fprintf(stderr, "thermoguard train: split by patient: train %zu breasts / %zu patients, validation %zu / %zu, "
                    "test %zu / %zu\n",
            s.n_split[0], s.p_split[0], s.n_split[1], s.p_split[1], s.n_split[2], s.p_split[2]);
    if (parts[TG_SPLIT_TRAIN].n == 0) {
        cli_error("train", 1, "the training split is empty");
        goto out;
    }

    tg_pipeline_config cfg;
    tg_pipeline_config_default(&cfg);
    cfg.in_c = all.c;
    cfg.in_h = all.h;
    cfg.in_w = all.w;
    cfg.has_temperature = s.coll.has_temperature;
    cfg.t_min = (float)(o->have_tmin ? o->t_min : s.coll.has_temperature ? 20.0 : 0.0);
    cfg.t_max = (float)(o->have_tmax ? o->t_max : s.coll.has_temperature ? 40.0 : 1.0);
    cfg.denoise_on = o->denoise;
    if (o->wavelet)
        snprintf(cfg.denoise.wavelet, sizeof cfg.denoise.wavelet, "%s", o->wavelet);
    if (o->feat_wavelet)
        snprintf(cfg.feat_wavelet, sizeof cfg.feat_wavelet, "%s", o->feat_wavelet);
    cfg.feat_level = o->feat_level;
    char name[TG_MODEL_MAX_NAME];
    const char *base = o->name ? o->name : "thermoguard-model";
    if (synthetic && !strstr(base, "synthetic"))
        snprintf(name, sizeof name, "%s (" SYNTHETIC_NOTE ")", base);
    else
        snprintf(name, sizeof name, "%s", base);
    if (tg_pipeline_config_check(&cfg) != TG_OK || tg_model_create(&m, name, o->spec, &cfg) != TG_OK) {
        rc = cli_error("train", 2, "model: %s", tg_last_error());
        goto out;
    }
    m->prep = prep;
    m->synthetic = synthetic;
    m->threshold = o->threshold;
    char init_sha[TG_SHA256_HEX_CHARS] = "";
    tg_rng rng;
    tg_rng_seed(&rng, o->split.seed);
    o->tp.seed = o->split.seed;
    char settings[256];
    const char *defense = attach_defense(o, &cfg, &dstate, settings, sizeof settings);
    if (!defense) {
        rc = 2;
        goto out;
    }
    fprintf(stderr, "defense: %s (%s)\n", defense, settings);
    if (tg_net_init(m->net, &rng) != TG_OK || tg_model_pipeline(m, o->tp.batch_size, &p) != TG_OK) {
        cli_error("train", 1, "%s", tg_last_error());
        goto out;
    }
    if (o->init && (rc = warm_start(m, o->init, init_sha)) != 0)
        goto out;

    const tg_sample_set *val = parts[TG_SPLIT_VAL].n ? &parts[TG_SPLIT_VAL] : NULL;
    cli_progress_init(&cp, "train", 1);
    tg_status st = tg_train(p, &parts[TG_SPLIT_TRAIN], val, &o->tp, &s.rep, &cp.p);
    cli_progress_done(&cp, "training");
    s.seconds = cli_now() - cp.t0;
    if (st != TG_OK) {
        cli_error("train", 1, "%s", tg_last_error());
        goto out;
    }
    if (val && val->n >= 20) {
        if (tg_detector_calibrate(p, &m->detector, val->raw, (int)val->n, o->detector_fpr, &s.detector_achieved) !=
            TG_OK) {
            cli_error("train", 1, "detector calibration: %s", tg_last_error());
            goto out;
        }
        s.detector_ok = 1;
    }
    if (o->thr_from_val && val) {
        if (!(scores = malloc(val->n * sizeof *scores)) || tg_predict_set(p, val, o->tp.batch_size, scores) != TG_OK) {
            cli_error("train", 1, "validation scores: %s", scores ? tg_last_error() : "out of memory");
            goto out;
        }
        m->threshold = youden_threshold(val, scores);
    }
    if (parts[TG_SPLIT_TEST].n) {
        if (tg_evaluate(p, &parts[TG_SPLIT_TEST], m->threshold, o->tp.batch_size, &s.test) != TG_OK) {
            cli_error("train", 1, "test evaluation: %s", tg_last_error());
            goto out;
        }
        s.has_test = 1;
    }

    tg_model_provenance *pv = &m->prov;
    memcpy(pv->data_sha256, data_hash, sizeof data_hash);
    pv->seed = o->split.seed;
    pv->epochs = s.rep.epochs_run;
    snprintf(pv->defense, sizeof pv->defense, "%s", defense);
    snprintf(pv->defense_settings, sizeof pv->defense_settings,
             "%s; %s lr %g %s schedule, weight decay %g, batch %d, %d/%d epochs (best %d), augment %s, class "
             "weights %s, patience %d; split val %g test %g seed %llu; grid %dx%d",
             settings, o->tp.optim.kind == TG_OPTIM_SGD ? "sgd" : "adam", o->tp.lr.lr,
             o->tp.lr.kind == TG_LR_COSINE ? "cosine" : o->tp.lr.kind == TG_LR_STEP ? "step" : "constant",
             o->tp.optim.weight_decay, o->tp.batch_size, s.rep.epochs_run, o->tp.epochs, s.rep.best_epoch + 1,
             o->tp.augment_on ? "on" : "off", o->tp.weighting == TG_CLASS_WEIGHT_NONE ? "none" : "balanced",
             o->tp.patience, o->split.val_fraction, o->split.test_fraction, (unsigned long long)o->split.seed,
             cfg.in_h, cfg.in_w);
    if (init_sha[0]) { /* provenance names the model it started from */
        size_t l = strlen(pv->defense_settings);
        snprintf(pv->defense_settings + l, sizeof pv->defense_settings - l, "; init from model sha256 %s", init_sha);
    }
    if (o->created) {
        snprintf(pv->created, sizeof pv->created, "%s", o->created);
    } else {
        time_t now = time(NULL);
        struct tm tmv;
        gmtime_r(&now, &tmv);
        strftime(pv->created, sizeof pv->created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    }
    snprintf(pv->notes, sizeof pv->notes, "%s", synthetic ? SYNTHETIC_NOTE : "");
    if (o->notes) {
        size_t used = strlen(pv->notes);
        snprintf(pv->notes + used, sizeof pv->notes - used, "%s%.1900s", used ? "; " : "", o->notes);
    }
    if (tg_model_save(m, o->out) != TG_OK) {
        cli_error("train", 1, "%s", tg_last_error());
        goto out;
    }
    print_text(o, m, &s);
    if (o->json)
        print_json(o, m, &s);
    rc = 0;
out:
    tg_defense_destroy(dstate);
    free(scores);
    tg_eval_report_destroy(&s.test);
    tg_pipeline_destroy(p);
    tg_model_destroy(m);
    for (int k = 0; k < 3; k++)
        tg_sample_set_destroy(&parts[k]);
    tg_sample_set_destroy(&all);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    train_opts o;
    memset(&o, 0, sizeof o);
    tg_split_opts_default(&o.split);
    o.split.seed = 1;
    o.grid = 64;
    o.spec = DEFAULT_SPEC;
    o.denoise = 1;
    o.feat_level = 1;
    o.detector_fpr = 0.05;
    o.threshold = 0.5;
    tg_train_params_default(&o.tp);
    int rc = parse(argc, argv, &o);
    return rc >= 0 ? rc : train(&o);
}
