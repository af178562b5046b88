/* `thermoguard audit`: a robustness audit of a deployed model on a views.csv collection (files
 * or DICOM), one breast sample at a time through the core audit (the same code an Orthanc job
 * runs), writing DIR/audit.json, DIR/report.html and, on request, one audit SR per study.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "thermoguard/audit_outputs.h"
#include "thermoguard/collection.h"
#include "thermoguard/thermoguard.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: thermoguard audit MODEL.tgm DIR --out OUTDIR [options]\n"
            "\n"
            "Attacks the deployed model on every breast sample of the collection DIR/views.csv, or,\n"
            "without views.csv, of every DICOM series under DIR (breast inputs built as the Orthanc\n"
            "node builds them; labels unknown). Preprocessed with the model's settings; the attack\n"
            "perturbs the preprocessed model input. Writes OUTDIR/audit.json and OUTDIR/report.html.\n"
            "QA robustness audit, not a clinical result. Research use only.\n"
            "\n"
            "options:\n"
            "  --out OUTDIR          output directory (created; required)\n"
            "  --source MODEL.tgm    undefended model for the transfer threat model\n"
            "  --attacks LIST        in running order (default fgsm,pgd-20,cw-100,square-1000);\n"
            "                        fgsm, pgd[-N], cw[-N], square[-N]\n"
            "  --eps-c LIST          L-inf budgets per pixel in °C (default 0.02,0.05,0.1,0.2)\n"
            "  --eps LIST            budgets in normalised units instead (models without °C)\n"
            "  --threats LIST        transfer,adaptive,black-box (default adaptive,black-box;\n"
            "                        transfer is added when --source is given)\n"
            "  --max-images N        image cap (default none)\n"
            "  --max-seconds S       time cap, checked between images (default none)\n"
            "  --quant-step C        stored pixel step for the re-quantisation check (default 0.01)\n"
            "  --min-images N        fewer images: counts with CIs instead of percentages (default 30)\n"
            "  --no-early-stop       run every attack even after the verdict flipped\n"
            "  --seed S              attack randomness (default 1)\n"
            "  --no-images           leave example images out of the report\n"
            "  --no-ids              leave image and patient identifiers out of JSON and report\n"
            "  --audit-sr SRDIR      one audit SR per study with DICOM inputs (others skipped)\n"
            "  --threads N           OpenBLAS threads\n"
            "  --json                summary on stdout as JSON\n"
            "  --help                this text\n"
            "exit status: 0 ok, 1 runtime failure or refused audit, 2 usage error\n");
}

/* Parses a comma-separated list of positive numbers; 0 on success. */
static int parse_list(const char *s, double *v, int max, int *n)
{
    char *copy = strdup(s), *save = NULL;
    *n = 0;
    int bad = !copy;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !bad; t = strtok_r(NULL, ",", &save))
        bad = *n >= max || cli_parse_double(t, &v[(*n)++]) || !(v[*n - 1] > 0);
    free(copy);
    return bad || *n == 0 ? -1 : 0;
}

static int parse_attacks(const char *s, tg_audit_config *c)
{
    char *copy = strdup(s), *save = NULL;
    int bad = !copy;
    c->n_attacks = 0;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !bad; t = strtok_r(NULL, ",", &save))
        bad = c->n_attacks >= TG_AUDIT_MAX_ATTACKS || tg_audit_attack_parse(t, &c->attacks[c->n_attacks++]) != TG_OK;
    free(copy);
    return bad || c->n_attacks == 0 ? -1 : 0;
}

static int parse_threats(const char *s, tg_audit_config *c)
{
    char *copy = strdup(s), *save = NULL;
    int bad = !copy;
    c->n_threats = 0;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !bad; t = strtok_r(NULL, ",", &save)) {
        bad = c->n_threats >= TG_AUDIT_MAX_THREATS;
        if (!bad && !strcmp(t, "transfer"))
            c->threats[c->n_threats++] = TG_THREAT_TRANSFER;
        else if (!bad && !strcmp(t, "adaptive"))
            c->threats[c->n_threats++] = TG_THREAT_ADAPTIVE;
        else if (!bad && (!strcmp(t, "black-box") || !strcmp(t, "blackbox")))
            c->threats[c->n_threats++] = TG_THREAT_BLACKBOX;
        else
            bad = 1;
    }
    free(copy);
    return bad || c->n_threats == 0 ? -1 : 0;
}

