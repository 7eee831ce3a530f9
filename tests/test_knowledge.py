"""The data in checks/: tables load, profiles validate, and both ship inside the wheel."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT, base_env

from gpusetup.knowledge import (
    KnowledgeError,
    cuda_table,
    default_tensorflow_build,
    driver_at_least,
    find_tensorflow_build,
    load_profile,
    tensorflow_builds,
)


def test_tensorflow_table_rows_are_complete_and_cuda_versions_known():
    builds = tensorflow_builds()
    assert builds[0].version == "2.21"
    table = cuda_table()
    for build in builds:
        assert build.cuda in table.toolkit_min_driver, build
        assert build.cuda.split(".")[0] in table.major_floor_driver


@pytest.mark.parametrize(
    ("python", "tf"), [("3.11.7", "2.21"), ("3.9.1", "2.20"), ("3.14.0", None)]
)
def test_default_target_is_the_newest_release_for_this_python(python, tf):
    build = default_tensorflow_build(python)
    assert (build.version if build else None) == tf


def test_find_build_accepts_common_spellings():
    for spelling in ("2.17", "2.17.1", "==2.17.*"):
        assert find_tensorflow_build(spelling).cudnn == "8.9"


@pytest.mark.parametrize(
    ("a", "b", "at_least"),
    [
        ("580.95.05", "580.65.06", True),
        ("525.60.13", "525.60.13", True),
        ("525.60.9", "525.60.13", False),
        ("1000.1", "999.99.99", True),
    ],
)
def test_driver_versions_compare_numerically(a, b, at_least):
    assert driver_at_least(a, b) is at_least


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[gpus]\nx = 1\n", "unknown section [gpus]"),
        ('[checks]\npersistence_mode = "loud"\n', 'one of "warn", "fail", "off"'),
        ("[checks]\npersistence_mode = true\n", 'one of "warn", "fail", "off"'),
        ('[target]\ntensorflow = "1.0"\n', "not in gpusetup's table"),
        ('[gpu]\nmin_compute_capability = "high"\n', "compute capability such as"),
        ("not toml = = =\n", "is not valid TOML"),
    ],
)
def test_bad_profiles_are_rejected_with_file_and_key(tmp_path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(KnowledgeError, match=re.escape(message)) as err:
        load_profile(str(path))
    assert str(path) in str(err.value)


def test_shipped_default_profile_loads():
    profile = load_profile("default")
    assert profile.persistence_mode == "warn" and profile.max_retired_pages == 63


def test_wheel_ships_the_data_and_finds_it_when_installed(tmp_path):
    wheels = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        timeout=300,
        env=base_env(),
    )
    (wheel,) = wheels.glob("gpusetup-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gpusetup/_checks/data/tensorflow.toml" in names
    assert "gpusetup/_checks/profiles/default.toml" in names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
        env=base_env(),
    )
    code = (
        "import gpusetup.knowledge as k; print(k.checks_dir()); "
        "print(k.load_profile('default').name, k.tensorflow_builds()[0].version)"
    )
    env = base_env(PYTHONPATH=str(target))
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
        timeout=60,
    ).stdout.split()
    assert out[0] == str(target / "gpusetup" / "_checks")
    assert out[1:] == ["default", "2.21"]
