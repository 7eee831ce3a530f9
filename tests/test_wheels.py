"""Wheels: real wheels built here (pure, abi3, a cp34 one with a compiled extension), a
PyPI-shaped JSON index served over HTTP on 127.0.0.1, and real pip installs into a
throw-away virtual environment."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import TESTS
from wheelkit import (
    PY,
    Route,
    compiled_extension,
    make_venv,
    make_wheel,
    printed_by,
    serve_index,
    sha,
    stand_in_tensorflow,
    tensorflow_project,
)
from wheelkit import record_hash as _hash


@pytest.fixture(scope="session")
def venv(tmp_path_factory) -> Path:
    return make_venv(tmp_path_factory.mktemp("venv"))


@pytest.fixture
def index():
    yield from serve_index()


@pytest.fixture
def cp34_wheel(tmp_path: Path) -> Path:
    ext = compiled_extension(tmp_path, "_speedups")
    return make_wheel(
        tmp_path / "dist",
        "oldlib",
        "0.8.0",
        "cp34-cp34m-linux_x86_64",
        {
            "oldlib/__init__.py": b"from . import _speedups\n",
            "oldlib/_speedups.cpython-34m-x86_64-linux-gnu.so": ext,
        },
        purelib=False,
    )


@pytest.fixture
def pure_py2_wheel(tmp_path: Path) -> Path:
    return make_wheel(
        tmp_path / "dist", "demo", "1.0", "py2-none-any", {"demo/__init__.py": b"VALUE = 42\n"}
    )


# --- inspect ----------------------------------------------------------------------------


def test_cp34_wheel_is_rejected_here_with_the_reason(cli, cp34_wheel):
    run = cli("wheel", "inspect", str(cp34_wheel), "--json")
    assert run.returncode == 1
    data = run.json()
    verdict = data["verdict"]
    assert verdict["compatible"] is False and verdict["mismatch"] == "python"
    assert "cp34" in verdict["reason"] and f"{sys.version_info.major}." in verdict["reason"]
    assert verdict["needed_tag"].startswith(f"{PY}-{PY}-")
    assert data["wheel"]["extensions"] == [
        {"path": "oldlib/_speedups.cpython-34m-x86_64-linux-gnu.so", "abi": "cp34m"}
    ]
    console = cli("wheel", "inspect", str(cp34_wheel))
    assert "NOT installable" in console.stdout and "python mismatch" in console.stdout


def test_inspect_judges_for_another_interpreter(cli, pure_py2_wheel, venv):
    run = cli("wheel", "inspect", str(pure_py2_wheel), "--python", str(venv), "--json")
    assert run.returncode == 1
    assert run.json()["interpreter"]["executable"].startswith(str(venv.parent.parent))


def test_glibc_too_old_is_named(cli, tmp_path):
    wheel = make_wheel(
        tmp_path,
        "future",
        "1.0",
        f"{PY}-{PY}-manylinux_2_99_x86_64",
        {"future/__init__.py": b""},
        purelib=False,
    )
    verdict = cli("wheel", "inspect", str(wheel), "--json").json()["verdict"]
    assert verdict["mismatch"] == "glibc"
    assert "needs glibc 2.99" in verdict["reason"]


# --- retag ------------------------------------------------------------------------------


def test_cp34_retag_is_refused_without_force_and_the_input_is_untouched(cli, cp34_wheel, tmp_path):
    before = sha(cp34_wheel)
    out = tmp_path / "out"
    run = cli(
        "wheel", "retag", str(cp34_wheel), "--python-tag", PY, "--abi-tag", PY, "-o", str(out)
    )
    assert run.returncode == 1
    assert "cpython-34" in run.stderr and "will not import" in run.stderr
    assert not out.exists() or not list(out.iterdir())
    forced = cli(
        "wheel",
        "retag",
        str(cp34_wheel),
        "--python-tag",
        PY,
        "--abi-tag",
        PY,
        "-o",
        str(out),
        "--force",
    )
    assert forced.returncode == 0 and "warning: forced" in forced.stderr
    assert sha(cp34_wheel) == before
    (written,) = out.glob("*.whl")
    assert written.name == f"oldlib-0.8.0-{PY}-{PY}-linux_x86_64.whl"


def test_pure_wheel_retagged_installs_with_pip_and_imports(cli, pure_py2_wheel, tmp_path, venv):
    assert cli("wheel", "inspect", str(pure_py2_wheel)).returncode == 1
    out = tmp_path / "retagged"
    run = cli("wheel", "retag", str(pure_py2_wheel), "--python-tag", "py3", "-o", str(out))
    assert run.returncode == 0, run.stderr
    retagged = out / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(retagged) as zf:
        assert "Tag: py3-none-any" in zf.read("demo-1.0.dist-info/WHEEL").decode()
        rows = {
            r[0]: r[1]
            for r in csv.reader(io.StringIO(zf.read("demo-1.0.dist-info/RECORD").decode()))
            if r
        }
        for member in zf.namelist():
            if not member.endswith("RECORD"):
                assert rows[member] == _hash(zf.read(member)), member
    assert cli("wheel", "inspect", str(retagged)).returncode == 0
    installed = cli("install", "--wheel", str(retagged), "--python", str(venv), timeout=300)
    assert installed.returncode == 0, installed.stderr
    assert printed_by(venv, "import demo; print(demo.VALUE)", tmp_path) == "42"


def test_abi3_retag_forward_only(cli, tmp_path):
    ext = compiled_extension(tmp_path, "_fast")
    wheel = make_wheel(
        tmp_path / "dist",
        "stable",
        "2.0",
        "cp38-abi3-linux_x86_64",
        {"stable/_fast.abi3.so": ext},
        purelib=False,
    )
    assert cli("wheel", "inspect", str(wheel)).returncode == 0  # abi3 runs on newer CPython
    older = cli("wheel", "retag", str(wheel), "--python-tag", "cp37", "-o", str(tmp_path / "o"))
    assert older.returncode == 1 and "not older" in older.stderr
    newer = cli("wheel", "retag", str(wheel), "--python-tag", "cp39", "-o", str(tmp_path / "o"))
    assert newer.returncode == 0, newer.stderr


def test_install_wheel_refuses_an_incompatible_one(cli, cp34_wheel, venv):
    run = cli("install", "--wheel", str(cp34_wheel), "--python", str(venv))
    assert run.returncode == 1 and "refusing" in run.stderr and "python mismatch" in run.stderr


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("not-zip", "is not a zip archive"),
        ("truncated", "truncated or corrupt"),
        ("escape", "outside the install directory"),
        ("no-wheel-file", "WHEEL is missing"),
        ("renamed", "renamed without retagging"),
        ("bad-name", "is not a valid wheel filename"),
    ],
)
def test_bad_wheels_get_a_clear_error(cli, tmp_path, kind, message):
    good = make_wheel(
        tmp_path / "g", "demo", "1.0", "py3-none-any", {"demo/__init__.py": b"X = 1\n" * 2000}
    )
    if kind == "not-zip":
        path = tmp_path / "demo-1.0-py3-none-any.whl"
        path.write_text("hello")
    elif kind == "truncated":
        path = tmp_path / "demo-1.0-py3-none-any.whl"
        data = good.read_bytes()
        # cut into the compressed data of the first member, keep the central directory
        path.write_bytes(data[:60] + data[400:])
    elif kind == "escape":
        path = make_wheel(
            tmp_path, "demo", "1.0", "py3-none-any", {"../../evil.py": b"print('owned')\n"}
        )
    elif kind == "no-wheel-file":
        path = make_wheel(
            tmp_path,
            "demo",
            "1.0",
            "py3-none-any",
            {"demo/__init__.py": b""},
            skip=("{dist_info}/WHEEL",),
        )
    elif kind == "renamed":
        path = make_wheel(
            tmp_path,
            "demo",
            "1.0",
            "py3-none-any",
            {"demo/__init__.py": b""},
            wheel_tags=["py2-none-any"],
        )
    else:
        path = tmp_path / "demo.whl"
        shutil.copy(good, path)
    run = cli("wheel", "inspect", str(path))
    assert run.returncode == 2
    assert message in run.stderr


# --- the index, over HTTP ----------------------------------------------------------------


def real_tensorflow_json() -> dict:
    return json.loads((TESTS / "data/pypi/tensorflow.json").read_text())


def test_install_tensorflow_dry_run_picks_the_file_for_this_python(cli, index):
    if not (3, 10) <= sys.version_info[:2] <= (3, 13):
        pytest.skip("TensorFlow 2.21 ships wheels for CPython 3.10-3.13")
    index.json("tensorflow", real_tensorflow_json())
    run = cli("install", "tensorflow", "--dry-run", "--index-url", index.url, "--json")
    assert run.returncode == 0, run.stderr
    data = run.json()
    choice = data["choice"]
    assert choice["file"]["filename"] == f"tensorflow-2.21.0-{PY}-{PY}-manylinux_2_27_x86_64.whl"
    assert choice["file"]["version"] == "2.21.0"  # 2.22.0rc0 is a pre-release
    assert choice["extra"] is None  # no GPU here
    assert any("will run on the CPU" in r for r in choice["reasons"])
    assert any(f"accepted by Python {sys.version_info.major}." in r for r in choice["reasons"])
    console = cli("install", "tensorflow", "--dry-run", "--index-url", index.url)
    assert "Plan: TensorFlow 2.21.0" in console.stdout and "because" in console.stdout


def test_install_tensorflow_on_an_old_driver_explains_every_newer_release(cli, index):
    if not (3, 10) <= sys.version_info[:2] <= (3, 11):
        pytest.skip("the fallback release (2.14) ships wheels up to CPython 3.11")
    index.json("tensorflow", real_tensorflow_json())
    data = cli(
        "install",
        "tensorflow",
        "--dry-run",
        "--index-url",
        index.url,
        "--json",
        machine_file="mixed8",
    ).json()
    choice = data["choice"]
    assert choice["file"]["version"] == "2.14.1" and choice["extra"] == "and-cuda"
    reasons = {r["version"]: r["reason"] for r in choice["rejected"]}
    assert "driver 470.256.02 is below CUDA 12.x's minimum 525.60.13" in reasons["2.21.0"]


def test_install_spec_and_no_fitting_release(cli, index):
    index.json("tensorflow", real_tensorflow_json())
    data = cli(
        "install", "tensorflow", "2.19", "--dry-run", "--index-url", index.url, "--json"
    ).json()
    if data["choice"]["file"]:
        assert data["choice"]["file"]["version"] == "2.19.1"
    run = cli("install", "tensorflow", "==1.15.*", "--dry-run", "--index-url", index.url)
    assert run.returncode == 1 and "No TensorFlow release fits" in run.stdout


def test_download_checks_sha256_and_installs_nothing_on_a_mismatch(cli, index, tmp_path, venv):
    wheel = stand_in_tensorflow(tmp_path / "w")
    tensorflow_project(index, wheel, sha256="0" * 64)
    cache = tmp_path / "cache"

    def install():
        return cli(
            "install",
            "tensorflow",
            "--index-url",
            index.url,
            "--cache-dir",
            str(cache),
            "--python",
            str(venv),
            timeout=300,
        )

    run = install()
    assert run.returncode == 1 and "does not match" in run.stderr
    assert not list(cache.glob("*.whl")) and not list(cache.glob(".*"))
    check = subprocess.run([str(venv), "-c", "import tensorflow"], capture_output=True)
    assert check.returncode != 0  # nothing was installed

    tensorflow_project(index, wheel)
    run = install()
    assert run.returncode == 0, run.stderr
    assert printed_by(venv, "import tensorflow; print(tensorflow.__version__)", tmp_path) == (
        "stand-in"
    )
    subprocess.run([str(venv), "-m", "pip", "uninstall", "-y", "-q", "tensorflow"], check=True)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"yanked": True}, "yanked: broken build"),
        ({"requires_python": ">=3.99"}, "Requires-Python >=3.99 excludes Python"),
    ],
)
def test_yanked_and_requires_python_are_dropped_with_the_reason(
    cli, index, tmp_path, kwargs, reason
):
    wheel = make_wheel(
        tmp_path / "w", "tensorflow", "2.21.0", "py3-none-any", {"tensorflow/__init__.py": b""}
    )
    tensorflow_project(index, wheel, **kwargs)
    run = cli("install", "tensorflow", "--dry-run", "--index-url", index.url)
    assert run.returncode == 1
    assert f"not 2.21.0: {reason}" in run.stdout


def test_http_errors_retries_and_no_network(cli, index):
    run = cli("install", "tensorflow", "--dry-run", "--index-url", index.url)
    assert run.returncode == 1 and "no project named 'tensorflow'" in run.stderr
    index.routes["/pypi/tensorflow/json"] = Route(503, b"busy", "text/plain")
    index.hits.clear()
    run = cli("install", "tensorflow", "--dry-run", "--index-url", index.url, timeout=120)
    assert run.returncode == 1 and "kept failing" in run.stderr
    assert index.hits["/pypi/tensorflow/json"] == 4  # the first try and 3 retries
    run = cli("install", "tensorflow", "--dry-run", "--index-url", "http://127.0.0.1:9")
    assert run.returncode == 1 and "cannot reach" in run.stderr
    assert "gpusetup wheel inspect" in run.stderr  # what still works offline
    run = cli("install", "tensorflow", "--dry-run", "--index-url", "http://example.org")
    assert run.returncode == 1 and "use https" in run.stderr
