/* ThermoGuard — series analysis shared by the front ends (see thermoguard/analysis.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "thermoguard/analysis.h"
#include "thermoguard/collection.h"
#include "thermoguard/detect.h"
#include "thermoguard/preprocess.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SR_BYTES ((long)64 << 20)
#define PLACEHOLDER_SHA "0000000000000000000000000000000000000000000000000000000000000000"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void tg_analysis_config_default(tg_analysis_config *c)
{
    memset(c, 0, sizeof *c);
    c->detector_enabled = 1;
    c->detector_threshold = -1.0;
}

void tg_analysis_provenance_text(const tg_model *m, char *buf, size_t size)
{
    const tg_model_provenance *p = &m->prov;
    snprintf(buf, size,
             "created %s; training data sha256 %.16s; seed %llu; %d epochs; defense %.100s; adversarial training %.300s%s%.300s",
             p->created[0] ? p->created : "unknown", p->data_sha256[0] ? p->data_sha256 : "unknown",
             (unsigned long long)p->seed, p->epochs, p->defense[0] ? p->defense : "none",
             p->attack_settings[0] ? p->attack_settings : "none", p->notes[0] ? "; " : "", p->notes);
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

/* Defense settings text of the SR: the model's defense plus the detector settings. */
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

/* Gathers every view's breast inputs (views in order, each view's breasts in preprocessing
 * order) into `s`: raw model-grid inputs, side and source (the view's `source`). */
static tg_status gather_samples(const tg_model *m, const view_in *v, int nv, tg_analysis_samples *s)
{
    int n_in = 0;
    for (int i = 0; i < nv; ++i)
        n_in += v[i].pr.n_breasts;
    const int h = m->pipeline.in_h, w = m->pipeline.in_w;
    const size_t per = (size_t)2 * (size_t)h * (size_t)w;
    s->c = 2;
    s->h = h;
    s->w = w;
    s->raw = malloc((size_t)(n_in ? n_in : 1) * per * sizeof *s->raw);
    s->side = malloc((size_t)(n_in ? n_in : 1) * sizeof *s->side);
    s->source = malloc((size_t)(n_in ? n_in : 1) * sizeof *s->source);
    s->view = malloc((size_t)(n_in ? n_in : 1) * sizeof *s->view);
    if (!s->raw || !s->side || !s->source || !s->view)
        return tg_fail(TG_ERR_NOMEM, "analysis buffers for %d breast inputs", n_in);
    int k = 0;
    for (int i = 0; i < nv; ++i)
        for (int j = 0; j < v[i].pr.n_breasts; ++j, ++k) {
            const tg_breast_input *bi = &v[i].pr.breast[j];
            if (bi->input.c != 2 || bi->input.h != h || bi->input.w != w)
                return tg_fail(TG_ERR_ARG, "preprocessed input %dx%dx%d does not match the model's 2x%dx%d",
                               bi->input.c, bi->input.h, bi->input.w, h, w);
            memcpy(s->raw + (size_t)k * per, bi->input.data, per * sizeof *s->raw);
            s->side[k] = bi->side == TG_SIDE_LEFT ? 'L' : 'R';
            s->source[k] = v[i].source;
            s->view[k] = v[i].view;
        }
    s->n = n_in;
    return TG_OK;
}

/* THE place where the classifier runs: every breast input of `smp` through the model's pipeline
 * (probability of the positive class) and the detector; per breast the maximum over its views
 * (and the detector's maximum score). */
