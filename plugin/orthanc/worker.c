/* ThermoGuard node — worker threads: everything that talks to Orthanc's REST API happens here,
 * never inside an Orthanc callback. One series: selection check, idempotency key, instance
 * bytes, analysis (analyze.h), SR stored in the same study, metadata, optional forwarding.
 * Received instances are only read, never modified or deleted.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "analyze.h"
#include "node.h"
#include "rest_body.h"
#include "thermoguard/sha256.h"

#define MAX_WORKERS 16

static pthread_t threads[MAX_WORKERS];
static int n_threads;

double tg_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- REST helpers (worker threads and REST callbacks only) ---- */

static int rest_get(const char *uri, OrthancPluginMemoryBuffer *buf)
{
    memset(buf, 0, sizeof *buf);
    return OrthancPluginRestApiGet(tg_ctx, buf, uri) == OrthancPluginErrorCode_Success ? 0 : -1;
}

static cJSON *parse_buffer(OrthancPluginMemoryBuffer *buf)
{
    cJSON *j = cJSON_ParseWithLength(buf->data, buf->size);
    OrthancPluginFreeMemoryBuffer(tg_ctx, buf);
    return j;
}

static cJSON *get_json(const char *fmt, const char *id)
{
    char uri[256];
    snprintf(uri, sizeof uri, fmt, id);
    OrthancPluginMemoryBuffer buf;
    if (rest_get(uri, &buf) != 0)
        return NULL;
    return parse_buffer(&buf);
}

static cJSON *post_json(const char *uri, const void *body, size_t size)
{
    OrthancPluginMemoryBuffer buf;
    memset(&buf, 0, sizeof buf);
    if (size > UINT32_MAX ||
        OrthancPluginRestApiPost(tg_ctx, &buf, uri, body, (uint32_t)size) != OrthancPluginErrorCode_Success)
        return NULL;
    return parse_buffer(&buf);
}

static int put_metadata(const char *series, const char *name, const char *value)
{
    char uri[256];
    snprintf(uri, sizeof uri, "/series/%s/metadata/%s", series, name);
    OrthancPluginMemoryBuffer buf;
    memset(&buf, 0, sizeof buf);
    if (OrthancPluginRestApiPut(tg_ctx, &buf, uri, value, (uint32_t)strlen(value)) != OrthancPluginErrorCode_Success)
        return -1;
    OrthancPluginFreeMemoryBuffer(tg_ctx, &buf);
    return 0;
}

