/* ThermoGuard node — where audits persist: AuditDirectory/<id>/{meta.json, audit.json,
 * report.html}. Every file is written atomically (temporary file in the same directory, fsync,
 * rename), so a reader or a crash never sees half a file; meta.json is the audit's record and
 * is written last when an audit finishes. At start-up, audits whose meta.json still says they
 * were pending/running/paused are marked "interrupted" (their Orthanc job did not survive).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_node.h"

#define MAX_STORED_FILE ((long)256 << 20)
#define MAX_LISTED 10000

tg_audit_settings tg_audit_cfg;

/* errno as its name ("ENOTDIR"): strerror() goes through gettext and glibc's locale lock, which
 * left Orthanc hanging at exit under ASan (seen); the name needs neither. */
static const char *err_name(int e)
{
    const char *n = strerrorname_np(e);
    return n ? n : "unknown error";
}

int tg_audit_valid_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n >= TG_AUDIT_ID_SIZE)
        return 0;
    for (size_t i = 0; i < n; ++i) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
            return 0;
    }
    return 1;
}

int tg_audit_settings_load(const char *json, char *why, size_t why_size)
{
    tg_audit_settings *s = &tg_audit_cfg;
    memset(s, 0, sizeof *s);
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(root, "ThermoGuard");
    const cJSON *dir = cJSON_GetObjectItemCaseSensitive(sec, "AuditDirectory");
    const cJSON *storage = cJSON_GetObjectItemCaseSensitive(root, "StorageDirectory");
    const cJSON *cj = cJSON_GetObjectItemCaseSensitive(root, "ConcurrentJobs");
    int rc = 0;
    s->concurrent_jobs = 2; /* Orthanc's default */
    if (cj && (!cJSON_IsNumber(cj) || cj->valuedouble < 0 || cj->valuedouble > 1000)) {
        snprintf(why, why_size, "ConcurrentJobs must be a number in 0..1000");
        rc = -1;
    } else if (cj && cj->valuedouble >= 1) {
        s->concurrent_jobs = (int)cj->valuedouble;
    }
    if (rc == 0 && dir) {
        if (!cJSON_IsString(dir) || !dir->valuestring[0] || strlen(dir->valuestring) >= sizeof s->dir - 32) {
            snprintf(why, why_size, "ThermoGuard.AuditDirectory must be a directory path (at most %zu characters)",
                     sizeof s->dir - 33);
            rc = -1;
        } else {
            snprintf(s->dir, sizeof s->dir, "%s", dir->valuestring);
        }
    } else if (rc == 0) {
        const char *base = cJSON_IsString(storage) && storage->valuestring[0] ? storage->valuestring : "OrthancStorage";
        if (strlen(base) >= sizeof s->dir - 48) {
            snprintf(why, why_size, "StorageDirectory is too long to hold ThermoGuardAudits");
            rc = -1;
        } else {
            snprintf(s->dir, sizeof s->dir, "%s/ThermoGuardAudits", base);
        }
    }
    cJSON_Delete(root);
    s->max_audits = s->concurrent_jobs - 1;
    return rc;
}

static int mkdir_p(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; ++p)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
    char tmp[1200], final[1200];
    snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name);
    snprintf(final, sizeof final, "%s/%s", dir, name);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, final) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int tg_audit_store_put(const char *id, const char *name, const void *data, size_t len)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/%s", tg_audit_cfg.dir, id);
    if (mkdir_p(dir) != 0 || write_atomic(dir, name, data, len) != 0) {
        tg_log(TG_ERROR, "audit %s: cannot write %s/%s: %s", id, dir, name, err_name(errno));
        return -1;
    }
    return 0;
}

int tg_audit_store_put_meta(const char *id, const cJSON *meta)
{
    char *text = cJSON_Print(meta);
    int rc = text ? tg_audit_store_put(id, "meta.json", text, strlen(text)) : -1;
    free(text);
    return rc;
}

