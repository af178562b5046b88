/* Timing driver for the DICOM-layer benchmark (tests/bench/bench_dicom.sh runs it next to
 * dcmdump / dcm2pnm on the same files). Dicomizes N phantom frontal views (640 x 480, 16-bit)
 * into DIR, then times per view: decode + temperature conversion (tg_dicom_read_file),
 * preprocessing (tg_preprocess_view), both together, and result-SR writing (tg_sr_write_result).
 * Prints one line per workload: name, median milliseconds per view, views per second.
 * Usage: bench_dicom DIR [views] [rounds]
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "thermoguard/dicom.h"
#include "thermoguard/phantom.h"
#include "thermoguard/preprocess.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what)
{
    fprintf(stderr, "bench_dicom: %s: %s\n", what, tg_last_error());
    exit(1);
}

enum { W_READ, W_PREP, W_BOTH, W_SR, W_COUNT };
static const char *names[W_COUNT] = {"decode+temperature (tg_dicom_read_file)", "preprocess (tg_preprocess_view)",
                                     "decode+temperature+preprocess", "result SR write (tg_sr_write_result)"};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_dicom DIR [views] [rounds]\n");
        return 2;
    }
    const char *dir = argv[1];
    int n = argc > 2 ? atoi(argv[2]) : 20, rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (n < 1 || n > 1000 || rounds < 1)
        return 2;
    tg_phantom_opts o;
    tg_phantom_opts_default(&o);
    o.n_patients = (size_t)n;
    char study[TG_DICOM_UID_SIZE], series[TG_DICOM_UID_SIZE];
    if (tg_dicom_new_uid(study) || tg_dicom_new_uid(series))
        die("uid");
    char (*paths)[512] = malloc(sizeof *paths * (size_t)n);
    for (int i = 0; i < n; ++i) {
        tg_image img = {0};
        if (tg_phantom_render(&o, (size_t)i, TG_VIEW_FRONTAL, &img, NULL))
            die("phantom");
        tg_dicomize_params p = {0};
        p.patient_id = "TG-BENCH";
        p.study_uid = study;
        p.series_uid = series;
        p.study_date = "20240101";
        p.study_time = "120000";
        p.laterality = "B";
        p.view = "FRONTAL";
        p.instance_number = i + 1;
        snprintf(paths[i], sizeof paths[i], "%s/view%03d.dcm", dir, i);
        if (tg_dicomize_write(&img, &p, paths[i], NULL))
            die("dicomize");
        tg_image_destroy(&img);
    }
    /* Decoded maps for the preprocessing-only workload. */
    tg_image *maps = calloc((size_t)n, sizeof *maps);
    for (int i = 0; i < n; ++i)
        if (tg_dicom_read_file(paths[i], NULL, &maps[i], NULL))
            die(paths[i]);

    tg_sr_model_info model = {0};
    model.name = "bench";
    model.version = "0";
    model.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
    model.defense = "none";
    model.threshold = 0.5;
    model.placeholder = 1;
    char sr_path[600];
    snprintf(sr_path, sizeof sr_path, "%s/sr.dcm", dir);

    double *t[W_COUNT];
    for (int w = 0; w < W_COUNT; ++w)
        t[w] = malloc(sizeof(double) * (size_t)(n * rounds));
    for (int r = -1; r < rounds; ++r) { /* round -1 warms caches and ITK */
        for (int i = 0; i < n; ++i) {
            tg_image img = {0};
            tg_preprocess_result res;
            double t0 = now_ms();
            if (tg_dicom_read_file(paths[i], NULL, &img, NULL))
                die(paths[i]);
            double t1 = now_ms();
            if (tg_preprocess_view(&img, TG_VIEW_FRONTAL, NULL, &res))
                die("preprocess");
            double t2 = now_ms();
            tg_preprocess_result_destroy(&res);
            tg_image_destroy(&img);
            double t3 = now_ms();
            if (tg_preprocess_view(&maps[i], TG_VIEW_FRONTAL, NULL, &res))
                die("preprocess");
            double t4 = now_ms();
            tg_preprocess_result_destroy(&res);
            tg_dicom_source src = {paths[i], NULL, 0};
            tg_sr_breast_result br[2] = {{'R', 0.3, 0.0, 0, 0}, {'L', 0.7, 0.0, 0, 0}};
            tg_sr_result_request req = {0};
            req.sources = &src;
            req.n_sources = 1;
            req.breasts = br;
            req.n_breasts = 2;
            req.model = model;
            double t5 = now_ms();
            if (tg_sr_write_result(&req, sr_path, NULL))
                die("SR");
            double t6 = now_ms();
            if (r < 0)
                continue;
            size_t k = (size_t)r * n + i;
            t[W_READ][k] = t1 - t0;
            t[W_PREP][k] = t4 - t3;
            t[W_BOTH][k] = t2 - t0;
            t[W_SR][k] = t6 - t5;
        }
    }
    for (int w = 0; w < W_COUNT; ++w) {
        qsort(t[w], (size_t)(n * rounds), sizeof(double), cmp);
        double med = t[w][(size_t)(n * rounds) / 2];
        printf("%s\t%.3f\t%.1f\n", names[w], med, 1e3 / med);
        free(t[w]);
    }
    for (int i = 0; i < n; ++i)
        tg_image_destroy(&maps[i]);
    free(maps);
    free(paths);
    return 0;
}
