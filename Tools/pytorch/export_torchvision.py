"""Export a torchvision classification model's state dict as a safetensors file for camlab.

    python3 export_torchvision.py MODEL [--weights DEFAULT|NAME] [--random] [--out FILE] [--pth]

MODEL is any torchvision classification model name (resnet50, vgg11_bn, ...: see
`torchvision.models.list_models(module=torchvision.models)`). The weights are torchvision's
(`--weights DEFAULT`, the default, or a name such as IMAGENET1K_V1: downloading them needs the
internet once, then torch's cache). `--random` builds the model with weights=None instead, with the
class list and mean/std of its default weights' metadata (available offline), so the tool can be
tried without a download.

The file is `safetensors.torch.save_file(model.state_dict(), FILE, metadata=...)`: every tensor of
the state dict under its PyTorch key (BatchNorm's num_batches_tracked stays I64), and the string
metadata
    format   "pytorch-state-dict"
    source   e.g. "torchvision resnet50 IMAGENET1K_V2" (or "torchvision resnet18 random (weights=None)")
    classes  a JSON list of the weights' category names
    mean     a JSON list, from the weights' transforms (ImageNet's when they have none)
    std      likewise
    model    the torchvision model name; torchvision  its version
`--pth` also writes `torch.save(model.state_dict(), FILE with .pth)`. Default FILE: MODEL.safetensors.
"""
import argparse
import json
import os
import sys

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def weights_enum(name):
    import torchvision
    try:
        return torchvision.models.get_model_weights(name)
    except (KeyError, ValueError) as error:
        raise SystemExit(f"export_torchvision.py: torchvision has no weights for a model named '{name}' ({error})")


def mean_std(weights):
    """The normalization of the weights' transforms, ImageNet's when they do not say."""
    try:
        transforms = weights.transforms()
        return [float(v) for v in transforms.mean], [float(v) for v in transforms.std]
    except (AttributeError, TypeError):
        return list(IMAGENET_MEAN), list(IMAGENET_STD)


def build(name, weights_name, random):
    import torchvision
    classification = set(torchvision.models.list_models(module=torchvision.models))
    if name not in classification:
        raise SystemExit(f"export_torchvision.py: '{name}' is not a torchvision classification model; "
                         f"choose one of: {', '.join(sorted(classification))}")
    enum = weights_enum(name)
    if weights_name == "DEFAULT":
        weights = enum.DEFAULT
    else:
        try:
            weights = enum[weights_name]
        except KeyError:
            raise SystemExit(f"export_torchvision.py: {name} has no weights '{weights_name}'; "
                             f"it has: {', '.join(w.name for w in enum)}") from None
    categories = weights.meta.get("categories")
    if not categories:
        raise SystemExit(f"export_torchvision.py: the weights {weights} list no categories")
    if random:
        model = torchvision.models.get_model(name, weights=None, num_classes=len(categories))
        source = f"torchvision {name} random (weights=None; classes and normalization of {weights.name})"
    else:
        try:
            model = torchvision.models.get_model(name, weights=weights)
        except OSError as error:  # urllib's URLError is an OSError
            raise SystemExit(f"export_torchvision.py: could not download the weights {weights} ({error}); "
                             f"this needs the internet once (then torch's cache); --random works offline") from None
        source = f"torchvision {name} {weights.name}"
    mean, std = mean_std(weights)
    return model.eval(), {"format": "pytorch-state-dict", "source": source, "classes": json.dumps(categories),
                          "mean": json.dumps(mean), "std": json.dumps(std), "model": name,
                          "torchvision": torchvision.__version__}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a torchvision classification model name, e.g. resnet50")
    parser.add_argument("--weights", default="DEFAULT", help="DEFAULT (the default) or a weights name such as IMAGENET1K_V1")
    parser.add_argument("--random", action="store_true", help="weights=None: random parameters, no download")
    parser.add_argument("--out", default=None, help="the safetensors file (default MODEL.safetensors)")
    parser.add_argument("--pth", action="store_true", help="also torch.save the state dict beside it (.pth)")
    args = parser.parse_args(argv)

    import torch
    from safetensors.torch import save_file
    model, metadata = build(args.model, args.weights, args.random)
    out = args.out or f"{args.model}.safetensors"
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, out, metadata=metadata)
    written = [out]
    if args.pth:
        pth = os.path.splitext(out)[0] + ".pth"
        torch.save(model.state_dict(), pth)
        written.append(pth)
    parameters = sum(v.numel() for v in state.values())
    print(f"{metadata['source']}: {len(state)} tensors, {parameters} values, "
          f"{len(json.loads(metadata['classes']))} classes -> {', '.join(written)}", file=sys.stderr)


if __name__ == "__main__":
    main()