static tg_status score_breasts(const tg_analysis_config *cfg, tg_pipeline *pipe, const tg_analysis_samples *smp,
                               tg_analysis_result *out)
{
    const tg_model *m = cfg->model;
    tg_status st = TG_OK;
    const int n_in = smp->n, classes = m->n_classes;
    const int batch = tg_pipeline_max_batch(pipe);
    const size_t per = (size_t)smp->c * (size_t)smp->h * (size_t)smp->w;
    const float *raw = smp->raw;
    const char *side = smp->side;
    const int *src = smp->source;
    float *probs = malloc((size_t)(n_in ? n_in : 1) * (size_t)classes * sizeof *probs);
    float *scores = calloc((size_t)(n_in ? n_in : 1), sizeof *scores);
    if (!probs || !scores) {
        st = tg_fail(TG_ERR_NOMEM, "analysis buffers for %d breast inputs", n_in);
        goto done;
    }
    for (int i = 0; i < n_in && st == TG_OK; i += batch) {
        int nb = n_in - i < batch ? n_in - i : batch;
        st = tg_pipeline_predict(pipe, raw + (size_t)i * per, nb, probs + (size_t)i * (size_t)classes);
    }
    if (st != TG_OK)
        goto done;
    /* The model file carries the detector calibrated on clean validation data; a threshold
     * override replaces it (and the SR then says it is not calibrated). */
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
    tg_sr_breast_result *b = out->breast;
    out->n_breasts = 0;
    for (int i = 0; i < n_in; ++i) {
        double p = probs[(size_t)i * (size_t)classes + (size_t)m->positive_class];
        int at = -1;
        for (int j = 0; j < out->n_breasts; ++j)
            if (b[j].laterality == side[i])
                at = j;
        if (at < 0) {
            at = out->n_breasts++;
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
    for (int j = 0; j < out->n_breasts; ++j)
        b[j].detector_flag = cfg->detector_enabled && b[j].detector_score > det.threshold;
    out->n_inputs = n_in;
    out->detector_threshold = det.threshold;
    out->detector_calibrated = det.calibrated;
    defense_text(m, &det, cfg->detector_enabled, out->defense, sizeof out->defense);
done:
    free(probs);
    free(scores);
    return st;
}

static const char *inst_name(const tg_analysis_instance *in)
{
    return in->id ? in->id : in->path ? in->path : "instance";
}

static void reject(const tg_analysis_config *cfg, int i, tg_analysis_result *out)
{
    tg_analysis_rejection *r = &out->rejections[out->n_rejected++];
    r->index = i;
    snprintf(r->reason, sizeof r->reason, "%s", tg_last_error());
    if (cfg->on_reject)
        cfg->on_reject(cfg->user, i, r->reason);
}

/* Reads instance i; with a model also preprocesses it into v (0 = usable, else rejected). */
static int take_instance(const tg_analysis_instance *in, int i, const tg_dicom_limits *lim,
                         const tg_analysis_config *cfg, tg_dicom_meta *meta, view_in *v, tg_analysis_result *out)
{
    const tg_model *m = cfg->model;
    tg_image img = {0};
    const char *name = inst_name(in);
    tg_status rs;
    if (in->data)
        rs = in->size ? tg_dicom_read_buffer(in->data, in->size, name, lim, &img, meta)
                      : tg_fail(TG_ERR_FORMAT, "%s: empty instance", name);
    else if (in->path)
        rs = tg_dicom_read_file(in->path, lim, &img, meta);
    else
        rs = tg_fail(TG_ERR_FORMAT, "%s: empty instance", name);
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
            /* the preprocessing the model was trained with, from its file */
            rs = tg_preprocess_view(&first, v->view, &m->prep, &v->pr);
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
        reject(cfg, i, out);
        return -1;
    }
    return 0;
}

static void keep_counts_only(tg_analysis_result *out)
{
    int used = out->n_used, rejected = out->n_rejected;
    tg_analysis_rejection *rj = out->rejections;
    out->rejections = NULL;
    tg_analysis_result_clear(out);
    out->n_used = used;
    out->n_rejected = rejected;
    out->rejections = rj;
}

/* Reads every instance (rejecting bad ones into out), preprocessing the usable ones into
 * views[0..out->n_used) with a model; fills out's used/sources/breast-sides bookkeeping.
 * TG_ERR_FORMAT when none is usable, TG_ERR_CANCELLED past the deadline. */
static tg_status load_views(const tg_analysis_instance *inst, int n, const tg_analysis_config *cfg, view_in *views,
                            tg_analysis_result *out)
{
    tg_dicom_limits lim;
    tg_dicom_limits_default(&lim);
    if (cfg->max_pixels)
        lim.max_pixels = cfg->max_pixels;
    if (cfg->max_file_bytes)
        lim.max_file_bytes = cfg->max_file_bytes;
    for (int i = 0; i < n; ++i) {
        if (cfg->deadline > 0 && now_s() > cfg->deadline)
            return tg_fail(TG_ERR_CANCELLED, "series time limit reached after %d of %d instances", i, n);
        tg_dicom_meta meta;
        int k = out->n_used;
        if (take_instance(&inst[i], i, &lim, cfg, &meta, &views[k], out) != 0)
            continue;
        out->n_used++;
        out->used_index[k] = i;
        out->sources[k].path = inst_name(&inst[i]);
        out->sources[k].data = inst[i].data;
        out->sources[k].size = inst[i].data ? inst[i].size : 0;
        if (!inst[i].data)
            out->sources[k].path = inst[i].path;
        views[k].source = k;
        if (!strcmp(meta.laterality, "L") || !strcmp(meta.laterality, "R")) {
            add_side(out->breast, &out->n_breasts, meta.laterality[0], k);
        } else {
            add_side(out->breast, &out->n_breasts, 'L', k);
            add_side(out->breast, &out->n_breasts, 'R', k);
        }
    }
    if (out->n_used == 0)
        return tg_fail(TG_ERR_FORMAT, "no usable instance among %d", n);
    if (cfg->model)
        pair_views(views, out->n_used);
    return TG_OK;
}

/* Checks the arguments shared by tg_analysis_run and tg_analysis_samples_build. */
static tg_status check_args(const tg_analysis_instance *inst, int n, const tg_analysis_config *cfg)
{
    if (!inst || !cfg || n < 1 || n > TG_ANALYSIS_MAX_INSTANCES)
        return tg_fail(TG_ERR_ARG, "analysis: need 1..%d instances, got %d", TG_ANALYSIS_MAX_INSTANCES, n);
    const tg_model *m = cfg->model;
    if (m && (m->pipeline.in_c != 2 || m->positive_class < 0 || m->positive_class >= m->n_classes))
        return tg_fail(TG_ERR_ARG, "analysis: model \"%s\" needs a 2-channel input and a valid positive class",
                       m->name);
    return TG_OK;
}

/* Allocates out's per-instance arrays and the views; TG_ERR_NOMEM. */
static tg_status alloc_load(int n, tg_analysis_result *out, view_in **views)
{
    out->sources = calloc((size_t)n, sizeof *out->sources);
    out->used_index = calloc((size_t)n, sizeof *out->used_index);
    out->rejections = calloc((size_t)n, sizeof *out->rejections);
    *views = calloc((size_t)n, sizeof **views);
    if (!out->sources || !out->used_index || !out->rejections || !*views)
        return tg_fail(TG_ERR_NOMEM, "analysis: %d sources", n);
    return TG_OK;
}

static void free_views(view_in *views, int n)
{
    if (views)
        for (int i = 0; i < n; ++i)
            tg_preprocess_result_destroy(&views[i].pr);
    free(views);
}

tg_status tg_analysis_run(const tg_analysis_instance *inst, int n, const tg_analysis_config *cfg,
                          tg_analysis_result *out)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "analysis: NULL result");
    memset(out, 0, sizeof *out);
    tg_status s = check_args(inst, n, cfg);
    if (s != TG_OK)
        return s;
    const tg_model *m = cfg->model;
    view_in *views = NULL;
    tg_pipeline *own = NULL;
    tg_analysis_samples smp;
    memset(&smp, 0, sizeof smp);
    if ((s = alloc_load(n, out, &views)) != TG_OK)
        goto done;
    double t0 = now_s();
    if ((s = load_views(inst, n, cfg, views, out)) != TG_OK)
        goto done;
    double t1 = now_s();

    if (m) {
        if (cfg->deadline > 0 && now_s() > cfg->deadline) {
            s = tg_fail(TG_ERR_CANCELLED, "series time limit reached before scoring");
            goto done;
        }
        tg_pipeline *pipe = cfg->pipeline;
        if (!pipe) {
            if ((s = tg_model_pipeline((tg_model *)m, TG_ANALYSIS_PIPELINE_BATCH, &own)) != TG_OK)
                goto done;
            pipe = own;
        }
        if ((s = gather_samples(m, views, out->n_used, &smp)) != TG_OK ||
            (s = score_breasts(cfg, pipe, &smp, out)) != TG_OK)
            goto done;
        out->threshold = m->threshold;
        out->synthetic = m->synthetic;
        snprintf(out->model_sha256, sizeof out->model_sha256, "%s",
                 cfg->model_sha256 ? cfg->model_sha256 : tg_model_sha256_hex(m));
        if (cfg->provenance)
            snprintf(out->provenance, sizeof out->provenance, "%s", cfg->provenance);
        else
            tg_analysis_provenance_text(m, out->provenance, sizeof out->provenance);
    } else {
        /* no model: the same fixed, labelled placeholder for every breast (0.5 at threshold 0.5 =
         * "suspicious", so nothing is falsely reassuring) */
        for (int i = 0; i < out->n_breasts; ++i) {
            out->breast[i].probability = 0.5;
            out->breast[i].detector_score = 0.0;
            out->breast[i].detector_flag = 0;
        }
        out->placeholder = 1;
        out->threshold = 0.5;
        snprintf(out->model_sha256, sizeof out->model_sha256, "%s", PLACEHOLDER_SHA);
        snprintf(out->defense, sizeof out->defense, "none: no model loaded, placeholder result");
    }
    out->verdict = 0.0;
    for (int i = 0; i < out->n_breasts; ++i)
        if (out->breast[i].probability > out->verdict)
            out->verdict = out->breast[i].probability;
    out->suspicious = out->verdict >= out->threshold;
    out->seconds_decode = t1 - t0 - out->seconds_preprocess;
    out->seconds_model = now_s() - t1;
