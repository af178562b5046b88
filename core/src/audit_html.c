/* The audit report: one self-contained HTML page (inline CSS, plots drawn here as SVG, example
 * images as PNG data URIs supplied by the caller). Text only: no I/O.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

static const char *const colours[] = {"#1b6ca8", "#d1495b", "#edae49", "#00798c", "#6a4c93", "#30638e"};
/* Whether attack k belongs to threat t (black-box: Square only; Square only there). */
static int applies(const tg_audit_config *c, int t, int k)
{
    return (c->threats[t] == TG_THREAT_BLACKBOX) == (c->attacks[k].params.kind == TG_ATTACK_SQUARE);
}

enum { PW = 520, PH = 300, ML = 56, MR = 16, MT = 28, MB = 44 };

static const char *css =
    "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}"
    "h1{font-size:24px;margin-bottom:4px}h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:28px}"
    ".banner{background:#fff4d6;border:1px solid #e0b84c;padding:8px 12px;border-radius:4px}"
    "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    "th{background:#f2f2f2}td.l,th.l{text-align:left}.plots{display:flex;flex-wrap:wrap;gap:16px}"
    "figure{margin:0}figcaption{font-size:12px;color:#555;max-width:520px}"
    "svg text{font:11px sans-serif;fill:#333}.ex img{width:192px;height:192px;image-rendering:pixelated;"
    "border:1px solid #999;margin-right:6px}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}"
    "dt{font-weight:600}dd{margin:0}";

static double sx(double x, double x0, double x1)
{
    return ML + (x - x0) / (x1 - x0) * (PW - ML - MR);
}

static double sy(double y, double y0, double y1)
{
    return PH - MB - (y - y0) / (y1 - y0) * (PH - MT - MB);
}

/* Frame, title, axis labels and ticks of a plot over [x0, x1] x [y0, y1]. */
static void svg_axes(tg_sbuf *b, const char *cls, const char *title, const char *xl, const char *yl, double x0,
                     double x1, double y0, double y1)
{
    tg_sb_printf(b, "<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    "viewBox=\"0 0 %d %d\" role=\"img\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>",
                 cls, PW, PH, PW, PH, PW, PH);
    tg_sb_printf(b, "<text x=\"%d\" y=\"16\" style=\"font-weight:600;font-size:13px\">", ML);
    tg_sb_html(b, title);
    tg_sb_puts(b, "</text>");
    tg_sb_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>", ML, MT,
                 PW - ML - MR, PH - MT - MB);
    for (int i = 0; i <= 4; i++) {
        double xv = x0 + (x1 - x0) * i / 4, yv = y0 + (y1 - y0) * i / 4;
        tg_sb_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>", sx(xv, x0, x1), MT,
                     sx(xv, x0, x1), PH - MB);
        tg_sb_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>", ML, sy(yv, y0, y1),
                     PW - MR, sy(yv, y0, y1));
        tg_sb_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.3g</text>", sx(xv, x0, x1), PH - MB + 14,
                     xv);
        tg_sb_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>", ML - 4, sy(yv, y0, y1) + 4, yv);
    }
    tg_sb_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (ML + PW - MR) / 2, PH - 8);
    tg_sb_html(b, xl);
    tg_sb_printf(b, "</text><text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">", (MT + PH - MB) / 2);
    tg_sb_html(b, yl);
    tg_sb_puts(b, "</text>");
}

static void svg_legend(tg_sbuf *b, int i, const char *label)
{
    int y = MT + 10 + 14 * i;
    tg_sb_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">",
                 PW - MR - 150, y - 8, colours[i % 6], PW - MR - 136, y + 1);
    tg_sb_html(b, label);
    tg_sb_puts(b, "</text>");
}

/* Robust accuracy (or, without labels, the share of unflipped verdicts) vs budget for threat t:
 * one line per suite prefix, Wilson 95% bars. */
