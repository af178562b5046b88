/* Test helper: writes the synthetic phantom views of one patient as DMR-IR-style °C text
 * matrices for `thermoguard dicomize`, and prints one line per file: PATH LATERALITY VIEW.
 * usage: phantom_matrices OUT_DIR PATIENT_INDEX [SEED]
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "thermoguard/dataset.h"
#include "thermoguard/phantom.h"

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: phantom_matrices OUT_DIR PATIENT_INDEX [SEED]\n");
        return 2;
    }
    static const tg_view views[] = {TG_VIEW_FRONTAL, TG_VIEW_LATERAL_LEFT, TG_VIEW_LATERAL_RIGHT,
                                    TG_VIEW_OBLIQUE_LEFT};
    static const char *const lat[] = {"B", "L", "R", "L"};
    static const char *const view_text[] = {"FRONTAL", "LATERAL", "LATERAL", "OBLIQUE"};
    tg_phantom_opts o;
    tg_phantom_opts_default(&o);
    o.seed = argc == 4 ? strtoull(argv[3], NULL, 10) : 7;
    o.n_patients = 1000;
    o.quantize = 1;
    size_t patient = strtoull(argv[2], NULL, 10);
    for (int v = 0; v < 4; ++v) {
        tg_image img = {0};
        char path[4096];
        snprintf(path, sizeof path, "%s/view%d.txt", argv[1], v);
        if (tg_phantom_render(&o, patient, views[v], &img, NULL) != TG_OK ||
            tg_textmatrix_write_file(path, &img, TG_TEXTMATRIX_SPACE) != TG_OK) {
            fprintf(stderr, "phantom_matrices: %s\n", tg_last_error());
            tg_image_destroy(&img);
            return 1;
        }
        tg_image_destroy(&img);
        printf("%s %s %s\n", path, lat[v], view_text[v]);
    }
    return 0;
}
