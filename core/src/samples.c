/* Breast sample sets: N samples of raw [C,H,W] °C + label + patient id + group key in one
 * allocation; checks, subsets and patient-level splits.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Layout of the one allocation: raw floats, labels, patient ids, group keys. */
static tg_status set_layout(size_t n, int c, int h, int w, size_t *px, size_t *bytes)
{
    size_t per, raw, lab, keys, total;
    tg_status st;
    if ((st = tg_size_mul((size_t)c * (size_t)h, (size_t)w, &per, "sample size")) != TG_OK ||
        (st = tg_size_mul(n, per, px, "sample set pixels")) != TG_OK ||
        (st = tg_size_mul(*px, sizeof(float), &raw, "sample set bytes")) != TG_OK ||
        (st = tg_size_mul(n, sizeof(int), &lab, "sample set bytes")) != TG_OK ||
        (st = tg_size_mul(n, 2 * TG_SAMPLE_KEY_MAX, &keys, "sample set bytes")) != TG_OK ||
        (st = tg_size_add(raw, lab, &total, "sample set bytes")) != TG_OK ||
        (st = tg_size_add(total, keys, &total, "sample set bytes")) != TG_OK)
        return st;
    if (total > TG_SAMPLE_SET_MAX_BYTES)
        return tg_fail(TG_ERR_OVERFLOW, "sample set: %zu samples of %d x %d x %d need %zu bytes, above the %zu limit",
                       n, c, h, w, total, (size_t)TG_SAMPLE_SET_MAX_BYTES);
    *bytes = total;
    return TG_OK;
}

tg_status tg_sample_set_create(tg_sample_set *s, size_t n, int c, int h, int w)
{
    if (!s)
        return tg_fail(TG_ERR_ARG, "tg_sample_set_create: NULL set");
    memset(s, 0, sizeof *s);
    if (c < 1 || h < 1 || w < 1)
        return tg_fail(TG_ERR_ARG, "tg_sample_set_create: sample shape %d x %d x %d must be positive", c, h, w);
    size_t px = 0, bytes = 0;
    tg_status st = set_layout(n, c, h, w, &px, &bytes);
    if (st != TG_OK)
        return st;
    s->c = c;
    s->h = h;
    s->w = w;
    if (n == 0)
        return TG_OK;
    char *mem = calloc(1, bytes);
    if (!mem)
        return tg_fail(TG_ERR_NOMEM, "tg_sample_set_create: out of memory for %zu bytes", bytes);
    s->mem = mem;
    s->n = n;
    s->raw = (float *)mem;
    s->labels = (int *)(mem + px * sizeof(float));
    s->patient = (char(*)[TG_SAMPLE_KEY_MAX])(mem + px * sizeof(float) + n * sizeof(int));
    s->group = s->patient + n;
    return TG_OK;
}

void tg_sample_set_destroy(tg_sample_set *s)
{
    if (!s)
        return;
    free(s->mem);
    memset(s, 0, sizeof *s);
}

static size_t sample_floats(const tg_sample_set *s) { return (size_t)s->c * (size_t)s->h * (size_t)s->w; }

tg_status tg_sample_set_put(tg_sample_set *s, size_t i, const float *raw, int label, const char *patient,
                            const char *group)
{
    if (!s || !patient)
        return tg_fail(TG_ERR_ARG, "tg_sample_set_put: NULL argument");
    if (i >= s->n)
        return tg_fail(TG_ERR_RANGE, "tg_sample_set_put: sample %zu past the end (%zu samples)", i, s->n);
    if (label != 0 && label != 1)
        return tg_fail(TG_ERR_ARG, "tg_sample_set_put: sample %zu label %d is neither 0 (healthy) nor 1 (sick)", i,
                       label);
    if (!group)
        group = "";
    size_t lp = strlen(patient), lg = strlen(group);
    if (lp == 0 || lp >= TG_SAMPLE_KEY_MAX)
        return tg_fail(TG_ERR_ARG, "tg_sample_set_put: sample %zu patient id of %zu bytes (need 1..%d)", i, lp,
                       TG_SAMPLE_KEY_MAX - 1);
    if (lg >= TG_SAMPLE_KEY_MAX)
        return tg_fail(TG_ERR_ARG, "tg_sample_set_put: sample %zu group key of %zu bytes (at most %d)", i, lg,
                       TG_SAMPLE_KEY_MAX - 1);
    if (raw)
        memcpy(s->raw + i * sample_floats(s), raw, sample_floats(s) * sizeof(float));
    s->labels[i] = label;
    memcpy(s->patient[i], patient, lp + 1);
    memcpy(s->group[i], group, lg + 1);
    return TG_OK;
}

