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
    architecture_table,
    cuda_table,
    default_tensorflow_build,
    driver_at_least,
    find_tensorflow_build,
    knowledge_problems,
    load_profile,
    newest_tensorflow_for_cc,
    tensorflow_builds,
)


def test_every_python_range_of_the_table_is_a_pep440_specifier():
    # checked here, not at each load (the doctor reads the table without packaging)
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    builds = tensorflow_builds()
    for build in builds:
        assert SpecifierSet(build.python), build
    versions = [Version(b.version) for b in builds]
    assert versions == sorted(versions, reverse=True)


@pytest.mark.parametrize(
    ("asked", "row"),
    [
        ("2.21", "2.21"),
        ("2.21.0", "2.21"),
        ("==2.21.*", "2.21"),
        ("2.16.0rc0", "2.16"),  # PEP 440 versions that are not plain numbers
        ("2.20.0.post1", "2.20"),
        ("v2.19.1", "2.19"),
        ("2.18.0+nv24.12", "2.18"),
    ],
)
def test_a_tensorflow_version_finds_its_release_row(asked, row):
    assert find_tensorflow_build(asked).version == row


@pytest.mark.parametrize("asked", ["two", "2.x", "", "2.21-beta-x"])
def test_a_version_that_is_none_is_a_knowledge_error(asked):
    with pytest.raises(KnowledgeError):
        find_tensorflow_build(asked)


def test_tensorflow_table_rows_are_complete_and_cuda_versions_known():
    builds = tensorflow_builds()
    assert builds[0].version == "2.21"
    table = cuda_table()
    for build in builds:
        assert table.min_driver_for(build.cuda) is not None, build
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


# --- the facts themselves, as read from primary sources ----------------------------------


@pytest.mark.parametrize(
    ("version", "minimum"),
    [
        # the lowest sm_XX in each release wheel's build_info.cuda_compute_capabilities
        ("2.10", "3.5"),
        ("2.13", "3.5"),
        ("2.14", "3.5"),
        ("2.15", "5.0"),
        ("2.16", "5.0"),
        ("2.17", "6.0"),
        ("2.21", "6.0"),
    ],
)
def test_minimum_compute_capability_is_the_wheels_oldest_architecture(version, minimum):
    build = find_tensorflow_build(version)
    assert build.min_compute_capability == minimum
    assert "min_compute_capability" not in build.unverified


@pytest.mark.parametrize(
    ("cc", "newest"),
    [((3, 7), "2.14"), ((3, 5), "2.14"), ((5, 2), "2.16"), ((6, 1), "2.21"), ((3, 0), None)],
)
def test_newest_tensorflow_for_a_gpu(cc, newest):
    build = newest_tensorflow_for_cc(cc)
    assert (build.version if build else None) == newest


def test_tables_agree_with_each_other():
    """Every TensorFlow row's CUDA has a driver minimum, a floor, sonames and an oldest
    architecture at or below the row's minimum; the architecture table agrees with each
    CUDA major's oldest compute capability."""
    assert knowledge_problems() == []


def test_a_contradiction_between_the_tables_is_caught(tmp_path, monkeypatch):
    """The table as it was before the wheels were read (2.17 at 3.5) contradicts CUDA 12's
    oldest architecture (5.0); the consistency check says so."""
    import shutil

    import gpusetup.knowledge as knowledge

    shutil.copytree(knowledge.checks_dir(), tmp_path / "checks")
    path = tmp_path / "checks" / "data" / "tensorflow.toml"
    text = path.read_text()
    start = text.index('version = "2.17"')
    text = text[:start] + text[start:].replace(
        'min_compute_capability = "6.0"', 'min_compute_capability = "3.5"', 1
    )
    path.write_text(text)
    monkeypatch.setattr(knowledge, "checks_dir", lambda: tmp_path / "checks")
    for table in (knowledge.tensorflow_builds, knowledge.cuda_table):
        table.cache_clear()
    try:
        problems = knowledge_problems()
    finally:
        for table in (knowledge.tensorflow_builds, knowledge.cuda_table):
            table.cache_clear()
    assert problems == [
        "tensorflow.toml 2.17: minimum compute capability 3.5 is below 5.0, the oldest "
        "CUDA 12 compiles for"
    ]


