/* `thermoguard` entry point: dispatches to the subcommands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"synth", cmd_synth, "write the synthetic thermogram phantom (°C matrices, labels, DICOM)"},
    {"dicomize", cmd_dicomize, "convert °C text matrices into a DICOM thermography series"},
    {"analyze", cmd_analyze, "analyze thermogram DICOM files and write a result SR"},
    {"preprocess", cmd_preprocess, "write one view's per-breast model inputs for inspection"},
    {"train", cmd_train, "train a model on a views.csv collection (patient-level split)"},
    {"eval", cmd_eval, "evaluate a model on a views.csv collection"},
    {"audit", cmd_audit, "robustness audit of a model: JSON data and an HTML report"},
    {"robustness", cmd_robustness, "robustness table under transfer, adaptive and black-box attacks"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: thermoguard <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'thermoguard <command> --help' describes a command. Research use only.\n");
}

int cli_error(const char *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "thermoguard %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("thermoguard %s\n", TG_CLI_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "thermoguard: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
