/* DWT entry points: the type-generic kernels of dwt_impl.inc instantiated for float and double.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "dwt_internal.h"
#include "thermoguard/image.h"

#define T double
#define SUF d
#define FILT(f) f
#include "dwt_impl.inc"
#undef T
#undef SUF
#undef FILT

#define T float
#define SUF f
#define FILT(f) f##_f
#include "dwt_impl.inc"
#undef T
#undef SUF
#undef FILT
