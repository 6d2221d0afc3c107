#!/usr/bin/env python3
"""Baseline for the issue's comparison: Psi^gamma over an N x K matrix, the
formula of bench/psi_numpy.py written in PyTorch on the CPU with all its
threads (set to os.cpu_count(): torch 1.13 here starts with one), to compare with numeric.PsiRows
(go test -run '^$' -bench PsiRows ./numeric). Run by hand, not in CI:

    /usr/bin/python3 bench/psi_torch.py [N] [K] [gamma]

The inputs are bench/psi_numpy.py's (the same generator, seed and
normalization), converted to a float64 tensor once before timing. It prints
the median of 5 timings in elements per second.
"""
import os
import time

import torch

import psi_numpy  # the same arguments and inputs


def psi(q, gamma):
    # h(v) = v / ((1-v)^gamma - gamma (1-v)^(gamma-1) v log v), Eq. 13;
    # Psi = h / sum(h) per row, Eq. 12 (no special cases: 0 < q < 1 here).
    w = 1 - q
    h = q / (w ** gamma - gamma * w ** (gamma - 1) * q * torch.log(q))
    return h / h.sum(dim=1, keepdim=True)


def main():
    n, k, gamma = psi_numpy.args()
    q = psi_numpy.inputs(n, k)
    t = torch.from_numpy(q)  # float64, shares q's memory
    torch.set_num_threads(os.cpu_count() or 1)
    threads = torch.get_num_threads()
    times = []
    with torch.no_grad():
        for _ in range(5):
            s = time.perf_counter()
            psi(t, gamma)
            times.append(time.perf_counter() - s)
    med = sorted(times)[2]
    print(f"torch {torch.__version__} ({threads} threads): N={n} K={k} gamma={gamma}: "
          f"median {med:.3f} s, {n * k / med / 1e6:.1f} M elements/s")


if __name__ == "__main__":
    main()