@pytest.mark.parametrize(
    ("cuda", "row", "driver"),
    [
        ("12.5.1", "12.5.1", "555.42.06"),  # an update release has its own minimum
        ("12.5", "12.5", "555.42.02"),
        ("12.5.0", "12.5", "555.42.02"),
        ("12.3.2", "12.3.1", "545.23.08"),  # not listed: the nearest listed one below it
        ("11.8", "11.8", "520.61.05"),
        ("13.0.2", "13.0.2", "580.95.05"),
    ],
)
def test_driver_minimum_of_a_cuda_release(cuda, row, driver):
    assert cuda_table().min_driver_for(cuda) == (row, driver)


def test_tensorflow_2_18_and_later_are_judged_by_cuda_12_5_1():
    for version in ("2.18", "2.19", "2.20", "2.21"):
        build = find_tensorflow_build(version)
        assert build.cuda == "12.5.1"
        assert cuda_table().min_driver_for(build.cuda) == ("12.5.1", "555.42.06")


@pytest.mark.parametrize(
    ("soname", "major", "package"),
    [
        # the CUDA major comes from the soname table, not the library's own number
        ("libcufft.so.11", None, "nvidia-cufft-cu12"),
        ("libcusolver.so.11", None, "nvidia-cusolver-cu12"),
        ("libcusolver.so.11", "11", "nvidia-cusolver-cu11"),
        ("libcufft.so.10", None, "nvidia-cufft-cu11"),
        ("libnvJitLink.so.12", None, "nvidia-nvjitlink-cu12"),
        ("libnvJitLink.so.13", None, "nvidia-nvjitlink"),
        ("libcurand.so.10", "12", "nvidia-curand-cu12"),
        ("libcublasLt.so.13", None, "nvidia-cublas"),
        ("libnccl.so.2", None, None),
    ],
)
def test_pip_package_of_a_library_follows_its_cuda_major(soname, major, package):
    from gpusetup.libs.requirements import extra_requirement

    assert extra_requirement(soname, major).pip_package == package


def test_tensorflow_2_14_and_cuda_maps_to_the_cu11_packages():
    from gpusetup.libs.requirements import choose_requirements

    _, reqs = choose_requirements("2.14", "3.11.7", None)
    packages = {r.soname: r.pip_package for r in reqs}
    assert packages["libcudart.so.11.0"] == "nvidia-cuda-runtime-cu11"
    assert packages["libcudnn.so.8"] == "nvidia-cudnn-cu11"
    assert packages["libcufft.so.10"] == "nvidia-cufft-cu11"
    assert "libcurand.so.10" not in packages


@pytest.mark.parametrize("version", ["2.10", "2.11", "2.12", "2.13"])
def test_tensorflow_2_10_to_2_13_also_need_curand(version):
    from gpusetup.libs.requirements import choose_requirements

    _, reqs = choose_requirements(version, "3.10.12", None)
    curand = [r for r in reqs if r.component == "curand"]
    assert [(r.soname, r.pip_package) for r in curand] == [
        ("libcurand.so.10", "nvidia-curand-cu11")
    ]


def test_pypi_linux_aarch64_wheels_are_cpu_only_for_every_release():
    for build in tensorflow_builds():
        assert build.gpu_wheels_on("x86_64") and not build.gpu_wheels_on("aarch64")


