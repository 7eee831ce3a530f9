"""Paths inside a system root (``GPUSETUP_SYSROOT``, ``--sysroot``) resolve as a chroot sees
them: checked against the kernel itself (a real ``chroot`` in a child process), the real
``ldconfig -r`` and the probes reading hostile trees, with a decoy on the host that must
stay out of every answer.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import build_library, make_sysroot, real_cache, rebuild_cache

from gpusetup.probe import paths

MAX_SYMLINKS = 40  # Linux's fs/namei.c
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root")


def _kernel_view(root: Path, paths: list[str]) -> list[list]:
    """What the kernel says of each path inside a real chroot: [dev, inode] or the errno."""
    code = (
        "import json, os, sys\n"
        "os.chroot(sys.argv[1]); os.chdir('/')\n"
        "out = []\n"
        "for p in json.loads(sys.argv[2]):\n"
        "    try:\n"
        "        st = os.stat(p)\n"
        "        out.append([st.st_dev, st.st_ino])\n"
        "    except OSError as exc:\n"
        "        out.append(exc.errno)\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(root), json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(proc.stdout)


def _our_view(root: Path, path: str) -> list | int:
    try:
        found = paths.resolve_inside(root, path)
    except OSError as exc:
        return exc.errno
    if not found.exists:
        return errno.ENOENT
    st = os.stat(found.host)
    return [st.st_dev, st.st_ino]


@pytest.fixture
def hostile_tree(tmp_path: Path) -> tuple[Path, Path]:
    """A tree whose links try every way out, and a host directory they aim at."""
    decoy = tmp_path / "host-decoy"  # on the host, outside the tree
    (decoy / "lib").mkdir(parents=True)
    (decoy / "lib/secret.so").write_text("host file\n")
    root = tmp_path / "tree"
    (root / "usr/lib/x86_64-linux-gnu/nvidia").mkdir(parents=True)
    (root / "usr/lib/x86_64-linux-gnu/nvidia/libcuda.so.580").write_text("tree file\n")
    (root / "etc/alternatives").mkdir(parents=True)
    (root / "opt").mkdir()
    links = {
        # the alternatives system: absolute links that only make sense inside the tree
        "etc/alternatives/libcuda.so.1": "/usr/lib/x86_64-linux-gnu/nvidia/libcuda.so.580",
        "usr/lib/x86_64-linux-gnu/libcuda.so.1": "/etc/alternatives/libcuda.so.1",
        # aimed at the host: absolute, and relative with more .. than the tree is deep
        "opt/host-abs": str(decoy),
        "opt/host-rel": "../" * 30 + str(decoy).lstrip("/"),
        "opt/dotdot": "../../../../..",
        "opt/lib-up": "../usr/../../../usr/lib",
        # loops: a link to itself, two links to each other, and a directory link loop
        "opt/self": "self",
        "opt/ping": "pong",
        "opt/pong": "/opt/ping",
        "opt/dirloop": "/opt/dirloop/x",
        "opt/dangling": "/nowhere/at/all",
    }
    for name, target in links.items():
        (root / name).symlink_to(target)
    chain = root / "opt/chain"
    chain.mkdir()
    for i in range(MAX_SYMLINKS + 1):  # chain/0 -> chain/1 -> ... -> the real file
        (chain / str(i)).symlink_to(str(i + 1) if i < MAX_SYMLINKS else "/etc/hostname")
    (root / "etc/hostname").write_text("tree\n")
    return root, decoy


CHROOT_CASES = [
    "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
    "/etc/alternatives/libcuda.so.1",
    "/opt/host-abs",
    "/opt/host-abs/lib/secret.so",
    "/opt/host-rel/lib/secret.so",
    "/opt/dotdot",
    "/opt/dotdot/etc/hostname",
    "/opt/lib-up/x86_64-linux-gnu/libcuda.so.1",
    "/../../../../etc/hostname",
    "/opt/self",
    "/opt/ping",
    "/opt/dirloop",
    "/opt/dangling",
    "/opt/chain/1",  # 40 links: the most Linux follows
    "/opt/chain/0",  # 41: ELOOP
    "/opt/missing/../../etc/hostname",
]


@needs_root
@pytest.mark.parametrize("path", CHROOT_CASES)
def test_resolver_agrees_with_the_kernel_in_a_real_chroot(hostile_tree, path):
    root, _ = hostile_tree
    (kernel,) = _kernel_view(root, [path])
    ours = _our_view(root, path)
    if path.startswith("/opt/missing/"):
        # the kernel stops at the missing name; we also say "not found", but the place we
        # name for it is still inside the tree (never reached through a host link)
        assert kernel == errno.ENOENT and ours == errno.ENOENT
        assert str(paths.resolve_inside(root, path).host) == f"{root}/etc/hostname"
        return
    assert ours == kernel, path


def test_nothing_resolves_outside_the_tree(hostile_tree):
    root, decoy = hostile_tree
    for path in CHROOT_CASES:
        try:
            found = paths.resolve_inside(root, path)
        except OSError as exc:
            assert exc.errno == errno.ELOOP, path
            continue
        assert os.path.commonpath([found.host, root]) == str(root), (path, found.host)
        assert not str(found.host).startswith(str(decoy))


def test_alternatives_link_inside_a_tree_is_followed_in_the_tree(hostile_tree):
    root, _ = hostile_tree
    found = paths.resolve_inside(root, "/usr/lib/x86_64-linux-gnu/libcuda.so.1")
    assert found.exists
    assert found.inside == "/usr/lib/x86_64-linux-gnu/nvidia/libcuda.so.580"
    assert [link for link, _ in found.links] == [
        "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
        "/etc/alternatives/libcuda.so.1",
    ]


def test_loop_limit_is_linux_maxsymlinks_on_an_injected_filesystem():
    """The pure resolver over a table (no disk): a chain of N links, N = 40 and 41."""

    def fake(n: int):
        modes = {f"/r/l{i}": 0o120777 for i in range(n)} | {"/r/end": 0o100644}
        targets = {f"/r/l{i}": (f"l{i + 1}" if i + 1 < n else "end") for i in range(n)}

        def lstat(path: str) -> os.stat_result:
            if path not in modes and path != "/r":
                raise FileNotFoundError(errno.ENOENT, "no such file", path)
            return os.stat_result((modes.get(path, 0o040755), 0, 0, 1, 0, 0, 0, 0, 0, 0))

        return lstat, targets.__getitem__

    lstat, readlink = fake(MAX_SYMLINKS)
    assert paths.resolve_inside("/r", "/l0", lstat=lstat, readlink=readlink).inside == "/end"
    lstat, readlink = fake(MAX_SYMLINKS + 1)
    with pytest.raises(OSError) as raised:
        paths.resolve_inside("/r", "/l0", lstat=lstat, readlink=readlink)
    assert raised.value.errno == errno.ELOOP


def test_glob_lists_the_tree_through_its_links(hostile_tree):
    root, decoy = hostile_tree
    (root / "etc/ld.so.conf.d").mkdir()
    (root / "etc/ld.so.conf.d/a.conf").write_text("")
    (root / "etc/ld.so.conf.d/.hidden.conf").write_text("")
    (decoy / "b.conf").write_text("")
    (root / "etc/conf-link").symlink_to(str(decoy))  # a host path, seen in the tree
    assert paths.glob_inside(root, "/etc/ld.so.conf.d/*.conf") == ["/etc/ld.so.conf.d/a.conf"]
    assert paths.glob_inside(root, "/etc/conf-link/*.conf") == []
    assert paths.glob_inside(root, "/opt/host-*/lib/*.so") == []
    assert paths.glob_inside(root, "/etc/*/libcuda.so.1") == ["/etc/alternatives/libcuda.so.1"]


def test_on_the_machine_itself_paths_are_left_to_the_kernel():
    assert paths.inside(Path("/"), "/etc/../etc/hostname") == Path("/etc/../etc/hostname")


# --- the probes that read a tree -----------------------------------------------------------


def test_host_kernel_and_pci_probes_stay_inside_the_tree(tmp_path):
    from gpusetup.probe.host import probe_host
    from gpusetup.probe.kernel import probe_kernel
    from gpusetup.probe.pci import probe_pci

    decoy = tmp_path / "decoy"
    (decoy / "devices/0000:41:00.0").mkdir(parents=True)
    (decoy / "os-release").write_text('PRETTY_NAME="HOST DECOY"\n')
    (decoy / "version").write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  999.9.9\n")
    (decoy / "modules").write_text("nvidia 1 0 - Live 0x0\n")
    for name, value in (("vendor", "0x10de"), ("device", "0xdec0"), ("class", "0x030200")):
        (decoy / "devices/0000:41:00.0" / name).write_text(value + "\n")
    root = tmp_path / "tree"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").symlink_to(str(decoy / "os-release"))
    (root / "proc/driver/nvidia").mkdir(parents=True)
    (root / "proc/driver/nvidia/version").symlink_to(str(decoy / "version"))
    (root / "proc/modules").symlink_to("../" * 20 + str(decoy / "modules").lstrip("/"))
    (root / "sys/bus/pci").mkdir(parents=True)
    (root / "sys/bus/pci/devices").symlink_to(str(decoy / "devices"))
    (root / "dev").mkdir()
    (root / "dev/nvidia0").symlink_to("/dev/null")  # the tree has no /dev/null

    assert "HOST DECOY" not in probe_host(root).os_name
    kernel = probe_kernel(root)
    assert kernel.driver_version is None and kernel.modules == []
    assert [n.readable for n in kernel.device_nodes] == [False]
    assert probe_pci(root).nvidia_devices == []

    # the same links, with the files they name present inside the tree: read from there
    (root / str(decoy).lstrip("/")).mkdir(parents=True)
    shutil.copytree(decoy, root / str(decoy).lstrip("/"), dirs_exist_ok=True)
    (root / "dev/null").write_text("")
    assert probe_host(root).os_name == "HOST DECOY"
    assert probe_kernel(root).driver_version == "999.9.9"
    assert [d.device_id for d in probe_pci(root).nvidia_devices] == ["0xdec0"]


def test_recorded_sysfs_links_resolve_inside_the_tree(tmp_path):
    """Real sysfs: /sys/bus/pci/devices/X -> ../../../devices/pci0000:00/X (relative)."""
    from gpusetup.probe.pci import probe_pci

    root = tmp_path / "tree"
    real = root / "sys/devices/pci0000:00/0000:41:00.0"
    real.mkdir(parents=True)
    for name, value in (("vendor", "0x10de"), ("device", "0x2330"), ("class", "0x030200")):
        (real / name).write_text(value + "\n")
    (root / "sys/bus/pci/drivers/nvidia").mkdir(parents=True)
    (real / "driver").symlink_to("../../../bus/pci/drivers/nvidia")
    (root / "sys/bus/pci/devices").mkdir(parents=True)
    (root / "sys/bus/pci/devices/0000:41:00.0").symlink_to(
        "../../../devices/pci0000:00/0000:41:00.0"
    )
    (device,) = probe_pci(root).nvidia_devices
    assert (device.address, device.device_id, device.driver) == ("0000:41:00.0", "0x2330", "nvidia")


def _libs(cli, root: Path) -> dict[str, dict]:
    report = cli("libs", "--json", "--for", "tensorflow==2.21", sysroot=root).json()
    return {r["soname"]: r for r in report["libraries"]}


def test_library_probe_follows_alternatives_inside_and_never_reaches_the_host(cli, tmp_path):
    root = make_sysroot(tmp_path / "tree")
    decoy = tmp_path / "host-lib"  # a real libcudart on the host, aimed at from the tree
    build_library(decoy, "libcudart.so.12", filename="libcudart.so.12.5.82")
    lib = root / "usr/lib/x86_64-linux-gnu"
    build_library(lib / "nvidia", "libcuda.so.1", filename="libcuda.so.580.95.05", link=False)
    (root / "etc/alternatives").mkdir(parents=True)
    (root / "etc/alternatives/libcuda.so.1").symlink_to(
        "/usr/lib/x86_64-linux-gnu/nvidia/libcuda.so.580.95.05"
    )
    (lib / "libcuda.so.1").symlink_to("/etc/alternatives/libcuda.so.1")
    (lib / "libcudart.so.12").symlink_to("../" * 30 + str(decoy / "libcudart.so.12").lstrip("/"))
    (lib / "libcublas.so.12").symlink_to(str(decoy / "libcudart.so.12"))
    rebuild_cache(root)  # the real ldconfig -r: it sees the tree the same way

    cache = real_cache(root)
    assert "libcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1" in cache
    assert "libcudart.so.12" not in cache

    libs = _libs(cli, root)
    cuda = libs["libcuda.so.1"]
    assert cuda["status"] == "found", cuda
    assert cuda["realpath"] == f"{lib}/nvidia/libcuda.so.580.95.05"
    for soname in ("libcudart.so.12", "libcublas.so.12"):
        assert libs[soname]["status"] == "missing", libs[soname]
        assert str(decoy) not in json.dumps(libs[soname]["path"])


def test_library_probe_survives_link_loops_in_the_tree(cli, tmp_path):
    root = make_sysroot(tmp_path / "tree")
    lib = root / "usr/lib/x86_64-linux-gnu"
    lib.mkdir(parents=True, exist_ok=True)
    (lib / "libcudart.so.12").symlink_to("libcudart.so.12")
    (root / "usr/local").mkdir(parents=True)
    (root / "usr/local/cuda").symlink_to("/usr/local/cuda")
    (root / "opt/loop").mkdir(parents=True)
    (root / "opt/loop/x").symlink_to("/opt/loop")
    report = cli("libs", "--json", "--for", "tensorflow==2.21", sysroot=root).json()
    assert {r["soname"]: r for r in report["libraries"]}["libcudart.so.12"]["status"] == "missing"
    # /usr/local/cuda loops inside the tree; this machine's own CUDA is not the tree's
    assert report["facts"]["toolchain"] == {"ptxas": [], "libdevice": []}


def test_ld_so_conf_is_read_through_the_trees_links_like_ldconfig(tmp_path):
    """A conf.d that is an absolute link, a directory named through one, names with
    spaces, commas and colons: our reader and the real ldconfig -r agree."""
    from gpusetup.probe.ldconf import read_ld_so_conf

    decoy = tmp_path / "host-conf.d"
    decoy.mkdir()
    (decoy / "host.conf").write_text(f"{tmp_path}/host-only\n")
    root = tmp_path / "tree"
    (root / "etc/alt-conf.d").mkdir(parents=True)
    (root / "etc/ld.so.conf").write_text("include /etc/ld.so.conf.d/*.conf\n")
    (root / "etc/ld.so.conf.d").symlink_to("/etc/alt-conf.d")
    (root / "etc/host.d").symlink_to(str(decoy))
    names = ["/opt/a b", "/opt/c,d", "/opt/e:f", "/opt/cuda/lib64"]
    (root / "etc/alt-conf.d/cuda.conf").write_text(
        "\n".join(names) + "\ninclude /etc/host.d/*.conf\n/opt/typed=libc6\n"
    )
    (root / "opt/cuda-12.5/lib64").mkdir(parents=True)
    (root / "opt/cuda").symlink_to("/opt/cuda-12.5")
    for i, name in enumerate(names + ["/opt/typed"]):
        real = name.replace("/opt/cuda/", "/opt/cuda-12.5/")
        build_library(root / real.lstrip("/"), f"libx{i}.so.1")
    conf = read_ld_so_conf(root)
    assert [d.path for d in conf.directories] == [*names, "/opt/typed"]
    assert all(d.exists for d in conf.directories)
    assert conf.includes == ["/etc/ld.so.conf.d/*.conf", "/etc/host.d/*.conf"]
    rebuild_cache(root)
    cache = real_cache(root)
    for i, name in enumerate(names + ["/opt/typed"]):
        assert f"libx{i}.so.1 (libc6,x86-64) => {name}/libx{i}.so.1" in cache
    assert "host-only" not in cache
