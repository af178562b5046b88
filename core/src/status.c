/* Status names, the thread-local error message, and checked allocation.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/status.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_error[1024];

const char *tg_last_error(void) { return last_error; }

void tg_clear_error(void) { last_error[0] = '\0'; }

const char *tg_status_name(tg_status s)
{
    switch (s) {
    case TG_OK: return "TG_OK";
    case TG_ERR_ARG: return "TG_ERR_ARG";
    case TG_ERR_RANGE: return "TG_ERR_RANGE";
    case TG_ERR_NOTFOUND: return "TG_ERR_NOTFOUND";
    case TG_ERR_NOMEM: return "TG_ERR_NOMEM";
    case TG_ERR_OVERFLOW: return "TG_ERR_OVERFLOW";
    case TG_ERR_NONFINITE: return "TG_ERR_NONFINITE";
    case TG_ERR_IO: return "TG_ERR_IO";
    case TG_ERR_FORMAT: return "TG_ERR_FORMAT";
    case TG_ERR_CANCELLED: return "TG_ERR_CANCELLED";
    }
    return "unknown";
}

tg_status tg_fail(tg_status s, const char *fmt, ...)
{
    /* format into a copy first: callers may pass tg_last_error() itself to add context */
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return s;
}

tg_status tg_size_mul(size_t a, size_t b, size_t *out, const char *what)
{
    if (a != 0 && b > SIZE_MAX / a)
        return tg_fail(TG_ERR_OVERFLOW, "%s: size %zu x %zu overflows", what, a, b);
    *out = a * b;
    return TG_OK;
}

tg_status tg_size_add(size_t a, size_t b, size_t *out, const char *what)
{
    if (b > SIZE_MAX - a)
        return tg_fail(TG_ERR_OVERFLOW, "%s: size %zu + %zu overflows", what, a, b);
    *out = a + b;
    return TG_OK;
}

tg_status tg_alloc_checked(void **out, size_t count, size_t elem, size_t limit, const char *what)
{
    size_t bytes;
    *out = NULL;
    tg_status st = tg_size_mul(count, elem, &bytes, what);
    if (st != TG_OK)
        return st;
    if (limit && bytes > limit)
        return tg_fail(TG_ERR_OVERFLOW, "%s: %zu bytes exceed the limit of %zu", what, bytes, limit);
    *out = malloc(bytes ? bytes : 1);
    if (!*out)
        return tg_fail(TG_ERR_NOMEM, "%s: out of memory allocating %zu bytes", what, bytes);
    return TG_OK;
}
