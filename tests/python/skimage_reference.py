#!/usr/bin/python3
"""scikit-image 0.19 denoise_wavelet reference values for tests/core/denoise_test.cc.

usage: skimage_reference.py OUT
Each record: strs [wavelet, method, mode], ints [rows, cols, levels (0 = default), sigma_given],
arrays [input, sigma, unclipped output (_wavelet_threshold), public denoise_wavelet output (clipped)].
"""
import sys
import warnings

import numpy as np
from skimage.restoration import denoise_wavelet
from skimage.restoration._denoise import _wavelet_threshold

import records

warnings.simplefilter("ignore")
out = sys.argv[1]
rng = np.random.default_rng(7)
recs = []


def phantom(h, w):
    y, x = np.mgrid[0:h, 0:w]
    base = 0.5 + 0.2 * np.sin(x / 9.0) * np.cos(y / 13.0)
    base += 0.15 * ((x - w / 2) ** 2 + (y - h / 2) ** 2 < (min(h, w) / 4) ** 2)
    return np.clip(base + 0.05 * rng.standard_normal((h, w)), 0, 1)


for (h, w) in [(64, 80), (97, 61), (480 // 4, 640 // 4)]:
    img = phantom(h, w)
    for wavelet in ("db1", "db2", "sym4", "coif1", "bior2.2"):
        for method in ("BayesShrink", "VisuShrink"):
            for mode in ("soft", "hard"):
                for levels in (None, 2):
                    for sigma in (None, 0.04):
                        ref = _wavelet_threshold(img, wavelet=wavelet, method=method, sigma=sigma, mode=mode,
                                                 wavelet_levels=levels)
                        pub = denoise_wavelet(img, wavelet=wavelet, method=method, sigma=sigma, mode=mode,
                                              wavelet_levels=levels)
                        recs.append(([wavelet, method, mode],
                                     [h, w, levels or 0, 0 if sigma is None else 1],
                                     [img, np.array([sigma or 0.0]), ref, pub]))
records.write(out, recs)
