#!/usr/bin/python3
"""Reference squeezers for tests/core/squeeze_test.cc, written independently with numpy/scipy.

usage: squeeze_reference.py OUT IN  — IN holds records ([kind], [param, h, w], [image]);
OUT gets the same records with the squeezed image appended."""
import sys

import numpy as np
from scipy.fft import dctn, idctn
from scipy.ndimage import median_filter

import records

LUM = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]).reshape(8, 8)


def jpeg(x, quality):
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    q = np.clip((LUM * scale + 50) // 100, 1, 255).astype(float)
    h, w = x.shape
    H, W = -(-h // 8) * 8, -(-w // 8) * 8
    pix = np.pad(np.rint(255 * np.clip(x, 0, 1)), ((0, H - h), (0, W - w)), mode="edge") - 128
    out = np.empty_like(pix)
    for by in range(0, H, 8):
        for bx in range(0, W, 8):
            c = dctn(pix[by:by + 8, bx:bx + 8], norm="ortho")
            out[by:by + 8, bx:bx + 8] = idctn(np.rint(c / q) * q, norm="ortho")
    return (np.clip(np.rint(out + 128), 0, 255) / 255)[:h, :w]


out_path, in_path = sys.argv[1], sys.argv[2]
res = []
for strs, ints, arrays in records.read(in_path):
    kind, (param, h, w), x = strs[0], ints, arrays[0].reshape(ints[1], ints[2])
    if kind == "bits":
        y = np.rint(np.clip(x, 0, 1) * (2 ** param - 1)) / (2 ** param - 1)
    elif kind == "median":
        y = median_filter(np.clip(x, 0, 1), size=param, mode="nearest")
    elif kind == "jpeg":
        y = jpeg(x, param)
    else:
        sys.exit("unknown kind " + kind)
    res.append((strs, ints, [x, y]))
records.write(out_path, res)
