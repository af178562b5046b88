/* ThermoGuard node — forwarding of result SRs to the configured DICOM modalities / Orthanc peers.
 * Workers hand each stored SR over (tg_forward_submit) and go on with the next series; one
 * forwarding thread sends it to every target through Orthanc's own REST API (a synchronous
 * C-STORE or peer transfer). A failed send is retried with exponential backoff
 * (ForwardRetrySeconds, doubling up to ForwardMaxRetrySeconds) until ForwardMaxAttempts; the
 * failures are listed at GET /thermoguard/status until delivered. Before every send the SR is
 * checked to be the current result SR of the series it was made for, so nothing else (the
 * received images, audit SRs, a superseded SR) ever leaves through this path. The retry list
 * lives in memory: pending sends are lost when Orthanc stops (see NOTES-node.md).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "node.h"
#include "rest_body.h"

#define FORWARD_MAX_ENTRIES 4096 /* pending + abandoned; beyond, the oldest abandoned go first */

typedef struct fwd_entry {
    char sr[TG_NODE_ID_SIZE];     /* Orthanc id of the SR instance */
    char series[TG_NODE_ID_SIZE]; /* the analysed series whose result it is */
    int target;                   /* index into tg_cfg.forward */
    int attempts;                 /* sends tried so far */
    double due;                   /* CLOCK_MONOTONIC seconds of the next attempt */
    double delay;                 /* last backoff delay (s), 0 before the first failure */
    int abandoned;                /* attempts exhausted: listed, no longer retried */
    int busy;                     /* being sent right now (the thread holds a copy) */
    char error[160];
} fwd_entry;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fwd_entry *e;
    int n, cap;
    int stop, started;
    pthread_t thread;
    long delivered, retried_delivered, dropped;
} F = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* Caller holds the lock. Removes entry i (order kept: the status lists oldest first). */
static void remove_at(int i)
{
    memmove(F.e + i, F.e + i + 1, (size_t)(F.n - i - 1) * sizeof *F.e);
    F.n--;
}

/* Caller holds the lock. Makes room for one entry; 0 on success. */
static int reserve_one(void)
{
    if (F.n >= FORWARD_MAX_ENTRIES) {
        for (int i = 0; i < F.n; ++i)
            if (F.e[i].abandoned) {
                remove_at(i);
                return 0;
            }
        return -1;
    }
    if (F.n == F.cap) {
        int nc = F.cap ? 2 * F.cap : 32;
        fwd_entry *p = realloc(F.e, (size_t)nc * sizeof *p);
        if (!p)
            return -1;
        F.e = p;
        F.cap = nc;
    }
    return 0;
}

void tg_forward_submit(const char *sr_id, const char *series_id)
{
    if (tg_cfg.n_forward == 0)
        return;
    pthread_mutex_lock(&F.mu);
    for (int t = 0; t < tg_cfg.n_forward; ++t) {
        if (reserve_one() != 0) {
            F.dropped++;
            pthread_mutex_unlock(&F.mu);
            tg_log(TG_ERROR, "forwarding backlog full (%d entries): SR instance %s not forwarded to %s",
                   FORWARD_MAX_ENTRIES, sr_id, tg_cfg.forward[t].name);
            TG_COUNT(forward_failed, 1);
            pthread_mutex_lock(&F.mu);
            continue;
        }
        fwd_entry *e = &F.e[F.n++];
        memset(e, 0, sizeof *e);
        snprintf(e->sr, sizeof e->sr, "%s", sr_id);
        snprintf(e->series, sizeof e->series, "%s", series_id);
        e->target = t;
        e->due = tg_now();
    }
    pthread_cond_signal(&F.cv);
    pthread_mutex_unlock(&F.mu);
}

/* 1 when `sr` is the SR recorded as the current result of `series` (ThermoGuardResult). */
static int is_current_result(const char *series, const char *sr)
{
    char uri[160];
    snprintf(uri, sizeof uri, "/series/%s/metadata/%s", series, TG_META_RESULT);
    OrthancPluginMemoryBuffer buf;
    memset(&buf, 0, sizeof buf);
    if (OrthancPluginRestApiGet(tg_ctx, &buf, uri) != OrthancPluginErrorCode_Success)
        return 0;
    char current[TG_NODE_ID_SIZE];
    int ok = tg_result_sr(buf.data, buf.size, current, sizeof current) == 0 && !strcmp(current, sr);
    OrthancPluginFreeMemoryBuffer(tg_ctx, &buf);
    return ok;
}

