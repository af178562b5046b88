/* ThermoGuard — status codes and the thread-local error message.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_STATUS_H
#define THERMOGUARD_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every core function that can fail returns one of these; 0 means success. */
typedef enum tg_status {
    TG_OK = 0,
    TG_ERR_ARG = 1,        /* NULL pointer, zero/negative size, inconsistent arguments */
    TG_ERR_RANGE = 2,      /* value out of its allowed range (e.g. level above the maximum) */
    TG_ERR_NOTFOUND = 3,   /* unknown name (wavelet, mode, ...) */
    TG_ERR_NOMEM = 4,      /* allocation failed */
    TG_ERR_OVERFLOW = 5,   /* size computation would overflow or exceed a configured limit */
    TG_ERR_NONFINITE = 6,  /* NaN or Inf where finite values are required */
    TG_ERR_IO = 7,         /* file could not be read or written */
    TG_ERR_FORMAT = 8,     /* malformed or unsupported file content */
    TG_ERR_CANCELLED = 9   /* the caller's cancel flag or progress callback stopped the work */
} tg_status;

/* Message describing the most recent failure on the calling thread ("" if none).
 * The pointer stays valid until the next failing call on the same thread. */
const char *tg_last_error(void);

/* Short stable name of a status code ("TG_ERR_RANGE"); "unknown" for foreign values. */
const char *tg_status_name(tg_status s);

/* Records a printf-style message for the calling thread and returns `s` unchanged,
 * so failures read `return tg_fail(TG_ERR_ARG, "rows must be > 0, got %d", rows);`.
 * The arguments may include tg_last_error() to wrap a lower-level message with context. */
tg_status tg_fail(tg_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Clears the calling thread's error message. */
void tg_clear_error(void);

/* Overflow-checked size arithmetic: *out = a*b (resp. a+b); TG_ERR_OVERFLOW on overflow.
 * `what` names the quantity in the error message. */
tg_status tg_size_mul(size_t a, size_t b, size_t *out, const char *what);
tg_status tg_size_add(size_t a, size_t b, size_t *out, const char *what);

/* Allocates count*elem bytes into *out after checking the product for overflow and against
 * `limit` bytes (0 = no limit beyond overflow). On failure *out is NULL and the status is
 * TG_ERR_OVERFLOW or TG_ERR_NOMEM; `what` names the buffer in the message. Free with free(). */
tg_status tg_alloc_checked(void **out, size_t count, size_t elem, size_t limit, const char *what);

#ifdef __cplusplus
}
#endif
#endif