done:
    free_views(views, n);
    tg_analysis_samples_clear(&smp);
    tg_pipeline_destroy(own);
    if (s != TG_OK)
        keep_counts_only(out);
    return s;
}

tg_status tg_analysis_samples_build(const tg_analysis_instance *inst, int n, const tg_analysis_config *cfg,
                                    tg_analysis_samples *out)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "analysis: NULL samples");
    memset(out, 0, sizeof *out);
    tg_status s = check_args(inst, n, cfg);
    if (s != TG_OK)
        return s;
    if (!cfg->model)
        return tg_fail(TG_ERR_ARG, "analysis: breast samples need a model (its preprocessing and grid)");
    tg_analysis_result r;
    memset(&r, 0, sizeof r);
    view_in *views = NULL;
    if ((s = alloc_load(n, &r, &views)) == TG_OK && (s = load_views(inst, n, cfg, views, &r)) == TG_OK &&
        (s = gather_samples(cfg->model, views, r.n_used, out)) == TG_OK)
        for (int i = 0; i < out->n; ++i) /* views index the used instances: back to the caller's */
            out->source[i] = r.used_index[out->source[i]];
    free_views(views, n);
    out->n_used = r.n_used;
    out->n_rejected = r.n_rejected;
    out->rejections = r.rejections;
    r.rejections = NULL;
    tg_analysis_result_clear(&r);
    if (s != TG_OK) {
        tg_analysis_rejection *rj = out->rejections;
        int used = out->n_used, rejected = out->n_rejected;
        out->rejections = NULL;
        tg_analysis_samples_clear(out);
        out->rejections = rj;
        out->n_used = used;
        out->n_rejected = rejected;
    }
    return s;
}

