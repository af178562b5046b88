/* ThermoGuard node — the audit REST API (behind Orthanc's own authentication):
 *   POST /thermoguard/audits              start an audit job (body: audit_request.c) -> 200
 *        {"ID", "JobID", "Path", "Skipped"}; 400 bad body; 503 too many audits, no active model or
 *        audits unavailable (Orthanc 1.10.1 refuses status 429 from plugins)
 *   GET  /thermoguard/audits              every stored audit's meta.json, newest first
 *   GET  /thermoguard/audits/{id}         status (live progress while running) + "Results" (audit.json)
 *   GET  /thermoguard/audits/{id}/report  the HTML report (text/html)
 * Who started an audit is logged: the HTTP Basic user and X-Forwarded-For when present (Orthanc
 * 1.10.1 gives plugins the request headers, not the peer address).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit_node.h"

static void answer_error(OrthancPluginRestOutput *out, uint16_t status, const char *msg, cJSON *skipped)
{
    cJSON *j = cJSON_CreateObject();
    if (skipped)
        cJSON_AddItemToObject(j, "Skipped", cJSON_Duplicate(skipped, 1));
    tg_rest_answer_error_json(out, status, msg, j);
}

static const char *header(const OrthancPluginHttpRequest *req, const char *name)
{
    for (uint32_t i = 0; i < req->headersCount; ++i)
        if (!strcasecmp(req->headersKeys[i], name))
            return req->headersValues[i];
    return NULL;
}

static int b64(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* The user name of an HTTP Basic Authorization header (never the password), or "". */
static void basic_user(const char *auth, char *user, size_t n)
{
    user[0] = '\0';
    if (!auth || strncasecmp(auth, "Basic ", 6))
        return;
    char dec[256];
    size_t k = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = auth + 6; *p && *p != '=' && k + 1 < sizeof dec; ++p) {
        int v = b64((unsigned char)*p);
        if (v < 0)
            return;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dec[k++] = (char)((acc >> bits) & 0xff);
        }
    }
    dec[k] = '\0';
    char *colon = strchr(dec, ':');
    if (colon)
        *colon = '\0';
    size_t i = 0;
    for (const char *p = dec; *p && i + 1 < n; ++p) /* printable only: it goes into logs */
        user[i++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    user[i] = '\0';
}

static void who(const OrthancPluginHttpRequest *req, char *buf, size_t n)
{
    char user[64];
    basic_user(header(req, "authorization"), user, sizeof user);
    const char *fwd = header(req, "x-forwarded-for");
    char f[64] = "";
    for (size_t i = 0; fwd && fwd[i] && i + 1 < sizeof f; ++i)
        f[i] = (fwd[i] >= 0x20 && fwd[i] < 0x7f && fwd[i] != '"') ? fwd[i] : '?', f[i + 1] = '\0';
    snprintf(buf, n, "user %s%s%s%s", user[0] ? user : "(anonymous: Orthanc authentication off)",
             f[0] ? " via X-Forwarded-For " : "", f, f[0] ? "" : " (peer address not available to Orthanc plugins)");
}

static int usable(OrthancPluginRestOutput *out)
{
    if (!tg_enabled) {
        answer_error(out, 503, tg_disabled_reason[0] ? tg_disabled_reason : "ThermoGuard is disabled", NULL);
        return 0;
    }
    if (!tg_audit_cfg.available) {
        answer_error(out, 503, tg_audit_cfg.why[0] ? tg_audit_cfg.why : "audits are unavailable", NULL);
        return 0;
    }
    return 1;
}

static void post_audit(OrthancPluginRestOutput *out, const OrthancPluginHttpRequest *req)
{
    tg_audit_reconcile();
    tg_audit_request ar;
    char why[600];
    int rc = tg_audit_request_parse(req->body, req->bodySize, &tg_audit_lookup_orthanc, &ar, why, sizeof why);
    if (rc) {
        answer_error(out, (uint16_t)rc, why, cJSON_GetArraySize(ar.skipped) ? ar.skipped : NULL);
        tg_audit_request_free(&ar);
        return;
    }
    if (tg_audit_active() >= tg_audit_cfg.max_audits) {
        snprintf(why, sizeof why, "at most ConcurrentJobs - 1 = %d audit(s) at once, and that many are running or "
                 "paused: retry when one has finished", tg_audit_cfg.max_audits);
        answer_error(out, 503, why, NULL);
        tg_audit_request_free(&ar);
        return;
    }
    tg_node_model *m = tg_node_model_acquire();
    if (!m) {
        answer_error(out, 503, "no model is active: an audit attacks the deployed model (set ActiveModel)", NULL);
        tg_audit_request_free(&ar);
        return;
    }
    cJSON *skipped = cJSON_Duplicate(ar.skipped, 1);
    char w[256], id[TG_AUDIT_ID_SIZE], job[64];
    who(req, w, sizeof w);
    rc = tg_audit_submit(&ar, m, w, id, job, why, sizeof why);
    if (rc) {
        answer_error(out, (uint16_t)rc, why, NULL);
    } else {
        cJSON *j = cJSON_CreateObject();
        char path[96];
        snprintf(path, sizeof path, "/thermoguard/audits/%s", id);
        cJSON_AddStringToObject(j, "ID", id);
        cJSON_AddStringToObject(j, "JobID", job);
        cJSON_AddStringToObject(j, "Path", path);
        cJSON_AddItemToObject(j, "Skipped", skipped);
        skipped = NULL;
        tg_rest_answer_json(out, j);
    }
    cJSON_Delete(skipped);
}

