#!/usr/bin/env python3
"""Runs a PyTorch training script with its model's training forward passes under bf16 autocast,
as torch_bench.py --amp-bf16 does for the synthetic benchmark, without editing the script:

    python3 Scripts/torch-amp-bf16.py --model-class GRUBahdanau ../shared/reference/train_ref.py ARGS...

Calls of an instance of --model-class (its forward, with gradients on) run inside
torch.autocast("cpu", dtype=torch.bfloat16) and return float32 logits, so the loss, the backward
pass's accumulation into float32 weights, clipping and Adam stay float32. Decoding for
validation (no gradients) stays float32. Scripts/tatoeba-vs-torch.sh uses it for PyTorch's bf16
row. A development tool (needs torch); the project does not use it.
"""
import runpy
import sys

import torch

if len(sys.argv) < 4 or sys.argv[1] != "--model-class":
    sys.exit(__doc__)
model_class, script = sys.argv[2], sys.argv[3]
plain_call = torch.nn.Module.__call__


def call(self, *args, **kwargs):
    if type(self).__name__ != model_class or not torch.is_grad_enabled():
        return plain_call(self, *args, **kwargs)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = plain_call(self, *args, **kwargs)
    return out.float() if isinstance(out, torch.Tensor) else out


torch.nn.Module.__call__ = call
sys.argv = [script] + sys.argv[4:]
runpy.run_path(script, run_name="__main__")
