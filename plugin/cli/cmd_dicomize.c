/* `thermoguard dicomize`: °C text matrices (whitespace- or ';'-separated, one image row per line,
 * e.g. DMR-IR T####.txt) -> Secondary Capture thermograms sharing one study and series.
 * The matrix parser here is deliberately minimal; the core's DMR-IR reader will replace it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "thermoguard/dicom.h"

#define MAX_MATRIX_BYTES ((long)64 << 20)

static void help(FILE *out)
{
    fprintf(out,
            "usage: thermoguard dicomize --patient-id ID [options] MATRIX.txt [MATRIX.txt ...]\n"
            "\n"
            "Writes each °C matrix as a DICOM thermogram (Secondary Capture, Modality TG, 16-bit,\n"
            "Rescale Slope 0.01, Rescale Type CEL, Body Part BREAST); all inputs share one study and\n"
            "one series. Matrix: one image row per line, values separated by spaces or ';'.\n"
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

/* Reads a text matrix into a 1 x rows x cols image. Returns 0 or prints why and returns 1. */
static int read_matrix(const char *path, tg_image *img)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_error("dicomize", 1, "%s: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return cli_error("dicomize", 1, "%s: cannot seek", path);
    }
    long len = ftell(f);
    rewind(f);
    if (len <= 0 || len > MAX_MATRIX_BYTES) {
        fclose(f);
        return cli_error("dicomize", 1, "%s: size %ld bytes is empty or above %ld", path, len, MAX_MATRIX_BYTES);
    }
    char *text = malloc((size_t)len + 1);
    if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) {
        free(text);
        fclose(f);
        return cli_error("dicomize", 1, "%s: read failed", path);
    }
    fclose(f);
    text[len] = '\0';

    /* Pass 1: count rows and columns and check every row has the same width. */
    int rows = 0, cols = -1;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        int count = 0, in_num = 0;
        for (size_t i = 0; i < n; ++i) {
            int sep = line[i] == ' ' || line[i] == '\t' || line[i] == ';' || line[i] == '\r' || line[i] == ',';
            if (!sep && !in_num)
                ++count;
            in_num = !sep;
        }
        if (count > 0) {
            if (cols >= 0 && count != cols) {
                free(text);
                return cli_error("dicomize", 1, "%s: row %d has %d values, row 1 has %d (ragged matrix)", path,
                                 rows + 1, count, cols);
            }
            cols = count;
            ++rows;
        }
        line = end ? end + 1 : line + n;
    }
    if (rows < 1 || cols < 1) {
        free(text);
        return cli_error("dicomize", 1, "%s: no values found", path);
    }
    if (tg_image_create(img, 1, rows, cols) != TG_OK) {
        free(text);
        return cli_error("dicomize", 1, "%s: %s", path, tg_last_error());
    }
    /* Pass 2: parse the numbers in order. */
    size_t k = 0;
    for (char *p = text; *p;) {
        if (strchr(" \t;\r\n,", *p)) {
            ++p;
            continue;
        }
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || !strchr(" \t;\r\n,", *end ? *end : ' ')) {
            tg_image_destroy(img);
            free(text);
            return cli_error("dicomize", 1, "%s: value %zu (row %zu) is not a finite number", path, k + 1,
                             k / (size_t)cols + 1);
        }
        img->data[k++] = (float)v;
        p = end;
    }
    free(text);
    return 0;
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
    for (int i = 0; i < n_inputs; ++i) {
        const char *in = argv[optind + i];
        tg_image img = {0};
        if (read_matrix(in, &img) != 0)
            return 1;
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