/* Progress over the whole audit: image i of n plus the fraction within it. */
typedef struct audit_progress {
    cli_progress *cp;
    size_t i, n;
} audit_progress;

static int image_progress(void *user, double f, const char *stage)
{
    audit_progress *ap = user;
    char text[96];
    snprintf(text, sizeof text, "%s image %zu/%zu", stage, ap->i + 1, ap->n);
    return ap->cp->p.fn(ap->cp->p.user, ((double)ap->i + f) / (double)ap->n, text);
}

static int write_file(const char *dir, const char *name, const char *text, size_t len, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int bad = !f || fwrite(text, 1, len, f) != len;
    if (f && fclose(f))
        bad = 1;
    return bad ? cli_error("audit", 1, "cannot write %s: %s", path, strerror(errno)) : 0;
}

/* views.csv rows (file, patient, view) for mapping samples to their DICOM sources. */
typedef struct view_row {
    char file[512], patient[TG_SAMPLE_KEY_MAX], view[32];
} view_row;

static view_row *read_views(const char *dir, size_t *n)
{
    char path[4096], line[2048];
    snprintf(path, sizeof path, "%s/views.csv", dir);
    FILE *f = fopen(path, "r");
    *n = 0;
    if (!f)
        return NULL;
    int cf = -1, cp = -1, cv = -1;
    view_row *rows = NULL;
    size_t cap = 0;
    for (int first = 1; fgets(line, sizeof line, f); first = 0) {
        line[strcspn(line, "\r\n")] = 0;
        char *save = NULL, *tok = strtok_r(line, ",", &save);
        view_row r;
        memset(&r, 0, sizeof r);
        for (int c = 0; tok; c++, tok = strtok_r(NULL, ",", &save)) {
            if (first) {
                cf = !strcmp(tok, "file") ? c : cf;
                cp = !strcmp(tok, "patient") ? c : cp;
                cv = !strcmp(tok, "view") ? c : cv;
            } else if (c == cf) {
                snprintf(r.file, sizeof r.file, "%s/%s", dir, tok);
            } else if (c == cp) {
                snprintf(r.patient, sizeof r.patient, "%s", tok);
            } else if (c == cv) {
                snprintf(r.view, sizeof r.view, "%s", tok);
            }
        }
        if (first || !r.file[0])
            continue;
        if (*n == cap) {
            view_row *g = realloc(rows, (cap = cap ? 2 * cap : 16) * sizeof *rows);
            if (!g)
                break;
            rows = g;
        }
        rows[(*n)++] = r;
    }
    fclose(f);
    return rows;
}

