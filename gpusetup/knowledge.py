"""The declarative knowledge in ``checks/``: compatibility tables and validation profiles.

``checks/`` ships inside the wheel as ``gpusetup/_checks``; from a source checkout (editable
install, ``PYTHONPATH=.``) it is read where it stands. Profiles are validated on load: an
unknown key or a wrong type names the file, the key and what was expected.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


class KnowledgeError(Exception):
    """A data table or profile is missing or malformed."""


def checks_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_checks", here.parent / "checks"):
        if (candidate / "data").is_dir():
            return candidate
    raise KnowledgeError(
        f"gpusetup's data directory is missing (looked in {here / '_checks'} and "
        f"{here.parent / 'checks'}); reinstall gpusetup"
    )


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise KnowledgeError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{path} is not valid TOML: {exc}") from exc


# --- compatibility tables ------------------------------------------------------------------


@dataclass(frozen=True)
class TensorFlowBuild:
    version: str
    python: str
    cuda: str
    cudnn: str
    min_compute_capability: str
    unverified: tuple[str, ...] = ()

    def supports_python(self, python_version: str) -> bool:
        return Version(python_version) in SpecifierSet(self.python)


@dataclass(frozen=True)
class CudaTable:
    toolkit_min_driver: dict[str, str]
    major_floor_driver: dict[str, str]
    major_min_compute_capability: dict[str, str]
    source: str


@cache
def tensorflow_builds() -> tuple[TensorFlowBuild, ...]:
    path = checks_dir() / "data" / "tensorflow.toml"
    data = read_toml(path)
    builds = []
    for i, row in enumerate(data.get("build", [])):
        try:
            build = TensorFlowBuild(
                version=str(row["version"]),
                python=str(row["python"]),
                cuda=str(row["cuda"]),
                cudnn=str(row["cudnn"]),
                min_compute_capability=str(row["min_compute_capability"]),
                unverified=tuple(row.get("unverified", ())),
            )
            SpecifierSet(build.python)
        except (KeyError, InvalidSpecifier) as exc:
            raise KnowledgeError(f"{path}: build #{i + 1} is malformed ({exc})") from exc
        builds.append(build)
    return tuple(sorted(builds, key=lambda b: Version(b.version), reverse=True))


@cache
def cuda_table() -> CudaTable:
    path = checks_dir() / "data" / "cuda.toml"
    data = read_toml(path)
    try:
        return CudaTable(
            toolkit_min_driver=dict(data["toolkit_min_driver"]),
            major_floor_driver=dict(data["major_floor_driver"]),
            major_min_compute_capability=dict(data["major_min_compute_capability"]),
            source=str(data["meta"]["source"]),
        )
    except KeyError as exc:
        raise KnowledgeError(f"{path}: missing table {exc}") from exc


@dataclass(frozen=True)
class SonameTable:
    driver: str
    #: CUDA major -> component -> soname
    cuda: dict[str, dict[str, str]]
    #: CUDA major -> component -> pip distribution that provides it
    pip_packages: dict[str, dict[str, str]]


@cache
def tensorflow_sonames() -> SonameTable:
    path = checks_dir() / "data" / "cuda.toml"
    data = read_toml(path)
    try:
        table = data["tensorflow_sonames"]
        return SonameTable(
            driver=str(table["driver"]),
            cuda={
                major: {k: str(v) for k, v in names.items() if k != "unverified"}
                for major, names in table["cuda"].items()
            },
            pip_packages={major: dict(v) for major, v in data.get("pip_packages", {}).items()},
        )
    except (KeyError, AttributeError) as exc:
        raise KnowledgeError(f"{path}: malformed [tensorflow_sonames] ({exc})") from exc


def find_tensorflow_build(version: str) -> TensorFlowBuild:
    """The table row for ``2.21`` (or ``2.21.0``, ``==2.21.*``)."""
    wanted = version.strip().lstrip("=").rstrip(".*")
    try:
        release = Version(wanted).release[:2]
    except InvalidVersion:
        raise KnowledgeError(f"{version!r} is not a TensorFlow version") from None
    for build in tensorflow_builds():
        if Version(build.version).release[:2] == release:
            return build
    known = ", ".join(b.version for b in tensorflow_builds())
    raise KnowledgeError(f"TensorFlow {version} is not in gpusetup's table (known: {known})")


def default_tensorflow_build(python_version: str) -> TensorFlowBuild | None:
    """The newest TensorFlow release that ships wheels for this Python."""
    for build in tensorflow_builds():
        if build.supports_python(python_version):
            return build
    return None


def driver_at_least(driver: str, minimum: str) -> bool:
    """Compare NVIDIA driver versions (``580.95.05``) numerically, field by field."""
    return _driver_key(driver) >= _driver_key(minimum)


def _driver_key(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.strip().split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def parse_cc(text: str) -> tuple[int, int]:
    major, _, minor = text.strip().partition(".")
    return int(major), int(minor or 0)


# --- profiles ------------------------------------------------------------------------------

SEVERITIES = ("warn", "fail", "off")

#: section -> key -> (type, description of what is expected, default)
PROFILE_SCHEMA: dict[str, dict[str, tuple[Any, str, Any]]] = {
    "profile": {
        "description": (str, "a string", ""),
        "strict": (bool, "true or false (warnings fail the run)", False),
    },
    "target": {
        "tensorflow": (str, 'a TensorFlow version such as "2.21", or ""', ""),
    },
    "gpu": {
        "min_compute_capability": (str, 'a compute capability such as "8.0", or ""', ""),
        "expected_count": (int, "a non-negative integer (0: any number)", 0),
        "model_pattern": (str, 'a regular expression every GPU name must match, or ""', ""),
    },
    "driver": {
        "min_version": (str, 'a driver version such as "550.54.14", or ""', ""),
    },
    "framework": {
        "required": (str, 'one of "", "tensorflow"', ""),
        "gpu_build": (bool, "true or false (the framework must be a GPU build)", False),
    },
    "libraries": {
        "required": (list, 'a list of sonames such as ["libnccl.so.2"]', []),
    },
    "checks": {
        "persistence_mode": (str, 'one of "warn", "fail", "off"', "warn"),
    },
    "health": {
        "max_retired_pages": (int, "a non-negative integer", 63),
        "volatile_uncorrectable_ecc": (str, 'one of "warn", "fail", "off"', "warn"),
    },
    "smoke": {
        "required": (
            bool,
            "true or false (the smoke inference must run and pass on every GPU)",
            False,
        ),
        "max_latency_ms": ((int, float), "a non-negative number of milliseconds (0: no bound)", 0),
    },
}


class ProfileError(KnowledgeError):
    """A profile that cannot be used; the message names file, key and expectation."""


@dataclass(frozen=True)
class Profile:
    name: str
    path: str
    description: str
    strict: bool
    tensorflow: str
    min_compute_capability: str
    expected_count: int
    model_pattern: str
    min_driver: str
    framework: str
    framework_gpu_build: bool
    required_libraries: tuple[str, ...]
    persistence_mode: str
    max_retired_pages: int
    volatile_uncorrectable_ecc: str
    smoke_required: bool
    max_latency_ms: float


def list_profiles() -> list[str]:
    return sorted(p.stem for p in (checks_dir() / "profiles").glob("*.toml"))


#: the most gpusetup reads of a profile file (the shipped ones are about 2 KiB)
PROFILE_FILE_LIMIT = 1 << 20

_DRIVER_VERSION = re.compile(r"\d{1,4}(?:\.\d{1,4}){0,3}")
_COMPUTE_CAPABILITY = re.compile(r"\d{1,2}(?:\.\d{1,2})?")
#: a soname, not a path: libnccl.so.2, libfoo-1.2.so
_SONAME = re.compile(r"lib[\w+.-]*\.so(?:\.\d+)*|[\w+-][\w+.-]*\.so(?:\.\d+)*")


def _read_profile_file(path: Path) -> dict[str, Any]:
    """A user's profile: a bounded read of a regular file, strict UTF-8, any TOML error
    (nesting deeper than the parser takes included) named with the file."""
    from gpusetup.probe.inputs import InputError, read_input

    try:
        raw = read_input(path, PROFILE_FILE_LIMIT, "a profile")
    except InputError as exc:
        raise ProfileError(str(exc)) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(
            f"{path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path} is not valid TOML: {exc}") from exc
    except RecursionError:
        raise ProfileError(f"{path} is not a profile: it nests too deeply") from None


def load_profile(name_or_path: str = "default") -> Profile:
    """A shipped profile by name, or a profile file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or "/" in name_or_path:
        return _validate_profile(candidate, _read_profile_file(candidate))
    path = checks_dir() / "profiles" / f"{name_or_path}.toml"
    if not name_or_path or not path.is_file():
        raise ProfileError(
            f"no profile named {name_or_path!r} (shipped: {', '.join(list_profiles())}; "
            "or give a path to a .toml file)"
        )
    return _validate_profile(path, read_toml(path))


