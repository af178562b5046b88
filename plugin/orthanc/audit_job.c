/* ThermoGuard node — one robustness audit as an Orthanc job (OrthancPluginCreateJob +
 * OrthancPluginSubmitJob, Orthanc 1.10.1 API). Orthanc acts between steps, so a step is short:
 * list one study's series, or fetch one series and build its breast samples (the dicom layer's
 * tg_analysis_samples_build, exactly the node's inputs), or attack ONE breast image
 * (tg_audit_image), or — last — write the report, the audit SRs and the record.
 *
 * Priority: clinical analysis first. While the node's clinical queue holds or runs a series, a
 * step does no audit work: it sleeps 0.2 s and returns "continue" (Orthanc keeps the job
 * running; it resumes as soon as the queue is empty). At most ConcurrentJobs - 1 audits hold a
 * slot (pending, running or paused), so Orthanc's own jobs always keep a worker.
 * Pause: Orthanc stops between steps (stop callback, reason "paused"); resume continues at the
 * next image. Cancel / failure: everything in memory is dropped, no report and no SR remains
 * (SRs are only stored in the last step, and removed again if that step fails); meta.json says
 * "cancelled" / "failed". Resubmit (reset) starts the audit again from its first study.
 * The last step itself is audit_finish.c.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_job.h"
#include "node_model.h"
#include "thermoguard/audit_outputs.h"

#define YIELD_US 200000


static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static audit_job *jobs;

int tg_audit_active(void)
{
    int n = 0;
    pthread_mutex_lock(&reg_mu);
    for (audit_job *j = jobs; j; j = j->next)
        n += j->holds_slot;
    pthread_mutex_unlock(&reg_mu);
    return n;
}

/* Takes a slot if fewer than max_audits are held. 1 taken, 0 none free. */
static int take_slot(audit_job *j)
{
    pthread_mutex_lock(&reg_mu);
    int n = 0;
    for (audit_job *k = jobs; k; k = k->next)
        n += k->holds_slot;
    int ok = j->holds_slot || n < tg_audit_cfg.max_audits;
    if (ok)
        j->holds_slot = 1;
    pthread_mutex_unlock(&reg_mu);
    return ok;
}

static void release_slot(audit_job *j)
{
    pthread_mutex_lock(&reg_mu);
    j->holds_slot = 0;
    pthread_mutex_unlock(&reg_mu);
}

void tg_audit_utc_now(char *buf, size_t n, const char *fmt)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, fmt, &tm);
}

void tg_audit_set_status(audit_job *j, const char *status)
{
    pthread_mutex_lock(&j->mu);
    snprintf(j->status, sizeof j->status, "%s", status);
    pthread_mutex_unlock(&j->mu);
    cJSON_ReplaceItemInObjectCaseSensitive(j->meta, "Status", cJSON_CreateString(status));
}

void tg_audit_meta_set(audit_job *j, const char *key, cJSON *value)
{
    if (cJSON_GetObjectItemCaseSensitive(j->meta, key))
        cJSON_ReplaceItemInObjectCaseSensitive(j->meta, key, value);
    else
        cJSON_AddItemToObject(j->meta, key, value);
}

/* Frees the current series (instances, samples). */
static void drop_series(audit_job *j)
{
    tg_audit_free_instances(j->inst_ids, j->inst_bufs, j->n_inst);
    j->inst_ids = NULL;
    j->inst_bufs = NULL;
    j->n_inst = 0;
    tg_analysis_samples_clear(&j->smp);
    j->sample = 0;
}

/* Drops every partial result and puts the cursor back to the first study. */
static void drop_progress(audit_job *j)
{
    drop_series(j);
    free(j->series);
    j->series = NULL;
    j->n_series = j->series_i = 0;
    j->study = 0;
    j->ph = PH_STUDY;
    tg_audit_destroy(j->audit);
    j->audit = NULL;
    free(j->recs);
    j->recs = NULL;
    j->n_recs = j->cap_recs = 0;
    pthread_mutex_lock(&j->mu);
    j->images = 0;
    j->progress = 0;
    pthread_mutex_unlock(&j->mu);
}

