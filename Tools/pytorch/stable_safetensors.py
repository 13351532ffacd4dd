"""A byte-for-byte deterministic safetensors writer for fixtures.

safetensors.torch.save_file writes the `__metadata__` map in hash order, so the same tensors and
metadata can give different bytes from one run to the next. Fixtures are checked for identical
bytes, so they are written here instead, in the layout camlab's SafeTensorsFile.serialized() uses:
`__metadata__` first (`format` first, then the other keys sorted), tensors in sorted key order with
contiguous offsets, the header padded with spaces to a multiple of 8 bytes. The result is read back
with safetensors.torch.load_file and compared before it replaces `path`.
"""
import json
import os
import struct

import torch

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
          torch.uint8: "U8", torch.bool: "BOOL", torch.float16: "F16", torch.bfloat16: "BF16"}


def save(path, tensors, metadata=None):
    names = sorted(tensors)
    members = []
    if metadata:
        keys = sorted(metadata, key=lambda k: (k != "format", k))
        members.append('"__metadata__":{' + ",".join(
            json.dumps(k, ensure_ascii=False) + ":" + json.dumps(str(metadata[k]), ensure_ascii=False)
            for k in keys) + "}")
    blobs, offset = [], 0
    for name in names:
        t = tensors[name].detach().contiguous().cpu()
        blob = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        shape = ",".join(str(d) for d in t.shape)
        members.append(json.dumps(name, ensure_ascii=False)
                       + f':{{"dtype":"{DTYPES[t.dtype]}","shape":[{shape}],"data_offsets":[{offset},{offset + len(blob)}]}}')
        blobs.append(blob)
        offset += len(blob)
    header = ("{" + ",".join(members) + "}").encode("utf-8")
    header += b" " * ((8 - len(header) % 8) % 8)
    temporary = path + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(struct.pack("<Q", len(header)))
        handle.write(header)
        for blob in blobs:
            handle.write(blob)
    from safetensors import safe_open
    from safetensors.torch import load_file
    back = load_file(temporary)
    assert sorted(back) == names, "safetensors read back other names"
    for name in names:
        assert back[name].dtype == tensors[name].dtype and torch.equal(back[name], tensors[name].detach().cpu()), name
    with safe_open(temporary, "pt") as handle:
        assert (handle.metadata() or {}) == {k: str(v) for k, v in (metadata or {}).items()}
    os.replace(temporary, path)
