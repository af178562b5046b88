/* Thermogram files of any kind, and labelled collections of views -> breast samples.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "thermoguard/collection.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LINE 8192
#define MAX_ROWS 1000000

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

int tg_file_is_dicom(const char *path)
{
    if (has_suffix(path, ".dcm"))
        return 1;
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    int yes = f && fseek(f, 128, SEEK_SET) == 0 && fread(magic, 1, 4, f) == 4 && !memcmp(magic, "DICM", 4);
    if (f)
        fclose(f);
    return yes;
}

tg_view tg_dicom_view_of(const tg_dicom_meta *m)
{
    int left = !strcmp(m->laterality, "L"), right = !strcmp(m->laterality, "R");
    if (left || right) {
        if (strcasestr(m->view, "OBL"))
            return left ? TG_VIEW_OBLIQUE_LEFT : TG_VIEW_OBLIQUE_RIGHT;
        if (strcasestr(m->view, "LAT"))
            return left ? TG_VIEW_LATERAL_LEFT : TG_VIEW_LATERAL_RIGHT;
    }
    return TG_VIEW_FRONTAL;
}

tg_status tg_thermogram_read(const char *path, tg_image *out, int *has_temperature, tg_view *view_hint)
{
    if (!path || !out)
        return tg_fail(TG_ERR_ARG, "tg_thermogram_read: NULL argument");
    int temp = 1;
    tg_view hint = TG_VIEW_COUNT;
    tg_status st;
    tg_image img = {0, 0, 0, NULL};
    if (tg_file_is_dicom(path)) {
        tg_dicom_meta meta;
        st = tg_dicom_read_file(path, NULL, &img, &meta);
        if (st == TG_OK) {
            temp = meta.has_temperature;
            hint = tg_dicom_view_of(&meta);
            if (img.c > 1) { /* multi-frame: the first frame is the view */
                tg_image first;
                st = tg_image_create(&first, 1, img.h, img.w);
                if (st == TG_OK)
                    memcpy(first.data, img.data, (size_t)img.h * (size_t)img.w * sizeof(float));
                tg_image_destroy(&img);
                img = first;
            }
        }
    } else if (has_suffix(path, ".txt")) {
        tg_textmatrix_opts o;
        tg_textmatrix_opts_default(&o);
        o.any_size = 1;
        st = tg_textmatrix_read_file(path, &o, &img, NULL);
    } else {
        st = tg_image_read_file(path, &img, &temp);
    }
    if (st != TG_OK)
        return st;
    *out = img;
    if (has_temperature)
        *has_temperature = temp;
    if (view_hint)
        *view_hint = hint;
    return TG_OK;
}

/* ---- views.csv ---- */

typedef struct row {
    char file[1024], patient[TG_SAMPLE_KEY_MAX], group[TG_SAMPLE_KEY_MAX];
    tg_view view;
    tg_label patient_label, breast_label[2];
    size_t line;
} row;

static int parse_label(const char *s, tg_label *out)
{
    if (!*s || !strcasecmp(s, "unknown")) {
        *out = TG_LABEL_UNKNOWN;
        return 0;
    }
    if (!strcasecmp(s, "healthy")) {
        *out = TG_LABEL_HEALTHY;
        return 0;
    }
    if (!strcasecmp(s, "sick")) {
        *out = TG_LABEL_SICK;
        return 0;
    }
    return -1;
}