static void plot_accuracy(tg_sbuf *b, const tg_audit *a, const tg_audit_summary *s, int t)
{
    const tg_audit_config *c = &a->cfg;
    double x1 = tg_audit_budget_c(a, c->n_budgets - 1) * 1.05;
    char title[96];
    snprintf(title, sizeof title, "%s: %s vs budget", tg_threat_name(c->threats[t]),
             s->has_labels ? "robust accuracy" : "unflipped verdicts");
    svg_axes(b, "plot-accuracy", title, "L\xe2\x88\x9e budget per pixel (\xc2\xb0""C)",
             s->has_labels ? "robust accuracy" : "share not flipped", 0, x1, 0, 1);
    int line = 0;
    for (int k = 0; k < c->n_attacks; k++) {
        if (!applies(c, t, k))
            continue;
        const char *col = colours[line % 6];
        tg_sb_printf(b, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
        double y0 = s->has_labels ? (s->clean_correct.n ? (double)s->clean_correct.k / (double)s->clean_correct.n : 0) : 1;
        tg_sb_printf(b, "%.1f,%.1f", sx(0, 0, x1), sy(y0, 0, 1));
        for (int bi = 0; bi < c->n_budgets; bi++) {
            const tg_audit_point *p = &s->points[tg_audit_cell_index(c, t, bi, k)];
            const tg_audit_count *q = s->has_labels ? &p->robust : &p->flipped;
            double v = q->n ? (double)q->k / (double)q->n : 0;
            tg_sb_printf(b, " %.1f,%.1f", sx(tg_audit_budget_c(a, bi), 0, x1), sy(s->has_labels ? v : 1 - v, 0, 1));
        }
        tg_sb_puts(b, "\"/>");
        for (int bi = 0; bi < c->n_budgets; bi++) {
            const tg_audit_point *p = &s->points[tg_audit_cell_index(c, t, bi, k)];
            const tg_audit_count *q = s->has_labels ? &p->robust : &p->flipped;
            double lo = s->has_labels ? q->lo : 1 - q->hi, hi = s->has_labels ? q->hi : 1 - q->lo;
            double xx = sx(tg_audit_budget_c(a, bi), 0, x1) + 3 * line;
            tg_sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" opacity=\"0.5\"/>",
                         xx, sy(lo, 0, 1), xx, sy(hi, 0, 1), col);
        }
        char lab[64];
        snprintf(lab, sizeof lab, "%s%s", line ? "\xe2\x80\xa6 + " : "", c->attacks[k].label);
        svg_legend(b, line++, lab);
    }
    tg_sb_puts(b, "</svg>");
}

/* Histogram of the minimal flipping L∞ (°C) per flipped image, one colour per threat. */
static void plot_histogram(tg_sbuf *b, const tg_audit *a, const tg_audit_summary *s)
{
    const tg_audit_config *c = &a->cfg;
    enum { BINS = 12 };
    double hi = tg_audit_budget_c(a, c->n_budgets - 1);
    size_t cnt[TG_AUDIT_MAX_THREATS][BINS] = {{0}}, ymax = 1;
    for (int t = 0; t < c->n_threats; t++)
        for (size_t i = 0; i < s->n_min[t]; i++) {
            int bin = (int)(s->min_linf_c[t][i] / hi * BINS);
            bin = bin >= BINS ? BINS - 1 : bin < 0 ? 0 : bin;
            if (++cnt[t][bin] > ymax)
                ymax = cnt[t][bin];
        }
    svg_axes(b, "plot-histogram", "Minimal flipping perturbation found", "L\xe2\x88\x9e per pixel (\xc2\xb0""C)",
             "images", 0, hi, 0, (double)ymax);
    double bw = (PW - ML - MR) / (double)BINS / c->n_threats;
    for (int t = 0; t < c->n_threats; t++) {
        for (int i = 0; i < BINS; i++) {
            if (!cnt[t][i])
                continue;
            double x = sx(hi * i / BINS, 0, hi) + bw * t, y = sy((double)cnt[t][i], 0, (double)ymax);
            tg_sb_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
                         x, y, bw - 1, PH - MB - y, colours[t % 6]);
        }
        svg_legend(b, t, tg_threat_name(c->threats[t]));
    }
    tg_sb_puts(b, "</svg>");
}

