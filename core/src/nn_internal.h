/* Shared argument checks of the nn layers (internal).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_NN_INTERNAL_H
#define THERMOGUARD_NN_INTERNAL_H

#include <stddef.h>
#include "thermoguard/status.h"

/* *n = a*b*c*d after checking every factor is > 0 and the product does not overflow;
 * TG_ERR_ARG / TG_ERR_OVERFLOW with a message naming `fn` otherwise. */
tg_status tg_nn_count(const char *fn, size_t *n, int a, int b, int c, int d);

/* Output length of a window of size k, stride s, padding p over n inputs; -1 when no window
 * fits or an argument is out of range (k, s >= 1, 0 <= p < k). */
int tg_nn_out_dim(int n, int k, int s, int p);

/* TG_ERR_ARG naming `fn` and `what` (a NULL pointer). */
tg_status tg_nn_null(const char *fn, const char *what);

#endif