/* One send through Orthanc's REST API. 0 on success, else -1 with the reason in why. */
static int send_once(const fwd_entry *e, char *why, size_t why_size)
{
    const tg_node_forward *f = &tg_cfg.forward[e->target];
    char uri[160], body[160];
    snprintf(uri, sizeof uri, "/%s/%s/store", f->peer ? "peers" : "modalities", f->name);
    snprintf(body, sizeof body, "{\"Resources\":[\"%s\"],\"Synchronous\":true}", e->sr);
    OrthancPluginMemoryBuffer buf;
    memset(&buf, 0, sizeof buf);
    OrthancPluginErrorCode rc = OrthancPluginRestApiPost(tg_ctx, &buf, uri, body, (uint32_t)strlen(body));
    if (rc == OrthancPluginErrorCode_Success) {
        OrthancPluginFreeMemoryBuffer(tg_ctx, &buf);
        return 0;
    }
    const char *desc = OrthancPluginGetErrorDescription(tg_ctx, rc);
    snprintf(why, why_size, "%s %s: %s (Orthanc error %d)", f->peer ? "peer" : "modality", f->name,
             desc ? desc : "store request failed", (int)rc);
    return -1;
}

/* Caller holds the lock. Index of the earliest due, idle, not abandoned entry, or -1; *wait_s is
 * the time until it is due (0 when due now). */
static int next_due(double now, double *wait_s)
{
    int best = -1;
    for (int i = 0; i < F.n; ++i)
        if (!F.e[i].abandoned && !F.e[i].busy && (best < 0 || F.e[i].due < F.e[best].due))
            best = i;
    *wait_s = best < 0 ? 1.0 : F.e[best].due - now;
    return best;
}

/* Caller holds the lock. Index of the busy entry for (sr, target), or -1. */
static int find_busy(const char *sr, int target)
{
    for (int i = 0; i < F.n; ++i)
        if (F.e[i].busy && F.e[i].target == target && !strcmp(F.e[i].sr, sr))
            return i;
    return -1;
}

static double backoff(int failures)
{
    double d = (double)tg_cfg.forward_retry_s;
    for (int i = 1; i < failures && d < (double)tg_cfg.forward_max_retry_s; ++i)
        d *= 2.0;
    return d < (double)tg_cfg.forward_max_retry_s ? d : (double)tg_cfg.forward_max_retry_s;
}

static void publish(void)
{
    pthread_mutex_lock(&F.mu);
    int pending = 0, abandoned = 0;
    for (int i = 0; i < F.n; ++i)
        F.e[i].abandoned ? ++abandoned : ++pending;
    long delivered = F.delivered;
    pthread_mutex_unlock(&F.mu);
    static const OrthancPluginMetricsType D = OrthancPluginMetricsType_Default;
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_forward_pending", (float)pending, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_forward_abandoned", (float)abandoned, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_forwarded_total", (float)delivered, D);
}

/* Sends one entry (a copy; the list may move meanwhile) and records the outcome. */
static void attempt(fwd_entry copy)
{
    const char *target = tg_cfg.forward[copy.target].name;
    char why[sizeof copy.error] = "";
    int ok = 0, drop = 0;
    if (!is_current_result(copy.series, copy.sr)) {
        drop = 1;
        tg_log(TG_INFO, "SR instance %s is no longer the current result of series %s: not forwarded to %s",
               copy.sr, copy.series, target);
    } else {
        ok = send_once(&copy, why, sizeof why) == 0;
    }
    pthread_mutex_lock(&F.mu);
    int i = find_busy(copy.sr, copy.target);
    int attempts = copy.attempts + 1, abandoned = 0;
    double delay = 0.0;
    if (i >= 0) {
        fwd_entry *e = &F.e[i];
        e->busy = 0;
        e->attempts = attempts;
        if (ok || drop) {
            F.delivered += ok;
            F.retried_delivered += ok && attempts > 1;
            remove_at(i);
        } else {
            snprintf(e->error, sizeof e->error, "%s", why);
            if (attempts >= tg_cfg.forward_max_attempts) {
                e->abandoned = abandoned = 1;
            } else {
                e->delay = delay = backoff(attempts);
                e->due = tg_now() + delay;
            }
        }
    }
    pthread_mutex_unlock(&F.mu);
    if (ok) {
        tg_log(TG_INFO, "SR instance %s forwarded to %s (attempt %d)", copy.sr, target, attempts);
    } else if (!drop) {
        TG_COUNT(forward_failed, 1);
        if (abandoned)
            tg_log(TG_ERROR, "forwarding SR instance %s to %s abandoned after %d attempts: %s", copy.sr, target,
                   attempts, why);
        else
            tg_log(TG_WARN, "forwarding SR instance %s to %s failed (attempt %d of %d, next in %.0f s): %s", copy.sr,
                   target, attempts, tg_cfg.forward_max_attempts, delay, why);
    }
    publish();
}

