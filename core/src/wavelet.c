/* Wavelet filter banks: tabulated low-pass filters, high-pass derived by the QMF relations
 * rec_hi[k] = (-1)^k dec_lo[k] and dec_hi[k] = (-1)^(k+1) rec_lo[k] (PyWavelets' convention).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/wavelet.h"

#include <string.h>

#include "wavelet_tables.h"

int tg_wavelet_count(void) { return tg_wavelet_table_count; }

const char *tg_wavelet_name_at(int i)
{
    if (i < 0 || i >= tg_wavelet_table_count)
        return NULL;
    return tg_wavelet_table[i].name;
}

tg_status tg_wavelet_get(const char *name, tg_wavelet *out)
{
    if (!name || !out)
        return tg_fail(TG_ERR_ARG, "tg_wavelet_get: NULL argument");
    const tg_wavelet_entry *e = NULL;
    for (int i = 0; i < tg_wavelet_table_count; i++)
        if (strcmp(tg_wavelet_table[i].name, name) == 0) {
            e = &tg_wavelet_table[i];
            break;
        }
    if (!e)
        return tg_fail(TG_ERR_NOTFOUND,
                       "unknown wavelet '%.40s' (expected haar, dbN, symN, coifN, biorN.M, rbioN.M or dmey)", name);
    memset(out, 0, sizeof *out);
    strncpy(out->name, e->name, sizeof out->name - 1);
    out->family = e->family;
    out->len = e->len;
    out->orthogonal = e->orthogonal;
    out->symmetric = e->symmetric;
    int F = e->len;
    for (int k = 0; k < F; k++) {
        double dl = e->dec_lo[k];
        double rl = e->rec_lo ? e->rec_lo[k] : e->dec_lo[F - 1 - k];
        double sign = (k % 2 == 0) ? 1.0 : -1.0;
        out->dec_lo[k] = dl;
        out->rec_lo[k] = rl;
        out->rec_hi[k] = sign * dl;
        out->dec_hi[k] = -sign * rl;
    }
    for (int k = 0; k < F; k++) {
        out->dec_lo_f[k] = (float)out->dec_lo[k];
        out->dec_hi_f[k] = (float)out->dec_hi[k];
        out->rec_lo_f[k] = (float)out->rec_lo[k];
        out->rec_hi_f[k] = (float)out->rec_hi[k];
    }
    return TG_OK;
}
