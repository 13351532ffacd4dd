"""Fixtures for camlab's PyTorch file reader (Tests/CamlabNNTests/PyTorchFileTests.swift).

    python3 make_pth_fixtures.py [--output DIR]

Writes small .pth files to DIR (default Tests/CamlabNNTests/Fixtures/pth) and `expected.json`
beside them: for every readable fixture, its tensors in the file's order with their shapes and
the float32 bit patterns of their values as PyTorch gives them (`t.to(torch.float32)`), and the
checkpoint key the state dict sits under. Bit patterns, not decimals, so the comparison is exact
and infinities and NaN survive JSON.

Readable files come from torch.save itself (a conv net with batch norm, checkpoints, every dtype,
views sharing one storage, a torchvision block saved through a buffer so its folder is `archive/`)
and one rewrite: the same state dict as a ZIP64 archive, as torch.save writes files past 4 GiB.

Refused files are built here byte by byte with raw pickle opcodes (nothing hostile is ever
executed: the payloads would only `touch` CANARY, and this script checks that
`torch.load(..., weights_only=True)` refuses each one and that CANARY never appears), or are
torch.save files that are cut, re-zipped, relabelled or saved in the legacy format.

Tested with torch 2.15.0, torchvision 0.29.2, Python 3.11.
"""

import argparse
import io
import json
import os
import struct
import zipfile
import zlib
from collections import OrderedDict

import torch
import torchvision

CANARY = "/tmp/camlab-pth-fixture-canary"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


# MARK: - Raw pickle opcodes (protocol 2, as torch.save writes them)

