/* DWT boundary modes, length rules and coefficient layout arithmetic (PyWavelets' rules).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "thermoguard/dwt.h"

static const char *const mode_names[TG_DWT_MODE_COUNT] = {
    "zero", "constant", "symmetric", "periodic", "smooth",
    "periodization", "reflect", "antisymmetric", "antireflect",
};

tg_status tg_dwt_mode_parse(const char *name, tg_dwt_mode *out)
{
    if (!name || !out)
        return tg_fail(TG_ERR_ARG, "tg_dwt_mode_parse: NULL argument");
    for (int i = 0; i < TG_DWT_MODE_COUNT; i++)
        if (strcmp(name, mode_names[i]) == 0) {
            *out = (tg_dwt_mode)i;
            return TG_OK;
        }
    return tg_fail(TG_ERR_NOTFOUND,
                   "unknown boundary mode '%.40s' (expected zero, constant, symmetric, periodic, smooth, "
                   "periodization, reflect, antisymmetric or antireflect)", name);
}

const char *tg_dwt_mode_name(tg_dwt_mode m)
{
    if ((int)m < 0 || (int)m >= TG_DWT_MODE_COUNT)
        return "invalid";
    return mode_names[m];
}

size_t tg_dwt_coeff_len(size_t n, int filter_len, tg_dwt_mode m)
{
    if (n == 0 || filter_len < 2)
        return 0;
    if (m == TG_MODE_PERIODIZATION)
        return n / 2 + n % 2;
    return (n + (size_t)filter_len - 1) / 2;
}

size_t tg_idwt_len(size_t nc, int filter_len, tg_dwt_mode m)
{
    if (nc == 0 || filter_len < 2)
        return 0;
    if (m == TG_MODE_PERIODIZATION)
        return 2 * nc;
    if (2 * nc + 2 <= (size_t)filter_len)
        return 0;
    return 2 * nc + 2 - (size_t)filter_len;
}

int tg_dwt_max_level(size_t n, int filter_len)
{
    if (filter_len < 2 || n < (size_t)filter_len - 1)
        return 0;
    size_t q = n / (size_t)(filter_len - 1);
    int lev = 0;
    while (q >= 2) {
        q >>= 1;
        lev++;
    }
    return lev;
}

size_t tg_dwt_layout_offset(const tg_dwt_layout *l, int level, int band)
{
    if (!l || level < 1 || level > l->levels || band < 0 || band >= l->bands)
        return (size_t)-1;
    /* approximation (coarsest), then levels L, L-1, ..., each `bands` bands */
    size_t off = l->shape[l->levels][0] * l->shape[l->levels][1];
    for (int k = l->levels; k > level; k--)
        off += (size_t)l->bands * l->shape[k][0] * l->shape[k][1];
    return off + (size_t)band * l->shape[level][0] * l->shape[level][1];
}
