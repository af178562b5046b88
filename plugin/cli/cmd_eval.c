/* `thermoguard eval`: a model on a views.csv collection, preprocessed with the model's own
 * settings: breast- and patient-level metrics and a per-group breakdown, as text or JSON.
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
#include "thermoguard/thermoguard.h"

#define SYNTHETIC_NOTE "SYNTHETIC \xe2\x80\x94 not for clinical use"

static void help(FILE *out)
{
    fprintf(out,
            "usage: thermoguard eval MODEL.tgm DIR [options]\n"
            "\n"
            "Evaluates a model on the collection DIR/views.csv (every breast of every listed view),\n"
            "preprocessed with the model's settings. Research use only.\n"
            "\n"
            "options:\n"
            "  --threshold T         decision threshold (default: the model's)\n"
            "  --group-by KEY        breakdown by 'group' (views.csv group column, else the view;\n"
            "                        default) or 'patient'\n"
            "  --batch N             evaluation batch size (default 64)\n"
            "  --threads N           OpenBLAS threads\n"
            "  --json                machine-readable output on stdout\n"
            "  --help                this text\n"
            "exit status: 0 ok, 1 runtime failure (unreadable model or data), 2 usage error\n");
}

static void json_group(FILE *f, const tg_group_stats *g)
{
    fputs("{\"key\": ", f);
    cli_json_str(f, g->key);
    fprintf(f, ", \"n\": %zu, \"accuracy\": ", g->count);
    cli_json_num(f, g->accuracy);
    fputs(", \"sensitivity\": ", f);
    cli_json_num(f, g->sensitivity);
    fputs(", \"specificity\": ", f);
    cli_json_num(f, g->specificity);
    fprintf(f, ", \"tp\": %zu, \"fn\": %zu, \"fp\": %zu, \"tn\": %zu}", g->tp, g->fn, g->fp, g->tn);
}

static void print_json(const char *model_path, const tg_model *m, const char *dir, int synthetic, double thr,
                       const char *group_by, const tg_eval_report *r, const tg_breakdown *bd)
{
    FILE *f = stdout;
    fprintf(f, "{\"command\": \"eval\", \"synthetic\": %s, \"note\": ", synthetic ? "true" : "false");
    cli_json_str(f, synthetic ? SYNTHETIC_NOTE : "research use only");
    fputs(", \"model\": {\"file\": ", f);
    cli_json_str(f, model_path);
    fputs(", \"name\": ", f);
    cli_json_str(f, m->name);
    fputs(", \"sha256\": ", f);
    cli_json_str(f, m->sha256_hex);
    fprintf(f, ", \"synthetic\": %s, \"defense\": ", m->synthetic ? "true" : "false");
    cli_json_str(f, m->prov.defense);
    fputs("}, \"data\": ", f);
    cli_json_str(f, dir);
    fputs(", \"threshold\": ", f);
    cli_json_num(f, thr);
    fputs(", \"breast\": ", f);
    cli_json_metrics(f, &r->breast);
    fputs(", \"patient\": ", f);
    cli_json_metrics(f, &r->patient);
    fputs(", \"group_by\": ", f);
    cli_json_str(f, group_by);
    fputs(", \"groups\": [", f);
    for (size_t i = 0; i < bd->n_groups; i++) {
        fputs(i ? ", " : "", f);
        json_group(f, &bd->groups[i]);
    }
    fputs("]}\n", f);
}

static void print_text(const char *model_path, const tg_model *m, const char *dir, int synthetic, double thr,
                       const char *group_by, const tg_eval_report *r, const tg_breakdown *bd)
{
    FILE *f = stdout;
    const char *syn = synthetic ? " [" SYNTHETIC_NOTE "]" : "";
    fprintf(f, "model: %s (%s, sha256 %s, defense %s)%s\n", m->name, model_path, m->sha256_hex, m->prov.defense,
            m->synthetic ? " [synthetic model]" : "");
    fprintf(f, "data: %s%s\n", dir, synthetic ? " [synthetic]" : "");
    fprintf(f, "decision threshold: %.4f\n", thr);
    fprintf(f, "breast level%s:\n", syn);
    cli_print_metrics(f, "  ", &r->breast);
    fprintf(f, "patient level (max over breasts)%s:\n", syn);
    cli_print_metrics(f, "  ", &r->patient);
    fprintf(f, "per %s (breasts)%s:\n", group_by, syn);
    fprintf(f, "  %-20s %6s %9s %11s %11s\n", "group", "n", "accuracy", "sensitivity", "specificity");
    for (size_t i = 0; i < bd->n_groups; i++) {
        const tg_group_stats *g = &bd->groups[i];
        fprintf(f, "  %-20s %6zu %9.4f %11.4f %11.4f\n", g->key, g->count, g->accuracy, g->sensitivity,
                g->specificity);
    }
    if (synthetic)
        fprintf(f, "note: synthetic \xe2\x80\x94 not for clinical use\n");
}

/* Breakdown of the breast-level decisions by patient id. */
static tg_status by_patient(const tg_sample_set *set, const float *scores, double thr, tg_breakdown *out)
{
    const char **keys = malloc(set->n * sizeof *keys);
    tg_label *truth = malloc(set->n * sizeof *truth), *pred = malloc(set->n * sizeof *pred);
    tg_status st = TG_ERR_NOMEM;
    if (keys && truth && pred) {
        for (size_t i = 0; i < set->n; i++) {
            keys[i] = set->patient[i];
            truth[i] = set->labels[i] ? TG_LABEL_SICK : TG_LABEL_HEALTHY;
            pred[i] = scores[i] >= thr ? TG_LABEL_SICK : TG_LABEL_HEALTHY;
        }
        st = tg_breakdown_compute(keys, truth, pred, set->n, out);
    } else {
        tg_fail(st, "out of memory");
    }
    free(keys);
    free(truth);
    free(pred);
    return st;
}

