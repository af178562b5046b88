/* `thermoguard synth`: the deterministic synthetic thermogram phantom written to disk as °C
 * text matrices (and optionally DICOM series), with label and view tables. Synthetic data —
 * not for clinical use.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "thermoguard/dicom.h"
#include "thermoguard/thermoguard.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: thermoguard synth --out DIR [options]\n"
            "\n"
            "Writes the synthetic breast-thermogram phantom (640x480 °C maps; SYNTHETIC, not for\n"
            "clinical use): DIR/<patient>/<view>.txt (DMR-IR space dialect, °C), DIR/labels.csv\n"
            "(ID,Diagnosis) and DIR/views.csv (file, patient, view, laterality, labels, midline).\n"
            "Every image is a pure function of (seed, patient, view).\n"
            "\n"
            "options:\n"
            "  --out DIR            output directory (created)\n"
            "  --patients N         number of patients (default 20)\n"
            "  --seed S             phantom seed (default 1)\n"
            "  --views LIST         comma-separated: frontal,lateral-left,lateral-right,\n"
            "                       oblique-left,oblique-right (default frontal,lateral-left,lateral-right)\n"
            "  --sick-fraction F    probability that a patient is sick (default 0.5)\n"
            "  --noise C            sensor noise sigma in °C (default 0.08)\n"
            "  --lesion-min C, --lesion-max C\n"
            "                       lesion contrast range in °C (default 0.3 .. 2.5)\n"
            "  --dicom              also write DIR/<patient>/<view>.dcm, one study and series per patient\n"
            "  --help               this text\n");
}

static int parse_views(const char *list, unsigned *mask)
{
    *mask = 0;
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int v = 0; v < TG_VIEW_COUNT; v++)
            if (strcmp(tok, tg_view_name((tg_view)v)) == 0) {
                *mask |= 1u << v;
                found = 1;
            }
        if (!found) {
            cli_error("synth", -1, "unknown view '%s'", tok);
            free(copy);
            return -1;
        }
    }
    free(copy);
    return *mask ? 0 : -1;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return (errno || end == s || *end) ? -1 : 0;
}

static const char *laterality_code(tg_laterality l)
{
    return l == TG_LATERALITY_LEFT ? "L" : (l == TG_LATERALITY_RIGHT ? "R" : "B");
}

int cmd_synth(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},        {"patients", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 's'},       {"views", required_argument, 0, 'v'},
        {"sick-fraction", required_argument, 0, 'f'}, {"noise", required_argument, 0, 'z'},
        {"lesion-min", required_argument, 0, 'a'}, {"lesion-max", required_argument, 0, 'b'},
        {"dicom", no_argument, 0, 'd'},            {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    tg_phantom_opts po;
    tg_phantom_opts_default(&po);
    po.seed = 1;
    po.n_patients = 20;
    const char *out = NULL;
    int dicom = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'n':
            errno = 0;
            po.n_patients = (size_t)strtoull(optarg, &end, 10);
            if (errno || *end || po.n_patients == 0 || po.n_patients > 1000000)
                return cli_error("synth", 2, "--patients must be 1..1000000, got '%s'", optarg);
            break;
        case 's':
            errno = 0;
            po.seed = strtoull(optarg, &end, 10);
            if (errno || *end)
                return cli_error("synth", 2, "--seed must be an unsigned integer, got '%s'", optarg);
            break;
        case 'v':
            if (parse_views(optarg, &po.views) != 0)
                return cli_error("synth", 2, "--views: expected a comma-separated list of view names");
            break;
        case 'f':
            if (parse_double(optarg, &po.sick_fraction) != 0)
                return cli_error("synth", 2, "--sick-fraction: not a number: '%s'", optarg);
            break;
        case 'z':
            if (parse_double(optarg, &po.noise_c) != 0)
                return cli_error("synth", 2, "--noise: not a number: '%s'", optarg);
            break;
        case 'a':
            if (parse_double(optarg, &po.lesion_min_c) != 0)
                return cli_error("synth", 2, "--lesion-min: not a number: '%s'", optarg);
            break;
        case 'b':
            if (parse_double(optarg, &po.lesion_max_c) != 0)
                return cli_error("synth", 2, "--lesion-max: not a number: '%s'", optarg);
            break;
        case 'd':
            dicom = 1;
            break;
        case 'h':
            help(stdout);
            return 0;
        default:
            help(stderr);
            return 2;
        }
    }
    if (!out)
        return cli_error("synth", 2, "--out DIR is required (see --help)");
    if (optind < argc)
        return cli_error("synth", 2, "unexpected argument '%s'", argv[optind]);
    if (tg_phantom_opts_check(&po) != TG_OK)
        return cli_error("synth", 2, "%s", tg_last_error());
    if (mkdir(out, 0777) != 0 && errno != EEXIST)
        return cli_error("synth", 1, "cannot create %s: %s", out, strerror(errno));

    char path[4096];
    snprintf(path, sizeof path, "%s/labels.csv", out);
    FILE *labels = fopen(path, "w");
    snprintf(path, sizeof path, "%s/views.csv", out);
    FILE *views = fopen(path, "w");
    if (!labels || !views) {
        if (labels)
            fclose(labels);
        if (views)
            fclose(views);
        return cli_error("synth", 1, "cannot write the tables in %s: %s", out, strerror(errno));
    }
    fprintf(labels, "ID,Diagnosis\n");
    fprintf(views, "file,patient,view,laterality,patient_label,right_breast,left_breast,midline_col\n");
    int rc = 0;
    size_t written = 0;
    for (size_t pt = 0; pt < po.n_patients && rc == 0; pt++) {
        char study[TG_DICOM_UID_SIZE], series[TG_DICOM_UID_SIZE];
        if (dicom && (tg_dicom_new_uid(study) != TG_OK || tg_dicom_new_uid(series) != TG_OK)) {
            rc = cli_error("synth", 1, "%s", tg_last_error());
            break;
        }
        int instance = 0;
        for (int v = 0; v < TG_VIEW_COUNT && rc == 0; v++) {
            if (!(po.views & (1u << v)))
                continue;
            tg_image img;
            tg_phantom_view_info info;
            if (tg_phantom_render(&po, pt, (tg_view)v, &img, &info) != TG_OK) {
                rc = cli_error("synth", 1, "rendering patient %zu: %s", pt, tg_last_error());
                break;
            }
            if (instance == 0) {
                snprintf(path, sizeof path, "%s/%s", out, info.patient_id);
                if (mkdir(path, 0777) != 0 && errno != EEXIST)
                    rc = cli_error("synth", 1, "cannot create %s: %s", path, strerror(errno));
                fprintf(labels, "%s,%s\n", info.patient_id, info.patient_label == TG_LABEL_SICK ? "Sick" : "Healthy");
            }
            snprintf(path, sizeof path, "%s/%s/%s.txt", out, info.patient_id, info.view_name);
            if (rc == 0 && tg_textmatrix_write_file(path, &img, TG_TEXTMATRIX_SPACE) != TG_OK)
                rc = cli_error("synth", 1, "%s", tg_last_error());
            if (rc == 0 && dicom) {
                char dcm[4096];
                snprintf(dcm, sizeof dcm, "%s/%s/%s.dcm", out, info.patient_id, info.view_name);
                tg_dicomize_params dp;
                memset(&dp, 0, sizeof dp);
                dp.patient_id = info.patient_id;
                dp.patient_name = "SYNTHETIC^PHANTOM";
                dp.study_uid = study;
                dp.series_uid = series;
                dp.study_date = "20260101";
                dp.study_time = "120000";
                dp.series_description = "ThermoGuard synthetic phantom (not for clinical use)";
                dp.laterality = laterality_code(info.laterality);
                dp.view = info.view == TG_VIEW_FRONTAL ? "FRONTAL" : "LATERAL";
                dp.instance_number = instance + 1;
                if (tg_dicomize_write(&img, &dp, dcm, NULL) != TG_OK)
                    rc = cli_error("synth", 1, "%s", tg_last_error());
            }
            if (rc == 0)
                fprintf(views, "%s/%s.txt,%s,%s,%s,%s,%s,%s,%.1f\n", info.patient_id, info.view_name, info.patient_id,
                        info.view_name, laterality_code(info.laterality), tg_label_name(info.patient_label),
                        tg_label_name(info.breast_label[TG_SIDE_RIGHT]), tg_label_name(info.breast_label[TG_SIDE_LEFT]),
                        info.midline_col);
            tg_image_destroy(&img);
            instance++;
            written++;
        }
    }
    if (fclose(labels) != 0 || fclose(views) != 0)
        rc = rc ? rc : cli_error("synth", 1, "cannot finish the tables in %s", out);
    if (rc == 0)
        printf("thermoguard synth: %zu synthetic images of %zu patients in %s (seed %llu)\n", written, po.n_patients,
               out, (unsigned long long)po.seed);
    return rc;
}
