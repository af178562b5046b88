/* ThermoGuard node — the "ThermoGuard" configuration section: parsing and validation.
 * Any unknown key or invalid value makes the whole section invalid (the plugin then starts
 * disabled); the first problem is reported in words a PACS administrator can act on.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>

#include "node.h"
#include "thermoguard/sha256.h"

static int bad(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *const KEYS[] = {
    "Enable", "Models", "ActiveModel", "Modalities", "CallingAETs", "BodyParts", "SeriesDescriptions",
    "Workers", "QueueSize", "SeriesTimeoutSeconds", "MaxInstances", "MaxPixels", "Forward",
    "ForwardMaxAttempts", "ForwardRetrySeconds", "ForwardMaxRetrySeconds", "DetectorEnabled", "DetectorThreshold",
    "AuditDirectory" /* read by audit_store.c */, NULL};

static int known(const char *const *keys, const char *k)
{
    for (int i = 0; keys[i]; ++i)
        if (!strcmp(keys[i], k))
            return 1;
    return 0;
}

/* Integer option in [lo, hi]; absent keeps *out. */
static int get_int(const cJSON *sec, const char *key, long lo, long hi, long *out, char *why, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, key);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < (double)lo ||
        v->valuedouble > (double)hi)
        return bad(why, n, "ThermoGuard.%s must be an integer in %ld..%ld", key, lo, hi);
    *out = (long)v->valuedouble;
    return 0;
}

static int get_bool(const cJSON *sec, const char *key, int *out, char *why, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, key);
    if (!v)
        return 0;
    if (!cJSON_IsBool(v))
        return bad(why, n, "ThermoGuard.%s must be true or false", key);
    *out = cJSON_IsTrue(v);
    return 0;
}

/* Printable ASCII without backslash (DICOM value separator) and of length 1..size-1. */
static int plain_text(const char *s, size_t size)
{
    size_t len = strlen(s);
    if (len == 0 || len >= size)
        return 0;
    for (size_t i = 0; i < len; ++i)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
            return 0;
    return 1;
}

/* String list option; absent keeps *count. */
static int get_list(const cJSON *sec, const char *key, char *dst, size_t width, int *count, int upper,
                    char *why, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, key);
    if (!v)
        return 0;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > TG_NODE_MAX_FILTER)
        return bad(why, n, "ThermoGuard.%s must be an array of at most %d strings", key, TG_NODE_MAX_FILTER);
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsString(e) || !plain_text(e->valuestring, width))
            return bad(why, n, "ThermoGuard.%s[%d] must be a printable string of 1..%zu characters", key, k,
                       width - 1);
        char *d = dst + (size_t)k * width;
        snprintf(d, width, "%s", e->valuestring);
        if (upper)
            for (char *c = d; *c; ++c)
                *c = (char)toupper((unsigned char)*c);
        ++k;
    }
    *count = k;
    return 0;
}

static int is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; ++i)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* SHA-256 (lowercase hex) of the model file at path, at most TG_NODE_MAX_MODEL_BYTES long. 0, or -1
 * when it cannot be read, is larger or is not a regular file: a FIFO or device named by mistake
 * must not block or stall Orthanc's start-up (O_NONBLOCK: opening a FIFO otherwise waits for a writer). */
static int sha256_file(const char *path, char hex[TG_SHA256_HEX_CHARS])
{
    const size_t max_bytes = TG_NODE_MAX_MODEL_BYTES;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    FILE *f = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fdopen(fd, "rb") : NULL;
    if (!f) {
        close(fd);
        return -1;
    }
    tg_sha256_ctx s;
    tg_sha256_init(&s);
    unsigned char buf[16384];
    size_t n, total = 0;
    int err = 0;
    while (!err && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        total += n;
        err = total > max_bytes;
        tg_sha256_update(&s, buf, n);
    }
    err |= ferror(f);
    fclose(f);
    if (err)
        return -1;
    uint8_t digest[TG_SHA256_BYTES];
    tg_sha256_final(&s, digest);
    tg_sha256_hex(digest, hex);
    return 0;
}

