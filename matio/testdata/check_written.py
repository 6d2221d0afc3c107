#!/usr/bin/python3
"""Loads the archives that matio's zip writers wrote (testdata/written_*,
made by `FOCAL_UPDATE_WRITTEN=1 go test ./matio -run TestZipWriters`) with
the libraries' own readers and saves what they decoded as
written_*_decoded.npy, the oracle of TestZipWriters.

Run from matio/: /usr/bin/python3 testdata/check_written.py
(Debian's python3-torch and python3-numpy)."""
import glob
import os

import numpy as np
import torch

os.chdir(os.path.dirname(os.path.abspath(__file__)))
for f in sorted(glob.glob("written_*.pt")):
    t = torch.load(f)
    assert isinstance(t, torch.Tensor) and t.is_contiguous() and not t.requires_grad, f
    np.save(f[:-3] + "_decoded.npy", t.numpy())
    print(f, t.dtype, tuple(t.shape))
for f in sorted(glob.glob("written_*.npz")):
    with np.load(f) as z:
        assert z.files == ["probs"], (f, z.files)
        a = z["probs"]
    np.save(f[:-4] + "_decoded.npy", a)
    print(f, a.dtype, a.shape)