@pytest.mark.parametrize(
    ("cc", "pci", "name", "last"),
    [
        ((3, 7), "0x102D10DE", "Kepler", 470),  # Tesla K80 (pci.ids: GK210GL)
        ((5, 2), "0x13F210DE", "Maxwell", 580),  # Tesla M60 (GM204GL)
        ((6, 0), "0x15f8", "Pascal", 580),  # Tesla P100 PCIe 16GB (GP100GL)
        ((7, 0), "0x1db4", "Volta", 580),  # Tesla V100 PCIe 16GB (GV100GL)
        ((7, 5), None, "Turing", None),
        ((9, 0), None, "Hopper", None),
    ],
)
def test_architecture_from_compute_capability_and_pci_id(cc, pci, name, last):
    table = architecture_table()
    arch = table.for_compute_capability(cc)
    assert (arch.name, arch.last_driver_branch) == (name, last)
    if pci:
        assert table.for_pci_device(pci).name == name


def test_unknown_compute_capability_and_unnamed_pci_ids_have_no_architecture():
    table = architecture_table()
    assert table.for_compute_capability((7, 2)) is None  # Xavier: not in the matrix
    assert table.for_pci_device("0x229a") is None  # pci.ids: Orin PCIe x8 Root Complex
    assert table.for_pci_device("0x3021") is None  # pci.ids: GR100 (Rubin), not in the matrix


@pytest.mark.parametrize(
    ("pci", "name"),
    [
        ("0x1eb8", "Turing"),  # pci.ids: TU104GL [Tesla T4]
        ("0x1E0410DE", "Turing"),  # TU102 [GeForce RTX 2080 Ti], as NVML gives it
        ("0x20b0", "Ampere"),  # GA100 [A100 SXM4 40GB]
        ("0x2204", "Ampere"),  # GA102 [GeForce RTX 3090]
        ("0x2684", "Ada"),  # AD102 [GeForce RTX 4090]
        ("0x2330", "Hopper"),  # GH100 [H100 SXM5 80GB]
        ("0x2901", "Blackwell"),  # GB100 [B200]
        ("0x2b85", "Blackwell"),  # GB202 [GeForce RTX 5090]
        ("0x2bb1", "Blackwell"),  # GB202GL [RTX PRO 6000 Blackwell Workstation Edition]
        ("0x2c58", "Blackwell"),  # GB203M [GeForce RTX 5090 Max-Q / Mobile]
        ("0x2d04", "Blackwell"),  # GB206 [GeForce RTX 5060 Ti]
        ("0x3182", "Blackwell"),  # GB110 [B300 SXM6 AC]
    ],
)
def test_newer_architectures_from_their_pci_ids(pci, name):
    assert architecture_table().for_pci_device(pci).name == name


@pytest.mark.parametrize(
    ("name", "first_cuda", "driver"),
    [
        ("Blackwell", "12.8", "570.26"),
        ("Hopper", "11.8", "520.61.05"),
        ("Ada", "11.8", "520.61.05"),
        ("Ampere", "11.0", "450.51.05"),
        ("Turing", "10.0", "410.48"),
    ],
)
def test_first_driver_of_each_architecture_is_its_first_cudas_minimum(name, first_cuda, driver):
    from gpusetup.knowledge import first_driver

    arch = next(a for a in architecture_table().architectures if a.name == name)
    assert first_driver(arch) == (first_cuda, driver)
    assert arch.open_kernel_modules is (name == "Blackwell")


def test_architectures_without_a_first_release_have_no_first_driver():
    from gpusetup.knowledge import first_driver

    kepler = architecture_table().for_pci_device("0x102d")
    assert kepler.first_cuda is None and first_driver(kepler) is None


def test_pci_ranges_are_ordered_and_never_overlap():
    spans = sorted(
        (lo, hi, name)
        for name, ranges in architecture_table().pci_ranges.items()
        for lo, hi in ranges
    )
    assert all(lo <= hi for lo, hi, _ in spans)
    for (_, hi, first), (lo, _, second) in zip(spans, spans[1:], strict=False):
        assert hi < lo, (first, second)


