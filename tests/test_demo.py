"""`gpusetup demo`: the real server on a free loopback port, real images made with Pillow,
real TensorFlow (tensorflow-cpu) running a MobileNetV2 whose weights file the tests make
from a fixed seed (tests/demo_model.py), and a real browser where Chromium is installed.

Two servers run per module: one on this machine as it is (no GPU) and one on the
simulated eight-GPU machine (tests/fakegpu), whose device map the page must show. With
random weights the labels are arbitrary: the tests check the answer's shape, that it is
what Keras itself computes for the image, and the rules around it.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from conftest import ROOT, base_env, load_machine, machine, minimal_site

from gpusetup.demo import SCHEMA
from gpusetup.demo.compare import compare_top
from gpusetup.demo.images import crop_to_input
from gpusetup.demo.labels import imagenet_labels
from gpusetup.demo.run import allowed_hosts, is_loopback, parse_size

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (gpusetup[demo])")
pytest.importorskip("tornado", reason="Tornado is not installed (gpusetup[demo])")
pytest.importorskip("tensorflow", reason="TensorFlow is not installed (tensorflow-cpu)")

MiB = 1 << 20
START_TIMEOUT_S = 180


# --- images -------------------------------------------------------------------------------


def picture(width: int = 320, height: int = 240, mode: str = "RGB", seed: int = 0):
    """A picture with structure (gradients, a disc, a bar), so that it compresses like a
    photo and two seeds give two different images."""
    from PIL import ImageDraw

    x = Image.linear_gradient("L").resize((width, height))
    y = x.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    image = Image.merge("RGB", (x, y, Image.new("L", (width, height), (seed * 67) % 256)))
    draw = ImageDraw.Draw(image)
    r = max(1, min(width, height) // 4)
    cx, cy = (width * (2 + seed % 3)) // 6, height // 2
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=((seed * 90) % 256, 200, 40))
    draw.rectangle((0, height * 3 // 4, width, height), fill=(30, (seed * 50) % 256, 160))
    if mode == "RGBA":
        image = image.convert("RGBA")
        image.putalpha(Image.linear_gradient("L").resize((width, height)))
    elif mode != "RGB":
        image = image.convert(mode)
    return image


def encoded(image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header that claims a huge image, with one row of data: the pixel count
    must be refused before anything is decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1)))
        + chunk(b"IEND", b"")
    )


# --- the server ---------------------------------------------------------------------------


@dataclass
class DemoServer:
    proc: subprocess.Popen
    url: str
    tmp: Path
    out: Path
    err: Path
    env: dict[str, str]
    #: what /healthz and /api/classify answered while the model was loading
    while_loading: tuple | None = None

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path.lstrip("/"), timeout=30, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.url + path.lstrip("/"), timeout=60, **kwargs)

    def classify(self, data: bytes, name: str = "image", ctype: str = "image/png", **kwargs):
        return self.post("/api/classify", files={"image": (name, data, ctype)}, **kwargs)

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait(10)


def start_demo(tmp: Path, *args: str, wait: bool = True, **env: str) -> DemoServer:
    tmp.mkdir(parents=True, exist_ok=True)
    out, err = tmp / "stdout.txt", tmp / "stderr.txt"
    uploads = tmp / "tmpdir"
    uploads.mkdir(exist_ok=True)
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gpusetup", "demo", "--port", "0", *args],
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env=base_env(TMPDIR=str(uploads), **env),
            cwd=ROOT,
        )
    server = DemoServer(proc, "", uploads, out, err, env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.url:
        for word in out.read_text().split():
            if word.startswith("http://127.0.0.1:"):
                server.url = word
        if proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"the demo did not start:\n{server.output()[-3000:]}")
        time.sleep(0.05)
    while wait:
        try:
            health = server.get("/healthz")
            if health.status_code == 200:
                break
            if server.while_loading is None:
                refused = server.classify(encoded(picture(8, 8), "PNG"))
                server.while_loading = (health, refused)
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"the demo did not become ready:\n{server.output()[-3000:]}")
        time.sleep(0.2)
    return server


@pytest.fixture(scope="module")
def model_files(tmp_path_factory) -> tuple[Path, Path, list]:
    """The seeded random weights, an image, and Keras' own top-5 for that image."""
    tmp = tmp_path_factory.mktemp("demo-model")
    weights, image = tmp / "random.weights.h5", tmp / "picture.png"
    picture(500, 375, seed=3).save(image)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests/demo_model.py"),
            str(weights),
            "--expect",
            str(image),
            str(tmp / "expect.json"),
        ],
        check=True,
        capture_output=True,
        env=base_env(),
        timeout=300,
    )
    return weights, image, json.loads((tmp / "expect.json").read_text())


