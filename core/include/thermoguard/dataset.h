/* ThermoGuard — data: DMR-IR temperature matrices, label files, patient-level splits and
 * per-group breakdowns. The unit that is classified is a breast; an "item" below is whatever
 * the caller enumerates (an image, a view, a breast) and always carries its patient id.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_DATASET_H
#define THERMOGUARD_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "thermoguard/image.h"
#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- vocabulary shared by readers, the phantom and evaluation ---- */

typedef enum tg_label {
    TG_LABEL_UNKNOWN = -1,
    TG_LABEL_HEALTHY = 0,
    TG_LABEL_SICK = 1
} tg_label;

/* The patient's side. In a frontal view (patient facing the camera) the patient's right
 * breast appears on the image's left. */
typedef enum tg_side { TG_SIDE_RIGHT = 0, TG_SIDE_LEFT = 1 } tg_side;

/* Which breasts a view shows (DICOM ImageLaterality R / L / B). */
typedef enum tg_laterality {
    TG_LATERALITY_BOTH = 0,
    TG_LATERALITY_RIGHT = 1,
    TG_LATERALITY_LEFT = 2
} tg_laterality;

/* Camera views of a thermography series; lateral = 90 degrees, oblique = 45 degrees. */
typedef enum tg_view {
    TG_VIEW_FRONTAL = 0,
    TG_VIEW_LATERAL_LEFT = 1,
    TG_VIEW_LATERAL_RIGHT = 2,
    TG_VIEW_OBLIQUE_LEFT = 3,
    TG_VIEW_OBLIQUE_RIGHT = 4,
    TG_VIEW_COUNT = 5
} tg_view;

/* "Healthy" / "Sick" / "Unknown". */
const char *tg_label_name(tg_label label);

/* "frontal", "lateral-left", "lateral-right", "oblique-left", "oblique-right"; "unknown" for
 * values outside the enum. */
const char *tg_view_name(tg_view view);

/* The laterality a view counts for: frontal = both, *-left = left, *-right = right. */
tg_laterality tg_view_laterality(tg_view view);

/* ---- DMR-IR temperature matrices (text) ---- */

/* Two dialects occur: older files separate values by spaces, 2 decimals, '\n' line ends
 * (sometimes a trailing space); newer ones separate by ';', 5 decimals, "\r\r\n" line ends. */
typedef enum tg_textmatrix_dialect {
    TG_TEXTMATRIX_SPACE = 0,
    TG_TEXTMATRIX_SEMICOLON = 1
} tg_textmatrix_dialect;

typedef struct tg_textmatrix_opts {
    int rows, cols;      /* required dimensions (default 480 x 640) */
    int any_size;        /* non-zero: accept any rectangular size, rows/cols are ignored */
    double min_value;    /* plausible range of every value, inclusive (default 0..60 degC), */
                         /* checked on the decimal value; both bounds within +-FLT_MAX */
    double max_value;
    size_t max_bytes;    /* files larger than this are refused before reading (default 64 MiB) */
} tg_textmatrix_opts;

/* Fills `o` with the defaults above. */
void tg_textmatrix_opts_default(tg_textmatrix_opts *o);

/* Parses a temperature matrix of either dialect from `len` bytes (need not be NUL-terminated)
 * into a new 1 x rows x cols image. `name` labels error messages (NULL: "<buffer>"); `opts`
 * NULL means defaults; `dialect` (may be NULL) receives the detected dialect. Errors name the
 * line and column: TG_ERR_FORMAT (ragged row, non-numeric or empty cell, wrong dimensions,
 * empty input), TG_ERR_NONFINITE (NaN/Inf), TG_ERR_RANGE (value outside the range),
 * TG_ERR_OVERFLOW (above max_bytes). On failure `out` is left empty. */
tg_status tg_textmatrix_read_buffer(const char *data, size_t len, const char *name,
                                    const tg_textmatrix_opts *opts, tg_image *out,
                                    tg_textmatrix_dialect *dialect);

/* Same as tg_textmatrix_read_buffer for the file at `path` (named in every message); the size
 * is checked against max_bytes before the file is read. TG_ERR_IO if it cannot be read. */
tg_status tg_textmatrix_read_file(const char *path, const tg_textmatrix_opts *opts,
                                  tg_image *out, tg_textmatrix_dialect *dialect);

/* Formats channel 0 of `img` in `dialect` (space: 2 decimals, '\n'; semicolon: 5 decimals,
 * "\r\r\n") into a malloc'd buffer *out of *len bytes (NUL-terminated, not counted; free()).
 * TG_ERR_ARG for an empty image, TG_ERR_NONFINITE for NaN/Inf pixels. */