static void plot_roc(tg_sbuf *b, const tg_audit *a, const tg_audit_summary *s)
{
    const tg_audit_config *c = &a->cfg;
    svg_axes(b, "plot-roc", "Detector ROC: clean vs flipping adversarial inputs", "false-positive rate",
             "true-positive rate", 0, 1, 0, 1);
    tg_sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>",
                 sx(0, 0, 1), sy(0, 0, 1), sx(1, 0, 1), sy(1, 0, 1));
    for (int t = 0; t < c->n_threats; t++) {
        if (!s->n_roc[t])
            continue;
        tg_sb_printf(b, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                     colours[t % 6]);
        for (size_t i = 0; i < s->n_roc[t]; i++)
            tg_sb_printf(b, "%s%.1f,%.1f", i ? " " : "", sx(s->roc[t][i].fpr, 0, 1), sy(s->roc[t][i].tpr, 0, 1));
        tg_sb_puts(b, "\"/>");
        char lab[64];
        snprintf(lab, sizeof lab, "%s (AUC %.2f)", tg_threat_name(c->threats[t]), s->auc[t]);
        svg_legend(b, t, lab);
    }
    tg_sb_puts(b, "</svg>");
}

/* "k/n (95% CI lo–hi)" with a percentage only when the summary allows percentages. */
static void count_html(tg_sbuf *b, const tg_audit_count *q, int percent_ok)
{
    if (percent_ok && q->n)
        tg_sb_printf(b, "%.1f%% (%zu/%zu; 95%% CI %.1f\xe2\x80\x93%.1f%%)", 100.0 * (double)q->k / (double)q->n, q->k,
                     q->n, 100 * q->lo, 100 * q->hi);
    else
        tg_sb_printf(b, "%zu/%zu (95%% CI %.2f\xe2\x80\x93%.2f)", q->k, q->n, q->lo, q->hi);
}