@pytest.fixture(scope="module")
def server(model_files, tmp_path_factory):
    demo = start_demo(tmp_path_factory.mktemp("demo-server"), "--weights", str(model_files[0]))
    yield demo
    demo.stop()


@pytest.fixture(scope="module")
def gpu_server(model_files, tmp_path_factory, fake_driver_dir):
    """The demo on the simulated eight-GPU machine; one image may wait per device."""
    demo = start_demo(
        tmp_path_factory.mktemp("demo-gpu-server"),
        "--weights",
        str(model_files[0]),
        "--queue-size",
        "1",
        "--lang",
        "zh",
        FAKEGPU_MACHINE=str(machine("mixed8")),
        LD_LIBRARY_PATH=str(fake_driver_dir),
    )
    yield demo
    demo.stop()


def assert_answer(data: dict, device: str = "cpu") -> None:
    labels = imagenet_labels()
    assert data["schema"] == SCHEMA
    assert data["device"] == device
    assert {"smi_index", "tf_device", "latency_ms", "top"} <= set(data)
    assert data["latency_ms"] > 0
    top = data["top"]
    assert [t["rank"] for t in top] == [1, 2, 3, 4, 5]
    scores = [t["score"] for t in top]
    assert scores == sorted(scores, reverse=True) and 0 <= sum(scores) <= 1.0001
    for t in top:
        assert (t["label"], t["label_zh"]) == labels.name(t["class"])


# --- labels -------------------------------------------------------------------------------


def test_label_files_have_1000_distinct_names_in_imagenet_class_order():
    labels = imagenet_labels()
    assert len(labels.en) == len(labels.zh) == 1000
    assert len(set(labels.en)) == 1000 and len(set(labels.zh)) == 1000
    assert all(name.strip() == name and name for name in labels.en + labels.zh)
    # fixed points of the class index the Keras and torchvision classifiers share
    assert [labels.en[i] for i in (0, 1, 281, 340, 817, 999)] == [
        "tench",
        "goldfish",
        "tabby",
        "zebra",
        "sports car",
        "toilet tissue",
    ]
    assert [labels.zh[i] for i in (0, 281, 340, 817, 999)] == [
        "丁鲷",
        "虎斑猫",
        "斑马",
        "跑车",
        "卫生纸",
    ]
    # every Chinese name is a translation: it has Chinese characters (none left in English)
    untranslated = [
        (i, zh) for i, zh in enumerate(labels.zh) if not any("\u4e00" <= c <= "\u9fff" for c in zh)
    ]
    assert untranslated == []


# --- answers ------------------------------------------------------------------------------

FORMATS = {
    "jpeg": (lambda: encoded(picture(), "JPEG", quality=90), "image/jpeg", ("JPEG", "RGB")),
    "png": (lambda: encoded(picture(), "PNG"), "image/png", ("PNG", "RGB")),
    "gif": (lambda: encoded(picture(mode="P"), "GIF"), "image/gif", ("GIF", "P")),
    "webp": (lambda: encoded(picture(), "WEBP"), "image/webp", ("WEBP", "RGB")),
    "bmp": (lambda: encoded(picture(), "BMP"), "image/bmp", ("BMP", "RGB")),
    "1x1 png": (lambda: encoded(picture(1, 1), "PNG"), "image/png", ("PNG", "RGB")),
    "4000x3000 jpeg": (
        lambda: encoded(picture(4000, 3000), "JPEG", quality=85),
        "image/jpeg",
        ("JPEG", "RGB"),
    ),
    "cmyk jpeg": (lambda: encoded(picture(mode="CMYK"), "JPEG"), "image/jpeg", ("JPEG", "CMYK")),
    "png with alpha": (lambda: encoded(picture(mode="RGBA"), "PNG"), "image/png", ("PNG", "RGBA")),
    "greyscale png": (lambda: encoded(picture(mode="L"), "PNG"), "image/png", ("PNG", "L")),
    "no content type": (
        lambda: encoded(picture(), "PNG"),
        "application/octet-stream",
        ("PNG", "RGB"),
    ),
}