static void update_progress(audit_job *j)
{
    double f = 0;
    if (j->ph == PH_DONE) {
        f = 1;
    } else if (j->req.n_studies > 0) {
        double within = 0;
        if (j->n_series > 0)
            within = ((double)j->series_i + (j->smp.n > 0 ? (double)j->sample / j->smp.n : 0)) / j->n_series;
        f = ((double)j->study + within) / j->req.n_studies;
        if (j->req.cfg.max_images)
            f = f > (double)j->n_recs / (double)j->req.cfg.max_images ? f : (double)j->n_recs / (double)j->req.cfg.max_images;
        f = f > 0.99 ? 0.99 : f;
    }
    pthread_mutex_lock(&j->mu);
    j->progress = (float)f;
    j->images = j->n_recs;
    pthread_mutex_unlock(&j->mu);
}

static int add_rec(audit_job *j, const char *instance)
{
    if (j->n_recs == j->cap_recs) {
        size_t cap = j->cap_recs ? 2 * j->cap_recs : 64;
        rec_src *g = realloc(j->recs, cap * sizeof *g);
        if (!g)
            return -1;
        j->recs = g;
        j->cap_recs = cap;
    }
    j->recs[j->n_recs].study = j->study;
    snprintf(j->recs[j->n_recs].instance, TG_NODE_ID_SIZE, "%s", instance);
    j->n_recs++;
    return 0;
}

static void on_reject(void *user, int index, const char *reason)
{
    audit_job *j = user;
    tg_log(TG_WARN, "audit %s: instance %s not used: %s", j->id, j->inst_ids[index], reason);
}

/* Fetches series j->series_i of the current study and builds its breast samples. */
static void load_series(audit_job *j)
{
    const char *sid = j->series[j->series_i];
    if (tg_audit_fetch_instances(sid, &j->inst_ids, &j->inst_bufs, &j->n_inst) != 0) {
        tg_log(TG_WARN, "audit %s: series %s skipped (gone, empty or too many instances)", j->id, sid);
        j->series_i++;
        return;
    }
    tg_analysis_instance *in = calloc((size_t)j->n_inst, sizeof *in);
    tg_analysis_config cfg;
    tg_analysis_config_default(&cfg);
    cfg.model = j->model->m;
    cfg.max_pixels = (size_t)tg_cfg.max_pixels;
    cfg.on_reject = on_reject;
    cfg.user = j;
    tg_status st = TG_ERR_NOMEM;
    if (in) {
        for (int i = 0; i < j->n_inst; ++i)
            in[i] = (tg_analysis_instance){j->inst_ids[i], NULL, j->inst_bufs[i].data, j->inst_bufs[i].size};
        st = tg_analysis_samples_build(in, j->n_inst, &cfg, &j->smp);
    }
    free(in);
    if (st != TG_OK) {
        tg_log(TG_WARN, "audit %s: series %s skipped: %s", j->id, sid, tg_last_error());
        drop_series(j);
        j->series_i++;
        return;
    }
    j->sample = 0;
    j->ph = PH_SAMPLE;
}

/* Attacks one breast image of the current series. 0, or -1 (job fails) on an audit error. */
static int audit_one(audit_job *j, char *why, size_t n)
{
    const char *instance = j->inst_ids[j->smp.source[j->sample]];
    tg_status st = tg_audit_series_image(j->audit, &j->smp, j->sample, instance, j->req.studies[j->study], NULL);
    if (st == TG_ERR_RANGE) { /* image or time cap reached */
        j->ph = PH_FINISH;
        return 0;
    }
    if (st != TG_OK || add_rec(j, instance) != 0) {
        snprintf(why, n, "instance %s: %s", instance, st != TG_OK ? tg_last_error() : "out of memory");
        return -1;
    }
    j->sample++;
    return 0;
}

/* 1 for the first caller that ends the job (Orthanc's stop callback or reconcile). */
static int claim_end(audit_job *j)
{
    pthread_mutex_lock(&j->mu);
    int first = !j->ended;
    j->ended = 1;
    pthread_mutex_unlock(&j->mu);
    return first;
}

/* ---- Orthanc job callbacks ---- */

static OrthancPluginJobStepStatus fail_step(audit_job *j, const char *why)
{
    tg_log(TG_ERROR, "audit %s failed: %s", j->id, why);
    tg_audit_meta_set(j, "Error", cJSON_CreateString(why));
    return OrthancPluginJobStepStatus_Failure;
}

