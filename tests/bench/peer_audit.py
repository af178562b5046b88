#!/usr/bin/python3
# PyTorch peer of bench_audit: the same audit suite on the same network and inputs.
# Pipeline (float32, as core/src/pipeline.c): raw °C -> (T - t_min)/(t_max - t_min) -> wavelet
# denoising (haar/db1, scikit-image defaults: BayesShrink soft, sigma = MAD of the level-1
# diagonal band over its non-zero coefficients / Phi^-1(0.75), levels = max(max_level - 3, 1),
# thresholds held fixed in the backward pass like the C exact subgradient) -> haar level-1
# feature bands (LL scaled by 1/2) -> the model's CNN (eval-mode BN) -> logits.
# Attacks aim at the deployed verdict: with two classes every loss, margin and success is taken on
# the logits with logit(threshold) subtracted from class 1 (core/src/attack_common.c), and the
# attack's label is the clean verdict's class.
# Audit (as core/src/audit.c): per threat, per budget (0.02, 0.05, 0.1, 0.2 °C), attacks in order
# FGSM, PGD-20 (random start, step 2.5 eps/20), C&W-100 (fixed c = 1, Adam lr 1e-2, once per
# image and threat, unbounded, clipped to each budget), Square-1000 (black-box only); a sample
# leaves a (threat, budget) once its verdict flips (early stop); each attacked input costs one
# scoring forward and, when flipped, one more for the re-quantisation (0.01 °C) check.
# Usage: peer_audit.py DIR THREADS CHUNK THREATS
#   CHUNK 1 = one image at a time (what the Orthanc job does); 64 = batched (PyTorch at its best)
# Reads DIR/{meta.txt,params.bin,stats.bin,samples.bin}; writes DIR/torch_clean.bin and prints
# "torch chunk C images N seconds S img_min R flipped_<threat> K ...".
# SPDX-License-Identifier: GPL-3.0-or-later
import math
import os
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

d, threads, chunk, threats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")
torch.set_num_threads(threads)
torch.manual_seed(1)

meta = {}
with open(os.path.join(d, "meta.txt")) as f:
    for line in f:
        k, _, v = line.strip().partition(" ")
        meta[k] = v.split()
C, H, W = (int(v) for v in meta["in"])
T0, T1 = (float(v) for v in meta["range"])
SCALE = T1 - T0
den_on, den_wav, den_levels = int(meta["denoise"][0]), meta["denoise"][1], int(meta["denoise"][2])
assert den_wav in ("db1", "haar") and int(meta["denoise"][3]) == 0 and int(meta["denoise"][4]) == 0, \
    "peer implements haar BayesShrink soft only"
assert meta["feat"][0] == "haar" and meta["feat"][1] == "1" and meta["feat"][2] == "15", "peer: haar level-1 all bands"
THR, POS, BN_EPS, N = float(meta["threshold"][0]), int(meta["positive"][0]), float(meta["bn_eps"][0]), int(meta["images"][0])
params = torch.from_numpy(np.fromfile(os.path.join(d, "params.bin"), dtype=np.float32))
stats = torch.from_numpy(np.fromfile(os.path.join(d, "stats.bin"), dtype=np.float32))
samples = torch.from_numpy(np.fromfile(os.path.join(d, "samples.bin"), dtype=np.float32)).reshape(N, C, H, W)

# haar analysis kernels (PyWavelets signs) and their transposes for synthesis
KERN = torch.tensor([[[.5, .5], [.5, .5]], [[.5, .5], [-.5, -.5]],
                     [[.5, -.5], [.5, -.5]], [[.5, -.5], [-.5, .5]]]).unsqueeze(1)
if den_levels == 0:
    den_levels = max(int(math.floor(math.log2(min(H, W)))) - 3, 1)


def dwt(x):  # [M,1,h,w] -> [M,4,h/2,w/2] (LL,H,V,D)
    return F.conv2d(x, KERN, stride=2)


def idwt(c):
    return F.conv_transpose2d(c, KERN, stride=2)


def nonzero_median(a):  # per row of a >= 0, median over the non-zero entries (np.median)
    s, _ = torch.sort(a, dim=1)
    z = (a == 0).sum(dim=1)
    nz = (a.shape[1] - z).clamp(min=1)
    lo = z + (nz - 1) // 2
    hi = z + nz // 2
    return 0.5 * (s.gather(1, lo.unsqueeze(1)) + s.gather(1, hi.unsqueeze(1))).squeeze(1)


