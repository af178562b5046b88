/* Private parts of the audit module: the audit object and a growable text buffer shared by the
 * JSON writer and the HTML renderer.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_AUDIT_INTERNAL_H
#define THERMOGUARD_AUDIT_INTERNAL_H

#include "thermoguard/audit.h"

struct tg_audit {
    tg_audit_config cfg;
    tg_model *target, *source;
    tg_pipeline *pt, *ps;          /* batch-1 pipelines of target and source (ps may be NULL) */
    double budget_norm[TG_AUDIT_MAX_BUDGETS];
    double c_per_unit;             /* input units per normalised unit */
    int use_detector;
    size_t n, cap;
    tg_audit_record *rec;
    int n_examples;
    tg_audit_example ex[TG_AUDIT_MAX_EXAMPLES];
    double t0, elapsed;            /* start of the first image; seconds spent in tg_audit_image */
    size_t n_cells;
};

/* Growable NUL-terminated text; `oom` sticks after the first failed allocation. */
typedef struct tg_sbuf {
    char *p;
    size_t n, cap;
    int oom;
} tg_sbuf;

void tg_sb_puts(tg_sbuf *b, const char *s);
void tg_sb_printf(tg_sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* A JSON string literal (quotes and escapes); NULL writes null. */
void tg_sb_json_str(tg_sbuf *b, const char *s);
/* A JSON number with %.6g; NaN/Inf write null. */
void tg_sb_json_num(tg_sbuf *b, double v);
/* Text with &, <, >, " escaped for HTML. */
void tg_sb_html(tg_sbuf *b, const char *s);
/* Base64 (RFC 4648, padded) of n bytes. */
void tg_sb_base64(tg_sbuf *b, const uint8_t *d, size_t n);
/* Hands the text to the caller (*out, *len) or fails with TG_ERR_NOMEM; empties b. */
tg_status tg_sb_finish(tg_sbuf *b, char **out, size_t *len);

/* Seconds on the wall clock. */
double tg_audit_now(void);

#endif