static void settings_html(tg_sbuf *b, const tg_audit *a, const tg_audit_render_opts *o, const tg_audit_summary *s)
{
    const tg_audit_config *c = &a->cfg;
    const tg_model *m = a->target;
    tg_sb_puts(b, "<h2 id=\"settings\">Model, provenance and settings</h2><dl><dt>Model</dt><dd>");
    tg_sb_html(b, m->name);
    tg_sb_puts(b, " version ");
    tg_sb_html(b, m->version);
    tg_sb_puts(b, m->synthetic ? " (trained on synthetic data)" : "");
    tg_sb_puts(b, "</dd><dt>SHA-256</dt><dd><code>");
    tg_sb_html(b, m->sha256_hex[0] ? m->sha256_hex : "(not saved)");
    tg_sb_puts(b, "</code></dd><dt>Defense</dt><dd>");
    tg_sb_html(b, m->prov.defense[0] ? m->prov.defense : "none recorded");
    tg_sb_puts(b, " ");
    tg_sb_html(b, m->prov.defense_settings);
    tg_sb_printf(b, "; denoiser %s</dd><dt>Training</dt><dd>seed %llu, %d epochs, created ",
                 m->pipeline.denoise_on ? "on" : "off", (unsigned long long)m->prov.seed, m->prov.epochs);
    tg_sb_html(b, m->prov.created);
    tg_sb_puts(b, " ");
    tg_sb_html(b, m->prov.notes);
    tg_sb_printf(b, "</dd><dt>Input</dt><dd>%d\xc3\x97%d\xc3\x97%d, %s, range %g\xe2\x80\x93%g (%.4g %s per "
                    "normalised unit)</dd>",
                 m->pipeline.in_c, m->pipeline.in_h, m->pipeline.in_w,
                 m->pipeline.has_temperature ? "\xc2\xb0""C" : "normalised intensity", m->pipeline.t_min,
                 m->pipeline.t_max, a->c_per_unit, m->pipeline.has_temperature ? "\xc2\xb0""C" : "units");
    tg_sb_printf(b, "<dt>Verdict</dt><dd>positive when P(%s) \xe2\x89\xa5 %.3f; a flip is any change of the "
                    "verdict from the clean one</dd>",
                 m->class_names[m->positive_class], m->threshold);
    tg_sb_puts(b, "<dt>Detector</dt><dd>");
    if (a->use_detector)
        tg_sb_printf(b, "feature squeezing, threshold %.4g (calibrated for %.1f%% false positives)",
                     m->detector.threshold, 100 * m->detector.target_fpr);
    else
        tg_sb_puts(b, "not calibrated in the model: no detector results");
    tg_sb_puts(b, "</dd><dt>Source model</dt><dd>");
    if (a->source) {
        tg_sb_html(b, a->source->name);
        tg_sb_puts(b, " <code>");
        tg_sb_html(b, a->source->sha256_hex);
        tg_sb_puts(b, "</code> (transfer attacks are computed on it)");
    } else {
        tg_sb_puts(b, "none (no transfer threat model)");
    }
    tg_sb_puts(b, "</dd><dt>What is attacked</dt><dd>The attack perturbs the <b>preprocessed model-grid input</b> "
                  "(after body mask, breast ROI crop and resampling), not the stored view: a flip here is an upper "
                  "bound on what a modified DICOM file must achieve through preprocessing.</dd>");
    tg_sb_puts(b, "<dt>Threat models</dt><dd><ul>");
    for (int t = 0; t < c->n_threats; t++) {
        tg_threat th = c->threats[t];
        tg_sb_printf(b, "<li><b>%s</b>: %s</li>", tg_threat_name(th),
                     th == TG_THREAT_TRANSFER   ? "attacks computed on the undefended source model, fed to the deployed pipeline"
                     : th == TG_THREAT_ADAPTIVE ? "white-box attacks differentiating through the whole deployed pipeline "
                                                  "(denoiser included, as the model configures its gradient)"
                                                : "score-based Square attack querying the deployed pipeline only");
    }
    tg_sb_puts(b, "</ul></dd><dt>Attack suite</dt><dd>");
    for (int k = 0; k < c->n_attacks; k++) {
        tg_sb_puts(b, k ? " \xe2\x86\x92 " : "");
        tg_sb_html(b, c->attacks[k].label);
    }
    tg_sb_printf(b, " (L\xe2\x88\x9e; %s; C&amp;W runs unbounded and is clipped to each budget)</dd>",
                 c->early_stop ? "early stop: later attacks are skipped once one flips the verdict" : "no early stop");
    tg_sb_puts(b, "<dt>Budgets</dt><dd>");
    for (int i = 0; i < c->n_budgets; i++)
        tg_sb_printf(b, "%s%.4g \xc2\xb0""C (%.4g normalised)", i ? ", " : "", tg_audit_budget_c(a, i),
                     tg_audit_budget_norm(a, i));
    tg_sb_puts(b, " per pixel</dd><dt>Re-quantisation</dt><dd>");
    if (c->quant_step_c > 0) {
        size_t fl = 0, sv = 0;
        for (size_t i = 0; i < s->n_points; i++)
            if (s->points[i].attack == c->n_attacks - 1) {
                fl += s->points[i].flipped.k;
                sv += s->points[i].survives_quant;
            }
        tg_sb_printf(b, "each flip re-checked after rounding the adversarial map to %.4g \xc2\xb0""C steps (the "
                        "stored pixel step): %zu of %zu flips (over all threats and budgets) survive and could be "
                        "stored as real pixel values",
                     c->quant_step_c, sv, fl);
    } else {
        tg_sb_puts(b, "not checked");
    }
    tg_sb_printf(b, "</dd><dt>Labels</dt><dd>%s</dd>",
                 s->n_labelled == 0 ? "not available: flip counts only, no accuracy"
                 : o->synthetic_data ? "synthetic phantom labels (synthetic data, not clinical)"
                                     : "as given with the images");
    if (o->data_label) {
        tg_sb_puts(b, "<dt>Data</dt><dd>");
        tg_sb_html(b, o->data_label);
        tg_sb_puts(b, "</dd>");
    }
    tg_sb_printf(b, "<dt>Seed</dt><dd>%llu</dd></dl>", (unsigned long long)c->seed);
}

static void examples_html(tg_sbuf *b, const tg_audit *a, const tg_audit_png *pngs, int n_png)
{
    const tg_audit_config *c = &a->cfg;
    tg_sb_puts(b, "<h2 id=\"examples\">Example images</h2><p>Channel 0 of the model-grid input (one breast): "
                  "clean, adversarial, and the difference amplified.</p>");
    for (int i = 0; i < n_png; i++) {
        const tg_audit_example *e = tg_audit_get_example(a, pngs[i].example);
        if (!e)
            continue;
        tg_sb_printf(b, "<figure class=\"ex\"><figcaption>image %zu, %s, %s at %.4g \xc2\xb0""C, difference \xc3\x97%.0f"
                        "</figcaption>",
                     e->image + 1, tg_threat_name(c->threats[e->threat]), c->attacks[e->attack].label,
                     tg_audit_budget_c(a, e->budget), pngs[i].diff_gain);
        static const char *alt[3] = {"clean", "adversarial", "amplified difference"};
        for (int j = 0; j < 3; j++) {
            tg_sb_printf(b, "<img alt=\"%s\" src=\"data:image/png;base64,", alt[j]);
            tg_sb_base64(b, pngs[i].png[j], pngs[i].size[j]);
            tg_sb_puts(b, "\">");
        }
        tg_sb_puts(b, "</figure>");
    }
}

