"""Output files (``collect -o``, ``validate -o/--junit/--json``, the Prometheus textfile) never
destroy what they point at: a regular file is replaced atomically, a device or FIFO is
written in place, a missing parent is an error and nothing is created.

The device tests make real device nodes with mknod (as root) and, for /dev/null itself, run
the command in a private mount namespace whose /dev is a fresh tmpfs: the machine's own
/dev/null is never at stake, and the test proves what a root user's -o /dev/null leaves."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, base_env, unshare_problem

from gpusetup.render.output import OutputError, write_output

IS_ROOT = os.geteuid() == 0


def _can_mknod(tmp_path: Path) -> str | None:
    """None when a character device made here can be opened; else why not."""
    if not IS_ROOT:
        return "mknod needs root"
    probe = tmp_path / ".probe-null"
    try:
        os.mknod(probe, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        with open(probe, "wb") as fh:
            fh.write(b"x")
    except OSError as exc:  # a nodev mount, or no CAP_MKNOD in this container
        return f"cannot use a device node here: {exc.strerror}"
    finally:
        probe.unlink(missing_ok=True)
    return None


def _can_unshare() -> str | None:
    return unshare_problem("-m", "mount -t tmpfs tmpfs /dev && mknod /dev/null c 1 3")


# --- the writer itself ----------------------------------------------------------------------


def test_regular_file_is_replaced_atomically_keeping_its_mode(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o600)
    before = target.stat()
    write_output(target, "new")
    after = target.stat()
    assert target.read_text() == "new"
    assert stat.S_IMODE(after.st_mode) == 0o600
    assert after.st_ino != before.st_ino  # a new file renamed into place, not truncated
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary left


def test_new_file_gets_0644_whatever_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        write_output(tmp_path / "new.prom", "x 1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.prom").stat().st_mode) == 0o644


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: t / "missing" / "deeper" / "out.json", "does not exist"),
        (lambda t: t, "is a directory"),
        (lambda t: _symlink(t / "dangling", t / "nowhere"), "dangling symbolic link"),
        (lambda t: _file(t / "a-file") / "out.json", "Not a directory"),
        (lambda t: "", "empty file name"),
    ],
    ids=["missing-parent", "directory", "dangling-link", "file-as-parent", "empty-name"],
)
def test_unwritable_targets_are_errors_and_nothing_is_created(tmp_path, make, message):
    target = make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(OutputError, match=message):
        write_output(target, "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def _symlink(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


def _file(path: Path) -> Path:
    path.write_text("")
    return path


def test_fifo_with_a_reader_is_written_in_place(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the reading end, open first
    try:
        write_output(fifo, "through the pipe\n")
        assert os.read(reader, 100) == b"through the pipe\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_dev_stdout_on_a_pipe_is_written_in_place(cli):
    """/dev/stdout -> /proc/self/fd/1 -> "pipe:[...]": the name as given is opened."""
    run = cli(
        "validate",
        "--profile",
        "default",
        "--no-smoke",
        "--format",
        "npd",
        "-o",
        "/dev/stdout",
        machine_file="mixed8",
    )
    assert run.returncode == 1 and run.stdout.startswith("NonOK: ")


def test_fifo_without_a_reader_fails_at_once(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="FIFO with no reader"):
        write_output(fifo, "x")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_character_device_is_written_in_place_and_stays_a_device(tmp_path):
    why = _can_mknod(tmp_path)
    if why:
        pytest.skip(why)
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    write_output(null, "discarded\n")
    info = null.lstat()
    assert stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


def test_block_device_is_refused_without_being_opened(tmp_path):
    why = _can_mknod(tmp_path)
    if why:
        pytest.skip(why)
    disk = tmp_path / "disk"
    # major 240: reserved for local use, so no driver answers even if it were opened
    os.mknod(disk, 0o660 | stat.S_IFBLK, os.makedev(240, 0))
    with pytest.raises(OutputError, match="block device"):
        write_output(disk, "x")
    assert stat.S_ISBLK(disk.lstat().st_mode)


def test_link_is_followed_to_the_file_it_names(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = _symlink(tmp_path / "link.json", real)
    write_output(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_another_users_link_in_a_shared_sticky_directory_is_not_followed(tmp_path):
    if not IS_ROOT:
        pytest.skip("making a link owned by another user needs root")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp
    precious = tmp_path / "shadow"
    precious.write_text("root:secret\n")
    bait = _symlink(shared / "report.json", precious)
    os.lchown(bait, 4242, 4242)  # planted by an ordinary user
    with pytest.raises(OutputError, match="owned by uid 4242"):
        write_output(bait, "overwritten")
    assert precious.read_text() == "root:secret\n"
    # reached through a link and "..": the walk follows it as the kernel does
    (tmp_path / "elsewhere").mkdir()
    detour = _symlink(tmp_path / "detour", shared)
    with pytest.raises(OutputError, match="owned by uid 4242"):
        write_output(f"{tmp_path}/elsewhere/../detour/report.json", "overwritten")
    hop = _symlink(tmp_path / "elsewhere" / "hop", tmp_path / "elsewhere")
    with pytest.raises(OutputError, match="owned by uid 4242"):
        write_output(f"{hop}/../shared/report.json", "overwritten")
    assert precious.read_text() == "root:secret\n" and detour.is_symlink()
    own = _symlink(shared / "mine.json", _file(tmp_path / "mine-target.json"))
    write_output(own, "fine")  # root's own link there is followed
    assert (tmp_path / "mine-target.json").read_text() == "fine"


# --- the commands -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("collect", "-o"),
        ("validate", "--profile", "default", "--no-smoke", "--format", "json", "-o"),
        ("validate", "--profile", "default", "--no-smoke", "--junit"),
        ("validate", "--profile", "default", "--no-smoke", "--json"),
        ("validate", "--profile", "default", "--no-smoke", "--format", "prometheus", "-o"),
    ],
    ids=["collect-o", "validate-o", "validate-junit", "validate-json", "validate-prometheus"],
)
def test_missing_output_directory_is_an_error_and_not_created(cli, tmp_path, args):
    target = tmp_path / "nonexistent" / "dir" / "out"
    run = cli(*args, str(target))
    assert run.returncode == 2
    assert "does not exist" in run.stderr and str(target) in run.stderr
    assert not (tmp_path / "nonexistent").exists()


def test_dev_null_as_root_stays_a_character_device(fake_driver_dir):
    """Every output flag at /dev/null, as root, in a private mount namespace."""
    why = _can_unshare()
    if why:
        pytest.skip(why)
    python = sys.executable
    script = f"""
