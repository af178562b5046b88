/* ThermoGuard node — the body of POST /thermoguard/audits, checked strictly:
 *   {"Studies": [Orthanc study ids] | "Find": {"Level": "Study", "Query": {...}, ...},
 *    "Attacks": ["fgsm", "pgd-20", "cw-100", "square-1000"], "EpsC": [°C] | "Eps": [normalised],
 *    "Threats": ["adaptive", "black-box", "transfer"], "SourceModel": configured model name,
 *    "MaxImages": n, "MaxSeconds": s, "Seed": n, "EarlyStop": bool, "QuantStepC": °C,
 *    "MinImages": n, "AuditSR": bool, "IncludeImages": bool, "IncludeIds": bool}
 * Defaults are the core audit's (tg_audit_config_default). Unknown study ids are listed as
 * skipped, not errors; everything else that is wrong is a 400 naming the key.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_node.h"
#include "rest_body.h"

#define MAX_BODY_BYTES (64 * 1024)

static const char *const KEYS[] = {"Studies", "Find", "Attacks", "EpsC", "Eps", "Threats", "SourceModel", "MaxImages",
                                   "MaxSeconds", "Seed", "EarlyStop", "QuantStepC", "MinImages", "AuditSR",
                                   "IncludeImages", "IncludeIds", NULL};

static int bad(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return 400;
}

static int get_flag(const cJSON *body, const char *key, int *out, char *why, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (!v)
        return 0;
    if (!cJSON_IsBool(v))
        return bad(why, n, "\"%s\" must be true or false", key);
    *out = cJSON_IsTrue(v);
    return 0;
}

static int get_count(const cJSON *body, const char *key, double hi, double *out, char *why, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 || v->valuedouble > hi)
        return bad(why, n, "\"%s\" must be an integer in 1..%.0f", key, hi);
    *out = v->valuedouble;
    return 0;
}

static int parse_budgets(const cJSON *v, const char *key, tg_audit_config *c, char *why, size_t n)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) > TG_AUDIT_MAX_BUDGETS)
        return bad(why, n, "\"%s\" must be an array of 1..%d positive numbers", key, TG_AUDIT_MAX_BUDGETS);
    c->n_budgets = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) || !(e->valuedouble > 0))
            return bad(why, n, "\"%s\" must hold positive numbers", key);
        c->budgets[c->n_budgets++] = e->valuedouble;
    }
    return 0;
}

static int parse_attacks(const cJSON *v, tg_audit_config *c, char *why, size_t n)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) > TG_AUDIT_MAX_ATTACKS)
        return bad(why, n, "\"Attacks\" must be an array of 1..%d attack names", TG_AUDIT_MAX_ATTACKS);
    c->n_attacks = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsString(e) || tg_audit_attack_parse(e->valuestring, &c->attacks[c->n_attacks]) != TG_OK)
            return bad(why, n, "\"Attacks\": unknown attack %s%.40s%s (known: fgsm, pgd[-N], cw[-N], square[-N])",
                       cJSON_IsString(e) ? "\"" : "", cJSON_IsString(e) ? e->valuestring : "(not a string)",
                       cJSON_IsString(e) ? "\"" : "");
        c->n_attacks++;
    }
    return 0;
}

static int parse_threats(const cJSON *v, tg_audit_config *c, char *why, size_t n)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) > TG_AUDIT_MAX_THREATS)
        return bad(why, n, "\"Threats\" must be an array of 1..%d of \"adaptive\", \"black-box\", \"transfer\"",
                   TG_AUDIT_MAX_THREATS);
    c->n_threats = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        const char *s = cJSON_IsString(e) ? e->valuestring : "";
        tg_threat t;
        if (!strcmp(s, "adaptive"))
            t = TG_THREAT_ADAPTIVE;
        else if (!strcmp(s, "black-box"))
            t = TG_THREAT_BLACKBOX;
        else if (!strcmp(s, "transfer"))
            t = TG_THREAT_TRANSFER;
        else
            return bad(why, n, "\"Threats\": expected \"adaptive\", \"black-box\" or \"transfer\"");
        for (int i = 0; i < c->n_threats; ++i)
            if (c->threats[i] == t)
                return bad(why, n, "\"Threats\": \"%s\" given twice", s);
        c->threats[c->n_threats++] = t;
    }
    return 0;
}

static int add_study(tg_audit_request *req, const char *id)
{
    for (int i = 0; i < req->n_studies; ++i)
        if (!strcmp(req->studies[i], id))
            return 0; /* duplicates are audited once */
    if (req->n_studies >= TG_AUDIT_MAX_STUDIES)
        return -1;
    snprintf(req->studies[req->n_studies++], TG_NODE_ID_SIZE, "%s", id);
    return 0;
}

