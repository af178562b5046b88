/* Helpers shared by the `thermoguard` subcommands: number parsing, progress display, JSON and
 * metric output, the training-data hash.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int cli_parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int progress_cb(void *user, double fraction, const char *stage)
{
    cli_progress *cp = user;
    double now = cli_now(), el = now - cp->t0;
    if (cp->tty) {
        if (now - cp->last_draw < 0.1 && fraction < 1.0)
            return 0;
        cp->last_draw = now;
        char bar[21];
        int full = (int)(fraction * 20.0 + 0.5);
        for (int i = 0; i < 20; i++)
            bar[i] = i < full ? '#' : '.';
        bar[20] = '\0';
        char eta[32] = "ETA --";
        if (fraction > 0.01)
            snprintf(eta, sizeof eta, "ETA %.0f s", el * (1.0 - fraction) / fraction);
        fprintf(stderr, "\r[%s] %3.0f%% %s  %s\033[K", bar, 100.0 * fraction, stage, eta);
        fflush(stderr);
        cp->drawn = 1;
        return 0;
    }
    int e, ne;
    size_t b, nb;
    double loss, acc;
    if (cp->every_epoch &&
        sscanf(stage, "train epoch %d/%d batch %zu/%zu loss %lf acc %lf", &e, &ne, &b, &nb, &loss, &acc) == 6 &&
        b == nb) {
        double eta = fraction > 0 ? el * (1.0 - fraction) / fraction : 0.0;
        fprintf(stderr, "epoch %d/%d  loss %.4f  acc %.3f  (%.1f s, ETA %.0f s)\n", e, ne, loss, acc, el, eta);
        fflush(stderr);
    }
    return 0;
}

void cli_progress_init(cli_progress *cp, const char *cmd, int every_epoch)
{
    memset(cp, 0, sizeof *cp);
    cp->cmd = cmd;
    cp->tty = isatty(STDERR_FILENO);
    cp->every_epoch = every_epoch;
    cp->t0 = cli_now();
    cp->last_draw = -1.0;
    cp->p.fn = progress_cb;
    cp->p.user = cp;
}

void cli_progress_done(cli_progress *cp, const char *what)
{
    if (cp->tty && cp->drawn)
        fputc('\n', stderr);
    fprintf(stderr, "thermoguard %s: %s: %.1f s\n", cp->cmd, what, cli_now() - cp->t0);
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void cli_json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

void cli_json_metrics(FILE *f, const tg_binary_metrics *m)
{
    fprintf(f, "{\"n\": %zu, \"accuracy\": ", m->n);
    cli_json_num(f, m->accuracy);
    fputs(", \"sensitivity\": ", f);
    cli_json_num(f, m->sensitivity);
    fputs(", \"specificity\": ", f);
    cli_json_num(f, m->specificity);
    fputs(", \"auc\": ", f);
    cli_json_num(f, m->auc);
    fprintf(f, ", \"confusion\": {\"tp\": %zu, \"fn\": %zu, \"fp\": %zu, \"tn\": %zu}}", m->tp, m->fn, m->fp, m->tn);
}

/* "0.8125" or "n/a" for NaN. */
static const char *num4(double v, char buf[32])
{
    if (isfinite(v))
        snprintf(buf, 32, "%.4f", v);
    else
        snprintf(buf, 32, "n/a");
    return buf;
}

void cli_print_metrics(FILE *f, const char *indent, const tg_binary_metrics *m)
{
    char a[32], b[32], c[32], d[32];
    fprintf(f, "%saccuracy %s  sensitivity %s  specificity %s  AUC %s  (n = %zu)\n", indent, num4(m->accuracy, a),
            num4(m->sensitivity, b), num4(m->specificity, c), num4(m->auc, d), m->n);
    fprintf(f, "%sconfusion matrix     predicted sick  predicted healthy\n", indent);
    fprintf(f, "%s  truly sick         %14zu  %17zu\n", indent, m->tp, m->fn);
    fprintf(f, "%s  truly healthy      %14zu  %17zu\n", indent, m->fp, m->tn);
}

int cli_data_hash(const char *dir, const tg_sample_set *set, char hex[TG_SHA256_HEX_CHARS])
{
    char path[4096];
    snprintf(path, sizeof path, "%s/views.csv", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    tg_sha256_ctx ctx;
    tg_sha256_init(&ctx);
    unsigned char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        tg_sha256_update(&ctx, buf, k);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return -1;
    /* Samples in a fixed little-endian layout, so the hash does not depend on the host. */
    size_t per = (size_t)set->c * (size_t)set->h * (size_t)set->w;
    for (size_t i = 0; i < set->n; i++) {
        const float *x = set->raw + i * per;
        for (size_t j = 0; j < per; j++) {
            uint32_t u;
            memcpy(&u, &x[j], 4);
            unsigned char le[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                                   (unsigned char)(u >> 24)};
            tg_sha256_update(&ctx, le, 4);
        }
        unsigned char lab = (unsigned char)set->labels[i];
        tg_sha256_update(&ctx, &lab, 1);
        tg_sha256_update(&ctx, set->patient[i], strlen(set->patient[i]) + 1);
        tg_sha256_update(&ctx, set->group[i], strlen(set->group[i]) + 1);
    }
    uint8_t digest[TG_SHA256_BYTES];
    tg_sha256_final(&ctx, digest);
    tg_sha256_hex(digest, hex);
    return 0;
}

int cli_set_is_synthetic(const tg_sample_set *set)
{
    if (set->n == 0)
        return 0;
    for (size_t i = 0; i < set->n; i++)
        if (strncmp(set->patient[i], "SYN-", 4) != 0)
            return 0;
    return 1;
}
