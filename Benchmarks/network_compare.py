#!/usr/bin/env python3
"""camlab against PyTorch and pytorch-grad-cam on one torchvision state dict, side by side.

    python3 Benchmarks/network_compare.py ARCH MODEL.safetensors HEIGHT WIDTH [--rounds 3] [--scorecam]

ARCH is the torchvision constructor (resnet50, resnet18, vgg11_bn, ...). Each round runs, one after
the other, a PyTorch child (this script with --pytorch) and `camlab-bench network MODEL H W`; both
time, at batch 1 and 2 threads, the inference forward, Grad-CAM and Grad-CAM++ at `layer4` (VGG:
its last ReLU) for class 1, and print one JSON line. The table gives each measure's median over the
rounds, the ratio camlab / PyTorch, and each child's peak resident memory (ru_maxrss, which for the
PyTorch child includes importing torch). Hold PyTorch to AVX2 with ATEN_CPU_CAPABILITY=avx2
ONEDNN_MAX_CPU_ISA=AVX2 and camlab with CAMLAB_SGEMM_KERNEL=avx2 to measure the AVX2 path.
--scorecam also times Score-CAM at the same layer (one masked forward per channel, pytorch-grad-cam's
default batch size): the second of two calls, as each takes seconds.
"""
import json, os, statistics, subprocess, sys, time

here = os.path.dirname(os.path.abspath(__file__))


def pytorch_child(arch, path, height, width, scorecam):
    import torch, torchvision
    from safetensors.torch import load_file
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, ScoreCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    torch.set_num_threads(2)
    model = getattr(torchvision.models, arch)(weights=None)
    model.load_state_dict(load_file(path))
    model.eval()
    layer = model.layer4 if hasattr(model, "layer4") else [m for m in model.features if isinstance(m, torch.nn.ReLU)][-1]
    x = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(7))

    def median_ms(body, budget=3.0):
        body()
        start = time.perf_counter(); body(); estimate = max(1e-6, time.perf_counter() - start)
        times = []
        for _ in range(min(200, max(7, int(budget / estimate)))):
            begin = time.perf_counter(); body(); times.append(time.perf_counter() - begin)
        return 1000 * statistics.median(times)

    with torch.no_grad():
        forward = median_ms(lambda: model(x))
    result = {"forward_ms": forward}
    for name, method in (("gradcam", GradCAM), ("gradcampp", GradCAMPlusPlus)):
        cam = method(model=model, target_layers=[layer])
        result[f"{name}_ms"] = median_ms(lambda: cam(input_tensor=x, targets=[ClassifierOutputTarget(1)]))
    if scorecam:
        cam = ScoreCAM(model=model, target_layers=[layer])
        times = []
        for _ in range(2):
            begin = time.perf_counter()
            cam(input_tensor=x, targets=[ClassifierOutputTarget(1)])
            times.append(time.perf_counter() - begin)
        result["scorecam_ms"] = 1000 * times[-1]
    result["torch"] = torch.__version__
    result["capability"] = torch.backends.cpu.get_cpu_capability()
    print(json.dumps(result))


def run(command):
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{command[0]} failed with status {status}")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def main():
    if sys.argv[1] == "--pytorch":
        pytorch_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), "--scorecam" in sys.argv)
        return
    arch, path, height, width = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
    bench = os.path.join(here, "..", ".build", "release", "camlab-bench")
    scorecam = ["--scorecam"] if "--scorecam" in sys.argv else []
    torch_runs, camlab_runs = [], []
    for _ in range(rounds):
        torch_runs.append(run([sys.executable, __file__, "--pytorch", arch, path, height, width] + scorecam))
        camlab_runs.append(run([bench, "network", path, height, width] + scorecam))
    print(f"{arch} {height}×{width}, batch 1, 2 threads, {rounds} rounds · camlab kernel {camlab_runs[0]['kernel']}"
          f" · torch {torch_runs[0]['torch']} ({torch_runs[0]['capability']})")
    print(f"{'measure':<14}{'camlab ms':>11}{'PyTorch ms':>12}{'ratio':>8}")
    for key in ("forward_ms", "gradcam_ms", "gradcampp_ms") + (("scorecam_ms",) if scorecam else ()) + ("peak_mb",):
        mine = statistics.median(r[key] for r in camlab_runs)
        theirs = statistics.median(r[key] for r in torch_runs)
        label = key.replace("_ms", "").replace("_mb", " (MB)")
        print(f"{label:<14}{mine:>11.1f}{theirs:>12.1f}{mine / theirs:>8.2f}")


if __name__ == "__main__":
    main()