static void *forward_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&F.mu);
    while (!F.stop) {
        double wait_s;
        int i = next_due(tg_now(), &wait_s);
        if (i >= 0 && wait_s <= 0) {
            F.e[i].busy = 1;
            fwd_entry copy = F.e[i];
            pthread_mutex_unlock(&F.mu);
            if (!tg_queue_stopping())
                attempt(copy);
            pthread_mutex_lock(&F.mu);
            continue;
        }
        if (wait_s > 1.0)
            wait_s = 1.0; /* re-check stop at least once a second */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = until.tv_nsec + (long)(wait_s * 1e9);
        until.tv_sec += ns / 1000000000L;
        until.tv_nsec = ns % 1000000000L;
        pthread_cond_timedwait(&F.cv, &F.mu, &until);
        if (tg_queue_stopping())
            F.stop = 1;
    }
    pthread_mutex_unlock(&F.mu);
    return NULL;
}

int tg_forward_start(void)
{
    if (tg_cfg.n_forward == 0)
        return 0;
    F.stop = 0;
    if (pthread_create(&F.thread, NULL, forward_main, NULL) != 0)
        return -1;
    F.started = 1;
    return 0;
}

void tg_forward_stop(void)
{
    pthread_mutex_lock(&F.mu);
    F.stop = 1;
    pthread_cond_broadcast(&F.cv);
    pthread_mutex_unlock(&F.mu);
    if (F.started)
        pthread_join(F.thread, NULL);
    F.started = 0;
    pthread_mutex_lock(&F.mu);
    free(F.e);
    F.e = NULL;
    F.n = F.cap = 0;
    pthread_mutex_unlock(&F.mu);
}

int tg_forward_retry_abandoned(void)
{
    pthread_mutex_lock(&F.mu);
    int k = 0;
    for (int i = 0; i < F.n; ++i)
        if (F.e[i].abandoned) {
            F.e[i].abandoned = 0;
            F.e[i].attempts = 0;
            F.e[i].delay = 0;
            F.e[i].due = tg_now();
            ++k;
        }
    pthread_cond_signal(&F.cv);
    pthread_mutex_unlock(&F.mu);
    return k;
}

char *tg_forward_failures_json(void)
{
    cJSON *a = cJSON_CreateArray();
    double now = tg_now();
    pthread_mutex_lock(&F.mu);
    for (int i = 0; i < F.n; ++i) {
        const fwd_entry *e = &F.e[i];
        if (e->attempts == 0)
            continue; /* not tried yet: not a failure */
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "SRInstance", e->sr);
        cJSON_AddStringToObject(j, "Series", e->series);
        cJSON_AddStringToObject(j, "Target", tg_cfg.forward[e->target].name);
        cJSON_AddStringToObject(j, "TargetType", tg_cfg.forward[e->target].peer ? "Peer" : "Modality");
        cJSON_AddStringToObject(j, "State", e->abandoned ? "abandoned" : e->busy ? "sending" : "retrying");
        cJSON_AddNumberToObject(j, "Attempts", e->attempts);
        cJSON_AddNumberToObject(j, "MaxAttempts", tg_cfg.forward_max_attempts);
        cJSON_AddNumberToObject(j, "BackoffSeconds", e->delay);
        if (!e->abandoned && !e->busy)
            cJSON_AddNumberToObject(j, "NextAttemptInSeconds", e->due > now ? e->due - now : 0.0);
        cJSON_AddStringToObject(j, "Error", e->error);
        cJSON_AddItemToArray(a, j);
    }
    pthread_mutex_unlock(&F.mu);
    char *text = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return text;
}

void tg_forward_counts(long *delivered, long *retried_delivered, int *pending)
{
    pthread_mutex_lock(&F.mu);
    *delivered = F.delivered;
    *retried_delivered = F.retried_delivered;
    int p = 0;
    for (int i = 0; i < F.n; ++i)
        p += !F.e[i].abandoned;
    *pending = p;
    pthread_mutex_unlock(&F.mu);
}
