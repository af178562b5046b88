/* Internals shared by the data sources (textmatrix.c, labels.c).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_DATA_INTERNAL_H
#define TG_DATA_INTERNAL_H

#include <stddef.h>

#include "thermoguard/status.h"

/* Reads the whole file at `path` into a malloc'd, NUL-terminated buffer (*len excludes the
 * NUL). The size is checked against `max_bytes` before reading (TG_ERR_OVERFLOW) and again
 * while reading, for files whose size cannot be known in advance. TG_ERR_IO names the path. */
tg_status tg_data_read_file(const char *path, size_t max_bytes, char **out, size_t *len);

/* Copies at most `max` bytes of [s, s+n) into `dst` (size max+1) for an error message,
 * replacing non-printable bytes with '?' and marking truncation with "...". */
void tg_data_excerpt(char *dst, size_t max, const char *s, size_t n);

#endif