static const char *json_str(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* ---- selection ---- */

static int in_list(const char (*list)[17], int n, const char *v)
{
    for (int i = 0; i < n; ++i)
        if (!strcasecmp(list[i], v))
            return 1;
    return 0;
}

/* Returns NULL when the series is selected, else why not. */
static const char *not_selected(const cJSON *series, const cJSON *meta)
{
    const char *modality = json_str(series, "MainDicomTags", "Modality");
    if (!strcasecmp(modality, "SR"))
        return "structured report";
    if (cJSON_GetObjectItemCaseSensitive(meta, TG_META_SOURCE))
        return "created by ThermoGuard";
    if (!in_list(tg_cfg.modalities, tg_cfg.n_modalities, modality))
        return "modality not selected";
    if (tg_cfg.n_body_parts) {
        const char *bp = json_str(series, "MainDicomTags", "BodyPartExamined");
        int ok = 0;
        for (int i = 0; i < tg_cfg.n_body_parts; ++i)
            ok |= !strcasecmp(tg_cfg.body_parts[i], bp);
        if (!ok)
            return "body part not selected";
    }
    if (tg_cfg.n_descriptions) {
        const char *d = json_str(series, "MainDicomTags", "SeriesDescription");
        int ok = 0;
        for (int i = 0; i < tg_cfg.n_descriptions; ++i)
            ok |= strcasestr(d, tg_cfg.descriptions[i]) != NULL;
        if (!ok)
            return "series description not selected";
    }
    return NULL;
}

static const char *aet_not_selected(const char *first_instance)
{
    if (!tg_cfg.n_aets)
        return NULL;
    cJSON *m = get_json("/instances/%s/metadata?expand", first_instance);
    const char *aet = json_str(m, "RemoteAET", NULL);
    int ok = in_list(tg_cfg.aets, tg_cfg.n_aets, aet);
    cJSON_Delete(m);
    return ok ? NULL : "calling AET not selected";
}

/* ---- idempotency key: (model, sorted SOP Instance UIDs) ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void make_key(const char **uids, int n, const char *model, char *key, size_t size)
{
    qsort(uids, (size_t)n, sizeof *uids, cmp_str);
    tg_sha256_ctx s;
    tg_sha256_init(&s);
    for (int i = 0; i < n; ++i) {
        tg_sha256_update(&s, uids[i], strlen(uids[i]));
        tg_sha256_update(&s, "\n", 1);
    }
    uint8_t digest[TG_SHA256_BYTES];
    char hex[TG_SHA256_HEX_CHARS];
    tg_sha256_final(&s, digest);
    tg_sha256_hex(digest, hex);
    snprintf(key, size, "%s/%d/%s", model, n, hex);
}

/* 1 when the series' stored idempotency key (ThermoGuardKey) equals key. */
static int current_key_is(const char *series, const char *key)
{
    char uri[160];
    snprintf(uri, sizeof uri, "/series/%s/metadata/%s", series, TG_META_KEY);
    OrthancPluginMemoryBuffer buf;
    if (rest_get(uri, &buf) != 0)
        return 0;
    int same = buf.size == strlen(key) && !memcmp(buf.data, key, buf.size);
    OrthancPluginFreeMemoryBuffer(tg_ctx, &buf);
    return same;
}

/* ---- one series ---- */

typedef struct job {
    const char *series;
    const tg_node_instance *inst;
    cJSON *rejected;
} job;

static void on_reject(void *user, int index, const char *reason)
{
    job *j = user;
    tg_log(TG_WARN, "series %s: instance %s not used: %s", j->series, j->inst[index].id, reason);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "ID", j->inst[index].id);
    cJSON_AddStringToObject(e, "Reason", reason);
    cJSON_AddItemToArray(j->rejected, e);
}

static void record_failure(const char *series, const char *prev_sr, const char *why)
{
    tg_log(TG_ERROR, "series %s: analysis failed: %s", series, why);
    TG_COUNT(failed, 1);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "Status", "failed");
    cJSON_AddStringToObject(r, "Error", why);
    if (prev_sr && *prev_sr)
        cJSON_AddStringToObject(r, "SRInstance", prev_sr);
    char *text = cJSON_PrintUnformatted(r);
    if (text && put_metadata(series, TG_META_RESULT, text) != 0)
        tg_log(TG_ERROR, "series %s: cannot store failure metadata", series);
    free(text);
    cJSON_Delete(r);
}

/* Per-series timing (seconds): REST fetch of the instances, decode, preprocess, model, SR writing,
 * POST of the SR; latency = from the StableSeries event (first queued) to the SR stored. */
typedef struct timing {
    double fetch, store, latency;
} timing;

