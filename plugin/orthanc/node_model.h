/* ThermoGuard node — the loaded-model object shared by model.c and analyze.c (internal).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_NODE_MODEL_H
#define TG_NODE_MODEL_H

#include "thermoguard/model.h"
#include "thermoguard/preprocess.h"

struct tg_node_model {
    int refs;                   /* under model.c's lock */
    unsigned long generation;   /* unique per load: worker pipelines are rebuilt when it changes */
    int index;                  /* configuration entry */
    char config_name[64];
    char sha256[65];            /* of the file bytes that were verified and parsed */
    char provenance[1024];      /* summary for the SR */
    tg_model *m;                /* read-only after load */
};

/* Another reference to `m` (non-NULL). */
tg_node_model *tg_node_model_ref(tg_node_model *m);

/* Preprocessing parameters for model `m`: the ones its file carries (training, evaluation and
 * the node preprocess identically). */
void tg_node_preprocess_params(const tg_model *m, tg_preprocess_params *pp);

#endif