@pytest.mark.parametrize("kind", list(FORMATS))
def test_classify_answers_every_accepted_format(server, kind):
    make, ctype, (fmt, mode) = FORMATS[kind]
    data = make()
    response = server.classify(data, name=f"photo.{fmt.lower()}", ctype=ctype)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert_answer(answer)
    assert (answer["image"]["format"], answer["image"]["mode"]) == (fmt, mode)
    assert answer["smi_index"] is None and answer["tf_device"] == "/CPU:0"


def test_the_answer_is_what_keras_computes_for_the_image(server, model_files):
    _, image, expected = model_files
    answer = server.classify(image.read_bytes(), name="picture.png").json()
    assert [t["class"] for t in answer["top"]] == [c for c, _ in expected]
    for t, (_, score) in zip(answer["top"], expected, strict=True):
        assert abs(t["score"] - score) < 1e-4
    # another image gets other scores: the pixels reach the model
    other = server.classify(encoded(picture(500, 375, seed=8), "PNG")).json()
    assert [t["score"] for t in other["top"]] != [t["score"] for t in answer["top"]]


def test_crop_takes_the_centre_square_at_the_evaluation_scale():
    image = Image.new("RGB", (400, 200), (255, 0, 0))
    image.paste((0, 0, 255), (100, 0, 300, 200))  # a blue centre square, red sides
    crop = crop_to_input(image, 224)
    assert crop.size == (224, 224)
    # shorter side 200 -> 256: the sides are cut away and the centre stays blue
    assert crop.getpixel((112, 112)) == (0, 0, 255)
    assert crop.getpixel((3, 112))[2] > 200


# --- bad uploads --------------------------------------------------------------------------