static char *result_json(const tg_node_result *res, const char *key, const char *sr_id, const char *sr_series,
                         const char *pred, cJSON *rejected, double seconds, const timing *tm)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "Status", "done");
    cJSON_AddStringToObject(r, "Key", key);
    cJSON_AddStringToObject(r, "Model", res->model);
    cJSON_AddBoolToObject(r, "Placeholder", res->placeholder);
    if (!res->placeholder) {
        cJSON_AddStringToObject(r, "ModelName", res->model_name);
        cJSON_AddStringToObject(r, "ModelVersion", res->model_version);
        cJSON_AddBoolToObject(r, "SyntheticDemoModel", res->synthetic);
        cJSON_AddStringToObject(r, "Defense", res->defense);
        cJSON_AddBoolToObject(r, "DetectorRun", res->detector_run);
        cJSON_AddNumberToObject(r, "BreastInputs", res->n_inputs);
    }
    cJSON_AddStringToObject(r, "Summary", res->summary);
    cJSON_AddNumberToObject(r, "Probability", res->verdict);
    cJSON_AddNumberToObject(r, "Threshold", res->threshold);
    cJSON_AddBoolToObject(r, "Suspicious", res->verdict >= res->threshold);
    cJSON *b = cJSON_AddArrayToObject(r, "Breasts");
    for (int i = 0; i < res->n_breasts; ++i) {
        cJSON *e = cJSON_CreateObject();
        char lat[2] = {res->laterality[i], 0};
        cJSON_AddStringToObject(e, "Laterality", lat);
        cJSON_AddNumberToObject(e, "Probability", res->probability[i]);
        cJSON_AddNumberToObject(e, "DetectorScore", res->detector_score[i]);
        cJSON_AddBoolToObject(e, "DetectorFlag", res->detector_flag[i]);
        cJSON_AddItemToArray(b, e);
    }
    cJSON_AddNumberToObject(r, "InstancesUsed", res->n_used);
    cJSON_AddItemReferenceToObject(r, "InstancesRejected", rejected);
    cJSON_AddStringToObject(r, "SRInstance", sr_id);
    cJSON_AddStringToObject(r, "SRSeries", sr_series);
    cJSON_AddStringToObject(r, "SRSOPInstanceUID", res->sr_uid);
    if (pred && *pred)
        cJSON_AddStringToObject(r, "Predecessor", pred);
    cJSON_AddNumberToObject(r, "Seconds", seconds);
    cJSON_AddNumberToObject(r, "LatencySeconds", tm->latency);
    cJSON *t = cJSON_AddObjectToObject(r, "Timing");
    cJSON_AddNumberToObject(t, "Fetch", tm->fetch);
    cJSON_AddNumberToObject(t, "Decode", res->seconds_decode);
    cJSON_AddNumberToObject(t, "Preprocess", res->seconds_preprocess);
    cJSON_AddNumberToObject(t, "Model", res->seconds_model);
    cJSON_AddNumberToObject(t, "SRWrite", res->seconds_sr);
    cJSON_AddNumberToObject(t, "Store", tm->store);
    char *text = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return text;
}

/* Fetches every instance's bytes; NULL data where it cannot be read (the analysis rejects it). */
static void fetch_instances(tg_node_instance *inst, OrthancPluginMemoryBuffer *bufs, int n)
{
    for (int i = 0; i < n; ++i) {
        char uri[128];
        snprintf(uri, sizeof uri, "/instances/%s/file", inst[i].id);
        if (rest_get(uri, &bufs[i]) == 0) {
            inst[i].data = bufs[i].data;
            inst[i].size = bufs[i].size;
        }
    }
}

