"""Write op_reference.json: PyTorch's values and gradients for the operations camlab's
tensor core implements, in float64 and float32, on inputs given by closed formulas.

    python3 make_op_reference.py [--output op_reference.json]

Every input tensor is defined by
    value[i] = sin(a * i + b) * scale        (i = flat row-major index, computed in Double)
and rounded to Float for the float32 results, so Swift reproduces the inputs exactly with
Foundation's `sin` and no random numbers. Class labels are label[n] = (3 * n + 1) % classes.
Only fixture generation needs PyTorch; camlab's tests read the JSON this writes.
"""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn.functional as F

FORMULAS = {  # name: (a, b, scale)
    "x": (0.37, 0.11, 0.9),
    "weight": (0.53, 0.29, 0.5),
    "bias": (0.71, 0.43, 0.2),
    "g": (0.23, 0.61, 1.0),
    "v": (0.41, 0.17, 1.0),
    "other": (0.29, 0.05, 0.8),
}


def formula_values(name, shape):
    a, b, scale = FORMULAS[name]
    count = math.prod(shape)
    return [math.sin(a * i + b) * scale for i in range(count)]


def describe_input(name, shape, role):
    a, b, scale = FORMULAS[name]
    return {"role": role, "shape": list(shape), "a": a, "b": b, "scale": scale,
            "formula": f"{role}[i] = sin({a} * i + {b}) * {scale}"}


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
            tensors[role] = values.to(dtype).requires_grad_(role != "g" and role != "v")
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
