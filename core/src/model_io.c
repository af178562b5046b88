/* The .tgm reader: framing, hash, then every field (format in model.h).
 * Every message starts "model file '<name>': " and names the section and field.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* The critical sections of format 1, in file order. */
static const uint32_t known_tags[] = {TGM_HEAD, TGM_PROV, TGM_PIPE, TGM_ARCH, TGM_CLAS, TGM_PARM, TGM_STAT};
enum { N_KNOWN = sizeof known_tags / sizeof known_tags[0] };
/* The ancillary sections this version understands (absent = defaults). */
static const uint32_t optional_tags[] = {TGM_PREP, TGM_DETE};
enum { N_OPTIONAL = sizeof optional_tags / sizeof optional_tags[0] };

/* Where each known section's payload is. */
typedef struct layout {
    const uint8_t *at[N_KNOWN];
    size_t len[N_KNOWN];
    const uint8_t *opt_at[N_OPTIONAL]; /* NULL when absent */
    size_t opt_len[N_OPTIONAL];
    size_t hash_off; /* offset of the HASH section's tag = bytes covered by the hash */
} layout;

/* A cursor over one section's payload. */
typedef struct rd {
    const uint8_t *p;
    size_t n, off;
    const char *sec;
} rd;

static void tag_text(uint32_t tag, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)(tag >> (8 * i));
        out[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    out[4] = '\0';
}