/* Splits a CSV line in place (no quoting); returns the field count. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

enum { COL_FILE, COL_PATIENT, COL_VIEW, COL_PLABEL, COL_RIGHT, COL_LEFT, COL_GROUP, NCOLS };
static const char *const col_names[NCOLS] = {"file", "patient", "view", "patient_label", "right_breast",
                                             "left_breast", "group"};

static tg_status read_views(const char *dir, row **rows_out, size_t *n_out)
{
    char path[4096], line[MAX_LINE];
    snprintf(path, sizeof path, "%s/views.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return tg_fail(TG_ERR_IO, "%s: cannot open (a collection needs a views.csv; see `thermoguard synth`)", path);
    int col[NCOLS];
    for (int i = 0; i < NCOLS; i++)
        col[i] = -1;
    char *fields[64];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return tg_fail(TG_ERR_FORMAT, "%s: empty file", path);
    }
    int nf = split(line, fields, 64);
    for (int i = 0; i < nf; i++)
        for (int c = 0; c < NCOLS; c++)
            if (!strcmp(fields[i], col_names[c]))
                col[c] = i;
    for (int c = 0; c <= COL_VIEW; c++)
        if (col[c] < 0) {
            fclose(f);
            return tg_fail(TG_ERR_FORMAT, "%s:1: missing column '%s'", path, col_names[c]);
        }
    size_t cap = 64, n = 0, lineno = 1;
    row *rows = malloc(cap * sizeof *rows);
    tg_status st = rows ? TG_OK : tg_fail(TG_ERR_NOMEM, "%s: out of memory", path);
    while (st == TG_OK && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            st = tg_fail(TG_ERR_FORMAT, "%s:%zu: line longer than %d bytes", path, lineno, MAX_LINE - 2);
            break;
        }
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        if (n == MAX_ROWS) {
            st = tg_fail(TG_ERR_OVERFLOW, "%s: more than %d views", path, MAX_ROWS);
            break;
        }
        if (n == cap) {
            row *r = realloc(rows, 2 * cap * sizeof *rows);
            if (!r) {
                st = tg_fail(TG_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            rows = r;
            cap *= 2;
        }
        nf = split(line, fields, 64);
        row *r = &rows[n];
        memset(r, 0, sizeof *r);
        r->line = lineno;
        const char *get[NCOLS];
        for (int c = 0; c < NCOLS; c++)
            get[c] = (col[c] >= 0 && col[c] < nf) ? fields[col[c]] : "";
        if (!*get[COL_FILE] || !*get[COL_PATIENT] || strlen(get[COL_FILE]) >= sizeof r->file ||
            strlen(get[COL_PATIENT]) >= sizeof r->patient || strlen(get[COL_GROUP]) >= sizeof r->group) {
            st = tg_fail(TG_ERR_FORMAT, "%s:%zu: empty or over-long file/patient/group", path, lineno);
            break;
        }
        strcpy(r->file, get[COL_FILE]);
        strcpy(r->patient, get[COL_PATIENT]);
        strcpy(r->group, *get[COL_GROUP] ? get[COL_GROUP] : get[COL_VIEW]);
        r->view = TG_VIEW_COUNT;
        for (int v = 0; v < TG_VIEW_COUNT; v++)
            if (!strcasecmp(get[COL_VIEW], tg_view_name((tg_view)v)))
                r->view = (tg_view)v;
        if (r->view == TG_VIEW_COUNT) {
            st = tg_fail(TG_ERR_FORMAT, "%s:%zu: unknown view '%.40s'", path, lineno, get[COL_VIEW]);
            break;
        }
        if (parse_label(get[COL_PLABEL], &r->patient_label) || parse_label(get[COL_RIGHT], &r->breast_label[TG_SIDE_RIGHT]) ||
            parse_label(get[COL_LEFT], &r->breast_label[TG_SIDE_LEFT])) {
            st = tg_fail(TG_ERR_FORMAT, "%s:%zu: labels must be Healthy, Sick or empty", path, lineno);
            break;
        }
        n++;
    }
    fclose(f);
    if (st == TG_OK && n == 0)
        st = tg_fail(TG_ERR_FORMAT, "%s: no views listed", path);
    if (st != TG_OK) {
        free(rows);
        return st;
    }
    *rows_out = rows;
    *n_out = n;
    return TG_OK;
}

/* Patient labels from DIR/labels.csv for rows without one. */
static tg_status fill_patient_labels(const char *dir, row *rows, size_t n)
{
    int missing = 0;
    for (size_t i = 0; i < n; i++)
        missing |= rows[i].patient_label == TG_LABEL_UNKNOWN;
    if (!missing)
        return TG_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/labels.csv", dir);
    tg_label_table t;
    tg_status st = tg_labels_read_file(path, &t);
    if (st != TG_OK)
        return st;
    for (size_t i = 0; st == TG_OK && i < n; i++)
        if (rows[i].patient_label == TG_LABEL_UNKNOWN && tg_labels_find(&t, rows[i].patient, &rows[i].patient_label) != TG_OK)
            st = tg_fail(TG_ERR_FORMAT, "%s/views.csv:%zu: patient %s has no label (neither in views.csv nor labels.csv)",
                         dir, rows[i].line, rows[i].patient);
    tg_labels_destroy(&t);
    return st;
}

static tg_side one_side(tg_view v)
{
    return (v == TG_VIEW_LATERAL_LEFT || v == TG_VIEW_OBLIQUE_LEFT) ? TG_SIDE_LEFT : TG_SIDE_RIGHT;
}

/* The opposite one-sided view of the same patient (same kind), or n. */
static size_t partner(const row *rows, size_t n, size_t i)
{
    tg_view want;
    switch (rows[i].view) {
    case TG_VIEW_LATERAL_LEFT: want = TG_VIEW_LATERAL_RIGHT; break;
    case TG_VIEW_LATERAL_RIGHT: want = TG_VIEW_LATERAL_LEFT; break;
    case TG_VIEW_OBLIQUE_LEFT: want = TG_VIEW_OBLIQUE_RIGHT; break;
    case TG_VIEW_OBLIQUE_RIGHT: want = TG_VIEW_OBLIQUE_LEFT; break;
    default: return n;
    }
    for (size_t j = 0; j < n; j++)
        if (j != i && rows[j].view == want && !strcmp(rows[j].patient, rows[i].patient))
            return j;
    return n;
}

