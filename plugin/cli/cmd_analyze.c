/* `thermoguard analyze`: reads thermogram DICOM files of one study, runs the shared series
 * analysis (thermoguard/analysis.h, the same function the Orthanc node uses) and writes a result
 * SR. With --model every breast is scored by the model and the detector; without it every breast
 * gets the FIXED, clearly labelled placeholder (probability 0.5 at threshold 0.5, "no model
 * loaded: placeholder result"). There is no default model.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thermoguard/analysis.h"
#include "thermoguard/dicom.h"
#include "thermoguard/model.h"

#define MAX_INPUTS 64
#define SYNTHETIC_NOTE "synthetic \xe2\x80\x94 not for clinical use"

static void help(FILE *out)
{
    fprintf(out,
            "usage: thermoguard analyze [--model MODEL.tgm] --sr OUT.dcm [--json] [--predecessor OLD_SR.dcm]\n"
            "                           IMAGE.dcm [IMAGE.dcm ...]\n"
            "\n"
            "Reads the thermograms (one study), preprocesses each view on the model's grid, pairs the\n"
            "lateral/oblique L/R views, scores every breast with the model (positive-class probability,\n"
            "maximum over its views) and the feature-squeezing detector, and writes a TID 1500 Enhanced SR\n"
            "in a new series of the same study. The verdict uses the model's threshold. This is the\n"
            "same analysis the Orthanc node runs. An unusable image is reported and skipped.\n"
            "Without --model the SR carries a fixed placeholder result (probability 0.5, threshold 0.5)\n"
            "labelled \"no model loaded: placeholder result\". Research use only.\n"
            "\n"
            "options:\n"
            "  --model PATH             model file (.tgm); no default\n"
            "  --sr PATH                output SR file (required)\n"
            "  --json                   print the result as JSON on stdout\n"
            "  --no-detector            do not run the adversarial-input detector\n"
            "  --detector-threshold X   flag when the detector score > X (overrides the model's calibrated\n"
            "                           threshold; the SR then says UNCALIBRATED)\n"
            "  --predecessor PATH       earlier SR this one supersedes\n"
            "  --help                   this text\n");
}

static void on_reject(void *user, int index, const char *reason)
{
    (void)user;
    (void)index;
    fprintf(stderr, "thermoguard analyze: skipped: %s\n", reason);
}

static void print_json(const tg_analysis_result *r, const tg_model *m, char **files, const char *sr_path,
                       const char *uid)
{
    FILE *f = stdout;
    fprintf(f, "{\"placeholder\":%s", r->placeholder ? "true" : "false");
    if (m) {
        fprintf(f, ",\"model\":{\"name\":");
        cli_json_str(f, m->name);
        fprintf(f, ",\"version\":");
        cli_json_str(f, m->version);
        fprintf(f, ",\"sha256\":");
        cli_json_str(f, r->model_sha256);
        fprintf(f, ",\"synthetic\":%s}", m->synthetic ? "true" : "false");
        if (m->synthetic) {
            fprintf(f, ",\"note\":");
            cli_json_str(f, SYNTHETIC_NOTE);
        }
        fprintf(f, ",\"defense\":");
        cli_json_str(f, r->defense);
        fprintf(f, ",\"detector_run\":%s,\"detector_threshold\":", r->detector_run ? "true" : "false");
        cli_json_num(f, r->detector_threshold);
        fprintf(f, ",\"detector_calibrated\":%s,\"breast_inputs\":%d", r->detector_calibrated ? "true" : "false",
                r->n_inputs);
    } else {
        fprintf(f, ",\"note\":\"no model loaded: placeholder result\"");
    }
    fprintf(f, ",\"threshold\":");
    cli_json_num(f, r->threshold);
    fprintf(f, ",\"probability\":");
    cli_json_num(f, r->verdict);
    fprintf(f, ",\"suspicious\":%s,\"breasts\":[", r->suspicious ? "true" : "false");
    for (int i = 0; i < r->n_breasts; ++i) {
        const tg_sr_breast_result *b = &r->breast[i];
        fprintf(f, "%s{\"laterality\":\"%c\",\"probability\":", i ? "," : "", b->laterality);
        cli_json_num(f, b->probability);
        fprintf(f, ",\"suspicious\":%s,\"detector_score\":", b->probability >= r->threshold ? "true" : "false");
        cli_json_num(f, b->detector_score);
        fprintf(f, ",\"detector_flag\":%s,\"source\":", b->detector_flag ? "true" : "false");
        cli_json_str(f, files[r->used_index[b->source_index]]);
        fprintf(f, "}");
    }
    fprintf(f, "],\"instances_used\":%d,\"instances_rejected\":[", r->n_used);
    for (int i = 0; i < r->n_rejected; ++i) {
        fprintf(f, "%s{\"file\":", i ? "," : "");
        cli_json_str(f, files[r->rejections[i].index]);
        fprintf(f, ",\"reason\":");
        cli_json_str(f, r->rejections[i].reason);
        fprintf(f, "}");
    }
    fprintf(f, "],\"sr\":");
    cli_json_str(f, sr_path);
    fprintf(f, ",\"sr_sop_instance_uid\":");
    cli_json_str(f, uid);
    fprintf(f, ",\"timing\":{\"decode\":");
    cli_json_num(f, r->seconds_decode);
    fprintf(f, ",\"preprocess\":");
    cli_json_num(f, r->seconds_preprocess);
    fprintf(f, ",\"model\":");
    cli_json_num(f, r->seconds_model);
    fprintf(f, "}}\n");
}

static void print_text(const tg_analysis_result *r, const tg_model *m, const char *sr_path, const char *uid)
{
    if (!m) {
        printf("%s (%s): placeholder result for %d breast(s), no model loaded\n", sr_path, uid, r->n_breasts);
        return;
    }
    printf("model: %s %s (sha256 %s), threshold %g on P(%s)\n", m->name, m->version, r->model_sha256, r->threshold,
           m->class_names[m->positive_class]);
    if (m->synthetic)
        printf("%s\n", SYNTHETIC_NOTE);
    for (int i = 0; i < r->n_breasts; ++i) {
        const tg_sr_breast_result *b = &r->breast[i];
        printf("breast %c: probability %.6f (%s)", b->laterality, b->probability,
               b->probability >= r->threshold ? "suspicious" : "not suspicious");
        if (r->detector_run)
            printf(", detector score %.6f%s\n", b->detector_score, b->detector_flag ? " FLAGGED (adversarial input suspected)" : "");
        else
            printf(", detector off\n");
    }
    if (r->detector_run)
        printf("detector: flag when score > %g (%s)\n", r->detector_threshold,
               r->detector_calibrated ? "calibrated on clean validation data" : "UNCALIBRATED");
    printf("verdict: %s (maximum probability %.6f, threshold %g; %d image(s) used, %d skipped)\n",
           r->suspicious ? "SUSPICIOUS" : "not suspicious", r->verdict, r->threshold, r->n_used, r->n_rejected);
    printf("%s (%s): result SR written\n", sr_path, uid);
}

int cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {{"sr", required_argument, 0, 's'},
                                         {"model", required_argument, 0, 'm'},
                                         {"json", no_argument, 0, 'j'},
                                         {"no-detector", no_argument, 0, 'D'},
                                         {"detector-threshold", required_argument, 0, 't'},
                                         {"predecessor", required_argument, 0, 'P'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *sr_path = NULL, *pred_path = NULL, *model_path = NULL;
    int json = 0, detector = 1, c;
    double det_threshold = -1.0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': sr_path = optarg; break;
        case 'm': model_path = optarg; break;
        case 'j': json = 1; break;
        case 'D': detector = 0; break;
        case 't':
            if (cli_parse_double(optarg, &det_threshold) != 0 || det_threshold < 0.0 || det_threshold > 2.0)
                return cli_error("analyze", 2, "--detector-threshold: need a number in [0, 2], got \"%s\"", optarg);
            break;
        case 'P': pred_path = optarg; break;
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    int n = argc - optind;
    if (n < 1)
        return cli_error("analyze", 2, "no input DICOM file given (see --help)");
    if (n > MAX_INPUTS)
        return cli_error("analyze", 2, "at most %d input files", MAX_INPUTS);
    if (!sr_path)
        return cli_error("analyze", 2, "--sr OUT.dcm is required");

    tg_model *model = NULL;
    if (model_path && tg_model_load(model_path, &model, NULL) != TG_OK)
        return cli_error("analyze", 1, "%s", tg_last_error());

    tg_analysis_instance inst[MAX_INPUTS];
    for (int i = 0; i < n; ++i) {
        memset(&inst[i], 0, sizeof inst[i]);
        inst[i].path = argv[optind + i];
    }
    tg_analysis_config ac;
    tg_analysis_config_default(&ac);
    ac.model = model;
    ac.detector_enabled = detector;
    ac.detector_threshold = det_threshold;
    ac.on_reject = on_reject;
    tg_analysis_result r;
    int rc = 0;
    if (tg_analysis_run(inst, n, &ac, &r) != TG_OK) {
        rc = cli_error("analyze", 1, "%s", tg_last_error());
        goto out;
    }
    tg_dicom_source pred = {pred_path, NULL, 0};
    char uid[TG_DICOM_UID_SIZE];
    if (tg_analysis_write_sr(&r, &ac, pred_path ? &pred : NULL, sr_path, uid) != TG_OK) {
        rc = cli_error("analyze", 1, "%s", tg_last_error());
        goto out;
    }
    if (json)
        print_json(&r, model, argv + optind, sr_path, uid);
    else
        print_text(&r, model, sr_path, uid);
out:
    tg_analysis_result_clear(&r);
    tg_model_destroy(model);
    return rc;
}