static void skip(tg_audit_request *req, const char *id, const char *reason)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "ID", id);
    cJSON_AddStringToObject(e, "Reason", reason);
    cJSON_AddItemToArray(req->skipped, e);
}

static int parse_studies(const cJSON *v, const tg_audit_lookup *lk, tg_audit_request *req, char *why, size_t n)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) > TG_AUDIT_MAX_STUDIES)
        return bad(why, n, "\"Studies\" must be an array of 1..%d Orthanc study ids", TG_AUDIT_MAX_STUDIES);
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsString(e))
            return bad(why, n, "\"Studies\" must hold strings (Orthanc study ids)");
        if (!tg_valid_orthanc_id(e->valuestring))
            skip(req, e->valuestring, "not an Orthanc study id");
        else if (!lk->study_exists(e->valuestring))
            skip(req, e->valuestring, "unknown study");
        else
            add_study(req, e->valuestring);
    }
    return 0;
}

/* "Find": a /tools/find body at study level; Expand is forced off (ids only). */
static int parse_find(const cJSON *v, const tg_audit_lookup *lk, tg_audit_request *req, char *why, size_t n)
{
    const cJSON *level = cJSON_GetObjectItemCaseSensitive(v, "Level");
    const cJSON *query = cJSON_GetObjectItemCaseSensitive(v, "Query");
    if (!cJSON_IsObject(v) || !cJSON_IsString(level) || strcmp(level->valuestring, "Study") || !cJSON_IsObject(query))
        return bad(why, n, "\"Find\" must be a /tools/find body {\"Level\": \"Study\", \"Query\": {...}}");
    cJSON *body = cJSON_Duplicate(v, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(body, "Expand");
    cJSON_AddFalseToObject(body, "Expand");
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    cJSON *ids = text ? lk->find(text) : NULL;
    free(text);
    if (!ids)
        return bad(why, n, "\"Find\": Orthanc rejected the query (see Orthanc's /tools/find)");
    const cJSON *e;
    int rc = cJSON_IsArray(ids) ? 0 : bad(why, n, "\"Find\": unexpected answer from /tools/find");
    cJSON_ArrayForEach(e, ids)
    {
        if (rc == 0 && cJSON_IsString(e) && tg_valid_orthanc_id(e->valuestring) && add_study(req, e->valuestring))
            rc = bad(why, n, "\"Find\" matches more than %d studies: narrow the query", TG_AUDIT_MAX_STUDIES);
    }
    cJSON_Delete(ids);
    return rc;
}

static int parse_options(const cJSON *body, tg_audit_request *req, char *why, size_t n)
{
    tg_audit_config *c = &req->cfg;
    const cJSON *v;
    int rc = 0;
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(body, "Attacks")))
        rc = parse_attacks(v, c, why, n);
    const cJSON *epsc = cJSON_GetObjectItemCaseSensitive(body, "EpsC"), *eps = cJSON_GetObjectItemCaseSensitive(body, "Eps");
    if (!rc && epsc && eps)
        rc = bad(why, n, "give budgets either in °C (\"EpsC\") or normalised (\"Eps\"), not both: the report "
                         "shows every budget in both units");
    if (!rc && epsc && !(rc = parse_budgets(epsc, "EpsC", c, why, n)))
        c->unit = TG_AUDIT_CELSIUS;
    if (!rc && eps && !(rc = parse_budgets(eps, "Eps", c, why, n)))
        c->unit = TG_AUDIT_NORMALISED;
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(body, "Threats")))
        rc = parse_threats(v, c, why, n);
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(body, "SourceModel"))) {
        if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= sizeof req->source_model)
            rc = bad(why, n, "\"SourceModel\" must be the Name of a configured model");
        else
            snprintf(req->source_model, sizeof req->source_model, "%s", v->valuestring);
    }
    double d = (double)c->max_images;
    if (!rc && !(rc = get_count(body, "MaxImages", 1e7, &d, why, n)))
        c->max_images = (size_t)d;
    d = (double)c->min_images_for_percent;
    if (!rc && !(rc = get_count(body, "MinImages", 1e6, &d, why, n)))
        c->min_images_for_percent = (size_t)d;
    d = (double)c->seed;
    if (!rc && !(rc = get_count(body, "Seed", 4294967295.0, &d, why, n)))
        c->seed = (uint64_t)d;
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(body, "MaxSeconds"))) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) || v->valuedouble > 7 * 86400.0)
            rc = bad(why, n, "\"MaxSeconds\" must be a number of seconds in (0, 604800]");
        else
            c->max_seconds = v->valuedouble;
    }
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(body, "QuantStepC"))) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 10)
            rc = bad(why, n, "\"QuantStepC\" must be a number of °C in [0, 10] (0 = no re-quantisation check)");
        else
            c->quant_step_c = v->valuedouble;
    }
    if (!rc)
        rc = get_flag(body, "EarlyStop", &c->early_stop, why, n);
    if (!rc)
        rc = get_flag(body, "AuditSR", &req->audit_sr, why, n);
    if (!rc)
        rc = get_flag(body, "IncludeImages", &req->include_images, why, n);
    if (!rc)
        rc = get_flag(body, "IncludeIds", &req->include_ids, why, n);
    return rc;
}

