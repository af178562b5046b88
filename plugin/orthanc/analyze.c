/* ThermoGuard node — analysis of one series (see analyze.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "analyze.h"
#include "node_model.h"
#include "thermoguard/collection.h"
#include "thermoguard/detect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_INSTANCES 1024
#define MAX_SR_BYTES ((long)64 << 20)
#define PIPELINE_BATCH 8

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

/* Without a model: every breast gets the same fixed, labelled placeholder (probability 0.5 at
 * threshold 0.5 = "suspicious", so nothing is falsely reassuring). */
static void score_placeholder(tg_sr_breast_result *b, int n, tg_sr_model_info *model, tg_node_result *out)
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

/* ---- with a model ---- */

/* The calling worker thread's pipeline over the model it last used (pipelines are not
 * thread-safe; the model's weights are shared read-only). Rebuilt when the model changes. */
static __thread struct {
    tg_node_model *model; /* a reference held by this thread */
    tg_pipeline *pipe;
} tc;

void tg_node_analysis_thread_end(void)
{
    tg_pipeline_destroy(tc.pipe);
    tg_node_model_release(tc.model);
    tc.pipe = NULL;
    tc.model = NULL;
}

static tg_status thread_pipeline(tg_node_model *m, tg_pipeline **out)
{
    if (!tc.model || tc.model->generation != m->generation) {
        tg_node_analysis_thread_end();
        tg_pipeline *p = NULL;
        tg_status st = tg_model_pipeline(m->m, PIPELINE_BATCH, &p);
        if (st != TG_OK)
            return st;
        tc.pipe = p;
        tc.model = tg_node_model_ref(m);
    }
    *out = tc.pipe;
    return TG_OK;
}

/* One preprocessed view of the series. */
typedef struct view_in {
    int source;              /* index into the SR sources */
    tg_view view;
    int paired;
    tg_preprocess_result pr;
} view_in;

static tg_view opposite(tg_view v)
{
    switch (v) {
    case TG_VIEW_LATERAL_LEFT: return TG_VIEW_LATERAL_RIGHT;
    case TG_VIEW_LATERAL_RIGHT: return TG_VIEW_LATERAL_LEFT;
    case TG_VIEW_OBLIQUE_LEFT: return TG_VIEW_OBLIQUE_RIGHT;
    case TG_VIEW_OBLIQUE_RIGHT: return TG_VIEW_OBLIQUE_LEFT;
    default: return TG_VIEW_COUNT;
    }
}

/* Pairs one-sided views with the first unpaired opposite view of the series, in instance order
 * (as tg_collection_load does for training data). */
static void pair_views(view_in *v, int n)
{
    for (int i = 0; i < n; ++i) {
        tg_view want = opposite(v[i].view);
        for (int j = i + 1; j < n && want != TG_VIEW_COUNT && !v[i].paired; ++j)
            if (!v[j].paired && v[j].view == want && tg_preprocess_pair_views(&v[i].pr, &v[j].pr) == TG_OK)
                v[i].paired = v[j].paired = 1;
    }
}

/* Defense settings text of the SR: the model's defense plus the node's detector settings. */
static void defense_text(const tg_model *m, const tg_detector *d, int enabled, char *buf, size_t size)
{
    char sq[64] = "";
    for (int i = 0; i < d->n; ++i) {
        char one[24];
        tg_squeezer_format(&d->sq[i], one, sizeof one);
        snprintf(sq + strlen(sq), sizeof sq - strlen(sq), "%s%s", i ? "," : "", one);
    }
    const tg_pipeline_config *pc = &m->pipeline;
    int k = snprintf(buf, size, "defense %s%s%s%s; wavelet denoising %s; features %s level %d; ",
                     m->prov.defense[0] ? m->prov.defense : "none", m->prov.defense_settings[0] ? " (" : "",
                     m->prov.defense_settings, m->prov.defense_settings[0] ? ")" : "", pc->denoise_on ? "on" : "off",
                     pc->feat_wavelet, pc->feat_level);
    if (k < 0 || (size_t)k >= size)
        return;
    if (enabled && d->calibrated)
        snprintf(buf + k, size - (size_t)k,
                 "detector: feature squeezing [%s], flag when score > %g (calibrated for %.0f%% false positives "
                 "on clean validation data)",
                 sq, d->threshold, 100.0 * d->target_fpr);
    else if (enabled)
        snprintf(buf + k, size - (size_t)k,
                 "detector: feature squeezing [%s], flag when score > %g (threshold UNCALIBRATED: node setting, "
                 "not calibrated on clean data)",
                 sq, d->threshold);
    else
        snprintf(buf + k, size - (size_t)k, "detector: off (scores 0, never flagged)");
}

