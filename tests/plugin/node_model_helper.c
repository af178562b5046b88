/* Test helper for the node test: creates small random models and computes, independently of the
 * plugin, what the model gives for a series' DICOM files.
 *   node_model_helper create OUT.tgm SEED [synthetic]   -> writes a model, prints its SHA-256
 *   node_model_helper predict MODEL.tgm FILE.dcm...     -> one line per breast input:
 *                                                          SIDE PROBABILITY DETECTOR_SCORE
 * Preprocessing: tg_preprocess_params defaults on the model's grid; lateral/oblique L/R views
 * paired (first unpaired opposite view, file order), as the plugin documents it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thermoguard/collection.h"
#include "thermoguard/detect.h"
#include "thermoguard/dicom.h"
#include "thermoguard/model.h"
#include "thermoguard/preprocess.h"
#include "thermoguard/rng.h"

static int die(const char *what)
{
    fprintf(stderr, "node_model_helper: %s: %s\n", what, tg_last_error());
    return 1;
}

static int create(const char *out, unsigned long long seed, int synthetic)
{
    tg_pipeline_config cfg;
    tg_pipeline_config_default(&cfg);
    tg_model *m = NULL;
    if (tg_model_create(&m, "node-test-model", "conv(4,3,1,1)-relu-gap-dense(2)", &cfg) != TG_OK)
        return die("create");
    tg_rng rng;
    tg_rng_seed(&rng, seed);
    if (tg_net_init(m->net, &rng) != TG_OK)
        return die("init");
    snprintf(m->version, sizeof m->version, "seed-%llu", seed);
    m->synthetic = synthetic;
    m->prov.seed = seed;
    snprintf(m->prov.defense, sizeof m->prov.defense, "WBAD");
    snprintf(m->prov.notes, sizeof m->prov.notes, "random weights for the node test");
    if (tg_model_save(m, out) != TG_OK)
        return die("save");
    printf("%s\n", tg_model_sha256_hex(m));
    tg_model_destroy(m);
    return 0;
}

static tg_view opposite(tg_view v)
{
    switch (v) {
    case TG_VIEW_LATERAL_LEFT: return TG_VIEW_LATERAL_RIGHT;
    case TG_VIEW_LATERAL_RIGHT: return TG_VIEW_LATERAL_LEFT;
    case TG_VIEW_OBLIQUE_LEFT: return TG_VIEW_OBLIQUE_RIGHT;
    case TG_VIEW_OBLIQUE_RIGHT: return TG_VIEW_OBLIQUE_LEFT;
    default: return TG_VIEW_COUNT;
    }
}

static int predict(const char *model, char **files, int n)
{
    tg_model *m = NULL;
    if (tg_model_load(model, &m, NULL) != TG_OK)
        return die("load");
    tg_preprocess_params pp;
    tg_preprocess_params_default(&pp);
    pp.grid_h = m->pipeline.in_h;
    pp.grid_w = m->pipeline.in_w;
    tg_preprocess_result *r = calloc((size_t)n, sizeof *r);
    tg_view *views = calloc((size_t)n, sizeof *views);
    int *paired = calloc((size_t)n, sizeof *paired);
    for (int i = 0; i < n; ++i) {
        tg_image img = {0};
        tg_dicom_meta meta;
        if (tg_dicom_read_file(files[i], NULL, &img, &meta) != TG_OK)
            return die(files[i]);
        tg_image first = {1, img.h, img.w, img.data};
        views[i] = tg_dicom_view_of(&meta);
        if (tg_preprocess_view(&first, views[i], &pp, &r[i]) != TG_OK)
            return die(files[i]);
        tg_image_destroy(&img);
    }
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n && !paired[i] && opposite(views[i]) != TG_VIEW_COUNT; ++j)
            if (!paired[j] && views[j] == opposite(views[i]) && tg_preprocess_pair_views(&r[i], &r[j]) == TG_OK)
                paired[i] = paired[j] = 1;
    tg_pipeline *p = NULL;
    if (tg_model_pipeline(m, 1, &p) != TG_OK)
        return die("pipeline");
    tg_detector det;
    tg_detector_default(&det);
    for (int i = 0; i < n; ++i)
        for (int b = 0; b < r[i].n_breasts; ++b) {
            float probs[TG_MODEL_MAX_CLASSES], score = 0;
            const float *x = r[i].breast[b].input.data;
            if (tg_pipeline_predict(p, x, 1, probs) != TG_OK || tg_detector_scores(p, &det, x, 1, &score) != TG_OK)
                return die("predict");
            printf("%c %.9g %.9g\n", r[i].breast[b].side == TG_SIDE_LEFT ? 'L' : 'R', probs[m->positive_class],
                   score);
        }
    for (int i = 0; i < n; ++i)
        tg_preprocess_result_destroy(&r[i]);
    free(r);
    free(views);
    free(paired);
    tg_pipeline_destroy(p);
    tg_model_destroy(m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "create"))
        return create(argv[2], strtoull(argv[3], NULL, 10), argc > 4 && !strcmp(argv[4], "synthetic"));
    if (argc >= 4 && !strcmp(argv[1], "predict"))
        return predict(argv[2], argv + 3, argc - 3);
    fprintf(stderr, "usage: node_model_helper create OUT.tgm SEED [synthetic] | predict MODEL.tgm FILE.dcm...\n");
    return 2;
}
