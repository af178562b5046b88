/* `thermoguard audit` on a folder of DICOM files (no views.csv): the files are grouped into
 * series, each series' breast samples are built exactly as the node builds them
 * (tg_analysis_samples_build) and audited one image at a time with the step the Orthanc audit
 * job uses (tg_audit_series_image); on request one audit SR per study.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "thermoguard/audit_outputs.h"
#include "thermoguard/collection.h"

#define MAX_FILES 100000

typedef struct dcm_file {
    char *path;
    char study[TG_DICOM_UID_SIZE], series[TG_DICOM_UID_SIZE], patient[65];
} dcm_file;

static dcm_file *g_files; /* nftw has no user pointer */
static size_t g_n, g_cap;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F || !tg_file_is_dicom(path))
        return 0;
    if (g_n == MAX_FILES)
        return 1;
    if (g_n == g_cap) {
        dcm_file *g = realloc(g_files, (g_cap = g_cap ? 2 * g_cap : 64) * sizeof *g);
        if (!g)
            return 1;
        g_files = g;
    }
    tg_image img = {0};
    tg_dicom_meta meta;
    if (tg_dicom_read_file(path, NULL, &img, &meta) != TG_OK) {
        fprintf(stderr, "thermoguard audit: %s skipped: %s\n", path, tg_last_error());
        return 0;
    }
    tg_image_destroy(&img);
    dcm_file *f = &g_files[g_n];
    memset(f, 0, sizeof *f);
    if (!(f->path = strdup(path)))
        return 1;
    snprintf(f->study, sizeof f->study, "%s", meta.study_uid);
    snprintf(f->series, sizeof f->series, "%s", meta.series_uid);
    snprintf(f->patient, sizeof f->patient, "%s", meta.patient_id);
    g_n++;
    return 0;
}

static int by_series(const void *a, const void *b)
{
    const dcm_file *x = a, *y = b;
    int c = strcmp(x->study, y->study);
    if (!c)
        c = strcmp(x->series, y->series);
    return c ? c : strcmp(x->path, y->path);
}

/* One audit SR per study: records rec[k] came from file rec_file[k]. Returns SRs written, -1. */
static int write_srs(const tg_audit *a, const tg_model *m, const dcm_file *files, const size_t *rec_file,
                     size_t n_rec, const char *sr_dir)
{
    size_t *recs = malloc((n_rec ? n_rec : 1) * sizeof *recs);
    int *src = malloc((n_rec ? n_rec : 1) * sizeof *src);
    tg_dicom_source *sources = calloc(n_rec ? n_rec : 1, sizeof *sources);
    size_t *source_file = calloc(n_rec ? n_rec : 1, sizeof *source_file);
    int written = recs && src && sources && source_file ? 0 : -1;
    for (size_t first = 0; first < n_rec && written >= 0; first++) {
        const char *study = files[rec_file[first]].study;
        int seen = 0;
        for (size_t k = 0; k < first; k++)
            seen |= !strcmp(files[rec_file[k]].study, study);
        if (seen)
            continue;
        int nsel = 0, ns = 0;
        for (size_t k = first; k < n_rec; k++) {
            if (strcmp(files[rec_file[k]].study, study))
                continue;
            int s = 0;
            while (s < ns && source_file[s] != rec_file[k])
                s++;
            if (s == ns) {
                source_file[ns] = rec_file[k];
                sources[ns++] = (tg_dicom_source){files[rec_file[k]].path, NULL, 0};
            }
            recs[nsel] = k;
            src[nsel++] = s;
        }
        char path[4096];
        int n_rows = 0;
        snprintf(path, sizeof path, "%s/%.64s-audit-sr.dcm", sr_dir, study);
        if (tg_audit_write_study_sr(a, m, NULL, sources, ns, recs, src, nsel, path, &n_rows) != TG_OK)
            written = cli_error("audit", -1, "audit SR for study %s: %s", study, tg_last_error());
        else if (n_rows > 0)
            written++;
    }
    free(source_file);
    free(sources);
    free(src);
    free(recs);
    return written;
}

int cli_audit_dicom_dir(tg_audit *a, tg_model *m, const char *dir, const char *sr_dir, const tg_progress *progress,
                        int *n_sr, int *synthetic)
{
    g_files = NULL;
    g_n = g_cap = 0;
    int rc = 1;
    size_t *rec_file = NULL, n_rec = 0;
    if (nftw(dir, visit, 16, FTW_PHYS) != 0 || g_n == 0) {
        cli_error("audit", 1, "%s: no views.csv and no readable DICOM file (or more than %d files)", dir, MAX_FILES);
        goto out;
    }
    qsort(g_files, g_n, sizeof *g_files, by_series);
    *synthetic = 1;
    for (size_t i = 0; i < g_n; i++)
        *synthetic &= !strncmp(g_files[i].patient, "SYN-", 4);
    tg_analysis_config cfg;
    tg_analysis_config_default(&cfg);
    cfg.model = m;
    for (size_t first = 0, end; first < g_n && !tg_audit_done(a); first = end) {
        end = first + 1;
        while (end < g_n && !strcmp(g_files[end].study, g_files[first].study) &&
               !strcmp(g_files[end].series, g_files[first].series))
            end++;
        int n = (int)(end - first) < TG_ANALYSIS_MAX_INSTANCES ? (int)(end - first) : TG_ANALYSIS_MAX_INSTANCES;
        tg_analysis_instance *in = calloc((size_t)n, sizeof *in);
        size_t *grown = realloc(rec_file, (n_rec + 2 * (size_t)n) * sizeof *rec_file);
        if (!in || !grown) {
            free(in);
            cli_error("audit", 1, "out of memory");
            goto out;
        }
        rec_file = grown;
        for (int k = 0; k < n; k++)
            in[k] = (tg_analysis_instance){g_files[first + (size_t)k].path, g_files[first + (size_t)k].path, NULL, 0};
        tg_analysis_samples s;
        if (tg_analysis_samples_build(in, n, &cfg, &s) != TG_OK) {
            fprintf(stderr, "thermoguard audit: series %s skipped: %s\n", g_files[first].series, tg_last_error());
            tg_analysis_samples_clear(&s);
            free(in);
            continue;
        }
        for (int i = 0; i < s.n && !tg_audit_done(a); i++) {
            const dcm_file *f = &g_files[first + (size_t)s.source[i]];
            const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
            if (tg_progress_report(progress, (double)first / (double)g_n, "attacking") != TG_OK ||
                tg_audit_series_image(a, &s, i, base, f->patient, NULL) != TG_OK) {
                cli_error("audit", 1, "%s: %s", f->path, tg_last_error());
                tg_analysis_samples_clear(&s);
                free(in);
                goto out;
            }
            rec_file[n_rec++] = first + (size_t)s.source[i];
        }
        tg_analysis_samples_clear(&s);
        free(in);
    }
    *n_sr = -1;
    if (sr_dir && (*n_sr = write_srs(a, m, g_files, rec_file, n_rec, sr_dir)) < 0)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < g_n; i++)
        free(g_files[i].path);
    free(g_files);
    g_files = NULL;
    free(rec_file);
    return rc;
}