void tg_analysis_samples_clear(tg_analysis_samples *s)
{
    if (!s)
        return;
    free(s->raw);
    free(s->side);
    free(s->source);
    free(s->view);
    free(s->rejections);
    memset(s, 0, sizeof *s);
}

void tg_analysis_sr_request(const tg_analysis_result *r, const tg_analysis_config *cfg,
                            const tg_dicom_source *predecessor, tg_sr_result_request *req)
{
    memset(req, 0, sizeof *req);
    req->sources = r->sources;
    req->n_sources = r->n_used;
    req->breasts = r->breast;
    req->n_breasts = r->n_breasts;
    req->predecessor = predecessor;
    tg_sr_model_info *info = &req->model;
    if (r->placeholder || !cfg || !cfg->model) {
        info->name = "none (no model loaded)";
        info->version = "0";
        info->sha256 = PLACEHOLDER_SHA;
        info->defense = "none: no model loaded, placeholder result";
        info->threshold = 0.5;
        info->placeholder = 1;
        return;
    }
    info->name = cfg->model->name;
    info->version = cfg->model->version;
    info->sha256 = r->model_sha256;
    info->provenance = r->provenance;
    info->defense = r->defense;
    info->threshold = r->threshold;
    info->synthetic_demo = r->synthetic;
}

tg_status tg_analysis_write_sr(const tg_analysis_result *r, const tg_analysis_config *cfg,
                               const tg_dicom_source *predecessor, const char *path,
                               char sop_uid_out[TG_DICOM_UID_SIZE])
{
    if (!r || r->n_used < 1 || !path)
        return tg_fail(TG_ERR_ARG, "analysis: no result to write an SR for");
    tg_sr_result_request req;
    tg_analysis_sr_request(r, cfg, predecessor, &req);
    return tg_sr_write_result(&req, path, sop_uid_out);
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

tg_status tg_analysis_write_sr_buffer(const tg_analysis_result *r, const tg_analysis_config *cfg,
                                      const tg_dicom_source *predecessor, const char *tmp_dir, void **data,
                                      size_t *size, char sop_uid_out[TG_DICOM_UID_SIZE])
{
    if (!data || !size)
        return tg_fail(TG_ERR_ARG, "analysis: NULL SR buffer");
    *data = NULL;
    *size = 0;
    const char *dir = tmp_dir ? tmp_dir : getenv("TMPDIR");
    char path[4096];
    if (snprintf(path, sizeof path, "%s/thermoguard-sr-XXXXXX", dir && *dir ? dir : "/tmp") >= (int)sizeof path)
        return tg_fail(TG_ERR_ARG, "temporary directory path too long");
    int fd = mkstemp(path);
    if (fd < 0)
        return tg_fail(TG_ERR_IO, "cannot create a temporary SR file in %s: %s", dir ? dir : "/tmp", strerror(errno));
    close(fd);
    tg_status s = tg_analysis_write_sr(r, cfg, predecessor, path, sop_uid_out);
    if (s == TG_OK)
        s = slurp(path, data, size);
    unlink(path);
    return s;
}

void tg_analysis_result_clear(tg_analysis_result *r)
{
    if (!r)
        return;
    free(r->rejections);
    free(r->used_index);
    free(r->sources);
    memset(r, 0, sizeof *r);
}
