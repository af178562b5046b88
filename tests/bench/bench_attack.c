/* bench_attack: attack throughput through the whole (denoise-off) pipeline.
 * Usage: bench_attack THREADS — prints "attack T name img_s" lines (medians of 3 runs):
 * PGD-10 and PGD-40 (L∞, batch 64) and C&W-L2 fixed form, 100 iterations (batch 64), on
 * 2 x 64 x 64 °C inputs, haar level-1 features (8 x 32 x 32) and the bench_nn CNN.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _POSIX_C_SOURCE 199309L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "thermoguard/attack.h"

#define SPEC "conv(16,3,1,1)-relu-maxpool(2)-conv(32,3,1,1)-relu-maxpool(2)-conv(64,3,1,1)-relu-gap-dense(2)"
#define BATCH 64
#define REPS 3

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void check(tg_status st)
{
    if (st != TG_OK) {
        fprintf(stderr, "bench_attack: %s: %s\n", tg_status_name(st), tg_last_error());
        exit(1);
    }
}

static double run(tg_pipeline *p, const tg_attack_params *prm, const float *x, const int *y, float *adv)
{
    tg_attack_result res;
    check(tg_attack_result_init(&res, BATCH));
    double best = 1e30;
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        check(tg_attack_run(p, prm, x, y, BATCH, adv, &res, NULL));
        double t = now() - t0;
        best = t < best ? t : best;
    }
    tg_attack_result_free(&res);
    return BATCH / best;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    openblas_set_num_threads(threads);
    tg_pipeline_config cfg;
    tg_pipeline_config_default(&cfg);
    cfg.denoise_on = 0;
    int fc, fh, fw;
    check(tg_pipeline_feature_shape(&cfg, &fc, &fh, &fw));
    tg_net *net;
    check(tg_net_create(&net, SPEC, fc, fh, fw));
    tg_rng r;
    tg_rng_seed(&r, 1);
    check(tg_net_init(net, &r));
    tg_pipeline *p;
    check(tg_pipeline_create(&p, &cfg, net, BATCH));
    size_t n = (size_t)BATCH * (size_t)cfg.in_c * (size_t)cfg.in_h * (size_t)cfg.in_w;
    float *x = malloc(n * sizeof(float)), *adv = malloc(n * sizeof(float));
    int y[BATCH];
    for (size_t i = 0; i < n; i++)
        x[i] = (float)tg_rng_range(&r, 25.0, 35.0);
    for (int b = 0; b < BATCH; b++)
        y[b] = b % 2;
    tg_attack_params pgd = tg_attack_params_default(TG_ATTACK_PGD);
    pgd.iterations = 10;
    printf("attack %d pgd10 %.1f\n", threads, run(p, &pgd, x, y, adv));
    pgd.iterations = 40;
    printf("attack %d pgd40 %.1f\n", threads, run(p, &pgd, x, y, adv));
    tg_attack_params cw = tg_attack_params_default(TG_ATTACK_CW);
    tg_attack_params_cw_fixed(&cw);
    cw.iterations = 100;
    printf("attack %d cw100 %.1f\n", threads, run(p, &cw, x, y, adv));
    free(x);
    free(adv);
    tg_pipeline_destroy(p);
    tg_net_destroy(net);
    return 0;
}
