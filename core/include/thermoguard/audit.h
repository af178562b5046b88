/* ThermoGuard — robustness audits of a deployed model on archived images, for QA staff.
 *
 * The unit of work is ONE breast sample (a preprocessed model-grid input): a front end (the CLI,
 * or an Orthanc job acting between steps) creates a tg_audit, calls tg_audit_image once per
 * sample, and may stop at any time; the audit object accumulates the per-image records, from
 * which tg_audit_summarize derives every reported number, tg_audit_to_json serialises config,
 * records and summary, and tg_audit_render_html (audit_html.c) draws the report.
 *
 * What is attacked: the model-grid input AFTER preprocessing (the attack never sees the source
 * view). For every (threat model, budget) the attacks run in the configured order — cheap to
 * expensive, default FGSM -> PGD-20 -> C&W-100 -> Square-1000 — and, with early stop, the
 * remaining attacks of that (threat, budget) are skipped once one flips the verdict. A flip is
 * a change of the model's verdict (P(positive) >= the model's threshold) from the clean one;
 * labels, when known, only serve robust accuracy. Budgets are L∞ per pixel; C&W (an L2
 * minimum-norm attack) runs once per (image, threat) unbounded and its perturbation is clipped
 * to each L∞ budget. Threat models as robustness.h: transfer (computed on the source model),
 * adaptive white-box (on the deployed pipeline), black-box (Square on the deployed pipeline's
 * scores; gradient attacks do not apply there, Square does not apply to the other two).
 * Each flip is re-checked after rounding the adversarial °C map to the stored pixel step
 * (e.g. 0.01 °C): a flip that survives could be written as a real DICOM pixel array.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_AUDIT_H
#define THERMOGUARD_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "thermoguard/attack.h"
#include "thermoguard/model.h"
#include "thermoguard/progress.h"
#include "thermoguard/robustness.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_AUDIT_MAX_ATTACKS 6
#define TG_AUDIT_MAX_BUDGETS 12
#define TG_AUDIT_MAX_THREATS 3
#define TG_AUDIT_MAX_EXAMPLES 3
#define TG_AUDIT_MAX_ID 64

/* Units the budgets were given in. */
typedef enum tg_audit_unit { TG_AUDIT_CELSIUS = 0, TG_AUDIT_NORMALISED = 1 } tg_audit_unit;

/* One attack of the suite: parameters (eps is replaced by each budget) and a display label. */
typedef struct tg_audit_attack {
    tg_attack_params params;
    char label[32];               /* e.g. "PGD-20" */
} tg_audit_attack;

typedef struct tg_audit_config {
    int n_attacks;
    tg_audit_attack attacks[TG_AUDIT_MAX_ATTACKS]; /* in the order they run (cheap first) */
    int n_threats;
    tg_threat threats[TG_AUDIT_MAX_THREATS];
    int n_budgets;
    double budgets[TG_AUDIT_MAX_BUDGETS];          /* L∞ per pixel, ascending, > 0, in `unit` */
    tg_audit_unit unit;
    double quant_step_c;          /* stored pixel step in input units (°C), 0 = no check */
    size_t max_images;            /* 0 = no cap */
    double max_seconds;           /* wall-clock cap over the audit, 0 = none */
    uint64_t seed;
    int early_stop;               /* 1: stop a (threat, budget) once an attack flips the verdict */
    size_t min_images_for_percent;/* fewer images: counts with CIs only, no percentages */
} tg_audit_config;

/* Defaults: FGSM, PGD-20 (random start; PGD/BIM/MI-FGSM step α = 2.5·eps/iterations), C&W-100
 * (fixed c = 1, κ 0, lr 0.01), Square-1000; adaptive and black-box threats; budgets 0.02, 0.05, 0.1, 0.2 °C; step 0.01 °C;
 * no caps; seed 1; early stop on; 30 images minimum for percentages. */
void tg_audit_config_default(tg_audit_config *cfg);

/* Builds the default attack `kind` ("fgsm", "pgd", "pgd-N", "cw", "cw-N", "square",
 * "square-N"; N iterations/queries) into *out. TG_ERR_NOTFOUND for other names. */
