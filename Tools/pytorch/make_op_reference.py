"""Write op_reference.json: PyTorch's values and gradients for the operations camlab's
tensor core implements, in float64 and float32, on inputs given by closed formulas.

    python3 make_op_reference.py [--output op_reference.json]

Every input tensor is defined by
    value[i] = sin(a * i + b) * scale [+ offset]   (i = flat row-major index, computed in Double)
and rounded to Float for the float32 results, so Swift reproduces the inputs exactly with
Foundation's `sin` and no random numbers (the offset, 0 unless given, keeps variances positive).
Class labels are label[n] = (3 * n + 1) % classes.
Only fixture generation needs PyTorch; camlab's tests read the JSON this writes.
"""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn.functional as F

FORMULAS = {  # name: (a, b, scale) or (a, b, scale, offset)
    "x": (0.37, 0.11, 0.9),
    "weight": (0.53, 0.29, 0.5),
    "bias": (0.71, 0.43, 0.2),
    "g": (0.23, 0.61, 1.0),
    "v": (0.41, 0.17, 1.0),
    "other": (0.29, 0.05, 0.8),
    "running_mean": (0.67, 0.31, 0.3),
    "running_var": (0.83, 0.19, 0.4, 1.0),   # in [0.6, 1.4]
    "bn_weight": (0.47, 0.13, 0.3, 1.0),     # in [0.7, 1.3], as a trained BatchNorm's scale
}


def formula(name):
    a, b, scale, *rest = FORMULAS[name]
    return a, b, scale, (rest[0] if rest else 0.0)


def formula_values(name, shape):
    a, b, scale, offset = formula(name)
    count = math.prod(shape)
    # Without an offset, exactly the original expression (no "+ 0.0" in the rounding).
    return [math.sin(a * i + b) * scale + offset if offset else math.sin(a * i + b) * scale
            for i in range(count)]


def describe_input(name, shape, role):
    a, b, scale, offset = formula(name)
    entry = {"role": role, "shape": list(shape), "a": a, "b": b, "scale": scale,
             "formula": f"{role}[i] = sin({a} * i + {b}) * {scale}" + (f" + {offset}" if offset else "")}
    if offset:
        entry["offset"] = offset
    return entry


def labels(count, classes):
    return [(3 * n + 1) % classes for n in range(count)]


class Case:
    """One operation: its inputs (by formula), the PyTorch code, and what it returns."""

    def __init__(self, name, call, loss, inputs, compute, label_spec=None):
        self.name, self.call, self.loss = name, call, loss
        self.inputs = inputs  # role: (formula name, shape)
        self.compute = compute  # dict of tensors -> dict of result tensors
        self.label_spec = label_spec  # (count, classes) or None

    def run(self, dtype):
        tensors = {}
        for role, (formula, shape) in self.inputs.items():
            values = torch.tensor(formula_values(formula, shape), dtype=torch.float64).reshape(shape)
            tensors[role] = values.to(dtype).requires_grad_(role not in CONSTANT_ROLES)
        if self.label_spec:
            tensors["labels"] = torch.tensor(labels(*self.label_spec), dtype=torch.long)
        return self.compute(tensors)

    def document(self):
        entry = {"name": self.name, "call": self.call, "loss": self.loss,
                 "inputs": {role: describe_input(formula, shape, role)
                            for role, (formula, shape) in self.inputs.items()}}
        if self.label_spec:
            count, classes = self.label_spec
            entry["labels"] = {"shape": [count], "formula": f"labels[n] = (3 * n + 1) % {classes}",
                               "values": labels(count, classes)}
        entry["results"] = {}
        for dtype_name, dtype in (("float64", torch.float64), ("float32", torch.float32)):
            results = self.run(dtype)
            entry["results"][dtype_name] = {key: encode(value, dtype) for key, value in results.items()}
        return entry


def encode(tensor, dtype):
    array = tensor.detach().cpu().numpy()
    if dtype == torch.float32:
        # Shortest text that reads back as the same float32.
        values = [float(np.format_float_positional(v, unique=True, trim="-")) if v != 0 else 0.0
                  for v in array.astype(np.float32).ravel()]
    else:
        values = [float(v) for v in array.astype(np.float64).ravel()]
    return {"shape": list(array.shape), "values": values}


