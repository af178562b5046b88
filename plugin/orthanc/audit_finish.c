/* ThermoGuard node — the last step of an audit job: the report files, the audit SRs (only when
 * asked; one per study, stored through POST /instances and removed again if a later part fails)
 * and the record saying "done". A reader sees either no result or a complete one.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_job.h"
#include "node_model.h"
#include "thermoguard/audit_outputs.h"

static void delete_srs(cJSON *srs)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, srs)
    {
        if (cJSON_IsString(e))
            tg_audit_delete_instance(e->valuestring);
    }
}

/* Reads a whole small file into a malloc'd buffer. */
static void *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    long len = -1;
    if (f && fseek(f, 0, SEEK_END) == 0)
        len = ftell(f);
    void *buf = len > 0 && len < (64L << 20) && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)len) : NULL;
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    *size = buf ? (size_t)len : 0;
    return buf;
}

/* Writes and stores the audit SR of study s (its images' records), appending its id to srs.
 * 0 (also when the study has no audited image), -1 with why. */
static int study_sr(audit_job *j, int s, cJSON *srs, char *why, size_t n)
{
    int nsel = 0, ns = 0, rc = -1;
    size_t *recs = malloc((j->n_recs ? j->n_recs : 1) * sizeof *recs);
    int *src = malloc((j->n_recs ? j->n_recs : 1) * sizeof *src);
    const char **inst = calloc(j->n_recs ? j->n_recs : 1, sizeof *inst);
    OrthancPluginMemoryBuffer *bufs = calloc(j->n_recs ? j->n_recs : 1, sizeof *bufs);
    tg_dicom_source *sources = calloc(j->n_recs ? j->n_recs : 1, sizeof *sources);
    int n_rows = 0;
    char path[1200] = "";
    if (!recs || !src || !inst || !bufs || !sources) {
        snprintf(why, n, "out of memory for the audit SR");
        goto out;
    }
    for (size_t r = 0; r < j->n_recs; ++r) {
        if (j->recs[r].study != s)
            continue;
        int k = 0;
        while (k < ns && strcmp(inst[k], j->recs[r].instance))
            k++;
        if (k == ns) {
            char uri[128];
            inst[ns] = j->recs[r].instance;
            snprintf(uri, sizeof uri, "/instances/%s/file", inst[ns]);
            if (OrthancPluginRestApiGet(tg_ctx, &bufs[ns], uri) != OrthancPluginErrorCode_Success) {
                snprintf(why, n, "study %s: instance %s is no longer readable", j->req.studies[s], inst[ns]);
                goto out;
            }
            sources[ns] = (tg_dicom_source){NULL, bufs[ns].data, bufs[ns].size};
            ns++;
        }
        recs[nsel] = r;
        src[nsel++] = k;
    }
    snprintf(path, sizeof path, "%s/%s/.sr-XXXXXX", tg_audit_cfg.dir, j->id);
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(why, n, "cannot stage the audit SR in %.300s", tg_audit_cfg.dir);
        path[0] = '\0';
        goto out;
    }
    close(fd);
    if (tg_audit_write_study_sr(j->audit, j->model->m, j->model->sha256, sources, ns, recs, src, nsel, path,
                                &n_rows) != TG_OK) {
        snprintf(why, n, "study %s: audit SR: %s", j->req.studies[s], tg_last_error());
        goto out;
    }
    if (n_rows == 0) { /* every image of the study was skipped: no SR */
        rc = 0;
        goto out;
    }
    size_t size = 0;
    void *data = slurp(path, &size);
    char sr_id[TG_NODE_ID_SIZE];
    if (!data || tg_audit_post_sr(data, size, j->id, sr_id) != 0) {
        snprintf(why, n, "study %s: the audit SR could not be stored in Orthanc", j->req.studies[s]);
        free(data);
        goto out;
    }
    free(data);
    cJSON_AddItemToArray(srs, cJSON_CreateString(sr_id));
    rc = 0;
out:
    if (path[0])
        unlink(path);
    for (int k = 0; bufs && k < ns; ++k)
        OrthancPluginFreeMemoryBuffer(tg_ctx, &bufs[k]);
    free(sources);
    free(bufs);
    free(inst);
    free(src);
    free(recs);
    return rc;
}

int tg_audit_job_finish(audit_job *j, char *why, size_t n)
{
    char *json = NULL, *html = NULL;
    size_t json_len = 0, html_len = 0;
    tg_audit_png png[TG_AUDIT_MAX_EXAMPLES];
    int n_png = j->req.include_images ? tg_audit_examples_encode(j->audit, png) : 0;
    char label[96];
    snprintf(label, sizeof label, "%d Orthanc stud%s", j->req.n_studies, j->req.n_studies == 1 ? "y" : "ies");
    tg_audit_render_opts ro = {j->req.include_images, j->req.include_ids, label, 0};
    cJSON *srs = cJSON_CreateArray();
    int rc = -1;
    if (tg_audit_to_json(j->audit, j->req.include_ids, &json, &json_len) != TG_OK ||
        tg_audit_render_html(j->audit, &ro, png, n_png, &html, &html_len) != TG_OK) {
        snprintf(why, n, "report: %s", tg_last_error());
        goto out;
    }
    for (int s = 0; j->req.audit_sr && s < j->req.n_studies; ++s)
        if (study_sr(j, s, srs, why, n) != 0)
            goto out;
    if (tg_audit_store_put(j->id, "audit.json", json, json_len) != 0 ||
        tg_audit_store_put(j->id, "report.html", html, html_len) != 0) {
        snprintf(why, n, "cannot write the results under %.300s", tg_audit_cfg.dir);
        goto out;
    }
    char when[32];
    tg_audit_utc_now(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ");
    tg_audit_meta_set(j, "Finished", cJSON_CreateString(when));
    tg_audit_meta_set(j, "Images", cJSON_CreateNumber((double)j->n_recs));
    tg_audit_meta_set(j, "AuditSRs", cJSON_Duplicate(srs, 1));
    tg_audit_set_status(j, "done");
    if (tg_audit_store_put_meta(j->id, j->meta) != 0) {
        snprintf(why, n, "cannot write meta.json under %.300s", tg_audit_cfg.dir);
        goto out;
    }
    tg_log(TG_WARN, "audit %s done: %zu images, %d audit SR(s), results in %s/%s", j->id, j->n_recs,
           cJSON_GetArraySize(srs), tg_audit_cfg.dir, j->id);
    rc = 0;
out:
    if (rc != 0) {
        delete_srs(srs);
        tg_audit_store_drop_results(j->id);
        cJSON_DeleteItemFromObjectCaseSensitive(j->meta, "AuditSRs");
    }
    cJSON_Delete(srs);
    tg_audit_examples_free(png, n_png);
    free(json);
    free(html);
    return rc;
}