static void list_audits(OrthancPluginRestOutput *out)
{
    tg_audit_reconcile();
    int n = 0;
    char **ids = tg_audit_store_list(&n);
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; ++i) {
        cJSON *m = tg_audit_status(ids[i]);
        if (m)
            cJSON_AddItemToArray(a, m);
        free(ids[i]);
    }
    free(ids);
    tg_rest_answer_json(out, a);
}

static void on_audits(OrthancPluginRestOutput *out, const char *url, const OrthancPluginHttpRequest *req)
{
    (void)url;
    if (req->method != OrthancPluginHttpMethod_Get && req->method != OrthancPluginHttpMethod_Post) {
        OrthancPluginSendMethodNotAllowed(tg_ctx, out, "GET,POST");
        return;
    }
    if (!usable(out))
        return;
    if (req->method == OrthancPluginHttpMethod_Post)
        post_audit(out, req);
    else
        list_audits(out);
}

/* Checks method and id; answers the error itself and returns NULL when they are bad. */
static const char *audit_arg(OrthancPluginRestOutput *out, const OrthancPluginHttpRequest *req)
{
    if (req->method != OrthancPluginHttpMethod_Get) {
        OrthancPluginSendMethodNotAllowed(tg_ctx, out, "GET");
        return NULL;
    }
    if (!usable(out))
        return NULL;
    const char *id = req->groupsCount == 1 ? req->groups[0] : NULL;
    if (!tg_audit_valid_id(id)) {
        answer_error(out, 400, "not an audit id", NULL);
        return NULL;
    }
    return id;
}

static OrthancPluginErrorCode on_audit(OrthancPluginRestOutput *out, const char *url,
                                       const OrthancPluginHttpRequest *req)
{
    const char *id = audit_arg(out, req);
    if (!id)
        return OrthancPluginErrorCode_Success;
    tg_audit_reconcile();
    cJSON *m = tg_audit_status(id);
    if (!m) {
        answer_error(out, 404, "unknown audit", NULL);
        return OrthancPluginErrorCode_Success;
    }
    char *results = tg_audit_store_get(id, "audit.json", NULL);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(m, "Status");
    cJSON *r = results && cJSON_IsString(st) && !strcmp(st->valuestring, "done") ? cJSON_Parse(results) : NULL;
    free(results);
    if (r)
        cJSON_AddItemToObject(m, "Results", r);
    else
        cJSON_AddNullToObject(m, "Results");
    (void)url;
    tg_rest_answer_json(out, m);
    return OrthancPluginErrorCode_Success;
}

static OrthancPluginErrorCode on_report(OrthancPluginRestOutput *out, const char *url,
                                        const OrthancPluginHttpRequest *req)
{
    (void)url;
    const char *id = audit_arg(out, req);
    if (!id)
        return OrthancPluginErrorCode_Success;
    size_t len = 0;
    char *html = tg_audit_store_get(id, "report.html", &len);
    if (!html) {
        cJSON *m = tg_audit_status(id);
        answer_error(out, 404, m ? "this audit has no report (not finished, cancelled or failed)" : "unknown audit",
                     NULL);
        cJSON_Delete(m);
        return OrthancPluginErrorCode_Success;
    }
    OrthancPluginAnswerBuffer(tg_ctx, out, html, (uint32_t)len, "text/html; charset=utf-8");
    free(html);
    return OrthancPluginErrorCode_Success;
}

static OrthancPluginErrorCode on_audits_cb(OrthancPluginRestOutput *out, const char *url,
                                           const OrthancPluginHttpRequest *req)
{
    on_audits(out, url, req);
    return OrthancPluginErrorCode_Success;
}

void tg_audit_add_status(cJSON *status)
{
    cJSON *a = cJSON_AddObjectToObject(status, "Audits");
    int ok = tg_enabled && tg_audit_cfg.available;
    cJSON_AddBoolToObject(a, "Available", ok);
    if (ok)
        cJSON_AddNullToObject(a, "Reason");
    else
        cJSON_AddStringToObject(a, "Reason", tg_audit_cfg.why[0] ? tg_audit_cfg.why : "the plugin is disabled");
    cJSON_AddStringToObject(a, "Directory", tg_audit_cfg.dir);
    cJSON_AddNumberToObject(a, "ConcurrentJobs", tg_audit_cfg.concurrent_jobs);
    cJSON_AddNumberToObject(a, "MaxConcurrent", tg_audit_cfg.max_audits > 0 ? tg_audit_cfg.max_audits : 0);
    cJSON_AddNumberToObject(a, "Active", tg_audit_active());
}

void tg_audit_rest_register(void)
{
    OrthancPluginRegisterRestCallback(tg_ctx, "/thermoguard/audits", on_audits_cb);
    OrthancPluginRegisterRestCallback(tg_ctx, "/thermoguard/audits/([^/]+)", on_audit);
    OrthancPluginRegisterRestCallback(tg_ctx, "/thermoguard/audits/([^/]+)/report", on_report);
}
