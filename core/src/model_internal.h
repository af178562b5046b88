/* Shared by the .tgm writer (model.c) and reader (model_io.c): section tags, little-endian
 * encoding and the string rules (internal).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_MODEL_INTERNAL_H
#define THERMOGUARD_MODEL_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include "thermoguard/model.h"

#define TGM_MAGIC "TGMODEL\0"
#define TGM_MAGIC_LEN 8
#define TGM_HEADER_LEN 12          /* magic + u32 version */
#define TGM_SECTION_HEADER_LEN 12  /* u32 tag + u64 length */

/* A tag is its four ASCII letters, first letter in the lowest byte (= first in the file). */
#define TGM_TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TGM_HEAD TGM_TAG('H', 'E', 'A', 'D')
#define TGM_PROV TGM_TAG('P', 'R', 'O', 'V')
#define TGM_PIPE TGM_TAG('P', 'I', 'P', 'E')
#define TGM_ARCH TGM_TAG('A', 'R', 'C', 'H')
#define TGM_CLAS TGM_TAG('C', 'L', 'A', 'S')
#define TGM_PARM TGM_TAG('P', 'A', 'R', 'M')
#define TGM_STAT TGM_TAG('S', 'T', 'A', 'T')
#define TGM_HASH TGM_TAG('H', 'A', 'S', 'H')
/* Ancillary sections (lower case: older readers skip them). */
#define TGM_PREP TGM_TAG('p', 'r', 'e', 'p')
#define TGM_DETE TGM_TAG('d', 'e', 't', 'e')

/* String field kinds: a line (no control characters) or free text (tab, CR, LF allowed). */
enum { TGM_LINE = 0, TGM_TEXT = 1 };

static inline void tgm_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void tgm_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t tgm_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t tgm_get_u64(const uint8_t *p)
{
    return (uint64_t)tgm_get_u32(p) | (uint64_t)tgm_get_u32(p + 4) << 32;
}

static inline uint32_t tgm_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float tgm_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Checks n bytes of a string field: shorter than `cap` (the buffer size incl. NUL), valid UTF-8,
 * no NUL, no control characters (TGM_TEXT allows tab, CR, LF). TG_ERR_FORMAT / TG_ERR_OVERFLOW
 * naming `field`. */
tg_status tgm_check_string(const char *s, size_t n, size_t cap, int kind, const char *field);

/* Re-raises the current error as "<prefix>: <current message>" with status st. */
tg_status tgm_wrap(tg_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
