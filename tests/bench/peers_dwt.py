#!/usr/bin/python3
"""The same workloads as bench_dwt.c in PyWavelets and scikit-image (single-threaded).
Prints 'name median_ms' lines in the same format."""
import sys
import time
import warnings

import numpy as np
import pywt
from skimage.restoration import denoise_wavelet

warnings.simplefilter("ignore")
samples = int(sys.argv[1]) if len(sys.argv) > 1 else 21
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
rng = np.random.default_rng(1)


def median_ms(f):
    f()
    t = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            f()
        t.append((time.perf_counter() - t0) * 1e3 / reps)
    return float(np.median(t))


for dt, name in ((np.float32, "float32"), (np.float64, "float64")):
    x = (0.5 + 0.1 * rng.standard_normal((480, 640))).astype(dt)
    print("wavedec2+waverec2_db2_L3_%s %.4f" % (name, median_ms(
        lambda: pywt.waverec2(pywt.wavedec2(x, "db2", "symmetric", level=3), "db2", "symmetric"))))
x = 0.5 + 0.1 * rng.standard_normal((480, 640))
d = median_ms(lambda: denoise_wavelet(x, wavelet="db2", method="BayesShrink", mode="soft"))
print("denoise_wavelet_bayes_db2_soft_float64 %.4f" % d)
print("denoise_reused_denoiser_float64 %.4f" % d)
