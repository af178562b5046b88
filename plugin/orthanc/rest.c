/* ThermoGuard node — REST API under /thermoguard/ (served behind Orthanc's own authentication).
 * Every handler validates its input and answers JSON; errors are 4xx/5xx with {"Error": ...}.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "analyze.h"
#include "audit_node.h"
#include "node.h"
#include "rest_body.h"

#define MAX_BODY 4096

static pthread_mutex_t switch_mu = PTHREAD_MUTEX_INITIALIZER; /* one model switch at a time */

void tg_rest_answer_json(OrthancPluginRestOutput *out, cJSON *j)
{
    char *text = cJSON_PrintUnformatted(j);
    if (text)
        OrthancPluginAnswerBuffer(tg_ctx, out, text, (uint32_t)strlen(text), "application/json");
    else
        OrthancPluginSendHttpStatusCode(tg_ctx, out, 500);
    free(text);
    cJSON_Delete(j);
}

void tg_rest_answer_error(OrthancPluginRestOutput *out, uint16_t status, const char *msg)
{
    tg_rest_answer_error_json(out, status, msg, cJSON_CreateObject());
}

void tg_rest_answer_error_json(OrthancPluginRestOutput *out, uint16_t status, const char *msg, cJSON *j)
{
    cJSON_AddStringToObject(j, "Error", msg);
    cJSON_AddNumberToObject(j, "HttpStatus", status);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    OrthancPluginSendHttpStatus(tg_ctx, out, status, text ? text : "", text ? (uint32_t)strlen(text) : 0);
    free(text);
}

int tg_rest_exists(const char *level, const char *id)
{
    char uri[128];
    snprintf(uri, sizeof uri, "/%s/%s", level, id);
    OrthancPluginMemoryBuffer buf;
    memset(&buf, 0, sizeof buf);
    if (OrthancPluginRestApiGet(tg_ctx, &buf, uri) != OrthancPluginErrorCode_Success)
        return 0;
    OrthancPluginFreeMemoryBuffer(tg_ctx, &buf);
    return 1;
}

/* Checks method and series id; answers the error itself and returns NULL when they are bad. */
static const char *series_arg(OrthancPluginRestOutput *out, const OrthancPluginHttpRequest *req,
                              OrthancPluginHttpMethod method, const char *allowed)
{
    if (req->method != method) {
        OrthancPluginSendMethodNotAllowed(tg_ctx, out, allowed);
        return NULL;
    }
    const char *id = req->groupsCount == 1 ? req->groups[0] : NULL;
    if (!tg_valid_orthanc_id(id)) {
        tg_rest_answer_error(out, 400, "not an Orthanc series id (expected 5 groups of 8 lowercase hex digits)");
        return NULL;
    }
    if (!tg_rest_exists("series", id)) {
        tg_rest_answer_error(out, 404, "unknown series");
        return NULL;
    }
    return id;
}

static void add_model(cJSON *parent, const char *key)
{
    cJSON *m = cJSON_AddObjectToObject(parent, key);
    tg_node_model *nm = tg_enabled ? tg_node_model_acquire() : NULL;
    int active = nm ? tg_node_model_active_index() : -1;
    if (nm && active >= 0)
        cJSON_AddStringToObject(m, "Active", tg_cfg.models[active].name);
    else
        cJSON_AddNullToObject(m, "Active");
    cJSON_AddStringToObject(m, "ResultModel", tg_node_model_sha(nm));
    cJSON_AddBoolToObject(m, "Placeholder", nm == NULL);
    char desc[256];
    tg_node_model_describe(nm, desc, sizeof desc);
    cJSON_AddStringToObject(m, "Description", desc);
    cJSON_AddStringToObject(m, "Note", nm ? "research use only; not for clinical use"
                                          : "no model configured: results are placeholders "
                                            "(\"no model loaded: placeholder result\"); research use only");
    tg_node_model_release(nm);
}