static OrthancPluginJobStepStatus step(void *p)
{
    audit_job *j = p;
    char why[600];
    pthread_mutex_lock(&j->mu);
    int submitted = j->submitted;
    pthread_mutex_unlock(&j->mu);
    if (!submitted || tg_audit_clinical_busy()) { /* clinical analysis first */
        usleep(YIELD_US);
        return OrthancPluginJobStepStatus_Continue;
    }
    if (!take_slot(j))
        return fail_step(j, "too many audits are running (at most ConcurrentJobs - 1)");
    if (!j->audit && tg_audit_create(&j->audit, &j->req.cfg, j->model->m, j->source ? j->source->m : NULL) != TG_OK)
        return fail_step(j, tg_last_error());
    if (strcmp(j->status, "running")) {
        tg_audit_set_status(j, "running");
        tg_audit_store_put_meta(j->id, j->meta);
    }
    switch (j->ph) {
    case PH_STUDY:
        free(j->series);
        j->series = NULL;
        j->n_series = j->series_i = 0;
        if (j->study >= j->req.n_studies || tg_audit_done(j->audit)) {
            j->ph = PH_FINISH;
        } else if (tg_audit_fetch_series(j->req.studies[j->study], &j->series, &j->n_series) != 0) {
            tg_log(TG_WARN, "audit %s: study %s is gone, skipped", j->id, j->req.studies[j->study]);
            j->study++;
        } else {
            j->ph = PH_SERIES;
        }
        break;
    case PH_SERIES:
        if (j->series_i >= j->n_series) {
            j->study++;
            j->ph = PH_STUDY;
        } else {
            load_series(j);
        }
        break;
    case PH_SAMPLE:
        if (tg_audit_done(j->audit)) {
            j->ph = PH_FINISH;
        } else if (j->sample >= j->smp.n) {
            drop_series(j);
            j->series_i++;
            j->ph = PH_SERIES;
        } else if (audit_one(j, why, sizeof why) != 0) {
            return fail_step(j, why);
        }
        break;
    case PH_FINISH:
        drop_series(j);
        if (tg_audit_job_finish(j, why, sizeof why) != 0)
            return fail_step(j, why);
        claim_end(j);
        j->ph = PH_DONE;
        update_progress(j);
        return OrthancPluginJobStepStatus_Success;
    case PH_DONE:
        return OrthancPluginJobStepStatus_Success;
    }
    update_progress(j);
    return OrthancPluginJobStepStatus_Continue;
}