def denoise(x):  # x [B,C,H,W] normalised
    M = x.shape[0] * x.shape[1]
    a = x.reshape(M, 1, H, W)
    details = []
    for _ in range(den_levels):
        c = dwt(a)
        details.append(c[:, 1:])
        a = c[:, :1]
    with torch.no_grad():
        dd = details[0][:, 2].reshape(M, -1).abs()
        sigma = nonzero_median(dd) / 0.6744897501960817
        var = (sigma * sigma).reshape(M, 1, 1, 1)
    out = a
    for det in reversed(details):
        with torch.no_grad():
            dvar = (det * det).mean(dim=(2, 3), keepdim=True)
            t = var / torch.sqrt(torch.clamp(dvar - var, min=2.220446049250313e-16))
        det = torch.sign(det) * torch.relu(det.abs() - t)
        out = idwt(torch.cat([out, det], dim=1))
    return out.reshape(x.shape)


def build_net(spec, p, st):
    layers, po, so = [], 0, 0
    c, h, w = 4 * C, H // 2, W // 2
    for m in re.finditer(r"([a-z]+)(?:\(([^)]*)\))?(?:-|$)", spec):
        name, a = m.group(1), [int(float(v)) for v in m.group(2).split(",")] if m.group(2) else []
        if name == "conv":
            k, r = a[0], a[1]
            s, pad = (a[2] if len(a) > 2 else 1), (a[3] if len(a) > 3 else 0)
            wt = p[po:po + k * c * r * r].reshape(k, c, r, r); po += k * c * r * r
            b = p[po:po + k]; po += k
            layers.append(lambda y, wt=wt, b=b, s=s, pad=pad: F.conv2d(y, wt, b, stride=s, padding=pad))
            c, h, w = k, (h + 2 * pad - r) // s + 1, (w + 2 * pad - r) // s + 1
        elif name in ("bn", "dbn"):
            sets = 2 if name == "dbn" else 1
            g, be = p[po:po + c], p[po + c:po + 2 * c]; po += 2 * c * sets
            mu, var = st[so:so + c], st[so + c:so + 2 * c]; so += 2 * c * sets
            layers.append(lambda y, g=g, be=be, mu=mu, var=var: F.batch_norm(y, mu, var, g, be, False, 0.0, BN_EPS))
        elif name == "relu":
            layers.append(F.relu)
        elif name == "maxpool":
            layers.append(lambda y, r=a[0]: F.max_pool2d(y, r))
            h, w = h // a[0], w // a[0]
        elif name == "gap":
            layers.append(lambda y: y.mean(dim=(2, 3), keepdim=True))
            h = w = 1
        elif name == "dense":
            f = c * h * w
            wt = p[po:po + a[0] * f].reshape(a[0], f); po += a[0] * f
            b = p[po:po + a[0]]; po += a[0]
            layers.append(lambda y, wt=wt, b=b: F.linear(y.reshape(y.shape[0], -1), wt, b))
            c, h, w = a[0], 1, 1
        else:
            raise SystemExit("peer_audit: layer %s not supported" % name)
    assert po == p.numel() and so == st.numel(), "parameter layout mismatch"

    def net(y):
        for f in layers:
            y = f(y)
        return y
    return net


NET = build_net(meta["spec"][0], params, stats)