tg_status tg_audit_attack_parse(const char *name, tg_audit_attack *out);

/* Outcome of one (threat, budget, attack) cell of one image. */
typedef enum tg_audit_cell_state {
    TG_AUDIT_NOT_APPLICABLE = 0,  /* attack does not belong to the threat model */
    TG_AUDIT_RUN = 1,
    TG_AUDIT_SKIPPED = 2          /* early stop: an earlier attack flipped this (threat, budget) */
} tg_audit_cell_state;

typedef struct tg_audit_cell {
    tg_audit_cell_state state;
    int flipped;                  /* verdict differs from the clean verdict */
    int survives_quant;           /* flipped and still flipped after rounding to quant_step_c */
    float prob;                   /* P(positive) on the adversarial input */
    float linf_c, l2_c;           /* perturbation norms in input units (°C) */
    float det_score;              /* detector score of the adversarial input (NaN: no detector) */
    int det_flag;
    double seconds;
} tg_audit_cell;

/* Everything recorded for one image. cells are indexed [threat][budget][attack] in the config's
 * order (tg_audit_cell_index). min_linf_c/min_l2_c per threat: the smallest flipping
 * perturbation found (by L∞; its L2 alongside), < 0 when none flipped. */
typedef struct tg_audit_record {
    char id[TG_AUDIT_MAX_ID];
    char patient[TG_AUDIT_MAX_ID];
    int label;                    /* ground truth 0/1, -1 unknown */
    int skipped;                  /* 1: not audited (reason in `note`) */
    char note[128];
    float clean_prob;
    int clean_verdict;            /* 1 positive */
    float clean_det_score;        /* NaN without a detector */
    int clean_det_flag;
    float min_linf_c[TG_AUDIT_MAX_THREATS], min_l2_c[TG_AUDIT_MAX_THREATS];
    tg_audit_cell *cells;
    double seconds;
} tg_audit_record;

/* A clean / adversarial pair kept for the report (channel 0 of the model-grid input, °C). */
typedef struct tg_audit_example {
    size_t image;                 /* record index */
    int threat, budget, attack;   /* config indices of the flipping cell */
    int h, w;
    float *clean, *adv;           /* h*w each, owned by the audit */
} tg_audit_example;

typedef struct tg_audit tg_audit;

/* Creates an audit of `target` (the deployed model: its pipeline, threshold and calibrated
 * detector) with `source` (the undefended model for the transfer threat; may be NULL when no
 * transfer threat is asked). The models are borrowed and must outlive the audit. Refuses
 * (TG_ERR_ARG naming the reason) what would mislead: °C budgets on a model without a temperature
 * scale, a transfer threat without a source or with another input shape, an empty suite,
 * unsorted or non-positive budgets, budgets above the model's range. */
tg_status tg_audit_create(tg_audit **out, const tg_audit_config *cfg, tg_model *target, tg_model *source);

/* Frees the audit, its records and examples (NULL is fine). */
void tg_audit_destroy(tg_audit *a);

/* Audits one raw model-grid sample [in_c, in_h, in_w] (input units) with ground truth `label`
 * (0/1, -1 unknown), appending one record. `id`/`patient` label it (NULL = "image N" / "").
 * An input outside the model's range is recorded as skipped (TG_OK). Polls `progress` between
 * attacks (fraction within this image); TG_ERR_CANCELLED leaves no record. TG_ERR_RANGE when
 * the image or time cap is already reached (tg_audit_done), pipeline errors otherwise. */
tg_status tg_audit_image(tg_audit *a, const float *raw, int label, const char *id, const char *patient,
                         const tg_progress *progress);

/* 1 when the image cap or the time cap is reached (the audit takes no more images), else 0. */
int tg_audit_done(const tg_audit *a);

/* Read access: the config in use, the records, the examples. Indices out of range give NULL. */
const tg_audit_config *tg_audit_get_config(const tg_audit *a);
size_t tg_audit_images(const tg_audit *a);
const tg_audit_record *tg_audit_get_record(const tg_audit *a, size_t i);
int tg_audit_example_count(const tg_audit *a);
const tg_audit_example *tg_audit_get_example(const tg_audit *a, int i);

