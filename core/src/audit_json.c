/* Audit serialisation as one JSON document: model identity, config, per-image records, summary.
 * Per-image cells are compact arrays [state, flipped, survives_quant, prob, linf_c, l2_c,
 * det_score, det_flag, seconds] in [threat][budget][attack] order (named in "cell_fields").
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

static void count_json(tg_sbuf *b, const tg_audit_count *c)
{
    tg_sb_printf(b, "{\"k\": %zu, \"n\": %zu, \"ci95\": [", c->k, c->n);
    tg_sb_json_num(b, c->lo);
    tg_sb_puts(b, ", ");
    tg_sb_json_num(b, c->hi);
    tg_sb_puts(b, "]}");
}

static void model_json(tg_sbuf *b, const tg_model *m)
{
    tg_sb_puts(b, "{\"name\": ");
    tg_sb_json_str(b, m->name);
    tg_sb_puts(b, ", \"version\": ");
    tg_sb_json_str(b, m->version);
    tg_sb_puts(b, ", \"sha256\": ");
    tg_sb_json_str(b, m->sha256_hex);
    tg_sb_printf(b, ", \"synthetic\": %s, \"defense\": ", m->synthetic ? "true" : "false");
    tg_sb_json_str(b, m->prov.defense);
    tg_sb_puts(b, ", \"defense_settings\": ");
    tg_sb_json_str(b, m->prov.defense_settings);
    tg_sb_printf(b, ", \"has_temperature\": %s, \"t_min\": ", m->pipeline.has_temperature ? "true" : "false");
    tg_sb_json_num(b, m->pipeline.t_min);
    tg_sb_puts(b, ", \"t_max\": ");
    tg_sb_json_num(b, m->pipeline.t_max);
    tg_sb_puts(b, ", \"threshold\": ");
    tg_sb_json_num(b, m->threshold);
    tg_sb_printf(b, ", \"detector_calibrated\": %s}", m->detector.calibrated ? "true" : "false");
}

static void config_json(tg_sbuf *b, const tg_audit *a)
{
    const tg_audit_config *c = &a->cfg;
    tg_sb_puts(b, "{\"attacks\": [");
    for (int k = 0; k < c->n_attacks; k++) {
        tg_sb_puts(b, k ? ", {\"label\": " : "{\"label\": ");
        tg_sb_json_str(b, c->attacks[k].label);
        tg_sb_puts(b, ", \"kind\": ");
        tg_sb_json_str(b, tg_attack_name(c->attacks[k].params.kind));
        tg_sb_printf(b, ", \"iterations\": %d}", c->attacks[k].params.iterations);
    }
    tg_sb_puts(b, "], \"threats\": [");
    for (int t = 0; t < c->n_threats; t++) {
        tg_sb_puts(b, t ? ", " : "");
        tg_sb_json_str(b, tg_threat_name(c->threats[t]));
    }
    tg_sb_puts(b, "], \"budget_unit\": ");
    tg_sb_json_str(b, c->unit == TG_AUDIT_CELSIUS ? "celsius" : "normalised");
    tg_sb_puts(b, ", \"budgets_celsius\": [");
    for (int i = 0; i < c->n_budgets; i++) {
        tg_sb_puts(b, i ? ", " : "");
        tg_sb_json_num(b, tg_audit_budget_c(a, i));
    }
    tg_sb_puts(b, "], \"budgets_normalised\": [");
    for (int i = 0; i < c->n_budgets; i++) {
        tg_sb_puts(b, i ? ", " : "");
        tg_sb_json_num(b, tg_audit_budget_norm(a, i));
    }
    tg_sb_puts(b, "], \"norm\": \"Linf\", \"quant_step_c\": ");
    tg_sb_json_num(b, c->quant_step_c);
    tg_sb_printf(b, ", \"max_images\": %zu, \"max_seconds\": ", c->max_images);
    tg_sb_json_num(b, c->max_seconds);
    tg_sb_printf(b, ", \"seed\": %llu, \"early_stop\": %s, \"min_images_for_percent\": %zu, ",
                 (unsigned long long)c->seed, c->early_stop ? "true" : "false", c->min_images_for_percent);
    tg_sb_puts(b, "\"attack_input\": \"preprocessed model-grid input (after preprocessing)\", "
                  "\"verdict\": \"P(positive) >= model threshold\"}");
}

static void record_json(tg_sbuf *b, const tg_audit *a, size_t i, int include_ids)
{
    const tg_audit_record *r = &a->rec[i];
    const tg_audit_config *c = &a->cfg;
    tg_sb_puts(b, "{\"id\": ");
    if (include_ids) {
        tg_sb_json_str(b, r->id);
        tg_sb_puts(b, ", \"patient\": ");
        tg_sb_json_str(b, r->patient);
    } else {
        tg_sb_printf(b, "\"image %zu\", \"patient\": null", i + 1);
    }
    tg_sb_printf(b, ", \"label\": %d, \"skipped\": %s", r->label, r->skipped ? "true" : "false");
    if (r->skipped) {
        tg_sb_puts(b, ", \"note\": ");
        tg_sb_json_str(b, r->note);
        tg_sb_puts(b, "}");
        return;
    }
    tg_sb_puts(b, ", \"clean_prob\": ");
    tg_sb_json_num(b, r->clean_prob);
    tg_sb_printf(b, ", \"clean_verdict\": %d, \"clean_det_score\": ", r->clean_verdict);
    tg_sb_json_num(b, r->clean_det_score);
    tg_sb_printf(b, ", \"clean_det_flag\": %d, \"seconds\": ", r->clean_det_flag);
    tg_sb_json_num(b, r->seconds);
    tg_sb_puts(b, ", \"min_linf_c\": [");
    for (int t = 0; t < c->n_threats; t++) {
        tg_sb_puts(b, t ? ", " : "");
        tg_sb_json_num(b, r->min_linf_c[t] < 0 ? NAN : r->min_linf_c[t]);
    }
    tg_sb_puts(b, "], \"min_l2_c\": [");
    for (int t = 0; t < c->n_threats; t++) {
        tg_sb_puts(b, t ? ", " : "");
        tg_sb_json_num(b, r->min_l2_c[t] < 0 ? NAN : r->min_l2_c[t]);
    }
    tg_sb_puts(b, "], \"cells\": [");
    for (size_t j = 0; j < a->n_cells; j++) {
        const tg_audit_cell *x = &r->cells[j];
        tg_sb_printf(b, "%s[%d, %d, %d, ", j ? ", " : "", (int)x->state, x->flipped, x->survives_quant);
        tg_sb_json_num(b, x->state == TG_AUDIT_RUN ? x->prob : NAN);
        tg_sb_puts(b, ", ");
        tg_sb_json_num(b, x->state == TG_AUDIT_RUN ? x->linf_c : NAN);
        tg_sb_puts(b, ", ");
        tg_sb_json_num(b, x->state == TG_AUDIT_RUN ? x->l2_c : NAN);
        tg_sb_puts(b, ", ");
        tg_sb_json_num(b, x->det_score);
        tg_sb_printf(b, ", %d, ", x->det_flag);
        tg_sb_json_num(b, x->seconds);
        tg_sb_puts(b, "]");
    }
    tg_sb_puts(b, "]}");
}

static void summary_json(tg_sbuf *b, const tg_audit *a, const tg_audit_summary *s)
{
    const tg_audit_config *c = &a->cfg;
    tg_sb_printf(b, "{\"images\": %zu, \"skipped\": %zu, \"labelled\": %zu, \"percentages_shown\": %s, "
                    "\"clean_correct\": ",
                 s->n_images, s->n_skipped, s->n_labelled, s->percent_ok ? "true" : "false");
    count_json(b, &s->clean_correct);
    tg_sb_puts(b, ", \"seconds\": ");
    tg_sb_json_num(b, s->seconds);
    tg_sb_puts(b, ", \"images_per_minute\": ");
    tg_sb_json_num(b, s->seconds > 0 ? 60.0 * (double)s->n_images / s->seconds : NAN);
    tg_sb_puts(b, ", \"points\": [");
    for (size_t i = 0; i < s->n_points; i++) {
        const tg_audit_point *p = &s->points[i];
        tg_sb_puts(b, i ? ", {\"threat\": " : "{\"threat\": ");
        tg_sb_json_str(b, tg_threat_name(c->threats[p->threat]));
        tg_sb_puts(b, ", \"budget_c\": ");
        tg_sb_json_num(b, tg_audit_budget_c(a, p->budget));
        tg_sb_puts(b, ", \"budget_normalised\": ");
        tg_sb_json_num(b, tg_audit_budget_norm(a, p->budget));
        tg_sb_puts(b, ", \"suite_through\": ");
        tg_sb_json_str(b, c->attacks[p->attack].label);
        tg_sb_puts(b, ", \"robust_correct\": ");
        count_json(b, &p->robust);
        tg_sb_puts(b, ", \"flipped\": ");
        count_json(b, &p->flipped);
        tg_sb_printf(b, ", \"attack_run\": %zu, \"attack_flipped\": %zu, \"flips_survive_quant\": %zu, "
                        "\"flips_detected\": %zu}",
                     p->run, p->run_flipped, p->survives_quant, p->det_flagged);
    }
    tg_sb_puts(b, "], \"threats\": [");
    for (int t = 0; t < c->n_threats; t++) {
        tg_sb_puts(b, t ? ", {\"threat\": " : "{\"threat\": ");
        tg_sb_json_str(b, tg_threat_name(c->threats[t]));
        tg_sb_puts(b, ", \"min_flip_linf_c\": [");
        for (size_t i = 0; i < s->n_min[t]; i++) {
            tg_sb_puts(b, i ? ", " : "");
            tg_sb_json_num(b, s->min_linf_c[t][i]);
        }
        tg_sb_puts(b, "], \"detector_auc\": ");
        tg_sb_json_num(b, s->auc[t]);
        tg_sb_puts(b, ", \"detector_roc\": [");
        for (size_t i = 0; i < s->n_roc[t]; i++) {
            tg_sb_puts(b, i ? ", [" : "[");
            tg_sb_json_num(b, s->roc[t][i].threshold);
            tg_sb_puts(b, ", ");
            tg_sb_json_num(b, s->roc[t][i].fpr);
            tg_sb_puts(b, ", ");
            tg_sb_json_num(b, s->roc[t][i].tpr);
            tg_sb_puts(b, "]");
        }
        tg_sb_puts(b, "]}");
    }
    tg_sb_puts(b, "]}");
}

tg_status tg_audit_to_json(const tg_audit *a, int include_ids, char **json, size_t *len)
{
    if (!a || !json)
        return tg_fail(TG_ERR_ARG, "tg_audit_to_json: NULL argument");
    *json = NULL;
    tg_audit_summary s;
    tg_status st = tg_audit_summarize(a, &s);
    if (st != TG_OK)
        return st;
    tg_sbuf b = {0};
    tg_sb_puts(&b, "{\"format\": \"thermoguard-audit\", \"version\": 1, \"model\": ");
    model_json(&b, a->target);
    tg_sb_puts(&b, ", \"source_model\": ");
    if (a->source)
        model_json(&b, a->source);
    else
        tg_sb_puts(&b, "null");
    tg_sb_puts(&b, ", \"config\": ");
    config_json(&b, a);
    tg_sb_puts(&b, ", \"cell_fields\": [\"state\", \"flipped\", \"survives_quant\", \"prob\", \"linf_c\", "
                   "\"l2_c\", \"det_score\", \"det_flag\", \"seconds\"], \"cell_states\": [\"not applicable\", "
                   "\"run\", \"skipped (early stop)\"], \"images\": [");
    for (size_t i = 0; i < a->n; i++) {
        tg_sb_puts(&b, i ? ", " : "");
        record_json(&b, a, i, include_ids);
    }
    tg_sb_puts(&b, "], \"summary\": ");
    summary_json(&b, a, &s);
    tg_sb_puts(&b, "}\n");
    tg_audit_summary_free(&s);
    return tg_sb_finish(&b, json, len);
}
