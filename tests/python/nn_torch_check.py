#!/usr/bin/env python3
# Reference for tests/core/nn_torch_test.cc: rebuilds a ThermoGuard tg_net in PyTorch (float64)
# from the raw little-endian files the test exported, and writes logits, loss, parameter
# gradients, input gradients and updated BN running statistics back as float32 files.
# Usage: nn_torch_check.py DIR   (DIR holds meta.txt, params.bin, stats.bin, input.bin, labels.bin)
# Exit code 77 = PyTorch or NumPy is not installed (the test fails with that reason).
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


def parse_spec(spec):
    layers = []
    for m in re.finditer(r"([a-z]+)(?:\(([^)]*)\))?(?:-|$)", spec):
        args = [float(a) for a in m.group(2).split(",")] if m.group(2) else []
        layers.append((m.group(1), args))
    return layers


def main(d):
    meta = {}
    with open(os.path.join(d, "meta.txt")) as f:
        for line in f:
            key, _, val = line.strip().partition(" ")
            meta[key] = val
    c, h, w = (int(v) for v in meta["shape"].split())
    batch, train, bn_set = int(meta["batch"]), int(meta["train"]), int(meta["bnset"])
    weights = None if meta["weights"] == "none" else torch.tensor([float(v) for v in meta["weights"].split()],
                                                                   dtype=torch.float64)
    momentum, eps = float(meta["momentum"]), float(meta["eps"])
    load = lambda name: torch.from_numpy(np.fromfile(os.path.join(d, name), dtype="<f4").astype(np.float64))
    params, stats = load("params.bin"), load("stats.bin")
    x = load("input.bin").reshape(batch, c, h, w).requires_grad_(True)
    labels = torch.from_numpy(np.fromfile(os.path.join(d, "labels.bin"), dtype="<i4").astype(np.int64))

    # Walk the spec: every parameter is a leaf view of the flat vector, in tg_net's order.
    leaves, pos, spos = [], 0, 0

    def take(n, shape):
        nonlocal pos
        t = params[pos:pos + n].clone().reshape(shape).requires_grad_(True)
        pos += n
        leaves.append(t)
        return t

    y = x
    for name, a in parse_spec(meta["spec"]):
        if name == "conv":
            k, r = int(a[0]), int(a[1])
            s = int(a[2]) if len(a) > 2 else 1
            p = int(a[3]) if len(a) > 3 else 0
            cin = y.shape[1]
            wt = take(k * cin * r * r, (k, cin, r, r))
            b = take(k, (k,))
            y = F.conv2d(y, wt, b, stride=s, padding=p)
        elif name in ("bn", "dbn"):
            sets = 2 if name == "dbn" else 1
            cc = y.shape[1]
            gb = [(take(cc, (cc,)), take(cc, (cc,))) for _ in range(sets)]
            g, b = gb[bn_set]
            rm = stats[spos + 2 * bn_set * cc: spos + 2 * bn_set * cc + cc]
            rv = stats[spos + 2 * bn_set * cc + cc: spos + 2 * bn_set * cc + 2 * cc]
            shape = y.shape
            y = F.batch_norm(y.reshape(shape[0], cc, -1), rm, rv, g, b, training=bool(train),
                             momentum=momentum, eps=eps).reshape(shape)
            spos += 2 * cc * sets
        elif name == "relu":
            y = F.relu(y)
        elif name == "lrelu":
            y = F.leaky_relu(y, a[0] if a else 0.01)
        elif name == "maxpool":
            y = F.max_pool2d(y, int(a[0]), int(a[1]) if len(a) > 1 else int(a[0]))
        elif name == "avgpool":
            y = F.avg_pool2d(y, int(a[0]), int(a[1]) if len(a) > 1 else int(a[0]))
        elif name == "gap":
            y = y.mean(dim=(2, 3), keepdim=True)
        elif name == "dense":
            o = int(a[0])
            y = y.reshape(y.shape[0], -1)
            wt = take(o * y.shape[1], (o, y.shape[1]))
            b = take(o, (o,))
            y = F.linear(y, wt, b)
        elif name == "dropout":
            pass  # the cross-check runs dropout-free nets; dropout has its own tests
        else:
            raise SystemExit("unknown layer " + name)
    assert pos == params.numel(), (pos, params.numel())
    logits = y
    loss = F.cross_entropy(logits, labels, weight=weights)
    grads = [g if g is not None else torch.zeros_like(t)
             for g, t in zip(torch.autograd.grad(loss, leaves + [x], allow_unused=True), leaves + [x])]
    save = lambda name, t: t.detach().to(torch.float32).numpy().astype("<f4").tofile(os.path.join(d, name))
    save("logits.out", logits)
    save("loss.out", loss.reshape(1))
    save("grads.out", torch.cat([g.reshape(-1) for g in grads[:-1]]))
    save("dinput.out", grads[-1])
    save("stats.out", stats)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    main(sys.argv[1])