def _validate_profile(path: Path, data: dict[str, Any]) -> Profile:
    values: dict[tuple[str, str], Any] = {}
    for section, content in data.items():
        if section not in PROFILE_SCHEMA:
            raise ProfileError(
                f"{path}: unknown section [{section}] (expected one of: "
                f"{', '.join(PROFILE_SCHEMA)})"
            )
        if not isinstance(content, dict):
            raise ProfileError(f"{path}: [{section}] must be a table")
        for key, value in content.items():
            spec = PROFILE_SCHEMA[section].get(key)
            if spec is None:
                raise ProfileError(
                    f"{path}: unknown key {section}.{key} (expected one of: "
                    f"{', '.join(PROFILE_SCHEMA[section])})"
                )
            expected_type, expectation, _ = spec
            wants_bool = expected_type is bool
            if not isinstance(value, expected_type) or isinstance(value, bool) != wants_bool:
                raise ProfileError(f"{path}: {section}.{key} = {value!r}: expected {expectation}")
            if expected_type is list and not all(isinstance(v, str) for v in value):
                raise ProfileError(f"{path}: {section}.{key} = {value!r}: expected {expectation}")
            values[(section, key)] = value
    for section, keys in PROFILE_SCHEMA.items():
        for key, (_, _, default) in keys.items():
            values.setdefault((section, key), default)

    def bad(section: str, key: str) -> ProfileError:
        return ProfileError(
            f"{path}: {section}.{key} = {values[(section, key)]!r}: expected "
            f"{PROFILE_SCHEMA[section][key][1]}"
        )

    for section, key in (("checks", "persistence_mode"), ("health", "volatile_uncorrectable_ecc")):
        if values[(section, key)] not in SEVERITIES:
            raise bad(section, key)
    for section, key in (
        ("health", "max_retired_pages"),
        ("gpu", "expected_count"),
        ("smoke", "max_latency_ms"),
    ):
        # nan is a TOML float: it compares false with everything, so it is refused here
        if not 0 <= values[(section, key)] < float("inf"):
            raise bad(section, key)
    if values[("gpu", "min_compute_capability")] and not _COMPUTE_CAPABILITY.fullmatch(
        values[("gpu", "min_compute_capability")]
    ):
        raise bad("gpu", "min_compute_capability")
    if values[("driver", "min_version")] and not _DRIVER_VERSION.fullmatch(
        values[("driver", "min_version")]
    ):
        raise bad("driver", "min_version")
    for soname in values[("libraries", "required")]:
        if not _SONAME.fullmatch(soname):
            raise ProfileError(
                f"{path}: libraries.required: {soname!r} is not a soname (expected "
                f"{PROFILE_SCHEMA['libraries']['required'][1]})"
            )
    if values[("gpu", "model_pattern")]:
        try:
            re.compile(values[("gpu", "model_pattern")])
        except re.error:
            raise bad("gpu", "model_pattern") from None
    if values[("framework", "required")] not in ("", "tensorflow"):
        raise bad("framework", "required")
    if values[("target", "tensorflow")]:
        try:
            find_tensorflow_build(values[("target", "tensorflow")])
        except KnowledgeError as exc:
            raise ProfileError(f"{path}: target.tensorflow: {exc}") from None
    v = values
    return Profile(
        name=path.stem,
        path=str(path),
        description=v[("profile", "description")],
        strict=v[("profile", "strict")],
        tensorflow=v[("target", "tensorflow")],
        min_compute_capability=v[("gpu", "min_compute_capability")],
        expected_count=v[("gpu", "expected_count")],
        model_pattern=v[("gpu", "model_pattern")],
        min_driver=v[("driver", "min_version")],
        framework=v[("framework", "required")],
        framework_gpu_build=v[("framework", "gpu_build")],
        required_libraries=tuple(v[("libraries", "required")]),
        persistence_mode=v[("checks", "persistence_mode")],
        max_retired_pages=v[("health", "max_retired_pages")],
        volatile_uncorrectable_ecc=v[("health", "volatile_uncorrectable_ecc")],
        smoke_required=v[("smoke", "required")],
        max_latency_ms=float(v[("smoke", "max_latency_ms")]),
    )
