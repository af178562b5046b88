/* ThermoGuard node — internal declarations shared by the plugin's files: configuration,
 * work queue, shared state. Nothing here is exported from libThermoGuard.so.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_NODE_H
#define TG_NODE_H

#include <pthread.h>
#include <stddef.h>
#include <orthanc/OrthancCPlugin.h>
#include <cjson/cJSON.h>

#define TG_NODE_NAME "thermoguard"
#define TG_NODE_ID_SIZE 64          /* Orthanc ids are 44 characters */
#define TG_NODE_MAX_MODELS 16
#define TG_NODE_MAX_FILTER 16
#define TG_NODE_MAX_FORWARD 8
#define TG_NODE_MAX_MODEL_BYTES ((size_t)1 << 30)

/* Series metadata the plugin writes (declared in UserMetadata, checked at start-up). */
#define TG_META_KEY "ThermoGuardKey"       /* idempotency key of the current result */
#define TG_META_RESULT "ThermoGuardResult" /* JSON of the last result or failure */
#define TG_META_SOURCE "ThermoGuardSource" /* on SR series we created: the analysed series id */
#define TG_META_CLAIM "ThermoGuardClaim"   /* cluster-wide claim while a node analyses the series */

/* ---- configuration (config.c) ---- */

typedef struct tg_node_model_cfg {
    char name[64];
    char version[32];
    char path[1024];
    char sha256[65];            /* pinned, lowercase hex */
} tg_node_model_cfg;

typedef struct tg_node_forward {
    int peer;                   /* 0: DicomModalities entry, 1: OrthancPeers entry */
    char name[64];
} tg_node_forward;

typedef struct tg_node_config {
    int enable;
    tg_node_model_cfg models[TG_NODE_MAX_MODELS];
    int n_models;
    int active;                 /* index into models, -1: none (placeholder results) */
    char modalities[TG_NODE_MAX_FILTER][17];
    int n_modalities;
    char aets[TG_NODE_MAX_FILTER][17];
    int n_aets;                 /* 0: any calling AET */
    char body_parts[TG_NODE_MAX_FILTER][65];
    int n_body_parts;           /* 0: any */
    char descriptions[TG_NODE_MAX_FILTER][65];
    int n_descriptions;         /* 0: any; else SeriesDescription must contain one (case-insensitive) */
    int workers, queue_size, series_timeout_s, max_instances;
    long max_pixels;
    tg_node_forward forward[TG_NODE_MAX_FORWARD];
    int n_forward;
    int forward_max_attempts;   /* sends per SR and target before it is abandoned */
    int forward_retry_s;        /* first backoff delay; doubles per failure ... */
    int forward_max_retry_s;    /* ... up to this */
    int detector_enabled;
    double detector_threshold;
} tg_node_config;

/* Parses and validates the "ThermoGuard" section of Orthanc's merged configuration `json`
 * (absent section = defaults) and checks UserMetadata and pinned model hashes.
 * Returns 0, or -1 with the first problem written to why (always NUL-terminated). */
int tg_node_config_load(const char *json, tg_node_config *cfg, char *why, size_t why_size);
/* SHA-256 of the model file at path as 64 lowercase hex digits: 0, or -1 when it cannot be read. */
typedef int (*tg_node_hash_fn)(const char *path, char hex[65]);
/* tg_node_config_load with the model files hashed by `hash` (tests/fuzz/fuzz_node_config reads
 * no files). Same results and messages. */
int tg_node_config_parse(const char *json, tg_node_hash_fn hash, tg_node_config *cfg, char *why, size_t why_size);

/* ---- work queue (queue.c): bounded FIFO, plus an unbounded deferred list for overflow ---- */

typedef enum tg_push_result { TG_PUSH_QUEUED, TG_PUSH_DUPLICATE, TG_PUSH_DEFERRED, TG_PUSH_STOPPED } tg_push_result;

typedef struct tg_work {
    char id[TG_NODE_ID_SIZE];  /* series id, or "" for a start-up scan */
    int force;                 /* re-analyse even if the current result matches */
    double enqueued;           /* CLOCK_MONOTONIC seconds when first queued (latency) */
} tg_work;

int tg_queue_init(int capacity);
void tg_queue_destroy(void);
/* Adds work unless the same series is already queued, deferred or running (then a running
 * series is marked to run again once). Never blocks, never drops. */
tg_push_result tg_queue_push(const char *id, int force);
/* Waits at most `timeout_s` for work. 1: `w` filled and marked running; 0: nothing / stopping. */
int tg_queue_pop(tg_work *w, double timeout_s);
/* Marks the running series finished (re-queues it if a rerun was requested meanwhile). */
void tg_queue_done(const char *id);
/* Queues `id` again (without Force) once delay_s seconds have passed: a series claimed by another
 * node is checked again when that claim's lease ends. Entries with the same id keep the earliest
 * time. Never blocks. Not counted in the queue depth. */
