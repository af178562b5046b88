/* ThermoGuard core — umbrella header.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef THERMOGUARD_H
#define THERMOGUARD_H

#include "thermoguard/status.h"
#include "thermoguard/image.h"
#include "thermoguard/rng.h"
#include "thermoguard/progress.h"
#include "thermoguard/wavelet.h"
#include "thermoguard/dwt.h"
#include "thermoguard/denoise.h"
#include "thermoguard/nn.h"
#include "thermoguard/dataset.h"
#include "thermoguard/phantom.h"
#include "thermoguard/pipeline.h"
#include "thermoguard/squeeze.h"
#include "thermoguard/detect.h"
#include "thermoguard/robust_loss.h"
#include "thermoguard/train.h"
#include "thermoguard/attack.h"
#include "thermoguard/sha256.h"
#include "thermoguard/model.h"
#include "thermoguard/defense.h"
#include "thermoguard/robustness.h"
#include "thermoguard/preprocess_params.h"
#include "thermoguard/audit.h"

#define TG_VERSION_STRING "0.1.0"

#endif