static void process_series(const tg_work *w)
{
    const char *id = w->id;
    double t0 = tg_now();
    cJSON *series = get_json("/series/%s", id);
    cJSON *meta = get_json("/series/%s/metadata?expand", id);
    cJSON *list = NULL, *rejected = cJSON_CreateArray();
    const char **uids = NULL;
    tg_node_instance *inst = NULL;
    OrthancPluginMemoryBuffer *bufs = NULL, pred_buf;
    memset(&pred_buf, 0, sizeof pred_buf);
    tg_node_result res;
    memset(&res, 0, sizeof res);
    int n = 0;
    tg_node_model *model = NULL;
    char key[160], prev_sr[TG_NODE_ID_SIZE] = "", why[600], holder[160];
    tg_claim claim;
    memset(&claim, 0, sizeof claim);

    if (!series) {
        tg_log(TG_INFO, "series %s: no longer in Orthanc, skipped", id);
        TG_COUNT(ignored, 1);
        goto out;
    }
    const char *skip = not_selected(series, meta);
    list = get_json("/series/%s/instances", id);
    n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    if (!skip && n > 0)
        skip = aet_not_selected(json_str(cJSON_GetArrayItem(list, 0), "ID", NULL));
    if (skip) {
        tg_log(TG_INFO, "series %s: ignored (%s)", id, skip);
        TG_COUNT(ignored, 1);
        goto out;
    }
    {
        const char *prev = json_str(meta, TG_META_RESULT, NULL);
        tg_result_sr(prev, strlen(prev), prev_sr, sizeof prev_sr);
    }
    if (n < 1 || n > tg_cfg.max_instances) {
        snprintf(why, sizeof why, "%d instances (allowed 1..%d, ThermoGuard.MaxInstances)", n, tg_cfg.max_instances);
        record_failure(id, prev_sr, why);
        goto out;
    }
    uids = calloc((size_t)n, sizeof *uids);
    inst = calloc((size_t)n, sizeof *inst);
    bufs = calloc((size_t)n, sizeof *bufs);
    if (!uids || !inst || !bufs) {
        record_failure(id, prev_sr, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; ++i) {
        const cJSON *e = cJSON_GetArrayItem(list, i);
        inst[i].id = json_str(e, "ID", NULL);
        uids[i] = json_str(e, "MainDicomTags", "SOPInstanceUID");
    }
    model = tg_node_model_acquire(); /* the key names the model this analysis really uses */
    make_key(uids, n, tg_node_model_sha(model), key, sizeof key);
    if (!w->force && !strcmp(json_str(meta, TG_META_KEY, NULL), key)) {
        tg_log(TG_INFO, "series %s: current result exists (key %s), nothing to do", id, key);
        TG_COUNT(skipped_current, 1);
        goto out;
    }
    /* Nodes sharing one index: only the node holding the claim analyses (claim.c). */
    tg_claim_result cr = tg_claim_series(id, &claim, holder, sizeof holder);
    if (cr == TG_CLAIM_BUSY) {
        tg_log(TG_INFO, "series %s: claimed by node %s, not analysed here; checked again in %.0f s", id, holder,
               claim.busy_for + 1.0);
        TG_COUNT(claimed_elsewhere, 1);
        tg_queue_push_later(id, claim.busy_for + 1.0);
        goto out;
    }
    if (cr == TG_CLAIM_ERROR) {
        snprintf(why, sizeof why, "cannot claim the series for analysis: %s", holder);
        record_failure(id, prev_sr, why);
        goto out;
    }
    if (!w->force && current_key_is(id, key)) { /* another node finished between our read and our claim */
        tg_log(TG_INFO, "series %s: current result written meanwhile (key %s), nothing to do", id, key);
        TG_COUNT(skipped_current, 1);
        goto out;
    }

    timing tm = {0, 0, 0};
    double tf = tg_now();
    fetch_instances(inst, bufs, n);
    tg_node_instance pred = {prev_sr, NULL, 0};
    if (prev_sr[0]) {
        char uri[128];
        snprintf(uri, sizeof uri, "/instances/%s/file", prev_sr);
        if (rest_get(uri, &pred_buf) == 0) {
            pred.data = pred_buf.data;
            pred.size = pred_buf.size;
        }
    }
    tm.fetch = tg_now() - tf;
    job j = {id, inst, rejected};
    tg_node_analysis_config ac;
    memset(&ac, 0, sizeof ac);
    ac.max_pixels = (size_t)tg_cfg.max_pixels;
    ac.deadline = t0 + tg_cfg.series_timeout_s;
    ac.predecessor = pred.data ? &pred : NULL;
    ac.on_reject = on_reject;
    ac.user = &j;
    ac.model = model;
    ac.detector_enabled = tg_cfg.detector_enabled;
    ac.detector_threshold = tg_cfg.detector_threshold;
    if (tg_node_analyze_series(inst, n, &ac, &res) != TG_OK) {
        snprintf(why, sizeof why, "%s", tg_last_error());
        TG_COUNT(bad_instances, res.n_rejected);
        record_failure(id, prev_sr, why);
        goto out;
    }
    TG_COUNT(bad_instances, res.n_rejected);

    double ts = tg_now();
    cJSON *stored = post_json("/instances", res.sr_data, res.sr_size);
    tm.store = tg_now() - ts;
    tm.latency = tg_now() - w->enqueued;
    const char *sr_id = json_str(stored, "ID", NULL), *sr_series = json_str(stored, "ParentSeries", NULL);
    if (!*sr_id || !*sr_series) {
        cJSON_Delete(stored);
        record_failure(id, prev_sr, "Orthanc refused the result SR (POST /instances)");
        goto out;
    }
    /* Mark our own series first, so its StableSeries event is recognised. */
    int meta_ok = put_metadata(sr_series, TG_META_SOURCE, id) == 0;
    double seconds = tg_now() - t0;
    char *text = result_json(&res, key, sr_id, sr_series, pred.data ? prev_sr : NULL, rejected, seconds, &tm);
    meta_ok &= text && put_metadata(id, TG_META_RESULT, text) == 0;
    meta_ok &= put_metadata(id, TG_META_KEY, key) == 0;
    free(text);
    if (!meta_ok)
        tg_log(TG_ERROR, "series %s: SR %s stored but its metadata could not be written", id, sr_id);
    tg_log(TG_INFO, "series %s: SR instance %s stored (%d used, %d rejected, %s, %.3f s)", id, sr_id, res.n_used,
           res.n_rejected, res.summary, seconds);
    char sr_copy[TG_NODE_ID_SIZE];
    snprintf(sr_copy, sizeof sr_copy, "%s", sr_id);
    cJSON_Delete(stored);

    double latency = tg_now() - w->enqueued;
    tg_stats_lock();
    tg_stats.analysed++;
    tg_stats.sr_created++;
    tg_stats.last_latency_s = latency;
    if (latency > tg_stats.max_latency_s)
        tg_stats.max_latency_s = latency;
    tg_stats.sum_latency_s += latency;
    tg_stats.sum_decode_s += res.seconds_decode;
    tg_stats.sum_preprocess_s += res.seconds_preprocess;
    tg_stats.sum_fetch_s += tm.fetch;
    tg_stats.sum_store_s += tm.store;
    tg_stats.sum_model_s += res.seconds_model;
    tg_stats.sum_sr_s += res.seconds_sr;
    tg_stats_unlock();
    tg_forward_submit(sr_copy, id);
out:
    tg_claim_release(id, &claim);
    if (bufs)
        for (int i = 0; i < n; ++i)
            if (bufs[i].data)
                OrthancPluginFreeMemoryBuffer(tg_ctx, &bufs[i]);
    if (pred_buf.data)
        OrthancPluginFreeMemoryBuffer(tg_ctx, &pred_buf);
    tg_node_result_clear(&res);
    tg_node_model_release(model);
    free(bufs);
    free(inst);
    free(uids);
    cJSON_Delete(rejected);
    cJSON_Delete(list);
    cJSON_Delete(meta);
    cJSON_Delete(series);
}

/* Start-up scan: queue every selected-modality series; the worker skips those with a current result. */
static void scan(void)
{
    int total = 0;
    for (int m = 0; m < tg_cfg.n_modalities && !tg_queue_stopping(); ++m) {
        char body[128];
        snprintf(body, sizeof body, "{\"Level\":\"Series\",\"Query\":{\"Modality\":\"%s\"}}", tg_cfg.modalities[m]);
        cJSON *ids = post_json("/tools/find", body, strlen(body));
        const cJSON *e;
        cJSON_ArrayForEach(e, ids)
        {
            if (cJSON_IsString(e) && tg_valid_orthanc_id(e->valuestring)) {
                tg_push_result r = tg_queue_push(e->valuestring, 0);
                total += r == TG_PUSH_QUEUED || r == TG_PUSH_DEFERRED;
            }
        }
        cJSON_Delete(ids);
    }
    tg_log(TG_INFO, "start-up scan queued %d series for a result check", total);
}

static void *worker_main(void *arg)
{
    (void)arg;
    tg_work w;
    while (!tg_queue_stopping()) {
        if (!tg_queue_pop(&w, 1.0))
            continue;
        if (!w.id[0]) {
            scan();
        } else {
            process_series(&w);
            tg_queue_done(w.id);
        }
        tg_publish_metrics();
    }
    tg_node_analysis_thread_end();
    return NULL;
}

int tg_workers_start(int n)
{
    n_threads = 0;
    if (tg_forward_start() != 0)
        return 0;
    for (int i = 0; i < n && i < MAX_WORKERS; ++i) {
        if (pthread_create(&threads[n_threads], NULL, worker_main, NULL) != 0)
            break;
        n_threads++;
    }
    if (n_threads == 0)
        tg_forward_stop();
    return n_threads;
}

void tg_workers_join(void)
{
    tg_queue_stop();
    for (int i = 0; i < n_threads; ++i)
        pthread_join(threads[i], NULL);
    n_threads = 0;
    tg_forward_stop();
}
