/* Adversarial-training defense settings: documented defaults, validation, names and the
 * one-line description for provenance. The training hooks are in defense_train.c.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/defense.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const kNames[] = {"none", "pgd-at", "mpadvt", "mart", "trades"};

tg_defense_params tg_defense_params_default(tg_defense_kind kind)
{
    tg_defense_params d;
    memset(&d, 0, sizeof d);
    d.kind = TG_DEFENSE_NONE;
    d.prob = 1.0;
    d.mix = 1.0;
    d.eps = 0.031;
    d.step = 0.007;
    switch (kind) {
    case TG_DEFENSE_PGD_AT:
        d.steps = 7;
        d.step = 2.0 / 255.0;
        d.random_start = 1;
        break;
    case TG_DEFENSE_MPADVT:
        d.eps_min = 0.01;
        d.eps_max = 0.04;
        d.steps_min = 1;
        d.steps_max = 10;
        d.step = 1.0 / 255.0;
        d.random_start = 1;
        d.prob = 0.5;
        break;
    case TG_DEFENSE_MART:
        d.steps = 4;
        d.beta = 6.0;
        d.random_start = 1;
        break;
    case TG_DEFENSE_TRADES:
        d.steps = 10;
        d.beta = 6.0;
        d.random_start = 1;
        break;
    default:
        return d;
    }
    d.kind = kind;
    return d;
}

const char *tg_defense_name(tg_defense_kind kind)
{
    return kind >= TG_DEFENSE_NONE && kind <= TG_DEFENSE_TRADES ? kNames[kind] : "unknown";
}

tg_status tg_defense_kind_from_name(const char *name, tg_defense_kind *out)
{
    if (!name || !out)
        return tg_fail(TG_ERR_ARG, "tg_defense_kind_from_name: NULL argument");
    for (int k = TG_DEFENSE_NONE; k <= TG_DEFENSE_TRADES; k++)
        if (strcmp(name, kNames[k]) == 0) {
            *out = (tg_defense_kind)k;
            return TG_OK;
        }
    if (strcmp(name, "maadvt") == 0) {
        *out = TG_DEFENSE_MART;
        return TG_OK;
    }
    return tg_fail(TG_ERR_NOTFOUND, "unknown defense '%s' (none, pgd-at, mpadvt, mart, maadvt, trades)", name);
}

/* v is finite and lo < v <= hi (open_lo) or lo <= v <= hi. */
static int in_range(double v, double lo, double hi, int open_lo)
{
    return isfinite(v) && (open_lo ? v > lo : v >= lo) && v <= hi;
}

