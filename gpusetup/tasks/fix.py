"""The ldconfig fix as a task: which directories to add (those given, else where the
library search found required libraries off the loader's path), the plan, and applying
it; or the no-root alternative, the active environment's activation hook."""

from __future__ import annotations

import os
from pathlib import Path

from gpusetup.facts import LibraryFacts
from gpusetup.fix.ldconfig import HookPlan, LdconfigPlan
from gpusetup.serde import record
from gpusetup.tasks.errors import BadInput


@record
class LdconfigTarget:
    #: the system tree worked on (/ for this machine)
    root: Path
    #: the directories to add, as the tree sees them
    directories: list[str]
    #: True when they were found by the library search (none were given)
    proposed: bool


def ldconfig_target(
    directories: list[str] | None,
    sysroot: str | os.PathLike[str] | None = None,
    user_env: bool = False,
    spec: str | None = None,
) -> LdconfigTarget:
    """What ``fix ldconfig`` works on; BadInput for a sysroot that is no directory or a
    sysroot with ``user_env`` (an environment of this machine)."""
    from gpusetup.fix.ldconfig import directories_to_configure
    from gpusetup.tasks.libs import library_facts

    root = Path(sysroot).resolve() if sysroot else Path("/")
    if sysroot and not root.is_dir():
        raise BadInput(f"--sysroot {sysroot} is not a directory")
    if sysroot and user_env:
        raise BadInput(
            "--user-env changes an environment of this machine; a tree's directories "
            "belong in the tree (drop --user-env)"
        )
    if directories:
        return LdconfigTarget(root, list(directories), proposed=False)
    found = directories_to_configure(library_facts(root, spec), root)
    return LdconfigTarget(root, found, proposed=True)


def plan_ldconfig(target: LdconfigTarget) -> LdconfigPlan:
    """The lines for /etc/ld.so.conf.d/gpusetup-cuda.conf, and what is refused. Raises
    FixError."""
    from gpusetup.fix import ldconfig

    return ldconfig.plan_ldconfig(target.directories, target.root)


def plan_user_env(target: LdconfigTarget, environ: dict[str, str] | None = None) -> HookPlan:
    """The active virtual or conda environment's activation hook. Raises FixError."""
    from gpusetup.fix import ldconfig

    return ldconfig.plan_user_hook(
        target.directories, dict(os.environ if environ is None else environ)
    )


def may_apply() -> bool:
    """Only root may write the linker configuration and run ldconfig."""
    return os.geteuid() == 0


def resolution(target: LdconfigTarget, spec: str | None = None) -> LibraryFacts:
    """The libraries resolved again (after a fix)."""
    from gpusetup.tasks.libs import library_facts

    return library_facts(target.root, spec)


@record
class LdconfigFix:
    """What ``fix ldconfig`` will do: the target, the plan (None: nothing was found to
    add), and whether it may go on to apply it."""

    target: LdconfigTarget
    plan: LdconfigPlan | HookPlan | None
    apply: bool
    user_env: bool

    @property
    def changes(self) -> bool:
        plan = self.plan
        if plan is None:
            return False
        return bool(plan.files) if isinstance(plan, HookPlan) else bool(plan.add)

    @property
    def needs_root(self) -> bool:
        return self.apply and self.changes and not self.user_env and not may_apply()

    @property
    def ready(self) -> bool:
        """Asked to apply, something to change, and allowed to."""
        return self.apply and self.changes and not self.needs_root

    @property
    def exit_code(self) -> int:
        """1 when a directory was refused or root is missing; else 0."""
        if self.needs_root:
            return 1
        return 1 if self.plan is not None and self.plan.refused else 0


def plan_fix(
    directories: list[str] | None = None,
    apply: bool = False,
    sysroot: str | os.PathLike[str] | None = None,
    user_env: bool = False,
    spec: str | None = None,
) -> LdconfigFix:
    """The plan of ``gpusetup fix ldconfig``: for the linker configuration (as root), or
    for the environment's activation (``user_env``). Raises BadInput, FixError."""
    target = ldconfig_target(directories, sysroot, user_env, spec)
    if target.proposed and not target.directories:
        return LdconfigFix(target, None, apply, user_env)
    plan = plan_user_env(target) if user_env else plan_ldconfig(target)
    return LdconfigFix(target, plan, apply, user_env)


@record
class AppliedFix:
    #: what ldconfig printed
    output: str
    #: the libraries resolved again afterwards (None for the environment hook)
    after: LibraryFacts | None


def apply_fix(fix: LdconfigFix, spec: str | None = None) -> AppliedFix:
    """Make the planned change (atomic, idempotent), run ldconfig and resolve the
    libraries again. Raises FixError."""
    from gpusetup.fix import ldconfig

    if isinstance(fix.plan, HookPlan):
        ldconfig.apply_user_hook(fix.plan)
        return AppliedFix("", None)
    assert fix.plan is not None and fix.ready, "apply_fix needs a plan that is ready"
    output = ldconfig.apply_ldconfig(fix.plan)
    return AppliedFix(output, resolution(fix.target, spec))
