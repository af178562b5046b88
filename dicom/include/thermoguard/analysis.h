/* ThermoGuard — series analysis, shared by every front end (the Orthanc node, `thermoguard analyze`):
 *   read each instance -> view from its DICOM tags -> preprocessing on the model's grid (the
 *   model file's tg_preprocess_params) -> lateral/oblique L/R views paired (first unpaired
 *   opposite view, instance order) -> model pipeline probability of the positive class per breast
 *   input -> feature-squeezing detector -> per breast the maximum over its views -> series
 *   verdict = maximum over breasts -> everything tg_sr_write_result needs.
 * A bad instance (unreadable, over a limit, wrong pixel units, no body found) is reported with
 * its reason and the rest proceed. Without a model (model NULL) every breast gets the FIXED,
 * clearly labelled placeholder (probability 0.5 at threshold 0.5, "no model loaded: placeholder
 * result"), nothing falsely reassuring.
 * Threading: the model is only read; a pipeline is not thread-safe, so concurrent callers pass
 * one pipeline per thread (or NULL: one is created for the call). C API; no DCMTK/ITK types.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_ANALYSIS_H
#define THERMOGUARD_ANALYSIS_H

#include <stddef.h>
#include "thermoguard/dicom.h"
#include "thermoguard/model.h"
#include "thermoguard/preprocess.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_ANALYSIS_MAX_INSTANCES 1024
/* Batch size of the pipeline created when the caller passes none (and the node's per-thread one). */
#define TG_ANALYSIS_PIPELINE_BATCH 8

/* One DICOM instance: a file (`path`) or an in-memory DICOM file (`data`/`size`, used when
 * `data` is not NULL). `id` names it in messages and the SR's source list (NULL -> path, else
 * "instance"). Borrowed: must stay valid until the SR is written. */
typedef struct tg_analysis_instance {
    const char *id;
    const char *path;
    const void *data;
    size_t size;
} tg_analysis_instance;

/* Called once per instance that is not used, with its index and the reason (no patient data). */
typedef void (*tg_analysis_reject_fn)(void *user, int index, const char *reason);

typedef struct tg_analysis_config {
    const tg_model *model;      /* borrowed, read-only; NULL = placeholder result */
    struct tg_pipeline *pipeline; /* borrowed pipeline over `model` (one per thread); NULL = created
                                   * for this call with batch TG_ANALYSIS_PIPELINE_BATCH */
    const char *model_sha256;   /* SR identity of the model; NULL -> tg_model_sha256_hex(model) */
    const char *provenance;     /* SR provenance text; NULL -> tg_analysis_provenance_text */
    int detector_enabled;       /* run the feature-squeezing detector */
    double detector_threshold;  /* < 0: the model's calibrated threshold (0.5 if uncalibrated);
                                 * >= 0: override (the SR then says UNCALIBRATED) */
    size_t max_pixels;          /* per instance; 0 = dicom default */
    size_t max_file_bytes;      /* per instance; 0 = dicom default */
    double deadline;            /* CLOCK_MONOTONIC seconds after which the work is cancelled; 0 = none */
    tg_analysis_reject_fn on_reject; /* may be NULL */
    void *user;
} tg_analysis_config;

/* Fills `c` with: no model, detector on at the model's threshold, default limits, no deadline. */
void tg_analysis_config_default(tg_analysis_config *c);

typedef struct tg_analysis_rejection {
    int index;                  /* into the instances */
    char reason[512];
} tg_analysis_rejection;