/* Budget b in normalised units and in °C (input units). */
double tg_audit_budget_norm(const tg_audit *a, int b);
double tg_audit_budget_c(const tg_audit *a, int b);

/* Index of cell (threat t, budget b, attack k) in a record's cells. */
size_t tg_audit_cell_index(const tg_audit_config *cfg, int t, int b, int k);

/* A count with its Wilson score 95% interval. */
typedef struct tg_audit_count {
    size_t k, n;
    double lo, hi;                /* bounds of k/n; 0, 1 for n = 0 */
} tg_audit_count;

/* Wilson score interval for k successes in n trials at normal quantile z (1.96 for 95%). */
tg_audit_count tg_audit_wilson(size_t k, size_t n, double z);

/* One curve point: threat t, budget b, suite up to and including attack k. */
typedef struct tg_audit_point {
    int threat, budget, attack;
    tg_audit_count robust;        /* clean-correct and not flipped by attacks 0..k (labelled images) */
    tg_audit_count flipped;       /* verdict flipped by one of attacks 0..k, over audited images */
    size_t run, run_flipped;      /* this attack alone: images it ran on, and flips among them */
    size_t survives_quant;        /* cumulative flips that survive re-quantisation */
    size_t det_flagged;           /* cumulative flips whose adversarial input the detector flagged */
} tg_audit_point;

/* A detector ROC point (threshold, false- and true-positive rate). */
typedef struct tg_audit_roc {
    double threshold, fpr, tpr;
} tg_audit_roc;

typedef struct tg_audit_summary {
    size_t n_images, n_skipped, n_labelled;
    tg_audit_count clean_correct; /* over labelled images */
    int percent_ok;               /* 0: fewer than min_images_for_percent images: counts + CIs only */
    int has_labels;               /* every audited image labelled */
    size_t n_points;
    tg_audit_point *points;       /* [threat][budget][attack] */
    size_t n_min[TG_AUDIT_MAX_THREATS];
    float *min_linf_c[TG_AUDIT_MAX_THREATS]; /* minimal flipping L∞ (°C) per flipped image, ascending */
    size_t n_roc[TG_AUDIT_MAX_THREATS];
    tg_audit_roc *roc[TG_AUDIT_MAX_THREATS]; /* clean images vs flipping adversarial inputs */
    double auc[TG_AUDIT_MAX_THREATS];        /* NaN without detector or without flips */
    int has_detector;
    double seconds;
} tg_audit_summary;

/* Derives the summary from the records so far. TG_ERR_NOMEM. */
tg_status tg_audit_summarize(const tg_audit *a, tg_audit_summary *s);

/* Frees the summary's arrays and zeroes it (NULL is fine). */
void tg_audit_summary_free(tg_audit_summary *s);

/* Serialises model identity, config, per-image records and summary as one JSON document into a
 * malloc'd NUL-terminated *json (free()), length in *len (may be NULL). include_ids 0 replaces
 * image and patient ids by ordinals. TG_ERR_NOMEM. */
tg_status tg_audit_to_json(const tg_audit *a, int include_ids, char **json, size_t *len);

/* An example image encoded as PNG by the caller (dicom layer): clean, adversarial, difference. */
typedef struct tg_audit_png {
    int example;                  /* index into the audit's examples */
    const uint8_t *png[3];        /* clean, adversarial, amplified difference */
    size_t size[3];
    double diff_gain;             /* amplification of the difference image */
} tg_audit_png;

typedef struct tg_audit_render_opts {
    int include_images;           /* 0: no example images */
    int include_ids;              /* 0: no image or patient identifiers */
    const char *data_label;       /* what was audited, e.g. the folder (NULL = omitted) */
    int synthetic_data;           /* 1: the images are synthetic (labels too) */
} tg_audit_render_opts;

/* Renders the self-contained HTML report (inline CSS, SVG plots, PNGs as data URIs) into a
 * malloc'd NUL-terminated *html (free()), length in *len (may be NULL). pngs may be NULL.
 * TG_ERR_ARG for NULL arguments, TG_ERR_NOMEM. */
tg_status tg_audit_render_html(const tg_audit *a, const tg_audit_render_opts *opts, const tg_audit_png *pngs,
                               int n_png, char **html, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
