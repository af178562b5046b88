/* `--defense name[:key=value,...]` parsing for `thermoguard train`.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "defense_opts.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cli_defense_help[] =
    "defenses: none, pgd-at, mpadvt, mart (= maadvt), trades; options after ':' separated by ',':\n"
    "  eps=, eps-min=, eps-max=, step= (normalised units: fractions of the model's °C range),\n"
    "  steps=, steps-min=, steps-max=, beta=, prob=, mix=, ramp=<epochs>, random-start[=0|1], dual-bn[=0|1]\n";

/* Whole-string finite number. */
static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s && !*end && errno == 0 && isfinite(*v);
}

/* Whole-string int. */
static int parse_int(const char *s, int *v)
{
    char *end;
    errno = 0;
    long l = strtol(s, &end, 10);
    if (!*s || *end || errno || l < -1000000 || l > 1000000)
        return 0;
    *v = (int)l;
    return 1;
}

/* Applies one key[=value] to d; 0 or 2 (printed). */
static int apply(tg_defense_params *d, const char *key, const char *val)
{
    static const struct {
        const char *key;
        size_t off;
    } dbl[] = {{"eps", offsetof(tg_defense_params, eps)},         {"eps-min", offsetof(tg_defense_params, eps_min)},
               {"eps-max", offsetof(tg_defense_params, eps_max)}, {"step", offsetof(tg_defense_params, step)},
               {"beta", offsetof(tg_defense_params, beta)},       {"prob", offsetof(tg_defense_params, prob)},
               {"mix", offsetof(tg_defense_params, mix)}};
    static const struct {
        const char *key;
        size_t off;
        int flag; /* may be given without a value (= 1) */
    } ints[] = {{"steps", offsetof(tg_defense_params, steps), 0},
                {"steps-min", offsetof(tg_defense_params, steps_min), 0},
                {"steps-max", offsetof(tg_defense_params, steps_max), 0},
                {"ramp", offsetof(tg_defense_params, ramp_epochs), 0},
                {"random-start", offsetof(tg_defense_params, random_start), 1},
                {"dual-bn", offsetof(tg_defense_params, dual_bn), 1}};
    char *base = (char *)d;
    for (size_t i = 0; i < sizeof dbl / sizeof *dbl; i++)
        if (strcmp(key, dbl[i].key) == 0) {
            if (!val || !parse_double(val, (double *)(base + dbl[i].off)))
                return cli_error("train", 2, "--defense: %s needs a number, got '%s'", key, val ? val : "");
            return 0;
        }
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        if (strcmp(key, ints[i].key) == 0) {
            int *dst = (int *)(base + ints[i].off);
            if (!val && ints[i].flag) {
                *dst = 1;
                return 0;
            }
            if (!val || !parse_int(val, dst))
                return cli_error("train", 2, "--defense: %s needs an integer, got '%s'", key, val ? val : "");
            return 0;
        }
    return cli_error("train", 2, "--defense: unknown option '%s'\n%s", key, cli_defense_help);
}

int cli_parse_defense(const char *name_and_opts, tg_defense_params *out)
{
    if (!name_and_opts || !*name_and_opts)
        return cli_error("train", 2, "--defense needs a value\n%s", cli_defense_help);
    char buf[512];
    if (strlen(name_and_opts) >= sizeof buf)
        return cli_error("train", 2, "--defense: value too long");
    strcpy(buf, name_and_opts);
    char *opts = strchr(buf, ':');
    if (opts)
        *opts++ = '\0';
    tg_defense_kind kind;
    if (tg_defense_kind_from_name(buf, &kind) != TG_OK)
        return cli_error("train", 2, "--defense: unknown defense '%s'\n%s", buf, cli_defense_help);
    tg_defense_params d = tg_defense_params_default(kind);
    if (opts) {
        if (kind == TG_DEFENSE_NONE)
            return cli_error("train", 2, "--defense: 'none' takes no options");
        for (char *item = opts, *next; item; item = next) {
            next = strchr(item, ',');
            if (next)
                *next++ = '\0';
            if (!*item)
                return cli_error("train", 2, "--defense: empty option in '%s'", name_and_opts);
            char *val = strchr(item, '=');
            if (val)
                *val++ = '\0';
            int rc = apply(&d, item, val);
            if (rc)
                return rc;
        }
    }
    if (tg_defense_params_check(&d) != TG_OK)
        return cli_error("train", 2, "--defense '%s': %s", name_and_opts, tg_last_error());
    *out = d;
    return 0;
}
