"""camlab-formula/1: every parameter of a state dict computed from its key and shape.

The torchvision reference fixtures (make_torchvision_reference.py) and the BatchNorm training
reference (make_bn_training_reference.py) use networks whose parameters are never stored: both
sides, PyTorch here and camlab's tests (Tests/CamlabMethodsTests/FormulaWeights.swift), compute
them from this formula, bit for bit.

- seed = FNV-1a 64-bit over the key's UTF-8 bytes (offset 0xcbf29ce484222325, prime 0x100000001b3).
- For the flat row-major index i: x = seed + (i + 1) * 0x9E3779B97F4A7C15 (mod 2^64);
  z = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  z = z ^ (z >> 31); u = (z >> 40) * 2^-24, in [0, 1) (all products mod 2^64).
- value = low + (high - low) * u in float64, then rounded (to nearest even) to float32.
- Ranges, from the key's last component, the shape and whether the key belongs to a BatchNorm
  module (one whose prefix also has `running_mean` in the state dict):
    BatchNorm `weight`                       [0.5, 1.5)
    BatchNorm `bias`                         [-0.2, 0.2)
    any other `bias`                         [-0.05, 0.05)
    `weight` of rank 4 (convolution)         [-sqrt(6 / fan_in), sqrt(6 / fan_in)),  fan_in = prod(shape[1:])
    `weight` of rank 2 (linear)              [-sqrt(3 / fan_in), sqrt(3 / fan_in)),  fan_in = shape[1]
  anything else (a rank-1 weight outside BatchNorm, an unknown name) is an error.

BatchNorm running statistics are not formula values: the scripts calibrate and store them.
"""
import math

import numpy as np

FORMULA = "camlab-formula/1"

_MASK = (1 << 64) - 1
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_CHUNK = 1 << 22  # values per step, to bound the temporaries for the 100M-value VGG weights

BUFFER_NAMES = ("running_mean", "running_var", "num_batches_tracked")


def fnv1a64(key):
    """FNV-1a 64-bit over the UTF-8 bytes of `key`."""
    h = _FNV_OFFSET
    for byte in key.encode("utf-8"):
        h ^= byte
        h = (h * _FNV_PRIME) & _MASK
    return h


def unit_uniforms(key, count, start=0):
    """u_i in [0, 1) (float64, multiples of 2^-24) for flat indices start ..< start + count."""
    seed = np.uint64(fnv1a64(key))
    index = np.arange(start + 1, start + count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = seed + index * _GOLDEN
        z = (x ^ (x >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) * (2.0 ** -24)


def uniform(key, count, low, high):
    """float32 values low + (high - low) * u_i (computed in float64, then rounded) for i < count."""
    out = np.empty(count, dtype=np.float32)
    for start in range(0, count, _CHUNK):
        n = min(_CHUNK, count - start)
        out[start:start + n] = (low + (high - low) * unit_uniforms(key, n, start)).astype(np.float32)
    return out


def value_range(key, shape, is_batchnorm_parameter):
    """(low, high) of the key's values, as in the module docstring."""
    name = key.rsplit(".", 1)[-1]
    shape = list(shape)
    if is_batchnorm_parameter and name == "weight":
        return 0.5, 1.5
    if is_batchnorm_parameter and name == "bias":
        return -0.2, 0.2
    if name == "bias":
        return -0.05, 0.05
    if name == "weight" and len(shape) == 4:
        bound = math.sqrt(6.0 / float(np.prod(shape[1:])))
        return -bound, bound
    if name == "weight" and len(shape) == 2:
        bound = math.sqrt(3.0 / float(shape[1]))
        return -bound, bound
    raise ValueError(f"{FORMULA} has no range for {key!r} of shape {shape}"
                     f"{' (BatchNorm)' if is_batchnorm_parameter else ''}")


def values(key, shape, is_batchnorm_parameter):
    """The parameter's float32 values, flat row-major."""
    low, high = value_range(key, shape, is_batchnorm_parameter)
    return uniform(key, int(np.prod(shape, dtype=np.int64)), low, high)


def tensor(key, shape, is_batchnorm_parameter):
    import torch
    return torch.from_numpy(values(key, shape, is_batchnorm_parameter).reshape(tuple(shape)))


def is_buffer(key):
    return key.rsplit(".", 1)[-1] in BUFFER_NAMES


def is_batchnorm_parameter(key, keys):
    """Whether `key` belongs to a BatchNorm module: its prefix also has `running_mean` in `keys`."""
    prefix = key.rsplit(".", 1)[0] + "." if "." in key else ""
    return prefix + "running_mean" in keys


def formula_state_dict(model):
    """{key: tensor} with every parameter of `model`'s state dict from the formula and every
    BatchNorm buffer left as the model has it."""
    state = model.state_dict()
    keys = set(state)
    result = {}
    for key, current in state.items():
        if is_buffer(key):
            result[key] = current.detach().clone()
        else:
            result[key] = tensor(key, list(current.shape), is_batchnorm_parameter(key, keys))
    return result


def load_formula(model):
    """Overwrites `model`'s parameters with the formula's (buffers untouched); returns the model."""
    model.load_state_dict(formula_state_dict(model), strict=True)
    return model


def float32_bits(array):
    """The float32 bit patterns (as Python ints) of a float32 array."""
    return [int(b) for b in np.ascontiguousarray(array, dtype=np.float32).view(np.uint32).ravel()]


def checksum(array):
    """sum_i (i + 1) * bits_i mod 2^64 over the float32 bit patterns of the flat array, as a decimal
    string: order-sensitive, cheap to recompute in Swift (`&+`, `&*`)."""
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32).ravel().astype(np.uint64)
    total = np.uint64(0)
    with np.errstate(over="ignore"):
        for start in range(0, bits.size, _CHUNK):
            chunk = bits[start:start + _CHUNK]
            index = np.arange(start + 1, start + chunk.size + 1, dtype=np.uint64)
            total = total + np.sum(chunk * index, dtype=np.uint64)
    return str(int(total))


if __name__ == "__main__":
    # A quick look: the first values of a few keys.
    for key, shape, bn in (("conv1.weight", [64, 3, 7, 7], False), ("bn1.weight", [64], True),
                           ("fc.bias", [1000], False)):
        v = values(key, shape, bn)
        print(key, shape, v[:4].tolist(), [hex(b) for b in float32_bits(v[:4])])
