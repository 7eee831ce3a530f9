"""Add library directories to the linker configuration, the lasting way.

``ldconfig DIR`` puts DIR in the cache only until the next ldconfig run (and every package
install runs one). The lasting fix is a line in a file under /etc/ld.so.conf.d followed by
``ldconfig``: that is what this module plans and, only when asked, applies. Without root it
explains the ``sudo`` command and the alternative that needs none: an activation hook that
sets LD_LIBRARY_PATH for one virtual or conda environment.

Every path is resolved before the plan is shown, inside a system tree as ``ldconfig -r``
sees it (``gpusetup.probe.paths``), so the plan names the file that will be written. A
file is written atomically (temporary file in the same directory, fsync, rename), walking
down from the root one directory at a time without following links, so a link planted
after the plan is refused instead of followed. Only regular files are replaced; a file
that changed since the plan is left alone. Running it twice changes nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shlex
import stat
import subprocess
import sys
from dataclasses import field
from pathlib import Path

from gpusetup.facts import LibraryFacts
from gpusetup.probe.inputs import InputError, read_input
from gpusetup.probe.ldconf import read_ld_so_conf
from gpusetup.probe.libraries import find_ldconfig
from gpusetup.probe.paths import HOST, Resolved, resolve_inside, rooted
from gpusetup.render.text import printable
from gpusetup.serde import record

CONF_FILE = "/etc/ld.so.conf.d/gpusetup-cuda.conf"
MAIN_CONF = "/etc/ld.so.conf"
INCLUDE_LINE = "include /etc/ld.so.conf.d/*.conf\n"
HEADER = "# Library directories added by `gpusetup fix ldconfig`.\n"
LDCONFIG_TIMEOUT_S = 120.0
HOOK_BEGIN = "# >>> gpusetup: CUDA library directories >>>"
HOOK_END = "# <<< gpusetup: CUDA library directories <<<"
HOOK_FILE = "gpusetup-cuda.sh"
#: the biggest file edited (a real activation script or configuration is a few KiB)
EDIT_READ_LIMIT = 1 << 20

WHY_NOT_LDCONFIG_DIR = (
    "Why not `ldconfig DIR`? It adds DIR to the cache only until ldconfig runs again, and "
    "every package install runs it; a line in /etc/ld.so.conf.d/ is read on every run."
)

#: kernel filesystems: never a place for libraries
PSEUDO_FILESYSTEMS = ("/proc", "/sys", "/dev")
#: what the loader expands in LD_LIBRARY_PATH (ld.so(8), "Dynamic string tokens")
_DYNAMIC_TOKEN = re.compile(r"\$(\{)?(ORIGIN|LIB|PLATFORM)(?(1)\}|\b)")
_DEACTIVATE = re.compile(r"^\s*deactivate\s*\(\)\s*\{\s*$")


class FixError(Exception):
    """The fix could not be planned or applied; the message says why and what to do."""


@record
class Refusal:
    directory: str
    reason: str


@record
class PlannedFile:
    """One file the fix writes: where, what, and what it found there when planning."""

    path: str  # as the tree sees it, every link followed: /etc/ld.so.conf.d/gpusetup-cuda.conf
    host: str  # the same file on this machine
    content: str
    before: bytes | None  # what the file held when planned; None: it does not exist yet
    #: what to show: (what is done, the text it adds)
    shown: tuple[tuple[str, str], ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # links followed to reach it
    mode: int | None = 0o644  # None: keep the file's mode
    keep_owner: bool = False  # as root, give the new file the old one's owner
    #: how many missing directories right above the file may be created (the tree's own
    #: /etc/ld.so.conf.d: 2; anything above them, the tree itself, must exist)
    make_dirs: int = 0


@record
class LdconfigPlan:
    root: str
    add: list[str] = field(default_factory=list)
    already: dict[str, str] = field(default_factory=dict)  # directory -> configured where
    refused: list[Refusal] = field(default_factory=list)
    files: list[PlannedFile] = field(default_factory=list)
    ldconfig: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.files)

    @property
    def conf_file(self) -> str:
        """The file the directories go into, on this machine."""
        return self.files[0].host if self.files else ""


def directories_to_configure(libs: LibraryFacts, root: Path = HOST) -> list[str]:
    """Directories (as seen inside ``root``) holding a required library where the loader
    does not look: what `fix ldconfig` proposes when given no directory."""
    wanted = {r.soname for r in libs.requirements}
    found: list[str] = []
    for copies in libs.copies.values():
        for copy in copies:
            if copy.soname in wanted and not copy.on_path:
                # as the tree sees it (the copies were found through the tree's root)
                directory = rooted(root, os.path.dirname(copy.path)) or os.path.dirname(copy.path)
                if directory not in found:
                    found.append(directory)
    return found


# --- which directories may be added ---------------------------------------------------------


def _control_character(text: str) -> str | None:
    for ch in text:
        if not ch.isprintable() and ch != " ":
            return printable(ch)
    return None


def check_directory(root: Path, directory: str, owners: tuple[int, ...] = (0,)) -> str | None:
    """Why ``directory`` (as the tree at ``root`` sees it) must not be put where the
    loader looks for libraries, or None. ``owners``: the users trusted to own it and every
    directory on the way to it (a directory only they can change)."""
    if not directory.startswith("/"):
        return "not an absolute path (the loader needs absolute directories)"
    bad = _control_character(directory)
    if bad:
        return f"its name holds a control character ({bad}): it cannot be written as one line"
    try:
        found = resolve_inside(root, directory)
    except OSError as exc:
        return f"cannot be looked up: {exc.strerror}"
    where = found.inside
    if where == "/":
        return "is the root directory: every file on the system would be a library candidate"
    for pseudo in PSEUDO_FILESYSTEMS:
        if where == pseudo or where.startswith(pseudo + "/"):
            return f"is {where}, under the kernel's {pseudo} filesystem, not a library directory"
    if not found.exists:
        return "does not exist"
    try:
        st = os.lstat(found.host)
    except OSError as exc:
        return f"cannot be examined: {exc.strerror}"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if st.st_mode & 0o002:
        return (
            "anyone can write to it: a library planted there would be loaded by every "
            "program (chmod o-w it first)"
        )
    if st.st_uid not in owners:
        return (
            f"owned by uid {st.st_uid}, not {_owner_names(owners)}: its owner could plant "
            "libraries that every program loads (chown root it first)"
        )
    return _unsafe_way(root, found, owners)


def _owner_names(owners: tuple[int, ...]) -> str:
    return " or ".join("root" if uid == 0 else f"uid {uid}" for uid in owners)


def _unsafe_way(root: Path, found: Resolved, owners: tuple[int, ...]) -> str | None:
    """Whether someone else can rename a directory on the way (or swap a link on it)."""
    for directory in found.searched:
        try:
            st = os.lstat(resolve_inside(root, directory).host)
        except OSError:
            continue
        open_to_all = st.st_mode & 0o002 and not st.st_mode & stat.S_ISVTX
        if open_to_all or st.st_uid not in owners:
            who = "anyone can write to it" if open_to_all else f"it is owned by uid {st.st_uid}"
            return (
                f"the directory {directory} on the way to it is not safe ({who}): whoever "
                "can change it can swap in other libraries"
            )
    return None


def conf_line_problem(directory: str) -> str | None:
    """Why glibc's ldconfig would not read ``directory`` back from a line of
    ld.so.conf.d exactly as written (``#`` starts a comment, ``=`` a library type,
    trailing blanks are dropped), or None."""
    if "#" in directory:
        return "its name holds '#': ldconfig reads the rest of the line as a comment"
    if "=" in directory:
        return "its name holds '=': ldconfig reads what follows as a library type"
    if directory != directory.rstrip(" \t"):
        return "its name ends in a blank, which ldconfig drops"
    return None


def ld_library_path_problem(directory: str) -> str | None:
    """Why ``directory`` cannot be one entry of LD_LIBRARY_PATH as written, or None: the
    loader splits the value at ':' and ';' and expands $ORIGIN, $LIB and $PLATFORM."""
    for sep in (":", ";"):
        if sep in directory:
            return f"its name holds {sep!r}, which splits LD_LIBRARY_PATH into two entries"
    token = _DYNAMIC_TOKEN.search(directory)
    if token:
        return f"its name holds {token.group(0)}, which the loader expands in LD_LIBRARY_PATH"
    return None


def _sort_directories(
    directories: list[str], root: Path, owners: tuple[int, ...], line_check
) -> tuple[list[str], list[Refusal]]:
    keep: list[str] = []
    refused: list[Refusal] = []
    for raw in directories:
        directory = os.path.normpath(raw) if raw.startswith("/") else raw
        reason = check_directory(root, directory, owners) or line_check(directory)
        if reason:
            refused.append(Refusal(raw, reason))
        elif directory not in keep:
            keep.append(directory)
    return keep, refused


# --- the files it writes ------------------------------------------------------------------------


def _plan_file(
    root: Path, path: str, change, *, make_dirs: int, must_exist: bool = False, **kw
) -> PlannedFile:
    """A PlannedFile for ``path`` of the tree, ``change(old text or None)`` -> (content,
    shown). Raises FixError when the path cannot be written safely."""
    try:
        found = resolve_inside(root, path)
    except OSError as exc:
        raise FixError(f"cannot write {path} in {root}: {exc.strerror} ({exc.filename})") from exc
    shown_path = f"{path} in {root}" if root != HOST else path
    via = "".join(f"; {link} is a link to {target}" for link, target in found.links)
    before: bytes | None = None
    if found.exists:
        try:
            before = read_input(found.host, EDIT_READ_LIMIT, "a file gpusetup edits")
        except InputError as exc:
            reason = str(exc).split(": ", 1)[-1]
            raise FixError(
                f"cannot write {shown_path} (it is {found.host}{via}): {reason}; "
                "only a regular file is replaced"
            ) from exc
    elif must_exist:
        raise FixError(f"cannot read {found.host}{via}: it does not exist")
    elif found.links and not _parent_exists(found):
        raise FixError(
            f"cannot write {shown_path}: it leads to {found.host}{via}, and its directory "
            "does not exist there (gpusetup does not create directories behind a link)"
        )
    old = before.decode("utf-8", "surrogateescape") if before is not None else None
    content, shown = change(old)
    return PlannedFile(
        found.inside,
        os.fspath(found.host),
        content,
        before,
        tuple(shown),
        found.links,
        make_dirs=0 if found.links else make_dirs,
        **kw,
    )


def _parent_exists(found: Resolved) -> bool:
    return found.host.parent.is_dir()


def write_planned(root: Path, planned: PlannedFile) -> None:
    """Replace ``planned.path`` under ``root`` atomically; raises FixError."""
    parts = [p for p in planned.path.split("/") if p]
    where = planned.host
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise FixError(f"cannot open {root}: {exc.strerror}") from exc
    directories = parts[:-1]
    creatable = len(directories) - planned.make_dirs
    try:
        for depth, name in enumerate(directories):
            child = _enter(fd, name, depth >= creatable, where)
            os.close(fd)
            fd = child
        _replace_in(fd, parts[-1], planned, where)
    finally:
        os.close(fd)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _enter(fd: int, name: str, make: bool, where: str) -> int:
    """Open the directory ``name`` in ``fd``, never through a link."""
    try:
        try:
            child = os.open(name, _DIR_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            if not make:
                raise
            os.mkdir(name, 0o755, dir_fd=fd)
            child = os.open(name, _DIR_FLAGS, dir_fd=fd)
    except OSError as exc:
        swapped = exc.errno in (errno.ELOOP, errno.ENOTDIR)
        hint = " (a link or file took its place since the plan)" if swapped else ""
        raise FixError(f"cannot write {where}: {name}: {exc.strerror}{hint}") from exc
    return child


def _replace_in(fd: int, name: str, planned: PlannedFile, where: str) -> None:
    try:
        old = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise FixError(f"cannot write {where}: {exc.strerror}") from exc
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise FixError(f"cannot write {where}: it is no longer a regular file; nothing written")
    if _current(fd, name, old) != planned.before:
        raise FixError(f"{where} changed since the plan was made; nothing written (run again)")
    tmp = f".{name}.gpusetup-{secrets.token_hex(6)}"
    try:
        out = os.open(
            tmp,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
            dir_fd=fd,
        )
    except OSError as exc:
        raise FixError(f"cannot write {where}: {exc.strerror}") from exc
    try:
        with os.fdopen(out, "wb") as fh:
            fh.write(planned.content.encode("utf-8", "surrogateescape"))
            fh.flush()
            if planned.mode is not None:
                mode = planned.mode
            else:
                mode = stat.S_IMODE(old.st_mode) if old is not None else 0o644
            os.fchmod(fh.fileno(), mode)
            if planned.keep_owner and old is not None and os.geteuid() == 0:
                os.fchown(fh.fileno(), old.st_uid, old.st_gid)
            os.fsync(fh.fileno())
        os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        os.fsync(fd)
    except OSError as exc:
        _unlink_quietly(tmp, fd)
        raise FixError(f"cannot write {where}: {exc.strerror or exc}") from exc
    except BaseException:
        _unlink_quietly(tmp, fd)
        raise


def _current(fd: int, name: str, old: os.stat_result | None) -> bytes | None:
    if old is None:
        return None
    try:
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        handle = os.open(name, flags, dir_fd=fd)
    except OSError:
        return b"\0unreadable"
    with os.fdopen(handle, "rb") as fh:
        return fh.read(EDIT_READ_LIMIT + 1)


def _unlink_quietly(name: str, fd: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name, dir_fd=fd)


# --- the system fix -----------------------------------------------------------------------------


def plan_ldconfig(directories: list[str], root: Path = HOST) -> LdconfigPlan:
    """What adding ``directories`` to the tree at ``root`` writes. Raises FixError when
    the configuration file cannot be written safely."""
    conf = read_ld_so_conf(root)
    configured = {d.path: d.source for d in conf.directories}
    candidates, refused = _sort_directories(directories, root, (0,), conf_line_problem)
    add = [d for d in candidates if d not in configured]
    already = {d: configured[d] for d in candidates if d in configured}
    files: list[PlannedFile] = []
    if add:

        def add_lines(old: str | None) -> tuple[str, list[tuple[str, str]]]:
            text = HEADER if old is None else old
            text = text if not text or text.endswith("\n") else text + "\n"
            content = text + "".join(f"{d}\n" for d in add)
            return content, [("will read", content)]

        # a bare tree (an image being built) gets its own /etc/ld.so.conf.d, nothing more
        files.append(_plan_file(root, CONF_FILE, add_lines, make_dirs=2))
        if not conf.includes_file(CONF_FILE):
            # a bare tree: its ld.so.conf does not read ld.so.conf.d yet

            def add_include(old: str | None) -> tuple[str, list[tuple[str, str]]]:
                text = old or ""
                content = (text if not text or text.endswith("\n") else text + "\n") + INCLUDE_LINE
                return content, [("does not include /etc/ld.so.conf.d; it will read", content)]

            files.append(_plan_file(root, MAIN_CONF, add_include, make_dirs=1))
    ldconfig = find_ldconfig() or "ldconfig"
    argv = [ldconfig] if root == HOST else [ldconfig, "-r", str(root)]
    return LdconfigPlan(str(root), add, already, refused, files, argv)


def apply_ldconfig(plan: LdconfigPlan) -> str:
    """Write the files and run ldconfig; returns ldconfig's output. Raises FixError."""
    if os.geteuid() != 0:
        raise FixError("changing the linker configuration needs root")
    for planned in plan.files:
        write_planned(Path(plan.root), planned)
    shown = shlex.join(plan.ldconfig)
    try:
        proc = subprocess.run(
            plan.ldconfig,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=LDCONFIG_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise FixError(f"`{shown}` did not finish within {LDCONFIG_TIMEOUT_S:g} s") from exc
    except OSError as exc:
        raise FixError(f"cannot run {plan.ldconfig[0]}: {exc.strerror or exc}") from exc
    if proc.returncode != 0:
        raise FixError(f"`{shown}` failed: {proc.stderr.strip()}")
    return (proc.stdout + proc.stderr).strip()


def _gpusetup_argv() -> list[str]:
    if sys.argv and sys.argv[0].endswith("gpusetup"):
        return [os.path.realpath(sys.argv[0])]
    return [sys.executable, "-m", "gpusetup"]


def sudo_command(directories: list[str], root: Path) -> str:
    """The command line (shell-quoted) that applies the same change as root."""
    extra = ["--sysroot", str(root)] if root != HOST else []
    argv = ["sudo", *_gpusetup_argv(), "fix", "ldconfig", *directories, *extra, "--apply"]
    return shlex.join(argv)


def user_env_command(directories: list[str]) -> str:
    """The command line (shell-quoted) that sets up the no-root alternative."""
    return shlex.join(["gpusetup", "fix", "ldconfig", *directories, "--user-env", "--apply"])


# --- the no-root alternative: an environment activation hook -----------------------------------

#: undoes the activation block; safe to run when it never ran
_RESTORE = """\
if [ -n "${_GPUSETUP_LD_ACTIVE:-}" ] ; then
    if [ -n "${_GPUSETUP_OLD_LD_LIBRARY_PATH+x}" ] ; then
        LD_LIBRARY_PATH="$_GPUSETUP_OLD_LD_LIBRARY_PATH"
        export LD_LIBRARY_PATH
    else
        unset LD_LIBRARY_PATH
    fi
    unset _GPUSETUP_OLD_LD_LIBRARY_PATH _GPUSETUP_LD_ACTIVE
fi
"""


def _activate_block(directories: list[str]) -> str:
    # one shell word, single-quoted: nothing in a directory's name is run or expanded
    value = shlex.quote(":".join(directories))
    return (
        f"{HOOK_BEGIN}\n"
        "# puts these directories first on LD_LIBRARY_PATH; deactivating restores it\n"
        f"{_RESTORE}"
        'if [ -n "${LD_LIBRARY_PATH+x}" ] ; then\n'
        '    _GPUSETUP_OLD_LD_LIBRARY_PATH="$LD_LIBRARY_PATH"\n'
        "fi\n"
        f'LD_LIBRARY_PATH={value}"${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"\n'
        "export LD_LIBRARY_PATH\n"
        "_GPUSETUP_LD_ACTIVE=1\n"
        f"{HOOK_END}\n"
    )


def _restore_block(indent: str = "") -> str:
    lines = [HOOK_BEGIN, *_RESTORE.splitlines(), HOOK_END]
    return "".join(f"{indent}{line}\n" if line else "\n" for line in lines)


@record
class HookPlan:
    kind: str  # "conda" or "venv"
    directories: list[str]
    refused: list[Refusal]
    files: list[PlannedFile]
    notes: list[str] = field(default_factory=list)


def plan_user_hook(directories: list[str], environ: dict[str, str]) -> HookPlan:
    """The activation hook for the active environment. Raises FixError when there is no
    environment or its scripts cannot be edited safely."""
    owners = tuple(sorted({0, os.geteuid()}))

    def line_check(d: str) -> str | None:
        return ld_library_path_problem(d)

    keep, refused = _sort_directories(directories, HOST, owners, line_check)
    conda = environ.get("CONDA_PREFIX")
    venv = environ.get("VIRTUAL_ENV") or (sys.prefix if sys.prefix != sys.base_prefix else None)
    if not conda and not venv:
        raise FixError(
            "no virtual or conda environment is active: activate the environment "
            "that runs TensorFlow, then run this again"
        )
    if not keep:
        return HookPlan("conda" if conda else "venv", keep, refused, [])
    if conda:
        base = f"{os.path.abspath(conda)}/etc/conda"
        activate, restore = _activate_block(keep), _restore_block()
        files = [
            _plan_file(
                HOST,
                f"{base}/{step}.d/{HOOK_FILE}",
                lambda old, text=text: (text, [("new content", text)]),
                # the environment's own etc/conda/activate.d (or deactivate.d)
                make_dirs=3,
            )
            for step, text in (("activate", activate), ("deactivate", restore))
        ]
        return HookPlan("conda", keep, refused, files)
    notes: list[str] = []

    def edit(old: str | None) -> tuple[str, list[tuple[str, str]]]:
        text, note = _edit_activate(old or "", keep)
        notes.extend(note)
        shown = [("append", _activate_block(keep))]
        if not note:
            shown.append(("insert at the start of deactivate ()", _restore_block("    ")))
        return text, shown

    path = f"{os.path.abspath(venv)}/bin/activate"
    planned = _plan_file(HOST, path, edit, make_dirs=0, must_exist=True, mode=None, keep_owner=True)
    return HookPlan("venv", keep, refused, [planned], notes)


def _edit_activate(text: str, directories: list[str]) -> tuple[str, list[str]]:
    """``bin/activate`` with this version's blocks (and no earlier one): the restore
    block first in ``deactivate ()``, the activation block at the end."""
    lines = _without_blocks(text).splitlines(keepends=True)
    notes: list[str] = []
    for i, line in enumerate(lines):
        if _DEACTIVATE.match(line):
            lines.insert(i + 1, _restore_block("    "))
            break
    else:
        notes.append(
            "this bin/activate has no deactivate () function: deactivating will not "
            "restore LD_LIBRARY_PATH"
        )
    body = "".join(lines)
    if body and not body.endswith("\n"):
        body += "\n"
    return body + _activate_block(directories), notes


def _without_blocks(text: str) -> str:
    out: list[str] = []
    inside_block = False
    for line in text.splitlines(keepends=True):
        mark = line.strip()
        if mark == HOOK_BEGIN:
            if inside_block:
                raise FixError(f"bin/activate has a '{HOOK_BEGIN}' block with no end line")
            inside_block = True
        elif mark == HOOK_END:
            if not inside_block:
                raise FixError(f"bin/activate has a '{HOOK_END}' line with no start")
            inside_block = False
        elif not inside_block:
            out.append(line)
    if inside_block:
        raise FixError(
            f"bin/activate has a '{HOOK_BEGIN}' block with no end line: remove it by hand"
        )
    return "".join(out)


def apply_user_hook(plan: HookPlan) -> None:
    for planned in plan.files:
        write_planned(HOST, planned)
