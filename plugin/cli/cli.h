/* The `thermoguard` command line: one entry point per subcommand (cmd_<name>.c).
 * Each returns the process exit status: 0 ok, 1 runtime failure, 2 usage error.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_CLI_H
#define THERMOGUARD_CLI_H

#include <stdint.h>
#include <stdio.h>
#include "thermoguard/progress.h"
#include "thermoguard/sha256.h"
#include "thermoguard/train.h"

/* `thermoguard dicomize`: °C text matrices -> a DICOM thermography series. */
int cmd_dicomize(int argc, char **argv);

/* `thermoguard analyze`: thermogram DICOM files -> model result (placeholder without --model) -> result SR. */
int cmd_analyze(int argc, char **argv);

/* `thermoguard synth`: the synthetic phantom as °C text matrices (+ DICOM), labels, views. */
int cmd_synth(int argc, char **argv);

/* `thermoguard preprocess`: one view (DICOM, text matrix, PNG/JPEG/TIFF) -> per-breast model inputs. */
int cmd_preprocess(int argc, char **argv);

/* `thermoguard train`: a views.csv collection -> a trained, calibrated .tgm model. */
int cmd_train(int argc, char **argv);

/* `thermoguard eval`: a model on a views.csv collection -> metrics (text or JSON). */
int cmd_eval(int argc, char **argv);

/* `thermoguard audit`: robustness audit of a model on a collection -> audit.json, report.html. */
int cmd_audit(int argc, char **argv);

/* `thermoguard robustness`: models under attack on a collection's held-out split -> the
 * transfer / adaptive / black-box robustness table (text, JSON, CSV). */
int cmd_robustness(int argc, char **argv);

struct tg_audit;
struct tg_model;
/* `thermoguard audit` on a folder of DICOM files (audit_dicom.c): every series under `dir`,
 * breast samples as the node builds them, audited with the Orthanc job's per-image step; with
 * sr_dir one audit SR per study (*n_sr written, -1 without sr_dir). *synthetic = 1 when every
 * PatientID is a synthetic one (SYN-*). 0, or 1 with the error printed. */
int cli_audit_dicom_dir(struct tg_audit *a, struct tg_model *m, const char *dir, const char *sr_dir,
                        const tg_progress *progress, int *n_sr, int *synthetic);

/* Prints "thermoguard <cmd>: <message>" to stderr; returns `code`. */
int cli_error(const char *cmd, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- shared helpers (cli_util.c) ---- */

/* Parses a whole string as a finite double / an integer in [lo, hi] / an unsigned 64-bit
 * integer; 0 on success, -1 otherwise (nothing printed). */
int cli_parse_double(const char *s, double *out);
int cli_parse_int(const char *s, long lo, long hi, int *out);
int cli_parse_u64(const char *s, uint64_t *out);

/* Progress of a long step on stderr: on a terminal one line redrawn with \r (bar, stage text,
 * elapsed time, ETA); otherwise silent, except that with `every_epoch` each completed training
 * epoch (a stage "... batch N/N ...") is printed as a plain line. */
typedef struct cli_progress {
    tg_progress p;          /* hand &p to core functions */
    const char *cmd;
    int tty, every_epoch, drawn;
    double t0, last_draw;
} cli_progress;

/* Sets up `cp` for command `cmd` (terminal detection on stderr). */
void cli_progress_init(cli_progress *cp, const char *cmd, int every_epoch);

/* Ends the progress line (newline on a terminal) and prints "<what>: <t> s" on stderr. */
void cli_progress_done(cli_progress *cp, const char *what);

/* Seconds on a monotonic clock. */
double cli_now(void);

/* JSON output: a string with escapes, a number (null for NaN/Inf), binary metrics as an object. */
void cli_json_str(FILE *f, const char *s);
void cli_json_num(FILE *f, double v);
void cli_json_metrics(FILE *f, const tg_binary_metrics *m);

/* Text output of binary metrics: accuracy, sensitivity, specificity, AUC and the confusion
 * matrix, each line prefixed by `indent`. */
void cli_print_metrics(FILE *f, const char *indent, const tg_binary_metrics *m);

/* SHA-256 (hex) over DIR/views.csv's bytes and every sample of `set` (pixels, labels, patient
 * and group keys): identifies the training data. Non-zero when views.csv cannot be read. */
int cli_data_hash(const char *dir, const tg_sample_set *set, char hex[TG_SHA256_HEX_CHARS]);

/* 1 when every patient id of `set` is a phantom id ("SYN-..."), else 0. */
int cli_set_is_synthetic(const tg_sample_set *set);

#endif
