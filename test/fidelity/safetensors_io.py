"""Minimal safetensors reader and writer (json header + raw little-endian arrays), numpy only."""
import json
import struct

import numpy as np

_NUMPY = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}
_NAMES = {np.dtype(v): k for k, v in _NUMPY.items()}


def _decode(raw, dtype):
    if dtype == "BF16":  # the upper half of an f32
        return (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
    return np.frombuffer(raw, _NUMPY[dtype])


def read_safetensors(path):
    """Returns ({name: ndarray}, metadata dict). BF16 tensors are widened to f32."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + header_len])
    metadata = header.pop("__metadata__", {}) or {}
    body = 8 + header_len
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        tensors[name] = _decode(blob[body + start : body + end], info["dtype"]).reshape(info["shape"]).copy()
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None, bf16=()):
    """Writes {name: ndarray}; names in `bf16` are stored as BF16 (round to nearest even)."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        if name in bf16:
            bits = array.astype("<f4").view(np.uint32).astype(np.uint64)
            raw = (((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")).tobytes()
            dtype = "BF16"
        else:
            array = array.astype(array.dtype.newbyteorder("<"))
            raw, dtype = array.tobytes(), _NAMES[array.dtype]
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))