/* THE place where the classifier runs: every view's breast inputs through the model's pipeline
 * (probability of the positive class) and the detector; per breast the maximum over its views
 * (and the detector's maximum score); the series verdict is the maximum over breasts. */
static tg_status score_breasts(tg_node_model *nm, view_in *v, int nv, const tg_node_analysis_config *cfg,
                               tg_sr_breast_result *b, int *n_breasts, tg_node_result *out)
{
    tg_model *m = nm->m;
    tg_pipeline *pipe;
    tg_status st = thread_pipeline(nm, &pipe);
    if (st != TG_OK)
        return st;
    int n_in = 0;
    for (int i = 0; i < nv; ++i)
        n_in += v[i].pr.n_breasts;
    const int h = m->pipeline.in_h, w = m->pipeline.in_w, classes = m->n_classes;
    const size_t per = (size_t)2 * (size_t)h * (size_t)w;
    float *raw = malloc((size_t)n_in * per * sizeof *raw);
    float *probs = malloc((size_t)n_in * (size_t)classes * sizeof *probs);
    float *scores = calloc((size_t)n_in, sizeof *scores);
    int *side = malloc((size_t)n_in * sizeof *side), *src = malloc((size_t)n_in * sizeof *src);
    if (!raw || !probs || !scores || !side || !src) {
        st = tg_fail(TG_ERR_NOMEM, "analysis buffers for %d breast inputs", n_in);
        goto done;
    }
    int k = 0;
    for (int i = 0; i < nv; ++i)
        for (int j = 0; j < v[i].pr.n_breasts; ++j, ++k) {
            const tg_breast_input *bi = &v[i].pr.breast[j];
            if (bi->input.c != 2 || bi->input.h != h || bi->input.w != w) {
                st = tg_fail(TG_ERR_ARG, "preprocessed input %dx%dx%d does not match the model's 2x%dx%d",
                             bi->input.c, bi->input.h, bi->input.w, h, w);
                goto done;
            }
            memcpy(raw + (size_t)k * per, bi->input.data, per * sizeof *raw);
            side[k] = bi->side == TG_SIDE_LEFT ? 'L' : 'R';
            src[k] = v[i].source;
        }
    for (int i = 0; i < n_in && st == TG_OK; i += PIPELINE_BATCH) {
        int nb = n_in - i < PIPELINE_BATCH ? n_in - i : PIPELINE_BATCH;
        st = tg_pipeline_predict(pipe, raw + (size_t)i * per, nb, probs + (size_t)i * (size_t)classes);
    }
    if (st != TG_OK)
        goto done;
    /* The model file carries the detector calibrated on clean validation data; a configured
     * DetectorThreshold overrides its threshold (and the SR then says it is not calibrated). */
    tg_detector det = m->detector;
    if (cfg->detector_threshold >= 0.0) {
        det.threshold = cfg->detector_threshold;
        det.calibrated = 0;
    } else if (!det.calibrated) {
        det.threshold = 0.5;
    }
    if (cfg->detector_enabled) {
        if ((st = tg_detector_scores(pipe, &det, raw, n_in, scores)) != TG_OK)
            goto done;
        out->detector_run = 1;
    }
    *n_breasts = 0;
    for (int i = 0; i < n_in; ++i) {
        double p = probs[(size_t)i * (size_t)classes + (size_t)m->positive_class];
        int at = -1;
        for (int j = 0; j < *n_breasts; ++j)
            if (b[j].laterality == side[i])
                at = j;
        if (at < 0) {
            at = (*n_breasts)++;
            tg_sr_breast_result r = {(char)side[i], p, scores[i], 0, src[i]};
            b[at] = r;
        } else {
            if (p > b[at].probability) {
                b[at].probability = p;
                b[at].source_index = src[i];
            }
            if (scores[i] > b[at].detector_score)
                b[at].detector_score = scores[i];
        }
    }
    for (int j = 0; j < *n_breasts; ++j) {
        b[j].detector_flag = cfg->detector_enabled && b[j].detector_score > det.threshold;
        out->detector_score[j] = b[j].detector_score;
        out->detector_flag[j] = b[j].detector_flag;
    }
    out->n_inputs = n_in;
    defense_text(m, &det, cfg->detector_enabled, out->defense, sizeof out->defense);
done:
    free(raw);
    free(probs);
    free(scores);
    free(side);
    free(src);
    return st;
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

/* Reads instance i; with a model also preprocesses it into v (0 = usable, else rejected). */
static int take_instance(const tg_node_instance *in, int i, const tg_dicom_limits *lim, const tg_model *m,
                         const tg_preprocess_params *pp, tg_dicom_meta *meta, view_in *v,
                         const tg_node_analysis_config *cfg, tg_node_result *out)
{
    tg_image img = {0};
    const char *name = in->id ? in->id : "instance";
    tg_status rs = in->data && in->size ? tg_dicom_read_buffer(in->data, in->size, name, lim, &img, meta)
                                        : tg_fail(TG_ERR_FORMAT, "%s: empty instance", name);
    if (rs == TG_OK && m) {
        double tp = now_s();
        if (meta->has_temperature != m->pipeline.has_temperature) {
            rs = tg_fail(TG_ERR_FORMAT, "%s: pixels are %s but the model takes %s", name,
                         meta->has_temperature ? "degrees Celsius" : "intensities",
                         m->pipeline.has_temperature ? "degrees Celsius" : "intensities");
        } else {
            tg_image first = {1, img.h, img.w, img.data}; /* first frame of a multi-frame instance */
            v->view = tg_dicom_view_of(meta);
            v->paired = 0;
            rs = tg_preprocess_view(&first, v->view, pp, &v->pr);
            if (rs != TG_OK) {
                char why[512];
                snprintf(why, sizeof why, "%s", tg_last_error());
                rs = tg_fail(rs, "%s: preprocessing (%s view): %s", name, tg_view_name(v->view), why);
            }
        }
        out->seconds_preprocess += now_s() - tp;
    }
    tg_image_destroy(&img);
    if (rs != TG_OK) {
        ++out->n_rejected;
        if (cfg->on_reject)
            cfg->on_reject(cfg->user, i, tg_last_error());
        return -1;
    }
    return 0;
}

static void fill_model_info(tg_node_model *nm, tg_sr_model_info *info, tg_node_result *out)
{
    const tg_model *m = nm->m;
    info->name = m->name;
    info->version = m->version;
    info->sha256 = nm->sha256;
    info->provenance = nm->provenance;
    info->defense = out->defense;
    info->threshold = m->threshold;
    info->synthetic_demo = m->synthetic;
    info->placeholder = 0;
    out->synthetic = m->synthetic;
    snprintf(out->model, sizeof out->model, "%s", nm->sha256);
    snprintf(out->model_name, sizeof out->model_name, "%s", m->name);
    snprintf(out->model_version, sizeof out->model_version, "%s", m->version);
    tg_node_model_describe(nm, out->summary, sizeof out->summary);
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
    tg_node_model *nm = cfg->model;
    const tg_model *m = nm ? nm->m : NULL;
    tg_preprocess_params pp;
    if (m)
        tg_node_preprocess_params(m, &pp);

    tg_dicom_source *src = calloc((size_t)n, sizeof *src);
    view_in *views = calloc((size_t)n, sizeof *views);
    if (!src || !views) {
        free(src);
        free(views);
        return tg_fail(TG_ERR_NOMEM, "analyze: %d sources", n);
    }
    tg_sr_breast_result breasts[2];
    int n_breasts = 0;
    double t0 = now_s();
    tg_status s = TG_OK;
    for (int i = 0; i < n; ++i) {
        if (cfg->deadline > 0 && now_s() > cfg->deadline) {
            s = tg_fail(TG_ERR_CANCELLED, "series time limit reached after %d of %d instances", i, n);
            goto done;
        }
        tg_dicom_meta meta;
        int k = out->n_used;
        if (take_instance(&inst[i], i, &lim, m, &pp, &meta, &views[k], cfg, out) != 0)
            continue;
        out->n_used++;
        src[k].path = inst[i].id ? inst[i].id : "instance";
        src[k].data = inst[i].data;
        src[k].size = inst[i].size;
        views[k].source = k;
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
    if (nm) {
        pair_views(views, out->n_used);
        if (cfg->deadline > 0 && now_s() > cfg->deadline) {
            s = tg_fail(TG_ERR_CANCELLED, "series time limit reached before scoring");
            goto done;
        }
        if ((s = score_breasts(nm, views, out->n_used, cfg, breasts, &n_breasts, out)) != TG_OK)
            goto done;
        fill_model_info(nm, &req.model, out);
    } else {
        score_placeholder(breasts, n_breasts, &req.model, out);
    }
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
    out->seconds_decode = t1 - t0 - out->seconds_preprocess;
    out->seconds_model = t2 - t1;
    out->seconds_sr = now_s() - t2;
done:
    for (int i = 0; i < n; ++i)
        tg_preprocess_result_destroy(&views[i].pr);
    free(views);
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
