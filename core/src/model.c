/* Models: creation, validation and the .tgm writer (the reader is model_io.c).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

tg_status tgm_wrap(tg_status st, const char *fmt, ...)
{
    char prefix[512], msg[1024];
    snprintf(msg, sizeof msg, "%s", tg_last_error());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    return tg_fail(st, "%s: %s", prefix, msg);
}

tg_status tgm_check_string(const char *s, size_t n, size_t cap, int kind, const char *field)
{
    if (n >= cap)
        return tg_fail(TG_ERR_OVERFLOW, "%s: %zu bytes, above the cap of %zu", field, n, cap - 1);
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        if (c < 0x20 || c == 0x7f) {
            if (kind == TGM_TEXT && (c == '\t' || c == '\n' || c == '\r')) {
                i++;
                continue;
            }
            return tg_fail(TG_ERR_FORMAT, "%s: control character 0x%02x at byte %zu", field, c, i);
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        /* UTF-8: lead byte gives the length; reject overlong forms, surrogates, > U+10FFFF. */
        size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (len == 0 || n - i < len)
            return tg_fail(TG_ERR_FORMAT, "%s: invalid UTF-8 at byte %zu", field, i);
        unsigned lo = 0x80, hi = 0xbf;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
        else if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
        if (u[i + 1] < lo || u[i + 1] > hi)
            return tg_fail(TG_ERR_FORMAT, "%s: invalid UTF-8 at byte %zu", field, i);
        for (size_t k = 2; k < len; k++)
            if ((u[i + k] & 0xc0) != 0x80)
                return tg_fail(TG_ERR_FORMAT, "%s: invalid UTF-8 at byte %zu", field, i + k);
        i += len;
    }
    return TG_OK;
}

/* A NUL-terminated string field of a model held in a buffer of `cap` bytes. */
static tg_status check_cstr(const char *s, size_t cap, int kind, int nonempty, const char *field)
{
    const char *end = memchr(s, '\0', cap);
    if (!end)
        return tg_fail(TG_ERR_OVERFLOW, "%s: not terminated within %zu bytes", field, cap);
    if (nonempty && end == s)
        return tg_fail(TG_ERR_FORMAT, "%s: must not be empty", field);
    return tgm_check_string(s, (size_t)(end - s), cap, kind, field);
}

void tg_model_limits_default(tg_model_limits *l)
{
    l->max_file_bytes = TG_MODEL_DEFAULT_MAX_FILE;
    l->max_params = TG_NET_MAX_PARAMS;
    l->max_input_pixels = (size_t)4096 * 4096;
}

void tg_model_destroy(tg_model *m)
{
    if (!m)
        return;
    tg_net_destroy(m->net);
    free(m);
}

tg_status tg_model_create(tg_model **out, const char *name, const char *spec, const tg_pipeline_config *cfg)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "tg_model_create: out is NULL");
    *out = NULL;
    if (!name || !spec || !cfg)
        return tg_fail(TG_ERR_ARG, "tg_model_create: NULL %s", !name ? "name" : !spec ? "spec" : "cfg");
    if (strlen(name) >= TG_MODEL_MAX_NAME || name[0] == '\0')
        return tg_fail(TG_ERR_ARG, "tg_model_create: name must have 1..%d bytes", TG_MODEL_MAX_NAME - 1);
    int c, h, w;
    tg_status st = tg_pipeline_feature_shape(cfg, &c, &h, &w);
    if (st != TG_OK)
        return st;
    tg_model *m = calloc(1, sizeof *m);
    if (!m)
        return tg_fail(TG_ERR_NOMEM, "tg_model_create: out of memory");
    st = tg_net_create(&m->net, spec, c, h, w);
    if (st == TG_OK && (m->net->classes < TG_MODEL_MIN_CLASSES || m->net->classes > TG_MODEL_MAX_CLASSES))
        st = tg_fail(TG_ERR_RANGE, "tg_model_create: the network has %d outputs; a model needs %d..%d classes",
                     m->net->classes, TG_MODEL_MIN_CLASSES, TG_MODEL_MAX_CLASSES);
    if (st != TG_OK) {
        tg_model_destroy(m);
        return st;
    }
    strcpy(m->name, name);
    strcpy(m->version, "0");
    m->n_classes = m->net->classes;
    for (int k = 0; k < m->n_classes; k++)
        snprintf(m->class_names[k], sizeof m->class_names[k], "class%d", k);
    if (m->n_classes == 2) {
        strcpy(m->class_names[0], "healthy");
        strcpy(m->class_names[1], "sick");
    }
    m->positive_class = m->n_classes - 1;
    m->threshold = 0.5;
    m->pipeline = *cfg;
    tg_preprocess_params_default(&m->prep);
    m->prep.grid_h = cfg->in_h;
    m->prep.grid_w = cfg->in_w;
    tg_detector_default(&m->detector);
    *out = m;
    return TG_OK;
}

