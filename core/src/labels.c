/* Labels: names of labels and views, the `ID,Diagnosis` CSV reader, folder labels.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/dataset.h"

#include <stdlib.h>
#include <string.h>

#include "data_internal.h"

#define LABELS_MAX_BYTES ((size_t)16 << 20)
#define MAX_FIELDS 64

const char *tg_label_name(tg_label label)
{
    switch (label) {
    case TG_LABEL_HEALTHY: return "Healthy";
    case TG_LABEL_SICK: return "Sick";
    case TG_LABEL_UNKNOWN: break;
    }
    return "Unknown";
}

const char *tg_view_name(tg_view view)
{
    switch (view) {
    case TG_VIEW_FRONTAL: return "frontal";
    case TG_VIEW_LATERAL_LEFT: return "lateral-left";
    case TG_VIEW_LATERAL_RIGHT: return "lateral-right";
    case TG_VIEW_OBLIQUE_LEFT: return "oblique-left";
    case TG_VIEW_OBLIQUE_RIGHT: return "oblique-right";
    case TG_VIEW_COUNT: break;
    }
    return "unknown";
}

tg_laterality tg_view_laterality(tg_view view)
{
    switch (view) {
    case TG_VIEW_LATERAL_LEFT:
    case TG_VIEW_OBLIQUE_LEFT: return TG_LATERALITY_LEFT;
    case TG_VIEW_LATERAL_RIGHT:
    case TG_VIEW_OBLIQUE_RIGHT: return TG_LATERALITY_RIGHT;
    default: return TG_LATERALITY_BOTH;
    }
}

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int equals_nocase(const char *s, size_t n, const char *word)
{
    if (strlen(word) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != word[i])
            return 0;
    return 1;
}

static tg_label parse_label(const char *s, size_t n)
{
    if (equals_nocase(s, n, "healthy"))
        return TG_LABEL_HEALTHY;
    if (equals_nocase(s, n, "sick"))
        return TG_LABEL_SICK;
    return TG_LABEL_UNKNOWN;
}

typedef struct field {
    const char *s;
    size_t n;
} field;

/* Splits [ls, ls+n) at `sep`, trimming blanks and one pair of surrounding double quotes.
 * Returns the number of fields (at most MAX_FIELDS; more are reported as MAX_FIELDS + 1). */
static size_t split_fields(const char *ls, size_t n, char sep, field *f)
{
    size_t k = 0, i = 0;
    for (;;) {
        size_t b = i;
        while (i < n && ls[i] != sep)
            i++;
        size_t e = i;
        while (b < e && (ls[b] == ' ' || ls[b] == '\t'))
            b++;
        while (e > b && (ls[e - 1] == ' ' || ls[e - 1] == '\t'))
            e--;
        if (e - b >= 2 && ls[b] == '"' && ls[e - 1] == '"') {
            b++;
            e--;
        }
        if (k == MAX_FIELDS)
            return MAX_FIELDS + 1;
        f[k].s = ls + b;
        f[k].n = e - b;
        k++;
        if (i == n)
            return k;
        i++;
    }
}

static tg_status check_id(const char *name, size_t line, const field *id)
{
    char ex[32];
    if (id->n == 0)
        return tg_fail(TG_ERR_FORMAT, "%s:%zu: empty patient id", name, line);
    tg_data_excerpt(ex, sizeof ex - 1, id->s, id->n);
    if (id->n >= TG_LABEL_ID_MAX)
        return tg_fail(TG_ERR_FORMAT, "%s:%zu: patient id \"%s\" is longer than %d bytes", name,
                       line, ex, TG_LABEL_ID_MAX - 1);
    for (size_t i = 0; i < id->n; i++) {
        unsigned char c = (unsigned char)id->s[i];
        if (c < 0x20 || c == 0x7f || c == '"')
            return tg_fail(TG_ERR_FORMAT, "%s:%zu: patient id \"%s\" contains a control character or quote",
                           name, line, ex);
    }
    return TG_OK;
}

