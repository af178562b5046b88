/* ThermoGuard — wavelet filter banks by PyWavelets name.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_WAVELET_H
#define THERMOGUARD_WAVELET_H

#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest filter of any supported wavelet (coif17). */
#define TG_WAVELET_MAX_LEN 102

/* A discrete wavelet's four filters, in PyWavelets' convention (`pywt.Wavelet(name).filter_bank`),
 * in double and float precision. Plain value: copy it freely. */
typedef struct tg_wavelet {
    char name[16];
    const char *family;   /* "Haar", "Daubechies", "Symlets", "Coiflets", "Biorthogonal", ... */
    int len;              /* filter length F (even) */
    int orthogonal;       /* 1 for haar/db/sym/coif/dmey */
    int symmetric;        /* 1 for haar/bior/rbio */
    double dec_lo[TG_WAVELET_MAX_LEN], dec_hi[TG_WAVELET_MAX_LEN];
    double rec_lo[TG_WAVELET_MAX_LEN], rec_hi[TG_WAVELET_MAX_LEN];
    float dec_lo_f[TG_WAVELET_MAX_LEN], dec_hi_f[TG_WAVELET_MAX_LEN];
    float rec_lo_f[TG_WAVELET_MAX_LEN], rec_hi_f[TG_WAVELET_MAX_LEN];
} tg_wavelet;

/* Fills `out` with the wavelet called `name`: haar, db1-db38, sym2-sym20, coif1-coif17,
 * bior1.1-bior6.8, rbio1.1-rbio6.8, dmey (every discrete wavelet of PyWavelets 1.1.1).
 * TG_ERR_ARG for NULL arguments, TG_ERR_NOTFOUND (with the name) for anything else. */
tg_status tg_wavelet_get(const char *name, tg_wavelet *out);

/* Number of supported wavelets, and the name of the i-th (NULL when out of range). */
int tg_wavelet_count(void);
const char *tg_wavelet_name_at(int i);

#ifdef __cplusplus
}
#endif
#endif