/* One audit SR per patient/study whose views are DICOM files; returns SRs written, -1 on error. */
static int write_audit_srs(const tg_audit *a, const tg_model *m, const char *data_dir, const char *sr_dir,
                           const char (*groups)[TG_SAMPLE_KEY_MAX], size_t *skipped)
{
    size_t nv = 0;
    view_row *v = read_views(data_dir, &nv);
    int written = 0;
    *skipped = 0;
    tg_dicom_source *src = calloc(nv ? nv : 1, sizeof *src);
    const char **view_of = calloc(nv ? nv : 1, sizeof *view_of);
    size_t nimg = tg_audit_images(a);
    size_t *recs = malloc((nimg ? nimg : 1) * sizeof *recs);
    int *rec_src = malloc((nimg ? nimg : 1) * sizeof *rec_src);
    for (size_t p = 0; p < nv && src && view_of && recs && rec_src && written >= 0; p++) {
        int first = 1;
        for (size_t q = 0; q < p; q++)
            first &= strcmp(v[q].patient, v[p].patient) != 0;
        if (!first)
            continue;
        int ns = 0, dicom = 1;
        for (size_t q = p; q < nv; q++)
            if (!strcmp(v[q].patient, v[p].patient)) {
                dicom &= tg_file_is_dicom(v[q].file);
                view_of[ns] = v[q].view;
                src[ns++] = (tg_dicom_source){v[q].file, NULL, 0};
            }
        if (!dicom) {
            (*skipped)++;
            continue;
        }
        int nr = 0, nsel = 0;
        for (size_t i = 0; i < tg_audit_images(a); i++) {
            if (strcmp(tg_audit_get_record(a, i)->patient, v[p].patient))
                continue;
            int si = 0; /* the view the sample came from (its group key is the view name) */
            for (int s = ns - 1; s >= 0; s--)
                si = !strcmp(view_of[s], groups[i]) ? s : si;
            recs[nsel] = i;
            rec_src[nsel++] = si;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s-audit-sr.dcm", sr_dir, v[p].patient);
        if (tg_audit_write_study_sr(a, m, NULL, src, ns, recs, rec_src, nsel, path, &nr) != TG_OK) {
            cli_error("audit", 1, "audit SR for %s: %s", v[p].patient, tg_last_error());
            written = -1;
        } else if (nr > 0) {
            written++;
        }
    }
    if (v && (!src || !view_of || !recs || !rec_src)) {
        cli_error("audit", 1, "out of memory for audit SR sources");
        written = -1;
    }
    free(recs);
    free(rec_src);
    free(view_of);
    free(src);
    free(v);
    return written;
}

static void print_summary(int json, const tg_audit *a, const char *out_dir, int n_sr, size_t sr_skipped)
{
    tg_audit_summary s;
    if (tg_audit_summarize(a, &s) != TG_OK) {
        cli_error("audit", 1, "%s", tg_last_error());
        return;
    }
    const tg_audit_config *c = tg_audit_get_config(a);
    double ipm = s.seconds > 0 ? 60.0 * (double)s.n_images / s.seconds : 0.0;
    if (json) {
        printf("{\"command\": \"audit\", \"out\": ");
        cli_json_str(stdout, out_dir);
        printf(", \"images\": %zu, \"skipped\": %zu, \"seconds\": ", s.n_images, s.n_skipped);
        cli_json_num(stdout, s.seconds);
        printf(", \"images_per_minute\": ");
        cli_json_num(stdout, ipm);
        printf(", \"audit_srs\": %d, \"audit_sr_studies_skipped\": %zu, \"flipped_whole_suite_max_budget\": {", n_sr,
               sr_skipped);
        for (int t = 0; t < c->n_threats; t++) {
            const tg_audit_point *p = &s.points[tg_audit_cell_index(c, t, c->n_budgets - 1, c->n_attacks - 1)];
            printf("%s\"%s\": {\"k\": %zu, \"n\": %zu}", t ? ", " : "", tg_threat_name(c->threats[t]), p->flipped.k,
                   p->flipped.n);
        }
        printf("}}\n");
    } else {
        printf("audited %zu images (%zu skipped) in %.1f s: %.1f images/min\n", s.n_images, s.n_skipped, s.seconds, ipm);
        for (int t = 0; t < c->n_threats; t++) {
            const tg_audit_point *p = &s.points[tg_audit_cell_index(c, t, c->n_budgets - 1, c->n_attacks - 1)];
            printf("  %-9s whole suite at %.4g \xc2\xb0""C: verdict flipped %zu/%zu (95%% CI %.2f-%.2f)\n",
                   tg_threat_name(c->threats[t]), tg_audit_budget_c(a, c->n_budgets - 1), p->flipped.k, p->flipped.n,
                   p->flipped.lo, p->flipped.hi);
        }
        printf("report: %s/report.html, data: %s/audit.json", out_dir, out_dir);
        if (n_sr >= 0)
            printf(", audit SRs: %d (%zu studies without DICOM inputs skipped)", n_sr, sr_skipped);
        printf("\nQA robustness audit - not a clinical result.\n");
    }
    tg_audit_summary_free(&s);
}

/* The views.csv collection: loads every breast sample and audits them in order (cap and time
 * cap end it early). 0, or 1 with the error printed. */
static int audit_collection(tg_audit *a, const tg_model *m, const char *dir, tg_sample_set *set, cli_progress *cp)
{
    tg_collection_report coll;
    if (tg_collection_load(dir, &m->prep, set, &coll, &cp->p) != TG_OK)
        return cli_error("audit", 1, "%s", tg_last_error());
    cli_progress_done(cp, "collection loaded");
    if (set->c != m->pipeline.in_c || set->h != m->pipeline.in_h || set->w != m->pipeline.in_w ||
        coll.has_temperature != m->pipeline.has_temperature)
        return cli_error("audit", 1, "%s: samples (%d x %d x %d, %s) do not match the model's inputs", dir, set->c,
                         set->h, set->w, coll.has_temperature ? "°C" : "intensity");
    cli_progress_init(cp, "audit", 0);
    const tg_audit_config *cfg = tg_audit_get_config(a);
    size_t total = cfg->max_images && cfg->max_images < set->n ? cfg->max_images : set->n;
    audit_progress ap = {cp, 0, total};
    tg_progress prog = {image_progress, &ap, NULL};
    const size_t per = (size_t)set->c * (size_t)set->h * (size_t)set->w;
    for (size_t i = 0; i < set->n && !tg_audit_done(a); i++) {
        char id[TG_AUDIT_MAX_ID];
        snprintf(id, sizeof id, "%.24s/%.20s#%zu", set->patient[i], set->group[i], i + 1 < 1000000000 ? i + 1 : 0);
        ap.i = i;
        if (tg_audit_image(a, set->raw + i * per, set->labels[i], id, set->patient[i], &prog) != TG_OK)
            return cli_error("audit", 1, "%s: %s", id, tg_last_error());
    }
    cli_progress_done(cp, "audit");
    return 0;
}

int cmd_audit(int argc, char **argv)
{
    enum { O_OUT = 256, O_SOURCE, O_ATTACKS, O_EPSC, O_EPS, O_THREATS, O_MAXI, O_MAXS, O_QUANT, O_MINI, O_NOEARLY,
           O_SEED, O_NOIMG, O_NOIDS, O_SR, O_THREADS, O_JSON, O_HELP };
    static const struct option opts[] = {
        {"out", required_argument, 0, O_OUT},         {"source", required_argument, 0, O_SOURCE},
        {"attacks", required_argument, 0, O_ATTACKS}, {"eps-c", required_argument, 0, O_EPSC},
        {"eps", required_argument, 0, O_EPS},         {"threats", required_argument, 0, O_THREATS},
        {"max-images", required_argument, 0, O_MAXI}, {"max-seconds", required_argument, 0, O_MAXS},
        {"quant-step", required_argument, 0, O_QUANT},{"min-images", required_argument, 0, O_MINI},
        {"no-early-stop", no_argument, 0, O_NOEARLY}, {"seed", required_argument, 0, O_SEED},
        {"no-images", no_argument, 0, O_NOIMG},       {"no-ids", no_argument, 0, O_NOIDS},
        {"audit-sr", required_argument, 0, O_SR},     {"threads", required_argument, 0, O_THREADS},
        {"json", no_argument, 0, O_JSON},             {"help", no_argument, 0, O_HELP},
        {0, 0, 0, 0}};
    tg_audit_config cfg;
    tg_audit_config_default(&cfg);
    const char *out_dir = NULL, *source_path = NULL, *sr_dir = NULL;
    int json = 0, images = 1, ids = 1, threads = 0, threats_given = 0, c, li = -1, v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, &li)) != -1) {
        int bad = 0;
        switch (c) {
        case O_OUT: out_dir = optarg; break;
        case O_SOURCE: source_path = optarg; break;
        case O_ATTACKS: bad = parse_attacks(optarg, &cfg); break;
        case O_EPSC: bad = parse_list(optarg, cfg.budgets, TG_AUDIT_MAX_BUDGETS, &cfg.n_budgets); cfg.unit = TG_AUDIT_CELSIUS; break;
        case O_EPS: bad = parse_list(optarg, cfg.budgets, TG_AUDIT_MAX_BUDGETS, &cfg.n_budgets); cfg.unit = TG_AUDIT_NORMALISED; break;
        case O_THREATS: bad = parse_threats(optarg, &cfg); threats_given = 1; break;
        case O_MAXI: bad = cli_parse_int(optarg, 1, 100000000, &v); cfg.max_images = (size_t)v; break;
        case O_MAXS: bad = cli_parse_double(optarg, &cfg.max_seconds) || !(cfg.max_seconds > 0); break;
        case O_QUANT: bad = cli_parse_double(optarg, &cfg.quant_step_c) || cfg.quant_step_c < 0; break;
        case O_MINI: bad = cli_parse_int(optarg, 1, 1000000, &v); cfg.min_images_for_percent = (size_t)v; break;
        case O_NOEARLY: cfg.early_stop = 0; break;
        case O_SEED: bad = cli_parse_u64(optarg, &cfg.seed); break;
        case O_NOIMG: images = 0; break;
        case O_NOIDS: ids = 0; break;
        case O_SR: sr_dir = optarg; break;
        case O_THREADS: bad = cli_parse_int(optarg, 1, 256, &threads); break;
        case O_JSON: json = 1; break;
        case O_HELP: help(stdout); return 0;
        default: help(stderr); return 2;
        }
        if (bad)
            return cli_error("audit", 2, "invalid value '%s' for --%s (see --help)", optarg, li >= 0 ? opts[li].name : "?");
        li = -1;
    }
    if (argc - optind != 2)
        return cli_error("audit", 2, "expected MODEL.tgm and DIR (see --help)");
    if (!out_dir)
        return cli_error("audit", 2, "--out OUTDIR is required");
    if (source_path && !threats_given) {
        cfg.threats[cfg.n_threats++] = cfg.threats[1];
        cfg.threats[1] = cfg.threats[0];
        cfg.threats[0] = TG_THREAT_TRANSFER;
    }
    const char *model_path = argv[optind], *dir = argv[optind + 1];
    if (threads > 0)
        openblas_set_num_threads(threads);
    int rc = 1, n_png = 0, n_sr = -1;
    size_t sr_skipped = 0;
    tg_model *m = NULL, *src = NULL;
    tg_audit *a = NULL;
    tg_sample_set set = {0};
    tg_audit_png png[TG_AUDIT_MAX_EXAMPLES];
    char *text = NULL, path[4096];
    size_t len = 0;
    if (tg_model_load(model_path, &m, NULL) != TG_OK || (source_path && tg_model_load(source_path, &src, NULL) != TG_OK)) {
        cli_error("audit", 1, "%s", tg_last_error());
        goto out;
    }
    if (tg_audit_create(&a, &cfg, m, src) != TG_OK) {
        cli_error("audit", 1, "refused: %s", tg_last_error());
        goto out;
    }
    char views[4096];
    snprintf(views, sizeof views, "%s/views.csv", dir);
    struct stat vst;
    const int dicom_dir = stat(views, &vst) != 0; /* no views.csv: a folder of DICOM files */
    int synthetic = m->synthetic;
    if (mkdir(out_dir, 0777) && errno != EEXIST) {
        cli_error("audit", 1, "cannot create %s: %s", out_dir, strerror(errno));
        goto out;
    }
    if (sr_dir && mkdir(sr_dir, 0777) && errno != EEXIST) {
        cli_error("audit", 1, "cannot create %s: %s", sr_dir, strerror(errno));
        goto out;
    }
    cli_progress cp;
    cli_progress_init(&cp, "audit", 0);
    if (dicom_dir) {
        int syn = 0;
        if (cli_audit_dicom_dir(a, m, dir, sr_dir, &cp.p, &n_sr, &syn) != 0)
            goto out;
        synthetic |= syn;
        cli_progress_done(&cp, "audit");
    } else if (audit_collection(a, m, dir, &set, &cp) != 0) {
        goto out;
    } else {
        synthetic |= cli_set_is_synthetic(&set);
    }
    if (images)
        n_png = tg_audit_examples_encode(a, png);
    tg_audit_render_opts ro = {images, ids, dir, synthetic};
    if (tg_audit_to_json(a, ids, &text, &len) != TG_OK || write_file(out_dir, "audit.json", text, len, path, sizeof path)) {
        cli_error("audit", 1, "%s", tg_last_error());
        goto out;
    }
    free(text);
    text = NULL;
    if (tg_audit_render_html(a, &ro, png, n_png, &text, &len) != TG_OK ||
        write_file(out_dir, "report.html", text, len, path, sizeof path)) {
        cli_error("audit", 1, "%s", tg_last_error());
        goto out;
    }
    if (sr_dir && !dicom_dir &&
        (n_sr = write_audit_srs(a, m, dir, sr_dir, (const char (*)[TG_SAMPLE_KEY_MAX])set.group, &sr_skipped)) < 0)
        goto out;
    print_summary(json, a, out_dir, n_sr, sr_skipped);
    rc = 0;
out:
    tg_audit_examples_free(png, n_png);
    free(text);
    tg_audit_destroy(a);
    tg_sample_set_destroy(&set);
    tg_model_destroy(src);
    tg_model_destroy(m);
    return rc;
}
