#!/usr/bin/python3
"""Writes the torch.save fixtures of matio's reader tests with PyTorch itself.

Run from this directory with Debian's PyTorch (the tests only read the
files; CI has no PyTorch):

    apt-get install -y python3-torch && /usr/bin/python3 gen_torch.py

The values are those of gen_npy.py (PROBS, LOGITS, LABELS), repeated as
literals in matio/torch_test.go. torch.save writes the zip format of
PyTorch >= 1.6: <name>/data.pkl (the pickle), <name>/data/<key> (the raw
storages, little-endian), <name>/version.
"""
import torch

torch.manual_seed(0)

PROBS = [
    [0.7, 0.2, 0.1],
    [0.25, 0.25, 0.5],
    [1.0, 0.0, 0.0],
    [0.1, 0.6, 0.3],
    [1.0 / 3, 1.0 / 3, 1.0 / 3],
]
LOGITS = [
    [2.5, -1.0, 0.0],
    [-3.25, 4.0, 1e-3],
    [0.0, 0.0, 0.0],
    [100.0, -100.0, 7.5],
]
LABELS = [0, 2, 0, 1, 2]

p64 = torch.tensor(PROBS, dtype=torch.float64)
p32 = p64.float()
torch.save(p32, "torch_probs_f32.pt")
torch.save(p64, "torch_probs_f64.pt")
torch.save(p64.half(), "torch_probs_f16.pt")
torch.save(p64.bfloat16(), "torch_probs_bf16.pt")
torch.save(torch.tensor(LOGITS, dtype=torch.float32), "torch_logits_f32.pt")
torch.save(torch.tensor(LABELS, dtype=torch.int64), "torch_labels_i64.pt")
torch.save(torch.tensor(LABELS, dtype=torch.int32), "torch_labels_i32.pt")
torch.save(torch.tensor(LABELS, dtype=torch.uint8), "torch_labels_u8.pt")
# A dict (as a training loop saves its outputs), a list and a tuple.
torch.save({"probs": p32, "labels": torch.tensor(LABELS), "epoch": 3}, "torch_dict.pt")
torch.save([p64, torch.tensor(LABELS)], "torch_list.pt")
torch.save((p32,), "torch_tuple.pt")
# Non-contiguous tensors: a transpose (strides (1, 5)) of a column-major
# storage, and a slice with a storage offset sharing its storage with a
# second entry.
torch.save(p64.t().contiguous().t(), "torch_transposed.pt")
big = torch.cat([torch.full((2, 3), 9.0, dtype=torch.float64), p64])
torch.save({"tail": big[2:], "all": big}, "torch_offset.pt")
torch.save(p64[:, [0, 2]].t(), "torch_transposed_2col.pt")
# The legacy (non-zip) format, which is not read.
torch.save(p32, "torch_legacy.pt", _use_new_zipfile_serialization=False)
# A 0-D tensor, which is no matrix.
torch.save(torch.tensor(1.5), "torch_scalar.pt")
# Half-precision tensors beside their values as PyTorch decodes them.
torch.save({"f16": p64.half(), "f16_as_f64": p64.half().double(),
            "bf16": p64.bfloat16(), "bf16_as_f64": p64.bfloat16().double()}, "torch_half.pt")
