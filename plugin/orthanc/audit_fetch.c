/* ThermoGuard node — what audits read from and write to Orthanc (job steps and REST callbacks
 * only, never Orthanc change callbacks). Source instances are only read; the one thing an audit
 * stores is its own SR, tagged as created by ThermoGuard so the node never analyses or forwards it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit_node.h"
#include "rest_body.h"

static cJSON *get_json(const char *uri)
{
    OrthancPluginMemoryBuffer buf;
    memset(&buf, 0, sizeof buf);
    if (OrthancPluginRestApiGet(tg_ctx, &buf, uri) != OrthancPluginErrorCode_Success)
        return NULL;
    cJSON *j = cJSON_ParseWithLength(buf.data, buf.size);
    OrthancPluginFreeMemoryBuffer(tg_ctx, &buf);
    return j;
}

static int study_exists(const char *id)
{
    return tg_rest_exists("studies", id);
}

/* POST /tools/find with `query_json`; the parsed answer or NULL. */
static cJSON *find_studies(const char *query_json)
{
    OrthancPluginMemoryBuffer buf;
    memset(&buf, 0, sizeof buf);
    if (OrthancPluginRestApiPost(tg_ctx, &buf, "/tools/find", query_json, (uint32_t)strlen(query_json)) !=
        OrthancPluginErrorCode_Success)
        return NULL;
    cJSON *j = cJSON_ParseWithLength(buf.data, buf.size);
    OrthancPluginFreeMemoryBuffer(tg_ctx, &buf);
    return j ? j : cJSON_CreateNull(); /* an unparsable answer is "unexpected", not "rejected" */
}

const tg_audit_lookup tg_audit_lookup_orthanc = {study_exists, find_studies};

static const char *tag(const cJSON *resource, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resource, "MainDicomTags"), name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The series an audit takes: a selected modality, not an SR, not created by ThermoGuard. */
static int audited(const cJSON *series)
{
    const char *modality = tag(series, "Modality");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(series, "ID");
    if (!cJSON_IsString(id) || !tg_valid_orthanc_id(id->valuestring) || !strcasecmp(modality, "SR"))
        return 0;
    int selected = 0;
    for (int i = 0; i < tg_cfg.n_modalities; ++i)
        selected |= !strcasecmp(tg_cfg.modalities[i], modality);
    if (!selected)
        return 0;
    char uri[128];
    snprintf(uri, sizeof uri, "/series/%s/metadata?expand", id->valuestring);
    cJSON *meta = get_json(uri);
    int ours = cJSON_GetObjectItemCaseSensitive(meta, TG_META_SOURCE) != NULL;
    cJSON_Delete(meta);
    return !ours;
}

int tg_audit_fetch_series(const char *study, char (**ids)[TG_NODE_ID_SIZE], int *n)
{
    *ids = NULL;
    *n = 0;
    char uri[128];
    snprintf(uri, sizeof uri, "/studies/%s/series", study);
    cJSON *list = get_json(uri);
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(list);
        return -1;
    }
    int cap = cJSON_GetArraySize(list);
    *ids = calloc((size_t)(cap ? cap : 1), sizeof **ids);
    const cJSON *s;
    cJSON_ArrayForEach(s, list)
    {
        if (*ids && audited(s))
            snprintf((*ids)[(*n)++], TG_NODE_ID_SIZE, "%s", cJSON_GetObjectItemCaseSensitive(s, "ID")->valuestring);
    }
    cJSON_Delete(list);
    return *ids ? 0 : -1;
}

