/* ThermoGuard node — one audit job's state, shared by audit_job.c (the job's life cycle and
 * steps) and audit_finish.c (its last step: report, audit SRs, record). Internal.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_AUDIT_JOB_H
#define TG_AUDIT_JOB_H

#include "audit_node.h"
#include "thermoguard/analysis.h"

#define CONTENT_RING 4

typedef enum phase { PH_STUDY, PH_SERIES, PH_SAMPLE, PH_FINISH, PH_DONE } phase;

/* Where one audit record came from: its study (index) and instance. */
typedef struct rec_src {
    int study;
    char instance[TG_NODE_ID_SIZE];
} rec_src;

typedef struct audit_job {
    struct audit_job *next;     /* registry list (under reg_mu) */
    char id[TG_AUDIT_ID_SIZE], job_id[64];
    tg_audit_request req;
    tg_node_model *model, *source;
    cJSON *meta;                /* the record written to meta.json (step thread / stop only) */
    int holds_slot;             /* under reg_mu */
    /* step state (the step thread; stop/reset when no step runs) */
    tg_audit *audit;
    phase ph;
    int study, n_series, series_i, n_inst;
    char (*series)[TG_NODE_ID_SIZE];
    char (*inst_ids)[TG_NODE_ID_SIZE];
    OrthancPluginMemoryBuffer *inst_bufs;
    tg_analysis_samples smp;
    int sample;
    rec_src *recs;
    size_t n_recs, cap_recs;
    /* snapshot for other threads (under mu) */
    pthread_mutex_t mu;
    char status[16];
    float progress;
    size_t images;
    char *content[CONTENT_RING];
    int content_next;
    int ended;                  /* stop/reconcile has recorded the outcome */
    int submitted;              /* job id known: steps may start (under mu) */
} audit_job;

/* Current UTC time formatted with strftime `fmt`. */
void tg_audit_utc_now(char *buf, size_t n, const char *fmt);

/* Sets the job's status (snapshot for other threads and meta.json's "Status"). */
void tg_audit_set_status(audit_job *j, const char *status);

/* Sets `key` of the job's record (meta.json) to `value` (taken over). */
void tg_audit_meta_set(audit_job *j, const char *key, cJSON *value);

/* The last step: audit.json and report.html, the audit SRs when asked, then meta.json "done".
 * On failure nothing of it stays (stored SRs are deleted). 0, or -1 with why. */
int tg_audit_job_finish(audit_job *j, char *why, size_t n);

#endif
