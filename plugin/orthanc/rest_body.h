/* ThermoGuard node — pure parsers of text that comes from outside the plugin: REST request
 * bodies and URL ids, the values and headers Orthanc's REST API answers. No Orthanc context, no
 * I/O, no globals: tests/fuzz/fuzz_rest_bodies runs each of them on arbitrary bytes.
 * Body parsers follow one convention, `int tg_body_ROUTE(const char *body, size_t size, T *out)`:
 * body is not NUL-terminated, 0 fills *out, -1 means malformed (the caller answers 400).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_REST_BODY_H
#define TG_REST_BODY_H

#include <stddef.h>

/* POST /thermoguard/models/active: {"Name": MODEL} and no other key. */
typedef struct tg_body_switch {
    char name[64]; /* "" when the name is too long to be a model Name (so it names no model) */
} tg_body_switch;
int tg_body_switch_parse(const char *body, size_t size, tg_body_switch *out);

/* POST /thermoguard/series/{id}/analyze: empty, {} or {"Force": true|false}. */
typedef struct tg_body_analyze {
    int force;
} tg_body_analyze;
int tg_body_analyze_parse(const char *body, size_t size, tg_body_analyze *out);

/* Orthanc ids: 8-8-8-8-8 lowercase hex groups. 1 when id (NUL-terminated, may be NULL) is one. */
int tg_valid_orthanc_id(const char *id);

/* "SRInstance" of a ThermoGuardResult metadata value (JSON text of size bytes) into sr.
 * 0, or -1 with sr = "" when absent, not a string, malformed or not shorter than sr_size. */
int tg_result_sr(const char *text, size_t size, char *sr, size_t sr_size);

/* The ETag of the JSON object of answer headers Orthanc's CallRestApi fills (name matched
 * case-insensitively; the last one wins). etag = "" when there is none or it does not fit. */
void tg_etag_from_headers(const char *headers, size_t size, char *etag, size_t etag_size);

/* A ThermoGuardClaim value "NODE-ID UNIX-SECONDS claimed|released" read at wall-clock time now,
 * with claims active for lease_s seconds. */
typedef struct tg_claim_value {
    int active;      /* 1: claimed, and claimed at most lease_s seconds ago (and not later than now + lease_s) */
    char owner[40];  /* NODE-ID as written (truncated to 39 characters) */
    long long age;   /* now - UNIX-SECONDS; meaningful when active */
    double busy_for; /* active: seconds until the lease ends, in 0..2 * lease_s */
} tg_claim_value;
/* Any text parses; what is not an active claim of the form above comes back inactive. lease_s >= 0. */
void tg_claim_value_parse(const char *value, long long now, long lease_s, tg_claim_value *out);

#endif
