/* `thermoguard preprocess`: one thermogram (DICOM, DMR-IR text matrix, PNG/JPEG/TIFF) -> the
 * per-breast model inputs written for inspection (text matrices or 16-bit PNG).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "thermoguard/collection.h"
#include "thermoguard/dataset.h"
#include "thermoguard/dicom.h"
#include "thermoguard/preprocess.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: thermoguard preprocess [options] --out DIR IMAGE\n"
            "\n"
            "Runs the model preprocessing (body mask, midline split, mirrored breast boxes, resampling\n"
            "to the model grid) on one view and writes, per breast, <name>_<side>_this, _contra (the\n"
            "contralateral breast, a copy of _this when the view shows one side) and _mask, plus\n"
            "<name>_body_mask. Every breast is oriented as a right breast seen from the front.\n"
            "IMAGE: DICOM (.dcm or any file with a DICM preamble), DMR-IR text matrix (.txt, °C),\n"
            "PNG/JPEG/TIFF (intensity in [0,1], never °C).\n"
            "\n"
            "options:\n"
            "  --out DIR        output directory (created if missing; required)\n"
            "  --view VIEW      frontal, lateral-left, lateral-right, oblique-left, oblique-right\n"
            "                   (default: from DICOM ViewPosition + laterality, else frontal)\n"
            "  --format txt|png text matrices (';'-separated, 5 decimals; default) or 16-bit PNG\n"
            "  --grid N         model grid N x N (default 64)\n"
            "  --range LO,HI    PNG value range (default 20,40 for °C, 0,1 for intensity)\n"
            "  --help           this text\n");
}

static int parse_view(const char *s, tg_view *out)
{
    for (int v = 0; v < TG_VIEW_COUNT; ++v)
        if (!strcasecmp(s, tg_view_name((tg_view)v))) {
            *out = (tg_view)v;
            return 0;
        }
    return -1;
}

static int write_plane(const char *dir, const char *stem, const char *what, const tg_image *img, int c,
                       int png, double lo, double hi)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%s.%s", dir, stem, what, png ? "png" : "txt");
    tg_status st;
    if (png) {
        st = tg_image_write_png(path, img, c, lo, hi);
    } else {
        tg_image plane = {1, img->h, img->w, tg_image_channel(img, c)}; /* borrowed, not destroyed */
        st = tg_textmatrix_write_file(path, &plane, TG_TEXTMATRIX_SEMICOLON);
    }
    if (st != TG_OK)
        return cli_error("preprocess", 1, "%s", tg_last_error());
    printf("  %s\n", path);
    return 0;
}

int cmd_preprocess(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},    {"view", required_argument, 0, 'v'},
                                         {"format", required_argument, 0, 'f'}, {"grid", required_argument, 0, 'g'},
                                         {"range", required_argument, 0, 'r'},  {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = NULL, *view_arg = NULL, *range = NULL;
    int png = 0, grid = 64, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'v': view_arg = optarg; break;
        case 'f':
            if (!strcmp(optarg, "png"))
                png = 1;
            else if (strcmp(optarg, "txt"))
                return cli_error("preprocess", 2, "--format must be txt or png, got '%s'", optarg);
            break;
        case 'g': grid = atoi(optarg); break;
        case 'r': range = optarg; break;
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    if (argc - optind != 1)
        return cli_error("preprocess", 2, "exactly one input image expected (see --help)");
    if (!out)
        return cli_error("preprocess", 2, "--out is required");
    tg_view view = TG_VIEW_FRONTAL;
    if (view_arg && parse_view(view_arg, &view) != 0)
        return cli_error("preprocess", 2, "unknown --view '%s'", view_arg);
    tg_preprocess_params params;
    tg_preprocess_params_default(&params);
    params.grid_h = params.grid_w = grid;
    if (tg_preprocess_params_check(&params) != TG_OK)
        return cli_error("preprocess", 2, "--grid: %s", tg_last_error());
    double lo = 0, hi = 0;
    if (range && (sscanf(range, "%lf,%lf", &lo, &hi) != 2 || !(lo < hi)))
        return cli_error("preprocess", 2, "--range must be LO,HI with LO < HI, got '%s'", range);

    const char *in = argv[optind];
    tg_image img = {0};
    int has_temperature = 1;
    tg_view hint = TG_VIEW_COUNT;
    tg_status st = tg_thermogram_read(in, &img, &has_temperature, &hint);
    if (st == TG_OK && !view_arg && hint != TG_VIEW_COUNT)
        view = hint;
    if (st != TG_OK)
        return cli_error("preprocess", 1, "%s", tg_last_error());
    tg_preprocess_result res;
    st = tg_preprocess_view(&img, view, &params, &res);
    if (st != TG_OK) {
        tg_image_destroy(&img);
        return cli_error("preprocess", 1, "%s: %s", in, tg_last_error());
    }
    if (!range) {
        lo = has_temperature ? 20.0 : 0.0;
        hi = has_temperature ? 40.0 : 1.0;
    }
    mkdir(out, 0777);
    const char *base = strrchr(in, '/');
    base = base ? base + 1 : in;
    const char *dot = strrchr(base, '.');
    char stem[1024];
    snprintf(stem, sizeof stem, "%.*s", dot ? (int)(dot - base) : (int)strlen(base), base);

    printf("%s: %s view, %s, %d x %d, Otsu threshold %.3f, body rows %d..%d", in, tg_view_name(view),
           has_temperature ? "°C" : "intensity (no temperature scale)", img.h, img.w, res.threshold,
           res.body_top, res.body_bottom);
    if (res.midline_col >= 0)
        printf(", midline column %.1f", res.midline_col);
    printf("\n");
    int rc = write_plane(out, stem, "body_mask", &res.body_mask, 0, png, 0.0, 1.0);
    for (int b = 0; b < res.n_breasts && rc == 0; ++b) {
        const tg_breast_input *bi = &res.breast[b];
        const char *side = bi->side == TG_SIDE_LEFT ? "left" : "right";
        char what[64];
        printf("%s breast: box at column %.1f, row %.1f, side %.1f px%s%s\n", side, bi->roi_col, bi->roi_row,
               bi->roi_size, bi->side == TG_SIDE_LEFT ? ", mirrored" : "",
               bi->contralateral_present ? "" : ", contralateral absent (copy)");
        snprintf(what, sizeof what, "%s_this", side);
        rc = write_plane(out, stem, what, &bi->input, 0, png, lo, hi);
        snprintf(what, sizeof what, "%s_contra", side);
        if (rc == 0)
            rc = write_plane(out, stem, what, &bi->input, 1, png, lo, hi);
        snprintf(what, sizeof what, "%s_mask", side);
        if (rc == 0)
            rc = write_plane(out, stem, what, &bi->mask, 0, png, 0.0, 1.0);
    }
    tg_preprocess_result_destroy(&res);
    tg_image_destroy(&img);
    return rc;
}
