"""wheel inspect, wheel retag and install --wheel against hostile input: damaged and
crafted archives, metadata pip refuses, things that are not files, interpreters that are
not Pythons, tags that are not tags, outputs that cannot be written. Every one is an exit 2
(or 1 where pip itself would refuse the wheel) naming the file and what is wrong; none is
an internal error, and nothing is left behind."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest
from wheelkit import (
    PY,
    claim_directory,
    compiled_extension,
    declare_sizes,
    make_venv,
    make_wheel,
    patch_member,
    record_hash,
    sha,
)

GIB = 1 << 30
DEMO = "demo-1.0-py3-none-any.whl"


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    return make_venv(tmp_path_factory.mktemp("venv"))


def demo(directory: Path, **kwargs) -> Path:
    files = kwargs.pop("files", {"demo/__init__.py": b"VALUE = 42\n"})
    return make_wheel(directory, "demo", "1.0", "py3-none-any", files, **kwargs)


def _wheel_text(tags: str) -> bytes:
    return f"Wheel-Version: 1.0\nGenerator: x\nRoot-Is-Purelib: true\n{tags}\n".encode()


def _damaged(kind: str, d: Path) -> Path:
    """A wheel damaged in one way (built by hand; see wheelkit)."""
    if kind == "tag-line-two-parts":
        return demo(d, wheel_file=_wheel_text("Tag: py3-none"))
    if kind == "tag-line-300-chars":
        return demo(d, wheel_file=_wheel_text(f"Tag: py3-none-{'x' * 300}"))
    if kind == "tag-line-slash":
        return demo(d, wheel_file=_wheel_text("Tag: py3-none-any/../../x"))
    if kind == "wheel-not-utf8":
        return demo(d, wheel_file=_wheel_text("Tag: py3-none-any") + b"Generator: \xff\xfe\n")
    if kind == "no-wheel-version":
        return demo(d, wheel_file=b"Generator: x\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    if kind == "wheel-version-2":
        return demo(d, wheel_file=_wheel_text("Tag: py3-none-any").replace(b"1.0", b"2.0"))
    if kind == "encrypted":
        path = demo(d)
        patch_member(path, "demo/__init__.py", flags=0x1)
        return path
    if kind == "compression-99":
        path = demo(d)
        patch_member(path, "demo/__init__.py", method=99)
        return path
    if kind == "member-declares-5-gib":
        path = demo(d)
        declare_sizes(path, {"demo/__init__.py": 5 * GIB})
        return path
    if kind == "members-declare-20-gib":
        files = {f"demo/part{i}.bin": b"\0" * 1000 for i in range(5)}
        path = demo(d, files=files)
        declare_sizes(path, {name: 4 * GIB for name in files})
        return path
    if kind == "member-larger-than-declared":
        path = demo(d, files={"demo/__init__.py": b"VALUE = 42\n" * 1000})
        patch_member(path, "demo/__init__.py", file_size=100)
        return path
    if kind == "directory-of-100-mib":
        path = demo(d)
        claim_directory(path, 60_000, 100 << 20)
        return path
    if kind == "no-record":
        return demo(d, skip=("{dist_info}/RECORD",))
    if kind == "member-not-in-record":
        return demo(d, extra_members={"demo/extra.py": b"print('not listed')\n"})
    if kind == "hash-mismatch":
        row = f"demo/__init__.py,{record_hash(b'something else')},11\n"
        return demo(d, record=_record_with(row))
    if kind == "size-mismatch":
        good = record_hash(b"VALUE = 42\n")
        row = f"demo/__init__.py,{good},999\n"
        return demo(d, record=_record_with(row))
    if kind == "md5-in-record":
        return demo(d, record=_record_with("demo/__init__.py,md5=abcdef,11\n"))
    if kind == "record-two-fields":
        return demo(d, record=_record_with("demo/__init__.py,sha256=abc\n"))
    if kind == "duplicate-member":
        path = demo(d)
        with zipfile.ZipFile(path, "a") as zf, pytest.warns(UserWarning):
            zf.writestr("demo/__init__.py", b"import os; os.system('evil')\n")
        return path
    if kind == "dist-info-of-another-project":
        return demo(d, dist_info="other-1.0.dist-info")
    if kind == "metadata-other-name":
        return demo(d, metadata=b"Metadata-Version: 2.1\nName: other\nVersion: 1.0\n")
    if kind == "metadata-other-version":
        return demo(d, metadata=b"Metadata-Version: 2.1\nName: demo\nVersion: 6.6.6\n")
    if kind == "two-dist-infos":
        return demo(d, files={"demo/__init__.py": b"", "evil-1.0.dist-info/METADATA": b""})
    if kind == "absolute-member":
        return demo(d, files={"/etc/cron.d/evil": b"* * * * * root evil\n"})
    raise AssertionError(kind)


def _record_with(row: str) -> bytes:
    """A RECORD whose first row is ``row`` (the rest left out: the first problem counts)."""
    return row.encode()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("tag-line-two-parts", "bad Tag line 'py3-none'"),
        ("tag-line-300-chars", "is not a tag"),
        ("tag-line-slash", "is not a tag"),
        ("wheel-not-utf8", "WHEEL is not UTF-8"),
        ("no-wheel-version", "no Wheel-Version"),
        ("wheel-version-2", "newer format than pip reads"),
        ("encrypted", "is encrypted"),
        ("compression-99", "compression method 99"),
        ("member-declares-5-gib", "declares 5.0 GiB"),
        ("members-declare-20-gib", "20.0 GiB uncompressed in all"),
        ("member-larger-than-declared", "cannot be read"),
        ("directory-of-100-mib", "lists 60,000 members in 100 MiB"),
        ("no-record", "RECORD is missing"),
        ("member-not-in-record", "demo/extra.py is not listed in RECORD"),
        ("hash-mismatch", "differs from RECORD"),
        ("size-mismatch", "RECORD says 999"),
        ("md5-in-record", "is not a sha256 (or stronger) hash"),
        ("record-two-fields", "has 2 fields"),
        ("duplicate-member", "appears twice"),
        ("dist-info-of-another-project", "is not for 'demo'"),
        ("metadata-other-name", "METADATA names the project 'other'"),
        ("metadata-other-version", "METADATA says version '6.6.6'"),
        ("two-dist-infos", "expected one .dist-info directory, found 2"),
        ("absolute-member", "outside the install directory"),
    ],
)
def test_damaged_wheel_is_exit_2_naming_the_file_and_the_fault(cli, tmp_path, kind, message):
    path = _damaged(kind, tmp_path / "w")
    for args in (
        ("wheel", "inspect", str(path)),
        ("wheel", "retag", str(path), "--python-tag", "py2.py3", "-o", str(tmp_path / "o")),
        ("install", "--wheel", str(path), "--dry-run"),
    ):
        run = cli(*args)
        assert run.returncode == 2, (args, run.stderr)
        assert message in run.stderr, run.stderr
        assert path.name in run.stderr or str(path) in run.stderr, run.stderr
        assert "internal error" not in run.stderr
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "link-to-dev-zero", "directory"])
def test_a_wheel_path_that_is_not_a_regular_file_is_refused_without_reading(cli, tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / DEMO
        os.mkfifo(path)
    elif kind == "dev-zero":
        path = Path("/dev/zero")
    elif kind == "link-to-dev-zero":
        path = tmp_path / DEMO
        path.symlink_to("/dev/zero")
    else:
        path = tmp_path / DEMO
        path.mkdir()
    for args in (("wheel", "inspect", str(path)), ("install", "--wheel", str(path), "--dry-run")):
        run = cli(*args, timeout=20)
        assert run.returncode == 2, run.stderr
        assert str(path) in run.stderr or path.name in run.stderr
    if kind != "dev-zero":
        expected = {
            "fifo": "a FIFO",
            "link-to-dev-zero": "character device",
            "directory": "a directory",
        }
        assert expected[kind] in run.stderr


def test_requires_python_that_excludes_the_target_is_not_installable_as_pip_says(
    cli, tmp_path, venv
):
    path = demo(tmp_path, requires_python=">=3.99")
    run = cli("wheel", "inspect", str(path), "--json")
    assert run.returncode == 1
    verdict = run.json()["verdict"]
    assert verdict["compatible"] is False and verdict["mismatch"] == "requires-python"
    assert "Requires-Python >=3.99 excludes Python 3." in verdict["reason"]
    console = cli("wheel", "inspect", str(path), "--python", str(venv))
    assert console.returncode == 1 and "requires-python mismatch" in console.stdout
    refused = cli("install", "--wheel", str(path), "--python", str(venv))
    assert refused.returncode == 1 and "Requires-Python >=3.99" in refused.stderr
    # real pip agrees: it refuses the same file
    pip = subprocess.run(
        [str(venv), "-m", "pip", "install", "--no-index", "--no-deps", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode != 0 and "requires a different Python" in pip.stderr


@pytest.mark.parametrize(
    ("requires_python", "url"),
    [
        # nltk 3.6 on PyPI: https://github.com/pypa/pip-audit/issues/445
        (">=3.5.*", "https://github.com/pypa/pip-audit/pull/447"),
        # pyzmq 18.0.2: https://github.com/python-morgan/morgan/issues/34
        ("!=3.0*", "https://github.com/python-morgan/morgan/issues/34"),
    ],
)
def test_an_invalid_requires_python_is_ignored_with_a_note_as_pip_does(
    cli, tmp_path, requires_python, url
):
    path = demo(tmp_path, requires_python=requires_python)
    run = cli("wheel", "inspect", str(path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"note: Requires-Python {requires_python!r} is not a valid specifier" in run.stdout


def test_wheel_metadata_reaches_the_terminal_escaped(cli, tmp_path):
    metadata = (
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
        "Requires-Dist: evil\x1b]0;owned\x07\x1b[2J\n"
        "Requires-Dist: admin\u202egnp.exe\n"
        "Requires-Python: >=3\x00\n"
    ).encode()
    ext_name = "demo/\x1b[31mred.cpython-311-x86_64-linux-gnu.so"
    path = demo(tmp_path, metadata=metadata, files={"demo/__init__.py": b"", ext_name: b"x"})
    run = cli("wheel", "inspect", str(path))
    for bad in ("\x1b", "\x07", "\u202e", "\x00"):
        assert bad not in run.stdout and bad not in run.stderr
    assert "evil\\x1b]0;owned\\x07\\x1b[2J" in run.stdout
    assert "admin\\u202egnp.exe" in run.stdout
    assert "demo/\\x1b[31mred" in run.stdout


# --- --python ---------------------------------------------------------------------------


def _script(path: Path, body: str) -> str:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("true", "is not a Python interpreter gpusetup can ask"),
        ("echo-garbage", "is not a Python interpreter gpusetup can ask"),
        ("exit-3", "could not list its tags (exit 3)"),
        ("not-executable", "permission denied"),
        ("text-file-executable", "cannot be run"),
        ("directory", "is a directory"),
        ("missing", "does not exist"),
        ("json-not-tags", "is not a Python interpreter gpusetup can ask"),
        ("hangs", "did not answer within 2 s"),
    ],
)
def test_python_option_that_is_not_a_python_is_exit_2(cli, tmp_path, kind, message):
    wheel = demo(tmp_path / "w")
    python = {
        "true": "/bin/true",
        "echo-garbage": lambda: _script(tmp_path / "py", "echo '\x1b[2J not json'"),
        "exit-3": lambda: _script(tmp_path / "py", "echo boom >&2; exit 3"),
        "not-executable": lambda: str(_plain(tmp_path / "py", 0o644)),
        "text-file-executable": lambda: str(_plain(tmp_path / "py", 0o755)),
        "directory": lambda: str(tmp_path),
        "missing": lambda: str(tmp_path / "nope"),
        "json-not-tags": lambda: _script(tmp_path / "py", "echo '[[[[[[1]]]]]]'"),
        "hangs": lambda: _script(tmp_path / "py", "exec sleep 60"),
    }[kind]
    python = python() if callable(python) else python
    for args in (
        ("wheel", "inspect", str(wheel), "--python", python),
        ("install", "--wheel", str(wheel), "--python", python, "--dry-run"),
    ):
        started = time.monotonic()
        run = cli(*args, GPUSETUP_PYTHON_TIMEOUT="2", timeout=30)
        assert run.returncode == 2, run.stderr
        assert message in run.stderr and "\x1b" not in run.stderr, run.stderr
        assert time.monotonic() - started < 15


def _plain(path: Path, mode: int) -> Path:
    path.write_bytes(b"\x00\x01 not a program\n")
    path.chmod(mode)
    return path


# --- retag ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--platform-tag=/", "platform tag '/' is not a tag"),
        ("--platform-tag=../../etc/x", "is not a tag"),
        (f"--python-tag={'p' * 300}", "python tag 'ppppp"),
        ("--abi-tag=", "abi tag '' is not a tag"),
        ("--python-tag=-py3", "no python tag would be left"),
        ("--python-tag=py3", "already has the tags py3-none-any"),
        ("--platform-tag=a\x1b[2Jb", "is not a tag"),
    ],
)
def test_retag_refuses_tags_that_are_not_tags(cli, tmp_path, option, message):
    path = demo(tmp_path / "w")
    out = tmp_path / "o"
    run = cli("wheel", "retag", str(path), option, "-o", str(out))
    assert run.returncode == 2, run.stderr
    assert message in run.stderr and "\x1b" not in run.stderr
    assert not out.exists() or not list(out.iterdir())


def test_retag_output_problems_are_exit_2_and_leave_nothing(cli, tmp_path):
    path = demo(tmp_path / "w")
    a_file = tmp_path / "file"
    a_file.write_text("keep me")
    cases = [
        (str(a_file), "is a file, not a directory"),
        (str(tmp_path / "missing" / "deeper"), "does not exist"),
        ("/sys/gpusetup-test-output", "cannot create /sys/gpusetup-test-output"),
        ("/sys", "cannot write in /sys"),
    ]
    for out, message in cases:
        run = cli("wheel", "retag", str(path), "--python-tag", "py2.py3", "-o", out)
        assert run.returncode == 2, (out, run.stderr)
        assert message in run.stderr, run.stderr
    assert a_file.read_text() == "keep me"
    assert not (tmp_path / "missing").exists()
    taken = tmp_path / "taken"
    (taken / "demo-1.0-py2.py3-none-any.whl").mkdir(parents=True)
    run = cli("wheel", "retag", str(path), "--python-tag", "py2.py3", "-o", str(taken))
    assert run.returncode == 2 and "it is a directory" in run.stderr
    assert [p.name for p in taken.iterdir()] == ["demo-1.0-py2.py3-none-any.whl"]
    # a FIFO nobody reads: found only once the copy is written and checked; the
    # temporary copy goes, the FIFO stays
    fifo_dir = tmp_path / "fifo"
    fifo_dir.mkdir()
    os.mkfifo(fifo_dir / "demo-1.0-py2.py3-none-any.whl")
    run = cli("wheel", "retag", str(path), "--python-tag", "py2.py3", "-o", str(fifo_dir))
    assert run.returncode == 2 and "a FIFO with no reader" in run.stderr, run.stderr
    assert [p.name for p in fifo_dir.iterdir()] == ["demo-1.0-py2.py3-none-any.whl"]


def test_retag_writes_0644_whatever_the_umask_and_keeps_an_old_files_mode(cli, tmp_path):
    path = demo(tmp_path / "w")
    out = tmp_path / "o"
    old = os.umask(0o077)
    try:
        run = cli("wheel", "retag", str(path), "--python-tag", "py2.py3", "-o", str(out))
    finally:
        os.umask(old)
    assert run.returncode == 0, run.stderr
    written = out / "demo-1.0-py2.py3-none-any.whl"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert [p.name for p in out.iterdir()] == [written.name]  # no temporary left
    written.chmod(0o600)
    again = cli("wheel", "retag", str(path), "--python-tag", "py2.py3", "-o", str(out))
    assert again.returncode == 0
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


def test_retag_never_writes_through_a_link_to_its_input(cli, tmp_path):
    path = demo(tmp_path / "w")
    before = sha(path)
    out = tmp_path / "o"
    out.mkdir()
    (out / "demo-1.0-py2.py3-none-any.whl").symlink_to(path)
    run = cli("wheel", "retag", str(path), "--python-tag", "py2.py3", "-o", str(out))
    assert run.returncode == 2 and "is the input wheel itself" in run.stderr
    assert sha(path) == before


def test_retag_follows_a_link_and_writes_a_fifo_in_place(cli, tmp_path):
    path = demo(tmp_path / "w")
    out = tmp_path / "o"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.whl"
    elsewhere.write_text("old")
    (out / "demo-1.0-py2.py3-none-any.whl").symlink_to(elsewhere)
    run = cli("wheel", "retag", str(path), "--python-tag", "py2.py3", "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert (out / "demo-1.0-py2.py3-none-any.whl").is_symlink()
    with zipfile.ZipFile(elsewhere) as zf:
        assert "Tag: py2-none-any" in zf.read("demo-1.0.dist-info/WHEEL").decode()

    fifo_dir = tmp_path / "f"
    fifo_dir.mkdir()
    fifo = fifo_dir / "demo-1.0-py2.py3-none-any.whl"
    os.mkfifo(fifo)
    received = bytearray()

    def reader() -> None:
        with open(fifo, "rb") as fh:
            received.extend(fh.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    time.sleep(0.2)
    run = cli("wheel", "retag", str(path), "--python-tag", "py2.py3", "-o", str(fifo_dir))
    thread.join(10)
    assert run.returncode == 0, run.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still the FIFO, not renamed over
    assert received[:4] == b"PK\x03\x04" and len(received) > 200
    assert [p.name for p in fifo_dir.iterdir()] == [fifo.name]


def test_retag_refuses_platform_claims_for_native_programs(cli, tmp_path):
    """A wheel with no extension module but a native program (ruff, ninja, the CUDA
    library wheels): moving it to another platform is a lie; raising its glibc floor or
    calling it linux_x86_64 is not."""
    elf = compiled_extension(tmp_path, "_helper")
    path = make_wheel(
        tmp_path / "w",
        "tool",
        "1.0",
        "py3-none-manylinux_2_17_x86_64",
        {"tool-1.0.data/scripts/tool": elf},
        purelib=False,
    )
    inspect = cli("wheel", "inspect", str(path), "--json").json()
    assert inspect["wheel"]["binaries"] == ["tool-1.0.data/scripts/tool"]
    out = str(tmp_path / "o")
    for platform in ("manylinux_2_17_aarch64", "any", "macosx_11_0_arm64", "manylinux_2_5_x86_64"):
        run = cli("wheel", "retag", str(path), "--platform-tag", platform, "-o", out)
        assert run.returncode == 1 and "does not make it run there" in run.stderr, platform
    for platform in ("manylinux_2_28_x86_64", "linux_x86_64", "+manylinux2014_x86_64"):
        run = cli("wheel", "retag", str(path), "--platform-tag", platform, "-o", out)
        assert run.returncode == 0, (platform, run.stderr)


def test_retag_moves_only_what_extension_modules_allow(cli, tmp_path):
    ext = compiled_extension(tmp_path, "_fast")
    path = make_wheel(
        tmp_path / "w",
        "fast",
        "1.0",
        f"{PY}-{PY}-linux_x86_64",
        {f"fast/_fast.cpython-{PY[2:]}-x86_64-linux-gnu.so": ext},
        purelib=False,
    )
    out = str(tmp_path / "o")
    refused = cli("wheel", "retag", str(path), "--abi-tag", f"+{PY}t", "-o", out)
    assert refused.returncode == 1 and "will not import them" in refused.stderr
    ok = cli("wheel", "retag", str(path), "--platform-tag", "+linux_x86_64", "-o", out)
    assert ok.returncode == 2 and "already has the tags" in ok.stderr


def test_installed_pip_agrees_with_a_retagged_py2_py3_wheel(cli, tmp_path, venv):
    """A wheel with a WHEEL that ends with a blank line (as setuptools writes it) retags,
    and real pip installs the result."""
    wheel_file = b"Wheel-Version: 1.0\nGenerator: setuptools (80.9.0)\nRoot-Is-Purelib: true\n"
    wheel_file += b"Tag: py3-none-any\n\n"
    path = demo(tmp_path / "w", wheel_file=wheel_file)
    out = tmp_path / "o"
    run = cli("wheel", "retag", str(path), "--python-tag", "py2.py3", "-o", str(out))
    assert run.returncode == 0, run.stderr
    written = out / "demo-1.0-py2.py3-none-any.whl"
    pip = subprocess.run(
        [str(venv), "-m", "pip", "install", "--no-index", "--no-deps", str(written)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stderr
    probe = subprocess.run(
        [str(venv), "-c", "import demo; print(demo.VALUE)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert probe.stdout.strip() == "42"
    subprocess.run([str(venv), "-m", "pip", "uninstall", "-y", "-q", "demo"], check=True)