/* Finite parameters and statistics, BN running variances >= 0. */
static tg_status check_weights(const tg_net *net)
{
    for (size_t i = 0; i < net->n_params; i++)
        if (!isfinite(net->params[i]))
            return tg_fail(TG_ERR_NONFINITE, "PARM: parameter %zu is not finite", i);
    for (size_t i = 0; i < net->n_stats; i++)
        if (!isfinite(net->stats[i]))
            return tg_fail(TG_ERR_NONFINITE, "STAT: statistic %zu is not finite", i);
    for (int i = 0; i < net->n_layers; i++) {
        const tg_layer *l = &net->layers[i];
        if (l->kind != TG_LAYER_BN)
            continue;
        for (int set = 0; set < l->sets; set++)
            for (int c = 0; c < l->c; c++) {
                size_t at = l->stat_off + (size_t)2 * set * l->c + l->c + c;
                if (net->stats[at] < 0.0f)
                    return tg_fail(TG_ERR_RANGE, "STAT: running variance %zu (layer %d, channel %d) is negative",
                                   at, i + 1, c);
            }
    }
    return TG_OK;
}

/* Everything but the weights: strings, classes, threshold, provenance, config vs network. */
static tg_status check_fields(const tg_model *m)
{
    tg_status st;
    if ((st = check_cstr(m->name, sizeof m->name, TGM_LINE, 1, "HEAD.name")) ||
        (st = check_cstr(m->version, sizeof m->version, TGM_LINE, 1, "HEAD.version")))
        return st;
    if (m->synthetic != 0 && m->synthetic != 1)
        return tg_fail(TG_ERR_RANGE, "HEAD.synthetic: must be 0 or 1, got %d", m->synthetic);
    const tg_model_provenance *p = &m->prov;
    if ((st = check_cstr(p->data_sha256, sizeof p->data_sha256, TGM_LINE, 0, "PROV.data_sha256")))
        return st;
    size_t hl = strlen(p->data_sha256);
    if (hl != 0 && (hl != 64 || strspn(p->data_sha256, "0123456789abcdef") != 64))
        return tg_fail(TG_ERR_FORMAT, "PROV.data_sha256: must be empty or 64 lowercase hex digits");
    if (p->epochs < 0)
        return tg_fail(TG_ERR_RANGE, "PROV.epochs: %d is negative", p->epochs);
    if ((st = check_cstr(p->defense, sizeof p->defense, TGM_LINE, 0, "PROV.defense")) ||
        (st = check_cstr(p->defense_settings, sizeof p->defense_settings, TGM_TEXT, 0, "PROV.defense_settings")) ||
        (st = check_cstr(p->attack_settings, sizeof p->attack_settings, TGM_TEXT, 0, "PROV.attack_settings")) ||
        (st = check_cstr(p->created, sizeof p->created, TGM_LINE, 0, "PROV.created")) ||
        (st = check_cstr(p->notes, sizeof p->notes, TGM_TEXT, 0, "PROV.notes")))
        return st;
    if (m->n_classes < TG_MODEL_MIN_CLASSES || m->n_classes > TG_MODEL_MAX_CLASSES)
        return tg_fail(TG_ERR_RANGE, "CLAS.count: %d outside %d..%d", m->n_classes, TG_MODEL_MIN_CLASSES,
                       TG_MODEL_MAX_CLASSES);
    for (int k = 0; k < m->n_classes; k++) {
        char field[32];
        snprintf(field, sizeof field, "CLAS.name[%d]", k);
        if ((st = check_cstr(m->class_names[k], sizeof m->class_names[k], TGM_LINE, 1, field)))
            return st;
        for (int j = 0; j < k; j++)
            if (strcmp(m->class_names[j], m->class_names[k]) == 0)
                return tg_fail(TG_ERR_FORMAT, "%s: '%s' repeats class %d", field, m->class_names[k], j);
    }
    if (m->positive_class < 0 || m->positive_class >= m->n_classes)
        return tg_fail(TG_ERR_RANGE, "CLAS.positive_class: %d outside 0..%d", m->positive_class, m->n_classes - 1);
    if (!(m->threshold >= 0.0 && m->threshold <= 1.0))
        return tg_fail(TG_ERR_RANGE, "CLAS.threshold: %g outside [0, 1]", m->threshold);
    if ((st = tg_pipeline_config_check(&m->pipeline)))
        return tgm_wrap(st, "PIPE");
    if ((st = tg_preprocess_params_check(&m->prep)))
        return tgm_wrap(st, "prep");
    if ((m->prep.keep_largest != 0 && m->prep.keep_largest != 1) || (m->prep.fill_holes != 0 && m->prep.fill_holes != 1))
        return tg_fail(TG_ERR_RANGE, "prep.keep_largest/fill_holes: must be 0 or 1");
    if (m->prep.grid_h != m->pipeline.in_h || m->prep.grid_w != m->pipeline.in_w)
        return tg_fail(TG_ERR_FORMAT, "prep.grid: %d x %d but the pipeline input is %d x %d", m->prep.grid_h,
                       m->prep.grid_w, m->pipeline.in_h, m->pipeline.in_w);
    if ((st = tg_detector_check(&m->detector)))
        return tgm_wrap(st, "dete");
    if (!m->net)
        return tg_fail(TG_ERR_ARG, "ARCH: the model has no network");
    int c, h, w;
    tg_pipeline_feature_shape(&m->pipeline, &c, &h, &w);
    if (m->net->in_c != c || m->net->in_h != h || m->net->in_w != w)
        return tg_fail(TG_ERR_FORMAT, "ARCH: network input %d x %d x %d but the pipeline features are %d x %d x %d",
                       m->net->in_c, m->net->in_h, m->net->in_w, c, h, w);
    if (m->net->classes != m->n_classes)
        return tg_fail(TG_ERR_FORMAT, "CLAS.count: %d class names but the network has %d outputs", m->n_classes,
                       m->net->classes);
    return TG_OK;
}

