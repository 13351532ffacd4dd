"""The state-dict keys and shapes of the networks camlab must recognize, for StateDictLayoutTests.

    python3 make_layout_fixture.py [--output ../../Tests/CamlabNNTests/Fixtures/layouts/layouts.json]

For each torchvision classification model camlab reads (and timm's plain resnets when timm is
installed), records every state-dict key with its shape, the parameter count and the output shape
of the module PyTorch calls `layer4` (or `features`) for a 224×224 and a 300×300 input, so the Swift
side can check its own tree without any weights. No weights are stored.
"""
import argparse, json, os
import torch, torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, "..", "..", "Tests", "CamlabNNTests", "Fixtures", "layouts", "layouts.json")
NAMES = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
         "wide_resnet50_2", "wide_resnet101_2", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
         "vgg19", "vgg19_bn"]

def describe(model, name):
    model.eval()
    entry = {"name": name, "keys": [[k, list(v.shape)] for k, v in model.state_dict().items()],
             "parameters": sum(p.numel() for p in model.parameters())}
    target = model.layer4 if hasattr(model, "layer4") else model.features
    shapes = {}
    for size in (224, 300):
        seen = {}
        def hook(module, inputs, output):
            seen["out"] = list(output.shape[1:])
        handle = target.register_forward_hook(hook)
        with torch.no_grad():
            out = model(torch.zeros(1, 3, size, size))
        handle.remove()
        shapes[str(size)] = {"target": seen["out"], "output": list(out.shape[1:])}
    entry["shapes"] = shapes
    return entry

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", default=DEFAULT)
    args = parser.parse_args()
    torch.manual_seed(0)
    models = [describe(getattr(torchvision.models, n)(weights=None), "torchvision " + n) for n in NAMES]
    # A torchvision ResNet of other widths and three stages (CIFAR-like, 10 classes).
    from torchvision.models.resnet import ResNet, BasicBlock
    small = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10)
    models.append(describe(small, "torchvision ResNet BasicBlock [1, 1, 1, 1], 10 classes"))
    try:
        import timm
        for n in ["resnet18", "resnet50"]:
            models.append(describe(timm.create_model(n, pretrained=False), "timm " + n))
    except ImportError:
        pass
    with open(args.output, "w") as f:
        json.dump({"torch": torch.__version__, "torchvision": torchvision.__version__, "models": models}, f, separators=(",", ":"))
        f.write("\n")

if __name__ == "__main__":
    main()
