/* ThermoGuard node — pure parsers of REST bodies, URL ids and Orthanc's answers (rest_body.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>

#include "rest_body.h"

/* Exactly one key, "Name", with a string value. */
int tg_body_switch_parse(const char *body, size_t size, tg_body_switch *out)
{
    out->name[0] = '\0';
    cJSON *b = cJSON_ParseWithLength(body, size);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "Name");
    int ok = cJSON_IsObject(b) && cJSON_GetArraySize(b) == 1 && cJSON_IsString(name);
    if (ok && strlen(name->valuestring) < sizeof out->name)
        snprintf(out->name, sizeof out->name, "%s", name->valuestring);
    cJSON_Delete(b);
    return ok ? 0 : -1;
}

/* An empty body is no options; otherwise an object whose only possible key is a boolean "Force". */
int tg_body_analyze_parse(const char *body, size_t size, tg_body_analyze *out)
{
    out->force = 0;
    if (size == 0)
        return 0;
    cJSON *b = cJSON_ParseWithLength(body, size);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(b, "Force");
    int ok = cJSON_IsObject(b) && cJSON_GetArraySize(b) == (f ? 1 : 0) && (!f || cJSON_IsBool(f));
    out->force = f && cJSON_IsTrue(f);
    cJSON_Delete(b);
    return ok ? 0 : -1;
}

/* Checked character by character, so a URL group of any length is safe. */
int tg_valid_orthanc_id(const char *id)
{
    if (!id || strlen(id) != 44)
        return 0;
    for (int i = 0; i < 44; ++i) {
        if (i % 9 == 8) {
            if (id[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i])) {
            return 0;
        }
    }
    return 1;
}

/* A result written by another node or version may lack the key or hold anything there. */
int tg_result_sr(const char *text, size_t size, char *sr, size_t sr_size)
{
    sr[0] = '\0';
    cJSON *r = text ? cJSON_ParseWithLength(text, size) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "SRInstance");
    int ok = cJSON_IsString(v) && strlen(v->valuestring) < sr_size;
    if (ok)
        snprintf(sr, sr_size, "%s", v->valuestring);
    cJSON_Delete(r);
    return ok ? 0 : -1;
}

/* Header names are case-insensitive in HTTP; Orthanc reports them as it received them. */
void tg_etag_from_headers(const char *headers, size_t size, char *etag, size_t etag_size)
{
    etag[0] = '\0';
    cJSON *h = headers ? cJSON_ParseWithLength(headers, size) : NULL;
    for (const cJSON *e = h ? h->child : NULL; e; e = e->next)
        if (e->string && !strcasecmp(e->string, "ETag") && cJSON_IsString(e))
            snprintf(etag, etag_size, "%s", e->valuestring);
    cJSON_Delete(h);
}

/* The time is compared with now +- lease_s before anything is subtracted, so no value overflows;
 * a claim dated more than a lease ahead (broken clock or garbage) is treated as stale. */
void tg_claim_value_parse(const char *value, long long now, long lease_s, tg_claim_value *out)
{
    memset(out, 0, sizeof *out);
    char state[16] = "";
    long long when = 0;
    int fields = sscanf(value, "%39s %lld %15s", out->owner, &when, state);
    out->active = fields == 3 && !strcmp(state, "claimed") && when >= now - lease_s && when <= now + lease_s;
    if (out->active) {
        out->age = now - when;
        out->busy_for = (double)(lease_s - out->age);
    }
}
