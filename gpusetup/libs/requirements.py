"""Which libraries TensorFlow opens: the sonames of a release (checks/data/cuda.toml and
tensorflow.toml), a library asked for by name with its pip package, and the stem that
names a library whatever its version.
"""

from __future__ import annotations

from gpusetup.facts import Requirement, TensorFlowInstall
from gpusetup.knowledge import (
    KnowledgeError,
    TensorFlowBuild,
    default_tensorflow_build,
    find_tensorflow_build,
    split_requirement,
    tensorflow_sonames,
)


def library_stem(soname: str) -> str:
    """libcudart.so.12 -> libcudart.so: one library whatever its version."""
    return soname.split(".so", 1)[0] + ".so"


def requirements_for(
    cuda: str, cudnn: str, needed_by: str, also_loads: tuple[str, ...] = ()
) -> list[Requirement]:
    """The libraries a TensorFlow built with ``cuda`` and ``cudnn`` opens, and the driver's."""
    major = cuda.split(".")[0]
    table = tensorflow_sonames()
    names = table.libraries.get(major)
    if names is None:
        raise KnowledgeError(f"no soname table for CUDA {major} in checks/data/cuda.toml")
    packages = table.pip_packages.get(major, {})
    reqs = [
        Requirement(names[component], component, needed_by, packages.get(component))
        for component in table.components + tuple(c for c in also_loads if c in names)
        if component in names
    ]
    reqs.append(
        Requirement(f"libcudnn.so.{cudnn.split('.')[0]}", "cudnn", needed_by, packages.get("cudnn"))
    )
    reqs.append(Requirement(table.driver, "driver", "the NVIDIA driver (every CUDA program)"))
    return reqs


def extra_requirement(soname: str, cuda_major: str | None = None) -> Requirement:
    """A library asked for by name (a profile, a pasted log, a missing dependency), with its
    pip package when the table knows it. The CUDA major comes from the soname table, not
    from the library's own number: libcufft.so.11 is CUDA 12's (nvidia-cufft-cu12). Where
    several majors ship the soname (libcusolver.so.11: 11 and 12), ``cuda_major`` (the
    target's) decides, else the newest."""
    table = tensorflow_sonames()
    majors = table.majors_of(soname)
    component = table.component_of(soname)
    if component is None:
        component = soname[3:].split(".so", 1)[0] if soname.startswith("lib") else soname
    major = cuda_major if cuda_major in majors else (majors[0] if majors else None)
    package = table.pip_packages.get(major, {}).get(component) if major else None
    return Requirement(soname, component, "asked for by name", package)


def target_cuda_major(requirements: list[Requirement]) -> str | None:
    """The CUDA major the requirements were made for (from their cudart's soname)."""
    table = tensorflow_sonames()
    for req in requirements:
        if req.component == "cudart":
            majors = table.majors_of(req.soname)
            return majors[0] if majors else None
    return None


def _table_build(version: str | None) -> TensorFlowBuild | None:
    if not version:
        return None
    try:
        return find_tensorflow_build(version)
    except KnowledgeError:
        return None


def choose_requirements(
    spec: str | None, python_version: str, tf: TensorFlowInstall | None
) -> tuple[str, list[Requirement]]:
    """(what the requirements come from, in words; the libraries TensorFlow opens): for
    ``spec`` (a release of the table), else the installed CUDA build, else the table's
    row of the installed release or the newest for ``python_version``."""
    if spec:
        name, version = split_requirement(spec)
        build = find_tensorflow_build(name if version is None else version)
        label = f"TensorFlow {build.version} (CUDA {build.cuda}, cuDNN {build.cudnn})"
        return f"{label}, from gpusetup's table", requirements_for(
            build.cuda, build.cudnn, label, build.also_loads
        )
    if tf and tf.is_cuda_build and tf.cuda_version and tf.cudnn_version:
        label = f"TensorFlow {tf.version} (CUDA {tf.cuda_version}, cuDNN {tf.cudnn_version})"
        row = _table_build(tf.version)
        return f"installed {label}", requirements_for(
            tf.cuda_version, tf.cudnn_version, label, row.also_loads if row else ()
        )
    build = _table_build(tf.version) if tf else None
    if build is None:
        build = default_tensorflow_build(python_version)
    if build is None:
        return f"no TensorFlow release for Python {python_version}", []
    label = f"TensorFlow {build.version} (CUDA {build.cuda}, cuDNN {build.cudnn})"
    how = "gpusetup's table"
    if tf is not None:
        how += f"; the installed {tf.distribution or 'tensorflow'} {tf.version} is a CPU-only build"
    return f"{label}, from {how}", requirements_for(
        build.cuda, build.cudnn, label, build.also_loads
    )