static OrthancPluginErrorCode on_status(OrthancPluginRestOutput *out, const char *url,
                                        const OrthancPluginHttpRequest *req)
{
    (void)url;
    if (req->method != OrthancPluginHttpMethod_Get) {
        OrthancPluginSendMethodNotAllowed(tg_ctx, out, "GET");
        return OrthancPluginErrorCode_Success;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "Name", TG_NODE_NAME);
    cJSON_AddStringToObject(j, "Version", tg_node_version());
    cJSON_AddBoolToObject(j, "Enabled", tg_enabled);
    cJSON_AddStringToObject(j, "NodeId", tg_claim_node_id());
    if (tg_enabled)
        cJSON_AddNullToObject(j, "Reason");
    else
        cJSON_AddStringToObject(j, "Reason", tg_disabled_reason[0] ? tg_disabled_reason : "not initialised");
    add_model(j, "Model");
    int depth = 0, cap = 0, deferred = 0, running = 0;
    if (tg_enabled)
        tg_queue_counts(&depth, &cap, &deferred, &running);
    cJSON *q = cJSON_AddObjectToObject(j, "Queue");
    cJSON_AddNumberToObject(q, "Depth", depth);
    cJSON_AddNumberToObject(q, "Capacity", cap);
    cJSON_AddNumberToObject(q, "Deferred", deferred);
    cJSON_AddNumberToObject(q, "Running", running);
    cJSON_AddNumberToObject(q, "WaitingForClaim", tg_enabled ? tg_queue_waiting() : 0);
    cJSON_AddNumberToObject(q, "Workers", tg_enabled ? tg_cfg.workers : 0);
    tg_stats_lock();
    tg_node_counters c = tg_stats;
    tg_stats_unlock();
    cJSON *k = cJSON_AddObjectToObject(j, "Counters");
    cJSON_AddNumberToObject(k, "Queued", (double)c.queued);
    cJSON_AddNumberToObject(k, "Deferred", (double)c.deferred);
    cJSON_AddNumberToObject(k, "Duplicates", (double)c.duplicates);
    cJSON_AddNumberToObject(k, "Analysed", (double)c.analysed);
    cJSON_AddNumberToObject(k, "SRCreated", (double)c.sr_created);
    cJSON_AddNumberToObject(k, "AlreadyCurrent", (double)c.skipped_current);
    cJSON_AddNumberToObject(k, "Ignored", (double)c.ignored);
    cJSON_AddNumberToObject(k, "Failed", (double)c.failed);
    cJSON_AddNumberToObject(k, "InstancesRejected", (double)c.bad_instances);
    cJSON_AddNumberToObject(k, "ForwardFailed", (double)c.forward_failed);
    cJSON_AddNumberToObject(k, "ClaimedElsewhere", (double)c.claimed_elsewhere);
    long fwd_ok = 0, fwd_late = 0;
    int fwd_pending = 0;
    tg_forward_counts(&fwd_ok, &fwd_late, &fwd_pending);
    cJSON_AddNumberToObject(k, "Forwarded", (double)fwd_ok);
    cJSON_AddNumberToObject(k, "ForwardedAfterRetry", (double)fwd_late);
    cJSON_AddNumberToObject(k, "ForwardPending", fwd_pending);
    cJSON *l = cJSON_AddObjectToObject(j, "LatencySeconds");
    cJSON_AddNumberToObject(l, "Last", c.last_latency_s);
    cJSON_AddNumberToObject(l, "Max", c.max_latency_s);
    cJSON_AddNumberToObject(l, "Mean", c.analysed ? c.sum_latency_s / (double)c.analysed : 0.0);
    cJSON *t = cJSON_AddObjectToObject(j, "AnalysisSecondsTotal");
    cJSON_AddNumberToObject(t, "Fetch", c.sum_fetch_s);
    cJSON_AddNumberToObject(t, "Decode", c.sum_decode_s);
    cJSON_AddNumberToObject(t, "Preprocess", c.sum_preprocess_s);
    cJSON_AddNumberToObject(t, "Model", c.sum_model_s);
    cJSON_AddNumberToObject(t, "SRWrite", c.sum_sr_s);
    cJSON_AddNumberToObject(t, "Store", c.sum_store_s);
    char *ff = tg_forward_failures_json();
    cJSON *ffj = ff ? cJSON_Parse(ff) : NULL;
    free(ff);
    cJSON_AddItemToObject(j, "ForwardFailures", ffj ? ffj : cJSON_CreateArray());
    tg_audit_add_status(j);
    tg_rest_answer_json(out, j);
    return OrthancPluginErrorCode_Success;
}

