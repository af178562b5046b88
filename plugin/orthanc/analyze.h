/* ThermoGuard node — the analysis step behind one small C interface: instance bytes of one
 * series in, a result and the TID 1500 SR bytes out. Knows nothing about Orthanc.
 * The classifier is plugged in at exactly one place (score_breasts in analyze.c); until then
 * every result is a FIXED, clearly labelled placeholder (see `thermoguard analyze`).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_NODE_ANALYZE_H
#define TG_NODE_ANALYZE_H

#include <stddef.h>
#include "thermoguard/dicom.h"
#include "thermoguard/status.h"

/* Identifies the result's model in idempotency keys while no model is loaded. */
#define TG_NODE_PLACEHOLDER_MODEL "placeholder"

/* Identity of the model results are computed with (its SHA-256), or TG_NODE_PLACEHOLDER_MODEL
 * while none is loaded; the first part of every idempotency key. */
const char *tg_node_model_id(void);

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
    char summary[128];          /* human-readable one-liner, e.g. the placeholder caveat */
    char sr_uid[TG_DICOM_UID_SIZE];
    void *sr_data;              /* the SR file, malloc'd; release with tg_node_result_clear */
    size_t sr_size;
    double seconds_decode, seconds_model, seconds_sr; /* time split of this call */
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
