"""Add library directories to the linker configuration, the lasting way.

``ldconfig DIR`` puts DIR in the cache only until the next ldconfig run (and every package
install runs one). The lasting fix is a line in a file under /etc/ld.so.conf.d followed by
``ldconfig``: that is what this module plans and, only when asked, applies. The file is
written atomically (temporary file + rename, mode 0644); other files are never touched;
running it twice changes nothing. Without root it explains the ``sudo`` command and the
alternative that needs none: an activation hook that sets LD_LIBRARY_PATH for one
virtual or conda environment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gpusetup.facts import LibraryFacts
from gpusetup.ldconf import read_ld_so_conf
from gpusetup.probe.libraries import find_ldconfig
from gpusetup.probe.paths import under

CONF_FILE = "/etc/ld.so.conf.d/gpusetup-cuda.conf"
MAIN_CONF = "/etc/ld.so.conf"
INCLUDE_LINE = "include /etc/ld.so.conf.d/*.conf\n"
HEADER = "# Library directories added by `gpusetup fix ldconfig`.\n"
LDCONFIG_TIMEOUT_S = 120.0
HOOK_BEGIN = "# >>> gpusetup: CUDA library directories >>>"
HOOK_END = "# <<< gpusetup: CUDA library directories <<<"

WHY_NOT_LDCONFIG_DIR = (
    "Why not `ldconfig DIR`? It adds DIR to the cache only until ldconfig runs again, and "
    "every package install runs it; a line in /etc/ld.so.conf.d/ is read on every run."
)


class FixError(Exception):
    """The fix could not be applied; the message says why and what to do."""


@dataclass(frozen=True)
class Refusal:
    directory: str
    reason: str


@dataclass(frozen=True)
class LdconfigPlan:
    root: str
    conf_file: str  # where the configuration goes, as a path on this machine
    add: list[str] = field(default_factory=list)
    already: dict[str, str] = field(default_factory=dict)  # directory -> configured where
    refused: list[Refusal] = field(default_factory=list)
    content: str | None = None  # the file's new content; None: nothing to write
    ldconfig: list[str] = field(default_factory=list)
    #: /etc/ld.so.conf's new content when it lacks the include of ld.so.conf.d (a bare
    #: system tree); None: it already includes it
    main_conf: str | None = None
    main_conf_file: str = ""

    @property
    def changes(self) -> bool:
        return self.content is not None


def directories_to_configure(libs: LibraryFacts, root: Path = Path("/")) -> list[str]:
    """Directories (as seen inside ``root``) holding a required library where the loader
    does not look: what `fix ldconfig` proposes when given no directory."""
    wanted = {r.soname for r in libs.requirements}
    found: list[str] = []
    for copies in libs.copies.values():
        for copy in copies:
            if copy.soname in wanted and not copy.on_path:
                directory = os.path.dirname(copy.path)
                if root != Path("/"):
                    directory = "/" + os.path.relpath(directory, root)
                if directory not in found:
                    found.append(directory)
    return found


def check_directory(root: Path, directory: str) -> str | None:
    """Why ``directory`` must not go into the linker configuration, or None."""
    if not directory.startswith("/"):
        return "not an absolute path (the loader needs absolute directories)"
    path = under(root, directory)
    try:
        st = path.stat()
    except OSError:
        return "does not exist"
    if not path.is_dir():
        return "is not a directory"
    if st.st_mode & 0o002:
        return (
            "anyone can write to it: a library planted there would be loaded by every "
            "program (chmod o-w it first)"
        )
    if st.st_uid != 0:
        return (
            f"owned by uid {st.st_uid}, not root: its owner could plant libraries that "
            "every program loads (chown root it first)"
        )
    return None


def plan_ldconfig(directories: list[str], root: Path = Path("/")) -> LdconfigPlan:
    conf_file = under(root, CONF_FILE)
    configured = {d.path: d.source for d in read_ld_so_conf(root).directories}
    add, already, refused = [], {}, []
    for raw in directories:
        directory = os.path.normpath(raw) if raw.startswith("/") else raw
        reason = check_directory(root, directory)
        if reason:
            refused.append(Refusal(raw, reason))
        elif directory in configured:
            already[directory] = configured[directory]
        elif directory not in add:
            add.append(directory)
    content = None
    if add:
        try:
            existing = conf_file.read_text()
        except FileNotFoundError:
            existing = HEADER
        lines = existing if existing.endswith("\n") or not existing else existing + "\n"
        content = lines + "".join(f"{d}\n" for d in add)
    ldconfig = find_ldconfig() or "ldconfig"
    argv = [ldconfig] if root == Path("/") else [ldconfig, "-r", str(root)]
    main_file = under(root, MAIN_CONF)
    main_conf = None
    if add:
        try:
            text = main_file.read_text()
        except FileNotFoundError:
            text = ""
        if not re.search(r"^\s*include\s+/etc/ld\.so\.conf\.d/", text, re.MULTILINE):
            main_conf = (text if not text or text.endswith("\n") else text + "\n") + INCLUDE_LINE
    return LdconfigPlan(
        str(root), str(conf_file), add, already, refused, content, argv, main_conf, str(main_file)
    )


def write_atomically(path: Path, content: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(content)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply_ldconfig(plan: LdconfigPlan) -> str:
    """Write the file and run ldconfig; returns ldconfig's output. Raises FixError."""
    if os.geteuid() != 0:
        raise FixError("changing the linker configuration needs root")
    writes = [(plan.conf_file, plan.content), (plan.main_conf_file, plan.main_conf)]
    for path, text in writes:
        if text is None:
            continue
        try:
            write_atomically(Path(path), text)
        except OSError as exc:
            raise FixError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        proc = subprocess.run(
            plan.ldconfig,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=LDCONFIG_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise FixError(
            f"`{' '.join(plan.ldconfig)}` did not finish within {LDCONFIG_TIMEOUT_S:g} s"
        ) from exc
    except OSError as exc:
        raise FixError(f"cannot run {plan.ldconfig[0]}: {exc.strerror or exc}") from exc
    if proc.returncode != 0:
        raise FixError(f"`{' '.join(plan.ldconfig)}` failed: {proc.stderr.strip()}")
    return (proc.stdout + proc.stderr).strip()


def sudo_command(directories: list[str], root: Path) -> str:
    exe = os.path.realpath(sys.argv[0]) if sys.argv and sys.argv[0].endswith("gpusetup") else None
    program = exe or f"{sys.executable} -m gpusetup"
    extra = f" --sysroot {root}" if root != Path("/") else ""
    return f"sudo {program} fix ldconfig {' '.join(directories)}{extra} --apply"


# --- the no-root alternative: an environment activation hook -------------------------------


@dataclass(frozen=True)
class HookPlan:
    kind: str  # "conda" or "venv"
    files: dict[str, str]  # path -> new content


def plan_user_hook(directories: list[str], environ: dict[str, str]) -> HookPlan:
    joined = ":".join(directories)
    conda = environ.get("CONDA_PREFIX")
    if conda:
        base = Path(conda) / "etc" / "conda"
        activate = (
            f'{HOOK_BEGIN}\nexport GPUSETUP_SAVED_LD_LIBRARY_PATH="${{LD_LIBRARY_PATH:-}}"\n'
            f'export LD_LIBRARY_PATH="{joined}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"\n'
            f"{HOOK_END}\n"
        )
        deactivate = (
            f'{HOOK_BEGIN}\nexport LD_LIBRARY_PATH="${{GPUSETUP_SAVED_LD_LIBRARY_PATH:-}}"\n'
            "unset GPUSETUP_SAVED_LD_LIBRARY_PATH\n"
            '[ -n "$LD_LIBRARY_PATH" ] || unset LD_LIBRARY_PATH\n'
            f"{HOOK_END}\n"
        )
        return HookPlan(
            "conda",
            {
                str(base / "activate.d" / "gpusetup-cuda.sh"): activate,
                str(base / "deactivate.d" / "gpusetup-cuda.sh"): deactivate,
            },
        )
    venv = environ.get("VIRTUAL_ENV") or (sys.prefix if sys.prefix != sys.base_prefix else None)
    if not venv:
        raise FixError(
            "no virtual or conda environment is active: activate the environment "
            "that runs TensorFlow, then run this again"
        )
    activate = Path(venv) / "bin" / "activate"
    try:
        text = activate.read_text()
    except OSError as exc:
        raise FixError(f"cannot read {activate}: {exc.strerror or exc}") from exc
    if HOOK_BEGIN in text and HOOK_END in text:
        head, rest = text.split(HOOK_BEGIN, 1)
        text = head.rstrip("\n") + "\n" + rest.split(HOOK_END, 1)[1].lstrip("\n")
    block = (
        f'{HOOK_BEGIN}\nexport LD_LIBRARY_PATH="{joined}${{LD_LIBRARY_PATH:+:'
        f'$LD_LIBRARY_PATH}}"\n{HOOK_END}\n'
    )
    return HookPlan("venv", {str(activate): text.rstrip("\n") + "\n" + block})


def apply_user_hook(plan: HookPlan) -> None:
    for path, content in plan.files.items():
        try:
            mode = Path(path).stat().st_mode & 0o777
        except OSError:
            mode = 0o644
        try:
            write_atomically(Path(path), content, mode)
        except OSError as exc:
            raise FixError(f"cannot write {path}: {exc.strerror or exc}") from exc
