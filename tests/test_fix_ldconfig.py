"""`fix ldconfig` against hostile input: directory names built to break out of a shell script
or a configuration line, system trees whose links aim at the host, and files swapped between
the plan and the write.

What is checked is what a user would see afterwards: the activation scripts are really
sourced by bash and dash, the configuration is read back by the real ``ldconfig -r``, a real
library is loaded through the LD_LIBRARY_PATH the hook sets, the printed commands are parsed
with ``shlex.split``, and a decoy on the host must stay untouched.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import base_env, build_library, make_sysroot, real_cache
from test_libraries import _as_nobody, _nobody_python

CONF = "etc/ld.so.conf.d/gpusetup-cuda.conf"
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="--apply on a system tree needs root")

#: directory names made to break quoting; {m} is the path of a file that must never appear
HOSTILE = {
    "double quote": 'a"b',
    "single quote": "a'b",
    "command substitution": 'a"$(touch {m})"b',
    "backticks": "a`touch {m}`b",
    "spaces": "a  b",
    "semicolon": "a;touch {m};b",
    "newline": "a\ntouch {m}\nb",
    "hash": "a#b",
    "equals": "a=b",
    "dynamic token": "a$LIB",
    "colon": "a:b",
    "trailing blank": "ab ",
    "tab": "a\tb",
    "backslash": "a\\b",
    "glob": "a*b",
    "leading dash": "-rf",
}
#: what the system fix refuses: ld.so.conf could not hold the name as one exact line
REFUSED_BY_CONF = {"newline", "tab", "hash", "equals", "trailing blank"}
#: what the environment hook refuses: LD_LIBRARY_PATH could not hold it as one entry
REFUSED_BY_HOOK = {"newline", "tab", "colon", "semicolon", "dynamic token"}


def _hostile_dirs(base: Path, marker: Path) -> dict[str, str]:
    """Each hostile name as a real directory (root's, mode 0755) holding a real library."""
    made = {}
    for label, name in HOSTILE.items():
        path = base / name.format(m=marker)
        build_library(path, _soname(label))
        for p in [path, *path.parents]:
            if p == base:
                break
            p.chmod(0o755)
        made[label] = str(path)
    return made


def _soname(label: str) -> str:
    """Each directory's library has its own soname: loading it proves that entry."""
    return f"libhostile-{list(HOSTILE).index(label)}.so.1"


def _loads(labels: list[str]) -> str:
    """A command that loads each of these libraries through the real loader."""
    names = [_soname(label) for label in labels]
    return f'python3 -c "import ctypes; [ctypes.CDLL(n) for n in {names!r}]" || exit 9\n'


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "gpusetup", *args],
        capture_output=True,
        text=True,
        env=base_env(**env),
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _refused(stderr: str) -> int:
    return sum(line.startswith("refused ") for line in stderr.splitlines())


# --- the environment hook: really sourced ------------------------------------------------------

#: prints LD_LIBRARY_PATH (or that it is unset), NUL-terminated, activated then deactivated
_PROBE = (
    'show() { if [ -n "${LD_LIBRARY_PATH+x}" ]; then printf "set:%s\\0" "$LD_LIBRARY_PATH"; '
    'else printf "unset\\0"; fi; printf "%s\\0" "${VIRTUAL_ENV-none}"; }\n'
)


def _source(shell: str, before: str | None, body: str) -> list[str]:
    setup = "unset LD_LIBRARY_PATH\n"
    if before is not None:
        setup = f"export LD_LIBRARY_PATH={shlex.quote(before)}\n"
    proc = subprocess.run(
        [shell, "-c", _PROBE + setup + body],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ["PATH"], "HOME": "/tmp"},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split("\0")[:-1]


def _state(before: str | None) -> str:
    """What ``show`` prints for this LD_LIBRARY_PATH."""
    return "unset" if before is None else f"set:{before}"