def logits(raw):
    x = (raw - T0) / SCALE
    if den_on:
        x = denoise(x)
    f = dwt(x.reshape(-1, 1, H, W))
    f = torch.cat([f[:, :1] * 0.5, f[:, 1:]], dim=1).reshape(raw.shape[0], 4 * C, H // 2, W // 2)
    return NET(f)


T1_ = min(max(THR if POS == 1 else 1.0 - THR, 1e-6), 1.0 - 1e-6)
OFFSET = torch.tensor([0.0, math.log(T1_ / (1.0 - T1_))])


def attack_logits(raw):  # argmax of these = the deployed verdict's class
    return logits(raw) - OFFSET


def prob(raw):
    with torch.no_grad():
        return torch.softmax(logits(raw), dim=1)[:, POS]


def margin(z, y):
    zy = z.gather(1, y.unsqueeze(1)).squeeze(1)
    other = z.clone()
    other.scatter_(1, y.unsqueeze(1), -float("inf"))
    return zy - other.max(dim=1).values


def sign_step(x0, y, eps, iters, alpha, rand):
    x = (x0 + torch.empty_like(x0).uniform_(-eps, eps)).clamp(T0, T1) if rand else x0.clone()
    for _ in range(iters):
        x.requires_grad_(True)
        g, = torch.autograd.grad(F.cross_entropy(attack_logits(x), y, reduction="sum"), x)
        with torch.no_grad():
            x = torch.min(torch.max(x + alpha * g.sign(), x0 - eps), x0 + eps).clamp(T0, T1)
    return x.detach()


def cw(x0, y, iters=100, c=1.0, lr=1e-2):
    x0n = (x0 - T0) / SCALE
    w = torch.atanh((2 * x0n - 1) * 0.999999).requires_grad_(True)
    opt = torch.optim.Adam([w], lr=lr)
    best, best_l2 = x0.clone(), torch.full((x0.shape[0],), float("inf"))
    for _ in range(iters):
        xn = 0.5 * (torch.tanh(w) + 1)
        xr = T0 + SCALE * xn
        z = attack_logits(xr)
        m = margin(z, y)
        l2 = ((xn - x0n) ** 2).flatten(1).sum(1)
        with torch.no_grad():
            ok = (m < 0) & (l2 < best_l2)
            best[ok] = xr[ok].detach()
            best_l2[ok] = l2[ok]
        loss = l2.sum() + c * torch.clamp(m, min=0).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return best


def square(x0, y, eps, q=1000, p_init=0.8):
    B, hw = x0.shape[0], H * W
    stripes = torch.where(torch.rand(B, C, 1, W) < 0.5, -eps, eps).expand(B, C, H, W)
    xb = (x0 + stripes).clamp(T0, T1)
    with torch.no_grad():
        mb = margin(attack_logits(xb), y)
    done = mb < 0
    rows, cols = torch.arange(H).view(1, H, 1), torch.arange(W).view(1, 1, W)
    for it in range(1, q):
        idx = (~done).nonzero().squeeze(1)
        if idx.numel() == 0:
            break
        i, p = int(it / q * 10000), p_init
        for bound in (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000):
            if i > bound:
                p *= 0.5
        s = min(max(int(round(math.sqrt(p * hw))), 1), min(H, W) - 1)
        n = idx.numel()
        vh = torch.randint(0, H - s + 1, (n, 1, 1))
        vw = torch.randint(0, W - s + 1, (n, 1, 1))
        win = ((rows >= vh) & (rows < vh + s) & (cols >= vw) & (cols < vw + s)).unsqueeze(1)
        sgn = torch.where(torch.rand(n, C, 1, 1) < 0.5, -eps, eps)
        xn = torch.where(win, (x0[idx] + sgn).clamp(T0, T1), xb[idx])
        with torch.no_grad():
            m = margin(attack_logits(xn), y[idx])
        better = (m < mb[idx]) | (m < 0)
        j = idx[better]
        xb[j] = xn[better]
        mb[j] = m[better]
        done[j] = m[better] < 0
    return xb


BUDGETS = [0.02, 0.05, 0.1, 0.2]
SUITE = ["fgsm", "pgd", "cw", "square"]


def audit_chunk(x0):
    B = x0.shape[0]
    p0 = prob(x0)
    verdict = p0 >= THR
    y = torch.where(verdict, POS, 1 - POS)  # the class of the clean verdict
    flipped_max = {}
    for t in threats:
        cw_adv, cw_have = x0.clone(), torch.zeros(B, dtype=torch.bool)
        for eps in BUDGETS:
            active = torch.ones(B, dtype=torch.bool)
            for atk in SUITE:
                if (t == "black-box") != (atk == "square"):
                    continue
                idx = active.nonzero().squeeze(1)
                if idx.numel() == 0:
                    break
                xa, ya = x0[idx], y[idx]
                if atk == "fgsm":
                    adv = sign_step(xa, ya, eps, 1, eps, False)
                elif atk == "pgd":
                    adv = sign_step(xa, ya, eps, 20, 2.5 * eps / 20, True)
                elif atk == "cw":
                    need = idx[~cw_have[idx]]
                    if need.numel():
                        cw_adv[need] = cw(x0[need], y[need])
                        cw_have[need] = True
                    adv = xa + (cw_adv[idx] - xa).clamp(-eps, eps)
                else:
                    adv = square(xa, ya, eps)
                pa = prob(adv)
                flip = (pa >= THR) != verdict[idx]
                if flip.any():
                    prob(torch.round(adv[flip] / 0.01) * 0.01)  # re-quantisation check, as the audit
                active[idx[flip]] = False
        flipped_max[t] = int((~active).sum())
    return p0, flipped_max


clean = torch.empty(N)
flips = {t: 0 for t in threats}
t0 = time.perf_counter()
for s in range(0, N, chunk):
    p0, fm = audit_chunk(samples[s:s + chunk])
    clean[s:s + chunk] = p0
    for t in threats:
        flips[t] += fm[t]
secs = time.perf_counter() - t0
clean.numpy().astype(np.float32).tofile(os.path.join(d, "torch_clean.bin"))
print("torch chunk %d images %d seconds %.3f img_min %.1f %s" % (
    chunk, N, secs, 60.0 * N / secs, " ".join("flipped_%s %d" % (t, flips[t]) for t in threats)))
