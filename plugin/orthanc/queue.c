/* ThermoGuard node — the work queue: a bounded FIFO (mutex + condition variable) feeding the
 * workers, an unbounded deferred list that absorbs overflow (moved into the FIFO as soon as a
 * slot frees: deferred work is retried, never dropped), and de-duplication of series that are
 * already waiting or running. Pushing never blocks, so Orthanc's callbacks return at once.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node.h"

typedef struct later_entry {
    char id[TG_NODE_ID_SIZE];
    double due; /* CLOCK_MONOTONIC seconds */
} later_entry;

typedef struct running_entry {
    char id[TG_NODE_ID_SIZE];
    int rerun, rerun_force;
} running_entry;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    tg_work *ring;
    int cap, head, count;
    tg_work *deferred;
    int n_deferred, deferred_cap;
    running_entry *running;
    int n_running, running_cap;
    later_entry *later;
    int n_later, later_cap;
    int stop;
} q = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

int tg_queue_init(int capacity)
{
    if (capacity < 1)
        return -1;
    q.ring = calloc((size_t)capacity, sizeof *q.ring);
    if (!q.ring)
        return -1;
    q.cap = capacity;
    q.head = q.count = 0;
    q.stop = 0;
    return 0;
}

void tg_queue_destroy(void)
{
    pthread_mutex_lock(&q.mu);
    free(q.ring);
    free(q.deferred);
    free(q.running);
    free(q.later);
    q.ring = q.deferred = NULL;
    q.running = NULL;
    q.later = NULL;
    q.cap = q.count = q.n_deferred = q.deferred_cap = q.n_running = q.running_cap = 0;
    q.n_later = q.later_cap = 0;
    pthread_mutex_unlock(&q.mu);
}

/* Caller holds the lock. Index of id in the FIFO / deferred list / running set, or -1. */
static int find_ring(const char *id)
{
    for (int i = 0; i < q.count; ++i)
        if (!strcmp(q.ring[(q.head + i) % q.cap].id, id))
            return (q.head + i) % q.cap;
    return -1;
}

static int find_deferred(const char *id)
{
    for (int i = 0; i < q.n_deferred; ++i)
        if (!strcmp(q.deferred[i].id, id))
            return i;
    return -1;
}

static int find_running(const char *id)
{
    for (int i = 0; i < q.n_running; ++i)
        if (!strcmp(q.running[i].id, id))
            return i;
    return -1;
}

static void ring_put(const tg_work *w)
{
    q.ring[(q.head + q.count) % q.cap] = *w;
    q.count++;
    pthread_cond_signal(&q.cv);
}

/* Caller holds the lock: moves deferred work into free FIFO slots, oldest first. */
static void refill(void)
{
    int moved = 0;
    while (moved < q.n_deferred && q.count < q.cap)
        ring_put(&q.deferred[moved++]);
    if (moved) {
        memmove(q.deferred, q.deferred + moved, (size_t)(q.n_deferred - moved) * sizeof *q.deferred);
        q.n_deferred -= moved;
    }
}

/* Caller holds the lock. */
static tg_push_result push_locked(const tg_work *w)
{
    if (q.stop || !q.ring)
        return TG_PUSH_STOPPED;
    if (w->id[0]) {
        int i = find_ring(w->id);
        if (i >= 0) {
            q.ring[i].force |= w->force;
            return TG_PUSH_DUPLICATE;
        }
        if ((i = find_deferred(w->id)) >= 0) {
            q.deferred[i].force |= w->force;
            return TG_PUSH_DUPLICATE;
        }
        if ((i = find_running(w->id)) >= 0) {
            q.running[i].rerun = 1;
            q.running[i].rerun_force |= w->force;
            return TG_PUSH_DUPLICATE;
        }
    }
    refill();
    if (q.count < q.cap && q.n_deferred == 0) {
        ring_put(w);
        return TG_PUSH_QUEUED;
    }
    if (q.n_deferred == q.deferred_cap) {
        int nc = q.deferred_cap ? 2 * q.deferred_cap : 64;
        tg_work *d = realloc(q.deferred, (size_t)nc * sizeof *d);
        if (!d)
            return TG_PUSH_STOPPED; /* out of memory: reported by the caller; a rescan finds it */
        q.deferred = d;
        q.deferred_cap = nc;
    }
    q.deferred[q.n_deferred++] = *w;
    return TG_PUSH_DEFERRED;
}

tg_push_result tg_queue_push(const char *id, int force)
{
    tg_work w;
    memset(&w, 0, sizeof w);
    if (!id || strlen(id) >= sizeof w.id)
        return TG_PUSH_STOPPED;
    strcpy(w.id, id);
    w.force = force;
    w.enqueued = tg_now();
    pthread_mutex_lock(&q.mu);
    tg_push_result r = push_locked(&w);
    pthread_mutex_unlock(&q.mu);
    return r;
}

