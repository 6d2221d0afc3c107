#!/usr/bin/python3
"""Writes the dense-prediction fixtures of calibrate's tests with NumPy and
PyTorch (Debian's python3-numpy and python3-torch; the tests only read the
files):

    /usr/bin/python3 gen_dense.py

probs.npy is N×K×H×W (softmax over axis 1 of seeded logits, as a
segmentation model's output), labels.npy N×H×W. NumPy's own transposes give
the oracles: rows.npy holds the same probabilities as (N·H·W)×K rows (pixel
order n, h, w), rows_labels.npy the labels flattened alike, and perm_*.npy,
for each element of a dense layout in C order, the index of the same value
in rows.npy.
"""
import numpy as np
import torch

N, K, H, W = 3, 4, 5, 6
rng = np.random.default_rng(12)
z = rng.normal(scale=2.0, size=(N, K, H, W))
p = np.exp(z - z.max(axis=1, keepdims=True))
p /= p.sum(axis=1, keepdims=True)
y = rng.integers(0, K, size=(N, H, W))

np.save("probs.npy", p)  # N×K×H×W, classes on axis 1
np.save("labels.npy", y.astype(np.int64))
rows = p.transpose(0, 2, 3, 1).reshape(-1, K)
np.save("rows.npy", rows)
np.save("rows_labels.npy", y.reshape(-1).astype(np.int64))
idx = np.arange(rows.size).reshape(N, H, W, K)
np.save("perm_nkhw.npy", idx.transpose(0, 3, 1, 2).ravel().astype(np.int64))
# Channels last (N×H×W×K, --class-axis -1 or 3): the rows' own layout.
np.save("probs_nhwk.npy", np.ascontiguousarray(p.transpose(0, 2, 3, 1)))
# Classes in the middle (N×H×K×W, --class-axis 2).
np.save("probs_nhkw.npy", np.ascontiguousarray(p.transpose(0, 2, 1, 3)))
np.save("perm_nhkw.npy", idx.transpose(0, 1, 3, 2).ravel().astype(np.int64))
# The same as float32 torch.save tensors in a dict, as a training loop
# saves them.
torch.save({"probs": torch.from_numpy(p).float(), "labels": torch.from_numpy(y)}, "dense.pt")
