/* Tabulated wavelet low-pass filters (internal to core).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_WAVELET_TABLES_H
#define TG_WAVELET_TABLES_H

#include <stddef.h>

typedef struct tg_wavelet_entry {
    const char *name;       /* PyWavelets name, e.g. "db2", "bior3.5" */
    const char *family;     /* "Daubechies", "Symlets", ... */
    int len;                /* filter length */
    int orthogonal;
    int symmetric;
    const double *dec_lo;   /* decomposition low-pass */
    const double *rec_lo;   /* reconstruction low-pass; NULL = reversed dec_lo (orthogonal) */
} tg_wavelet_entry;

extern const tg_wavelet_entry tg_wavelet_table[];
extern const int tg_wavelet_table_count;

#endif