static int load_models(const cJSON *sec, tg_node_config *cfg, tg_node_hash_fn hash, char *why, size_t n)
{
    static const char *const MKEYS[] = {"Name", "Version", "Path", "SHA256", NULL};
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, "Models");
    if (v) {
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > TG_NODE_MAX_MODELS)
            return bad(why, n, "ThermoGuard.Models must be an array of at most %d objects", TG_NODE_MAX_MODELS);
        const cJSON *m;
        cJSON_ArrayForEach(m, v)
        {
            int i = cfg->n_models;
            tg_node_model_cfg *mc = &cfg->models[i];
            if (!cJSON_IsObject(m))
                return bad(why, n, "ThermoGuard.Models[%d] must be an object", i);
            for (const cJSON *f = m->child; f; f = f->next)
                if (!known(MKEYS, f->string))
                    return bad(why, n, "ThermoGuard.Models[%d]: unknown key \"%s\" (known: Name, Version, Path, SHA256)",
                               i, f->string);
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(m, "Name");
            const cJSON *ver = cJSON_GetObjectItemCaseSensitive(m, "Version");
            const cJSON *path = cJSON_GetObjectItemCaseSensitive(m, "Path");
            const cJSON *sha = cJSON_GetObjectItemCaseSensitive(m, "SHA256");
            if (!cJSON_IsString(name) || !plain_text(name->valuestring, sizeof mc->name))
                return bad(why, n, "ThermoGuard.Models[%d].Name must be a printable string of 1..63 characters", i);
            if (ver && (!cJSON_IsString(ver) || !plain_text(ver->valuestring, sizeof mc->version)))
                return bad(why, n, "ThermoGuard.Models[%d].Version must be a printable string of 1..31 characters", i);
            if (!cJSON_IsString(path) || !*path->valuestring || strlen(path->valuestring) >= sizeof mc->path)
                return bad(why, n, "ThermoGuard.Models[%d].Path must be a file path", i);
            if (!cJSON_IsString(sha) || !is_hex64(sha->valuestring))
                return bad(why, n, "ThermoGuard.Models[%d].SHA256 must be 64 hex digits (sha256sum of the file)", i);
            for (int j = 0; j < i; ++j)
                if (!strcmp(cfg->models[j].name, name->valuestring))
                    return bad(why, n, "ThermoGuard.Models: duplicate Name \"%s\"", name->valuestring);
            snprintf(mc->name, sizeof mc->name, "%s", name->valuestring);
            snprintf(mc->version, sizeof mc->version, "%s", ver ? ver->valuestring : "unversioned");
            snprintf(mc->path, sizeof mc->path, "%s", path->valuestring);
            for (int j = 0; j < 65; ++j)
                mc->sha256[j] = (char)tolower((unsigned char)sha->valuestring[j]);
            char actual[TG_SHA256_HEX_CHARS];
            if (hash(mc->path, actual) != 0)
                return bad(why, n, "ThermoGuard.Models[%d] (\"%s\"): cannot read %s (or larger than 1 GiB)", i,
                           mc->name, mc->path);
            if (strcmp(actual, mc->sha256) != 0)
                return bad(why, n, "ThermoGuard.Models[%d] (\"%s\"): SHA-256 of %s is %s, pinned %s", i, mc->name,
                           mc->path, actual, mc->sha256);
            cfg->n_models++;
        }
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(sec, "ActiveModel");
    if (a) {
        if (!cJSON_IsString(a))
            return bad(why, n, "ThermoGuard.ActiveModel must be a model Name (or \"\" for none)");
        if (*a->valuestring) {
            for (int i = 0; i < cfg->n_models; ++i)
                if (!strcmp(cfg->models[i].name, a->valuestring))
                    cfg->active = i;
            if (cfg->active < 0)
                return bad(why, n, "ThermoGuard.ActiveModel \"%s\" is not among ThermoGuard.Models", a->valuestring);
        }
    }
    return 0;
}

