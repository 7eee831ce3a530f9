"""wheel inspect and wheel retag on real wheels from the package index pip is set up with
(56 projects: pure py3 and py2.py3, abi3, cpXY manylinux extensions, native programs;
built by setuptools, bdist_wheel, flit, hatchling, poetry-core, maturin, scikit-build-core
and meson-python). Each retag is compared with pypa's own ``wheel tags`` on the same input,
and every result is installed by real pip into a throw-away virtual environment, where
the retagged extension modules are imported.

The wheels are downloaded once (``pip download``, about 10 s) into pytest's cache
directory and reused by later runs.
"""

from __future__ import annotations

import email.parser
import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from wheelkit import make_venv

from gpusetup.tasks.wheel import inspect_wheel, retag_wheel

#: pinned by project; pip picks the release the index offers for this interpreter
PROJECTS = {
    # pure, py2.py3
    "six": "pure",
    "pytz": "pure",
    "toml": "pure",
    "shellingham": "pure",
    # pure, py3
    "attrs": "pure",
    "certifi": "pure",
    "click": "pure",
    "cloudpickle": "pure",
    "decorator": "pure",
    "distro": "pure",
    "h11": "pure",
    "idna": "pure",
    "iniconfig": "pure",
    "itsdangerous": "pure",
    "jinja2": "pure",
    "markdown-it-py": "pure",
    "mdurl": "pure",
    "packaging": "pure",
    "pluggy": "pure",
    "poetry-core": "pure",
    "pybind11": "pure",
    "pygments": "pure",
    "python-dateutil": "pure",
    "requests": "pure",
    "retrying": "pure",
    "rich": "pure",
    "sniffio": "pure",
    "tabulate": "pure",
    "tomlkit": "pure",
    "toolz": "pure",
    "typing-extensions": "pure",
    "urllib3": "pure",
    # the stable ABI
    "argon2-cffi-bindings": "abi3",
    "bcrypt": "abi3",
    "cryptography": "abi3",
    "psutil": "abi3",
    "pynacl": "abi3",
    # CPython-specific extension modules
    "cffi": "cpython",
    "charset-normalizer": "cpython",
    "contourpy": "cpython",
    "greenlet": "cpython",
    "isort": "cpython",
    "jiter": "cpython",
    "markupsafe": "cpython",
    "msgpack": "cpython",
    "orjson": "cpython",
    "pydantic-core": "cpython",
    "pyyaml": "cpython",
    "pyzmq": "cpython",
    "rpds-py": "cpython",
    "ujson": "cpython",
    "wrapt": "cpython",
    "zstandard": "cpython",
    # native programs, no extension modules
    "ruff": "native",
    "ninja": "native",
    "clang-format": "native",
}
#: extension modules imported from the installed retagged wheels (no dependencies needed)
IMPORTS = [
    "markupsafe._speedups",
    "yaml._yaml",
    "msgpack._cmsgpack",
    "orjson",
    "ujson",
    "zstandard",
    "_cffi_backend",
    "psutil",
    "bcrypt",
    "rpds",
    "jiter",
    "wrapt",
]
SOURCE_DATE_EPOCH = "1700000000"


def _project(wheel: Path) -> str:
    return wheel.name.split("-", 1)[0].lower().replace("_", "-")


@pytest.fixture(scope="module")
def real_wheels(request) -> dict[str, Path]:
    cache = Path(request.config.cache.mkdir("real-wheels"))
    have = {_project(w): w for w in cache.glob("*.whl")}
    missing = [p for p in PROJECTS if p not in have]
    if missing:
        started = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "--disable-pip-version-check",
                "-q",
                "-d",
                str(cache),
                *missing,
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        print(f"downloaded {len(missing)} wheels in {time.monotonic() - started:.1f} s")
        have = {_project(w): w for w in cache.glob("*.whl")}
    wheels = {p: have[p] for p in PROJECTS if p in have}
    assert len(wheels) >= 40, f"only {len(wheels)} of the pinned wheels could be downloaded"
    return wheels


