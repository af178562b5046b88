/* Argument checks shared by the nn layers.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "nn_internal.h"

tg_status tg_nn_count(const char *fn, size_t *n, int a, int b, int c, int d)
{
    if (a <= 0 || b <= 0 || c <= 0 || d <= 0)
        return tg_fail(TG_ERR_ARG, "%s: sizes must be > 0, got %d x %d x %d x %d", fn, a, b, c, d);
    size_t x = (size_t)a;
    if (tg_size_mul(x, (size_t)b, &x, fn) || tg_size_mul(x, (size_t)c, &x, fn) ||
        tg_size_mul(x, (size_t)d, &x, fn) || tg_size_mul(x, sizeof(float), n, fn))
        return TG_ERR_OVERFLOW;
    *n = x;
    return TG_OK;
}

int tg_nn_out_dim(int n, int k, int s, int p)
{
    if (n <= 0 || k <= 0 || s <= 0 || p < 0 || p >= k)
        return -1;
    long span = (long)n + 2L * p - k;
    if (span < 0)
        return -1;
    return (int)(span / s + 1);
}

tg_status tg_nn_null(const char *fn, const char *what)
{
    return tg_fail(TG_ERR_ARG, "%s: %s is NULL", fn, what);
}
