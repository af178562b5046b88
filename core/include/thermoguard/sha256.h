/* ThermoGuard — SHA-256 (FIPS 180-4), streaming and one-shot, with a lowercase hex helper.
 * Used for model-file integrity and the model hash reported in SRs and audit reports.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_SHA256_H
#define THERMOGUARD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TG_SHA256_BYTES 32
#define TG_SHA256_HEX_CHARS 65 /* 64 hex digits + NUL */

/* Streaming state; treat as opaque. */
typedef struct tg_sha256_ctx {
    uint32_t h[8];
    uint64_t total;     /* bytes hashed so far */
    uint8_t buf[64];    /* pending partial block */
    size_t fill;        /* bytes in buf */
} tg_sha256_ctx;

/* Starts a new hash. */
void tg_sha256_init(tg_sha256_ctx *s);

/* Adds n bytes (data may be NULL when n == 0). */
void tg_sha256_update(tg_sha256_ctx *s, const void *data, size_t n);

/* Finishes the hash into out[32]; the state must be re-initialised before reuse. */
void tg_sha256_final(tg_sha256_ctx *s, uint8_t out[TG_SHA256_BYTES]);

/* One-shot SHA-256 of n bytes. */
void tg_sha256(const void *data, size_t n, uint8_t out[TG_SHA256_BYTES]);

/* Writes the 64 lowercase hex digits of a digest and a NUL into hex[65]. */
void tg_sha256_hex(const uint8_t digest[TG_SHA256_BYTES], char hex[TG_SHA256_HEX_CHARS]);

#ifdef __cplusplus
}
#endif
#endif
