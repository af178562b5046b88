/* ThermoGuard node — the analysis step behind one small C interface: instance bytes of one
 * series in, a result and the TID 1500 SR bytes out. Knows nothing about Orthanc. The analysis
 * itself (read, preprocess, pair, score, detector, verdict, SR request) is the dicom layer's
 * tg_analysis_run (thermoguard/analysis.h), shared with `thermoguard analyze`.
 * With a model (model.c: loaded once per model switch, SHA-256 verified, shared read-only by
 * the workers, one pipeline per worker thread) every image is read, preprocessed on the model's
 * grid, scored by the core pipeline and the feature-squeezing detector. Without a configured
 * model every result is a FIXED, clearly labelled placeholder (see `thermoguard analyze`).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_NODE_ANALYZE_H
#define TG_NODE_ANALYZE_H

#include <stddef.h>
#include "thermoguard/dicom.h"
#include "thermoguard/status.h"

/* Identifies the result's model in idempotency keys while no model is loaded. */
#define TG_NODE_PLACEHOLDER_MODEL "placeholder"

/* ---- models (model.c) ----
 * A loaded model is reference-counted: the registry holds one reference to the active model,
 * every analysis (and every worker thread's cached pipeline) holds its own, so a switch never
 * frees a model still in use. */
typedef struct tg_node_model tg_node_model;

/* Loads the model file at `path`: reads it once, checks its SHA-256 against `sha256` (pinned,
 * lowercase hex), parses those same bytes and checks that the node can use it (2-channel input,
 * a preprocessing grid, positive class). `index` is the configuration entry it came from.
 * NULL with the reason in why on failure. */
tg_node_model *tg_node_model_load(int index, const char *name, const char *path, const char *sha256, char *why,
                                  size_t why_size);
/* Makes `m` (owned, may be NULL = placeholder results) the active model and releases the
 * previous one. Sets OpenBLAS to one thread per worker when workers > 1 (first call). */
void tg_node_model_activate(tg_node_model *m, int workers);
/* A new reference to the active model, or NULL when none is active. */
tg_node_model *tg_node_model_acquire(void);
void tg_node_model_release(tg_node_model *m);
/* Index of the active model in the configuration, -1 when none. */
int tg_node_model_active_index(void);
/* SHA-256 of `m`, or TG_NODE_PLACEHOLDER_MODEL for NULL. */
const char *tg_node_model_sha(const tg_node_model *m);
/* Identity of the active model (its SHA-256), or TG_NODE_PLACEHOLDER_MODEL while none is
 * loaded; the first part of every idempotency key. */
const char *tg_node_model_id(void);
/* One-line JSON-safe description of `m` ("name version, synthetic, threshold ..."). */
void tg_node_model_describe(const tg_node_model *m, char *buf, size_t size);
/* Frees the calling thread's cached pipeline (call before a worker thread exits). */
void tg_node_analysis_thread_end(void);
/* Releases the active model (after the workers have stopped). */
void tg_node_model_shutdown(void);

/* One DICOM instance as received. `id` (the Orthanc id) names it in logs and messages. */
typedef struct tg_node_instance {
    const char *id;
    const void *data;
    size_t size;
} tg_node_instance;

/* Called once per instance that is not used, with its index and the reason (no patient data). */
typedef void (*tg_node_reject_fn)(void *user, int index, const char *reason);

typedef struct tg_node_analysis_config {
    size_t max_pixels;          /* per instance; 0 = dicom default */
    size_t max_file_bytes;      /* per instance; 0 = dicom default */
    double deadline;            /* CLOCK_MONOTONIC seconds after which the work is cancelled; 0 = none */
    const char *tmp_dir;        /* where the SR is staged; NULL -> $TMPDIR or /tmp */
    const tg_node_instance *predecessor; /* earlier SR this result supersedes, or NULL */
    tg_node_reject_fn on_reject;         /* may be NULL */
    void *user;
    tg_node_model *model;       /* borrowed; NULL = placeholder result */
    int detector_enabled;       /* run the feature-squeezing detector */
    double detector_threshold;  /* flag when score > threshold */
} tg_node_analysis_config;

typedef struct tg_node_result {
    int n_used, n_rejected;
    int placeholder;            /* 1: no model was run; the SR says so */
    char model[65];             /* model SHA-256, or TG_NODE_PLACEHOLDER_MODEL */
    int n_breasts;
    char laterality[2];         /* 'L' / 'R' */
    double probability[2];
    double threshold;
    double verdict;             /* maximum probability over breasts */
    char summary[256];          /* human-readable one-liner, e.g. the placeholder caveat */
    int synthetic;              /* 1: the model is a synthetic demo model */
    char model_name[128], model_version[64];
    double detector_score[2];
    int detector_flag[2];
    int detector_run;           /* 1: the detector ran (scores are meaningful) */
    int n_inputs;               /* breast inputs scored (views x breasts) */
    char defense[1024];         /* defense settings text written into the SR */
    char sr_uid[TG_DICOM_UID_SIZE];
    void *sr_data;              /* the SR file, malloc'd; release with tg_node_result_clear */
    size_t sr_size;
    /* time split of this call: DICOM decode, preprocessing (segmentation, normalisation), model +
     * detector (or placeholder scoring), SR writing */
    double seconds_decode, seconds_preprocess, seconds_model, seconds_sr;
} tg_node_result;

/* Reads every instance (bad or over-limit ones are reported via on_reject and skipped), scores
 * the breasts and writes the result SR into out->sr_data. TG_ERR_ARG for bad arguments,
 * TG_ERR_FORMAT when no instance is usable, TG_ERR_CANCELLED past the deadline, SR writer
 * errors otherwise; tg_last_error() says why and `out` then holds no SR. */
tg_status tg_node_analyze_series(const tg_node_instance *inst, int n, const tg_node_analysis_config *cfg,
                                 tg_node_result *out);

/* Frees the SR bytes and zeroes the result. Safe on a zeroed result. */
void tg_node_result_clear(tg_node_result *r);

#endif
