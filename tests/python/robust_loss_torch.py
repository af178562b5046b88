#!/usr/bin/python3
"""TRADES and MART losses and gradients in PyTorch (float64), written after the authors'
reference code, for tests/core/robust_loss_test.cc. usage: robust_loss_torch.py OUT IN
IN records: ([], [B, K], [z, z_adv, labels, beta]); OUT: the same + [trades, dz, dz_adv, mart, dz, dz_adv]."""
import sys

import torch
import torch.nn.functional as F

import records

out_path, in_path = sys.argv[1], sys.argv[2]
res = []
for strs, (B, K), (z, za, y, beta) in records.read(in_path):
    beta = float(beta[0])
    y = torch.tensor(y, dtype=torch.long)
    outs = []
    for kind in ("trades", "mart"):
        zc = torch.tensor(z.reshape(B, K), dtype=torch.float64, requires_grad=True)
        zadv = torch.tensor(za.reshape(B, K), dtype=torch.float64, requires_grad=True)
        if kind == "trades":
            loss = F.cross_entropy(zc, y) + beta * (1.0 / B) * F.kl_div(
                F.log_softmax(zadv, dim=1), F.softmax(zc, dim=1), reduction="sum")
        else:
            adv_probs = F.softmax(zadv, dim=1)
            tmp1 = torch.argsort(adv_probs, dim=1)[:, -2:]
            new_y = torch.where(tmp1[:, -1] == y, tmp1[:, -2], tmp1[:, -1])
            loss_adv = F.cross_entropy(zadv, y) + F.nll_loss(torch.log(1.0001 - adv_probs + 1e-12), new_y)
            nat_probs = F.softmax(zc, dim=1)
            true_probs = torch.gather(nat_probs, 1, y.unsqueeze(1)).squeeze()
            kl = torch.sum(F.kl_div(torch.log(adv_probs + 1e-12), nat_probs, reduction="none"), dim=1)
            loss = loss_adv + beta * (1.0 / B) * torch.sum(kl * (1.0000001 - true_probs))
        loss.backward()
        outs += [loss.detach().reshape(1), zc.grad.reshape(-1), zadv.grad.reshape(-1)]
    res.append((strs, [B, K], [t.numpy() for t in outs]))
records.write(out_path, res)
