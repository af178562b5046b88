/* `thermoguard analyze`: reads thermogram DICOM files of one study and writes a result SR.
 * Until the model layer exists no model is loaded: every breast gets the same FIXED placeholder
 * (probability 0.5 at threshold 0.5, i.e. "suspicious" so nothing is falsely reassuring) and the
 * SR says "no model loaded: placeholder result".
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thermoguard/dicom.h"

#define MAX_INPUTS 64

static void help(FILE *out)
{
    fprintf(out,
            "usage: thermoguard analyze --sr OUT.dcm [--predecessor OLD_SR.dcm] IMAGE.dcm [IMAGE.dcm ...]\n"
            "\n"
            "Reads the thermograms (one study), derives the breasts from Image Laterality (a view with\n"
            "laterality B or none counts for both), and writes a TID 1500 Enhanced SR in a new series of\n"
            "the same study. No model is loaded yet: the SR carries a fixed placeholder result\n"
            "(probability 0.5, threshold 0.5) labelled \"no model loaded: placeholder result\".\n"
            "Research use only.\n"
            "\n"
            "options:\n"
            "  --sr PATH           output SR file (required)\n"
            "  --predecessor PATH  earlier SR this one supersedes\n"
            "  --help              this text\n");
}

/* Adds a breast for `side` fed by input `index` unless that side is already present. */
static void add_side(tg_sr_breast_result *b, int *n, char side, int index)
{
    for (int i = 0; i < *n; ++i)
        if (b[i].laterality == side)
            return;
    tg_sr_breast_result r = {side, 0.5, 0.0, 0, index};
    b[(*n)++] = r;
}

int cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {{"sr", required_argument, 0, 's'},
                                         {"predecessor", required_argument, 0, 'P'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *sr_path = NULL, *pred_path = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': sr_path = optarg; break;
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

    tg_dicom_source sources[MAX_INPUTS];
    tg_sr_breast_result breasts[2];
    int n_breasts = 0;
    for (int i = 0; i < n; ++i) {
        const char *in = argv[optind + i];
        tg_image img = {0};
        tg_dicom_meta meta;
        if (tg_dicom_read_file(in, NULL, &img, &meta) != TG_OK)
            return cli_error("analyze", 1, "%s", tg_last_error());
        tg_image_destroy(&img);
        fprintf(stderr, "thermoguard analyze: %s: %dx%d, %d frame(s), laterality '%s', %s\n", in, meta.cols,
                meta.rows, meta.frames, meta.laterality,
                meta.has_temperature ? "temperature in degC" : "no temperature scale (intensity)");
        sources[i].path = in;
        sources[i].data = NULL;
        sources[i].size = 0;
        if (!strcmp(meta.laterality, "L") || !strcmp(meta.laterality, "R")) {
            add_side(breasts, &n_breasts, meta.laterality[0], i);
        } else {
            add_side(breasts, &n_breasts, 'L', i);
            add_side(breasts, &n_breasts, 'R', i);
        }
    }

    tg_sr_result_request req = {0};
    req.sources = sources;
    req.n_sources = n;
    req.breasts = breasts;
    req.n_breasts = n_breasts;
    req.model.name = "none (no model loaded)";
    req.model.version = "0";
    req.model.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
    req.model.defense = "none: no model loaded, placeholder result";
    req.model.threshold = 0.5;
    req.model.placeholder = 1;
    tg_dicom_source pred = {pred_path, NULL, 0};
    req.predecessor = pred_path ? &pred : NULL;
    char uid[TG_DICOM_UID_SIZE];
    if (tg_sr_write_result(&req, sr_path, uid) != TG_OK)
        return cli_error("analyze", 1, "%s", tg_last_error());
    printf("%s (%s): placeholder result for %d breast(s), no model loaded\n", sr_path, uid, n_breasts);
    return 0;
}