def test_an_architectures_pci_ids_stand_for_its_earliest_row():
    """for_pci_device answers an architecture's first row: it must carry the earliest first
    CUDA release and the same last branch as the others, or PCI ids would claim too much."""
    from gpusetup.knowledge import _release

    archs = architecture_table().architectures
    for name in architecture_table().pci_ranges:
        rows = [a for a in archs if a.name == name]
        assert len({a.last_driver_branch for a in rows}) == 1, name
        firsts = [_release(a.first_cuda) for a in rows if a.first_cuda]
        if firsts:
            assert rows[0].first_cuda and _release(rows[0].first_cuda) == min(firsts), name


def test_a_first_cuda_without_a_driver_row_is_caught(tmp_path, monkeypatch):
    import shutil

    import gpusetup.knowledge as knowledge

    shutil.copytree(knowledge.checks_dir(), tmp_path / "checks")
    path = tmp_path / "checks" / "data" / "architectures.toml"
    path.write_text(path.read_text().replace('first_cuda = "10.0"', 'first_cuda = "6.9"', 1))
    monkeypatch.setattr(knowledge, "checks_dir", lambda: tmp_path / "checks")
    knowledge.architecture_table.cache_clear()
    try:
        problems = knowledge_problems()
    finally:
        knowledge.architecture_table.cache_clear()
    assert problems == [
        "architectures.toml Turing: first CUDA 6.9 has no row in cuda.toml [toolkit_min_driver]"
    ]


def test_every_row_cites_its_source():
    from gpusetup.knowledge import checks_dir, read_toml

    data = checks_dir() / "data"
    for name, rows in (("tensorflow.toml", "build"), ("architectures.toml", "architecture")):
        table = read_toml(data / name)
        assert table["meta"]["source"]
        for row in table[rows]:
            assert row.get("source"), (name, row)
    cuda = read_toml(data / "cuda.toml")["meta"]
    assert {"source", "compat_source", "architecture_source", "libraries_source"} <= set(cuda)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "tests" / "machines").glob("*.json")), ids=lambda p: p.stem
)
def test_every_simulated_machine_is_one_a_driver_could_be(path):
    """NVML lists a GPU only where the driver supports its architecture: a machine listing
    an H100 on R470 (Hopper's first branch is R520) or a K80 on R535 could not exist."""
    import json

    from gpusetup.knowledge import driver_branch, first_driver

    machine = json.loads(path.read_text())
    driver = machine.get("driver_version")
    table = architecture_table()
    for gpu in machine.get("gpus", []) if driver else []:
        arch = table.for_compute_capability(tuple(gpu.get("compute_capability") or ()))
        if arch is None:
            continue
        first = first_driver(arch)
        assert first is None or driver_at_least(driver, first[1]), (gpu["name"], driver, first)
        last = arch.last_driver_branch
        assert last is None or driver_branch(driver) <= last, (gpu["name"], driver, last)


# ---------------------------------------------------------------- the parsed-TOML cache


def _toml_folder(tmp_path, monkeypatch):
    """A folder of two real catalogue files, and a user cache under ``tmp_path``."""
    from gpusetup.knowledge import checks_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "messages"
    folder.mkdir()
    for name in ("facts.toml", "nvml.toml"):
        (folder / name).write_bytes((checks_dir() / "data" / "messages" / name).read_bytes())
    return folder


def test_parsed_toml_comes_from_the_cache_while_the_files_are_unchanged(tmp_path, monkeypatch):
    import gpusetup.knowledge as knowledge

    folder = _toml_folder(tmp_path, monkeypatch)
    first = knowledge.read_toml_folder(folder, "t.marshal")
    cache = tmp_path / "cache" / "gpusetup" / knowledge.cache_file_name("t.marshal", folder)
    assert cache.is_file() and cache.stat().st_mode & 0o077 == 0
    assert (cache.parent.stat().st_mode & 0o777) == 0o700
    assert sorted(first) == ["facts.toml", "nvml.toml"]
    assert first["nvml.toml"]["message"]

    def no_parse(*_args, **_kwargs):
        raise AssertionError("parsed again although the cache is current")

    monkeypatch.setattr(knowledge.toml_parser(), "load", no_parse)
    assert knowledge.read_toml_folder(folder, "t.marshal") == first