void tg_queue_push_later(const char *id, double delay_s)
{
    if (!id || strlen(id) >= TG_NODE_ID_SIZE)
        return;
    double due = tg_now() + delay_s;
    pthread_mutex_lock(&q.mu);
    int i = 0;
    while (i < q.n_later && strcmp(q.later[i].id, id) != 0)
        ++i;
    if (i == q.n_later && q.n_later == q.later_cap) {
        int nc = q.later_cap ? 2 * q.later_cap : 16;
        later_entry *p = realloc(q.later, (size_t)nc * sizeof *p);
        if (p) {
            q.later = p;
            q.later_cap = nc;
        }
    }
    if (i < q.n_later) {
        if (due < q.later[i].due)
            q.later[i].due = due;
    } else if (q.n_later < q.later_cap) {
        strcpy(q.later[q.n_later].id, id);
        q.later[q.n_later++].due = due;
    } /* out of memory: the next event, analyze request or start-up scan finds the series */
    pthread_mutex_unlock(&q.mu);
}

/* Caller holds the lock: queues the re-checks that are due. */
static void release_due(void)
{
    double now = tg_now();
    for (int i = 0; i < q.n_later;) {
        if (q.later[i].due <= now) {
            tg_work w;
            memset(&w, 0, sizeof w);
            strcpy(w.id, q.later[i].id);
            w.enqueued = now;
            push_locked(&w);
            q.later[i] = q.later[--q.n_later];
        } else {
            ++i;
        }
    }
}

int tg_queue_waiting(void)
{
    pthread_mutex_lock(&q.mu);
    int n = q.n_later;
    pthread_mutex_unlock(&q.mu);
    return n;
}

int tg_queue_pop(tg_work *w, double timeout_s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long ns = until.tv_nsec + (long)((timeout_s - (double)(long)timeout_s) * 1e9);
    until.tv_sec += (time_t)timeout_s + ns / 1000000000L;
    until.tv_nsec = ns % 1000000000L;
    pthread_mutex_lock(&q.mu);
    release_due();
    while (!q.stop && q.count == 0 && q.n_deferred == 0)
        if (pthread_cond_timedwait(&q.cv, &q.mu, &until) == ETIMEDOUT)
            break;
    refill();
    int got = 0;
    if (!q.stop && q.count > 0) {
        *w = q.ring[q.head];
        q.head = (q.head + 1) % q.cap;
        q.count--;
        refill();
        got = 1;
        if (w->id[0]) {
            if (q.n_running == q.running_cap) {
                int nc = q.running_cap ? 2 * q.running_cap : 16;
                running_entry *r = realloc(q.running, (size_t)nc * sizeof *r);
                if (r) {
                    q.running = r;
                    q.running_cap = nc;
                }
            }
            if (q.n_running < q.running_cap) {
                running_entry *r = &q.running[q.n_running++];
                strcpy(r->id, w->id);
                r->rerun = r->rerun_force = 0;
            }
        }
    }
    pthread_mutex_unlock(&q.mu);
    return got;
}

void tg_queue_done(const char *id)
{
    pthread_mutex_lock(&q.mu);
    int i = find_running(id);
    if (i >= 0) {
        running_entry r = q.running[i];
        q.running[i] = q.running[--q.n_running];
        if (r.rerun) {
            tg_work w;
            memset(&w, 0, sizeof w);
            strcpy(w.id, r.id);
            w.force = r.rerun_force;
            w.enqueued = tg_now();
            push_locked(&w);
        }
    }
    pthread_mutex_unlock(&q.mu);
}

void tg_queue_stop(void)
{
    pthread_mutex_lock(&q.mu);
    q.stop = 1;
    pthread_cond_broadcast(&q.cv);
    pthread_mutex_unlock(&q.mu);
}

int tg_queue_stopping(void)
{
    pthread_mutex_lock(&q.mu);
    int s = q.stop;
    pthread_mutex_unlock(&q.mu);
    return s;
}

void tg_queue_counts(int *depth, int *capacity, int *deferred, int *running)
{
    pthread_mutex_lock(&q.mu);
    *depth = q.count;
    *capacity = q.cap;
    *deferred = q.n_deferred;
    *running = q.n_running;
    pthread_mutex_unlock(&q.mu);
}

int tg_queue_state(const char *id, const char **state)
{
    pthread_mutex_lock(&q.mu);
    int found = 1;
    if (find_running(id) >= 0)
        *state = "running";
    else if (find_ring(id) >= 0)
        *state = "queued";
    else if (find_deferred(id) >= 0)
        *state = "deferred";
    else
        found = 0;
    pthread_mutex_unlock(&q.mu);
    return found;
}