def _expected(dirs: list[str], before: str | None) -> str:
    return "set:" + ":".join(dirs) + (f":{before}" if before else "")


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A real virtual environment (the standard library's venv writes its bin/activate)."""
    path = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_venv_hook_with_hostile_names_runs_nothing_and_sets_exactly_the_directories(
    venv, tmp_path, shell
):
    marker = tmp_path / "PWNED"
    made = _hostile_dirs(tmp_path / "libs", marker)
    activate = venv / "bin/activate"
    original = activate.read_text()
    dirs = list(made.values())
    first = _run("fix", "ldconfig", *dirs, "--user-env", "--apply", VIRTUAL_ENV=str(venv))
    assert first.returncode == 1, first.stderr  # some names refused, the others written
    assert _refused(first.stderr) == len(REFUSED_BY_HOOK)
    written = activate.read_text()
    second = _run("fix", "ldconfig", *dirs, "--user-env", "--apply", VIRTUAL_ENV=str(venv))
    assert second.returncode == 1 and activate.read_text() == written  # idempotent
    assert written.count("# >>> gpusetup") == 2  # one in deactivate (), one at the end
    assert written.startswith(original.split("deactivate () {\n")[0])
    labels = [k for k in HOSTILE if k not in REFUSED_BY_HOOK]
    accepted = [made[k] for k in labels]

    for before in (None, "", "/old/lib:/other lib"):
        seen = _source(
            shell,
            before,
            f"show\n. {shlex.quote(str(activate))}\nshow\n"
            + _loads(labels)
            + f". {shlex.quote(str(activate))}\nshow\n"  # activating again adds nothing
            "deactivate\nshow\n",
        )
        assert not marker.exists()
        initial = _state(before)
        assert seen[0] == initial
        assert seen[2] == _expected(accepted, before) and seen[3] == str(venv)
        assert seen[4] == _expected(accepted, before)
        assert seen[6:] == [initial, "none"]  # deactivate restores it, and the venv's own
    assert not marker.exists()


def test_the_reported_directory_name_runs_nothing_when_the_venv_is_activated(venv, tmp_path):
    marker = tmp_path / "PWNED"
    directory = tmp_path / f'a"$(touch {marker})"b'
    directory.mkdir(parents=True)
    run = _run("fix", "ldconfig", str(directory), "--user-env", "--apply", VIRTUAL_ENV=str(venv))
    assert run.returncode == 0, run.stderr
    seen = _source("bash", None, f". {shlex.quote(str(venv / 'bin/activate'))}\nshow\n")
    assert not marker.exists()
    assert seen == [f"set:{directory}", str(venv)]


def test_conda_hook_with_hostile_names_restores_on_deactivate(tmp_path):
    marker = tmp_path / "PWNED"
    made = _hostile_dirs(tmp_path / "libs", marker)
    env = tmp_path / "conda-env"
    (env / "conda-meta").mkdir(parents=True)
    dirs = list(made.values())
    hooks = env / "etc/conda"
    on = hooks / "activate.d/gpusetup-cuda.sh"
    off = hooks / "deactivate.d/gpusetup-cuda.sh"
    contents = []
    for _ in range(2):
        run = _run("fix", "ldconfig", *dirs, "--user-env", "--apply", CONDA_PREFIX=str(env))
        assert run.returncode == 1, run.stderr
        contents.append((on.read_text(), off.read_text()))
    assert contents[0] == contents[1]  # idempotent
    assert stat.S_IMODE(on.stat().st_mode) == 0o644
    labels = [k for k in HOSTILE if k not in REFUSED_BY_HOOK]
    accepted = [made[k] for k in labels]
    for shell in ("bash", "sh"):
        for before in (None, "", "/old/lib"):
            # what `conda activate` / `conda deactivate` do with these directories
            seen = _source(
                shell,
                before,
                f". {shlex.quote(str(on))}\nshow\n"
                + _loads(labels)
                + f". {shlex.quote(str(on))}\nshow\n. {shlex.quote(str(off))}\nshow\n",
            )
            assert not marker.exists()
            assert seen[0] == seen[2] == _expected(accepted, before)
            assert seen[4] == _state(before)
    assert not marker.exists()


def test_hook_refuses_what_the_system_fix_refuses_and_keeps_the_rest(venv, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (tmp_path / "open").mkdir(mode=0o777)
    (tmp_path / "open").chmod(0o777)
    (tmp_path / "file").write_text("")
    (tmp_path / "to-proc").symlink_to("/proc")
    cases = {
        "relative/lib": "not an absolute path",
        str(tmp_path / "missing"): "does not exist",
        str(tmp_path / "open"): "anyone can write to it",
        str(tmp_path / "file"): "is not a directory",
        "/": "is the root directory",
        "/proc": "/proc filesystem",
        "/sys/kernel": "/sys filesystem",
        "/dev": "/dev filesystem",
        str(tmp_path / "to-proc/self"): "/proc filesystem",
        "/tmp/x\n/y": "control character (\\x0a)",
        f"{good}/$ORIGIN": "which the loader expands",
        f"{good}/${{PLATFORM}}": "which the loader expands",
    }
    if os.geteuid() == 0:
        other = tmp_path / "other"
        other.mkdir()
        os.chown(other, 65534, 65534)
        cases[str(other)] = "owned by uid 65534"
        (other / "lib").mkdir()  # root's, inside a directory someone else can change
        cases[str(other / "lib")] = "is not safe (it is owned by uid 65534)"
    for name in (f"{good}/$ORIGIN", f"{good}/${{PLATFORM}}"):
        os.makedirs(name, mode=0o755)
    run = _run("fix", "ldconfig", *cases, str(good), "--user-env", "--apply", VIRTUAL_ENV=str(venv))
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    for directory, reason in cases.items():
        shown = directory.replace("\n", "\\x0a")
        assert any(f"refused {shown}: " in line and reason in line for line in lines), (
            directory,
            run.stderr,
        )
    seen = _source("bash", None, f". {shlex.quote(str(venv / 'bin/activate'))}\nshow\n")
    assert seen[0] == f"set:{good}"


def test_hook_replaces_an_old_unquoted_block_and_keeps_a_script_without_deactivate(tmp_path):
    marker = tmp_path / "PWNED"
    hostile = tmp_path / f'a"$(touch {marker})"b'
    hostile.mkdir(parents=True)
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    activate = env / "bin/activate"
    # what earlier versions wrote: the directory inside double quotes, run on activation
    activate.write_text(
        "# an activate script of its own kind\nexport VIRTUAL_ENV=here\n"
        "# >>> gpusetup: CUDA library directories >>>\n"
        f'export LD_LIBRARY_PATH="{hostile}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"\n'
        "# <<< gpusetup: CUDA library directories <<<\n"
    )
    activate.chmod(0o640)
    plan = _run("fix", "ldconfig", str(hostile), "--user-env", VIRTUAL_ENV=str(env))
    assert plan.returncode == 0 and "no deactivate () function" in plan.stdout
    assert str(activate) in plan.stdout and "append:" in plan.stdout
    run = _run("fix", "ldconfig", str(hostile), "--user-env", "--apply", VIRTUAL_ENV=str(env))
    assert run.returncode == 0, run.stderr
    text = activate.read_text()
    assert text.startswith("# an activate script of its own kind\nexport VIRTUAL_ENV=here\n")
    assert text.count("# >>> gpusetup") == 1 and 'export LD_LIBRARY_PATH="' not in text
    assert stat.S_IMODE(activate.stat().st_mode) == 0o640  # its mode is kept
    seen = _source("sh", "/old", f". {shlex.quote(str(activate))}\nshow\n")
    assert seen == [f"set:{hostile}:/old", "here"]
    assert not marker.exists()


def test_hook_is_not_for_a_tree(venv, tmp_path):
    root = make_sysroot(tmp_path / "tree")
    (root / "opt/lib").mkdir(parents=True)
    run = _run(
        "fix", "ldconfig", "/opt/lib", "--sysroot", str(root), "--user-env", VIRTUAL_ENV=str(venv)
    )
    assert run.returncode == 2 and "drop --user-env" in run.stderr


def test_hook_refuses_an_unclosed_block_and_a_non_regular_activate(tmp_path):
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    good = tmp_path / "good"
    good.mkdir()
    activate = env / "bin/activate"
    activate.write_text("x=1\n# >>> gpusetup: CUDA library directories >>>\nmore\n")
    run = _run("fix", "ldconfig", str(good), "--user-env", "--apply", VIRTUAL_ENV=str(env))
    assert run.returncode == 2 and "no end line" in run.stderr
    assert activate.read_text() == "x=1\n# >>> gpusetup: CUDA library directories >>>\nmore\n"
    activate.unlink()
    os.mkfifo(activate)
    run = _run("fix", "ldconfig", str(good), "--user-env", "--apply", VIRTUAL_ENV=str(env))
    assert run.returncode == 2 and "a FIFO" in run.stderr
    assert stat.S_ISFIFO(os.lstat(activate).st_mode)


# --- the system fix on a tree: names read back by the real ldconfig ---------------------------


@needs_root
def test_system_fix_with_hostile_names_writes_lines_ldconfig_reads_back_exactly(tmp_path):
    root = make_sysroot(tmp_path / "tree")
    marker = tmp_path / "PWNED"
    made = _hostile_dirs(root / "opt", marker)
    dirs = ["/" + os.path.relpath(p, root) for p in made.values()]
    plan = _run("fix", "ldconfig", *dirs, "--sysroot", str(root))
    assert plan.returncode == 1 and not (root / CONF).exists()
    assert _refused(plan.stderr) == len(REFUSED_BY_CONF)
    run = _run("fix", "ldconfig", *dirs, "--sysroot", str(root), "--apply")
    assert run.returncode == 1, run.stderr  # refusing some does not stop the others
    accepted = {k: d for k, d in zip(HOSTILE, dirs, strict=True) if k not in REFUSED_BY_CONF}
    lines = (root / CONF).read_text().splitlines()
    assert lines[1:] == list(accepted.values())
    cache = real_cache(root)  # the real ldconfig read each line back as that directory
    for label, directory in accepted.items():
        assert f"{_soname(label)} (libc6,x86-64) => {directory}/{_soname(label)}" in cache
    content = (root / CONF).read_text()
    again = _run("fix", "ldconfig", *dirs, "--sysroot", str(root), "--apply")
    assert again.stdout.count("already configured: ") == len(accepted)
    assert (root / CONF).read_text() == content
    assert not marker.exists()


# --- the system fix on a tree: links that aim at the host ---------------------------------------


@pytest.fixture
def tree_and_decoy(tmp_path: Path) -> tuple[Path, Path, str]:
    """A system tree with a library directory, and an empty directory on the host."""
    root = make_sysroot(tmp_path / "tree")
    build_library(root / "opt/cuda-12.5/lib64", "libcudart.so.12", filename="libcudart.so.12.5.82")
    decoy = tmp_path / "host-decoy"
    decoy.mkdir()
    (decoy / "keep.conf").write_text("host content\n")
    return root, decoy, "/opt/cuda-12.5/lib64"


def _host_untouched(decoy: Path) -> None:
    assert sorted(p.name for p in decoy.iterdir()) == ["keep.conf"]
    assert (decoy / "keep.conf").read_text() == "host content\n"


def _relink(path: Path, target: str) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    path.symlink_to(target)


ESCAPES = {
    # conf.d replaced by a link: absolute (a host path), and relative with .. past the root
    "conf.d absolute": ("etc/ld.so.conf.d", "{decoy}", "does not create directories behind"),
    "conf.d relative": ("etc/ld.so.conf.d", "../../../../../../../../..{decoy}", "behind a link"),
    # the file itself a link to a host file
    "file absolute": (CONF, "{decoy}/keep.conf", "behind a link"),
    "file relative": (CONF, "../../../../../../../../../..{decoy}/keep.conf", "behind a link"),
    # loops
    "conf.d loop": ("etc/ld.so.conf.d", "ld.so.conf.d", "symbolic links"),
    "file loop": (CONF, "/etc/ld.so.conf.d/gpusetup-cuda.conf", "symbolic links"),
    "etc loop": ("etc", "/etc/x", "symbolic links"),
}


@needs_root
@pytest.mark.parametrize("case", list(ESCAPES))
def test_system_fix_never_follows_a_tree_link_onto_the_host(tree_and_decoy, case):
    root, decoy, directory = tree_and_decoy
    where, target, reason = ESCAPES[case]
    _relink(root / where, target.format(decoy=decoy))
    runs = []
    for extra in ((), ("--apply",)):
        runs.append(_run("fix", "ldconfig", directory, "--sysroot", str(root), *extra))
        _host_untouched(decoy)
        assert "host content" not in runs[-1].stdout  # nor is the host's file read
    for run in runs:  # refused before anything is written, naming the link
        assert run.returncode == 2, (run.stdout, run.stderr)
        assert reason in run.stderr, run.stderr


@needs_root
def test_system_fix_writes_through_a_link_inside_the_tree_where_ldconfig_reads(tree_and_decoy):
    root, decoy, directory = tree_and_decoy
    (root / "etc/ld.so.conf.d").rmdir()
    (root / "etc/alt-conf.d").mkdir()
    (root / "etc/ld.so.conf.d").symlink_to("/etc/alt-conf.d")  # absolute: inside the tree
    plan = _run("fix", "ldconfig", directory, "--sysroot", str(root))
    assert plan.returncode == 0, plan.stderr
    written = root / "etc/alt-conf.d/gpusetup-cuda.conf"
    # the plan names the very file, the link that leads there and what it will hold
    assert f"{written} (through the link /etc/ld.so.conf.d -> /etc/alt-conf.d)" in plan.stdout
    assert f"    {directory}\n" in plan.stdout and not written.exists()
    run = _run("fix", "ldconfig", directory, "--sysroot", str(root), "--apply")
    assert run.returncode == 0, run.stderr
    assert written.read_text().splitlines()[-1] == directory
    assert (root / "etc/ld.so.conf.d").is_symlink()  # the link is left as it was
    assert f"libcudart.so.12 (libc6,x86-64) => {directory}/libcudart.so.12" in real_cache(root)


@needs_root
def test_system_fix_judges_directories_where_the_tree_puts_them(tree_and_decoy, tmp_path):
    root, decoy, directory = tree_and_decoy
    build_library(decoy / "lib", "libcudart.so.12")  # a good directory, but the host's
    (root / "opt/cuda").symlink_to("/opt/cuda-12.5")
    (root / "opt/host").symlink_to(str(decoy / "lib"))
    (root / "opt/up").symlink_to("../../../../../../..")
    (root / "opt/kernel").symlink_to("/proc")
    (root / "proc/self").mkdir(parents=True)
    run = _run(
        "fix",
        "ldconfig",
        "/opt/cuda/lib64",
        "/opt/host",
        "/opt/up",
        "/opt/kernel/self",
        "--sysroot",
        str(root),
        "--apply",
    )
    assert run.returncode == 1, run.stderr
    assert "refused /opt/host: does not exist" in run.stderr
    assert "refused /opt/up: is the root directory" in run.stderr
    assert "refused /opt/kernel/self: is /proc/self" in run.stderr
    assert (root / CONF).read_text().splitlines()[1:] == ["/opt/cuda/lib64"]
    assert "=> /opt/cuda/lib64/libcudart.so.12" in real_cache(root)
    assert sorted(p.name for p in decoy.iterdir()) == ["keep.conf", "lib"]


@needs_root
@pytest.mark.parametrize("kind", ["fifo", "directory", "socket"])
def test_system_fix_never_replaces_a_file_that_is_not_regular(tree_and_decoy, kind):
    import socket

    root, _, directory = tree_and_decoy
    conf = root / CONF
    if kind == "fifo":
        os.mkfifo(conf)
    elif kind == "directory":
        conf.mkdir()
    else:
        # bound by a relative name: a deep temporary directory is longer than a socket
        # address may be (108 bytes)
        sock = socket.socket(socket.AF_UNIX)
        here = os.getcwd()
        os.chdir(conf.parent)
        try:
            sock.bind(conf.name)
        finally:
            os.chdir(here)
            sock.close()
    run = _run("fix", "ldconfig", directory, "--sysroot", str(root), "--apply")
    assert run.returncode == 2 and "only a regular file is replaced" in run.stderr
    mode = os.lstat(conf).st_mode
    assert {"fifo": stat.S_ISFIFO, "directory": stat.S_ISDIR, "socket": stat.S_ISSOCK}[kind](mode)


@needs_root
def test_a_link_or_an_edit_slipped_in_after_the_plan_stops_the_write(tree_and_decoy):
    """Between plan and write (a race): nothing is followed, nothing is lost."""
    from gpusetup.fix.ldconfig import FixError, plan_ldconfig, write_planned

    root, decoy, directory = tree_and_decoy
    plan = plan_ldconfig([directory], root)
    assert plan.add == [directory], plan.refused
    (root / "etc/ld.so.conf.d").rename(root / "etc/moved")
    (root / "etc/ld.so.conf.d").symlink_to(str(decoy))
    with pytest.raises(FixError, match="a link or file took its place"):
        write_planned(root, plan.files[0])
    _host_untouched(decoy)
    (root / "etc/ld.so.conf.d").unlink()
    (root / "etc/moved").rename(root / "etc/ld.so.conf.d")
    (root / CONF).write_text("/opt/written-meanwhile\n")
    plan = plan_ldconfig([directory], root)
    (root / CONF).write_text("/opt/written-meanwhile\n/opt/and-more\n")
    with pytest.raises(FixError, match="changed since the plan"):
        write_planned(root, plan.files[0])
    assert (root / CONF).read_text() == "/opt/written-meanwhile\n/opt/and-more\n"


# --- the commands it prints ----------------------------------------------------------------------


def _command_after(text: str, heading: str) -> list[str]:
    line = text.split(heading + "\n  ", 1)[1].split("\n", 1)[0]
    return shlex.split(line)


def test_printed_sudo_and_user_env_commands_parse_back_to_the_arguments():
    python, pythonpath = _nobody_python()
    world = Path(tempfile.mkdtemp(prefix="gpusetup-quote-", dir="/tmp"))
    try:
        marker = world / "PWNED"
        root = make_sysroot(world / f"tree 'a' \"b\" $(touch {marker}) `touch {marker}`; y")
        made = _hostile_dirs(root / "opt", marker)
        host_made = _hostile_dirs(world / "host", marker)
        for p in [world, *world.rglob("*")]:
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        inside = ["/" + os.path.relpath(p, root) for p in made.values()]
        accepted = [d for k, d in zip(HOSTILE, inside, strict=True) if k not in REFUSED_BY_CONF]
        proc = _as_nobody(
            python, pythonpath, "fix", "ldconfig", *inside, "--sysroot", str(root), "--apply"
        )
        assert proc.returncode == 1, proc.stderr
        sudo = _command_after(proc.stderr, "This needs root. Run:")
        assert sudo[0] == "sudo" and sudo[2:4] == ["-m", "gpusetup"]
        assert sudo[4:] == ["fix", "ldconfig", *accepted, "--sysroot", str(root), "--apply"]
        # the tree's paths mean nothing to this machine's environments: no hook offered
        assert "--user-env" not in proc.stderr
        assert not (root / CONF).exists()

        on_host = [host_made[k] for k in HOSTILE if k not in REFUSED_BY_CONF]
        proc = _as_nobody(python, pythonpath, "fix", "ldconfig", *on_host, "--apply")
        assert proc.returncode == 1, proc.stderr
        sudo = _command_after(proc.stderr, "This needs root. Run:")
        assert sudo[4:] == ["fix", "ldconfig", *on_host, "--apply"]
        alternative = _command_after(
            proc.stderr, "Or, without root, for the active environment only:"
        )
        assert alternative == ["gpusetup", "fix", "ldconfig", *on_host, "--user-env", "--apply"]
        assert not marker.exists()
    finally:
        shutil.rmtree(world, ignore_errors=True)