static int is_letter(unsigned c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* Splits the file into sections: lengths against the bytes left, known/unknown tags, one HASH
 * at the very end. */
static tg_status frame(const uint8_t *d, size_t size, layout *lay)
{
    memset(lay, 0, sizeof *lay);
    size_t off = TGM_HEADER_LEN;
    for (int k = 1;; k++) {
        if (off == size)
            return tg_fail(TG_ERR_FORMAT, "no HASH section: the file ends after %d sections (truncated)", k - 1);
        if (size - off < TGM_SECTION_HEADER_LEN)
            return tg_fail(TG_ERR_FORMAT, "section %d at offset %zu: header needs %d bytes, %zu left (truncated)", k,
                           off, TGM_SECTION_HEADER_LEN, size - off);
        uint32_t tag = tgm_get_u32(d + off);
        uint64_t len = tgm_get_u64(d + off + 4);
        char name[5];
        tag_text(tag, name);
        for (int i = 0; i < 4; i++)
            if (!is_letter(d[off + (size_t)i]))
                return tg_fail(TG_ERR_FORMAT, "section %d at offset %zu: invalid tag 0x%08x (corrupt)", k, off,
                               (unsigned)tag);
        size_t left = size - off - TGM_SECTION_HEADER_LEN;
        if (len > left)
            return tg_fail(TG_ERR_FORMAT,
                           "section %s at offset %zu: declared length %llu exceeds the %zu bytes left (truncated or "
                           "corrupt)",
                           name, off, (unsigned long long)len, left);
        const uint8_t *payload = d + off + TGM_SECTION_HEADER_LEN;
        if (tag == TGM_HASH) {
            if (len != TG_SHA256_BYTES)
                return tg_fail(TG_ERR_FORMAT, "HASH: length %llu, expected %d", (unsigned long long)len,
                               TG_SHA256_BYTES);
            if (left != len)
                return tg_fail(TG_ERR_FORMAT, "HASH: %zu bytes follow the final section (corrupt)",
                               left - (size_t)len);
            lay->hash_off = off;
            break;
        }
        int idx = -1, opt = -1;
        for (int i = 0; i < N_KNOWN; i++)
            if (known_tags[i] == tag)
                idx = i;
        for (int i = 0; i < N_OPTIONAL; i++)
            if (optional_tags[i] == tag)
                opt = i;
        if (opt >= 0) {
            if (lay->opt_at[opt])
                return tg_fail(TG_ERR_FORMAT, "section %s appears twice (corrupt)", name);
            lay->opt_at[opt] = payload;
            lay->opt_len[opt] = (size_t)len;
        } else if (idx >= 0) {
            if (lay->at[idx])
                return tg_fail(TG_ERR_FORMAT, "section %s appears twice (corrupt)", name);
            lay->at[idx] = payload;
            lay->len[idx] = (size_t)len;
        } else if (d[off] >= 'A' && d[off] <= 'Z') {
            return tg_fail(TG_ERR_FORMAT,
                           "unknown critical section %s at offset %zu (written by a newer ThermoGuard?)", name, off);
        }
        off += TGM_SECTION_HEADER_LEN + (size_t)len;
    }
    for (int i = 0; i < N_KNOWN; i++)
        if (!lay->at[i]) {
            char name[5];
            tag_text(known_tags[i], name);
            return tg_fail(TG_ERR_FORMAT, "missing section %s", name);
        }
    return TG_OK;
}

static rd section(const layout *lay, int idx, const char *name)
{
    rd r = {lay->at[idx], lay->len[idx], 0, name};
    return r;
}

static tg_status need(rd *r, size_t k, const char *field)
{
    if (r->n - r->off < k)
        return tg_fail(TG_ERR_FORMAT, "%s.%s: the section ends %zu bytes into a %zu-byte field (corrupt)", r->sec,
                       field, r->n - r->off, k);
    return TG_OK;
}

static tg_status r_u32(rd *r, const char *field, uint32_t *v)
{
    tg_status st = need(r, 4, field);
    if (st)
        return st;
    *v = tgm_get_u32(r->p + r->off);
    r->off += 4;
    return TG_OK;
}

static tg_status r_u64(rd *r, const char *field, uint64_t *v)
{
    tg_status st = need(r, 8, field);
    if (st)
        return st;
    *v = tgm_get_u64(r->p + r->off);
    r->off += 8;
    return TG_OK;
}

/* A 0/1 flag. */
static tg_status r_flag(rd *r, const char *field, int *v)
{
    tg_status st = need(r, 1, field);
    if (st)
        return st;
    uint8_t b = r->p[r->off++];
    if (b > 1)
        return tg_fail(TG_ERR_FORMAT, "%s.%s: flag must be 0 or 1, got %u", r->sec, field, (unsigned)b);
    *v = b;
    return TG_OK;
}

/* A signed 32-bit integer in [lo, hi]. */
static tg_status r_int(rd *r, const char *field, int lo, int hi, int *v)
{
    uint32_t u;
    tg_status st = r_u32(r, field, &u);
    if (st)
        return st;
    int32_t s = u <= 0x7fffffffu ? (int32_t)u : -(int32_t)(0xffffffffu - u) - 1;
    if (s < lo || s > hi)
        return tg_fail(TG_ERR_RANGE, "%s.%s: %ld outside %d..%d", r->sec, field, (long)s, lo, hi);
    *v = (int)s;
    return TG_OK;
}

/* An enum value in 0..count-1. */
static tg_status r_enum(rd *r, const char *field, int count, int *v)
{
    uint32_t u;
    tg_status st = r_u32(r, field, &u);
    if (st)
        return st;
    if (u >= (uint32_t)count)
        return tg_fail(TG_ERR_FORMAT, "%s.%s: invalid value %lu (0..%d)", r->sec, field, (unsigned long)u, count - 1);
    *v = (int)u;
    return TG_OK;
}

static tg_status r_f32(rd *r, const char *field, float *v)
{
    uint32_t u;
    tg_status st = r_u32(r, field, &u);
    if (st)
        return st;
    *v = tgm_bits_f32(u);
    if (!isfinite(*v))
        return tg_fail(TG_ERR_NONFINITE, "%s.%s: not finite", r->sec, field);
    return TG_OK;
}

static tg_status r_f64(rd *r, const char *field, double *v)
{
    uint64_t u;
    tg_status st = r_u64(r, field, &u);
    if (st)
        return st;
    memcpy(v, &u, 8);
    if (!isfinite(*v))
        return tg_fail(TG_ERR_NONFINITE, "%s.%s: not finite", r->sec, field);
    return TG_OK;
}

/* A string into out[cap] (NUL-terminated), checked by tgm_check_string. */
static tg_status r_str(rd *r, const char *field, char *out, size_t cap, int kind)
{
    uint32_t n;
    tg_status st = r_u32(r, field, &n);
    if (st)
        return st;
    char full[96];
    snprintf(full, sizeof full, "%s.%s", r->sec, field);
    if (n >= cap)
        return tg_fail(TG_ERR_OVERFLOW, "%s: declared length %lu above the cap of %zu", full, (unsigned long)n,
                       cap - 1);
    if ((st = need(r, n, field)))
        return st;
    const char *s = (const char *)r->p + r->off;
    if ((st = tgm_check_string(s, n, cap, kind, full)))
        return st;
    memcpy(out, s, n);
    out[n] = '\0';
    r->off += n;
    return TG_OK;
}

/* Every byte of a section must be accounted for. */
static tg_status done(const rd *r)
{
    if (r->off != r->n)
        return tg_fail(TG_ERR_FORMAT, "%s: %zu unexpected bytes after the last field (corrupt)", r->sec,
                       r->n - r->off);
    return TG_OK;
}

static tg_status read_head(rd *r, tg_model *m)
{
    tg_status st;
    if ((st = r_str(r, "name", m->name, sizeof m->name, TGM_LINE)) ||
        (st = r_str(r, "version", m->version, sizeof m->version, TGM_LINE)) ||
        (st = r_flag(r, "synthetic", &m->synthetic)))
        return st;
    return done(r);
}

static tg_status read_prov(rd *r, tg_model_provenance *p)
{
    tg_status st;
    uint32_t epochs;
    if ((st = r_str(r, "data_sha256", p->data_sha256, sizeof p->data_sha256, TGM_LINE)) ||
        (st = r_u64(r, "seed", &p->seed)) || (st = r_u32(r, "epochs", &epochs)))
        return st;
    if (epochs > 0x7fffffffu)
        return tg_fail(TG_ERR_RANGE, "PROV.epochs: %lu too large", (unsigned long)epochs);
    p->epochs = (int)epochs;
    if ((st = r_str(r, "defense", p->defense, sizeof p->defense, TGM_LINE)) ||
        (st = r_str(r, "defense_settings", p->defense_settings, sizeof p->defense_settings, TGM_TEXT)) ||
        (st = r_str(r, "attack_settings", p->attack_settings, sizeof p->attack_settings, TGM_TEXT)) ||
        (st = r_str(r, "created", p->created, sizeof p->created, TGM_LINE)) ||
        (st = r_str(r, "notes", p->notes, sizeof p->notes, TGM_TEXT)))
        return st;
    return done(r);
}

static tg_status read_pipe(rd *r, tg_pipeline_config *c, const tg_model_limits *lim)
{
    tg_status st;
    int v[8];
    memset(c, 0, sizeof *c);
    if ((st = r_int(r, "in_c", 1, 16, &c->in_c)) || (st = r_int(r, "in_h", 2, 4096, &c->in_h)) ||
        (st = r_int(r, "in_w", 2, 4096, &c->in_w)))
        return st;
    if ((size_t)c->in_h * (size_t)c->in_w > lim->max_input_pixels)
        return tg_fail(TG_ERR_OVERFLOW, "PIPE.in_h/in_w: %d x %d pixels above the limit of %zu", c->in_h, c->in_w,
                       lim->max_input_pixels);
    if ((st = r_flag(r, "has_temperature", &c->has_temperature)) || (st = r_f32(r, "t_min", &c->t_min)) ||
        (st = r_f32(r, "t_max", &c->t_max)) || (st = r_flag(r, "denoise_on", &c->denoise_on)) ||
        (st = r_str(r, "denoise.wavelet", c->denoise.wavelet, sizeof c->denoise.wavelet, TGM_LINE)) ||
        (st = r_enum(r, "denoise.mode", TG_DWT_MODE_COUNT, &v[0])) ||
        (st = r_int(r, "denoise.levels", 0, TG_DWT_MAX_LEVELS, &c->denoise.levels)) ||
        (st = r_enum(r, "denoise.threshold", 4, &v[1])) || (st = r_enum(r, "denoise.rule", 2, &v[2])) ||
        (st = r_f64(r, "denoise.sigma", &c->denoise.sigma)) ||
        (st = r_f64(r, "denoise.firm_ratio", &c->denoise.firm_ratio)) ||
        (st = r_enum(r, "denoise_grad", 2, &v[3])) ||
        (st = r_str(r, "feat_wavelet", c->feat_wavelet, sizeof c->feat_wavelet, TGM_LINE)) ||
        (st = r_enum(r, "feat_mode", TG_DWT_MODE_COUNT, &v[4])) ||
        (st = r_int(r, "feat_level", 1, TG_DWT_MAX_LEVELS, &c->feat_level)) ||
        (st = r_enum(r, "feat_bands", TG_BAND_ALL + 1, &v[5])))
        return st;
    c->denoise.mode = (tg_dwt_mode)v[0];
    c->denoise.threshold = (tg_threshold_kind)v[1];
    c->denoise.rule = (tg_shrink_rule)v[2];
    c->denoise_grad = (tg_denoise_grad)v[3];
    c->feat_mode = (tg_dwt_mode)v[4];
    c->feat_bands = (unsigned)v[5];
    if ((st = done(r)))
        return st;
    if ((st = tg_pipeline_config_check(c)))
        return tgm_wrap(st, "PIPE");
    return TG_OK;
}

/* ARCH: the spec is re-parsed (without allocating) and its counts must match the stored ones,
 * the PARM/STAT lengths and the limit, all before the network is created. */
static tg_status read_arch(rd *r, const tg_pipeline_config *cfg, const layout *lay, const tg_model_limits *lim,
                           char *spec, size_t *n_params, size_t *n_stats, int *classes)
{
    tg_status st;
    uint64_t np, ns;
    if ((st = r_str(r, "spec", spec, TG_NET_MAX_SPEC, TGM_LINE)) || (st = r_u64(r, "param_count", &np)) ||
        (st = r_u64(r, "stat_count", &ns)) || (st = done(r)))
        return st;
    if (np > lim->max_params || ns > lim->max_params)
        return tg_fail(TG_ERR_OVERFLOW, "ARCH.param_count/stat_count: %llu / %llu above the limit of %zu floats",
                       (unsigned long long)np, (unsigned long long)ns, lim->max_params);
    int c, h, w;
    tg_pipeline_feature_shape(cfg, &c, &h, &w);
    if ((st = tg_net_spec_counts(spec, c, h, w, n_params, n_stats, classes)))
        return tgm_wrap(st, "ARCH.spec");
    if (*n_params != np || *n_stats != ns)
        return tg_fail(TG_ERR_FORMAT,
                       "ARCH.param_count/stat_count: stored %llu / %llu but the spec implies %zu / %zu for a "
                       "%d x %d x %d input",
                       (unsigned long long)np, (unsigned long long)ns, *n_params, *n_stats, c, h, w);
    if (*classes < TG_MODEL_MIN_CLASSES || *classes > TG_MODEL_MAX_CLASSES)
        return tg_fail(TG_ERR_RANGE, "ARCH.spec: %d outputs; a model needs %d..%d classes", *classes,
                       TG_MODEL_MIN_CLASSES, TG_MODEL_MAX_CLASSES);
    if (lay->len[5] / 4 != *n_params || lay->len[5] % 4)
        return tg_fail(TG_ERR_FORMAT, "PARM: %zu bytes but the spec implies %zu float32 parameters", lay->len[5],
                       *n_params);
    if (lay->len[6] / 4 != *n_stats || lay->len[6] % 4)
        return tg_fail(TG_ERR_FORMAT, "STAT: %zu bytes but the spec implies %zu float32 statistics", lay->len[6],
                       *n_stats);
    return TG_OK;
}

static tg_status read_clas(rd *r, tg_model *m, int classes)
{
    tg_status st;
    int n;
    if ((st = r_int(r, "count", TG_MODEL_MIN_CLASSES, TG_MODEL_MAX_CLASSES, &n)))
        return st;
    if (n != classes)
        return tg_fail(TG_ERR_FORMAT, "CLAS.count: %d class names but the network has %d outputs", n, classes);
    m->n_classes = n;
    for (int k = 0; k < n; k++) {
        char field[24];
        snprintf(field, sizeof field, "name[%d]", k);
        if ((st = r_str(r, field, m->class_names[k], sizeof m->class_names[k], TGM_LINE)))
            return st;
    }
    if ((st = r_int(r, "positive_class", 0, n - 1, &m->positive_class)) ||
        (st = r_f64(r, "threshold", &m->threshold)))
        return st;
    if (!(m->threshold >= 0.0 && m->threshold <= 1.0))
        return tg_fail(TG_ERR_RANGE, "CLAS.threshold: %g outside [0, 1]", m->threshold);
    return done(r);
}

static tg_status read_prep(rd *r, tg_preprocess_params *p)
{
    tg_status st;
    memset(p, 0, sizeof *p);
    if ((st = r_int(r, "grid_h", 4, TG_PREPROCESS_MAX_GRID, &p->grid_h)) ||
        (st = r_int(r, "grid_w", 4, TG_PREPROCESS_MAX_GRID, &p->grid_w)) ||
        (st = r_int(r, "otsu_bins", 16, 4096, &p->otsu_bins)) ||
        (st = r_int(r, "closing_radius_px", 0, 64, &p->closing_radius_px)) ||
        (st = r_flag(r, "keep_largest", &p->keep_largest)) || (st = r_flag(r, "fill_holes", &p->fill_holes)))
        return st;
    struct {
        const char *name;
        double *v;
    } f[] = {{"min_body_fraction", &p->min_body_fraction}, {"min_separation", &p->min_separation},
             {"band_top", &p->band_top},                   {"band_bottom", &p->band_bottom},
             {"roi_center_x", &p->roi_center_x},           {"roi_center_y", &p->roi_center_y},
             {"roi_size", &p->roi_size},                   {"lateral_center_x", &p->lateral_center_x},
             {"oblique_center_x", &p->oblique_center_x},   {"lateral_size", &p->lateral_size},
             {"roi_margin", &p->roi_margin},               {"aa_sigma", &p->aa_sigma}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if ((st = r_f64(r, f[i].name, f[i].v)))
            return st;
    if ((st = done(r)))
        return st;
    if ((st = tg_preprocess_params_check(p)))
        return tgm_wrap(st, "prep");
    return TG_OK;
}

static tg_status read_dete(rd *r, tg_detector *d)
{
    tg_status st;
    memset(d, 0, sizeof *d);
    if ((st = r_int(r, "n", 1, TG_DETECTOR_MAX_SQUEEZERS, &d->n)))
        return st;
    for (int i = 0; i < d->n; i++) {
        int kind;
        if ((st = r_enum(r, "squeezer.kind", TG_SQUEEZE_JPEG + 1, &kind)) ||
            (st = r_int(r, "squeezer.bits", 0, 16, &d->sq[i].bits)) ||
            (st = r_int(r, "squeezer.size", 0, 15, &d->sq[i].size)) ||
            (st = r_int(r, "squeezer.quality", 0, 100, &d->sq[i].quality)))
            return st;
        d->sq[i].kind = (tg_squeeze_kind)kind;
    }
    if ((st = r_f64(r, "threshold", &d->threshold)) || (st = r_f64(r, "target_fpr", &d->target_fpr)) ||
        (st = r_flag(r, "calibrated", &d->calibrated)) || (st = done(r)))
        return st;
    if ((st = tg_detector_check(d)))
        return tgm_wrap(st, "dete");
    return TG_OK;
}

static void read_floats(const uint8_t *p, size_t n, float *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = tgm_bits_f32(tgm_get_u32(p + 4 * i));
}

/* Framing and hash checked; parses every section into a new model. */
static tg_status parse(const layout *lay, const tg_model_limits *lim, tg_model *m)
{
    tg_status st;
    rd r = section(lay, 0, "HEAD");
    if ((st = read_head(&r, m)))
        return st;
    r = section(lay, 1, "PROV");
    if ((st = read_prov(&r, &m->prov)))
        return st;
    r = section(lay, 2, "PIPE");
    if ((st = read_pipe(&r, &m->pipeline, lim)))
        return st;
    char spec[TG_NET_MAX_SPEC];
    size_t np, ns;
    int classes;
    r = section(lay, 3, "ARCH");
    if ((st = read_arch(&r, &m->pipeline, lay, lim, spec, &np, &ns, &classes)))
        return st;
    r = section(lay, 4, "CLAS");
    if ((st = read_clas(&r, m, classes)))
        return st;
    if (lay->opt_at[0]) {
        rd o = {lay->opt_at[0], lay->opt_len[0], 0, "prep"};
        if ((st = read_prep(&o, &m->prep)))
            return st;
    } else {
        tg_preprocess_params_default(&m->prep);
        m->prep.grid_h = m->pipeline.in_h;
        m->prep.grid_w = m->pipeline.in_w;
    }
    if (lay->opt_at[1]) {
        rd o = {lay->opt_at[1], lay->opt_len[1], 0, "dete"};
        if ((st = read_dete(&o, &m->detector)))
            return st;
    } else {
        tg_detector_default(&m->detector);
    }
    int c, h, w;
    tg_pipeline_feature_shape(&m->pipeline, &c, &h, &w);
    if ((st = tg_net_create(&m->net, spec, c, h, w)))
        return tgm_wrap(st, "ARCH.spec");
    read_floats(lay->at[5], np, m->net->params);
    read_floats(lay->at[6], ns, m->net->stats);
    if ((st = tg_model_validate(m)))
        return st;
    return TG_OK;
}

tg_status tg_model_load_buffer(const void *data, size_t size, const char *name, tg_model **out,
                               const tg_model_limits *limits)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "tg_model_load_buffer: out is NULL");
    *out = NULL;
    if (!name)
        name = "<buffer>";
    if (!data && size)
        return tg_fail(TG_ERR_ARG, "model file '%s': NULL data", name);
    tg_model_limits lim;
    if (limits)
        lim = *limits;
    else
        tg_model_limits_default(&lim);
    const uint8_t *d = data;
    if (size > lim.max_file_bytes)
        return tg_fail(TG_ERR_OVERFLOW, "model file '%s': %zu bytes, above the limit of %zu", name, size,
                       lim.max_file_bytes);
    if (size < TGM_HEADER_LEN)
        return tg_fail(TG_ERR_FORMAT, "model file '%s': %zu bytes, shorter than the %d-byte header (truncated)",
                       name, size, TGM_HEADER_LEN);
    if (memcmp(d, TGM_MAGIC, TGM_MAGIC_LEN) != 0)
        return tg_fail(TG_ERR_FORMAT, "model file '%s': not a ThermoGuard model (bad magic)", name);
    uint32_t version = tgm_get_u32(d + TGM_MAGIC_LEN);
    if (version > TG_MODEL_FORMAT_VERSION)
        return tg_fail(TG_ERR_FORMAT,
                       "model file '%s': written by a newer ThermoGuard (format %lu); this build reads format %d",
                       name, (unsigned long)version, TG_MODEL_FORMAT_VERSION);
    if (version == 0)
        return tg_fail(TG_ERR_FORMAT, "model file '%s': invalid format version 0", name);
    layout lay;
    tg_status st = frame(d, size, &lay);
    if (st)
        return tgm_wrap(st, "model file '%s'", name);
    uint8_t digest[TG_SHA256_BYTES];
    tg_sha256(d, lay.hash_off, digest);
    const uint8_t *stored = d + lay.hash_off + TGM_SECTION_HEADER_LEN;
    if (memcmp(digest, stored, TG_SHA256_BYTES) != 0) {
        char want[TG_SHA256_HEX_CHARS], got[TG_SHA256_HEX_CHARS];
        tg_sha256_hex(stored, want);
        tg_sha256_hex(digest, got);
        return tg_fail(TG_ERR_FORMAT,
                       "model file '%s': HASH: SHA-256 mismatch, the file is corrupt (stored %s, content %s)",
                       name, want, got);
    }
    tg_model *m = calloc(1, sizeof *m);
    if (!m)
        return tg_fail(TG_ERR_NOMEM, "model file '%s': out of memory", name);
    st = parse(&lay, &lim, m);
    if (st) {
        tg_model_destroy(m);
        return tgm_wrap(st, "model file '%s'", name);
    }
    tg_sha256(d, size, digest); /* the model's identity: the hash of the whole file */
    tg_sha256_hex(digest, m->sha256_hex);
    *out = m;
    return TG_OK;
}