static int load_forward(const cJSON *sec, tg_node_config *cfg, char *why, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, "Forward");
    if (!v)
        return 0;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > TG_NODE_MAX_FORWARD)
        return bad(why, n, "ThermoGuard.Forward must be an array of at most %d objects", TG_NODE_MAX_FORWARD);
    const cJSON *f;
    cJSON_ArrayForEach(f, v)
    {
        int i = cfg->n_forward;
        const cJSON *mod = cJSON_GetObjectItemCaseSensitive(f, "Modality");
        const cJSON *peer = cJSON_GetObjectItemCaseSensitive(f, "Peer");
        if (!cJSON_IsObject(f) || cJSON_GetArraySize(f) != 1 || (!mod && !peer))
            return bad(why, n, "ThermoGuard.Forward[%d] must be {\"Modality\": NAME} or {\"Peer\": NAME}", i);
        const cJSON *name = mod ? mod : peer;
        if (!cJSON_IsString(name) || !plain_text(name->valuestring, sizeof cfg->forward[i].name) ||
            strchr(name->valuestring, '/'))
            return bad(why, n, "ThermoGuard.Forward[%d]: target name must be a printable string without '/'", i);
        cfg->forward[i].peer = peer != NULL;
        snprintf(cfg->forward[i].name, sizeof cfg->forward[i].name, "%s", name->valuestring);
        cfg->n_forward++;
    }
    return 0;
}

/* Every metadata name the plugin writes must be declared in UserMetadata (1024..65535). */
static int check_user_metadata(const cJSON *root, char *why, size_t n)
{
    static const char *const NAMES[] = {TG_META_KEY, TG_META_RESULT, TG_META_SOURCE, TG_META_CLAIM};
    const cJSON *um = cJSON_GetObjectItemCaseSensitive(root, "UserMetadata");
    for (int i = 0; i < 4; ++i) {
        const cJSON *v = um ? cJSON_GetObjectItemCaseSensitive(um, NAMES[i]) : NULL;
        if (!cJSON_IsNumber(v) || v->valuedouble < 1024 || v->valuedouble > 65535)
            return bad(why, n,
                       "UserMetadata must declare \"%s\" (an index in 1024..65535): add \"ThermoGuardKey\": 4600, "
                       "\"ThermoGuardResult\": 4601, \"ThermoGuardSource\": 4602, \"ThermoGuardClaim\": 4603 to the "
                       "\"UserMetadata\" section "
                       "of Orthanc's configuration (see the thermoguard.json snippet)",
                       NAMES[i]);
    }
    return 0;
}

static void defaults(tg_node_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->enable = 1;
    cfg->active = -1;
    snprintf(cfg->modalities[0], sizeof cfg->modalities[0], "TG");
    cfg->n_modalities = 1;
    cfg->workers = 2;
    cfg->queue_size = 256;
    cfg->series_timeout_s = 120;
    cfg->max_instances = 64;
    cfg->max_pixels = 16L << 20;
    cfg->forward_max_attempts = 10;
    cfg->forward_retry_s = 5;
    cfg->forward_max_retry_s = 600;
    cfg->detector_threshold = -1.0; /* use the model's calibrated detector */
}