/* Failure or cancel: drops all partial results and records the outcome (not the slot). */
static void end_job(audit_job *j, int cancelled)
{
    size_t images = j->n_recs;
    drop_progress(j);
    tg_audit_store_drop_results(j->id);
    char when[32];
    tg_audit_utc_now(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ");
    tg_audit_meta_set(j, "Finished", cJSON_CreateString(when));
    tg_audit_meta_set(j, "Images", cJSON_CreateNumber(0));
    if (cancelled)
        tg_audit_meta_set(j, "Error", cJSON_CreateString("cancelled; partial results were discarded"));
    tg_audit_set_status(j, cancelled ? "cancelled" : "failed");
    tg_audit_store_put_meta(j->id, j->meta);
    tg_log(TG_WARN, "audit %s %s after %zu images: no partial results kept", j->id, cancelled ? "cancelled" : "failed",
           images);
}

static OrthancPluginErrorCode stop(void *p, OrthancPluginJobStopReason reason)
{
    audit_job *j = p;
    if (reason == OrthancPluginJobStopReason_Paused) {
        tg_audit_set_status(j, "paused");
        tg_log(TG_INFO, "audit %s paused after %zu images", j->id, j->n_recs);
        return OrthancPluginErrorCode_Success;
    }
    if (claim_end(j) && reason != OrthancPluginJobStopReason_Success)
        end_job(j, reason == OrthancPluginJobStopReason_Canceled);
    release_slot(j);
    return OrthancPluginErrorCode_Success;
}

/* Orthanc 1.10.1 cancels a pending or paused job without calling its stop callback: audits
 * whose Orthanc job has failed meanwhile are ended here (called by the REST handlers). */
void tg_audit_reconcile(void)
{
    enum { MAX_CHECK = 64 };
    char ids[MAX_CHECK][64];
    int n = 0;
    pthread_mutex_lock(&reg_mu);
    for (audit_job *j = jobs; j && n < MAX_CHECK; j = j->next)
        if (j->holds_slot && j->job_id[0])
            snprintf(ids[n++], sizeof ids[0], "%s", j->job_id);
    pthread_mutex_unlock(&reg_mu);
    for (int i = 0; i < n; ++i) {
        char uri[128];
        snprintf(uri, sizeof uri, "/jobs/%.63s", ids[i]);
        OrthancPluginMemoryBuffer buf;
        memset(&buf, 0, sizeof buf);
        if (OrthancPluginRestApiGet(tg_ctx, &buf, uri) != OrthancPluginErrorCode_Success)
            continue;
        cJSON *r = cJSON_ParseWithLength(buf.data, buf.size);
        OrthancPluginFreeMemoryBuffer(tg_ctx, &buf);
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(r, "State");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(r, "ErrorCode");
        if (cJSON_IsString(state) && !strcmp(state->valuestring, "Failure")) {
            int cancelled = cJSON_IsNumber(code) && code->valueint == OrthancPluginErrorCode_CanceledJob;
            pthread_mutex_lock(&reg_mu);
            for (audit_job *j = jobs; j; j = j->next)
                if (!strcmp(j->job_id, ids[i]) && j->holds_slot) {
                    if (claim_end(j))
                        end_job(j, cancelled);
                    j->holds_slot = 0;
                }
            pthread_mutex_unlock(&reg_mu);
        }
        cJSON_Delete(r);
    }
}

static OrthancPluginErrorCode reset(void *p)
{
    audit_job *j = p;
    drop_progress(j);
    pthread_mutex_lock(&j->mu);
    j->ended = 0;
    pthread_mutex_unlock(&j->mu);
    cJSON_DeleteItemFromObjectCaseSensitive(j->meta, "Error");
    cJSON_DeleteItemFromObjectCaseSensitive(j->meta, "Finished");
    tg_audit_set_status(j, "pending");
    tg_audit_store_put_meta(j->id, j->meta);
    tg_log(TG_WARN, "audit %s resubmitted: starting again from its first study", j->id);
    return OrthancPluginErrorCode_Success;
}

static float get_progress(void *p)
{
    audit_job *j = p;
    pthread_mutex_lock(&j->mu);
    float f = j->progress;
    pthread_mutex_unlock(&j->mu);
    return f;
}

/* Content shown at /jobs/{id} and in Orthanc Explorer. The returned text stays valid for the
 * next CONTENT_RING - 1 calls (Orthanc copies it at once). */
static const char *get_content(void *p)
{
    audit_job *j = p;
    cJSON *c = cJSON_CreateObject();
    pthread_mutex_lock(&j->mu);
    cJSON_AddStringToObject(c, "AuditID", j->id);
    cJSON_AddStringToObject(c, "Status", j->status);
    cJSON_AddNumberToObject(c, "Studies", j->req.n_studies);
    cJSON_AddNumberToObject(c, "ImagesAudited", (double)j->images);
    cJSON_AddStringToObject(c, "ModelSHA256", j->model->sha256);
    char *text = cJSON_PrintUnformatted(c);
    int k = j->content_next;
    free(j->content[k]);
    j->content[k] = text;
    j->content_next = (k + 1) % CONTENT_RING;
    pthread_mutex_unlock(&j->mu);
    cJSON_Delete(c);
    return text ? text : "{}";
}

/* Audits are not serialised: after a restart Orthanc forgets the job and the stored record
 * says "interrupted" (re-run it with a new POST). */
static const char *get_serialized(void *p)
{
    (void)p;
    return NULL;
}

static void finalize(void *p)
{
    audit_job *j = p;
    pthread_mutex_lock(&reg_mu);
    for (audit_job **k = &jobs; *k; k = &(*k)->next)
        if (*k == j) {
            *k = j->next;
            break;
        }
    pthread_mutex_unlock(&reg_mu);
    drop_progress(j);
    tg_audit_request_free(&j->req);
    tg_node_model_release(j->model);
    tg_node_model_release(j->source);
    cJSON_Delete(j->meta);
    for (int i = 0; i < CONTENT_RING; ++i)
        free(j->content[i]);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

/* ---- submission ---- */

static void new_id(char id[TG_AUDIT_ID_SIZE])
{
    unsigned char r[4] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, r, sizeof r) != (ssize_t)sizeof r) {
        static unsigned counter;
        unsigned v = (unsigned)getpid() * 2654435761u + ++counter;
        memcpy(r, &v, sizeof r);
    }
    if (fd >= 0)
        close(fd);
    char when[24];
    tg_audit_utc_now(when, sizeof when, "%Y%m%dT%H%M%SZ");
    snprintf(id, TG_AUDIT_ID_SIZE, "%s-%02x%02x%02x%02x", when, r[0], r[1], r[2], r[3]);
}