static OrthancPluginErrorCode on_models(OrthancPluginRestOutput *out, const char *url,
                                        const OrthancPluginHttpRequest *req)
{
    (void)url;
    if (req->method != OrthancPluginHttpMethod_Get) {
        OrthancPluginSendMethodNotAllowed(tg_ctx, out, "GET");
        return OrthancPluginErrorCode_Success;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON *a = cJSON_AddArrayToObject(j, "Models");
    int active = tg_enabled ? tg_node_model_active_index() : -1;
    for (int i = 0; tg_enabled && i < tg_cfg.n_models; ++i) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "Name", tg_cfg.models[i].name);
        cJSON_AddStringToObject(m, "Version", tg_cfg.models[i].version);
        cJSON_AddStringToObject(m, "Path", tg_cfg.models[i].path);
        cJSON_AddStringToObject(m, "SHA256", tg_cfg.models[i].sha256);
        cJSON_AddBoolToObject(m, "HashVerified", 1); /* at start-up; again on every activation */
        cJSON_AddBoolToObject(m, "Active", i == active);
        cJSON_AddItemToArray(a, m);
    }
    add_model(j, "Results");
    tg_rest_answer_json(out, j);
    return OrthancPluginErrorCode_Success;
}

/* Checks that the request is a POST and the plugin enabled; otherwise answers 405/503 itself and
 * returns 0. */
static int enabled_post(OrthancPluginRestOutput *out, const OrthancPluginHttpRequest *req)
{
    if (req->method != OrthancPluginHttpMethod_Post) {
        OrthancPluginSendMethodNotAllowed(tg_ctx, out, "POST");
        return 0;
    }
    if (!tg_enabled) {
        tg_rest_answer_error(out, 503, tg_disabled_reason);
        return 0;
    }
    return 1;
}

/* POST {"Name": NAME}: loads the named model (file re-read, SHA-256 checked against the pinned
 * value, parsed, test-run) and only then makes it active. Any failure leaves the previous model
 * active (rollback) and answers 4xx. The switch lasts until Orthanc restarts (ActiveModel in the
 * configuration is the start-up choice). Series are re-analysed on their next event or analyze
 * request: the key changes with the model, and the new SR references the previous one. */
static OrthancPluginErrorCode on_switch(OrthancPluginRestOutput *out, const char *url,
                                        const OrthancPluginHttpRequest *req)
{
    (void)url;
    if (!enabled_post(out, req))
        return OrthancPluginErrorCode_Success;
    if (req->bodySize > MAX_BODY) {
        tg_rest_answer_error(out, 413, "body too large (at most 4096 bytes)");
        return OrthancPluginErrorCode_Success;
    }
    tg_body_switch body;
    if (tg_body_switch_parse(req->body, req->bodySize, &body) != 0) {
        tg_rest_answer_error(out, 400, "body must be a JSON object {\"Name\": MODEL} naming an entry of ThermoGuard.Models");
        return OrthancPluginErrorCode_Success;
    }
    int idx = -1;
    for (int i = 0; i < tg_cfg.n_models; ++i)
        if (!strcmp(tg_cfg.models[i].name, body.name))
            idx = i;
    if (idx < 0) {
        tg_rest_answer_error(out, 404, "unknown model name (see GET /thermoguard/models)");
        return OrthancPluginErrorCode_Success;
    }
    pthread_mutex_lock(&switch_mu);
    int prev = tg_node_model_active_index();
    const tg_node_model_cfg *mc = &tg_cfg.models[idx];
    char why[512];
    tg_node_model *m = tg_node_model_load(idx, mc->name, mc->path, mc->sha256, why, sizeof why);
    if (m)
        tg_node_model_activate(m, tg_cfg.workers);
    pthread_mutex_unlock(&switch_mu);
    const char *prev_name = prev >= 0 ? tg_cfg.models[prev].name : "none (placeholder results)";
    if (!m) {
        tg_log(TG_ERROR, "model switch to \"%s\" refused, \"%s\" stays active: %s", mc->name, prev_name, why);
        char msg[800];
        snprintf(msg, sizeof msg, "%s; rolled back: \"%s\" stays active", why, prev_name);
        tg_rest_answer_error(out, 409, msg);
        return OrthancPluginErrorCode_Success;
    }
    tg_log(TG_WARN, "active model switched from \"%s\" to \"%s\" (sha256 %s)", prev_name, mc->name, mc->sha256);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "Active", mc->name);
    cJSON_AddStringToObject(j, "SHA256", mc->sha256);
    cJSON_AddStringToObject(j, "Previous", prev_name);
    tg_rest_answer_json(out, j);
    return OrthancPluginErrorCode_Success;
}

