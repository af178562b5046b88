/* ThermoGuard — reading thermograms of any supported kind, and loading a labelled collection
 * of views into breast samples. Training, evaluation, robustness runs and audits all go
 * through here, so they see the same preprocessing as the node.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_COLLECTION_H
#define THERMOGUARD_COLLECTION_H

#include "thermoguard/dicom.h"
#include "thermoguard/preprocess.h"
#include "thermoguard/progress.h"
#include "thermoguard/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads one view: DICOM (".dcm" or the DICM magic; the first frame of a multi-frame instance),
 * a °C text matrix (".txt", either DMR-IR dialect, any size), or PNG/JPEG/TIFF (intensity).
 * out = 1 x H x W; *has_temperature = 1 for °C. *view_hint (may be NULL) receives the view the
 * file declares (DICOM ImageLaterality + ViewPosition), TG_VIEW_COUNT when it says nothing.
 * Errors of the underlying readers, naming the file. */
tg_status tg_thermogram_read(const char *path, tg_image *out, int *has_temperature, tg_view *view_hint);

/* 1 when `path` is a DICOM file by name (".dcm") or by the DICM magic at offset 128, else 0. */
int tg_file_is_dicom(const char *path);

/* The view a DICOM instance declares (L/R laterality with a LATERAL/OBLIQUE view position),
 * TG_VIEW_FRONTAL for bilateral or unspecified laterality. */
tg_view tg_dicom_view_of(const tg_dicom_meta *meta);

/* What a collection load found. */
typedef struct tg_collection_report {
    size_t views;          /* image files read */
    size_t breasts;        /* samples produced */
    size_t patients;
    size_t paired;         /* one-sided views completed with the opposite view of the patient */
    size_t unpaired;       /* one-sided views without their opposite: channel 1 copies channel 0 */
    size_t weak_labels;    /* breasts labelled with their patient's label (no breast label given) */
    int has_temperature;   /* 1 when every view is °C, 0 when every view is intensity */
} tg_collection_report;

/* Loads the collection described by DIR/views.csv — a header naming at least `file`,
 * `patient`, `view`, and `patient_label` (Healthy/Sick) unless DIR/labels.csv (ID,Diagnosis)
 * provides it; optional `right_breast`, `left_breast` (per-breast labels) and `group`
 * (breakdown key; default the view name). `thermoguard synth` writes this layout. Each frontal
 * view gives two breast samples, each lateral/oblique view one (paired with the opposite
 * view of the same patient when present). Every listed file must load: the first failure is
 * returned naming the file and line (nothing is skipped silently). Mixed °C and intensity
 * views are refused. TG_ERR_IO / TG_ERR_FORMAT / reader and preprocessing errors. */
tg_status tg_collection_load(const char *dir, const tg_preprocess_params *pp, tg_sample_set *out,
                             tg_collection_report *report, const tg_progress *progress);

#ifdef __cplusplus
}
#endif
#endif