BAD = {
    "not an image": (
        {"files": {"image": ("notes.png", b"hello, this is text", "image/png")}},
        400,
        "not an image",
    ),
    "empty file": ({"files": {"image": ("empty.png", b"", "image/png")}}, 400, "empty"),
    "over the limit": (
        {"files": {"image": ("big.jpg", b"\xff\xd8" + os.urandom(10 * MiB), "image/jpeg")}},
        413,
        "limit of 10.0 MiB (--max-upload)",
    ),
    "far over the limit": (
        {"files": {"image": ("big.jpg", b"\xff\xd8" + os.urandom(20 * MiB), "image/jpeg")}},
        413,
        "larger than the limit of 10.0 MiB (--max-upload)",
    ),
    "over the limit, chunked": (
        {
            "data": (b"-" * MiB for _ in range(11)),  # no Content-Length: counted as it arrives
            "headers": {"Content-Type": "multipart/form-data; boundary=x"},
        },
        413,
        "larger than the limit",
    ),
    "raw body instead of a form": (
        {"data": b"\xff\xd8\xff", "headers": {"Content-Type": "image/jpeg"}},
        415,
        "multipart/form-data",
    ),
    "part declared as text": (
        {"files": {"image": ("a.png", encoded(picture(8, 8), "PNG"), "text/plain")}},
        415,
        "'text/plain'",
    ),
    "file name with ../": (
        {"files": {"image": ("../../demo-escape.png", encoded(picture(8, 8), "PNG"), "image/png")}},
        400,
        "contains a path",
    ),
    "no image field": ({"files": {"picture": ("a.png", b"x", "image/png")}}, 400, "'image'"),
    "truncated jpeg": (
        {"files": {"image": ("cut.jpg", _half(encoded(picture(), "JPEG")), "image/jpeg")}},
        400,
        "damaged",
    ),
    "tiff": (
        {"files": {"image": ("a.tif", encoded(picture(), "TIFF"), "image/tiff")}},
        415,
        "tiff",
    ),
    "tiff as png": (
        {"files": {"image": ("a.png", encoded(picture(), "TIFF"), "image/png")}},
        400,
        "JPEG, PNG",
    ),
    "a 900-megapixel claim": (
        {"files": {"image": ("huge.png", png_claiming(30000, 30000), "image/png")}},
        413,
        "at most 50 megapixels",
    ),
    "a 60-megapixel claim": (
        {"files": {"image": ("wide.png", png_claiming(10000, 6000), "image/png")}},
        413,
        "10000x6000 pixels: at most 50 megapixels",
    ),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_uploads_get_the_reason_and_the_server_stays_up(server, kind):
    request, status, reason = BAD[kind]
    response = server.post("/api/classify", **request)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["schema"] == SCHEMA and answer["status"] == status
    assert reason in answer["error"]
    assert server.get("/healthz").json()["status"] == "ok"
    assert not (server.tmp.parent / "demo-escape.png").exists()


def test_unknown_device_is_refused_with_the_list(server):
    response = server.post(
        "/api/classify",
        files={"image": ("a.png", encoded(picture(), "PNG"), "image/png")},
        data={"device": "gpu:3"},
    )
    assert response.status_code == 400
    assert "no device 'gpu:3' here (devices: cpu)" in response.json()["error"]


def test_uploads_are_stored_privately_and_deleted(server):
    for _ in range(3):
        assert server.classify(encoded(picture(), "PNG"), name="holiday.png").status_code == 200
    (store,) = list(server.tmp.glob("gpusetup-demo-*"))
    assert store.stat().st_mode & 0o777 == 0o700
    assert list(store.iterdir()) == []


def test_requests_for_another_host_or_from_another_site_are_refused(server):
    response = server.get("/api/devices", headers={"Host": "demo.attacker.example"})
    assert response.status_code == 403 and "not 'demo.attacker.example'" in response.json()["error"]
    png = encoded(picture(), "PNG")
    refused = server.classify(png, headers={"Origin": "http://attacker.example"})
    assert refused.status_code == 403 and "http://attacker.example" in refused.json()["error"]
    same = server.classify(png, headers={"Origin": server.url.rstrip("/")})
    assert same.status_code == 200


def test_page_and_static_files_are_served_with_a_content_security_policy(server):
    page = server.get("/")
    assert page.status_code == 200 and "/static/demo.js" in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert server.get("/static/demo.js").headers["Content-Type"].startswith("text/javascript")
    missing = server.get("/static/../../etc/passwd")
    assert missing.status_code == 404


# --- concurrency --------------------------------------------------------------------------


def test_healthz_answers_within_100_ms_while_inferences_run(server):
    image = encoded(picture(640, 480), "JPEG")
    results: list[int] = []

    def upload() -> None:
        results.append(server.classify(image, ctype="image/jpeg").status_code)

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for thread in threads:
        thread.start()
    samples = []
    with requests.Session() as session:
        while any(t.is_alive() for t in threads):
            begin = time.perf_counter()
            health = session.get(server.url + "healthz", timeout=10).json()
            samples.append((time.perf_counter() - begin, health["devices"]["cpu"]["busy"]))
            time.sleep(0.005)
    for thread in threads:
        thread.join()
    assert results == [200] * 8
    busy = [seconds for seconds, was_busy in samples if was_busy]
    assert busy, "no /healthz answer came while an inference ran"
    assert max(seconds for seconds, _ in samples) < 0.1, samples


def test_a_full_queue_answers_503_with_retry_after(gpu_server):
    image = encoded(picture(64, 64), "PNG")
    statuses: list[tuple[int, str | None]] = []
    for _ in range(5):  # bounded: each round sends 12 at once to a queue of one
        barrier = threading.Barrier(12)

        def upload(barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            response = gpu_server.classify(image)
            statuses.append((response.status_code, response.headers.get("Retry-After")))

        threads = [threading.Thread(target=upload) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if any(status == 503 for status, _ in statuses):
            break
    refused = [retry for status, retry in statuses if status == 503]
    assert refused and all(retry is not None and int(retry) >= 1 for retry in refused)
    assert {status for status, _ in statuses} <= {200, 503}
    assert gpu_server.classify(image).status_code == 200


# --- devices ------------------------------------------------------------------------------


def test_devices_show_each_gpus_map_row_on_the_simulated_machine(gpu_server):
    data = gpu_server.get("/api/devices").json()
    mixed8 = load_machine("mixed8")
    assert data["schema"] == SCHEMA and data["lang"] == "zh"
    devices = {d["device"]: d for d in data["devices"]}
    assert list(devices) == ["cpu"] + [f"gpu:{i}" for i in range(8)]
    assert devices["cpu"]["state"] == "ready"
    maps = json.loads(
        subprocess.run(
            [sys.executable, "-m", "gpusetup", "map", "--json"],
            capture_output=True,
            text=True,
            env=base_env(**gpu_server.env),
            cwd=ROOT,
            timeout=60,
        ).stdout
    )
    rows = {r["smi_index"]: r for r in maps["rows"] if r["smi_index"] is not None}
    for i, gpu in enumerate(mixed8["gpus"]):
        d = devices[f"gpu:{i}"]
        assert d["pci_bus_id"] == gpu["pci_bus_id"].lower()[4:]
        assert (d["smi_index"], d["cuda_ordinal"], d["tf_device"]) == (
            i,
            rows[i]["cuda_ordinal"],
            rows[i]["tf_device"],
        )
        assert d["state"] == "unavailable"
    # the K80 is below TensorFlow's minimum; the others: tensorflow-cpu sees no GPU
    assert "3.7 < 6.0" in devices["gpu:0"]["reason"]
    assert "CPU-only build" in devices["gpu:2"]["reason"]
    assert data["default_device"] == "cpu"
    assert "the page uses the CPU" in gpu_server.output()


def test_while_the_model_loads_healthz_and_classify_answer_503(gpu_server):
    assert gpu_server.while_loading is not None, "the model was ready before the first probe"
    health, refused = gpu_server.while_loading
    assert health.status_code == 503 and health.json()["status"] == "loading"
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert "still loading the model" in refused.json()["error"]


def test_a_gpu_the_framework_cannot_use_answers_409_with_the_reason(gpu_server):
    response = gpu_server.classify(encoded(picture(), "PNG"), params={"device": "gpu:3"})
    assert response.status_code == 409
    assert "gpu:3 cannot classify" in response.json()["error"]
    assert "CPU-only build" in response.json()["error"]


def test_compare_runs_every_device_and_says_why_a_gpu_did_not(gpu_server):
    answer = gpu_server.post(
        "/api/compare", files={"image": ("a.png", encoded(picture(), "PNG"), "image/png")}
    ).json()
    results = {r["device"]: r for r in answer["results"]}
    assert_answer({"schema": answer["schema"], **results["cpu"]})
    assert "agreement" not in results["cpu"]
    assert "sees 0 GPU(s)" in results["gpu:3"]["error"]
    assert (
        results["gpu:3"]["pci_bus_id"]
        == load_machine("mixed8")["gpus"][3]["pci_bus_id"].lower()[4:]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--device", "gpu:9"), "there is no nvidia-smi GPU 9 (GPUs: gpu:0, gpu:1"),
        (("--device", "gpu:0"), "Tesla K80, nvidia-smi 0, 0000:04:00.0"),
        (("--device", "tpu"), "'tpu' is not a device: use auto, cpu or gpu:N"),
        (("--model", "resnet"), "--model must be one of mobilenet_v2, efficientnet_b0"),
        (("--max-upload", "lots"), "--max-upload 'lots' is not a size"),
        (("--weights", "/nonexistent/w.h5"), "--weights /nonexistent/w.h5: no such file"),
        (("--weights", "README.md"), "ends in .h5, .hdf5, .keras"),
    ],
)
def test_option_errors_exit_2_before_any_model_loads(cli, args, message):
    run = cli("demo", "--port", "0", *args, machine_file="mixed8")
    assert run.returncode == 2, run.stderr
    assert message in run.stderr


def test_port_in_use_names_the_port_option(cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = cli("demo", "--port", str(port))
    assert run.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in run.stderr and "--port" in run.stderr


def test_a_weights_file_that_is_not_weights_exits_2(cli, tmp_path):
    bogus = tmp_path / "model.weights.h5"
    bogus.write_text("not an HDF5 file")
    run = cli("demo", "--port", "0", "--weights", str(bogus), timeout=180)
    assert run.returncode == 2, run.stderr
    assert f"cannot load {bogus} into mobilenet_v2" in run.stderr and "(--weights)" in run.stderr


def test_imagenet_weights_that_cannot_be_downloaded_name_the_weights_option(cli, tmp_path):
    # a proxy that refuses connections: the download fails here as on an offline machine
    run = cli(
        "demo",
        "--port",
        "0",
        timeout=180,
        KERAS_HOME=str(tmp_path / "keras"),
        HTTPS_PROXY="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
    )
    assert run.returncode == 1, run.stderr
    assert "could not download the ImageNet weights of mobilenet_v2" in run.stderr
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5" in run.stderr
    assert "--weights PATH" in run.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (frozenset({"tornado", "pillow"}), "tensorflow is not installed in this Python"),
        (frozenset(), "python -m pip install 'gpusetup[demo]'"),
    ],
)
def test_without_its_dependencies_the_demo_prints_the_install_command(tmp_path, extra, message):
    """Real environments without TensorFlow (and without the web dependencies)."""
    site = minimal_site(tmp_path / "site", extra)
    proc = subprocess.run(
        [sys.executable, "-S", "-m", "gpusetup", "demo", "--port", "0"],
        capture_output=True,
        text=True,
        env=base_env(PYTHONPATH=f"{ROOT}:{site}"),
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    if "tensorflow" in message:
        assert "python -m pip install 'tensorflow[and-cuda]'" in proc.stderr


def test_torch_backend_without_torchvision_prints_the_install_command(cli):
    if importlib.util.find_spec("torch") and importlib.util.find_spec("torchvision"):
        pytest.skip("PyTorch and torchvision are installed here")
    run = cli("demo", "--port", "0", "--backend", "torch")
    assert run.returncode == 1
    assert "python -m pip install torch torchvision" in run.stderr


def test_torch_backend_serves_the_same_api(model_files, tmp_path):
    if not importlib.util.find_spec("torchvision"):  # never imported here: see below
        pytest.skip("torchvision is not installed (not in the dev install)")
    weights = tmp_path / "random.pth"
    # in a child: PyTorch and TensorFlow (loaded in this process) crash side by side
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, torch, torchvision\n"
            "torch.manual_seed(0)\n"
            "torch.save(torchvision.models.mobilenet_v2(weights=None).state_dict(), sys.argv[1])",
            str(weights),
        ],
        check=True,
        timeout=300,
    )
    demo = start_demo(tmp_path / "torch", "--backend", "torch", "--weights", str(weights))
    try:
        answer = demo.classify(encoded(picture(), "PNG")).json()
        assert_answer(answer)
        assert answer["backend"] == "torch"
    finally:
        demo.stop()


# --- pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gpu", "agrees", "top1", "detail"),
    [
        ([(5, 0.5), (7, 0.2), (1, 0.1), (9, 0.05), (3, 0.01)], True, True, "same top 5"),
        ([(5, 0.5004), (7, 0.1997), (1, 0.1), (9, 0.05), (3, 0.01)], True, True, "same top 5"),
        ([(5, 0.5), (7, 0.2), (1, 0.1), (3, 0.0101), (9, 0.0099)], False, True, "another order"),
        ([(7, 0.5), (5, 0.2), (1, 0.1), (9, 0.05), (3, 0.01)], False, False, "another order"),
        ([(5, 0.5), (7, 0.2), (1, 0.1), (9, 0.05), (4, 0.01)], False, True, "1 of the CPU's"),
        ([(5, 0.52), (7, 0.2), (1, 0.1), (9, 0.05), (3, 0.01)], False, True, "differ by up to"),
    ],
)
def test_gpu_agreement_with_the_cpu(gpu, agrees, top1, detail):
    cpu = [(5, 0.5), (7, 0.2), (1, 0.1), (9, 0.05), (3, 0.01)]
    result = compare_top(cpu, gpu)
    assert (result.agrees, result.top1_agrees) == (agrees, top1)
    assert detail in result.detail


