/* ThermoGuard — what an audit produces besides its JSON and HTML text, shared by every front end
 * (`thermoguard audit` and the Orthanc audit job): the report's example images as PNG (through
 * ITK, tg_image_encode_png) and the rows and model identity of a per-study audit SR.
 * C API; no DCMTK/ITK types. SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_AUDIT_OUTPUTS_H
#define THERMOGUARD_AUDIT_OUTPUTS_H

#include <stddef.h>
#include "thermoguard/audit.h"
#include "thermoguard/dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Encodes the audit's kept examples into png[0..return): clean and adversarial on the clean
 * image's range, the difference amplified to fill it. An example that cannot be encoded is left
 * out (the report then shows fewer). Free with tg_audit_examples_free. */
int tg_audit_examples_encode(const tg_audit *a, tg_audit_png png[TG_AUDIT_MAX_EXAMPLES]);

/* Frees the PNG bytes of png[0..n). */
void tg_audit_examples_free(tg_audit_png *png, int n);

/* The audit SR's identity of the audited model `m` (pointers into m). */
void tg_audit_sr_model(const tg_model *m, tg_sr_model_info *info);

/* The audit SR rows (one per attack that ran) of the records records[0..n) of `a`; the rows of
 * records[j] reference SR source source_index[j]. Skipped records give no rows. *rows is
 * malloc'd (NULL when *n_rows is 0; labels point into the audit's config). TG_ERR_ARG for a
 * record index out of range, TG_ERR_NOMEM. */
tg_status tg_audit_sr_rows(const tg_audit *a, const size_t *records, const int *source_index, int n,
                           tg_sr_audit_row **rows, int *n_rows);

#ifdef __cplusplus
}
#endif
#endif