typedef struct tg_analysis_result {
    int n_used, n_rejected;
    tg_analysis_rejection *rejections; /* n_rejected entries, malloc'd */
    int placeholder;            /* 1: no model was run */
    int n_breasts;
    tg_sr_breast_result breast[2]; /* source_index indexes the USED instances (see used_index) */
    double threshold;           /* the model's decision threshold (0.5 placeholder) */
    double verdict;             /* maximum probability over breasts */
    int suspicious;             /* verdict >= threshold */
    int synthetic;              /* 1: the model is a synthetic demo model, not for clinical use */
    int detector_run;           /* 1: the detector ran (scores meaningful) */
    double detector_threshold;  /* flag when score > this */
    int detector_calibrated;
    int n_inputs;               /* breast inputs scored (views x breasts) */
    char model_sha256[65];
    char defense[1024];         /* defense settings text for the SR */
    char provenance[1024];
    int *used_index;            /* n_used entries: instance index of each used instance */
    tg_dicom_source *sources;   /* n_used SR sources (borrowing the instances' paths / bytes) */
    /* time split: DICOM decode, preprocessing (segmentation, normalisation), model + detector */
    double seconds_decode, seconds_preprocess, seconds_model;
} tg_analysis_result;

/* Analyses one series. TG_ERR_ARG for bad arguments, TG_ERR_FORMAT when no instance is usable,
 * TG_ERR_CANCELLED past the deadline, pipeline errors otherwise; tg_last_error() says why. On
 * failure `out` keeps only the counts and rejections. Release with tg_analysis_result_clear. */
tg_status tg_analysis_run(const tg_analysis_instance *inst, int n, const tg_analysis_config *cfg,
                          tg_analysis_result *out);

/* The breast inputs of one series exactly as tg_analysis_run scores them (same reading, view,
 * preprocessing, pairing and order: instances in order, each view's breasts in preprocessing
 * order) — what audits attack. */
typedef struct tg_analysis_samples {
    int n;                      /* breast inputs (views x breasts) */
    int c, h, w;                /* the model grid: 2 x in_h x in_w */
    float *raw;                 /* n x c x h x w raw model-grid inputs (°C or intensity), malloc'd */
    char *side;                 /* per input: 'L' / 'R' */
    int *source;                /* per input: index into the instances given */
    tg_view *view;              /* per input: the view it came from */
    int n_used, n_rejected;
    tg_analysis_rejection *rejections; /* n_rejected entries, malloc'd */
} tg_analysis_samples;

/* Builds the breast samples of one series with cfg->model (required; the pipeline, detector
 * and SR fields of cfg are not used). Bad instances are rejected as in tg_analysis_run.
 * TG_ERR_ARG without a model or for bad arguments, TG_ERR_FORMAT when no instance is usable,
 * TG_ERR_CANCELLED past the deadline; on failure `out` keeps only counts and rejections.
 * Release with tg_analysis_samples_clear. */
tg_status tg_analysis_samples_build(const tg_analysis_instance *inst, int n, const tg_analysis_config *cfg,
                                    tg_analysis_samples *out);

/* Frees what the samples hold and zeroes them. Safe on zeroed samples. */
void tg_analysis_samples_clear(tg_analysis_samples *s);

/* The SR request of a successful result (pointers into `r` and `cfg`, valid while both are);
 * `predecessor` may be NULL. `cfg` must be the one given to tg_analysis_run. */
void tg_analysis_sr_request(const tg_analysis_result *r, const tg_analysis_config *cfg,
                            const tg_dicom_source *predecessor, tg_sr_result_request *req);

/* Writes the result SR to `path` / into a malloc'd buffer (*data, *size; staged in a private
 * temporary file under tmp_dir, NULL -> $TMPDIR or /tmp). Errors as tg_sr_write_result. */
tg_status tg_analysis_write_sr(const tg_analysis_result *r, const tg_analysis_config *cfg,
                               const tg_dicom_source *predecessor, const char *path,
                               char sop_uid_out[TG_DICOM_UID_SIZE]);
tg_status tg_analysis_write_sr_buffer(const tg_analysis_result *r, const tg_analysis_config *cfg,
                                      const tg_dicom_source *predecessor, const char *tmp_dir, void **data,
                                      size_t *size, char sop_uid_out[TG_DICOM_UID_SIZE]);

/* The model's training provenance as one line for the SR. */
void tg_analysis_provenance_text(const tg_model *m, char *buf, size_t size);

/* Frees what the result holds and zeroes it. Safe on a zeroed result. */
void tg_analysis_result_clear(tg_analysis_result *r);

#ifdef __cplusplus
}
#endif
#endif