tg_status tg_model_validate(const tg_model *m)
{
    if (!m)
        return tg_fail(TG_ERR_ARG, "tg_model_validate: NULL model");
    tg_status st = check_fields(m);
    return st ? st : check_weights(m->net);
}

/* ---- writer ---------------------------------------------------------------------------------- */

/* Growable output buffer; `bad` latches the first allocation failure. */
typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
    int bad;
} wbuf;

static uint8_t *grow(wbuf *b, size_t k)
{
    if (b->bad)
        return NULL;
    if (b->cap - b->n < k) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->n < k) {
            if (cap > SIZE_MAX / 2) {
                b->bad = 1;
                return NULL;
            }
            cap *= 2;
        }
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->bad = 1;
            return NULL;
        }
        b->p = q;
        b->cap = cap;
    }
    uint8_t *at = b->p + b->n;
    b->n += k;
    return at;
}

static void w_u8(wbuf *b, unsigned v)
{
    uint8_t *p = grow(b, 1);
    if (p)
        *p = (uint8_t)v;
}

static void w_u32(wbuf *b, uint32_t v)
{
    uint8_t *p = grow(b, 4);
    if (p)
        tgm_put_u32(p, v);
}

static void w_u64(wbuf *b, uint64_t v)
{
    uint8_t *p = grow(b, 8);
    if (p)
        tgm_put_u64(p, v);
}