tg_status tg_textmatrix_write_buffer(const tg_image *img, tg_textmatrix_dialect dialect,
                                     char **out, size_t *len);

/* Writes channel 0 of `img` to `path` in `dialect`; TG_ERR_IO naming the path on failure. */
tg_status tg_textmatrix_write_file(const char *path, const tg_image *img,
                                   tg_textmatrix_dialect dialect);

/* ---- labels ---- */

#define TG_LABEL_ID_MAX 64 /* patient ids are at most 63 bytes */

typedef struct tg_label_entry {
    char id[TG_LABEL_ID_MAX];
    tg_label label;
    int line; /* 1-based line in the source file */
} tg_label_entry;

typedef struct tg_label_table {
    size_t count;
    tg_label_entry *entries; /* owned; in file order */
} tg_label_table;

/* Parses an `ID,Diagnosis` CSV (Healthy/Sick, case-insensitive; header optional and may put
 * the two columns anywhere; ',' or ';' separated; double quotes, BOM, CRLF and blank lines
 * tolerated) into a new table. TG_ERR_FORMAT naming `name` and the line for missing fields,
 * empty or over-long ids, unknown labels and duplicate ids (naming both lines). */
tg_status tg_labels_read_buffer(const char *data, size_t len, const char *name,
                                tg_label_table *out);

/* Same for the file at `path` (at most 16 MiB); TG_ERR_IO if it cannot be read. */
tg_status tg_labels_read_file(const char *path, tg_label_table *out);

/* Frees the entries and empties the table; safe on an empty or NULL table. */
void tg_labels_destroy(tg_label_table *t);

/* Looks `id` up (exact match). TG_ERR_NOTFOUND naming the id when absent. */
tg_status tg_labels_find(const tg_label_table *t, const char *id, tg_label *out);

/* Label from a folder name in `path`: the deepest directory component equal to "healthy" or
 * "sick" (case-insensitive; '/' or '\\' separated) decides. TG_ERR_NOTFOUND if none does. */
tg_status tg_label_from_path(const char *path, tg_label *out);

/* ---- patient-level splits ---- */

typedef enum tg_split_set {
    TG_SPLIT_TRAIN = 0,
    TG_SPLIT_VAL = 1,
    TG_SPLIT_TEST = 2
} tg_split_set;

typedef struct tg_split_opts {
    double val_fraction;  /* of patients, per label stratum (default 0.15) */
    double test_fraction; /* default 0.15; val + test must not exceed 1 */
    uint64_t seed;        /* default 0 */
} tg_split_opts;

/* Fills `o` with the defaults above. */
void tg_split_opts_default(tg_split_opts *o);

/* Assigns every item to a set so that all items of one patient land in the same set.
 * `patient_ids[i]` names item i's patient; `labels` (may be NULL) gives item labels, and a
 * patient counts as sick if any of its items is. Patients are stratified by that label and
 * each stratum is shuffled with `seed` after sorting by id, so the result depends only on the
 * seed and the set of (id, label) pairs, never on item order. Per stratum, round(n*test) go to
 * test and round(n*val) to validation. TG_ERR_ARG for n == 0, NULL ids or bad fractions. */
tg_status tg_split_patients(const char *const *patient_ids, const tg_label *labels, size_t n,
                            const tg_split_opts *opts, tg_split_set *out);

/* "train" / "validation" / "test". */
const char *tg_split_set_name(tg_split_set s);

/* ---- per-group breakdown (e.g. per era, per dialect, per view) ---- */

typedef struct tg_group_stats {
    char *key;                /* owned copy of the group key */
    size_t count, correct;
    size_t tp, tn, fp, fn;    /* sick = positive */
    double accuracy;          /* correct / count */
    double sensitivity;       /* tp / (tp + fn); NaN when the group has no sick items */
    double specificity;       /* tn / (tn + fp); NaN when the group has no healthy items */
} tg_group_stats;

typedef struct tg_breakdown {
    size_t n_groups;
    tg_group_stats *groups;   /* owned; sorted by key (strcmp) */
    tg_group_stats total;     /* all items; total.key is "all" */
} tg_breakdown;

/* Counts items per group: `keys[i]` is item i's group, `truth[i]`/`pred[i]` its true and
 * predicted label (healthy or sick). TG_ERR_ARG for n == 0, a NULL key or a label that is
 * neither healthy nor sick (naming the item). On failure `out` is left empty. */
tg_status tg_breakdown_compute(const char *const *keys, const tg_label *truth,
                               const tg_label *pred, size_t n, tg_breakdown *out);

/* Frees the groups and empties the breakdown; safe on an empty or NULL breakdown. */
void tg_breakdown_destroy(tg_breakdown *b);

#ifdef __cplusplus
}
#endif
#endif
