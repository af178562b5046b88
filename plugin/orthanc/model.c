/* ThermoGuard node — the model registry: loading with a pinned SHA-256, the active model
 * (switchable at run time), reference counting so a switch never frees a model in use.
 *
 * Threading: the loaded tg_model (network weights) is shared read-only by every worker; each
 * worker thread builds its own tg_pipeline over it (pipelines are not thread-safe) and keeps it
 * until the active model changes (analyze.c). OpenBLAS: with more than one worker, OpenBLAS is
 * set to ONE thread (openblas_set_num_threads(1), looked up at run time so another CBLAS works
 * too): the workers are the parallelism, and OpenBLAS's own pool would oversubscribe the cores
 * (and its pthreads build is not meant to be driven from several threads at once).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "node_model.h"
#include "thermoguard/analysis.h"
#include "thermoguard/preprocess.h"

#define MAX_MODEL_BYTES ((size_t)1 << 30)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static tg_node_model *active;
static unsigned long next_generation = 1;
static char active_sha[65] = TG_NODE_PLACEHOLDER_MODEL;

static int fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reads the whole file (at most MAX_MODEL_BYTES). */
static int read_all(const char *path, void **data, size_t *size, char *why, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(why, n, "cannot open %s: %s", path, strerror(errno));
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        len = ftell(f);
    if (len <= 0 || (size_t)len > MAX_MODEL_BYTES || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return fail(why, n, "%s: empty, unreadable or larger than 1 GiB", path);
    }
    void *buf = malloc((size_t)len);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        fclose(f);
        return fail(why, n, "%s: read failed", path);
    }
    fclose(f);
    *data = buf;
    *size = (size_t)len;
    return 0;
}

void tg_node_preprocess_params(const tg_model *m, tg_preprocess_params *pp)
{
    /* the preprocessing the model was trained with, from its file */
    *pp = m->prep;
}

/* One prediction on a uniform input at the bottom of the model's range: the model must run
 * before it is activated. Clears why on success. */
static void test_run(tg_model *m, const char *name, char *why, size_t n)
{
    tg_pipeline *p = NULL;
    size_t count = (size_t)2 * (size_t)m->pipeline.in_h * (size_t)m->pipeline.in_w;
    float *raw = malloc(count * sizeof *raw), probs[TG_MODEL_MAX_CLASSES];
    tg_status st = raw ? tg_model_pipeline(m, 1, &p) : TG_ERR_NOMEM;
    if (st == TG_OK) {
        for (size_t i = 0; i < count; ++i)
            raw[i] = m->pipeline.t_min;
        st = tg_pipeline_predict(p, raw, 1, probs);
    }
    if (st != TG_OK)
        fail(why, n, "model \"%s\": test prediction failed: %s", name, raw ? tg_last_error() : "out of memory");
    else
        why[0] = '\0';
    tg_pipeline_destroy(p);
    free(raw);
}