tg_status tg_defense_params_check(const tg_defense_params *d)
{
    if (!d)
        return tg_fail(TG_ERR_ARG, "tg_defense_params_check: NULL params");
    if (d->kind < TG_DEFENSE_NONE || d->kind > TG_DEFENSE_TRADES)
        return tg_fail(TG_ERR_ARG, "defense: unknown kind %d", (int)d->kind);
    if (d->kind == TG_DEFENSE_NONE)
        return TG_OK;
    const char *n = tg_defense_name(d->kind);
    if (d->kind == TG_DEFENSE_MPADVT) {
        if (!in_range(d->eps_min, 0.0, 1.0, 1) || !in_range(d->eps_max, d->eps_min, 1.0, 0))
            return tg_fail(TG_ERR_RANGE, "%s: eps range [%g, %g] must satisfy 0 < eps_min <= eps_max <= 1", n,
                           d->eps_min, d->eps_max);
        if (d->steps_min < 1 || d->steps_max < d->steps_min || d->steps_max > TG_DEFENSE_MAX_STEPS)
            return tg_fail(TG_ERR_RANGE, "%s: steps range [%d, %d] must satisfy 1 <= steps_min <= steps_max <= %d", n,
                           d->steps_min, d->steps_max, TG_DEFENSE_MAX_STEPS);
    } else {
        if (!in_range(d->eps, 0.0, 1.0, 1))
            return tg_fail(TG_ERR_RANGE, "%s: eps %g must be in (0, 1] (normalised units)", n, d->eps);
        if (d->steps < 1 || d->steps > TG_DEFENSE_MAX_STEPS)
            return tg_fail(TG_ERR_RANGE, "%s: steps %d must be in 1..%d", n, d->steps, TG_DEFENSE_MAX_STEPS);
    }
    if (!in_range(d->step, 0.0, 1.0, 1))
        return tg_fail(TG_ERR_RANGE, "%s: step %g must be in (0, 1] (normalised units)", n, d->step);
    if (d->random_start != 0 && d->random_start != 1)
        return tg_fail(TG_ERR_RANGE, "%s: random_start must be 0 or 1", n);
    if (!in_range(d->prob, 0.0, 1.0, 0))
        return tg_fail(TG_ERR_RANGE, "%s: prob %g must be in [0, 1]", n, d->prob);
    if (!in_range(d->mix, 0.0, 1.0, 1))
        return tg_fail(TG_ERR_RANGE, "%s: mix %g must be in (0, 1]", n, d->mix);
    if (d->ramp_epochs < 0 || d->ramp_epochs > TG_TRAIN_MAX_EPOCHS)
        return tg_fail(TG_ERR_RANGE, "%s: ramp_epochs %d must be in 0..%d", n, d->ramp_epochs, TG_TRAIN_MAX_EPOCHS);
    if (d->dual_bn != 0 && d->dual_bn != 1)
        return tg_fail(TG_ERR_RANGE, "%s: dual_bn must be 0 or 1", n);
    if (d->kind == TG_DEFENSE_MART || d->kind == TG_DEFENSE_TRADES) {
        if (!in_range(d->beta, 0.0, 100.0, 0))
            return tg_fail(TG_ERR_RANGE, "%s: beta %g must be in [0, 100]", n, d->beta);
        if (d->prob != 1.0 || d->mix != 1.0)
            return tg_fail(TG_ERR_ARG, "%s: prob and mix must be 1 (the loss uses every clean and adversarial sample)",
                           n);
    } else if (d->dual_bn && d->mix != 1.0) {
        return tg_fail(TG_ERR_ARG, "%s: dual BN needs whole-batch replacement (mix 1, got %g): one pass has one BN set",
                       n, d->mix);
    }
    return TG_OK;
}

/* snprintf-like append at *len (the length so far, possibly past size). */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *at = *len < size ? buf + *len : NULL;
    int k = vsnprintf(at, at ? size - *len : 0, fmt, ap);
    va_end(ap);
    if (k > 0)
        *len += (size_t)k;
}

/* " (0.62 °C)" for v normalised units, nothing without temperatures. */
static void append_celsius(char *buf, size_t size, size_t *len, double v, const tg_pipeline_config *cfg)
{
    if (cfg && cfg->has_temperature)
        append(buf, size, len, " (%.2g °C)", v * tg_pipeline_celsius_per_unit(cfg));
}

size_t tg_defense_describe(const tg_defense_params *d, const tg_pipeline_config *cfg, char *buf, size_t size)
{
    size_t len = 0;
    if (buf && size)
        buf[0] = '\0';
    else
        buf = NULL, size = 0;
    if (!d) {
        append(buf, size, &len, "none");
        return len;
    }
    append(buf, size, &len, "%s", tg_defense_name(d->kind));
    if (d->kind < TG_DEFENSE_PGD_AT || d->kind > TG_DEFENSE_TRADES)
        return len;
    if (d->kind == TG_DEFENSE_MPADVT) {
        append(buf, size, &len, " eps=U(%.3g,%.3g)", d->eps_min, d->eps_max);
        if (cfg && cfg->has_temperature)
            append(buf, size, &len, " (%.2g-%.2g °C)", d->eps_min * tg_pipeline_celsius_per_unit(cfg),
                   d->eps_max * tg_pipeline_celsius_per_unit(cfg));
        append(buf, size, &len, " steps=floor(U(%d,%d))", d->steps_min, d->steps_max);
    } else {
        append(buf, size, &len, " eps=%.3g", d->eps);
        append_celsius(buf, size, &len, d->eps, cfg);
        append(buf, size, &len, " steps=%d", d->steps);
    }
    append(buf, size, &len, " step=%.2g", d->step);
    append_celsius(buf, size, &len, d->step, cfg);
    if (d->kind == TG_DEFENSE_MART || d->kind == TG_DEFENSE_TRADES)
        append(buf, size, &len, " beta=%g%s", d->beta, d->random_start ? " start=0.001N" : "");
    else
        append(buf, size, &len, "%s prob=%g mix=%g", d->random_start ? " random-start" : "", d->prob, d->mix);
    append(buf, size, &len, " ramp=%d dual-bn=%d crafted-in=eval linf", d->ramp_epochs, d->dual_bn);
    return len;
}
