/* ThermoGuard — DICOM layer: thermogram reading, dicomize, result and audit SR writing.
 * C API over DCMTK (C++17 inside); no DCMTK or ITK type crosses this header.
 * Every function returns tg_status (0 = ok) and on failure sets tg_last_error() to a message
 * naming the file (or buffer name) and the DICOM attribute at fault.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_DICOM_H
#define THERMOGUARD_DICOM_H

#include <stddef.h>
#include "thermoguard/image.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * UIDs
 * The project's UID root is the UUID-derived arc "2.25" (ITU-T X.667 / PS3.5 B.2): every UID the
 * project generates is "2.25.<decimal of 128 random bits>" (at most 44 characters), so no
 * organisational root needs registering. */

/* Longest UID plus terminator. */
#define TG_DICOM_UID_SIZE 65

/* Writes a fresh "2.25.<decimal>" UID into out (TG_DICOM_UID_SIZE bytes).
 * TG_ERR_ARG on NULL out; TG_ERR_IO if no random source is available. */
tg_status tg_dicom_new_uid(char out[TG_DICOM_UID_SIZE]);

/* ---------------------------------------------------------------------------------------------
 * Reading */

/* Resource limits applied before any pixel allocation. 0 in a field means "use the default". */
typedef struct tg_dicom_limits {
    size_t max_pixels;     /* rows x columns x frames; default TG_DICOM_DEFAULT_MAX_PIXELS */
    size_t max_file_bytes; /* whole file / buffer size; default TG_DICOM_DEFAULT_MAX_FILE_BYTES */
} tg_dicom_limits;

#define TG_DICOM_DEFAULT_MAX_PIXELS ((size_t)1 << 26)       /* 64 Mi pixels = 256 MiB of float32 */
#define TG_DICOM_DEFAULT_MAX_FILE_BYTES ((size_t)1 << 29)   /* 512 MiB */

/* What the reader learned about an instance. Strings are NUL-terminated, "" when absent. */
typedef struct tg_dicom_meta {
    char patient_id[65];
    char patient_name[129];
    char study_uid[TG_DICOM_UID_SIZE];
    char series_uid[TG_DICOM_UID_SIZE];
    char sop_instance_uid[TG_DICOM_UID_SIZE];
    char sop_class_uid[TG_DICOM_UID_SIZE];
    char transfer_syntax[TG_DICOM_UID_SIZE];
    char modality[17];
    char laterality[17];        /* ImageLaterality (0020,0062), else Laterality (0020,0060) */
    char view[65];              /* ViewPosition (0018,5101), else View Code Sequence meaning */
    char body_part[17];         /* BodyPartExamined (0018,0015) */
    char photometric[17];       /* PhotometricInterpretation as stored */
    char acquisition_date[9];   /* AcquisitionDate, else ContentDate, else SeriesDate (YYYYMMDD) */
    char acquisition_time[17];  /* matching time */
    int frames, rows, cols;
    int samples_per_pixel, bits_allocated, bits_stored, pixel_signed;
    int has_temperature;        /* 1: pixels are degrees Celsius; 0: normalised intensity [0,1] */
    double rescale_slope, rescale_intercept; /* as found (1, 0 when absent) */
} tg_dicom_meta;

/* Fills `lim` with the defaults. */
void tg_dicom_limits_default(tg_dicom_limits *lim);

/* Registers DCMTK's JPEG, JPEG-LS and RLE decoders once per process (thread-safe, idempotent,
 * never unregistered: Orthanc shares the process). The readers call it themselves. */
void tg_dicom_init_codecs(void);

/* Reads one image instance (single- or multi-frame) into `out` (frames x rows x cols; each frame
 * is one channel) and fills `meta` (may be NULL). Pixels are °C when the file has a temperature
 * scale (Rescale Slope/Intercept with Rescale Type CEL, or Rescale Type absent and Modality TG),
 * computed in double from the stored values; otherwise intensity normalised to [0,1] over the
 * whole instance (colour converted to luma) and meta->has_temperature = 0.
 * `lim` may be NULL (defaults). On any failure `out` is left empty and the status is TG_ERR_IO
 * (unreadable), TG_ERR_FORMAT (malformed, not an image, unsupported transfer syntax such as
 * JPEG 2000) or TG_ERR_OVERFLOW (limits). */
tg_status tg_dicom_read_file(const char *path, const tg_dicom_limits *lim, tg_image *out,
                             tg_dicom_meta *meta);

/* Same as tg_dicom_read_file on an in-memory DICOM file (with or without preamble/meta header).
 * `name` labels the buffer in error messages (may be NULL). The buffer is not retained. */
tg_status tg_dicom_read_buffer(const void *data, size_t size, const char *name,
                               const tg_dicom_limits *lim, tg_image *out, tg_dicom_meta *meta);

/* ---------------------------------------------------------------------------------------------
 * Dicomize: °C map -> Secondary Capture thermogram (Modality TG, MONOCHROME2, 16-bit unsigned,
 * Rescale Slope 0.01, intercept = floor(min °C), Rescale Type CEL, Body Part BREAST). */

