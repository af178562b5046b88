/* The `thermoguard` command line: one entry point per subcommand (cmd_<name>.c).
 * Each returns the process exit status: 0 ok, 1 runtime failure, 2 usage error.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_CLI_H
#define THERMOGUARD_CLI_H

/* `thermoguard dicomize`: °C text matrices -> a DICOM thermography series. */
int cmd_dicomize(int argc, char **argv);

/* `thermoguard analyze`: thermogram DICOM files -> result SR (placeholder until a model exists). */
int cmd_analyze(int argc, char **argv);

/* `thermoguard synth`: the synthetic phantom as °C text matrices (+ DICOM), labels, views. */
int cmd_synth(int argc, char **argv);

/* `thermoguard preprocess`: one view (DICOM, text matrix, PNG/JPEG/TIFF) -> per-breast model inputs. */
int cmd_preprocess(int argc, char **argv);

/* Prints "thermoguard <cmd>: <message>" to stderr; returns `code`. */
int cli_error(const char *cmd, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
