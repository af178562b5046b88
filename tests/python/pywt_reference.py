#!/usr/bin/python3
"""PyWavelets reference values for tests/core/dwt_pywt_test.cc.

usage: pywt_reference.py OUT {filters|dwt1|wavedec|wavedec2|threshold}
Inputs are drawn here from a seeded numpy generator and written alongside the outputs.
"""
import sys
import warnings

import numpy as np
import pywt

import records

warnings.simplefilter("ignore")  # pywt warns when a level is boundary-dominated
MODES = ["zero", "constant", "symmetric", "periodic", "smooth", "periodization", "reflect",
         "antisymmetric", "antireflect"]
out, kind = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(20261123)
recs = []


def flat(coeffs2):
    return np.concatenate([coeffs2[0].ravel()] + [b.ravel() for lvl in coeffs2[1:] for b in lvl])


if kind == "filters":
    for name in pywt.wavelist(kind="discrete"):
        recs.append(([name], [], [np.array(f) for f in pywt.Wavelet(name).filter_bank]))

elif kind == "dwt1":
    for name in pywt.wavelist(kind="discrete"):
        for mi, mode in enumerate(MODES):
            for n in (1, 2, 3, 4, 5, 7, 16, 33):
                if n == 1 and mode in ("reflect", "antireflect"):
                    continue  # PyWavelets 1.1.1 never returns for these (see dwt.h)
                x = rng.standard_normal(n)
                ca, cd = pywt.dwt(x, name, mode)
                pa, pd = ca + rng.standard_normal(ca.size), cd + rng.standard_normal(cd.size)
                rec = pywt.idwt(pa, pd, name, mode)
                recs.append(([name], [mi, n], [x, ca, cd, pa, pd, rec]))

elif kind == "wavedec":
    for name in pywt.wavelist(kind="discrete"):
        F = pywt.Wavelet(name).dec_len
        for mi, mode in enumerate(MODES):
            n = 2 * F + 17 if F > 8 else 131
            level = max(1, pywt.dwt_max_level(n, F))
            x = rng.standard_normal(n)
            c = pywt.wavedec(x, name, mode, level=level)
            recs.append(([name], [mi, n, level], [x, np.concatenate(c)]))

elif kind == "wavedec2":
    for name in pywt.wavelist(kind="discrete"):
        F = pywt.Wavelet(name).dec_len
        shapes = [(9, F + 5), (F + 2, 11)]
        if F <= 8:
            shapes += [(37, 50), (64, 71)]
        for mi, mode in enumerate(MODES):
            for (h, w) in shapes:
                level = max(1, min(3, pywt.dwt_max_level(min(h, w), F)))
                x = rng.standard_normal((h, w))
                c = pywt.wavedec2(x, name, mode, level=level)
                # the inverse is checked on perturbed coefficients, not only on a round trip
                p = [c[0] + rng.standard_normal(c[0].shape)]
                p += [tuple(b + rng.standard_normal(b.shape) for b in lvl) for lvl in c[1:]]
                rec = pywt.waverec2(p, name, mode)[:h, :w]
                recs.append(([name], [mi, h, w, level], [x, flat(c), flat(p), rec]))

elif kind == "threshold":
    x = np.linspace(-3, 3, 601)
    for t in (0.5, 1.3):  # t = 0 is left out: pywt.threshold returns NaN for x = 0 there (0/0)
        for m in ("soft", "hard", "garrote"):
            recs.append(([m], [], [x, np.array([t]), pywt.threshold(x, t, mode=m)]))
        recs.append((["firm"], [], [x, np.array([t]), pywt.threshold_firm(x, t, 2.0 * t)]))
else:
    sys.exit("unknown kind " + kind)

records.write(out, recs)
