/* ThermoGuard node — robustness audits as Orthanc jobs (internal declarations of the audit_*.c
 * files). An audit is requested over REST (audit_rest.c, body checked by audit_request.c), runs
 * as an Orthanc job of ONE breast image per step (audit_job.c, Orthanc access in audit_fetch.c)
 * and leaves its outcome in AuditDirectory/<id>/ (audit_store.c): meta.json always, audit.json
 * and report.html only when it finished. Nothing here is exported from libThermoGuard.so.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_AUDIT_NODE_H
#define TG_AUDIT_NODE_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "analyze.h"
#include "node.h"
#include "thermoguard/audit.h"

#define TG_AUDIT_ID_SIZE 40
#define TG_AUDIT_MAX_STUDIES 1000
#define TG_AUDIT_JOB_TYPE "ThermoGuardAudit"
#define TG_AUDIT_SR_TAG "audit:" /* ThermoGuardSource metadata of audit SR series: "audit:<id>" */

/* ---- configuration (audit_store.c) ---- */

typedef struct tg_audit_settings {
    char dir[1024];             /* AuditDirectory */
    int concurrent_jobs;        /* Orthanc's ConcurrentJobs */
    int max_audits;             /* ConcurrentJobs - 1: audits running or paused at once */
    int available;              /* 0: the directory is unusable, audits refused (reason below) */
    char why[512];
} tg_audit_settings;

extern tg_audit_settings tg_audit_cfg;

/* Reads ThermoGuard.AuditDirectory (default <StorageDirectory>/ThermoGuardAudits) and Orthanc's
 * ConcurrentJobs from the merged configuration `json`. -1 with why for an invalid value (the
 * plugin then starts disabled, like any bad key); 0 otherwise. */
int tg_audit_settings_load(const char *json, char *why, size_t why_size);

/* Creates/checks the directory and marks audits that were running when Orthanc stopped as
 * "interrupted". On failure audits become unavailable (the node itself keeps working). */
void tg_audit_store_init(void);

/* Writes `len` bytes as AuditDirectory/<id>/<name> atomically (temporary file, fsync, rename).
 * 0, or -1 with the reason logged. */
int tg_audit_store_put(const char *id, const char *name, const void *data, size_t len);

/* Writes meta.json of audit `id` from `meta` (see tg_audit_store_put). */
int tg_audit_store_put_meta(const char *id, const cJSON *meta);

/* Removes audit.json and report.html of `id` (a cancelled or restarted audit keeps none). */
void tg_audit_store_drop_results(const char *id);

/* Reads AuditDirectory/<id>/<name> (at most 256 MiB) into a malloc'd NUL-terminated buffer;
 * NULL when absent. */
char *tg_audit_store_get(const char *id, const char *name, size_t *len);

/* Ids of the stored audits (directories with a meta.json), newest first; caller frees. */
char **tg_audit_store_list(int *n);

/* 1 when `id` looks like an audit id ([0-9A-Za-z-], 1..39 characters). */
int tg_audit_valid_id(const char *id);

/* ---- request (audit_request.c) ---- */

typedef struct tg_audit_request {
    char (*studies)[TG_NODE_ID_SIZE]; /* known studies to audit, in request order */
    int n_studies;
    cJSON *skipped;             /* [{"ID":..., "Reason":...}] */
    tg_audit_config cfg;
    char source_model[64];      /* configured model for the transfer threat, "" = none */
    int audit_sr, include_images, include_ids;
} tg_audit_request;

/* How a request's studies are resolved: the node asks Orthanc (tg_audit_lookup_orthanc in
 * audit_fetch.c); the fuzz target passes stubs, so the parser itself never calls Orthanc. */
typedef struct tg_audit_lookup {
    int (*study_exists)(const char *id);      /* 1 when Orthanc has this study */
    cJSON *(*find)(const char *query_json);   /* the /tools/find answer (ids), NULL when refused */
} tg_audit_lookup;
extern const tg_audit_lookup tg_audit_lookup_orthanc;

/* Parses and validates a POST /thermoguard/audits body (strict: unknown keys, wrong types,
 * unknown attacks or threats, bad budgets are errors) and resolves the studies through `lk`
 * (unknown ids listed as skipped; a "Find" query through lk->find).
 * 0, or the HTTP status (400) with why. Release with tg_audit_request_free. */
int tg_audit_request_parse(const char *body, size_t size, const tg_audit_lookup *lk, tg_audit_request *req,
                           char *why, size_t why_size);
void tg_audit_request_free(tg_audit_request *req);

/* ---- Orthanc access for audits (audit_fetch.c; job steps and REST callbacks only) ---- */

/* Series of `study` an audit takes: modality among ThermoGuard.Modalities, not SR, not created
 * by ThermoGuard. malloc'd ids in *ids (may be NULL with *n 0). -1 when the study is gone. */
int tg_audit_fetch_series(const char *study, char (**ids)[TG_NODE_ID_SIZE], int *n);

/* Instance ids and bytes of `series` (bytes NULL where unreadable; the analysis rejects them).
 * -1 when the series is gone or has more than ThermoGuard.MaxInstances instances. */
int tg_audit_fetch_instances(const char *series, char (**ids)[TG_NODE_ID_SIZE], OrthancPluginMemoryBuffer **bufs,
                             int *n);
void tg_audit_free_instances(char (*ids)[TG_NODE_ID_SIZE], OrthancPluginMemoryBuffer *bufs, int n);

/* Stores an SR (bytes) through POST /instances, tags its series as created by audit `audit_id`
 * and returns its instance id in `id`. 0 or -1. */
int tg_audit_post_sr(const void *data, size_t size, const char *audit_id, char id[TG_NODE_ID_SIZE]);

/* Deletes an instance this audit created (never a source instance). */
void tg_audit_delete_instance(const char *id);

/* 1 when clinical work is queued or running (audits then yield). */
int tg_audit_clinical_busy(void);

/* ---- jobs (audit_job.c) ---- */

/* Creates and submits the Orthanc job for `req` (taken over, freed in every case) with the
 * model `model` (a reference, taken over) and logs who started it. On success fills the audit
 * id and the job id and returns 0; otherwise the HTTP status (503 too many audits, 400 refused
 * configuration, 500) with why. */
int tg_audit_submit(tg_audit_request *req, tg_node_model *model, const char *who, char id[TG_AUDIT_ID_SIZE],
                    char job_id[64], char *why, size_t why_size);

/* Status of audit `id` as JSON (live jobs first, else its stored meta.json); NULL when unknown. */
cJSON *tg_audit_status(const char *id);

/* Ends audits whose Orthanc job failed or was cancelled without a stop callback (Orthanc
 * 1.10.1 does not call it for pending or paused jobs). REST callbacks only. */
void tg_audit_reconcile(void);

/* Number of audits holding a slot (pending, running or paused). */
int tg_audit_active(void);

/* ---- Orthanc Explorer (audit_explorer.c) ---- */

/* JavaScript for OrthancPluginExtendOrthancExplorer: the study page's audit button. */
extern const char tg_audit_explorer_js[];

/* ---- REST (audit_rest.c) ---- */

void tg_audit_rest_register(void);

/* Adds "Audits" (available or why not, directory, limit, active count) to /thermoguard/status. */
void tg_audit_add_status(cJSON *status);

#endif