set -e
mount -t tmpfs tmpfs /dev
mknod -m 666 /dev/null c 1 3
cd {ROOT}
{python} -m gpusetup collect -o /dev/null || echo "collect exit $?"
{python} -m gpusetup validate --profile default --no-smoke --junit /dev/null --json /dev/null \
    --format prometheus -o /dev/null || echo "validate exit $?"
stat -c '%F %t:%T' /dev/null
ls -A /dev
"""
    env = base_env(
        FAKEGPU_MACHINE=str(ROOT / "tests/machines/mixed8.json"),
        LD_LIBRARY_PATH=str(fake_driver_dir),
    )
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "validate exit 1" in lines  # the report says FAILED; the writes succeeded
    assert "collect exit" not in proc.stdout
    assert lines[-2] == "character special file 1:3", proc.stdout
    assert lines[-1] == "null"  # no temporary file left beside it


def test_validate_console_view_goes_to_the_output_file_redacted(cli, tmp_path):
    out = tmp_path / "report.txt"
    run = cli(
        "validate",
        "--profile",
        "default",
        "--no-smoke",
        "--redact",
        "-o",
        str(out),
        machine_file="mixed8",
    )
    assert run.returncode == 1 and run.stdout == ""
    text = out.read_text()
    assert text.startswith("gpusetup ") and "FAILED" in text and "driver.version" in text
    assert os.uname().nodename not in text.split("\n", 1)[0]
    assert "<host>" in text.split("\n", 1)[0]
    assert "\x1b[" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
