/* ThermoGuard node — cluster-wide claim of a series before it is analysed.
 * Several Orthanc processes may share one index (PostgreSQL); change events are local to each,
 * so two nodes can be asked to analyse the same series. Before analysing, a node claims the
 * series in its metadata "ThermoGuardClaim" with Orthanc's metadata revisions (1.9.2+):
 *   - no claim yet: PUT with an If-Match that names an impossible revision. Orthanc ignores
 *     If-Match when the metadata does not exist yet and refuses (409) when it does, which makes
 *     the PUT a create-if-absent inside one index transaction;
 *   - a released claim, or one older than the lease (SeriesTimeoutSeconds + 60 s): PUT with
 *     If-Match = the revision just read (compare-and-set; 409 when another node was faster);
 *   - an active claim of another node: not analysed here now; the worker checks the series again
 *     when that claim's lease ends (a node that died while analysing does not block it forever).
 * The value is "NODE-ID UNIX-SECONDS claimed|released". After the analysis the node re-reads the
 * claim and, if it is still exactly its own, releases it with If-Match = the ETag just read, so it
 * never overwrites a newer claim. Always the ETag of a GET, never the one a PUT answers: Orthanc's
 * built-in SQLite index keeps no revisions (GET reports revision 0 while a PUT answers the next
 * number), and If-Match then still compares the MD5 of the value, which names node and second.
 * Leases compare wall clocks: the nodes' clocks must agree within seconds (NTP).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node.h"
#include "rest_body.h"

#define LEASE_MARGIN_S 60
#define ABSENT_IF_MATCH "\"999999999999-absent\"" /* a revision no metadata reaches */

static char node_id[33];
static pthread_once_t id_once = PTHREAD_ONCE_INIT;

static void make_node_id(void)
{
    unsigned char r[16];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(r, 1, sizeof r, f) : 0;
    if (f)
        fclose(f);
    if (got != sizeof r) { /* no /dev/urandom: time and address still differ between processes */
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        unsigned long long x = (unsigned long long)t.tv_nsec ^ ((unsigned long long)t.tv_sec << 20) ^
                               (unsigned long long)(size_t)&got;
        for (int i = 0; i < 16; ++i, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
            r[i] = (unsigned char)(x >> 56);
    }
    for (int i = 0; i < 16; ++i)
        snprintf(node_id + 2 * i, 3, "%02x", r[i]);
}

const char *tg_claim_node_id(void)
{
    pthread_once(&id_once, make_node_id);
    return node_id;
}

/* One REST call on /series/{id}/metadata/ThermoGuardClaim with optional If-Match. Returns the
 * HTTP status (0 when Orthanc could not run it); body/etag filled when given. */
static int call(OrthancPluginHttpMethod method, const char *series, const char *if_match, const char *body,
                char *value, size_t value_size, char *etag, size_t etag_size)
{
    char uri[160];
    snprintf(uri, sizeof uri, "/series/%s/metadata/%s", series, TG_META_CLAIM);
    const char *keys[1] = {"If-Match"}, *vals[1] = {if_match};
    OrthancPluginMemoryBuffer ans, hdr;
    memset(&ans, 0, sizeof ans);
    memset(&hdr, 0, sizeof hdr);
    uint16_t status = 0;
    OrthancPluginErrorCode rc = OrthancPluginCallRestApi(tg_ctx, &ans, &hdr, &status, method, uri, if_match ? 1 : 0,
                                                         keys, vals, body, body ? (uint32_t)strlen(body) : 0, 0);
    if (rc == OrthancPluginErrorCode_Revision)
        status = 409;
    else if (rc == OrthancPluginErrorCode_UnknownResource || rc == OrthancPluginErrorCode_InexistentItem)
        status = 404;
    else if (rc != OrthancPluginErrorCode_Success && status < 400)
        status = 0;
    if (value && value_size) {
        value[0] = '\0';
        if (status == 200 && ans.data)
            snprintf(value, value_size, "%.*s", (int)(ans.size < value_size ? ans.size : value_size - 1),
                     (const char *)ans.data);
    }
    if (etag && etag_size)
        tg_etag_from_headers(hdr.data, hdr.size, etag, etag_size);
    if (ans.data)
        OrthancPluginFreeMemoryBuffer(tg_ctx, &ans);
    if (hdr.data)
        OrthancPluginFreeMemoryBuffer(tg_ctx, &hdr);
    return status;
}

tg_claim_result tg_claim_series(const char *series, tg_claim *c, char *holder, size_t holder_size)
{
    char value[160], etag[128], mine[96];
    memset(c, 0, sizeof *c);
    holder[0] = '\0';
    snprintf(mine, sizeof mine, "%s %lld claimed", tg_claim_node_id(), (long long)time(NULL));
    int st = call(OrthancPluginHttpMethod_Get, series, NULL, NULL, value, sizeof value, etag, sizeof etag);
    const char *if_match = ABSENT_IF_MATCH;
    if (st == 200) {
        tg_claim_value cv;
        tg_claim_value_parse(value, (long long)time(NULL), tg_cfg.series_timeout_s + LEASE_MARGIN_S, &cv);
        if (cv.active) {
            snprintf(holder, holder_size, "%s (claimed %lld s ago)", cv.owner, cv.age);
            c->busy_for = cv.busy_for;
            return TG_CLAIM_BUSY;
        }
        if (!etag[0]) {
            snprintf(holder, holder_size, "no revision (ETag) for the existing claim");
            return TG_CLAIM_ERROR;
        }
        if_match = etag;
    } else if (st != 404) {
        snprintf(holder, holder_size, "reading the claim failed (HTTP %d)", st);
        return TG_CLAIM_ERROR;
    }
    st = call(OrthancPluginHttpMethod_Put, series, if_match, mine, NULL, 0, NULL, 0);
    if (st == 409) {
        snprintf(holder, holder_size, "another node (its claim won the revision race)");
        c->busy_for = (double)(tg_cfg.series_timeout_s + LEASE_MARGIN_S);
        return TG_CLAIM_BUSY;
    }
    if (st != 200) {
        snprintf(holder, holder_size, "writing the claim failed (HTTP %d)", st);
        return TG_CLAIM_ERROR;
    }
    snprintf(c->value, sizeof c->value, "%s", mine);
    c->held = 1;
    return TG_CLAIM_OK;
}

void tg_claim_release(const char *series, tg_claim *c)
{
    if (!c->held)
        return;
    c->held = 0;
    char value[160], etag[128], released[96];
    int st = call(OrthancPluginHttpMethod_Get, series, NULL, NULL, value, sizeof value, etag, sizeof etag);
    if (st != 200 || strcmp(value, c->value) != 0 || !etag[0]) {
        tg_log(TG_WARN, "series %s: claim no longer ours at release (HTTP %d; taken over after the lease?)", series,
               st);
        return;
    }
    snprintf(released, sizeof released, "%s %lld released", tg_claim_node_id(), (long long)time(NULL));
    st = call(OrthancPluginHttpMethod_Put, series, etag, released, NULL, 0, NULL, 0);
    if (st != 200)
        tg_log(TG_WARN, "series %s: releasing the claim failed (HTTP %d; taken over meanwhile?)", series, st);
}