int tg_audit_fetch_instances(const char *series, char (**ids)[TG_NODE_ID_SIZE], OrthancPluginMemoryBuffer **bufs,
                             int *n)
{
    *ids = NULL;
    *bufs = NULL;
    *n = 0;
    char uri[128];
    snprintf(uri, sizeof uri, "/series/%s/instances", series);
    cJSON *list = get_json(uri);
    int count = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1;
    if (count < 1 || count > tg_cfg.max_instances) {
        if (count > tg_cfg.max_instances)
            tg_log(TG_WARN, "audit: series %s has %d instances, more than MaxInstances %d: skipped", series, count,
                   tg_cfg.max_instances);
        cJSON_Delete(list);
        return -1;
    }
    *ids = calloc((size_t)count, sizeof **ids);
    *bufs = calloc((size_t)count, sizeof **bufs);
    if (!*ids || !*bufs) {
        cJSON_Delete(list);
        free(*ids);
        free(*bufs);
        *ids = NULL;
        *bufs = NULL;
        return -1;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "ID");
        if (!cJSON_IsString(id) || !tg_valid_orthanc_id(id->valuestring))
            continue;
        int i = (*n)++;
        snprintf((*ids)[i], TG_NODE_ID_SIZE, "%s", id->valuestring);
        snprintf(uri, sizeof uri, "/instances/%s/file", id->valuestring);
        if (OrthancPluginRestApiGet(tg_ctx, &(*bufs)[i], uri) != OrthancPluginErrorCode_Success)
            memset(&(*bufs)[i], 0, sizeof **bufs);
    }
    cJSON_Delete(list);
    return 0;
}

void tg_audit_free_instances(char (*ids)[TG_NODE_ID_SIZE], OrthancPluginMemoryBuffer *bufs, int n)
{
    for (int i = 0; bufs && i < n; ++i)
        if (bufs[i].data)
            OrthancPluginFreeMemoryBuffer(tg_ctx, &bufs[i]);
    free(bufs);
    free(ids);
}

int tg_audit_post_sr(const void *data, size_t size, const char *audit_id, char id[TG_NODE_ID_SIZE])
{
    OrthancPluginMemoryBuffer buf;
    memset(&buf, 0, sizeof buf);
    id[0] = '\0';
    if (size > UINT32_MAX ||
        OrthancPluginRestApiPost(tg_ctx, &buf, "/instances", data, (uint32_t)size) != OrthancPluginErrorCode_Success)
        return -1;
    cJSON *r = cJSON_ParseWithLength(buf.data, buf.size);
    OrthancPluginFreeMemoryBuffer(tg_ctx, &buf);
    const cJSON *iid = cJSON_GetObjectItemCaseSensitive(r, "ID");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(r, "ParentSeries");
    int rc = cJSON_IsString(iid) && cJSON_IsString(sid) ? 0 : -1;
    if (rc == 0) {
        snprintf(id, TG_NODE_ID_SIZE, "%s", iid->valuestring);
        char uri[160], value[80];
        snprintf(uri, sizeof uri, "/series/%s/metadata/%s", sid->valuestring, TG_META_SOURCE);
        snprintf(value, sizeof value, TG_AUDIT_SR_TAG "%s", audit_id);
        memset(&buf, 0, sizeof buf);
        if (OrthancPluginRestApiPut(tg_ctx, &buf, uri, value, (uint32_t)strlen(value)) ==
            OrthancPluginErrorCode_Success)
            OrthancPluginFreeMemoryBuffer(tg_ctx, &buf);
        else
            tg_log(TG_WARN, "audit %s: cannot tag SR series %s as ThermoGuard's", audit_id, sid->valuestring);
    }
    cJSON_Delete(r);
    return rc;
}

void tg_audit_delete_instance(const char *id)
{
    char uri[128];
    snprintf(uri, sizeof uri, "/instances/%s", id);
    if (OrthancPluginRestApiDelete(tg_ctx, uri) != OrthancPluginErrorCode_Success)
        tg_log(TG_WARN, "audit: cannot delete its own SR instance %s", id);
}

int tg_audit_clinical_busy(void)
{
    int depth, cap, deferred, running;
    tg_queue_counts(&depth, &cap, &deferred, &running);
    return depth + deferred + running > 0;
}
