/* Growable text buffer for the audit's JSON and HTML: printf, JSON and HTML escaping, base64.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

static int reserve(tg_sbuf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (b->n + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + extra + 1) {
        if (cap > ((size_t)1 << 40)) {
            b->oom = 1;
            return 0;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

static void put(tg_sbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void tg_sb_puts(tg_sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

void tg_sb_printf(tg_sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0 || !reserve(b, (size_t)k))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

void tg_sb_json_str(tg_sbuf *b, const char *s)
{
    if (!s) {
        tg_sb_puts(b, "null");
        return;
    }
    put(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            char e[2] = {'\\', (char)*c};
            put(b, e, 2);
        } else if (*c < 0x20) {
            tg_sb_printf(b, "\\u%04x", *c);
        } else {
            put(b, (const char *)c, 1);
        }
    }
    put(b, "\"", 1);
}

void tg_sb_json_num(tg_sbuf *b, double v)
{
    if (isfinite(v))
        tg_sb_printf(b, "%.6g", v);
    else
        tg_sb_puts(b, "null");
}

void tg_sb_html(tg_sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': tg_sb_puts(b, "&amp;"); break;
        case '<': tg_sb_puts(b, "&lt;"); break;
        case '>': tg_sb_puts(b, "&gt;"); break;
        case '"': tg_sb_puts(b, "&quot;"); break;
        default: put(b, s, 1);
        }
    }
}

void tg_sb_base64(tg_sbuf *b, const uint8_t *d, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!reserve(b, (n + 2) / 3 * 4))
        return;
    char *o = b->p + b->n;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = tab[(v >> 6) & 63];
        *o++ = tab[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0);
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    b->n = (size_t)(o - b->p);
    b->p[b->n] = 0;
}

tg_status tg_sb_finish(tg_sbuf *b, char **out, size_t *len)
{
    if (b->oom || !reserve(b, 0)) {
        free(b->p);
        memset(b, 0, sizeof *b);
        return tg_fail(TG_ERR_NOMEM, "audit: out of memory while writing text");
    }
    *out = b->p;
    if (len)
        *len = b->n;
    memset(b, 0, sizeof *b);
    return TG_OK;
}
