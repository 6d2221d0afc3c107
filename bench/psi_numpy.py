#!/usr/bin/env python3
"""Baseline for the issue's comparison: Psi^gamma over an N x K matrix written
the obvious way in NumPy (one core), to compare with numeric.PsiRows
(go test -run '^$' -bench PsiRows ./numeric). Run by hand, not in CI:

    /usr/bin/python3 bench/psi_numpy.py [N] [K] [gamma]

It prints the median of 5 timings in elements per second.
"""
import sys
import time

import numpy as np


def psi(q, gamma):
    # h(v) = v / ((1-v)^gamma - gamma (1-v)^(gamma-1) v log v), Eq. 13;
    # Psi = h / sum(h) per row, Eq. 12 (no special cases: 0 < q < 1 here).
    h = q / ((1 - q) ** gamma - gamma * (1 - q) ** (gamma - 1) * q * np.log(q))
    return h / h.sum(axis=1, keepdims=True)


def args():
    """N, K and gamma from the command line (bench/psi_torch.py shares them)."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    gamma = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    return n, k, gamma


def inputs(n, k):
    """The seeded N x K rows of probabilities both baselines time."""
    rng = np.random.default_rng(1)
    q = rng.exponential(size=(n, k))
    q /= q.sum(axis=1, keepdims=True)
    return q


def main():
    n, k, gamma = args()
    q = inputs(n, k)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        psi(q, gamma)
        times.append(time.perf_counter() - t)
    med = sorted(times)[2]
    print(f"numpy {np.__version__}: N={n} K={k} gamma={gamma}: median {med:.3f} s, {n * k / med / 1e6:.1f} M elements/s")


if __name__ == "__main__":
    main()