# Inputs that are data, not variables: the loss weights and BatchNorm's running statistics.
CONSTANT_ROLES = {"g", "v", "running_mean", "running_var"}


def weighted_gradients(y, g, wrt):
    """Gradients of L = sum(y * g) with respect to each tensor in `wrt`."""
    return torch.autograd.grad((y * g).sum(), wrt)


# MARK: - The cases

def conv2d_case(t):
    y = F.conv2d(t["x"], t["weight"], t["bias"], stride=2, padding=1)
    dx, dw, db = weighted_gradients(y, t["g"], [t["x"], t["weight"], t["bias"]])
    return {"y": y, "grad_x": dx, "grad_weight": dw, "grad_bias": db}


def pooled(function):
    def compute(t):
        y = function(t["x"])
        (dx,) = weighted_gradients(y, t["g"], [t["x"]])
        return {"y": y, "grad_x": dx}
    return compute


def matmul_case(t):
    y = t["x"] @ t["other"]
    dx, dother = weighted_gradients(y, t["g"], [t["x"], t["other"]])
    return {"y": y, "grad_x": dx, "grad_other": dother}


def cross_entropy_case(t):
    loss = F.cross_entropy(t["x"], t["labels"])
    (dx,) = torch.autograd.grad(loss, [t["x"]])
    return {"loss": loss, "grad_x": dx}


def conv_softmax_second_derivative(t):
    # f(x) = sum(g * softmax(conv2d(x, weight, bias, padding=1), dim=-1))
    f = (t["g"] * torch.softmax(F.conv2d(t["x"], t["weight"], t["bias"], padding=1), dim=-1)).sum()
    (grad_x,) = torch.autograd.grad(f, [t["x"]], create_graph=True)
    hvp_x, mixed_weight = torch.autograd.grad((t["v"] * grad_x).sum(), [t["x"], t["weight"]])
    return {"f": f, "grad_x": grad_x, "hvp_x": hvp_x, "grad_weight_of_v_dot_grad_x": mixed_weight}


def cross_entropy_second_derivative(t):
    # f(x) = cross_entropy(x @ other, labels) = -mean_n log_softmax(x @ other)[n, labels[n]]
    f = F.nll_loss(torch.log_softmax(t["x"] @ t["other"], dim=-1), t["labels"])
    (grad_x,) = torch.autograd.grad(f, [t["x"]], create_graph=True)
    hvp_x, mixed_other = torch.autograd.grad((t["v"] * grad_x).sum(), [t["x"], t["other"]])
    return {"f": f, "grad_x": grad_x, "hvp_x": hvp_x, "grad_other_of_v_dot_grad_x": mixed_other}


def convolution(**options):
    """F.conv2d with `options` (stride, padding, dilation, groups); a bias when the case has one."""
    def compute(t):
        y = F.conv2d(t["x"], t["weight"], t.get("bias"), **options)
        names = ["x", "weight"] + (["bias"] if "bias" in t else [])
        grads = weighted_gradients(y, t["g"], [t[name] for name in names])
        return {"y": y, **{f"grad_{name}": grad for name, grad in zip(names, grads)}}
    return compute


def batch_norm_eval_case(t):
    y = F.batch_norm(t["x"], t["running_mean"], t["running_var"], t["weight"], t["bias"],
                     training=False, eps=1e-5)
    dx, dw, db = weighted_gradients(y, t["g"], [t["x"], t["weight"], t["bias"]])
    return {"y": y, "grad_x": dx, "grad_weight": dw, "grad_bias": db}


def batch_norm_train_case(t):
    # momentum=1 replaces the running statistics by the batch's: its mean and unbiased variance.
    running_mean, running_var = torch.zeros_like(t["weight"]).detach(), torch.ones_like(t["weight"]).detach()
    y = F.batch_norm(t["x"], running_mean, running_var, t["weight"], t["bias"],
                     training=True, momentum=1.0, eps=1e-5)
    dx, dw, db = weighted_gradients(y, t["g"], [t["x"], t["weight"], t["bias"]])
    return {"y": y, "grad_x": dx, "grad_weight": dw, "grad_bias": db,
            "mean": running_mean, "unbiased_variance": running_var}


