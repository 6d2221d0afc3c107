#!/usr/bin/python3
"""Writes the .npy fixtures of matio's reader tests with NumPy itself.

Run from this directory with Debian's NumPy (the tests only read the files;
CI has no NumPy):

    apt-get install -y python3-numpy && /usr/bin/python3 gen_npy.py

The values are repeated as literals in matio/npy_test.go.
"""
import numpy as np

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

np.save("probs_f64.npy", np.array(PROBS, dtype=np.float64))
np.save("probs_f32.npy", np.array(PROBS, dtype=np.float32))
np.save("logits_f64.npy", np.array(LOGITS, dtype=np.float64))
np.save("logits_f32.npy", np.array(LOGITS, dtype=np.float32))
np.save("labels_i64.npy", np.array(LABELS, dtype=np.int64))
np.save("labels_i32.npy", np.array(LABELS, dtype=np.int32))
np.save("labels_u8.npy", np.array(LABELS, dtype=np.uint8))
np.save("labels_f64.npy", np.array(LABELS, dtype=np.float64))
np.save("labels_col_i64.npy", np.array(LABELS, dtype=np.int64).reshape(-1, 1))
# Big-endian data and a version 2.0 header.
np.save("probs_f64_be.npy", np.array(PROBS, dtype=">f8"))
with open("probs_f32_v2.npy", "wb") as f:
    np.lib.format.write_array(f, np.array(PROBS, dtype=np.float32), version=(2, 0))
# Inputs the reader must reject.
np.save("probs_fortran.npy", np.asfortranarray(np.array(PROBS, dtype=np.float64)))
np.save("three_d.npy", np.zeros((2, 2, 2)))
np.save("complex.npy", np.zeros((2, 2), dtype=np.complex128))
# A truncated file: the header declares 5 rows, the data hold 3.
raw = open("probs_f64.npy", "rb").read()
open("probs_truncated.npy", "wb").write(raw[: len(raw) - 2 * 3 * 8])
# float16 (AMP outputs): the probabilities rounded to half precision.
np.save("probs_f16.npy", np.array(PROBS, dtype=np.float16))
np.save("probs_f16_be.npy", np.array(PROBS, dtype=">f2"))
# Every binary16 bit pattern and its value, as NumPy decodes it: the oracle
# of the float16 decoder (float64 holds every float16 exactly).
with np.errstate(invalid="ignore"):
    table = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float64)
np.savez_compressed("half_table.npz", value=table)
# .npz archives: named arrays (stored), compressed, one positional array.
np.savez("probs.npz", probs=np.array(PROBS, dtype=np.float64), labels=np.array(LABELS, dtype=np.int64))
np.savez_compressed("probs_compressed.npz", probs=np.array(PROBS, dtype=np.float32), labels=np.array(LABELS, dtype=np.int32))
np.savez("single.npz", np.array(PROBS, dtype=np.float64))
# A truncated archive (the central directory is at the end).
raw = open("probs.npz", "rb").read()
open("probs_truncated.npz", "wb").write(raw[: len(raw) // 2])
# The float16 probabilities' values as NumPy decodes them, for the tests.
np.save("probs_f16_as_f64.npy", np.array(PROBS, dtype=np.float16).astype(np.float64))