static OrthancPluginErrorCode on_analyze(OrthancPluginRestOutput *out, const char *url,
                                         const OrthancPluginHttpRequest *req)
{
    (void)url;
    const char *id = series_arg(out, req, OrthancPluginHttpMethod_Post, "POST");
    if (!id)
        return OrthancPluginErrorCode_Success;
    if (req->bodySize > MAX_BODY) {
        tg_rest_answer_error(out, 413, "body too large (at most 4096 bytes)");
        return OrthancPluginErrorCode_Success;
    }
    tg_body_analyze body;
    if (tg_body_analyze_parse(req->body, req->bodySize, &body) != 0) {
        tg_rest_answer_error(out, 400, "body must be empty or a JSON object {\"Force\": true|false}");
        return OrthancPluginErrorCode_Success;
    }
    int force = body.force;
    if (!tg_enabled) {
        tg_rest_answer_error(out, 503, tg_disabled_reason);
        return OrthancPluginErrorCode_Success;
    }
    tg_push_result r = tg_queue_push(id, force);
    if (r == TG_PUSH_STOPPED) {
        tg_rest_answer_error(out, 503, "the node is stopping");
        return OrthancPluginErrorCode_Success;
    }
    TG_COUNT(queued, r == TG_PUSH_QUEUED);
    TG_COUNT(deferred, r == TG_PUSH_DEFERRED);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "Series", id);
    cJSON_AddStringToObject(j, "State", r == TG_PUSH_QUEUED ? "queued" : r == TG_PUSH_DEFERRED ? "deferred"
                                                                                           : "already pending");
    cJSON_AddBoolToObject(j, "Force", force);
    tg_rest_answer_json(out, j);
    return OrthancPluginErrorCode_Success;
}

static OrthancPluginErrorCode on_result(OrthancPluginRestOutput *out, const char *url,
                                        const OrthancPluginHttpRequest *req)
{
    (void)url;
    const char *id = series_arg(out, req, OrthancPluginHttpMethod_Get, "GET");
    if (!id)
        return OrthancPluginErrorCode_Success;
    char uri[160];
    snprintf(uri, sizeof uri, "/series/%s/metadata/%s", id, TG_META_RESULT);
    OrthancPluginMemoryBuffer buf;
    memset(&buf, 0, sizeof buf);
    cJSON *j = NULL;
    if (OrthancPluginRestApiGet(tg_ctx, &buf, uri) == OrthancPluginErrorCode_Success) {
        j = cJSON_ParseWithLength(buf.data, buf.size);
        OrthancPluginFreeMemoryBuffer(tg_ctx, &buf);
    }
    const char *state = NULL;
    int pending = tg_enabled && tg_queue_state(id, &state);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        tg_rest_answer_error(out, 404, pending ? "no result yet: analysis pending" : "no ThermoGuard result for this series");
        return OrthancPluginErrorCode_Success;
    }
    cJSON_AddStringToObject(j, "Series", id);
    if (pending)
        cJSON_AddStringToObject(j, "Pending", state);
    tg_rest_answer_json(out, j);
    return OrthancPluginErrorCode_Success;
}

/* POST: every abandoned forwarding send is tried again (with a fresh attempt budget). */
static OrthancPluginErrorCode on_forward_retry(OrthancPluginRestOutput *out, const char *url,
                                               const OrthancPluginHttpRequest *req)
{
    (void)url;
    if (!enabled_post(out, req))
        return OrthancPluginErrorCode_Success;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "Retrying", tg_forward_retry_abandoned());
    tg_rest_answer_json(out, j);
    return OrthancPluginErrorCode_Success;
}

void tg_rest_register(void)
{
    OrthancPluginRegisterRestCallbackNoLock(tg_ctx, "/thermoguard/status", on_status);
    OrthancPluginRegisterRestCallbackNoLock(tg_ctx, "/thermoguard/models", on_models);
    OrthancPluginRegisterRestCallbackNoLock(tg_ctx, "/thermoguard/models/active", on_switch);
    OrthancPluginRegisterRestCallbackNoLock(tg_ctx, "/thermoguard/series/([^/]+)/analyze", on_analyze);
    OrthancPluginRegisterRestCallbackNoLock(tg_ctx, "/thermoguard/series/([^/]+)/result", on_result);
    OrthancPluginRegisterRestCallbackNoLock(tg_ctx, "/thermoguard/forward/retry", on_forward_retry);
}