def test_two_data_folders_keep_their_own_caches(tmp_path, monkeypatch):
    # a checkout and an installed copy (or two checkouts) read one after the other: each
    # keeps its cache, so neither parses its TOML again on the next run
    import shutil

    import gpusetup.knowledge as knowledge

    first = _toml_folder(tmp_path, monkeypatch)
    second = tmp_path / "other" / "messages"
    second.parent.mkdir()
    shutil.copytree(first, second)
    want = knowledge.read_toml_folder(first, "t.marshal")
    assert knowledge.read_toml_folder(second, "t.marshal") == want
    names = sorted(p.name for p in (tmp_path / "cache" / "gpusetup").glob("t-*.marshal"))
    assert len(names) == 2 and names[0] != names[1]

    def no_parse(*_args, **_kwargs):
        raise AssertionError("parsed again although its cache is current")

    monkeypatch.setattr(knowledge.toml_parser(), "load", no_parse)
    assert knowledge.read_toml_folder(first, "t.marshal") == want
    assert knowledge.read_toml_folder(second, "t.marshal") == want


def test_caches_of_folders_read_long_ago_do_not_pile_up(tmp_path, monkeypatch):
    # one virtual environment after another: the newest few caches stay, the older ones and
    # the undigested cache of earlier releases go; other files in the folder are left
    import os
    import shutil

    import gpusetup.knowledge as knowledge

    first = _toml_folder(tmp_path, monkeypatch)
    cache_dir = tmp_path / "cache" / "gpusetup"
    cache_dir.mkdir(parents=True)
    (cache_dir / "t.marshal").write_bytes(b"an earlier release's cache")
    (cache_dir / "data.marshal").write_bytes(b"another cache")
    folders = [first]
    for n in range(knowledge._KEPT_CACHES + 2):
        folders.append(tmp_path / f"venv{n}" / "messages")
        folders[-1].parent.mkdir()
        shutil.copytree(first, folders[-1])
    for n, folder in enumerate(folders):
        knowledge.read_toml_folder(folder, "t.marshal")
        written = cache_dir / knowledge.cache_file_name("t.marshal", folder)
        os.utime(written, ns=(n * 10**9, n * 10**9))  # in order, whatever the clock's grain
    left = sorted(p.name for p in cache_dir.iterdir())
    newest = folders[-knowledge._KEPT_CACHES :]
    assert left == sorted(
        ["data.marshal", *(knowledge.cache_file_name("t.marshal", f) for f in newest)]
    )


def test_a_changed_file_is_parsed_again(tmp_path, monkeypatch):
    from gpusetup.knowledge import read_toml_folder

    folder = _toml_folder(tmp_path, monkeypatch)
    read_toml_folder(folder, "t.marshal")
    (folder / "extra.toml").write_text('[[message]]\nid = "x"\n')
    assert read_toml_folder(folder, "t.marshal")["extra.toml"] == {"message": [{"id": "x"}]}
    (folder / "extra.toml").write_text('[[message]]\nid = "yy"\n')  # another size
    assert read_toml_folder(folder, "t.marshal")["extra.toml"] == {"message": [{"id": "yy"}]}
    (folder / "extra.toml").unlink()
    assert "extra.toml" not in read_toml_folder(folder, "t.marshal")