tg_status tg_sample_set_check(const tg_sample_set *s)
{
    if (!s)
        return tg_fail(TG_ERR_ARG, "sample set: NULL");
    if (s->n > 0 && (!s->raw || !s->labels || !s->patient || !s->group))
        return tg_fail(TG_ERR_ARG, "sample set: %zu samples but missing arrays", s->n);
    size_t per = sample_floats(s);
    for (size_t i = 0; i < s->n; i++) {
        if (s->labels[i] != 0 && s->labels[i] != 1)
            return tg_fail(TG_ERR_ARG, "sample set: sample %zu (patient '%.63s') has label %d, not 0/1", i,
                           s->patient[i], s->labels[i]);
        if (s->patient[i][0] == '\0' || memchr(s->patient[i], '\0', TG_SAMPLE_KEY_MAX) == NULL)
            return tg_fail(TG_ERR_ARG, "sample set: sample %zu has no valid patient id", i);
        const float *x = s->raw + i * per;
        for (size_t k = 0; k < per; k++)
            if (!isfinite(x[k]))
                return tg_fail(TG_ERR_NONFINITE, "sample set: sample %zu (patient '%s') value %zu is %g", i,
                               s->patient[i], k, (double)x[k]);
    }
    return TG_OK;
}

tg_status tg_sample_set_subset(tg_sample_set *out, const tg_sample_set *src, const size_t *idx, size_t k)
{
    if (!out || !src || (k > 0 && !idx))
        return tg_fail(TG_ERR_ARG, "tg_sample_set_subset: NULL argument");
    memset(out, 0, sizeof *out);
    for (size_t j = 0; j < k; j++)
        if (idx[j] >= src->n)
            return tg_fail(TG_ERR_RANGE, "tg_sample_set_subset: index %zu (entry %zu) past the end (%zu samples)",
                           idx[j], j, src->n);
    tg_status st = tg_sample_set_create(out, k, src->c, src->h, src->w);
    if (st != TG_OK)
        return st;
    size_t per = sample_floats(src);
    for (size_t j = 0; j < k; j++) {
        size_t i = idx[j];
        memcpy(out->raw + j * per, src->raw + i * per, per * sizeof(float));
        out->labels[j] = src->labels[i];
        memcpy(out->patient[j], src->patient[i], TG_SAMPLE_KEY_MAX);
        memcpy(out->group[j], src->group[i], TG_SAMPLE_KEY_MAX);
    }
    return TG_OK;
}

tg_status tg_sample_set_split(const tg_sample_set *src, const tg_split_opts *opts, tg_sample_set out[3])
{
    if (!src || !out)
        return tg_fail(TG_ERR_ARG, "tg_sample_set_split: NULL argument");
    for (int k = 0; k < 3; k++)
        memset(&out[k], 0, sizeof out[k]);
    if (src->n == 0)
        return tg_fail(TG_ERR_ARG, "tg_sample_set_split: empty sample set");
    const char **ids = malloc(src->n * sizeof *ids);
    tg_label *labels = malloc(src->n * sizeof *labels);
    tg_split_set *which = malloc(src->n * sizeof *which);
    size_t *idx = malloc(src->n * sizeof *idx);
    tg_status st = TG_OK;
    if (!ids || !labels || !which || !idx) {
        st = tg_fail(TG_ERR_NOMEM, "tg_sample_set_split: out of memory");
        goto done;
    }
    for (size_t i = 0; i < src->n; i++) {
        ids[i] = src->patient[i];
        labels[i] = src->labels[i] ? TG_LABEL_SICK : TG_LABEL_HEALTHY;
    }
    if ((st = tg_split_patients(ids, labels, src->n, opts, which)) != TG_OK)
        goto done;
    for (int k = 0; k < 3 && st == TG_OK; k++) {
        size_t m = 0;
        for (size_t i = 0; i < src->n; i++)
            if ((int)which[i] == k)
                idx[m++] = i;
        st = tg_sample_set_subset(&out[k], src, idx, m);
    }
    if (st != TG_OK)
        for (int k = 0; k < 3; k++)
            tg_sample_set_destroy(&out[k]);
done:
    free(ids);
    free(labels);
    free(which);
    free(idx);
    return st;
}
