/* ThermoGuard node — analysis of one series (see analyze.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "analyze.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_INSTANCES 1024
#define MAX_SR_BYTES ((long)64 << 20)

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Adds a breast for `side`, fed by source `index`, unless present. */
static void add_side(tg_sr_breast_result *b, int *n, char side, int index)
{
    for (int i = 0; i < *n; ++i)
        if (b[i].laterality == side)
            return;
    tg_sr_breast_result r = {side, 0.0, 0.0, 0, index};
    b[(*n)++] = r;
}

const char *tg_node_model_id(void)
{
    return TG_NODE_PLACEHOLDER_MODEL;
}

/* THE place where the classifier plugs in: fills probability/detector fields of every breast and
 * the model description. No model exists yet, so every breast gets the same fixed placeholder
 * (probability 0.5 at threshold 0.5 = "suspicious", so nothing is falsely reassuring). */
static void score_breasts(tg_sr_breast_result *b, int n, tg_sr_model_info *model, tg_node_result *out)
{
    for (int i = 0; i < n; ++i) {
        b[i].probability = 0.5;
        b[i].detector_score = 0.0;
        b[i].detector_flag = 0;
    }
    model->name = "none (no model loaded)";
    model->version = "0";
    model->sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
    model->defense = "none: no model loaded, placeholder result";
    model->threshold = 0.5;
    model->placeholder = 1;
    out->placeholder = 1;
    snprintf(out->model, sizeof out->model, "%s", TG_NODE_PLACEHOLDER_MODEL);
    snprintf(out->summary, sizeof out->summary, "no model loaded: placeholder result");
}

/* Reads the whole file at `path` into a malloc'd buffer. */
static tg_status slurp(const char *path, void **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return tg_fail(TG_ERR_IO, "%s: %s", path, strerror(errno));
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        len = ftell(f);
    if (len <= 0 || len > MAX_SR_BYTES || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return tg_fail(TG_ERR_IO, "%s: unexpected SR size %ld", path, len);
    }
    void *buf = malloc((size_t)len);
    if (!buf) {
        fclose(f);
        return tg_fail(TG_ERR_NOMEM, "SR buffer of %ld bytes", len);
    }
    if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        fclose(f);
        return tg_fail(TG_ERR_IO, "%s: short read", path);
    }
    fclose(f);
    *data = buf;
    *size = (size_t)len;
    return TG_OK;
}

/* Writes the SR to a private temporary file, reads it back into out->sr_data and removes it. */
static tg_status write_sr(const tg_sr_result_request *req, const char *tmp_dir, tg_node_result *out)
{
    const char *dir = tmp_dir ? tmp_dir : getenv("TMPDIR");
    char path[4096];
    if (snprintf(path, sizeof path, "%s/thermoguard-sr-XXXXXX", dir && *dir ? dir : "/tmp") >= (int)sizeof path)
        return tg_fail(TG_ERR_ARG, "temporary directory path too long");
    int fd = mkstemp(path);
    if (fd < 0)
        return tg_fail(TG_ERR_IO, "cannot create a temporary SR file in %s: %s", dir ? dir : "/tmp", strerror(errno));
    close(fd);
    tg_status s = tg_sr_write_result(req, path, out->sr_uid);
    if (s == TG_OK)
        s = slurp(path, &out->sr_data, &out->sr_size);
    unlink(path);
    return s;
}

tg_status tg_node_analyze_series(const tg_node_instance *inst, int n, const tg_node_analysis_config *cfg,
                                 tg_node_result *out)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "analyze: NULL result");
    memset(out, 0, sizeof *out);
    if (!inst || !cfg || n < 1 || n > MAX_INSTANCES)
        return tg_fail(TG_ERR_ARG, "analyze: need 1..%d instances, got %d", MAX_INSTANCES, n);

    tg_dicom_limits lim;
    tg_dicom_limits_default(&lim);
    if (cfg->max_pixels)
        lim.max_pixels = cfg->max_pixels;
    if (cfg->max_file_bytes)
        lim.max_file_bytes = cfg->max_file_bytes;

    tg_dicom_source *src = calloc((size_t)n, sizeof *src);
    if (!src)
        return tg_fail(TG_ERR_NOMEM, "analyze: %d sources", n);
    tg_sr_breast_result breasts[2];
    int n_breasts = 0;
    double t0 = now_s();
    tg_status s = TG_OK;
    for (int i = 0; i < n; ++i) {
        if (cfg->deadline > 0 && now_s() > cfg->deadline) {
            s = tg_fail(TG_ERR_CANCELLED, "series time limit reached after %d of %d instances", i, n);
            goto done;
        }
        tg_image img = {0};
        tg_dicom_meta meta;
        const char *name = inst[i].id ? inst[i].id : "instance";
        tg_status rs = inst[i].data && inst[i].size ? tg_dicom_read_buffer(inst[i].data, inst[i].size, name, &lim, &img, &meta)
                                                    : tg_fail(TG_ERR_FORMAT, "%s: empty instance", name);
        tg_image_destroy(&img);
        if (rs != TG_OK) {
            ++out->n_rejected;
            if (cfg->on_reject)
                cfg->on_reject(cfg->user, i, tg_last_error());
            continue;
        }
        int k = out->n_used++;
        src[k].path = name;
        src[k].data = inst[i].data;
        src[k].size = inst[i].size;
        if (!strcmp(meta.laterality, "L") || !strcmp(meta.laterality, "R")) {
            add_side(breasts, &n_breasts, meta.laterality[0], k);
        } else {
            add_side(breasts, &n_breasts, 'L', k);
            add_side(breasts, &n_breasts, 'R', k);
        }
    }
    if (out->n_used == 0) {
        s = tg_fail(TG_ERR_FORMAT, "no usable instance among %d", n);
        goto done;
    }
    double t1 = now_s();

    tg_sr_result_request req;
    memset(&req, 0, sizeof req);
    score_breasts(breasts, n_breasts, &req.model, out);
    double t2 = now_s();

    req.sources = src;
    req.n_sources = out->n_used;
    req.breasts = breasts;
    req.n_breasts = n_breasts;
    tg_dicom_source pred = {0};
    if (cfg->predecessor && cfg->predecessor->data && cfg->predecessor->size) {
        pred.path = cfg->predecessor->id ? cfg->predecessor->id : "predecessor SR";
        pred.data = cfg->predecessor->data;
        pred.size = cfg->predecessor->size;
        req.predecessor = &pred;
    }
    s = write_sr(&req, cfg->tmp_dir, out);
    if (s != TG_OK)
        goto done;

    out->n_breasts = n_breasts;
    out->threshold = req.model.threshold;
    out->verdict = 0.0;
    for (int i = 0; i < n_breasts; ++i) {
        out->laterality[i] = breasts[i].laterality;
        out->probability[i] = breasts[i].probability;
        if (breasts[i].probability > out->verdict)
            out->verdict = breasts[i].probability;
    }
    out->seconds_decode = t1 - t0;
    out->seconds_model = t2 - t1;
    out->seconds_sr = now_s() - t2;
done:
    free(src);
    if (s != TG_OK) {
        int used = out->n_used, rejected = out->n_rejected;
        tg_node_result_clear(out);
        out->n_used = used;
        out->n_rejected = rejected;
    }
    return s;
}

void tg_node_result_clear(tg_node_result *r)
{
    if (!r)
        return;
    free(r->sr_data);
    memset(r, 0, sizeof *r);
}