static int load_section(const cJSON *root, tg_node_config *cfg, tg_node_hash_fn hash, char *why, size_t n)
{
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(root, "ThermoGuard");
    if (!sec)
        return 0;
    if (!cJSON_IsObject(sec))
        return bad(why, n, "the \"ThermoGuard\" configuration section must be a JSON object");
    for (const cJSON *f = sec->child; f; f = f->next)
        if (!known(KEYS, f->string))
            return bad(why, n, "ThermoGuard: unknown key \"%s\"", f->string);
    long workers = cfg->workers, qs = cfg->queue_size, to = cfg->series_timeout_s, mi = cfg->max_instances;
    long fa = cfg->forward_max_attempts, fr = cfg->forward_retry_s, fm = cfg->forward_max_retry_s;
    if (get_bool(sec, "Enable", &cfg->enable, why, n) || load_models(sec, cfg, hash, why, n) ||
        get_list(sec, "Modalities", &cfg->modalities[0][0], sizeof cfg->modalities[0], &cfg->n_modalities, 1, why, n) ||
        get_list(sec, "CallingAETs", &cfg->aets[0][0], sizeof cfg->aets[0], &cfg->n_aets, 0, why, n) ||
        get_list(sec, "BodyParts", &cfg->body_parts[0][0], sizeof cfg->body_parts[0], &cfg->n_body_parts, 1, why, n) ||
        get_list(sec, "SeriesDescriptions", &cfg->descriptions[0][0], sizeof cfg->descriptions[0],
                 &cfg->n_descriptions, 0, why, n) ||
        get_int(sec, "Workers", 1, 16, &workers, why, n) || get_int(sec, "QueueSize", 1, 10000, &qs, why, n) ||
        get_int(sec, "SeriesTimeoutSeconds", 1, 3600, &to, why, n) ||
        get_int(sec, "MaxInstances", 1, 1024, &mi, why, n) ||
        get_int(sec, "MaxPixels", 1, 1L << 26, &cfg->max_pixels, why, n) || load_forward(sec, cfg, why, n) ||
        get_int(sec, "ForwardMaxAttempts", 1, 1000, &fa, why, n) ||
        get_int(sec, "ForwardRetrySeconds", 1, 3600, &fr, why, n) ||
        get_int(sec, "ForwardMaxRetrySeconds", 1, 86400, &fm, why, n) ||
        get_bool(sec, "DetectorEnabled", &cfg->detector_enabled, why, n))
        return -1;
    cfg->workers = (int)workers;
    cfg->queue_size = (int)qs;
    cfg->series_timeout_s = (int)to;
    cfg->max_instances = (int)mi;
    cfg->forward_max_attempts = (int)fa;
    cfg->forward_retry_s = (int)fr;
    cfg->forward_max_retry_s = (int)fm;
    if (fm < fr)
        return bad(why, n, "ThermoGuard.ForwardMaxRetrySeconds (%ld) must be at least ForwardRetrySeconds (%ld)", fm, fr);
    if (cfg->n_modalities == 0)
        return bad(why, n, "ThermoGuard.Modalities must name at least one modality (default [\"TG\"])");
    for (int i = 0; i < cfg->n_modalities; ++i)
        if (!strcmp(cfg->modalities[i], "SR"))
            return bad(why, n, "ThermoGuard.Modalities must not contain \"SR\" (the node's own output)");
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(sec, "DetectorThreshold");
    if (th) {
        if (!cJSON_IsNumber(th) || !isfinite(th->valuedouble) || th->valuedouble < 0 || th->valuedouble > 1e6)
            return bad(why, n, "ThermoGuard.DetectorThreshold must be a number in 0..1e6");
        cfg->detector_threshold = th->valuedouble;
    }
    return 0;
}

int tg_node_config_parse(const char *json, tg_node_hash_fn hash, tg_node_config *cfg, char *why, size_t why_size)
{
    defaults(cfg);
    why[0] = '\0';
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return bad(why, why_size, "Orthanc's configuration could not be read as a JSON object");
    }
    int rc = load_section(root, cfg, hash, why, why_size);
    if (rc == 0)
        rc = check_user_metadata(root, why, why_size);
    cJSON_Delete(root);
    if (rc == 0 && !cfg->enable)
        rc = bad(why, why_size, "ThermoGuard.Enable is false");
    return rc;
}

int tg_node_config_load(const char *json, tg_node_config *cfg, char *why, size_t why_size)
{
    return tg_node_config_parse(json, sha256_file, cfg, why, why_size);
}