static void points_table(tg_sbuf *b, const tg_audit *a, const tg_audit_summary *s)
{
    const tg_audit_config *c = &a->cfg;
    tg_sb_puts(b, "<table id=\"points\"><tr><th class=\"l\">threat</th><th>budget \xc2\xb0""C</th><th class=\"l\">"
                  "suite through</th><th class=\"l\">robust correct</th><th class=\"l\">verdict flipped</th>"
                  "<th>survive quant.</th><th>detected</th></tr>");
    for (size_t i = 0; i < s->n_points; i++) {
        const tg_audit_point *p = &s->points[i];
        if (!applies(c, p->threat, p->attack))
            continue;
        tg_sb_printf(b, "<tr><td class=\"l\">%s</td><td>%.4g</td><td class=\"l\">", tg_threat_name(c->threats[p->threat]),
                     tg_audit_budget_c(a, p->budget));
        tg_sb_html(b, c->attacks[p->attack].label);
        tg_sb_puts(b, "</td><td class=\"l\">");
        if (s->has_labels)
            count_html(b, &p->robust, s->percent_ok);
        else
            tg_sb_puts(b, "n/a (no labels)");
        tg_sb_puts(b, "</td><td class=\"l\">");
        count_html(b, &p->flipped, s->percent_ok);
        tg_sb_printf(b, "</td><td>%zu</td>", p->survives_quant);
        if (a->use_detector)
            tg_sb_printf(b, "<td>%zu</td></tr>", p->det_flagged);
        else
            tg_sb_puts(b, "<td>n/a</td></tr>");
    }
    tg_sb_puts(b, "</table>");
}

static void images_table(tg_sbuf *b, const tg_audit *a, int include_ids)
{
    const tg_audit_config *c = &a->cfg;
    tg_sb_puts(b, "<h2 id=\"images\">Per image</h2><table><tr><th class=\"l\">image</th>");
    if (include_ids)
        tg_sb_puts(b, "<th class=\"l\">patient</th>");
    tg_sb_puts(b, "<th>label</th><th>P(positive)</th>");
    for (int t = 0; t < c->n_threats; t++)
        tg_sb_printf(b, "<th>%s: min flip L\xe2\x88\x9e \xc2\xb0""C</th>", tg_threat_name(c->threats[t]));
    tg_sb_puts(b, "</tr>");
    for (size_t i = 0; i < a->n; i++) {
        const tg_audit_record *r = &a->rec[i];
        tg_sb_puts(b, "<tr><td class=\"l\">");
        if (include_ids) {
            tg_sb_html(b, r->id);
            tg_sb_puts(b, "</td><td class=\"l\">");
            tg_sb_html(b, r->patient);
        } else {
            tg_sb_printf(b, "image %zu", i + 1);
        }
        tg_sb_printf(b, "</td><td>%s</td>", r->label < 0 ? "?" : r->label ? "1" : "0");
        if (r->skipped) {
            tg_sb_printf(b, "<td class=\"l\" colspan=\"%d\">skipped: ", c->n_threats + 1);
            tg_sb_html(b, r->note);
            tg_sb_puts(b, "</td></tr>");
            continue;
        }
        tg_sb_printf(b, "<td>%.3f</td>", r->clean_prob);
        for (int t = 0; t < c->n_threats; t++)
            tg_sb_printf(b, r->min_linf_c[t] < 0 ? "<td>none</td>" : "<td>%.4g</td>", r->min_linf_c[t]);
        tg_sb_puts(b, "</tr>");
    }
    tg_sb_puts(b, "</table>");
}

