/* libFuzzer target for the body of POST /thermoguard/audits (plugin/orthanc/audit_request.c):
 * the strict parser with its study lookups stubbed (the node asks Orthanc), on the exact bytes
 * Orthanc hands over. Checks: the answer is 0 or 400 with a reason, an accepted request holds a
 * usable audit configuration and only valid, known, distinct study ids; every path frees.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_node.h"
#include "rest_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stub Orthanc: a study "exists" when its id starts with a digit below 8. */
static int study_exists(const char *id)
{
    return id[0] >= '0' && id[0] < '8';
}

/* Stub /tools/find: refuses queries of odd length, otherwise answers up to 3 study ids (one of
 * them malformed, which the parser must drop) derived from the query's length. */
static cJSON *find(const char *query)
{
    size_t n = strlen(query);
    if (n % 2)
        return NULL;
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n % 7 && i < 3; i++) {
        char id[48];
        snprintf(id, sizeof id, "%08zx-0000000%zu-00000000-00000000-00000000", n, i);
        cJSON_AddItemToArray(a, cJSON_CreateString(i == 2 ? "not-an-id" : id));
    }
    return a;
}

static const tg_audit_lookup stub = {study_exists, find};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tg_audit_request req;
    char why[512] = "";
    int rc = tg_audit_request_parse((const char *)data, size, &stub, &req, why, sizeof why);
    if (rc != 0 && rc != 400)
        abort();
    if (rc != 0 && !why[0])
        abort(); /* every refusal says why */
    if (rc == 0) {
        const tg_audit_config *c = &req.cfg;
        if (c->n_attacks < 1 || c->n_attacks > TG_AUDIT_MAX_ATTACKS || c->n_threats < 1 ||
            c->n_threats > TG_AUDIT_MAX_THREATS || c->n_budgets < 1 || c->n_budgets > TG_AUDIT_MAX_BUDGETS)
            abort();
        for (int b = 0; b < c->n_budgets; b++)
            if (!(c->budgets[b] > 0))
                abort();
        if (req.n_studies < 0 || req.n_studies > TG_AUDIT_MAX_STUDIES || !cJSON_IsArray(req.skipped))
            abort();
        for (int i = 0; i < req.n_studies; i++) {
            if (!tg_valid_orthanc_id(req.studies[i]))
                abort();
            for (int k = 0; k < i; k++)
                if (!strcmp(req.studies[i], req.studies[k]))
                    abort();
        }
    }
    tg_audit_request_free(&req);
    return 0;
}
