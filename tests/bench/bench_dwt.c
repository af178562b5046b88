/* Timing driver for the wavelet benchmark (tests/bench/bench_dwt.sh runs it next to
 * PyWavelets and scikit-image). Prints one line per workload: name and median milliseconds.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "thermoguard/thermoguard.h"

enum { ROWS = 480, COLS = 640 };

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

typedef void (*work_fn)(void *ctx);

/* Median over `samples` of the mean time of `reps` calls. */
static double median_ms(work_fn f, void *ctx, int samples, int reps)
{
    double *t = malloc(sizeof(double) * (size_t)samples);
    f(ctx); /* warm-up */
    for (int s = 0; s < samples; s++) {
        double t0 = now_ms();
        for (int r = 0; r < reps; r++)
            f(ctx);
        t[s] = (now_ms() - t0) / reps;
    }
    qsort(t, (size_t)samples, sizeof(double), cmp);
    double m = t[samples / 2];
    free(t);
    return m;
}

typedef struct {
    tg_dwt_plan *plan;
    void *x, *c, *y;
    int f32;
    tg_denoise_params dp;
    tg_denoiser *den;
} ctx_t;

static void roundtrip(void *p)
{
    ctx_t *c = p;
    if (c->f32) {
        tg_dwt_forward_f(c->plan, c->x, c->c);
        tg_dwt_inverse_f(c->plan, c->c, c->y);
    } else {
        tg_dwt_forward_d(c->plan, c->x, c->c);
        tg_dwt_inverse_d(c->plan, c->c, c->y);
    }
}

static void denoise(void *p)
{
    ctx_t *c = p;
    tg_denoise2_d(c->x, ROWS, COLS, &c->dp, c->y, NULL);
}

static void denoise_reused(void *p)
{
    ctx_t *c = p;
    tg_denoiser_apply_d(c->den, c->x, c->y, NULL);
}

static void fill(void *x, int f32, unsigned seed)
{
    tg_rng r;
    tg_rng_seed(&r, seed);
    for (size_t i = 0; i < (size_t)ROWS * COLS; i++) {
        double v = 0.5 + 0.1 * tg_rng_normal(&r);
        if (f32)
            ((float *)x)[i] = (float)v;
        else
            ((double *)x)[i] = v;
    }
}

int main(int argc, char **argv)
{
    int samples = argc > 1 ? atoi(argv[1]) : 21, reps = argc > 2 ? atoi(argv[2]) : 20;
    tg_wavelet w;
    if (tg_wavelet_get("db2", &w) != TG_OK)
        return 1;
    for (int f32 = 1; f32 >= 0; f32--) {
        ctx_t c = {0};
        c.f32 = f32;
        if (tg_dwt_plan_create_2d(&c.plan, &w, TG_MODE_SYMMETRIC, ROWS, COLS, 3) != TG_OK) {
            fprintf(stderr, "%s\n", tg_last_error());
            return 1;
        }
        size_t es = f32 ? sizeof(float) : sizeof(double);
        c.x = malloc(es * ROWS * COLS);
        c.y = malloc(es * ROWS * COLS);
        c.c = malloc(es * tg_dwt_plan_layout(c.plan)->total);
        fill(c.x, f32, 1);
        printf("wavedec2+waverec2_db2_L3_%s %.4f\n", f32 ? "float32" : "float64",
               median_ms(roundtrip, &c, samples, reps));
        tg_dwt_plan_destroy(c.plan);
        free(c.x);
        free(c.y);
        free(c.c);
    }
    ctx_t c = {0};
    c.x = malloc(sizeof(double) * ROWS * COLS);
    c.y = malloc(sizeof(double) * ROWS * COLS);
    fill(c.x, 0, 2);
    tg_denoise_params_default(&c.dp);
    strcpy(c.dp.wavelet, "db2");
    printf("denoise_wavelet_bayes_db2_soft_float64 %.4f\n", median_ms(denoise, &c, samples, reps));
    if (tg_denoiser_create(&c.den, &c.dp, ROWS, COLS) != TG_OK)
        return 1;
    /* the same work through a reusable tg_denoiser (plan and buffers allocated once), as the
     * pipeline runs it; the peer has no such mode, so it is compared with its one call */
    printf("denoise_reused_denoiser_float64 %.4f\n", median_ms(denoise_reused, &c, samples, reps));
    tg_denoiser_destroy(c.den);
    free(c.x);
    free(c.y);
    return 0;
}
