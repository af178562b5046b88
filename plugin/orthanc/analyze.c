/* ThermoGuard node — analysis of one series (see analyze.h): a thin adapter over the shared
 * series analysis (thermoguard/analysis.h). What stays here is node-specific: the per-worker-thread
 * pipeline cache over the reference-counted active model, the Orthanc instance ids, the node's
 * result record and the SR staged into memory for the store.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "analyze.h"
#include "node_model.h"
#include "thermoguard/analysis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
        tg_status st = tg_model_pipeline(m->m, TG_ANALYSIS_PIPELINE_BATCH, &p);
        if (st != TG_OK)
            return st;
        tc.pipe = p;
        tc.model = tg_node_model_ref(m);
    }
    *out = tc.pipe;
    return TG_OK;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

tg_status tg_node_analyze_series(const tg_node_instance *inst, int n, const tg_node_analysis_config *cfg,
                                 tg_node_result *out)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "analyze: NULL result");
    memset(out, 0, sizeof *out);
    if (!inst || !cfg || n < 1 || n > TG_ANALYSIS_MAX_INSTANCES)
        return tg_fail(TG_ERR_ARG, "analyze: need 1..%d instances, got %d", TG_ANALYSIS_MAX_INSTANCES, n);

    tg_node_model *nm = cfg->model;
    tg_analysis_config ac;
    tg_analysis_config_default(&ac);
    ac.max_pixels = cfg->max_pixels;
    ac.max_file_bytes = cfg->max_file_bytes;
    ac.deadline = cfg->deadline;
    ac.on_reject = cfg->on_reject;
    ac.user = cfg->user;
    ac.detector_enabled = cfg->detector_enabled;
    ac.detector_threshold = cfg->detector_threshold;
    if (nm) {
        ac.model = nm->m;
        ac.model_sha256 = nm->sha256;
        ac.provenance = nm->provenance;
        tg_status st = thread_pipeline(nm, &ac.pipeline);
        if (st != TG_OK)
            return st;
    }
    tg_analysis_instance *ai = calloc((size_t)n, sizeof *ai);
    if (!ai)
        return tg_fail(TG_ERR_NOMEM, "analyze: %d sources", n);
    for (int i = 0; i < n; ++i) {
        ai[i].id = inst[i].id ? inst[i].id : "instance";
        ai[i].data = inst[i].data;
        ai[i].size = inst[i].size;
    }
    tg_analysis_result ar;
    tg_status s = tg_analysis_run(ai, n, &ac, &ar);
    out->n_used = ar.n_used;
    out->n_rejected = ar.n_rejected;
    if (s != TG_OK)
        goto done;

    double t2 = now_s();
    tg_dicom_source pred = {0};
    if (cfg->predecessor && cfg->predecessor->data && cfg->predecessor->size) {
        pred.path = cfg->predecessor->id ? cfg->predecessor->id : "predecessor SR";
        pred.data = cfg->predecessor->data;
        pred.size = cfg->predecessor->size;
    }
    s = tg_analysis_write_sr_buffer(&ar, &ac, pred.data ? &pred : NULL, cfg->tmp_dir, &out->sr_data, &out->sr_size,
                                    out->sr_uid);
    if (s != TG_OK)
        goto done;

    out->placeholder = ar.placeholder;
    if (nm) {
        const tg_model *m = nm->m;
        out->synthetic = m->synthetic;
        snprintf(out->model, sizeof out->model, "%s", nm->sha256);
        snprintf(out->model_name, sizeof out->model_name, "%s", m->name);
        snprintf(out->model_version, sizeof out->model_version, "%s", m->version);
        snprintf(out->defense, sizeof out->defense, "%s", ar.defense);
        tg_node_model_describe(nm, out->summary, sizeof out->summary);
        out->detector_run = ar.detector_run;
        out->n_inputs = ar.n_inputs;
    } else {
        snprintf(out->model, sizeof out->model, "%s", TG_NODE_PLACEHOLDER_MODEL);
        snprintf(out->summary, sizeof out->summary, "no model loaded: placeholder result");
    }
    out->n_breasts = ar.n_breasts;
    out->threshold = ar.threshold;
    out->verdict = ar.verdict;
    for (int i = 0; i < ar.n_breasts; ++i) {
        out->laterality[i] = ar.breast[i].laterality;
        out->probability[i] = ar.breast[i].probability;
        out->detector_score[i] = ar.breast[i].detector_score;
        out->detector_flag[i] = ar.breast[i].detector_flag;
    }
    out->seconds_decode = ar.seconds_decode;
    out->seconds_preprocess = ar.seconds_preprocess;
    out->seconds_model = ar.seconds_model;
    out->seconds_sr = now_s() - t2;
done:
    tg_analysis_result_clear(&ar);
    free(ai);
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
