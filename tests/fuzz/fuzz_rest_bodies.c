/* libFuzzer target for the node's parsers of outside text (plugin/orthanc/rest_body.c): every REST
 * body parser, the URL series id check, and the parsers of Orthanc's answers (ThermoGuardResult
 * value, answer headers, ThermoGuardClaim value), all on the same input. Bodies and answers are
 * passed with their exact size, not NUL-terminated, as Orthanc hands them over; ids and claim
 * values as NUL-terminated copies, as the plugin holds them.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rest_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every REST body parser: the function and the type it fills (rest_body.h convention). A new
 * route's parser is one more line here. Each is run twice and must agree with itself. */
#define TG_BODY_PARSERS(X)                 \
    X(tg_body_switch_parse, tg_body_switch) \
    X(tg_body_analyze_parse, tg_body_analyze)

#define TG_RUN_BODY_PARSER(fn, type)                                                                   \
    {                                                                                                  \
        type a, b;                                                                                     \
        memset(&a, 0, sizeof a);                                                                       \
        memset(&b, 0, sizeof b);                                                                       \
        int ra = fn(body, size, &a), rb = fn(body, size, &b);                                          \
        if ((ra != 0 && ra != -1) || ra != rb || memcmp(&a, &b, sizeof a) != 0)                        \
            abort();                                                                                   \
    }

static void check_known_bodies(const char *body, size_t size)
{
    tg_body_switch s;
    if (tg_body_switch_parse(body, size, &s) == 0 && strlen(s.name) >= sizeof s.name)
        abort();
    tg_body_analyze a;
    if (tg_body_analyze_parse(body, size, &a) == 0 && a.force != 0 && a.force != 1)
        abort();
    if (size == 0 && (tg_body_analyze_parse(body, size, &a) != 0 || a.force))
        abort();
}

static void check_answers(const char *text, size_t size, const char *cstr)
{
    char sr[64], etag[16];
    int r = tg_result_sr(text, size, sr, sizeof sr);
    if ((r != 0 && r != -1) || strlen(sr) >= sizeof sr || (r != 0 && sr[0]))
        abort();
    tg_etag_from_headers(text, size, etag, sizeof etag);
    if (strlen(etag) >= sizeof etag)
        abort();
    if (tg_valid_orthanc_id(cstr) && strlen(cstr) != 44)
        abort();
    static const long leases[] = {0, 61, 3660};
    for (int i = 0; i < 3; ++i) {
        const long long now = 1795000000;
        tg_claim_value c;
        tg_claim_value_parse(cstr, now, leases[i], &c);
        if (strlen(c.owner) >= sizeof c.owner)
            abort();
        if (c.active && (c.age < -leases[i] || c.age > leases[i] || c.busy_for < 0 ||
                         c.busy_for > 2.0 * (double)leases[i]))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data; /* libFuzzer's own copy: reading past size is caught */
    TG_BODY_PARSERS(TG_RUN_BODY_PARSER)
    check_known_bodies(body, size);
    char *cstr = malloc(size + 1);
    if (!cstr)
        return 0;
    memcpy(cstr, data, size);
    cstr[size] = '\0';
    check_answers(body, size, cstr);
    free(cstr);
    return 0;
}
