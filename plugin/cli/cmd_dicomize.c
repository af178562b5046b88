/* `thermoguard dicomize`: °C text matrices (whitespace- or ';'-separated, one image row per line,
 * e.g. DMR-IR T####.txt) -> Secondary Capture thermograms sharing one study and series.
 * Matrices are parsed by the core's DMR-IR reader (tg_textmatrix_read_file), any size, 0..60 °C.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "thermoguard/dataset.h"
#include "thermoguard/dicom.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: thermoguard dicomize --patient-id ID [options] MATRIX.txt [MATRIX.txt ...]\n"
            "\n"
            "Writes each °C matrix as a DICOM thermogram (Secondary Capture, Modality TG, 16-bit,\n"
            "Rescale Slope 0.01, Rescale Type CEL, Body Part BREAST); all inputs share one study and\n"
            "one series. Matrix (DMR-IR dialects): one image row per line, values separated by spaces\n"
            "or ';', any rectangular size, every value within 0..60 °C.\n"
            "\n"
            "options:\n"
            "  --patient-id ID      Patient ID (required)\n"
            "  --patient-name NAME  Patient's Name (DICOM PN, e.g. Doe^Jane)\n"
            "  --laterality L|R|B   Image Laterality of every input\n"
            "  --view TEXT          View Position of every input (e.g. FRONTAL, LATERAL)\n"
            "  --study-uid UID      reuse an existing study (default: new)\n"
            "  --series-uid UID     reuse an existing series (default: new)\n"
            "  --study-date YYYYMMDD, --study-time HHMMSS\n"
            "                       study date/time (default: now); pass the existing study's values\n"
            "                       together with --study-uid\n"
            "  --out PATH           output file (one input) or directory (default: .)\n"
            "  --help               this text\n");
}

static int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Output path for input `in`: `out` itself for a single input to a non-directory, else
 * <out>/<basename without extension>.dcm. */
static void output_path(char *buf, size_t cap, const char *out, const char *in, int single)
{
    if (single && !is_directory(out)) {
        snprintf(buf, cap, "%s", out);
        return;
    }
    const char *base = strrchr(in, '/');
    base = base ? base + 1 : in;
    const char *dot = strrchr(base, '.');
    int n = dot ? (int)(dot - base) : (int)strlen(base);
    snprintf(buf, cap, "%s/%.*s.dcm", out, n, base);
}

int cmd_dicomize(int argc, char **argv)
{
    static const struct option opts[] = {
        {"patient-id", required_argument, 0, 'p'}, {"patient-name", required_argument, 0, 'n'},
        {"laterality", required_argument, 0, 'l'}, {"view", required_argument, 0, 'v'},
        {"study-uid", required_argument, 0, 's'},  {"series-uid", required_argument, 0, 'S'},
        {"study-date", required_argument, 0, 'd'}, {"study-time", required_argument, 0, 't'},
        {"out", required_argument, 0, 'o'},        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    tg_dicomize_params p = {0};
    const char *out = ".";
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p': p.patient_id = optarg; break;
        case 'n': p.patient_name = optarg; break;
        case 'l': p.laterality = optarg; break;
        case 'v': p.view = optarg; break;
        case 's': p.study_uid = optarg; break;
        case 'S': p.series_uid = optarg; break;
        case 'd': p.study_date = optarg; break;
        case 't': p.study_time = optarg; break;
        case 'o': out = optarg; break;
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    int n_inputs = argc - optind;
    if (n_inputs < 1)
        return cli_error("dicomize", 2, "no input matrix given (see --help)");
    if (!p.patient_id || !*p.patient_id)
        return cli_error("dicomize", 2, "--patient-id is required");
    if (p.laterality && strcmp(p.laterality, "L") && strcmp(p.laterality, "R") && strcmp(p.laterality, "B"))
        return cli_error("dicomize", 2, "--laterality must be L, R or B, got '%s'", p.laterality);
    if (n_inputs > 1 && !is_directory(out))
        return cli_error("dicomize", 2, "--out must be an existing directory for several inputs: %s", out);

    /* One study date/time for every image of this run. */
    char date[16], tod[16];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y%m%d", &tm);
    strftime(tod, sizeof tod, "%H%M%S", &tm);
    if (!p.study_date)
        p.study_date = date;
    if (!p.study_time)
        p.study_time = tod;
    char study[TG_DICOM_UID_SIZE], series[TG_DICOM_UID_SIZE];
    if (!p.study_uid) {
        if (tg_dicom_new_uid(study) != TG_OK)
            return cli_error("dicomize", 1, "%s", tg_last_error());
        p.study_uid = study;
    }
    if (!p.series_uid) {
        if (tg_dicom_new_uid(series) != TG_OK)
            return cli_error("dicomize", 1, "%s", tg_last_error());
        p.series_uid = series;
    }
    tg_textmatrix_opts mopts;
    tg_textmatrix_opts_default(&mopts);
    mopts.any_size = 1;
    for (int i = 0; i < n_inputs; ++i) {
        const char *in = argv[optind + i];
        tg_image img = {0};
        if (tg_textmatrix_read_file(in, &mopts, &img, NULL) != TG_OK)
            return cli_error("dicomize", 1, "%s", tg_last_error());
        char path[4096], uid[TG_DICOM_UID_SIZE];
        output_path(path, sizeof path, out, in, n_inputs == 1);
        p.instance_number = i + 1;
        tg_status st = tg_dicomize_write(&img, &p, path, uid);
        tg_image_destroy(&img);
        if (st != TG_OK)
            return cli_error("dicomize", 1, "%s: %s", in, tg_last_error());
        printf("%s -> %s (%s)\n", in, path, uid);
    }
    return 0;
}
