/* ThermoGuard — models: network + everything before it + metadata, and the .tgm file format.
 *
 * .tgm format, version 1. All integers and floats little-endian; no padding anywhere.
 *
 *   offset 0   "TGMODEL\0"            8-byte magic
 *   offset 8   u32 format version     1 (a larger value: "written by a newer ThermoGuard")
 *   offset 12  sections, each:        u32 tag (4 ASCII letters, first byte first), u64 length,
 *                                     `length` payload bytes
 *
 * A tag whose first letter is upper case is critical: a reader that does not know it must refuse
 * the file. A lower-case first letter marks an ancillary section a reader may skip (PNG's rule).
 * Every critical section below appears exactly once; the order is free except that HASH is last
 * and the file ends with it. Field types: u8/u32/u64/i32, f32/f64 (IEEE 754), str = u32 byte
 * count + UTF-8 bytes (no NUL, no terminator; each field has a length cap, see TG_MODEL_MAX_*).
 *
 *   HEAD  str name, str version, u8 synthetic (0/1)
 *   PROV  str data_sha256 (64 lowercase hex or empty), u64 seed, u32 epochs, str defense,
 *         str defense_settings, str attack_settings, str created, str notes
 *   PIPE  tg_pipeline_config field by field: i32 in_c, i32 in_h, i32 in_w, u8 has_temperature,
 *         f32 t_min, f32 t_max, u8 denoise_on, str denoise.wavelet, u32 denoise.mode,
 *         i32 denoise.levels, u32 denoise.threshold, u32 denoise.rule, f64 denoise.sigma,
 *         f64 denoise.firm_ratio, u32 denoise_grad, str feat_wavelet, u32 feat_mode,
 *         i32 feat_level, u32 feat_bands
 *   ARCH  str net spec (tg_net_create syntax), u64 parameter count, u64 statistics count
 *         (both must equal what the spec implies for the pipeline's feature shape)
 *   CLAS  u32 class count n (2..16, = the network's outputs), n x str class name,
 *         u32 positive class index, f64 decision threshold in [0, 1] on its probability
 *   PARM  parameter count x f32 (tg_net.params, layer order), all finite
 *   STAT  statistics count x f32 (BN running means/variances), finite, variances >= 0
 *   HASH  32 bytes: SHA-256 of every byte of the file before this section's tag
 *
 * Ancillary sections this version reads (each at most once; absent = the defaults noted; present
 * = validated like every other field, a bad value rejects the file):
 *
 *   prep  tg_preprocess_params field by field: i32 grid_h, i32 grid_w, i32 otsu_bins,
 *         i32 closing_radius_px, u8 keep_largest, u8 fill_holes, f64 min_body_fraction,
 *         f64 min_separation, f64 band_top, f64 band_bottom, f64 roi_center_x, f64 roi_center_y,
 *         f64 roi_size, f64 lateral_center_x, f64 oblique_center_x, f64 lateral_size,
 *         f64 roi_margin, f64 aa_sigma. The grid must equal PIPE's in_h x in_w.
 *         Absent: tg_preprocess_params_default with the grid set to PIPE's in_h x in_w.
 *   dete  the adversarial-input detector (tg_detector): u32 n (1..4), n x (u32 kind, i32 bits,
 *         i32 size, i32 quality), f64 threshold, f64 target_fpr, u8 calibrated.
 *         Absent: tg_detector_default (uncalibrated).
 *
 * The loader checks, in order: size limit, magic, version, section framing against the file
 * size, the hash, then every field. Each failure names the file, the section and the field.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_MODEL_H
#define THERMOGUARD_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "thermoguard/detect.h"
#include "thermoguard/nn.h"
#include "thermoguard/pipeline.h"
#include "thermoguard/preprocess_params.h"
#include "thermoguard/sha256.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_MODEL_FORMAT_VERSION 1
#define TG_MODEL_MIN_CLASSES 2
#define TG_MODEL_MAX_CLASSES 16
/* Buffer sizes including the NUL; a stored string may hold one byte less. */
#define TG_MODEL_MAX_NAME 128
#define TG_MODEL_MAX_VERSION 64
#define TG_MODEL_MAX_CLASS_NAME 64
#define TG_MODEL_MAX_SHORT 128   /* defense name, created date */
#define TG_MODEL_MAX_TEXT 2048   /* settings texts and notes */
#define TG_MODEL_DEFAULT_MAX_FILE ((size_t)256 << 20)

/* How the model was trained; free text is for people, not parsed. */
typedef struct tg_model_provenance {
    char data_sha256[TG_SHA256_HEX_CHARS];      /* hash of the training data list, "" if unknown */
    uint64_t seed;
    int epochs;
    char defense[TG_MODEL_MAX_SHORT];           /* e.g. "WBAD" or "none" */
    char defense_settings[TG_MODEL_MAX_TEXT];
    char attack_settings[TG_MODEL_MAX_TEXT];    /* adversarial-training attack, "" if none */
    char created[TG_MODEL_MAX_SHORT];           /* ISO 8601 date/time string */
    char notes[TG_MODEL_MAX_TEXT];              /* e.g. "synthetic — not for clinical use" */
} tg_model_provenance;