tg_node_model *tg_node_model_load(int index, const char *name, const char *path, const char *sha256, char *why,
                                  size_t why_size)
{
    void *data = NULL;
    size_t size = 0;
    if (read_all(path, &data, &size, why, why_size) != 0)
        return NULL;
    char actual[TG_SHA256_HEX_CHARS];
    uint8_t digest[TG_SHA256_BYTES];
    tg_sha256(data, size, digest);
    tg_sha256_hex(digest, actual);
    if (strcmp(actual, sha256) != 0) {
        free(data);
        fail(why, why_size, "model \"%s\": SHA-256 of %s is %s, pinned %s", name, path, actual, sha256);
        return NULL;
    }
    tg_model *m = NULL;
    tg_status st = tg_model_load_buffer(data, size, path, &m, NULL);
    free(data);
    if (st != TG_OK) {
        fail(why, why_size, "model \"%s\": %s", name, tg_last_error());
        return NULL;
    }
    tg_preprocess_params pp;
    const tg_pipeline_config *pc = &m->pipeline;
    if (pc->in_c != 2) {
        fail(why, why_size, "model \"%s\": input has %d channels; the node feeds 2 (breast, contralateral)", name,
             pc->in_c);
    } else if (m->positive_class < 0 || m->positive_class >= m->n_classes) {
        fail(why, why_size, "model \"%s\": positive class %d out of range", name, m->positive_class);
    } else if (strcmp(tg_model_sha256_hex(m), actual) != 0) {
        fail(why, why_size, "model \"%s\": loaded hash %s differs from the file's %s", name, tg_model_sha256_hex(m),
             actual);
    } else {
        tg_node_preprocess_params(m, &pp);
        if (tg_preprocess_params_check(&pp) != TG_OK)
            fail(why, why_size, "model \"%s\": grid %dx%d unusable for preprocessing: %s", name, pc->in_h, pc->in_w,
                 tg_last_error());
        else
            test_run(m, name, why, why_size);
    }
    if (why[0]) {
        tg_model_destroy(m);
        return NULL;
    }
    tg_node_model *nm = calloc(1, sizeof *nm);
    if (!nm) {
        tg_model_destroy(m);
        fail(why, why_size, "out of memory");
        return NULL;
    }
    nm->refs = 1;
    nm->index = index;
    nm->m = m;
    snprintf(nm->config_name, sizeof nm->config_name, "%s", name);
    snprintf(nm->sha256, sizeof nm->sha256, "%s", actual);
    tg_analysis_provenance_text(m, nm->provenance, sizeof nm->provenance);
    pthread_mutex_lock(&mu);
    nm->generation = next_generation++;
    pthread_mutex_unlock(&mu);
    return nm;
}

static void set_blas_threads(int workers)
{
    static int done;
    if (done || workers <= 1)
        return;
    done = 1;
    void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    if (set)
        set(1);
}

void tg_node_model_activate(tg_node_model *m, int workers)
{
    set_blas_threads(workers);
    pthread_mutex_lock(&mu);
    tg_node_model *old = active;
    active = m;
    snprintf(active_sha, sizeof active_sha, "%s", m ? m->sha256 : TG_NODE_PLACEHOLDER_MODEL);
    pthread_mutex_unlock(&mu);
    tg_node_model_release(old);
}

tg_node_model *tg_node_model_acquire(void)
{
    pthread_mutex_lock(&mu);
    tg_node_model *m = active;
    if (m)
        m->refs++;
    pthread_mutex_unlock(&mu);
    return m;
}

tg_node_model *tg_node_model_ref(tg_node_model *m)
{
    pthread_mutex_lock(&mu);
    m->refs++;
    pthread_mutex_unlock(&mu);
    return m;
}

void tg_node_model_release(tg_node_model *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&mu);
    int last = --m->refs == 0;
    pthread_mutex_unlock(&mu);
    if (last) {
        tg_model_destroy(m->m);
        free(m);
    }
}

int tg_node_model_active_index(void)
{
    pthread_mutex_lock(&mu);
    int i = active ? active->index : -1;
    pthread_mutex_unlock(&mu);
    return i;
}

const char *tg_node_model_sha(const tg_node_model *m)
{
    return m ? m->sha256 : TG_NODE_PLACEHOLDER_MODEL;
}

const char *tg_node_model_id(void)
{
    /* active_sha is a fixed buffer rewritten only under the lock on a switch; copy per thread. */
    static __thread char copy[65];
    pthread_mutex_lock(&mu);
    memcpy(copy, active_sha, sizeof copy);
    pthread_mutex_unlock(&mu);
    return copy;
}

void tg_node_model_describe(const tg_node_model *m, char *buf, size_t size)
{
    if (!m) {
        snprintf(buf, size, "no model loaded: placeholder result");
        return;
    }
    snprintf(buf, size, "%s %s%s, threshold %g on P(%s)", m->m->name, m->m->version,
             m->m->synthetic ? " (synthetic demo model - not for clinical use)" : "", m->m->threshold,
             m->m->class_names[m->m->positive_class]);
}

void tg_node_model_shutdown(void)
{
    tg_node_model_activate(NULL, 0);
}