tg_status tg_audit_render_html(const tg_audit *a, const tg_audit_render_opts *opts, const tg_audit_png *pngs,
                               int n_png, char **html, size_t *len)
{
    if (!a || !opts || !html || (n_png > 0 && !pngs))
        return tg_fail(TG_ERR_ARG, "tg_audit_render_html: NULL argument");
    *html = NULL;
    tg_audit_summary s;
    tg_status st = tg_audit_summarize(a, &s);
    if (st != TG_OK)
        return st;
    const tg_audit_config *c = &a->cfg;
    tg_sbuf b = {0};
    tg_sb_printf(&b, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ThermoGuard robustness "
                     "audit</title><style>%s</style></head><body><h1>ThermoGuard robustness audit</h1>",
                 css);
    tg_sb_puts(&b, "<p class=\"banner\">QA robustness audit \xe2\x80\x94 not a clinical result. Research use only.");
    if (opts->synthetic_data || a->target->synthetic)
        tg_sb_puts(&b, " <b>Synthetic data / synthetic model \xe2\x80\x94 not for clinical use.</b>");
    tg_sb_puts(&b, "</p><h2 id=\"summary\">Summary</h2><p>");
    tg_sb_printf(&b, "%zu images audited, %zu skipped, in %.1f s (%.1f images/min). ", s.n_images, s.n_skipped,
                 s.seconds, s.seconds > 0 ? 60.0 * (double)s.n_images / s.seconds : 0.0);
    if (s.has_labels) {
        tg_sb_puts(&b, "Clean accuracy: ");
        count_html(&b, &s.clean_correct, s.percent_ok);
        tg_sb_puts(&b, ". ");
    }
    if (!s.percent_ok)
        tg_sb_printf(&b, "<b>Fewer than %zu images: results are given as counts with Wilson 95%% confidence "
                         "intervals, not as percentages.</b>",
                     c->min_images_for_percent);
    tg_sb_puts(&b, "</p><ul>");
    for (int t = 0; t < c->n_threats; t++) {
        const tg_audit_point *p = &s.points[tg_audit_cell_index(c, t, c->n_budgets - 1, c->n_attacks - 1)];
        tg_sb_printf(&b, "<li><b>%s</b>, whole suite at %.4g \xc2\xb0""C: verdict flipped for ",
                     tg_threat_name(c->threats[t]), tg_audit_budget_c(a, c->n_budgets - 1));
        count_html(&b, &p->flipped, s.percent_ok);
        tg_sb_puts(&b, "</li>");
    }
    tg_sb_puts(&b, "</ul>");
    settings_html(&b, a, opts, &s);
    tg_sb_puts(&b, "<h2 id=\"accuracy\">Robust accuracy vs budget</h2><p>Each line is the attack suite up to and "
                   "including the named attack (cumulative worst case); bars are Wilson 95% intervals.</p>"
                   "<div class=\"plots\">");
    for (int t = 0; t < c->n_threats; t++)
        plot_accuracy(&b, a, &s, t);
    tg_sb_puts(&b, "</div>");
    points_table(&b, a, &s);
    tg_sb_puts(&b, "<h2 id=\"perturbation\">Minimal flipping perturbation</h2><div class=\"plots\"><figure>");
    plot_histogram(&b, a, &s);
    tg_sb_puts(&b, "<figcaption>Smallest L\xe2\x88\x9e (\xc2\xb0""C) among the flips found per image, within the "
                   "budgets tried; images never flipped are not counted.</figcaption></figure></div>");
    tg_sb_puts(&b, "<h2 id=\"detector\">Adversarial-input detector</h2>");
    if (a->use_detector) {
        tg_sb_puts(&b, "<div class=\"plots\"><figure>");
        plot_roc(&b, a, &s);
        tg_sb_puts(&b, "<figcaption>Negatives: clean inputs; positives: the smallest flipping adversarial input per "
                       "flipped image.</figcaption></figure></div>");
    } else {
        tg_sb_puts(&b, "<p>The model carries no calibrated detector: no ROC.</p>");
    }
    if (opts->include_images && n_png > 0)
        examples_html(&b, a, pngs, n_png);
    images_table(&b, a, opts->include_ids);
    tg_sb_puts(&b, "<p><small>ThermoGuard (GPL-3.0-or-later). Every number states its threat model; a robustness "
                   "table without the adaptive column is incomplete.</small></p></body></html>\n");
    tg_audit_summary_free(&s);
    return tg_sb_finish(&b, html, len);
}
