/* ThermoGuard — adversarial-input detector by feature squeezing (Xu, Evans, Qi, NDSS 2018):
 * score = max over squeezers of || softmax f(x) - softmax f(squeeze(x)) ||_1; an input is
 * flagged when its score exceeds a threshold calibrated on clean data for a chosen
 * false-positive rate.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_DETECT_H
#define THERMOGUARD_DETECT_H

#include "thermoguard/pipeline.h"
#include "thermoguard/squeeze.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_DETECTOR_MAX_SQUEEZERS 4

typedef struct tg_detector {
    int n;                                   /* squeezers in use, 1..4 */
    tg_squeezer sq[TG_DETECTOR_MAX_SQUEEZERS];
    double threshold;                        /* flag when score > threshold */
    double target_fpr;                       /* what the threshold was calibrated for */
    int calibrated;                          /* 0 until tg_detector_calibrate succeeded */
} tg_detector;

/* Two squeezers (bit depth 5, median 3x3), uncalibrated (threshold 2 = never flags). */
void tg_detector_default(tg_detector *d);

/* Checks a detector's settings: 1..4 valid squeezers, threshold in [0, 2] (the L1 distance of
 * two distributions is at most 2), calibrated 0/1, target_fpr in (0, 1) when calibrated and in
 * [0, 1) otherwise. TG_ERR_ARG / TG_ERR_RANGE naming the field. */
tg_status tg_detector_check(const tg_detector *d);

/* Scores of `batch` raw samples (any batch size; processed in the pipeline's batches).
 * TG_ERR_ARG for NULL/invalid detector, pipeline errors (e.g. non-finite input) otherwise. */
tg_status tg_detector_scores(tg_pipeline *p, const tg_detector *d, const float *raw, int batch, float *scores);

/* Sets the threshold so that at most a fraction `fpr` (0 < fpr < 1) of the n clean samples is
 * flagged; *achieved (may be NULL) receives the flagged fraction on those samples. Needs
 * n >= 20 so the quantile means something (TG_ERR_RANGE otherwise). */
tg_status tg_detector_calibrate(tg_pipeline *p, tg_detector *d, const float *clean, int n, double fpr,
                                double *achieved);

#ifdef __cplusplus
}
#endif
#endif