void tg_queue_push_later(const char *id, double delay_s);
/* Number of series waiting for such a re-check. */
int tg_queue_waiting(void);
void tg_queue_stop(void);
int tg_queue_stopping(void);
void tg_queue_counts(int *depth, int *capacity, int *deferred, int *running);
/* 1 when the series is queued/deferred/running, with a static state name. */
int tg_queue_state(const char *id, const char **state);

/* ---- shared state (plugin.c) ---- */

typedef struct tg_node_counters {
    long queued, deferred, duplicates, analysed, sr_created, skipped_current, ignored, failed,
        bad_instances, forward_failed, claimed_elsewhere;
    double last_latency_s, max_latency_s, sum_latency_s;
    double sum_decode_s, sum_preprocess_s, sum_model_s, sum_sr_s, sum_fetch_s, sum_store_s;
} tg_node_counters;

extern OrthancPluginContext *tg_ctx;
extern tg_node_config tg_cfg;
extern int tg_enabled;
extern char tg_disabled_reason[512];

void tg_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define TG_INFO 0
#define TG_WARN 1
#define TG_ERROR 2

/* Counters live in tg_stats under one mutex; TG_COUNT(field, delta) updates one. */
void tg_stats_lock(void);
void tg_stats_unlock(void);
extern tg_node_counters tg_stats;
#define TG_COUNT(field, delta) do { tg_stats_lock(); tg_stats.field += (delta); tg_stats_unlock(); } while (0)
/* Publishes counters, queue depth and latencies with OrthancPluginSetMetricsValue. */
void tg_publish_metrics(void);

/* ---- forwarding (forward.c): one thread, retries with exponential backoff ---- */

/* Starts the forwarding thread when targets are configured. 0, or -1 if it cannot start. */
int tg_forward_start(void);
/* Stops and joins the thread; pending sends are dropped (they live in memory only). */
void tg_forward_stop(void);
/* Queues the result SR `sr_id` of `series_id` for every target. Never blocks on the network;
 * a full backlog is logged and counted, never a crash. */
void tg_forward_submit(const char *sr_id, const char *series_id);
/* Makes every abandoned send due again (attempts reset). Returns how many. */
int tg_forward_retry_abandoned(void);
/* JSON array text of the sends that failed at least once and are not delivered yet (retrying or
 * abandoned), oldest first (caller frees; NULL when out of memory). */
char *tg_forward_failures_json(void);
/* SRs delivered (per target), of those delivered only after a failed attempt, and sends waiting. */
void tg_forward_counts(long *delivered, long *retried_delivered, int *pending);

/* ---- cluster-wide claims (claim.c) ---- */

typedef enum tg_claim_result { TG_CLAIM_OK, TG_CLAIM_BUSY, TG_CLAIM_ERROR } tg_claim_result;

typedef struct tg_claim {
    int held;
    double busy_for; /* TG_CLAIM_BUSY: seconds until the other node's claim may be taken over */
    char value[96]; /* our claim as written ("NODE-ID SECONDS claimed"), checked at release */
} tg_claim;

/* This process's random node id (32 hex digits), fixed until Orthanc restarts. */
const char *tg_claim_node_id(void);
/* Claims `series` for this node (metadata ThermoGuardClaim with revisions). TG_CLAIM_BUSY when
 * another node holds an active claim or won the race, TG_CLAIM_ERROR when Orthanc refused the
 * calls; holder then says who or why. */
tg_claim_result tg_claim_series(const char *series, tg_claim *c, char *holder, size_t holder_size);
/* Marks our claim released (compare-and-set on its revision); no-op when not held. */
void tg_claim_release(const char *series, tg_claim *c);

/* ---- worker (worker.c) ---- */

double tg_now(void); /* CLOCK_MONOTONIC seconds */

int tg_workers_start(int n);
void tg_workers_join(void);

const char *tg_node_version(void);

/* ---- REST (rest.c) ---- */

void tg_rest_register(void);
/* Answers 200 with `j` as JSON (j is deleted). */
void tg_rest_answer_json(OrthancPluginRestOutput *out, cJSON *j);
/* Answers `status` with {"Error": msg, "HttpStatus": status}. */
void tg_rest_answer_error(OrthancPluginRestOutput *out, uint16_t status, const char *msg);
/* The same, adding Error/HttpStatus to the caller's object `j` (deleted). */
void tg_rest_answer_error_json(OrthancPluginRestOutput *out, uint16_t status, const char *msg, cJSON *j);
/* 1 when Orthanc has resource `id` at `level` ("studies", "series", ...). REST threads only. */
int tg_rest_exists(const char *level, const char *id);

#endif