def op_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def op_string(text):
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def op_int(number):
    """BININT, or LONG1 (little-endian two's complement) past 32 bits."""
    if -(2**31) <= number < 2**31:
        return b"J" + struct.pack("<i", number)
    data = number.to_bytes((number.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data


def op_tuple(items):
    return b"(" + b"".join(items) + b"t"


def op_tensor(key, numel, offset, size, stride, storage="FloatStorage"):
    """_rebuild_tensor_v2(('storage', torch.<storage>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())."""
    persistent_id = op_tuple([op_string("storage"), op_global("torch", storage), op_string(key), op_string("cpu"), op_int(numel)])
    arguments = op_tuple([persistent_id + b"Q", op_int(offset), op_tuple([op_int(s) for s in size]),
                          op_tuple([op_int(s) for s in stride]), b"\x89", op_global("collections", "OrderedDict") + b")R"])
    return op_global("torch._utils", "_rebuild_tensor_v2") + arguments + b"R"


def op_state_dict(entries):
    """An OrderedDict of (name, value opcodes), as a state dict is pickled."""
    items = b"".join(op_string(name) + value for name, value in entries)
    return op_global("collections", "OrderedDict") + b")R(" + items + b"u"


def pickle_of(body):
    return b"\x80\x02" + body + b"."


def call(module, name, argument):
    """module.name(argument) as GLOBAL, BINUNICODE, TUPLE1, REDUCE: what a hostile pickle does."""
    return op_global(module, name) + op_string(argument) + b"\x85R"


# MARK: - Zip archives

def write_zip(path, records, folder="archive", compression=zipfile.ZIP_STORED):
    """records: (name, bytes) in order, written under folder/ like torch.save's layout."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in records:
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=FIXED_TIME)
            info.compress_type = compression
            archive.writestr(info, data)


def handmade(path, data_pkl, storages=()):
    """A torch.save-shaped archive around a hand-written data.pkl and raw storage records."""
    records = [("data.pkl", data_pkl), ("byteorder", b"little")]
    records += [(f"data/{key}", data) for key, data in storages]
    records.append(("version", b"3\n"))
    write_zip(path, records)


def records_of(path):
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def rewrite(source, destination, edit=lambda name, data: (name, data), compression=zipfile.ZIP_STORED):
    """Copies a torch.save archive entry by entry; `edit` may rename, change or drop (None) each."""
    with zipfile.ZipFile(destination, "w") as archive:
        for name, data in records_of(source):
            edited = edit(name, data)
            if edited is None:
                continue
            info = zipfile.ZipInfo(edited[0], date_time=FIXED_TIME)
            info.compress_type = compression
            archive.writestr(info, edited[1])


def write_zip64(source, destination):
    """The archive of `source` with every size and offset in ZIP64 fields (0xFFFFFFFF in the
    32-bit ones), a ZIP64 end record and its locator: the layout of a checkpoint past 4 GiB."""
    out = bytearray()
    central = bytearray()
    for name, data in records_of(source):
        encoded = name.encode()
        crc = zlib.crc32(data)
        offset = len(out)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                           len(encoded), len(local_extra)) + encoded + local_extra + data
        central_extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                               len(encoded), len(central_extra), 0, 0, 0, 0, 0xFFFFFFFF) + encoded + central_extra
    count = len(records_of(source))
    directory_offset = len(out)
    out += central
    zip64_end_offset = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(central), directory_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, zip64_end_offset, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(destination, "wb") as file:
        file.write(out)


# MARK: - Readable fixtures

def tiny_net():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.Conv2d(4, 2, 3, bias=False), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(2, 3))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):  # three steps, so BatchNorm has tracked three batches and SGD has momentum buffers
        optimizer.zero_grad()
        net(torch.randn(2, 3, 6, 6)).square().mean().backward()
        optimizer.step()
    return net, optimizer


def dtype_tensors():
    half_bits = torch.tensor([0x3C00, 0xC000, 0x0001, 0x03FF, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x7BFF], dtype=torch.int32)
    half_bits = half_bits.to(torch.uint16).view(torch.int16)
    return OrderedDict([
        ("float16", half_bits.view(torch.float16)),  # 1, -2, subnormals, -0, ±inf, NaN, max
        ("bfloat16", torch.tensor([1.5, -3.140625, 1e-20, 3e38], dtype=torch.bfloat16)),
        ("float64", torch.tensor([[0.1, -1e-310], [1e300, 2.5]], dtype=torch.float64)),
        ("int64", torch.tensor([0, -1, 2**40 + 1, -(2**62)], dtype=torch.int64)),
        ("int32", torch.tensor([2**31 - 1, -(2**31)], dtype=torch.int32)),
        ("int16", torch.tensor([-32768, 32767, 7], dtype=torch.int16)),
        ("int8", torch.tensor([-128, 127, 0], dtype=torch.int8)),
        ("uint8", torch.tensor([0, 255, 17], dtype=torch.uint8)),
        ("bool", torch.tensor([True, False, True])),
        ("uint16", torch.tensor([0, 65535, 300], dtype=torch.uint16)),  # saved through _rebuild_tensor_v3
        ("scalar", torch.tensor(2.75)),
        ("empty", torch.zeros(0, 3)),
    ])


def view_tensors():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    return OrderedDict([
        ("base", base),
        ("transposed", base.t()),              # stride (1, 6)
        ("row", base[2]),                       # offset 12
        ("column", base[:, 3]),                 # offset 3, stride (6,)
        ("strided", base[1::2, ::3]),           # offset 6, stride (12, 3)
        ("permuted", base.reshape(2, 3, 4).permute(2, 0, 1)),
        ("broadcast", torch.tensor([7.0, -1.0]).expand(3, 2)),  # stride (0, 1)
        ("negated", torch._neg_view(torch.tensor([1.0, -2.0, 0.5]))),  # PyTorch's lazy negation bit
    ])


def expected_entry(state_dict, key=None, skipped=()):
    tensors = []
    for name, tensor in state_dict.items():
        values = tensor.detach().resolve_neg().to(torch.float32).contiguous().reshape(-1)
        bits = [b & 0xFFFFFFFF for b in values.view(torch.int32).tolist()]
        tensors.append({"name": name, "shape": list(tensor.shape), "bits": bits})
    return {"key": key, "skipped": list(skipped), "tensors": tensors}


def check_reads(path, expected):
    """torch.load(weights_only=True) must give exactly the recorded tensors."""
    loaded = torch.load(path, weights_only=True)
    state_dict = loaded[expected["key"]] if expected["key"] else loaded
    assert [t["name"] for t in expected["tensors"]] == list(state_dict.keys()), path
    for entry in expected["tensors"]:
        values = state_dict[entry["name"]].resolve_neg().to(torch.float32).contiguous().reshape(-1)
        assert [b & 0xFFFFFFFF for b in values.view(torch.int32).tolist()] == entry["bits"], (path, entry["name"])


def make_readable(folder):
    expected = {}

    def save(name, obj, entry, via_buffer=False):
        path = os.path.join(folder, name)
        if via_buffer:  # torch.save to a buffer names the folder "archive/", as for files saved through a stream
            buffer = io.BytesIO()
            torch.save(obj, buffer)
            with open(path, "wb") as file:
                file.write(buffer.getvalue())
        else:
            torch.save(obj, path)
        check_reads(path, entry)
        expected[name] = entry

    net, optimizer = tiny_net()
    state = net.state_dict()
    assert state["1.num_batches_tracked"].item() == 3 and hasattr(state, "_metadata")
    save("state_dict.pth", state, expected_entry(state))
    save("checkpoint_state_dict.pth",
         {"epoch": 3, "state_dict": state, "optimizer": optimizer.state_dict(), "best_accuracy": 0.91, "arch": "tiny"},
         expected_entry(state, "state_dict", ["epoch", "optimizer", "best_accuracy", "arch"]))
    save("checkpoint_model.pth", {"model": state, "epoch": 1}, expected_entry(state, "model", ["epoch"]))
    save("dtypes.pth", dtype_tensors(), expected_entry(dtype_tensors()))
    save("views.pth", view_tensors(), expected_entry(view_tensors()))

    torch.manual_seed(1)
    block = torchvision.models.resnet.BasicBlock(2, 2)
    block.eval()
    block_state = block.state_dict()
    save("torchvision_block.pth", block_state, expected_entry(block_state), via_buffer=True)

    zip64 = os.path.join(folder, "state_dict_zip64.pth")
    write_zip64(os.path.join(folder, "state_dict.pth"), zip64)
    assert zipfile.ZipFile(zip64).testzip() is None
    check_reads(zip64, expected["state_dict.pth"])
    expected["state_dict_zip64.pth"] = expected["state_dict.pth"]
    return expected, state


# MARK: - Refused fixtures

def refused_by_torch(path):
    """torch.load(weights_only=True) must refuse the file, and nothing may have run."""
    try:
        torch.load(path, weights_only=True)
    except Exception:  # UnpicklingError, RuntimeError, KeyError, ...: any refusal
        pass
    else:
        raise AssertionError(f"{path}: PyTorch read it")
    assert not os.path.exists(CANARY), f"{path}: the payload ran"


def make_refused(folder, state):
    def path(name):
        return os.path.join(folder, name)

    four_floats = ("0", struct.pack("<4f", 1.0, 2.0, 3.0, 4.0))
    hostile = {
        "os_system.pth": pickle_of(call("os", "system", f"touch {CANARY}")),
        "posix_system.pth": pickle_of(call("posix", "system", f"touch {CANARY}")),
        "builtins_eval.pth": pickle_of(call("builtins", "eval", f"__import__('os').system('touch {CANARY}')")),
        "builtin_exec.pth": pickle_of(call("__builtin__", "exec", f"import os; os.system('touch {CANARY}')")),
        # A valid state dict first, the payload in a checkpoint entry after it: skipping cannot hide it.
        "eval_in_checkpoint.pth": pickle_of(
            b"}(" + op_string("state_dict") + op_state_dict([("w", op_tensor("0", 4, 0, [4], [1]))])
            + op_string("epoch") + call("builtins", "eval", f"__import__('os').system('touch {CANARY}')") + b"u"),
        "larger_than_storage.pth": pickle_of(op_state_dict([("w", op_tensor("0", 4, 1, [2, 2], [2, 1]))])),
        "strides_outside_storage.pth": pickle_of(op_state_dict([("w", op_tensor("0", 4, 0, [2, 2], [2, 2]))])),
        "negative_stride.pth": pickle_of(op_state_dict([("w", op_tensor("0", 4, 3, [4], [-1]))])),
        "storage_size_mismatch.pth": pickle_of(op_state_dict([("w", op_tensor("0", 8, 0, [8], [1]))])),
        "missing_memo.pth": pickle_of(b"}h\x07"),
        "deep_nesting.pth": pickle_of(b"(" * 5000),
        "self_containing_list.pth": pickle_of(b"}" + op_string("loop") + b"]q\x00h\x00as"),
    }
    for name, data in hostile.items():
        handmade(path(name), data, [four_floats])
        if name != "self_containing_list.pth":  # PyTorch reads that one: a dict holding a list
            refused_by_torch(path(name))

    # Refused by camlab only, to bound its memory and time. PyTorch would make these views without
    # allocating, and would take any rank, key length, or a long key set again and again.
    handmade(path("huge_view.pth"), pickle_of(op_state_dict([("w", op_tensor("0", 4, 0, [2**31, 2**31], [0, 0]))])), [four_floats])
    handmade(path("too_many_values.pth"), pickle_of(op_state_dict(
        [(f"w{i}", op_tensor("0", 4, 0, [2**20], [0])) for i in range(20)])), [four_floats])
    handmade(path("high_rank.pth"), pickle_of(op_state_dict([("w", op_tensor("0", 4, 0, [1] * 100, [1] * 100))])), [four_floats])
    handmade(path("long_storage_key.pth"), pickle_of(op_state_dict([("w", op_tensor("k" * 300, 4, 0, [4], [1]))])),
             [("k" * 300, four_floats[1])])
    long_key = op_string("k" * 20000) + b"q\x00"  # then fetched from the memo (BINGET 0) for every SETITEM
    handmade(path("long_keys_through_memo.pth"), pickle_of(b"}" + long_key + b"Ns" + b"h\x00Ns" * 100))

    source = path("state_dict.pth")
    rewrite(source, path("missing_storage.pth"), lambda name, data: None if name.endswith("/data/1") else (name, data))
    refused_by_torch(path("missing_storage.pth"))
    rewrite(source, path("deflated.pth"), compression=zipfile.ZIP_DEFLATED)
    with open(source, "rb") as file:
        whole = file.read()
    with open(path("truncated.pth"), "wb") as file:
        file.write(whole[: len(whole) * 2 // 3])
    refused_by_torch(path("truncated.pth"))

    # Big-endian: PyTorch reads this (it swaps bytes); camlab asks for a little-endian copy.
    values = torch.tensor([1.5, -2.25, 3.0])
    torch.save({"w": values}, path("big_endian.pth"))
    rewrite(path("big_endian.pth"), path("big_endian.pth.tmp"), lambda name, data: (
        name, b"big" if name.endswith("/byteorder") else
        b"".join(data[i:i + 4][::-1] for i in range(0, len(data), 4)) if "/data/" in name else data))
    os.replace(path("big_endian.pth.tmp"), path("big_endian.pth"))
    assert torch.equal(torch.load(path("big_endian.pth"), weights_only=True)["w"], values)

    torch.save(state, path("legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save({"w": torch.ones(2)}, path("protocol4.pth"), pickle_protocol=4)
    refused_by_torch(path("protocol4.pth"))
    torch.save([torch.ones(2)], path("list.pth"))
    torch.save({"epoch": 3, "arch": "tiny"}, path("no_tensors.pth"))
    torch.save(torch.nn.Linear(2, 1), path("whole_model.pth"))
    refused_by_torch(path("whole_model.pth"))
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 1)), path("torchscript.pt"))
    refused_by_torch(path("torchscript.pt"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--output", default=os.path.join(here, "../../Tests/CamlabNNTests/Fixtures/pth"))
    folder = parser.parse_args().output
    os.makedirs(folder, exist_ok=True)
    if os.path.exists(CANARY):
        os.remove(CANARY)
    expected, state = make_readable(folder)
    make_refused(folder, state)
    with open(os.path.join(folder, "expected.json"), "w") as file:
        json.dump(expected, file, indent=1)
        file.write("\n")
    total = sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder))
    print(f"wrote {len(os.listdir(folder))} files, {total} bytes, to {os.path.normpath(folder)}")


if __name__ == "__main__":
    main()
