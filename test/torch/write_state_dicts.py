"""Writes small state dicts with torch.save for the TypeScript reader's tests.

Usage: write_state_dicts.py OUT_DIR. Writes zip.pt (the default format), legacy.pt (the pre-1.6
format) and expected.json: every tensor as {dtype, shape, values} with values in float64.
"""
import json
import os
import sys
from collections import OrderedDict

import torch

out = sys.argv[1]
g = torch.Generator().manual_seed(0)
base = torch.randn(5, 6, generator=g)
state = OrderedDict()
state["f32"] = torch.randn(3, 4, generator=g)
state["bf16"] = torch.randn(2, 8, generator=g).to(torch.bfloat16)
state["f16"] = torch.randn(7, generator=g).to(torch.float16)
state["f64"] = torch.randn(2, 3, generator=g, dtype=torch.float64)
state["i64"] = torch.arange(-3, 9, dtype=torch.int64).reshape(3, 4)
state["i32"] = torch.arange(6, dtype=torch.int32)
state["u8"] = torch.arange(250, 256, dtype=torch.uint8)
state["bool"] = torch.tensor([True, False, True])
state["scalar"] = torch.tensor(2.5)
state["empty"] = torch.zeros(0, 3)
# Views into one shared storage: a transpose, a column slice with an offset, a row.
state["view.t"] = base.t()
state["view.cols"] = base[1:, 2:5]
state["view.row"] = base[3]
state["expanded"] = torch.randn(1, 3, generator=g).expand(4, 3)
# A parameter, as saving a module's parameters directly (not via state_dict) writes them.
state["param"] = torch.nn.Parameter(torch.randn(2, 2, generator=g))

torch.save(state, os.path.join(out, "zip.pt"))
torch.save(state, os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)

expected = {
    k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape), "values": v.detach().double().flatten().tolist()}
    for k, v in state.items()
}
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f)