@pytest.mark.parametrize("damage", ["garbage", "empty", "other-writable", "symlink", "wrong-key"])
def test_a_cache_that_cannot_be_trusted_is_ignored(tmp_path, monkeypatch, damage):
    import marshal

    from gpusetup.knowledge import cache_file_name, read_toml, read_toml_folder

    folder = _toml_folder(tmp_path, monkeypatch)
    want = {p.name: read_toml(p) for p in sorted(folder.glob("*.toml"))}
    read_toml_folder(folder, "t.marshal")
    cache = tmp_path / "cache" / "gpusetup" / cache_file_name("t.marshal", folder)
    key = marshal.loads(cache.read_bytes())[0]
    forged = marshal.dumps([key, {"facts.toml": {"forged": True}}])
    if damage == "garbage":
        cache.write_bytes(b"\xff not marshal at all")
    elif damage == "empty":
        cache.write_bytes(b"")
    elif damage == "other-writable":
        cache.write_bytes(forged)
        cache.chmod(0o666)
    elif damage == "symlink":
        (tmp_path / "forged").write_bytes(forged)
        cache.unlink()
        cache.symlink_to(tmp_path / "forged")
    else:
        cache.write_bytes(marshal.dumps([[*key, "another"], {"facts.toml": {"forged": True}}]))
    assert read_toml_folder(folder, "t.marshal") == want


def test_an_unwritable_cache_costs_nothing_but_the_parse(tmp_path, monkeypatch):
    from gpusetup.knowledge import read_toml, read_toml_folder

    folder = _toml_folder(tmp_path, monkeypatch)
    (tmp_path / "cache").write_text("a file where the cache folder would go")
    want = {p.name: read_toml(p) for p in sorted(folder.glob("*.toml"))}
    assert read_toml_folder(folder, "t.marshal") == want
    assert read_toml_folder(folder, "t.marshal") == want
    assert (tmp_path / "cache").read_text() == "a file where the cache folder would go"


def test_a_broken_toml_file_is_still_named_with_a_cache(tmp_path, monkeypatch):
    from gpusetup.knowledge import KnowledgeError, read_toml_folder

    folder = _toml_folder(tmp_path, monkeypatch)
    read_toml_folder(folder, "t.marshal")
    (folder / "nvml.toml").write_text("[[message]\n")
    with pytest.raises(KnowledgeError, match=r"nvml\.toml is not valid TOML"):
        read_toml_folder(folder, "t.marshal")


def test_the_doctors_tables_and_profile_come_from_the_cache_without_tomllib(tmp_path):
    """The data tables and the shipped profile, parsed once into the user's cache: a later
    run has the same values without importing a TOML parser."""
    code = (
        "import sys\n"
        "import gpusetup.knowledge as k\n"
        "values = (k.tensorflow_builds(), k.cuda_table(), k.tensorflow_sonames(), "
        "k.architecture_table(), k.load_profile('default'), k.load_profile('ci-node'))\n"
        "print(repr(values))\n"
        "print('tomllib' in sys.modules)\n"
    )

    def run() -> list[str]:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=base_env(XDG_CACHE_HOME=str(tmp_path / "cache")),
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines()

    first, second = run(), run()
    assert first[1] == "True" and second == [first[0], "False"]
    # one cache file each, named after the shipped data folder it holds
    names = sorted(p.name for p in (tmp_path / "cache" / "gpusetup").iterdir())
    assert [re.sub(r"-[0-9a-f]{8}\.", ".", name) for name in names] == [
        "data.marshal",
        "profiles.marshal",
    ]


def test_a_cached_file_beside_a_broken_one_is_still_read(tmp_path, monkeypatch):
    """One file of a folder that does not parse spoils only itself: the others are read
    alone, and the broken one (or one that is gone) says what is wrong with it."""
    from gpusetup.knowledge import KnowledgeError, read_toml, read_toml_cached

    folder = _toml_folder(tmp_path, monkeypatch)
    want = read_toml(folder / "facts.toml")
    assert read_toml_cached(folder / "facts.toml", "t.marshal") == want
    (folder / "nvml.toml").write_text("[[message]\n")
    assert read_toml_cached(folder / "facts.toml", "t.marshal") == want
    with pytest.raises(KnowledgeError, match=r"nvml\.toml is not valid TOML"):
        read_toml_cached(folder / "nvml.toml", "t.marshal")
    with pytest.raises(KnowledgeError, match=r"cannot read .*gone\.toml"):
        read_toml_cached(folder / "gone.toml", "t.marshal")
