#!/usr/bin/python3
# Reference for tests/core/attack_test.cc: the same pipeline and attacks in PyTorch, float64.
# The pipeline under test has denoising OFF, so raw -> features is the fixed affine map
# x = (T - t_min)/(t_max - t_min) followed by the haar level-1 DWT (symmetric mode; even sizes
# have no boundary terms), LL scaled by 1/2. That is a stride-2 2x2 convolution, written here
# from PyWavelets' haar filters; the C test also compares these features with
# tg_pipeline_features, so the reference's feature map is checked, not assumed.
# Usage: attack_torch_check.py DIR  (DIR holds meta.txt, params.bin, input.bin, labels.bin)
# Writes features.out, grad_xent.out, grad_margin.out (first `ngrad` samples, raw units),
# pgd3.out (PGD-L∞ 3 steps, no random start, first `ngrad` samples) and pgd20.out (per-sample
# success of PGD-20, no random start, all samples), all float32 little-endian.
# Exit code 77 = PyTorch or NumPy is not installed.
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import re
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.exit(77)

torch.set_default_dtype(torch.float64)


def load_meta(d):
    meta = {}
    with open(os.path.join(d, "meta.txt")) as f:
        for line in f:
            key, _, val = line.strip().partition(" ")
            meta[key] = val
    return meta


def haar_kernel():
    k = torch.tensor([[[0.25, 0.25], [0.25, 0.25]],   # LL (pywt cA scaled by 2^-1)
                      [[0.5, 0.5], [-0.5, -0.5]],     # H  (pywt cH)
                      [[0.5, -0.5], [0.5, -0.5]],     # V  (pywt cV)
                      [[0.5, -0.5], [-0.5, 0.5]]])    # D  (pywt cD)
    return k.unsqueeze(1)


def build(spec, params):
    """Returns f(features) -> logits for the spec's conv/relu/maxpool/gap/dense layers."""
    layers = []
    for m in re.finditer(r"([a-z]+)(?:\(([^)]*)\))?(?:-|$)", spec):
        name, a = m.group(1), [int(float(v)) for v in m.group(2).split(",")] if m.group(2) else []
        layers.append((name, a))

    def net(x):
        y, p = x, 0
        for name, a in layers:
            if name == "conv":
                k, r = a[0], a[1]
                s = a[2] if len(a) > 2 else 1
                pad = a[3] if len(a) > 3 else 0
                cin = y.shape[1]
                w = params[p:p + k * cin * r * r].reshape(k, cin, r, r)
                p += k * cin * r * r
                b = params[p:p + k]
                p += k
                y = F.conv2d(y, w, b, stride=s, padding=pad)
            elif name == "relu":
                y = F.relu(y)
            elif name == "maxpool":
                y = F.max_pool2d(y, a[0], a[1] if len(a) > 1 else a[0])
            elif name == "gap":
                y = y.mean(dim=(2, 3))
            elif name == "dense":
                y = y.reshape(y.shape[0], -1)
                o, fin = a[0], y.shape[1]
                w = params[p:p + o * fin].reshape(o, fin)
                p += o * fin
                b = params[p:p + o]
                p += o
                y = F.linear(y, w, b)
            else:
                raise SystemExit("unsupported layer " + name)
        return y
    return net


def main(d):
    meta = load_meta(d)
    c, h, w = (int(v) for v in meta["shape"].split())
    n, ngrad = int(meta["batch"]), int(meta["ngrad"])
    t_min, t_max = float(meta["tmin"]), float(meta["tmax"])
    scale = t_max - t_min
    eps, step = float(meta["eps"]) * scale, float(meta["step"]) * scale  # °C
    load = lambda name: torch.from_numpy(np.fromfile(os.path.join(d, name), dtype="<f4").astype(np.float64))
    params = load("params.bin")
    raw = load("input.bin").reshape(n, c, h, w)
    labels = torch.from_numpy(np.fromfile(os.path.join(d, "labels.bin"), dtype="<i4").astype(np.int64))
    net, kern = build(meta["spec"], params), haar_kernel()

    def features(x):
        xn = (x - t_min) / scale
        f = F.conv2d(xn.reshape(-1, 1, h, w), kern, stride=2)
        return f.reshape(x.shape[0], 4 * c, h // 2, w // 2)

    def logits(x):
        return net(features(x))

    def margin(z, y):
        zy = z.gather(1, y[:, None])[:, 0]
        other = z.clone()
        other.scatter_(1, y[:, None], -float("inf"))
        return zy - other.max(dim=1).values

    def grad(x, y, kind):
        x = x.clone().requires_grad_(True)
        z = logits(x)
        loss = F.cross_entropy(z, y, reduction="sum") if kind == "xent" else margin(z, y).sum()
        return torch.autograd.grad(loss, x)[0]

    def pgd(x0, y, iters):
        x = x0.clone()
        for _ in range(iters):
            x = x + step * grad(x, y, "xent").sign()
            x = torch.min(torch.max(x, x0 - eps), x0 + eps).clamp(t_min, t_max)
        return x

    save = lambda name, t: t.detach().numpy().astype("<f4").tofile(os.path.join(d, name))
    sub, ysub = raw[:ngrad], labels[:ngrad]
    save("features.out", features(sub))
    save("grad_xent.out", grad(sub, ysub, "xent"))
    save("grad_margin.out", grad(sub, ysub, "margin"))
    save("pgd3.out", pgd(sub, ysub, 3))
    adv = pgd(raw, labels, 20)
    save("pgd20.out", (logits(adv).argmax(dim=1) != labels).double())


if __name__ == "__main__":
    main(sys.argv[1])