static tg_status load_view(const char *dir, const row *r, const tg_preprocess_params *pp, tg_preprocess_result *res,
                           int *has_temperature)
{
    char path[4096];
    if (r->file[0] == '/')
        snprintf(path, sizeof path, "%s", r->file);
    else
        snprintf(path, sizeof path, "%s/%s", dir, r->file);
    tg_image img;
    tg_status st = tg_thermogram_read(path, &img, has_temperature, NULL);
    if (st != TG_OK) /* tg_fail may wrap tg_last_error() itself */
        return tg_fail(st, "%s/views.csv:%zu: %s", dir, r->line, tg_last_error());
    st = tg_preprocess_view(&img, r->view, pp, res);
    tg_image_destroy(&img);
    if (st != TG_OK)
        return tg_fail(st, "%s/views.csv:%zu: %s: %s", dir, r->line, path, tg_last_error());
    return TG_OK;
}

static int label_of(const row *r, tg_side side, size_t *weak)
{
    if (r->breast_label[side] != TG_LABEL_UNKNOWN)
        return r->breast_label[side] == TG_LABEL_SICK;
    (*weak)++;
    return r->patient_label == TG_LABEL_SICK;
}

tg_status tg_collection_load(const char *dir, const tg_preprocess_params *pp, tg_sample_set *out,
                             tg_collection_report *report, const tg_progress *progress)
{
    if (!dir || !out)
        return tg_fail(TG_ERR_ARG, "tg_collection_load: NULL argument");
    memset(out, 0, sizeof *out);
    tg_preprocess_params defaults;
    if (!pp) {
        tg_preprocess_params_default(&defaults);
        pp = &defaults;
    }
    tg_status st = tg_preprocess_params_check(pp);
    if (st != TG_OK)
        return st;
    row *rows;
    size_t n;
    if ((st = read_views(dir, &rows, &n)) != TG_OK)
        return st;
    if ((st = fill_patient_labels(dir, rows, n)) != TG_OK) {
        free(rows);
        return st;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += rows[i].view == TG_VIEW_FRONTAL ? 2 : 1;
    tg_collection_report rep;
    memset(&rep, 0, sizeof rep);
    rep.has_temperature = -1;
    if ((st = tg_sample_set_create(out, total, 2, pp->grid_h, pp->grid_w)) != TG_OK) {
        free(rows);
        return st;
    }
    char *done = calloc(n, 1);
    if (!done) {
        free(rows);
        tg_sample_set_destroy(out);
        return tg_fail(TG_ERR_NOMEM, "tg_collection_load: out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; st == TG_OK && i < n; i++) {
        if (done[i])
            continue;
        if ((st = tg_progress_report(progress, (double)i / (double)n, "loading views")) != TG_OK)
            break;
        size_t j = rows[i].view == TG_VIEW_FRONTAL ? n : partner(rows, n, i);
        tg_preprocess_result a, b;
        int temp_a = 1, temp_b = 1;
        if ((st = load_view(dir, &rows[i], pp, &a, &temp_a)) != TG_OK)
            break;
        rep.views++;
        if (j < n && (st = load_view(dir, &rows[j], pp, &b, &temp_b)) != TG_OK) {
            tg_preprocess_result_destroy(&a);
            break;
        }
        if (j < n) {
            rep.views++;
            done[j] = 1;
            if ((st = tg_preprocess_pair_views(&a, &b)) == TG_OK)
                rep.paired += 2;
        } else if (rows[i].view != TG_VIEW_FRONTAL) {
            rep.unpaired++;
        }
        for (int t = 0; t < (j < n ? 2 : 1) && st == TG_OK; t++) {
            int temp = t ? temp_b : temp_a;
            if (rep.has_temperature >= 0 && rep.has_temperature != temp)
                st = tg_fail(TG_ERR_FORMAT, "%s/views.csv:%zu: mixes °C and intensity views; a model takes one kind",
                             dir, rows[t ? j : i].line);
            rep.has_temperature = temp;
        }
        for (int t = 0; t < (j < n ? 2 : 1) && st == TG_OK; t++) {
            const tg_preprocess_result *r = t ? &b : &a;
            const row *rw = t ? &rows[j] : &rows[i];
            for (int q = 0; q < r->n_breasts && st == TG_OK; q++) {
                const tg_breast_input *bi = &r->breast[q];
                tg_side side = r->n_breasts == 2 ? bi->side : one_side(rw->view);
                st = tg_sample_set_put(out, k++, bi->input.data, label_of(rw, side, &rep.weak_labels), rw->patient,
                                       rw->group);
            }
        }
        tg_preprocess_result_destroy(&a);
        if (j < n)
            tg_preprocess_result_destroy(&b);
    }
    if (st == TG_OK) {
        rep.breasts = k;
        for (size_t i = 0; i < n; i++) { /* distinct patients */
            size_t first = 0;
            while (strcmp(rows[first].patient, rows[i].patient))
                first++;
            rep.patients += first == i;
        }
        if (report)
            *report = rep;
        st = tg_progress_report(progress, 1.0, "loading views");
    }
    free(done);
    free(rows);
    if (st != TG_OK)
        tg_sample_set_destroy(out);
    return st;
}