def batch_norm_train_second_derivative(t):
    # f(x) = sum(g * batch_norm(x, weight, bias, training=True)): curved in x through the batch
    # statistics, so the Hessian-vector product is not zero.
    f = (t["g"] * F.batch_norm(t["x"], None, None, t["weight"], t["bias"], training=True, eps=1e-5)).sum()
    (grad_x,) = torch.autograd.grad(f, [t["x"]], create_graph=True)
    hvp_x, mixed_weight = torch.autograd.grad((t["v"] * grad_x).sum(), [t["x"], t["weight"]])
    return {"f": f, "grad_x": grad_x, "hvp_x": hvp_x, "grad_weight_of_v_dot_grad_x": mixed_weight}


def interpolation(size, align_corners):
    return pooled(lambda x: F.interpolate(x, size=size, mode="bilinear", align_corners=align_corners))


def cases():
    image = [2, 3, 7, 6]
    return [
        Case("conv2d", "y = F.conv2d(x, weight, bias, stride=2, padding=1)", "L = sum(y * g)",
             {"x": ("x", image), "weight": ("weight", [4, 3, 3, 3]), "bias": ("bias", [4]),
              "g": ("g", [2, 4, 4, 3])}, conv2d_case),
        Case("max_pool2d_k2_s2", "y = F.max_pool2d(x, kernel_size=2, stride=2)", "L = sum(y * g)",
             {"x": ("x", image), "g": ("g", [2, 3, 3, 3])}, pooled(lambda x: F.max_pool2d(x, 2, 2))),
        Case("max_pool2d_k3_s2", "y = F.max_pool2d(x, kernel_size=3, stride=2)", "L = sum(y * g)",
             {"x": ("x", image), "g": ("g", [2, 3, 3, 2])}, pooled(lambda x: F.max_pool2d(x, 3, 2))),
        Case("avg_pool2d_k2", "y = F.avg_pool2d(x, kernel_size=2)  (stride 2)", "L = sum(y * g)",
             {"x": ("x", image), "g": ("g", [2, 3, 3, 3])}, pooled(lambda x: F.avg_pool2d(x, 2))),
        Case("global_avg_pool", "y = F.adaptive_avg_pool2d(x, 1)", "L = sum(y * g)",
             {"x": ("x", image), "g": ("g", [2, 3, 1, 1])}, pooled(lambda x: F.adaptive_avg_pool2d(x, 1))),
        Case("matmul_broadcast", "y = x @ other  ([2,1,3,4] @ [5,4,2] -> [2,5,3,2])", "L = sum(y * g)",
             {"x": ("x", [2, 1, 3, 4]), "other": ("other", [5, 4, 2]), "g": ("g", [2, 5, 3, 2])}, matmul_case),
        Case("softmax_last_axis", "y = torch.softmax(x, dim=-1)", "L = sum(y * g)",
             {"x": ("x", [2, 3, 5]), "g": ("g", [2, 3, 5])}, pooled(lambda x: torch.softmax(x, dim=-1))),
        Case("log_softmax_last_axis", "y = torch.log_softmax(x, dim=-1)", "L = sum(y * g)",
             {"x": ("x", [2, 3, 5]), "g": ("g", [2, 3, 5])}, pooled(lambda x: torch.log_softmax(x, dim=-1))),
        Case("cross_entropy", "loss = F.cross_entropy(x, labels)  (mean over the batch)", "L = loss",
             {"x": ("x", [4, 5])}, cross_entropy_case, label_spec=(4, 5)),
        Case("bilinear_up_align_false", "y = F.interpolate(x, size=(9, 11), mode='bilinear', align_corners=False)",
             "L = sum(y * g)", {"x": ("x", [1, 2, 4, 5]), "g": ("g", [1, 2, 9, 11])}, interpolation((9, 11), False)),
        Case("bilinear_up_align_true", "y = F.interpolate(x, size=(9, 11), mode='bilinear', align_corners=True)",
             "L = sum(y * g)", {"x": ("x", [1, 2, 4, 5]), "g": ("g", [1, 2, 9, 11])}, interpolation((9, 11), True)),
        Case("bilinear_down_align_false",
             "y = F.interpolate(x, size=(3, 5), mode='bilinear', align_corners=False)  (antialias=False)",
             "L = sum(y * g)", {"x": ("x", [1, 2, 8, 8]), "g": ("g", [1, 2, 3, 5])}, interpolation((3, 5), False)),
        Case("bilinear_down_align_true",
             "y = F.interpolate(x, size=(3, 5), mode='bilinear', align_corners=True)  (antialias=False)",
             "L = sum(y * g)", {"x": ("x", [1, 2, 8, 8]), "g": ("g", [1, 2, 3, 5])}, interpolation((3, 5), True)),
        Case("second_derivative_conv_softmax",
             "f = sum(g * softmax(F.conv2d(x, weight, bias, padding=1), dim=-1)); "
             "grad_x = d f/d x (create_graph=True); hvp_x = d sum(v * grad_x)/d x; "
             "grad_weight_of_v_dot_grad_x = d sum(v * grad_x)/d weight",
             "see call",
             {"x": ("x", [1, 2, 5, 4]), "weight": ("weight", [3, 2, 3, 3]), "bias": ("bias", [3]),
              "g": ("g", [1, 3, 5, 4]), "v": ("v", [1, 2, 5, 4])}, conv_softmax_second_derivative),
        Case("second_derivative_cross_entropy_matmul",
             "f = F.nll_loss(torch.log_softmax(x @ other, dim=-1), labels)  (= cross_entropy, mean); "
             "grad_x = d f/d x (create_graph=True); hvp_x = d sum(v * grad_x)/d x  (Hessian-vector product); "
             "grad_other_of_v_dot_grad_x = d sum(v * grad_x)/d other",
             "see call",
             {"x": ("x", [3, 4]), "other": ("other", [4, 5]), "v": ("v", [3, 4])},
             cross_entropy_second_derivative, label_spec=(3, 5)),

        # Convolutions of torchvision's ResNets, ResNeXts and VGGs (and dilated ones).
        Case("conv2d_groups2", "y = F.conv2d(x, weight, bias, padding=1, groups=2)", "L = sum(y * g)",
             {"x": ("x", [2, 4, 6, 5]), "weight": ("weight", [6, 2, 3, 3]), "bias": ("bias", [6]),
              "g": ("g", [2, 6, 6, 5])}, convolution(padding=1, groups=2)),
        Case("conv2d_depthwise_stride2", "y = F.conv2d(x, weight, bias, stride=2, padding=1, groups=4)",
             "L = sum(y * g)",
             {"x": ("x", [2, 4, 7, 6]), "weight": ("weight", [8, 1, 3, 3]), "bias": ("bias", [8]),
              "g": ("g", [2, 8, 4, 3])}, convolution(stride=2, padding=1, groups=4)),
        Case("conv2d_dilation2", "y = F.conv2d(x, weight, bias, padding=2, dilation=2)", "L = sum(y * g)",
             {"x": ("x", [1, 3, 9, 8]), "weight": ("weight", [4, 3, 3, 3]), "bias": ("bias", [4]),
              "g": ("g", [1, 4, 9, 8])}, convolution(padding=2, dilation=2)),
        Case("conv2d_dilation2_stride2_groups2",
             "y = F.conv2d(x, weight, stride=2, padding=1, dilation=2, groups=2)", "L = sum(y * g)",
             {"x": ("x", [2, 4, 9, 9]), "weight": ("weight", [6, 2, 3, 2]), "g": ("g", [2, 6, 4, 5])},
             convolution(stride=2, padding=1, dilation=2, groups=2)),
        Case("conv2d_resnext_groups32_stride2",
             "y = F.conv2d(x, weight, stride=2, padding=1, groups=32)  (ResNeXt's grouped 3x3)", "L = sum(y * g)",
             {"x": ("x", [1, 64, 4, 3]), "weight": ("weight", [32, 2, 3, 3]), "g": ("g", [1, 32, 2, 2])},
             convolution(stride=2, padding=1, groups=32)),
        Case("conv2d_1x1_stride2", "y = F.conv2d(x, weight, stride=2)  (ResNet's downsample)", "L = sum(y * g)",
             {"x": ("x", [2, 4, 7, 6]), "weight": ("weight", [6, 4, 1, 1]), "g": ("g", [2, 6, 4, 3])},
             convolution(stride=2)),
        Case("conv2d_stem_7x7_stride2", "y = F.conv2d(x, weight, stride=2, padding=3)  (ResNet's stem)",
             "L = sum(y * g)",
             {"x": ("x", [1, 3, 13, 11]), "weight": ("weight", [4, 3, 7, 7]), "g": ("g", [1, 4, 7, 6])},
             convolution(stride=2, padding=3)),
        # Max pooling: ResNet's stem, ceil mode (the last window's rule on both axes), dilation.
        Case("max_pool2d_k3_s2_p1", "y = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)  (ResNet's stem)",
             "L = sum(y * g)", {"x": ("x", image), "g": ("g", [2, 3, 4, 3])},
             pooled(lambda x: F.max_pool2d(x, 3, 2, padding=1))),
        Case("max_pool2d_k3_s2_ceil", "y = F.max_pool2d(x, kernel_size=3, stride=2, ceil_mode=True)",
             "L = sum(y * g)", {"x": ("x", [2, 3, 8, 6]), "g": ("g", [2, 3, 4, 3])},
             pooled(lambda x: F.max_pool2d(x, 3, 2, ceil_mode=True))),
        Case("max_pool2d_k2_s2_p1_ceil",
             "y = F.max_pool2d(x, kernel_size=2, stride=2, padding=1, ceil_mode=True)  "
             "(5 and 7 lose the window that would start in the right padding)",
             "L = sum(y * g)", {"x": ("x", [2, 3, 5, 7]), "g": ("g", [2, 3, 3, 4])},
             pooled(lambda x: F.max_pool2d(x, 2, 2, padding=1, ceil_mode=True))),
        Case("max_pool2d_k3_s1_p1_d2", "y = F.max_pool2d(x, kernel_size=3, stride=1, padding=1, dilation=2)",
             "L = sum(y * g)", {"x": ("x", [1, 2, 7, 6]), "g": ("g", [1, 2, 5, 4])},
             pooled(lambda x: F.max_pool2d(x, 3, 1, padding=1, dilation=2))),
        Case("max_pool2d_k2_s2_d2_ceil", "y = F.max_pool2d(x, kernel_size=2, stride=2, dilation=2, ceil_mode=True)",
             "L = sum(y * g)", {"x": ("x", [1, 2, 8, 7]), "g": ("g", [1, 2, 4, 3])},
             pooled(lambda x: F.max_pool2d(x, 2, 2, dilation=2, ceil_mode=True))),
        # Average pooling: the divisor with and without padding counted, ceil-mode windows clipped.
        Case("avg_pool2d_k3_s2_p1", "y = F.avg_pool2d(x, kernel_size=3, stride=2, padding=1)  (count_include_pad=True)",
             "L = sum(y * g)", {"x": ("x", image), "g": ("g", [2, 3, 4, 3])},
             pooled(lambda x: F.avg_pool2d(x, 3, 2, padding=1))),
        Case("avg_pool2d_k3_s2_p1_exclude_pad",
             "y = F.avg_pool2d(x, kernel_size=3, stride=2, padding=1, count_include_pad=False)",
             "L = sum(y * g)", {"x": ("x", image), "g": ("g", [2, 3, 4, 3])},
             pooled(lambda x: F.avg_pool2d(x, 3, 2, padding=1, count_include_pad=False))),
        Case("avg_pool2d_k3_s2_p1_ceil",
             "y = F.avg_pool2d(x, kernel_size=3, stride=2, padding=1, ceil_mode=True)  (count_include_pad=True)",
             "L = sum(y * g)", {"x": ("x", [2, 3, 8, 6]), "g": ("g", [2, 3, 5, 4])},
             pooled(lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True))),
        Case("avg_pool2d_k3_s2_p1_ceil_exclude_pad",
             "y = F.avg_pool2d(x, kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)",
             "L = sum(y * g)", {"x": ("x", [2, 3, 8, 6]), "g": ("g", [2, 3, 5, 4])},
             pooled(lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False))),
        Case("avg_pool2d_k2_ceil", "y = F.avg_pool2d(x, kernel_size=2, ceil_mode=True)  (stride 2, odd sizes)",
             "L = sum(y * g)", {"x": ("x", [2, 3, 7, 5]), "g": ("g", [2, 3, 4, 3])},
             pooled(lambda x: F.avg_pool2d(x, 2, ceil_mode=True))),
        # Adaptive average pooling: sizes that do not divide, and outputs larger than the input.
        Case("adaptive_avg_pool2d_3x4", "y = F.adaptive_avg_pool2d(x, (3, 4))  (7x6 input: overlapping bins)",
             "L = sum(y * g)", {"x": ("x", image), "g": ("g", [2, 3, 3, 4])},
             pooled(lambda x: F.adaptive_avg_pool2d(x, (3, 4)))),
        Case("adaptive_avg_pool2d_up_9x8", "y = F.adaptive_avg_pool2d(x, (9, 8))  (4x5 input)",
             "L = sum(y * g)", {"x": ("x", [1, 2, 4, 5]), "g": ("g", [1, 2, 9, 8])},
             pooled(lambda x: F.adaptive_avg_pool2d(x, (9, 8)))),
        Case("adaptive_avg_pool2d_vgg_7x7", "y = F.adaptive_avg_pool2d(x, (7, 7))  (VGG's, on a 5x3 input)",
             "L = sum(y * g)", {"x": ("x", [1, 2, 5, 3]), "g": ("g", [1, 2, 7, 7])},
             pooled(lambda x: F.adaptive_avg_pool2d(x, (7, 7)))),
        # BatchNorm2d in both modes.
        Case("batch_norm_eval",
             "y = F.batch_norm(x, running_mean, running_var, weight, bias, training=False, eps=1e-5)",
             "L = sum(y * g)",
             {"x": ("x", [2, 3, 4, 5]), "running_mean": ("running_mean", [3]), "running_var": ("running_var", [3]),
              "weight": ("bn_weight", [3]), "bias": ("bias", [3]), "g": ("g", [2, 3, 4, 5])},
             batch_norm_eval_case),
        Case("batch_norm_train",
             "y = F.batch_norm(x, running_mean, running_var, weight, bias, training=True, momentum=1.0, eps=1e-5) "
             "with running_mean = 0, running_var = 1 before; mean and unbiased_variance are the running "
             "statistics after (momentum 1: the batch's mean and unbiased variance)",
             "L = sum(y * g)",
             {"x": ("x", [2, 3, 4, 5]), "weight": ("bn_weight", [3]), "bias": ("bias", [3]),
              "g": ("g", [2, 3, 4, 5])},
             batch_norm_train_case),
        Case("second_derivative_batch_norm_train",
             "f = sum(g * F.batch_norm(x, None, None, weight, bias, training=True, eps=1e-5)); "
             "grad_x = d f/d x (create_graph=True); hvp_x = d sum(v * grad_x)/d x; "
             "grad_weight_of_v_dot_grad_x = d sum(v * grad_x)/d weight",
             "see call",
             {"x": ("x", [2, 3, 3, 2]), "weight": ("bn_weight", [3]), "bias": ("bias", [3]),
              "g": ("g", [2, 3, 3, 2]), "v": ("v", [2, 3, 3, 2])},
             batch_norm_train_second_derivative),
    ]


def main():
    parser = argparse.ArgumentParser(description="Write op_reference.json.")
    parser.add_argument("--output", default="op_reference.json")
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    document = {
        "generator": "make_op_reference.py",
        "torch": torch.__version__,
        "input_rule": "input[i] = sin(a * i + b) * scale, i the flat row-major index, computed in "
                      "Double (float64); the float32 results use those values rounded to nearest Float",
        "loss_rule": "unless a case says otherwise, gradients are of L = sum(y * g), g an input "
                     "given by its own formula",
        "cases": [case.document() for case in cases()],
    }
    with open(args.output, "w") as handle:
        json.dump(document, handle, separators=(",", ":"))
        handle.write("\n")


if __name__ == "__main__":
    main()