int cmd_eval(int argc, char **argv)
{
    enum { O_JSON = 256, O_THR, O_GROUP, O_BATCH, O_THREADS, O_HELP };
    static const struct option opts[] = {{"json", no_argument, 0, O_JSON},           {"threshold", required_argument, 0, O_THR},
                                         {"group-by", required_argument, 0, O_GROUP}, {"batch", required_argument, 0, O_BATCH},
                                         {"threads", required_argument, 0, O_THREADS}, {"help", no_argument, 0, O_HELP},
                                         {0, 0, 0, 0}};
    int json = 0, batch = 64, threads = 0, patient_groups = 0, c, li = -1;
    double thr = NAN;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, &li)) != -1) {
        int bad = 0;
        switch (c) {
        case O_JSON: json = 1; break;
        case O_THR: bad = cli_parse_double(optarg, &thr) || !(thr >= 0 && thr <= 1); break;
        case O_GROUP:
            if (!strcmp(optarg, "group"))
                patient_groups = 0;
            else if (!strcmp(optarg, "patient"))
                patient_groups = 1;
            else
                bad = 1;
            break;
        case O_BATCH: bad = cli_parse_int(optarg, 1, 4096, &batch); break;
        case O_THREADS: bad = cli_parse_int(optarg, 1, 256, &threads); break;
        case O_HELP: help(stdout); return 0;
        default: help(stderr); return 2;
        }
        if (bad)
            return cli_error("eval", 2, "invalid value '%s' for --%s (see --help)", optarg, li >= 0 ? opts[li].name : "?");
        li = -1;
    }
    if (argc - optind != 2)
        return cli_error("eval", 2, "expected MODEL.tgm and DIR (see --help)");
    const char *model_path = argv[optind], *dir = argv[optind + 1];
    if (threads > 0)
        openblas_set_num_threads(threads);

    int rc = 1;
    tg_model *m = NULL;
    tg_pipeline *p = NULL;
    tg_sample_set set = {0};
    float *scores = NULL;
    tg_eval_report rep;
    tg_breakdown pb = {0};
    memset(&rep, 0, sizeof rep);
    if (tg_model_load(model_path, &m, NULL) != TG_OK) {
        cli_error("eval", 1, "%s", tg_last_error());
        goto out;
    }
    tg_collection_report coll;
    cli_progress cp;
    cli_progress_init(&cp, "eval", 0);
    if (tg_collection_load(dir, &m->prep, &set, &coll, &cp.p) != TG_OK) {
        cli_error("eval", 1, "%s", tg_last_error());
        goto out;
    }
    cli_progress_done(&cp, "collection loaded");
    const tg_pipeline_config *cfg = &m->pipeline;
    if (set.c != cfg->in_c || set.h != cfg->in_h || set.w != cfg->in_w) {
        cli_error("eval", 1, "%s: samples are %d x %d x %d but the model takes %d x %d x %d", dir, set.c, set.h, set.w,
                  cfg->in_c, cfg->in_h, cfg->in_w);
        goto out;
    }
    if (coll.has_temperature != cfg->has_temperature) {
        cli_error("eval", 1, "%s holds %s data but the model was trained on %s", dir,
                  coll.has_temperature ? "°C" : "intensity", cfg->has_temperature ? "°C" : "intensity");
        goto out;
    }
    if (isnan(thr))
        thr = m->threshold;
    int synthetic = m->synthetic || cli_set_is_synthetic(&set);
    if (!(scores = malloc(set.n * sizeof *scores))) {
        cli_error("eval", 1, "out of memory");
        goto out;
    }
    if (tg_model_pipeline(m, batch, &p) != TG_OK || tg_predict_set(p, &set, batch, scores) != TG_OK ||
        tg_evaluate_scores(&set, scores, thr, &rep) != TG_OK ||
        (patient_groups && by_patient(&set, scores, thr, &pb) != TG_OK)) {
        cli_error("eval", 1, "%s", tg_last_error());
        goto out;
    }
    const char *group_by = patient_groups ? "patient" : "group";
    const tg_breakdown *bd = patient_groups ? &pb : &rep.groups;
    if (json)
        print_json(model_path, m, dir, synthetic, thr, group_by, &rep, bd);
    else
        print_text(model_path, m, dir, synthetic, thr, group_by, &rep, bd);
    rc = 0;
out:
    tg_breakdown_destroy(&pb);
    tg_eval_report_destroy(&rep);
    free(scores);
    tg_pipeline_destroy(p);
    tg_sample_set_destroy(&set);
    tg_model_destroy(m);
    return rc;
}
