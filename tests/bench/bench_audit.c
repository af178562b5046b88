/* bench_audit: robustness-audit throughput of the core audit (the code the CLI and the Orthanc
 * job run, one image per call) on breast samples of a views.csv collection.
 * Usage: bench_audit MODEL.tgm DATA_DIR OUT_DIR N THREATS DETECTOR
 *   N         images to audit (the collection's samples are reused cyclically when it has fewer)
 *   THREATS   "adaptive" or "adaptive,black-box"
 *   DETECTOR  1: the model's calibrated detector scores every attacked input; 0: no detector
 * Suite: the audit default (FGSM, PGD-20, C&W-100, Square-1000; budgets 0.02, 0.05, 0.1, 0.2 °C;
 * early stop per image once its verdict flips). Writes OUT_DIR/{meta.txt, params.bin, stats.bin,
 * samples.bin} (what the PyTorch peer needs: the same network and the same inputs) and
 * OUT_DIR/tg_clean.bin (clean P(positive) per image); prints one line
 *   "tg images N seconds S img_min R flipped_<threat> K ..." (flips over the whole suite at the
 * largest budget). No timed assertion: the script compares.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "thermoguard/collection.h"
#include "thermoguard/thermoguard.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void check(tg_status st, const char *what)
{
    if (st != TG_OK) {
        fprintf(stderr, "bench_audit: %s: %s: %s\n", what, tg_status_name(st), tg_last_error());
        exit(1);
    }
}

static void write_floats(const char *dir, const char *name, const float *v, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(v, sizeof *v, n, f) != n || fclose(f)) {
        fprintf(stderr, "bench_audit: cannot write %s\n", path);
        exit(1);
    }
}

/* What the peer needs to rebuild the pipeline: spec, grid, range, denoiser, threshold. */
static void write_meta(const char *dir, const tg_model *m, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/meta.txt", dir);
    FILE *f = fopen(path, "w");
    const tg_pipeline_config *p = &m->pipeline;
    if (!f) {
        fprintf(stderr, "bench_audit: cannot write %s\n", path);
        exit(1);
    }
    fprintf(f, "spec %s\nin %d %d %d\nrange %.9g %.9g\ndenoise %d %s %d %d %d %d\nfeat %s %d %u\n", m->net->spec,
            p->in_c, p->in_h, p->in_w, (double)p->t_min, (double)p->t_max, p->denoise_on, p->denoise.wavelet,
            p->denoise.levels, (int)p->denoise.threshold, (int)p->denoise.rule, (int)p->denoise.mode,
            p->feat_wavelet, p->feat_level, p->feat_bands);
    fprintf(f, "threshold %.17g\npositive %d\nbn_eps %.9g\nimages %zu\n", m->threshold, m->positive_class,
            (double)m->net->bn_eps, n);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: bench_audit MODEL.tgm DATA_DIR OUT_DIR N THREATS DETECTOR\n");
        return 2;
    }
    size_t n = strtoul(argv[4], NULL, 10);
    int with_blackbox = strstr(argv[5], "black-box") != NULL, detector = atoi(argv[6]);
    tg_model *m = NULL;
    check(tg_model_load(argv[1], &m, NULL), argv[1]);
    if (!detector)
        m->detector.calibrated = 0;
    tg_sample_set set = {0};
    tg_collection_report rep;
    check(tg_collection_load(argv[2], &m->prep, &set, &rep, NULL), argv[2]);
    size_t per = (size_t)set.c * set.h * set.w;
    float *raw = malloc(n * per * sizeof *raw), *clean = malloc(n * sizeof *clean);
    if (!raw || !clean || set.n == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        memcpy(raw + i * per, set.raw + (i % set.n) * per, per * sizeof *raw);
    write_meta(argv[3], m, n);
    write_floats(argv[3], "params.bin", m->net->params, m->net->n_params);
    write_floats(argv[3], "stats.bin", m->net->stats, m->net->n_stats);
    write_floats(argv[3], "samples.bin", raw, n * per);

    tg_audit_config cfg;
    tg_audit_config_default(&cfg);
    cfg.n_threats = with_blackbox ? 2 : 1;
    tg_audit *a = NULL;
    check(tg_audit_create(&a, &cfg, m, NULL), "audit");
    double t0 = now();
    for (size_t i = 0; i < n; i++)
        check(tg_audit_image(a, raw + i * per, -1, NULL, NULL, NULL), "audit image");
    double secs = now() - t0;
    int flipped[TG_AUDIT_MAX_THREATS] = {0};
    for (size_t i = 0; i < n; i++) {
        const tg_audit_record *r = tg_audit_get_record(a, i);
        clean[i] = r->clean_prob;
        for (int t = 0; t < cfg.n_threats; t++)
            for (int k = 0; k < cfg.n_attacks; k++)
                if (r->cells[tg_audit_cell_index(&cfg, t, cfg.n_budgets - 1, k)].flipped) {
                    flipped[t]++;
                    break;
                }
    }
    write_floats(argv[3], "tg_clean.bin", clean, n);
    printf("tg images %zu seconds %.3f img_min %.1f", n, secs, 60.0 * (double)n / secs);
    for (int t = 0; t < cfg.n_threats; t++)
        printf(" flipped_%s %d", tg_threat_name(cfg.threats[t]), flipped[t]);
    printf("\n");
    tg_audit_destroy(a);
    tg_model_destroy(m);
    tg_sample_set_destroy(&set);
    free(raw);
    free(clean);
    return 0;
}
