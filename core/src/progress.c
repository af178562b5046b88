/* Progress callback + cancel flag convention.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/progress.h"

tg_status tg_progress_report(const tg_progress *p, double fraction, const char *stage)
{
    if (!p)
        return TG_OK;
    if (!stage)
        stage = "work";
    if (p->cancel && __atomic_load_n((const int *)p->cancel, __ATOMIC_ACQUIRE))
        return tg_fail(TG_ERR_CANCELLED, "%s: cancelled by the caller", stage);
    if (fraction < 0.0)
        fraction = 0.0;
    if (fraction > 1.0)
        fraction = 1.0;
    if (p->fn && p->fn(p->user, fraction, stage) != 0)
        return tg_fail(TG_ERR_CANCELLED, "%s: stopped by the progress callback", stage);
    return TG_OK;
}
