/* `--defense` option of the `thermoguard` command line (train): name[:key=value,...].
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_CLI_DEFENSE_OPTS_H
#define THERMOGUARD_CLI_DEFENSE_OPTS_H

#include "thermoguard/defense.h"

/* Help text listing the defenses and their keys (for usage messages). */
extern const char cli_defense_help[];

/* Parses e.g. "pgd-at", "mpadvt", "mart:beta=6", "trades:beta=3,eps=0.031,steps=10" or
 * "pgd-at:eps=0.02,dual-bn" into *out: the kind's documented defaults, then each key in order.
 * Keys: eps, eps-min, eps-max, step (normalised units), steps, steps-min, steps-max, beta, prob,
 * mix, ramp (epochs), random-start[=0|1], dual-bn[=0|1]. The result must pass
 * tg_defense_params_check. Returns 0, or 2 after printing "thermoguard train: ..." naming the
 * problem (unknown defense or key, a bad number, a value out of range). */
int cli_parse_defense(const char *name_and_opts, tg_defense_params *out);

#endif