typedef struct tg_dicomize_params {
    const char *patient_id;    /* required */
    const char *patient_name;  /* NULL -> "" */
    const char *study_uid;     /* NULL -> new; pass the same value for every image of a study */
    const char *series_uid;    /* NULL -> new; pass the same value for every image of a series */
    const char *study_date;    /* YYYYMMDD; NULL -> today (pass one value for a whole study) */
    const char *study_time;    /* HHMMSS; NULL -> now (pass one value for a whole study) */
    const char *study_id;      /* NULL -> "" */
    const char *accession;     /* NULL -> "" */
    const char *series_description; /* NULL -> "ThermoGuard thermogram" */
    const char *laterality;    /* ImageLaterality "L", "R", "B" or NULL (unknown) */
    const char *view;          /* ViewPosition text, e.g. "FRONTAL", "LATERAL"; NULL = unknown */
    int series_number;         /* 0 -> 1 */
    int instance_number;       /* 0 -> 1 */
} tg_dicomize_params;

/* Writes `celsius` (1 x H x W, finite °C) as a DICOM file at `out_path`; the new SOP Instance
 * UID is copied to `sop_uid_out` when not NULL. TG_ERR_ARG on bad parameters, TG_ERR_NONFINITE,
 * TG_ERR_RANGE when max - floor(min) exceeds 655.35 °C, TG_ERR_IO on write failure. */
tg_status tg_dicomize_write(const tg_image *celsius, const tg_dicomize_params *p,
                            const char *out_path, char sop_uid_out[TG_DICOM_UID_SIZE]);

/* ---------------------------------------------------------------------------------------------
 * Structured Reports (TID 1500 Imaging Measurement Report, Enhanced SR, UNVERIFIED,
 * "research use only", new series in the source study, own UID root). */

/* A source instance: a file path, or an in-memory DICOM file (data/size; `path` then only names
 * it in messages). */
typedef struct tg_dicom_source {
    const char *path;
    const void *data;
    size_t size;
} tg_dicom_source;

/* The model that produced a result, and the node that ran it. */
typedef struct tg_sr_model_info {
    const char *name;          /* Algorithm Name, required */
    const char *version;       /* Algorithm Version, required */
    const char *sha256;        /* hex SHA-256 of the model file, required (64 hex digits) */
    const char *provenance;    /* training provenance summary, NULL -> omitted */
    const char *defense;       /* defense settings text (Algorithm Parameters), required */
    double threshold;          /* decision threshold on the probability, in [0,1] */
    int synthetic_demo;        /* 1: adds "synthetic demo model - not for clinical use" */
    int placeholder;           /* 1: adds "no model loaded: placeholder result" */
    const char *device_uid;    /* observer device UID; NULL -> new */
    const char *device_name;   /* observer device name; NULL -> "ThermoGuard" */
} tg_sr_model_info;

/* Result for one breast. */
typedef struct tg_sr_breast_result {
    char laterality;           /* 'L' or 'R' */
    double probability;        /* model probability of malignancy in [0,1] */
    double detector_score;     /* adversarial-input detector score (unitless) */
    int detector_flag;         /* 1: adversarial input suspected */
    int source_index;          /* index into sources of the image this breast came from; -1 = all */
} tg_sr_breast_result;

/* Everything the result SR needs. */
typedef struct tg_sr_result_request {
    const tg_dicom_source *sources; /* >= 1 source images of one study; all are referenced */
    int n_sources;
    const tg_sr_breast_result *breasts; /* 1..2 */
    int n_breasts;
    tg_sr_model_info model;
    const tg_dicom_source *predecessor; /* earlier SR this one supersedes, or NULL */
} tg_sr_result_request;

/* Writes the result SR to `out_path`; its SOP Instance UID goes to `sop_uid_out` if not NULL.
 * A breast is "suspicious" when probability >= threshold; the study summary is the maximum.
 * TG_ERR_ARG on missing/invalid fields, TG_ERR_FORMAT/TG_ERR_IO for unreadable sources,
 * sources from different studies, or write failures. */
tg_status tg_sr_write_result(const tg_sr_result_request *req, const char *out_path,
                             char sop_uid_out[TG_DICOM_UID_SIZE]);

/* One robustness-audit outcome (one attack on one image). */
typedef struct tg_sr_audit_row {
    int source_index;           /* index into sources */
    const char *attack;         /* e.g. "PGD-Linf" */
    const char *threat_model;   /* "transfer", "adaptive white-box" or "black-box" */
    double budget_celsius;      /* epsilon in °C */
    double budget_normalised;   /* epsilon in the pipeline's normalised input units */
    int flipped;                /* 1: the verdict changed */
    double min_perturbation_celsius; /* smallest flipping perturbation found; < 0 = none found */
    int detector_ran;           /* 1: the adversarial-input detector scored the attacked input */
    int detector_flag;          /* 1: it flagged that input as adversarial (meaningful if detector_ran) */
    double detector_score;      /* its score (meaningful if detector_ran) */
} tg_sr_audit_row;

/* Everything the audit SR needs. */
typedef struct tg_sr_audit_request {
    const tg_dicom_source *sources;
    int n_sources;
    const tg_sr_audit_row *rows;
    int n_rows;
    tg_sr_model_info model;     /* the audited model (threshold/placeholder fields are reported) */
} tg_sr_audit_request;

/* Writes a per-study robustness audit SR in its own series ("QA robustness audit", not a
 * clinical result) to `out_path`. Same errors as tg_sr_write_result. */
tg_status tg_sr_write_audit(const tg_sr_audit_request *req, const char *out_path,
                            char sop_uid_out[TG_DICOM_UID_SIZE]);

#ifdef __cplusplus
}
#endif
#endif