static void w_i32(wbuf *b, int v) { w_u32(b, (uint32_t)v); }
static void w_f32(wbuf *b, float v) { w_u32(b, tgm_f32_bits(v)); }

static void w_f64(wbuf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    w_u64(b, u);
}

static void w_bytes(wbuf *b, const void *s, size_t n)
{
    uint8_t *p = grow(b, n);
    if (p && n)
        memcpy(p, s, n);
}

static void w_str(wbuf *b, const char *s)
{
    size_t n = strlen(s);
    w_u32(b, (uint32_t)n);
    w_bytes(b, s, n);
}

static void w_floats(wbuf *b, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        w_f32(b, v[i]);
}

/* Starts a section; returns the offset of its length field for end_section. */
static size_t begin_section(wbuf *b, uint32_t tag)
{
    w_u32(b, tag);
    size_t at = b->n;
    w_u64(b, 0);
    return at;
}

static void end_section(wbuf *b, size_t len_at)
{
    if (!b->bad)
        tgm_put_u64(b->p + len_at, (uint64_t)(b->n - len_at - 8));
}

static void write_pipeline(wbuf *b, const tg_pipeline_config *c)
{
    w_i32(b, c->in_c);
    w_i32(b, c->in_h);
    w_i32(b, c->in_w);
    w_u8(b, (unsigned)c->has_temperature);
    w_f32(b, c->t_min);
    w_f32(b, c->t_max);
    w_u8(b, (unsigned)c->denoise_on);
    w_str(b, c->denoise.wavelet);
    w_u32(b, (uint32_t)c->denoise.mode);
    w_i32(b, c->denoise.levels);
    w_u32(b, (uint32_t)c->denoise.threshold);
    w_u32(b, (uint32_t)c->denoise.rule);
    w_f64(b, c->denoise.sigma);
    w_f64(b, c->denoise.firm_ratio);
    w_u32(b, (uint32_t)c->denoise_grad);
    w_str(b, c->feat_wavelet);
    w_u32(b, (uint32_t)c->feat_mode);
    w_i32(b, c->feat_level);
    w_u32(b, c->feat_bands);
}

static void write_prep(wbuf *b, const tg_preprocess_params *p)
{
    w_i32(b, p->grid_h);
    w_i32(b, p->grid_w);
    w_i32(b, p->otsu_bins);
    w_i32(b, p->closing_radius_px);
    w_u8(b, (unsigned)p->keep_largest);
    w_u8(b, (unsigned)p->fill_holes);
    const double f[] = {p->min_body_fraction, p->min_separation, p->band_top,         p->band_bottom,
                        p->roi_center_x,      p->roi_center_y,   p->roi_size,         p->lateral_center_x,
                        p->oblique_center_x,  p->lateral_size,   p->roi_margin,       p->aa_sigma};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        w_f64(b, f[i]);
}

static void write_detector(wbuf *b, const tg_detector *d)
{
    w_u32(b, (uint32_t)d->n);
    for (int i = 0; i < d->n; i++) {
        w_u32(b, (uint32_t)d->sq[i].kind);
        w_i32(b, d->sq[i].bits);
        w_i32(b, d->sq[i].size);
        w_i32(b, d->sq[i].quality);
    }
    w_f64(b, d->threshold);
    w_f64(b, d->target_fpr);
    w_u8(b, (unsigned)d->calibrated);
}

