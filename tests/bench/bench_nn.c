/* bench_nn: throughput of the benchmark CNN (docs/benchmarking.md) on ThermoGuard's nn core.
 * Usage: bench_nn THREADS  — prints one "key value..." line per measurement (medians):
 *   sgemm T gflops                          SGEMM 2048^3 (the machine's ceiling in this run)
 *   net T B fwd|fwdbwd|train img_s gflops   whole network, batch B
 *   layer T name gflops                     conv GEMM layers at batch 64, forward / dgrad / wgrad
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _POSIX_C_SOURCE 199309L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "thermoguard/nn.h"

#define SPEC "conv(16,3,1,1)-relu-maxpool(2)-conv(32,3,1,1)-relu-maxpool(2)-conv(64,3,1,1)-relu-gap-dense(2)"
#define SIDE 128
#define MAX_REPS 64

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return t[n / 2];
}

static void die(tg_status st)
{
    fprintf(stderr, "bench_nn: %s: %s\n", tg_status_name(st), tg_last_error());
    exit(1);
}

/* GEMM FLOPs per sample of one conv layer (2 K CRR L) for the three conv shapes. */
static const struct {
    const char *name;
    int C, H, K;
} convs[3] = {{"conv1", 1, 128, 16}, {"conv2", 16, 64, 32}, {"conv3", 32, 32, 64}};

static double conv_flops(int i) { return 2.0 * convs[i].K * convs[i].C * 9 * convs[i].H * convs[i].H; }

static double sgemm_peak(void)
{
    const int n = 2048;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    double t[5];
    for (int i = 0; i < n * n; i++)
        a[i] = b[i] = 1e-3f * (float)(i % 1000);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        t[r] = now() - t0;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * n * n * (double)n / median(t, 5) * 1e-9;
}

typedef enum { FWD, FWDBWD, TRAIN } mode;
static const char *mode_names[] = {"fwd", "fwdbwd", "train"};

/* Median seconds of one step of `m` at batch B. */
static double time_net(tg_net *net, int B, mode m, int reps)
{
    tg_net_workspace *ws;
    tg_status st = tg_net_workspace_create(&ws, net, B);
    if (st)
        die(st);
    size_t n = (size_t)B * SIDE * SIDE;
    float *x = malloc(n * sizeof(float)), *dl = malloc((size_t)B * 2 * sizeof(float));
    int *y = malloc((size_t)B * sizeof(int));
    tg_rng r;
    tg_rng_seed(&r, 5);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)tg_rng_uniform(&r);
    for (int b = 0; b < B; b++)
        y[b] = b & 1;
    double t[MAX_REPS];
    for (int rep = -1; rep < reps; rep++) {
        double t0 = now();
        tg_net_pass pass = {m == TRAIN, 0, (uint64_t)rep, NULL};
        const float *logits, *dx;
        float loss;
        if ((st = tg_net_forward(net, ws, x, B, &pass, &logits)))
            die(st);
        if (m != FWD) {
            memset(dl, 0, (size_t)B * 2 * sizeof(float));
            if ((st = tg_xent_forward(&loss, NULL, logits, y, NULL, B, 2, TG_REDUCE_MEAN)) ||
                (st = tg_xent_backward(dl, 1.0f, logits, y, NULL, B, 2, TG_REDUCE_MEAN)))
                die(st);
        }
        if (m == FWDBWD && (st = tg_net_backward(net, ws, dl, TG_NET_GRAD_INPUT, &dx)))
            die(st);
        if (m == TRAIN) {
            tg_net_zero_grad(net);
            if ((st = tg_net_backward(net, ws, dl, TG_NET_GRAD_PARAMS, &dx)))
                die(st);
            for (size_t i = 0; i < net->n_params; i++)
                net->params[i] -= 1e-3f * net->grads[i];
        }
        if (rep >= 0)
            t[rep] = now() - t0;
    }
    free(x);
    free(dl);
    free(y);
    tg_net_workspace_destroy(ws);
    return median(t, reps);
}

/* Per conv layer at batch 64: forward, input-gradient (dgrad) and weight-gradient (wgrad) GFLOP/s. */
static void time_layers(int threads)
{
    const int B = 64;
    for (int i = 0; i < 3; i++) {
        int C = convs[i].C, H = convs[i].H, K = convs[i].K;
        size_t nin = (size_t)B * C * H * H, nout = (size_t)B * K * H * H, nw = (size_t)K * C * 9;
        float *in = calloc(nin, sizeof(float)), *din = calloc(nin, sizeof(float)), *out = calloc(nout, sizeof(float));
        float *w = calloc(nw, sizeof(float)), *dw = calloc(nw, sizeof(float)), *b = calloc((size_t)K, sizeof(float));
        float *col = malloc(tg_conv2d_col_floats(C, H, H, 3, 1, 1) * sizeof(float));
        double t[3][5];
        for (int rep = -1; rep < 5; rep++) {
            double t0 = now();
            tg_status st = tg_conv2d_forward(out, col, in, w, b, B, C, H, H, K, 3, 1, 1);
            double t1 = now();
            if (!st)
                st = tg_conv2d_backward(din, NULL, NULL, col, out, in, w, B, C, H, H, K, 3, 1, 1);
            double t2 = now();
            if (!st)
                st = tg_conv2d_backward(NULL, dw, NULL, col, out, in, w, B, C, H, H, K, 3, 1, 1);
            if (st)
                die(st);
            if (rep >= 0) {
                t[0][rep] = t1 - t0;
                t[1][rep] = t2 - t1;
                t[2][rep] = now() - t2;
            }
        }
        static const char *parts[3] = {"fwd", "dgrad", "wgrad"};
        for (int p = 0; p < 3; p++)
            printf("layer %d %s_%s %.1f\n", threads, convs[i].name, parts[p], conv_flops(i) * B / median(t[p], 5) * 1e-9);
        free(in);
        free(din);
        free(out);
        free(w);
        free(dw);
        free(b);
        free(col);
    }
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1)
        threads = 1;
    openblas_set_num_threads(threads);
    printf("sgemm %d %.1f\n", threads, sgemm_peak());
    tg_net *net;
    tg_status st = tg_net_create(&net, SPEC, 1, SIDE, SIDE);
    tg_rng r;
    tg_rng_seed(&r, 1);
    if (st || (st = tg_net_init(net, &r)))
        die(st);
    double fwd = conv_flops(0) + conv_flops(1) + conv_flops(2);
    /* fwd+bwd to the input adds every conv's dgrad; training adds every wgrad and the dgrads of conv2/3 */
    double flops[3] = {fwd, 2 * fwd, 3 * fwd - conv_flops(0)};
    for (int m = FWD; m <= TRAIN; m++)
        for (int B = 1; B <= 64; B *= 64) {
            int reps = B == 1 ? 30 : 5;
            double t = time_net(net, B, (mode)m, reps);
            printf("net %d %d %s %.1f %.1f\n", threads, B, mode_names[m], B / t, flops[m] * B / t * 1e-9);
        }
    time_layers(threads);
    tg_net_destroy(net);
    return 0;
}
