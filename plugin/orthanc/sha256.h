/* ThermoGuard node — SHA-256 (FIPS 180-4) for model pinning and idempotency keys.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_NODE_SHA256_H
#define TG_NODE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct tg_node_sha256 {
    uint32_t h[8];
    uint64_t total;     /* bytes hashed so far */
    uint8_t block[64];
    size_t fill;        /* bytes pending in block */
} tg_node_sha256;

void tg_node_sha256_init(tg_node_sha256 *s);
void tg_node_sha256_update(tg_node_sha256 *s, const void *data, size_t n);
/* Writes the digest as 64 lowercase hex digits + NUL into hex. */
void tg_node_sha256_final_hex(tg_node_sha256 *s, char hex[65]);

/* Hashes the file at path (at most max_bytes). Returns 0, or -1 if it cannot be read or is larger. */
int tg_node_sha256_file(const char *path, size_t max_bytes, char hex[65]);

#endif
