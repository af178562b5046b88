/* ThermoGuard — progress reporting and cancellation for long-running core functions.
 * Every long-running function takes a `const tg_progress *` (NULL = silent, not cancellable)
 * and checks it between units of work (an epoch, a batch, an image, an attack step).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_PROGRESS_H
#define THERMOGUARD_PROGRESS_H

#include "thermoguard/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `fn` receives the fraction done in [0, 1] and a short stage label; returning non-zero asks
 * the work to stop. `cancel` (may be NULL) is polled too: any non-zero value stops the work.
 * It may be set from another thread (it is read atomically). */
typedef struct tg_progress {
    int (*fn)(void *user, double fraction, const char *stage);
    void *user;
    const volatile int *cancel;
} tg_progress;

/* Reports progress and polls for cancellation. Returns TG_OK to continue or
 * TG_ERR_CANCELLED (with a message naming `stage`) to stop. NULL `p` always continues. */
tg_status tg_progress_report(const tg_progress *p, double fraction, const char *stage);

#ifdef __cplusplus
}
#endif
#endif