def _generator(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/WHEEL"))
        meta = email.parser.BytesParser().parsebytes(zf.read(name))
    return str(meta.get("Generator", "?")).split()[0].split("(")[0]


def test_the_sample_spans_builders_and_kinds(real_wheels):
    generators = {_generator(w) for w in real_wheels.values()}
    assert {"flit", "hatchling", "poetry-core", "maturin", "scikit-build-core", "meson"} <= (
        generators
    ), generators
    assert generators & {"setuptools", "bdist_wheel"}
    names = [w.name for w in real_wheels.values()]
    assert sum("-py2.py3-" in n for n in names) >= 3
    assert sum("-abi3-" in n for n in names) >= 4
    assert sum("-none-any" not in n and "-abi3-" not in n for n in names) >= 15
    # the layout setuptools/bdist_wheel writes: WHEEL ends with a blank line
    assert sum(_wheel_file(w).endswith(b"\n\n") for w in real_wheels.values()) >= 20


def _wheel_file(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/WHEEL")))


def _retag_option(wheel: Path, kind: str) -> str:
    """A retag each kind of wheel may take safely, and still installable here."""
    python = wheel.name[:-4].split("-")[-3].split(".")
    if kind == "abi3":
        return "--python-tag=cp311" if python != ["cp311"] else "--python-tag=+cp312"
    if kind in ("cpython", "native"):
        return "--platform-tag=linux_x86_64"
    return "--python-tag=-py2" if "py2" in python else "--python-tag=+py2"


def _retag(cli, wheel: Path, option: str, out: Path, through_cli: bool) -> Path:
    """Retag through the command (the first wheel) or the library call under it (the rest:
    a process each would be a minute of the suite for the same code)."""
    if through_cli:
        run = cli(
            "wheel",
            "retag",
            str(wheel),
            option,
            "-o",
            str(out),
            SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH,
        )
        assert run.returncode == 0, (wheel.name, run.stderr)
        assert "warning" not in run.stderr
        return Path(run.stdout.split("\n", 1)[0].removeprefix("wrote "))
    name, _, value = option.removeprefix("--").partition("=")
    result = retag_wheel(wheel, **{name.replace("-", "_"): value}, out_dir=out)
    assert not result.warnings, (wheel.name, result.warnings)
    return Path(result.output)


def test_retag_agrees_with_wheel_tags_and_pip_installs_every_result(
    cli, real_wheels, tmp_path, tmp_path_factory, monkeypatch
):
    if sys.version_info[:2] != (3, 11) or sys.platform != "linux":
        pytest.skip("the pinned wheels and retags are for CPython 3.11 on Linux x86_64")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    started = time.monotonic()
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    outputs = []
    by_option: dict[str, list[Path]] = {}
    for i, (project, wheel) in enumerate(real_wheels.items()):
        option = _retag_option(wheel, PROJECTS[project])
        outputs.append(_retag(cli, wheel, option, ours, through_cli=i == 0))
        copy = theirs / wheel.name
        shutil.copy(wheel, copy)
        by_option.setdefault(option, []).append(copy)
    for option, copies in by_option.items():
        subprocess.run(
            [sys.executable, "-m", "wheel", "tags", option, *map(str, copies)],
            check=True,
            capture_output=True,
            timeout=300,
            env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PATH": "/usr/bin:/bin"},
        )
    for output in outputs:
        reference = theirs / output.name
        assert reference.exists(), f"wheel tags named it otherwise: {output.name}"
        assert output.stat().st_mode & 0o777 == 0o644
        with zipfile.ZipFile(output) as a, zipfile.ZipFile(reference) as b:
            assert a.namelist() == b.namelist(), output.name
            for x, y in zip(a.infolist(), b.infolist(), strict=True):
                assert a.read(x) == b.read(y), (output.name, x.filename)
                assert (x.date_time, x.external_attr, x.compress_type) == (
                    y.date_time,
                    y.external_attr,
                    y.compress_type,
                ), (output.name, x.filename)
        if output == outputs[0]:
            inspected = cli("wheel", "inspect", str(output), "--json")
            assert inspected.returncode == 0, (output.name, inspected.stdout, inspected.stderr)
        else:
            verdict = inspect_wheel(str(output)).verdict
            assert verdict.compatible, (output.name, verdict)
    retag_s = time.monotonic() - started

    python = make_venv(tmp_path_factory.mktemp("real-venv"))
    pip = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-deps",
            "--no-compile",
            "--disable-pip-version-check",
            "-q",
            *map(str, outputs),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert pip.returncode == 0, pip.stderr
    listed = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib, importlib.metadata as m, json, sys\n"
            "for name in sys.argv[1:]: importlib.import_module(name)\n"
            "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): d.version"
            " for d in m.distributions()}))",
            *IMPORTS,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    installed = json.loads(listed.stdout)
    for project, wheel in real_wheels.items():
        assert installed.get(project) == wheel.name.split("-")[1], project
    print(
        f"{len(outputs)} real wheels: retag, wheel tags, inspect in {retag_s:.1f} s; "
        f"venv and pip install in {time.monotonic() - started - retag_s:.1f} s"
    )