def test_near_ties_may_swap_on_another_device():
    cpu = [(5, 0.5), (7, 0.2), (1, 0.1), (9, 0.0500), (3, 0.0496)]
    gpu = [(5, 0.5), (7, 0.2), (1, 0.1), (3, 0.0498), (9, 0.0497)]
    assert compare_top(cpu, gpu).agrees


@pytest.mark.parametrize(
    ("text", "size"), [("10M", 10 * MiB), ("512K", 512 << 10), ("1048576", MiB), ("2MiB", 2 * MiB)]
)
def test_upload_limit_sizes(text, size):
    assert parse_size(text) == size


def test_only_loopback_addresses_are_private():
    assert all(map(is_loopback, ["127.0.0.1", "127.0.0.2", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.0.2.7", "::", "example.org"]))
    assert "localhost:8000" in allowed_hosts("127.0.0.1", 8000)
    assert allowed_hosts("0.0.0.0", 8000) == frozenset()


# --- tools a person uses ------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_upload_and_an_oversized_one_that_waits_for_100_continue(server, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(encoded(picture(), "JPEG"))
    ok = subprocess.run(
        ["curl", "-sS", "--max-time", "60", "-F", f"image=@{photo}", server.url + "api/classify"],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert_answer(json.loads(ok.stdout))
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8" + os.urandom(30 * MiB))
    begin = time.monotonic()
    refused = subprocess.run(
        ["curl", "-sS", "--max-time", "60", "-F", f"image=@{big}", server.url + "api/classify"],
        capture_output=True,
        text=True,
        timeout=90,
    )
    # curl asks with "Expect: 100-continue"; the server answers 413 before the body is sent
    assert json.loads(refused.stdout)["status"] == 413
    assert time.monotonic() - begin < 5


CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Chromium and its driver are not installed (Debian: apt install chromium "
    "chromium-driver; ./install.sh --dev does it where apt exists)",
)
def test_a_browser_uploads_an_image_and_sees_the_labels(server, tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1100,860",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    photo = tmp_path / "sunset.jpg"
    picture(800, 600, seed=5).save(photo, quality=90)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    try:
        driver.get(server.url)
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#device option"))
        driver.find_element(By.ID, "file").send_keys(str(photo))
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#top tbody tr")) == 5)
        rows = driver.find_elements(By.CSS_SELECTOR, "#top tbody tr")
        labels = imagenet_labels()
        for row in rows:
            cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
            assert labels.en.index(cells[1]) == labels.zh.index(cells[2])
        assert "cpu" in driver.find_element(By.ID, "timing").text
        driver.find_element(By.ID, "compare").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#comparison tbody tr"))
        shot = tmp_path / "demo.png"
        driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("GPUSETUP_DEMO_SCREENSHOT"):  # how docs/demo.png is made
            shutil.copyfile(shot, os.environ["GPUSETUP_DEMO_SCREENSHOT"])
    finally:
        driver.quit()


# --- last: stopping -------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_ctrl_c_stops_the_server_its_workers_and_removes_the_uploads(gpu_server):
    workers = _children(gpu_server.proc.pid)
    assert workers, "the server has no worker process"
    (store,) = list(gpu_server.tmp.glob("gpusetup-demo-*"))
    gpu_server.proc.send_signal(signal.SIGINT)
    assert gpu_server.proc.wait(30) == 0
    assert "gpusetup demo: stopped" in gpu_server.output()
    assert not store.exists()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