tg_status tg_model_load(const char *path, tg_model **out, const tg_model_limits *limits)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "tg_model_load: out is NULL");
    *out = NULL;
    if (!path)
        return tg_fail(TG_ERR_ARG, "tg_model_load: path is NULL");
    tg_model_limits lim;
    if (limits)
        lim = *limits;
    else
        tg_model_limits_default(&lim);
    FILE *f = fopen(path, "rb");
    if (!f)
        return tg_fail(TG_ERR_IO, "model file '%s': cannot open", path);
    long end = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        end = ftell(f);
    if (end < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return tg_fail(TG_ERR_IO, "model file '%s': cannot determine the size", path);
    }
    if ((unsigned long)end > lim.max_file_bytes) {
        fclose(f);
        return tg_fail(TG_ERR_OVERFLOW, "model file '%s': %ld bytes, above the limit of %zu", path, end,
                       lim.max_file_bytes);
    }
    uint8_t *buf;
    tg_status st = tg_alloc_checked((void **)&buf, (size_t)end, 1, 0, "model file");
    if (st) {
        fclose(f);
        return tgm_wrap(st, "model file '%s'", path);
    }
    size_t got = fread(buf, 1, (size_t)end, f);
    int extra = fgetc(f) != EOF;
    int err = ferror(f);
    fclose(f);
    if (got != (size_t)end || extra || err) {
        free(buf);
        return tg_fail(TG_ERR_IO, "model file '%s': read failed or the file changed while reading", path);
    }
    st = tg_model_load_buffer(buf, (size_t)end, path, out, &lim);
    free(buf);
    return st;
}