void tg_audit_store_drop_results(const char *id)
{
    static const char *const NAMES[] = {"audit.json", "report.html"};
    for (int i = 0; i < 2; ++i) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s/%s", tg_audit_cfg.dir, id, NAMES[i]);
        unlink(path);
    }
}

char *tg_audit_store_get(const char *id, const char *name, size_t *len)
{
    if (!tg_audit_valid_id(id))
        return NULL;
    char path[1200];
    snprintf(path, sizeof path, "%s/%s/%s", tg_audit_cfg.dir, id, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    char *buf = size >= 0 && size <= MAX_STORED_FILE && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)size + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[size] = '\0';
        if (len)
            *len = (size_t)size;
    }
    return buf;
}

static int newest_first(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

char **tg_audit_store_list(int *n)
{
    *n = 0;
    DIR *d = opendir(tg_audit_cfg.dir);
    if (!d)
        return NULL;
    char **ids = NULL;
    int cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && *n < MAX_LISTED;) {
        char meta[2048];
        struct stat st;
        snprintf(meta, sizeof meta, "%s/%s/meta.json", tg_audit_cfg.dir, e->d_name);
        if (!tg_audit_valid_id(e->d_name) || stat(meta, &st) != 0)
            continue;
        if (*n == cap) {
            char **g = realloc(ids, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *g);
            if (!g)
                break;
            ids = g;
        }
        if ((ids[*n] = strdup(e->d_name)) != NULL)
            (*n)++;
    }
    closedir(d);
    if (ids)
        qsort(ids, (size_t)*n, sizeof *ids, newest_first);
    return ids;
}

/* Marks an audit whose job did not survive the restart as interrupted (results stay absent). */
static void mark_interrupted(const char *id)
{
    char *text = tg_audit_store_get(id, "meta.json", NULL);
    cJSON *m = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(m, "Status");
    if (cJSON_IsString(st) && (!strcmp(st->valuestring, "pending") || !strcmp(st->valuestring, "running") ||
                               !strcmp(st->valuestring, "paused"))) {
        cJSON_ReplaceItemInObjectCaseSensitive(m, "Status", cJSON_CreateString("interrupted"));
        cJSON_DeleteItemFromObjectCaseSensitive(m, "Error");
        cJSON_AddStringToObject(m, "Error", "Orthanc stopped while the audit was running; no results were kept");
        tg_audit_store_drop_results(id);
        if (tg_audit_store_put_meta(id, m) == 0)
            tg_log(TG_WARN, "audit %s was interrupted by an Orthanc restart (marked \"interrupted\")", id);
    }
    cJSON_Delete(m);
}

void tg_audit_store_init(void)
{
    tg_audit_settings *s = &tg_audit_cfg;
    char probe[2048];
    snprintf(probe, sizeof probe, "%s/.write-probe", s->dir);
    if (mkdir_p(s->dir) != 0 || write_atomic(s->dir, ".write-probe", "ok", 2) != 0) {
        snprintf(s->why, sizeof s->why, "AuditDirectory %.300s cannot be created or written: %s", s->dir, err_name(errno));
        tg_log(TG_ERROR, "audits unavailable (clinical analysis continues): %s", s->why);
        return;
    }
    unlink(probe);
    if (s->max_audits < 1) {
        snprintf(s->why, sizeof s->why,
                 "ConcurrentJobs is %d: audits need ConcurrentJobs >= 2 (at most ConcurrentJobs - 1 audits run, so "
                 "Orthanc's own jobs always keep a worker)",
                 s->concurrent_jobs);
        tg_log(TG_WARN, "audits unavailable: %s", s->why);
        return;
    }
    int n = 0;
    char **ids = tg_audit_store_list(&n);
    for (int i = 0; i < n; ++i) {
        mark_interrupted(ids[i]);
        free(ids[i]);
    }
    free(ids);
    s->available = 1;
    tg_log(TG_INFO, "audits: results in %s, at most %d running at once (ConcurrentJobs %d)", s->dir, s->max_audits,
           s->concurrent_jobs);
}
