/* Audit outputs shared by the front ends (see thermoguard/audit_outputs.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/audit_outputs.h"
#include "thermoguard/preprocess.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tg_status tg_audit_series_image(tg_audit *a, const tg_analysis_samples *s, int i, const char *instance,
                                const char *patient, const tg_progress *progress)
{
    if (!a || !s || i < 0 || i >= s->n || !instance)
        return tg_fail(TG_ERR_ARG, "audit: sample %d of %d", i, s ? s->n : 0);
    char id[TG_AUDIT_MAX_ID];
    size_t len = strlen(instance), room = sizeof id - 3; /* "/L" + NUL */
    snprintf(id, sizeof id, "%s/%c", len > room ? instance + (len - room) : instance, s->side[i]);
    const size_t per = (size_t)s->c * (size_t)s->h * (size_t)s->w;
    return tg_audit_image(a, s->raw + (size_t)i * per, -1, id, patient, progress);
}

int tg_audit_examples_encode(const tg_audit *a, tg_audit_png png[TG_AUDIT_MAX_EXAMPLES])
{
    int n = 0;
    for (int e = 0; e < tg_audit_example_count(a) && n < TG_AUDIT_MAX_EXAMPLES; e++) {
        const tg_audit_example *ex = tg_audit_get_example(a, e);
        size_t hw = (size_t)ex->h * (size_t)ex->w;
        tg_image im = {1, ex->h, ex->w, NULL};
        float lo = ex->clean[0], hi = ex->clean[0], dmax = 0;
        for (size_t i = 0; i < hw; i++) {
            lo = fminf(lo, ex->clean[i]);
            hi = fmaxf(hi, ex->clean[i]);
            dmax = fmaxf(dmax, fabsf(ex->adv[i] - ex->clean[i]));
        }
        if (!(hi > lo) || !(dmax > 0) || !(im.data = malloc(hw * sizeof *im.data)))
            continue;
        tg_audit_png *p = &png[n];
        memset(p, 0, sizeof *p);
        p->example = e;
        p->diff_gain = (hi - lo) / (2.0 * dmax);
        int ok = 1;
        for (int k = 0; k < 3 && ok; k++) {
            for (size_t i = 0; i < hw; i++)
                im.data[i] = k == 0 ? ex->clean[i] : k == 1 ? ex->adv[i] : ex->adv[i] - ex->clean[i];
            uint8_t *d = NULL;
            ok = tg_image_encode_png(&im, 0, k < 2 ? lo : -dmax, k < 2 ? hi : dmax, &d, &p->size[k]) == TG_OK;
            p->png[k] = d;
        }
        free(im.data);
        if (ok)
            n++;
        else
            tg_audit_examples_free(p, 1);
    }
    return n;
}

void tg_audit_examples_free(tg_audit_png *png, int n)
{
    for (int e = 0; png && e < n; e++)
        for (int k = 0; k < 3; k++) {
            free((void *)png[e].png[k]);
            png[e].png[k] = NULL;
        }
}

void tg_audit_sr_model(const tg_model *m, tg_sr_model_info *info)
{
    memset(info, 0, sizeof *info);
    info->name = m->name;
    info->version = m->version;
    info->sha256 = m->sha256_hex;
    info->provenance = m->prov.notes;
    info->defense = m->prov.defense[0] ? m->prov.defense : "none";
    info->threshold = m->threshold;
    info->synthetic_demo = m->synthetic;
}

tg_status tg_audit_sr_rows(const tg_audit *a, const size_t *records, const int *source_index, int n,
                           tg_sr_audit_row **rows, int *n_rows)
{
    *rows = NULL;
    *n_rows = 0;
    const tg_audit_config *c = tg_audit_get_config(a);
    size_t cap = 0, nr = 0;
    tg_sr_audit_row *out = NULL;
    for (int j = 0; j < n; j++) {
        const tg_audit_record *r = tg_audit_get_record(a, records[j]);
        if (!r) {
            free(out);
            return tg_fail(TG_ERR_ARG, "audit SR: record %zu out of range", records[j]);
        }
        if (r->skipped)
            continue;
        for (int t = 0; t < c->n_threats; t++)
            for (int b = 0; b < c->n_budgets; b++)
                for (int k = 0; k < c->n_attacks; k++) {
                    const tg_audit_cell *cell = &r->cells[tg_audit_cell_index(c, t, b, k)];
                    if (cell->state != TG_AUDIT_RUN)
                        continue;
                    if (nr == cap) {
                        tg_sr_audit_row *g = realloc(out, (cap = cap ? 2 * cap : 64) * sizeof *g);
                        if (!g) {
                            free(out);
                            return tg_fail(TG_ERR_NOMEM, "audit SR: %zu rows", nr);
                        }
                        out = g;
                    }
                    tg_threat th = c->threats[t];
                    tg_sr_audit_row row = {source_index[j], c->attacks[k].label,
                                           th == TG_THREAT_ADAPTIVE ? "adaptive white-box" : tg_threat_name(th),
                                           tg_audit_budget_c(a, b), tg_audit_budget_norm(a, b), cell->flipped,
                                           cell->flipped ? cell->linf_c : -1.0, !isnan(cell->det_score),
                                           cell->det_flag, isnan(cell->det_score) ? 0.0 : cell->det_score};
                    out[nr++] = row;
                }
    }
    *rows = out;
    *n_rows = (int)nr;
    return TG_OK;
}

tg_status tg_audit_write_study_sr(const tg_audit *a, const tg_model *m, const char *sha256,
                                  const tg_dicom_source *sources, int n_sources, const size_t *records,
                                  const int *source_index, int n, const char *path, int *n_rows)
{
    tg_sr_audit_row *rows = NULL;
    int nr = 0;
    tg_status st = tg_audit_sr_rows(a, records, source_index, n, &rows, &nr);
    if (st == TG_OK && nr > 0) {
        tg_sr_audit_request req;
        memset(&req, 0, sizeof req);
        req.sources = sources;
        req.n_sources = n_sources;
        req.rows = rows;
        req.n_rows = nr;
        tg_audit_sr_model(m, &req.model);
        if (sha256)
            req.model.sha256 = sha256;
        st = tg_sr_write_audit(&req, path, NULL);
    }
    free(rows);
    if (n_rows)
        *n_rows = st == TG_OK ? nr : 0;
    return st;
}