int tg_audit_request_parse(const char *body, size_t size, const tg_audit_lookup *lk, tg_audit_request *req,
                           char *why, size_t why_size)
{
    memset(req, 0, sizeof *req);
    tg_audit_config_default(&req->cfg);
    req->include_images = req->include_ids = 1;
    req->skipped = cJSON_CreateArray();
    req->studies = calloc(TG_AUDIT_MAX_STUDIES, sizeof *req->studies);
    if (!req->skipped || !req->studies)
        return bad(why, why_size, "out of memory");
    if (size > MAX_BODY_BYTES)
        return bad(why, why_size, "body larger than %d bytes", MAX_BODY_BYTES);
    cJSON *j = cJSON_ParseWithLength(body, size);
    int rc = 0;
    if (!cJSON_IsObject(j))
        rc = bad(why, why_size, "the body must be a JSON object (see the ThermoGuard admin guide)");
    for (const cJSON *f = j ? j->child : NULL; !rc && f; f = f->next) {
        int ok = 0;
        for (int i = 0; KEYS[i]; ++i)
            ok |= !strcmp(KEYS[i], f->string);
        if (!ok)
            rc = bad(why, why_size, "unknown key \"%.40s\"", f->string);
    }
    const cJSON *studies = cJSON_GetObjectItemCaseSensitive(j, "Studies");
    const cJSON *find = cJSON_GetObjectItemCaseSensitive(j, "Find");
    if (!rc && !studies == !find)
        rc = bad(why, why_size, "give the studies either as \"Studies\" (Orthanc ids) or as a \"Find\" query");
    if (!rc)
        rc = parse_options(j, req, why, why_size);
    if (!rc)
        rc = studies ? parse_studies(studies, lk, req, why, why_size) : parse_find(find, lk, req, why, why_size);
    if (!rc && req->n_studies == 0)
        rc = bad(why, why_size, "no known study to audit");
    cJSON_Delete(j);
    return rc;
}

void tg_audit_request_free(tg_audit_request *req)
{
    if (!req)
        return;
    free(req->studies);
    cJSON_Delete(req->skipped);
    memset(req, 0, sizeof *req);
}