static cJSON *request_json(const tg_audit_request *req)
{
    const tg_audit_config *c = &req->cfg;
    cJSON *r = cJSON_CreateObject();
    cJSON *a = cJSON_AddArrayToObject(r, "Attacks");
    for (int i = 0; i < c->n_attacks; ++i)
        cJSON_AddItemToArray(a, cJSON_CreateString(c->attacks[i].label));
    cJSON *t = cJSON_AddArrayToObject(r, "Threats");
    for (int i = 0; i < c->n_threats; ++i)
        cJSON_AddItemToArray(t, cJSON_CreateString(tg_threat_name(c->threats[i])));
    cJSON *b = cJSON_AddArrayToObject(r, c->unit == TG_AUDIT_CELSIUS ? "EpsC" : "Eps");
    for (int i = 0; i < c->n_budgets; ++i)
        cJSON_AddItemToArray(b, cJSON_CreateNumber(c->budgets[i]));
    cJSON_AddNumberToObject(r, "MaxImages", (double)c->max_images);
    cJSON_AddNumberToObject(r, "MaxSeconds", c->max_seconds);
    cJSON_AddNumberToObject(r, "Seed", (double)c->seed);
    cJSON_AddBoolToObject(r, "EarlyStop", c->early_stop);
    cJSON_AddBoolToObject(r, "AuditSR", req->audit_sr);
    cJSON_AddBoolToObject(r, "IncludeImages", req->include_images);
    cJSON_AddBoolToObject(r, "IncludeIds", req->include_ids);
    if (req->source_model[0])
        cJSON_AddStringToObject(r, "SourceModel", req->source_model);
    return r;
}

/* Loads the configured model `name` for the transfer threat; NULL with why. */
static tg_node_model *load_source(const char *name, char *why, size_t n)
{
    for (int i = 0; i < tg_cfg.n_models; ++i)
        if (!strcmp(tg_cfg.models[i].name, name)) {
            const tg_node_model_cfg *mc = &tg_cfg.models[i];
            return tg_node_model_load(i, mc->name, mc->path, mc->sha256, why, n);
        }
    snprintf(why, n, "\"SourceModel\": no configured model is named \"%.60s\"", name);
    return NULL;
}

static audit_job *new_job(tg_audit_request *req, tg_node_model *model, const char *who)
{
    audit_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    pthread_mutex_init(&j->mu, NULL);
    j->req = *req;
    memset(req, 0, sizeof *req);
    j->model = model;
    snprintf(j->status, sizeof j->status, "pending");
    new_id(j->id);
    char when[32];
    tg_audit_utc_now(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ");
    cJSON *m = j->meta = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "ID", j->id);
    cJSON_AddStringToObject(m, "Status", "pending");
    cJSON_AddStringToObject(m, "Created", when);
    cJSON_AddStringToObject(m, "StartedBy", who);
    cJSON *mm = cJSON_AddObjectToObject(m, "Model");
    cJSON_AddStringToObject(mm, "Name", model->m->name);
    cJSON_AddStringToObject(mm, "Version", model->m->version);
    cJSON_AddStringToObject(mm, "SHA256", model->sha256);
    cJSON_AddBoolToObject(mm, "Synthetic", model->m->synthetic);
    cJSON *st = cJSON_AddArrayToObject(m, "Studies");
    for (int i = 0; i < j->req.n_studies; ++i)
        cJSON_AddItemToArray(st, cJSON_CreateString(j->req.studies[i]));
    cJSON_AddItemToObject(m, "Skipped", cJSON_Duplicate(j->req.skipped, 1));
    cJSON_AddItemToObject(m, "Request", request_json(&j->req));
    return j;
}