tg_status tg_model_save_buffer(tg_model *m, uint8_t **data, size_t *size)
{
    if (!m || !data || !size)
        return tg_fail(TG_ERR_ARG, "tg_model_save_buffer: NULL argument");
    *data = NULL;
    *size = 0;
    tg_status st = tg_model_validate(m);
    if (st)
        return tgm_wrap(st, "model '%s' cannot be saved", m->name[0] ? m->name : "?");
    wbuf b = {0};
    w_bytes(&b, TGM_MAGIC, TGM_MAGIC_LEN);
    w_u32(&b, TG_MODEL_FORMAT_VERSION);
    size_t s = begin_section(&b, TGM_HEAD);
    w_str(&b, m->name);
    w_str(&b, m->version);
    w_u8(&b, (unsigned)m->synthetic);
    end_section(&b, s);
    const tg_model_provenance *p = &m->prov;
    s = begin_section(&b, TGM_PROV);
    w_str(&b, p->data_sha256);
    w_u64(&b, p->seed);
    w_u32(&b, (uint32_t)p->epochs);
    w_str(&b, p->defense);
    w_str(&b, p->defense_settings);
    w_str(&b, p->attack_settings);
    w_str(&b, p->created);
    w_str(&b, p->notes);
    end_section(&b, s);
    s = begin_section(&b, TGM_PIPE);
    write_pipeline(&b, &m->pipeline);
    end_section(&b, s);
    s = begin_section(&b, TGM_ARCH);
    w_str(&b, m->net->spec);
    w_u64(&b, m->net->n_params);
    w_u64(&b, m->net->n_stats);
    end_section(&b, s);
    s = begin_section(&b, TGM_CLAS);
    w_u32(&b, (uint32_t)m->n_classes);
    for (int k = 0; k < m->n_classes; k++)
        w_str(&b, m->class_names[k]);
    w_u32(&b, (uint32_t)m->positive_class);
    w_f64(&b, m->threshold);
    end_section(&b, s);
    s = begin_section(&b, TGM_PREP);
    write_prep(&b, &m->prep);
    end_section(&b, s);
    s = begin_section(&b, TGM_DETE);
    write_detector(&b, &m->detector);
    end_section(&b, s);
    s = begin_section(&b, TGM_PARM);
    w_floats(&b, m->net->params, m->net->n_params);
    end_section(&b, s);
    s = begin_section(&b, TGM_STAT);
    w_floats(&b, m->net->stats, m->net->n_stats);
    end_section(&b, s);
    size_t hashed = b.n;
    s = begin_section(&b, TGM_HASH);
    uint8_t *digest = grow(&b, TG_SHA256_BYTES);
    end_section(&b, s);
    if (b.bad) {
        free(b.p);
        return tg_fail(TG_ERR_NOMEM, "model '%s': out of memory serialising", m->name);
    }
    tg_sha256(b.p, hashed, digest);
    uint8_t whole[TG_SHA256_BYTES];
    tg_sha256(b.p, b.n, whole);
    tg_sha256_hex(whole, m->sha256_hex);
    *data = b.p;
    *size = b.n;
    return TG_OK;
}

tg_status tg_model_save(tg_model *m, const char *path)
{
    if (!m || !path)
        return tg_fail(TG_ERR_ARG, "tg_model_save: NULL argument");
    uint8_t *data;
    size_t size;
    char old_hash[TG_SHA256_HEX_CHARS];
    memcpy(old_hash, m->sha256_hex, sizeof old_hash);
    tg_status st = tg_model_save_buffer(m, &data, &size);
    if (st)
        return st;
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 5);
    if (!tmp) {
        free(data);
        memcpy(m->sha256_hex, old_hash, sizeof old_hash);
        return tg_fail(TG_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(data, 1, size, f) == size;
    ok = (f && fclose(f) == 0) && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        remove(tmp);
        st = tg_fail(TG_ERR_IO, "%s: cannot write the model file", path);
        memcpy(m->sha256_hex, old_hash, sizeof old_hash);
    }
    free(tmp);
    free(data);
    return st;
}

const char *tg_model_sha256_hex(const tg_model *m) { return m ? m->sha256_hex : ""; }

tg_status tg_model_pipeline(tg_model *m, int max_batch, tg_pipeline **out)
{
    if (!m || !out)
        return tg_fail(TG_ERR_ARG, "tg_model_pipeline: NULL argument");
    return tg_pipeline_create(out, &m->pipeline, m->net, max_batch);
}