static int cmp_entry(const void *a, const void *b)
{
    const tg_label_entry *x = *(const tg_label_entry *const *)a;
    const tg_label_entry *y = *(const tg_label_entry *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Duplicate ids: sort pointers by (id, line) so the message names the first two lines. */
static tg_status check_duplicates(const char *name, const tg_label_table *t)
{
    if (t->count < 2)
        return TG_OK;
    const tg_label_entry **p = malloc(t->count * sizeof *p);
    if (!p)
        return tg_fail(TG_ERR_NOMEM, "%s: out of memory", name);
    for (size_t i = 0; i < t->count; i++)
        p[i] = &t->entries[i];
    qsort(p, t->count, sizeof *p, cmp_entry);
    tg_status st = TG_OK;
    for (size_t i = 1; i < t->count && st == TG_OK; i++)
        if (strcmp(p[i - 1]->id, p[i]->id) == 0)
            st = tg_fail(TG_ERR_FORMAT, "%s:%d: duplicate patient id \"%s\" (first on line %d)", name,
                         p[i]->line, p[i]->id, p[i - 1]->line);
    free(p);
    return st;
}

static tg_status parse_labels(const char *data, size_t len, const char *name, tg_label_table *t)
{
    size_t pos = 0, line = 0, cap = 0;
    size_t id_col = 0, dx_col = 1, need = 2;
    int first = 1;
    char sep = ',';
    field f[MAX_FIELDS];
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        line++;
        const char *ls = data + pos;
        const char *nl = memchr(ls, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - ls) : len - pos;
        pos += n + (nl ? 1 : 0);
        while (n > 0 && (ls[n - 1] == '\r' || ls[n - 1] == ' ' || ls[n - 1] == '\t'))
            n--;
        if (n == 0)
            continue;
        if (line > 0x7fffffff)
            return tg_fail(TG_ERR_OVERFLOW, "%s: too many lines", name);
        if (first && !memchr(ls, ',', n) && memchr(ls, ';', n))
            sep = ';';
        size_t k = split_fields(ls, n, sep, f);
        if (k > MAX_FIELDS)
            return tg_fail(TG_ERR_FORMAT, "%s:%zu: more than %d fields", name, line, MAX_FIELDS);
        if (first) {
            first = 0;
            /* A header is a first line whose fields name the columns; it may order them freely. */
            size_t hi = k, hd = k;
            for (size_t j = 0; j < k; j++) {
                if (equals_nocase(f[j].s, f[j].n, "id") || equals_nocase(f[j].s, f[j].n, "patient") ||
                    equals_nocase(f[j].s, f[j].n, "patient_id"))
                    hi = j;
                else if (equals_nocase(f[j].s, f[j].n, "diagnosis") || equals_nocase(f[j].s, f[j].n, "label"))
                    hd = j;
            }
            if (hi < k || hd < k) {
                if (hi == k || hd == k)
                    return tg_fail(TG_ERR_FORMAT, "%s:%zu: header lacks the %s column", name, line,
                                   hi == k ? "ID" : "Diagnosis");
                id_col = hi;
                dx_col = hd;
                need = (hi > hd ? hi : hd) + 1;
                continue;
            }
        }
        if (k < need)
            return tg_fail(TG_ERR_FORMAT, "%s:%zu: %zu field(s), expected at least %zu (ID%cDiagnosis)",
                           name, line, k, need, sep);
        tg_status st = check_id(name, line, &f[id_col]);
        if (st != TG_OK)
            return st;
        tg_label lab = parse_label(f[dx_col].s, f[dx_col].n);
        if (lab == TG_LABEL_UNKNOWN) {
            char ex[32];
            tg_data_excerpt(ex, sizeof ex - 1, f[dx_col].s, f[dx_col].n);
            return tg_fail(TG_ERR_FORMAT, "%s:%zu: unknown diagnosis \"%s\" (expected Healthy or Sick)",
                           name, line, ex);
        }
        if (t->count == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            tg_label_entry *ne = realloc(t->entries, ncap * sizeof *ne);
            if (!ne)
                return tg_fail(TG_ERR_NOMEM, "%s: out of memory for %zu labels", name, ncap);
            t->entries = ne;
            cap = ncap;
        }
        tg_label_entry *e = &t->entries[t->count++];
        memcpy(e->id, f[id_col].s, f[id_col].n);
        e->id[f[id_col].n] = '\0';
        e->label = lab;
        e->line = (int)line;
    }
    if (t->count == 0)
        return tg_fail(TG_ERR_FORMAT, "%s: no labels", name);
    return check_duplicates(name, t);
}

tg_status tg_labels_read_buffer(const char *data, size_t len, const char *name,
                                tg_label_table *out)
{
    if (!name)
        name = "<buffer>";
    if (!out || (!data && len))
        return tg_fail(TG_ERR_ARG, "%s: NULL output or data", name);
    out->count = 0;
    out->entries = NULL;
    if (len > LABELS_MAX_BYTES)
        return tg_fail(TG_ERR_OVERFLOW, "%s: %zu bytes exceed the limit of %zu bytes", name, len,
                       LABELS_MAX_BYTES);
    tg_status st = parse_labels(data, len, name, out);
    if (st != TG_OK)
        tg_labels_destroy(out);
    return st;
}

tg_status tg_labels_read_file(const char *path, tg_label_table *out)
{
    if (!path || !out)
        return tg_fail(TG_ERR_ARG, "tg_labels_read_file: NULL path or output");
    out->count = 0;
    out->entries = NULL;
    char *buf;
    size_t len;
    tg_status st = tg_data_read_file(path, LABELS_MAX_BYTES, &buf, &len);
    if (st != TG_OK)
        return st;
    st = tg_labels_read_buffer(buf, len, path, out);
    free(buf);
    return st;
}

void tg_labels_destroy(tg_label_table *t)
{
    if (!t)
        return;
    free(t->entries);
    t->entries = NULL;
    t->count = 0;
}

tg_status tg_labels_find(const tg_label_table *t, const char *id, tg_label *out)
{
    if (!t || !id || !out)
        return tg_fail(TG_ERR_ARG, "tg_labels_find: NULL argument");
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->entries[i].id, id) == 0) {
            *out = t->entries[i].label;
            return TG_OK;
        }
    return tg_fail(TG_ERR_NOTFOUND, "no label for patient id \"%s\"", id);
}

tg_status tg_label_from_path(const char *path, tg_label *out)
{
    if (!path || !out)
        return tg_fail(TG_ERR_ARG, "tg_label_from_path: NULL argument");
    tg_label found = TG_LABEL_UNKNOWN;
    const char *p = path;
    for (;;) {
        size_t n = strcspn(p, "/\\");
        if (p[n] == '\0')
            break; /* the last component is the file name, not a folder */
        tg_label l = parse_label(p, n);
        if (l != TG_LABEL_UNKNOWN)
            found = l;
        p += n + 1;
    }
    if (found == TG_LABEL_UNKNOWN)
        return tg_fail(TG_ERR_NOTFOUND, "%s: no healthy/ or sick/ folder in the path", path);
    *out = found;
    return TG_OK;
}
