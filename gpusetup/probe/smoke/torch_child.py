"""Smoke child for PyTorch: the same fixed model on the CPU and on every CUDA device; one
JSON event per line on stdout. Imports nothing from gpusetup."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import model_spec  # noqa: E402


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    import torch
    import torch.nn.functional as F

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    emit({"framework": f"torch {torch.__version__}"})
    devices = [{"device": "cpu", "name": "CPU"}]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            bus = None
            if hasattr(props, "pci_bus_id"):
                bus = (
                    f"{props.pci_domain_id:04x}:{props.pci_bus_id:02x}:{props.pci_device_id:02x}.0"
                )
            devices.append(
                {
                    "device": f"cuda:{i}",
                    "name": props.name,
                    "compute_capability": f"{props.major}.{props.minor}",
                    "pci_bus_id": bus,
                }
            )
    emit({"devices": devices})

    params = {}
    for k, (shape, values) in model_spec.parameters().items():
        t = torch.tensor(values, dtype=torch.float32).reshape(shape)
        if k in ("w1", "w2"):
            t = t.permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
        params[k] = t
    shape, values = model_spec.batch()
    x_cpu = torch.tensor(values, dtype=torch.float32).reshape(shape).permute(0, 3, 1, 2)

    def forward(x, p):
        y = F.relu(F.conv2d(x, p["w1"], p["b1"], padding=1))
        # TensorFlow's SAME padding for 3x3 stride 2 on even sizes pads bottom/right only
        y = F.relu(F.conv2d(F.pad(y, (0, 1, 0, 1)), p["w2"], p["b2"], stride=2))
        return y.mean(dim=(2, 3)) @ p["wd"] + p["bd"]

    reference = None
    for dev in devices:
        name = dev["device"]
        emit({"begin": name})
        try:
            x = x_cpu.to(name)
            p = {k: v.to(name) for k, v in params.items()}
            with torch.no_grad():
                for _ in range(3):
                    out = forward(x, p)
                if name != "cpu":
                    torch.cuda.synchronize(name)
                start = time.perf_counter()
                for _ in range(iterations):
                    out = forward(x, p)
                if name != "cpu":
                    torch.cuda.synchronize(name)
                seconds = (time.perf_counter() - start) / iterations
            flat = [float(v) for v in out.cpu().reshape(-1).tolist()]
            if reference is None:
                reference = flat
            emit(model_spec.result_event(name, seconds, flat, reference, shape[0]))
        except Exception as exc:  # noqa: BLE001 - every device failure is reported
            emit(model_spec.error_event(name, exc))
    emit({"done": True})


if __name__ == "__main__":
    main()