int tg_audit_submit(tg_audit_request *req, tg_node_model *model, const char *who, char id[TG_AUDIT_ID_SIZE],
                    char job_id[64], char *why, size_t why_size)
{
    audit_job *j = NULL;
    tg_node_model *source = NULL;
    tg_audit *probe = NULL;
    int rc = 500;
    if (req->source_model[0] && !(source = load_source(req->source_model, why, why_size))) {
        rc = 400;
        goto fail;
    }
    /* the core refuses what would mislead (°C budgets without a temperature scale, ...) */
    if (tg_audit_create(&probe, &req->cfg, model->m, source ? source->m : NULL) != TG_OK) {
        snprintf(why, why_size, "audit refused: %s", tg_last_error());
        rc = 400;
        goto fail;
    }
    tg_audit_destroy(probe);
    if (!(j = new_job(req, model, who))) {
        snprintf(why, why_size, "out of memory");
        goto fail;
    }
    model = NULL;
    j->source = source;
    source = NULL;
    pthread_mutex_lock(&reg_mu);
    int held = 0;
    for (audit_job *k = jobs; k; k = k->next)
        held += k->holds_slot;
    int ok = held < tg_audit_cfg.max_audits;
    if (ok) {
        j->holds_slot = 1;
        j->next = jobs;
        jobs = j;
    }
    pthread_mutex_unlock(&reg_mu);
    if (!ok) {
        snprintf(why, why_size, "%d audit(s) already running or paused: at most ConcurrentJobs - 1 = %d at once; "
                 "retry when one has finished", held, tg_audit_cfg.max_audits);
        rc = 503;
        goto fail;
    }
    OrthancPluginJob *oj = OrthancPluginCreateJob(tg_ctx, j, finalize, TG_AUDIT_JOB_TYPE, get_progress, get_content,
                                                  get_serialized, step, stop, reset);
    if (!oj) { /* Orthanc has called finalize (it unlinked and freed j) */
        snprintf(why, why_size, "Orthanc could not create the job");
        return 500;
    }
    /* priority below Orthanc's default 0: other queued jobs go first */
    char *jid = OrthancPluginSubmitJob(tg_ctx, oj, -10);
    if (!jid) { /* the registry owns the job even then; it finalizes it */
        snprintf(why, why_size, "Orthanc refused to submit the job");
        return 500;
    }
    snprintf(j->job_id, sizeof j->job_id, "%s", jid);
    snprintf(job_id, 64, "%s", jid);
    OrthancPluginFreeString(tg_ctx, jid);
    snprintf(id, TG_AUDIT_ID_SIZE, "%s", j->id);
    tg_audit_meta_set(j, "JobID", cJSON_CreateString(job_id));
    tg_audit_store_put_meta(id, j->meta);
    pthread_mutex_lock(&j->mu);
    j->submitted = 1;
    pthread_mutex_unlock(&j->mu);
    tg_log(TG_WARN, "audit %s started by %s as Orthanc job %s: %d studies (%d skipped), model %s sha256 %s", id, who,
           job_id, j->req.n_studies, cJSON_GetArraySize(j->req.skipped), j->model->m->name, j->model->sha256);
    return 0;
fail:
    if (j) {
        finalize(j);
    } else {
        tg_audit_request_free(req);
        tg_node_model_release(model);
    }
    tg_node_model_release(source);
    return rc;
}

cJSON *tg_audit_status(const char *id)
{
    if (!tg_audit_valid_id(id))
        return NULL;
    char *text = tg_audit_store_get(id, "meta.json", NULL);
    cJSON *m = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!cJSON_IsObject(m)) {
        cJSON_Delete(m);
        return NULL;
    }
    pthread_mutex_lock(&reg_mu);
    for (audit_job *j = jobs; j; j = j->next)
        if (!strcmp(j->id, id)) {
            pthread_mutex_lock(&j->mu);
            cJSON_DeleteItemFromObjectCaseSensitive(m, "Status");
            cJSON_AddStringToObject(m, "Status", j->status);
            cJSON_AddNumberToObject(m, "Progress", j->progress);
            cJSON_AddNumberToObject(m, "ImagesAudited", (double)j->images);
            pthread_mutex_unlock(&j->mu);
        }
    pthread_mutex_unlock(&reg_mu);
    return m;
}
