#!/usr/bin/env python3
"""Writes test/fixtures/pytorch-gru.safetensors and test/fixtures/pytorch-gru.json.

Dev-time only (needs numpy and `pip install safetensors`); the outputs are
committed and the tests never run Python. The .safetensors file is written by
the reference Rust serializer (`safetensors.numpy.save_file` is the same code
path as `safetensors.torch.save_file`), so the TypeScript reader is checked
against real bytes rather than against our own writer.

Contents: the state dict of a 1-layer bidirectional GRU (input 3, hidden 4)
with PyTorch's names and shapes, nested under `gru.` as a model's `self.gru`
submodule would be, plus unrelated keys `head.weight` [1, 8], `head.bias` [1]
and an I64 scalar `step`. The JSON holds the same values as float64 lists, a
fixed input and the GRU output computed here in float64 from PyTorch's
equations (gate order r, z, n):

    r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h

The reverse direction runs over the reversed sequence; outputs are
concatenated [forward, backward] along the feature axis.
"""
import json
import os

import numpy as np
from safetensors.numpy import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT_ST = os.path.join(ROOT, "test", "fixtures", "pytorch-gru.safetensors")
OUT_JSON = os.path.join(ROOT, "test", "fixtures", "pytorch-gru.json")

INPUT, HIDDEN, T, B = 3, 4, 5, 2
rng = np.random.default_rng(20240607)
bound = 1.0 / np.sqrt(HIDDEN)


def uniform(*shape):
    # float32, as PyTorch stores parameters; the reference math below uses
    # exactly these values widened to float64.
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


tensors = {}
for sfx in ("_l0", "_l0_reverse"):
    tensors[f"gru.weight_ih{sfx}"] = uniform(3 * HIDDEN, INPUT)
    tensors[f"gru.weight_hh{sfx}"] = uniform(3 * HIDDEN, HIDDEN)
    tensors[f"gru.bias_ih{sfx}"] = uniform(3 * HIDDEN)
    tensors[f"gru.bias_hh{sfx}"] = uniform(3 * HIDDEN)
tensors["head.weight"] = uniform(1, 2 * HIDDEN)
tensors["head.bias"] = uniform(1)
tensors["step"] = np.array(12345, dtype=np.int64)  # 0-d integer tensor

config = {"inputSize": INPUT, "hiddenSize": HIDDEN, "numLayers": 1, "bidirectional": True}
metadata = {"format": "pt", "model": "gru", "gru_config": json.dumps(config, sort_keys=True)}
save_file(tensors, OUT_ST, metadata=metadata)

# Input rounded to float32 so both implementations see identical numbers.
x = rng.normal(size=(T, B, INPUT)).astype(np.float32).astype(np.float64)


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def run_direction(sfx, xs):
    w_ih = tensors[f"gru.weight_ih{sfx}"].astype(np.float64)
    w_hh = tensors[f"gru.weight_hh{sfx}"].astype(np.float64)
    b_ih = tensors[f"gru.bias_ih{sfx}"].astype(np.float64)
    b_hh = tensors[f"gru.bias_hh{sfx}"].astype(np.float64)
    H = HIDDEN
    h = np.zeros((B, H))
    outs = []
    for x_t in xs:
        gi = x_t @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        r = sigmoid(gi[:, 0:H] + gh[:, 0:H])
        z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        h = (1 - z) * n + z * h
        outs.append(h)
    return np.stack(outs), h


fwd, h_fwd = run_direction("_l0", x)
bwd_rev, h_bwd = run_direction("_l0_reverse", x[::-1])
bwd = bwd_rev[::-1]
output = np.concatenate([fwd, bwd], axis=2)  # (T, B, 2H)
h_n = np.stack([h_fwd, h_bwd])  # (2, B, H)


def entry(a):
    return {"dtype": str(a.dtype), "shape": list(a.shape), "values": a.astype(np.float64).ravel().tolist()}


with open(OUT_JSON, "w") as f:
    json.dump(
        {
            "comment": "Written by scripts/make-safetensors-fixture.py next to pytorch-gru.safetensors.",
            "config": config,
            "metadata": metadata,
            "tensors": {k: entry(v) for k, v in tensors.items()},
            "input": {"shape": list(x.shape), "values": x.ravel().tolist()},
            "output": {"shape": list(output.shape), "values": output.ravel().tolist()},
            "hN": {"shape": list(h_n.shape), "values": h_n.ravel().tolist()},
        },
        f,
        indent=1,
    )
    f.write("\n")
print(f"wrote {OUT_ST} ({os.path.getsize(OUT_ST)} bytes) and {OUT_JSON}")
