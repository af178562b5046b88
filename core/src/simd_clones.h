/* TG_SIMD_CLONES: hot loops compiled twice, for baseline x86-64 and for x86-64-v3 (AVX2 + FMA,
 * Intel Haswell / AMD Zen and later); the loader picks the best one for the CPU (GCC function
 * multi-versioning). The package stays runnable on any x86-64 while using the vector units that
 * are there. Loops marked with it must give the same bits in both clones (no reassociation; FMA
 * contraction only where the caller accepts it).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef TG_SIMD_CLONES_H
#define TG_SIMD_CLONES_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define TG_SIMD_CLONES __attribute__((target_clones("default", "arch=x86-64-v3")))
#else
#define TG_SIMD_CLONES
#endif

#endif