/* A deployable model. Callers may edit every field except `net` (owned; replace only via
 * tg_model_create) and `sha256_hex` (set by save/load). */
typedef struct tg_model {
    char name[TG_MODEL_MAX_NAME];
    char version[TG_MODEL_MAX_VERSION];
    int synthetic;                              /* 1: trained on synthetic data only */
    int n_classes;                              /* = net->classes */
    char class_names[TG_MODEL_MAX_CLASSES][TG_MODEL_MAX_CLASS_NAME];
    int positive_class;                         /* the class the threshold applies to */
    double threshold;                           /* positive if P(positive_class) >= threshold */
    tg_pipeline_config pipeline;
    tg_preprocess_params prep;                  /* view -> breast inputs; grid = pipeline in_h x in_w */
    tg_detector detector;                       /* adversarial-input detector settings */
    tg_net *net;                                /* spec in net->spec */
    tg_model_provenance prov;
    char sha256_hex[TG_SHA256_HEX_CHARS];       /* of the file bytes last saved/loaded; "" before */
} tg_model;

/* Bounds a loader enforces before allocating. */
typedef struct tg_model_limits {
    size_t max_file_bytes;   /* default TG_MODEL_DEFAULT_MAX_FILE */
    size_t max_params;       /* floats in PARM, and in STAT; default TG_NET_MAX_PARAMS */
    size_t max_input_pixels; /* in_h * in_w of the pipeline; default 4096 * 4096 */
} tg_model_limits;

/* Fills `l` with the defaults above. */
void tg_model_limits_default(tg_model_limits *l);

/* New model named `name` with network `spec` sized for cfg's feature shape (zero weights, see
 * tg_net_create). Defaults: version "0", classes "healthy"/"sick" for 2 outputs ("class0".. else),
 * positive class n-1, threshold 0.5, not synthetic, empty provenance, default preprocessing on
 * the pipeline's grid, default (uncalibrated) detector. TG_ERR_ARG for NULL or a
 * too-long name, config errors as tg_pipeline_config_check, spec errors as tg_net_create,
 * TG_ERR_RANGE for fewer than 2 or more than 16 outputs. *out is NULL on failure. */
tg_status tg_model_create(tg_model **out, const char *name, const char *spec, const tg_pipeline_config *cfg);

/* Frees a model and its network (NULL is fine). */
void tg_model_destroy(tg_model *m);

/* Checks every field as the loader would (strings terminated, lengths, UTF-8, classes,
 * threshold, config, preprocessing, detector, net shape, finite weights). Errors name the field. */
tg_status tg_model_validate(const tg_model *m);

/* Serialises a valid model into a malloc'd buffer *data of *size bytes (free() it) and sets
 * m->sha256_hex to the hash of those bytes. Errors as tg_model_validate, TG_ERR_NOMEM. */
tg_status tg_model_save_buffer(tg_model *m, uint8_t **data, size_t *size);

/* Writes the model to `path` (through a temporary file renamed into place) and sets
 * m->sha256_hex. TG_ERR_IO naming the path; validation errors as tg_model_validate. */
tg_status tg_model_save(tg_model *m, const char *path);

/* Parses a .tgm image of `size` bytes; `name` labels messages (NULL: "<buffer>"), limits NULL =
 * defaults. TG_ERR_FORMAT for bad magic, future versions, truncation, framing, hash mismatch,
 * unknown critical sections or bad fields; TG_ERR_OVERFLOW above a limit; TG_ERR_RANGE /
 * TG_ERR_NONFINITE for out-of-range values; config and spec errors as their checkers. Messages
 * name the file, the section and the field. *out is NULL on failure. */
tg_status tg_model_load_buffer(const void *data, size_t size, const char *name, tg_model **out,
                               const tg_model_limits *limits);

/* Reads and parses the file at `path` (size checked before reading). TG_ERR_IO naming the path
 * when it cannot be read; otherwise as tg_model_load_buffer. */
tg_status tg_model_load(const char *path, tg_model **out, const tg_model_limits *limits);

/* SHA-256 (hex) of the file bytes this model was last saved as or loaded from, the value an SR
 * and a node's pinned hash use; "" for a model never saved or loaded, or NULL. */
const char *tg_model_sha256_hex(const tg_model *m);

/* A pipeline over the model's config and network (borrowed: destroy the pipeline first) for
 * batches of up to max_batch. Errors as tg_pipeline_create. */
tg_status tg_model_pipeline(tg_model *m, int max_batch, tg_pipeline **out);

#ifdef __cplusplus
}
#endif
#endif
