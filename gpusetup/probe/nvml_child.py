"""Child process that asks NVML (through the official binding) about every GPU.

Run as a script by ``gpusetup.probe.nvml``; it imports nothing from gpusetup so a broken
install cannot mask a driver problem. Before each driver call it prints which call it is
about to make, so when a call hangs the parent knows which one (and on which GPU), and
keeps every answer received before it. One JSON object per line on stdout.
"""

import contextlib
import json
import sys
import types


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def error_dict(pynvml, exc):
    code = getattr(exc, "value", None)
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - the binding's __str__ calls back into the library
        message = repr(exc)
    return {"error_class": type(exc).__name__, "code": code, "message": message}


def loaded_library():
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split(None, 5)[-1].strip() if line.count(" ") >= 5 else ""
                if "libnvidia-ml" in path:
                    return path
    except OSError:
        pass
    return None


def import_pynvml():
    """``import pynvml``, without the ``ctypes.util`` it imports and never calls on Linux
    (``find_library``, for Windows: that module brings ``shutil``, ``subprocess`` and
    ``tempfile``, about a fifth of this child's CPU time). A stand-in serves the import and
    loads the real module if it is called after all; it is gone once pynvml is in."""
    stand_in = types.ModuleType("ctypes.util")

    def find_library(name):
        sys.modules.pop("ctypes.util", None)
        import ctypes.util

        return ctypes.util.find_library(name)

    stand_in.find_library = find_library
    sys.modules.setdefault("ctypes.util", stand_in)
    try:
        import pynvml
    finally:
        if sys.modules.get("ctypes.util") is stand_in:
            del sys.modules["ctypes.util"]
    return pynvml


def main():
    try:
        pynvml = import_pynvml()
    except ImportError as exc:
        emit({"init_error": {"error_class": "ImportError", "code": None, "message": str(exc)}})
        emit({"done": True})
        return

    emit({"binding_path": getattr(pynvml, "__file__", None)})

    def call(name, gpu, fn, *args):
        emit({"call": name, "gpu": gpu})
        return fn(*args)

    try:
        call("nvmlInit", None, pynvml.nvmlInit)
    except pynvml.NVMLError as exc:
        emit({"library_path": loaded_library(), "init_error": error_dict(pynvml, exc)})
        emit({"done": True})
        return
    emit({"library_path": loaded_library()})

    system = {}
    for key, name, fn in (
        ("driver_version", "nvmlSystemGetDriverVersion", pynvml.nvmlSystemGetDriverVersion),
        (
            "cuda_driver_version",
            "nvmlSystemGetCudaDriverVersion_v2",
            pynvml.nvmlSystemGetCudaDriverVersion_v2,
        ),
        ("nvml_version", "nvmlSystemGetNVMLVersion", pynvml.nvmlSystemGetNVMLVersion),
    ):
        try:
            system[key] = text(call(name, None, fn))
        except pynvml.NVMLError:
            system[key] = None
    try:
        count = call("nvmlDeviceGetCount", None, pynvml.nvmlDeviceGetCount)
    except pynvml.NVMLError as exc:
        emit({"system": system, "init_error": error_dict(pynvml, exc)})
        emit({"done": True})
        return
    system["device_count"] = count
    emit({"system": system})

    def inforom(handle):
        try:
            pynvml.nvmlDeviceValidateInforom(handle)
            return True
        except pynvml.NVMLError_CorruptedInforom:
            return False

    def retired_pages(handle):
        return sum(
            len(pynvml.nvmlDeviceGetRetiredPages(handle, cause))
            for cause in (
                pynvml.NVML_PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS,
                pynvml.NVML_PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR,
            )
        )

    def pci(handle):
        info = pynvml.nvmlDeviceGetPciInfo_v3(handle)
        return {"pci_bus_id": text(info.busId), "pci_device_id": f"0x{info.pciDeviceId:08X}"}

    def mig(handle):
        current, pending = pynvml.nvmlDeviceGetMigMode(handle)
        return {"mig_current": bool(current), "mig_pending": bool(pending)}

    def remapped(handle):
        corr, unc, pending, failure = pynvml.nvmlDeviceGetRemappedRows(handle)
        return {
            "remapped_rows": {
                "corrected": corr,
                "uncorrected": unc,
                "pending": bool(pending),
                "failure": bool(failure),
            }
        }

    queries = (
        ("nvmlDeviceGetName", lambda h: {"name": text(pynvml.nvmlDeviceGetName(h))}),
        ("nvmlDeviceGetUUID", lambda h: {"uuid": text(pynvml.nvmlDeviceGetUUID(h))}),
        ("nvmlDeviceGetPciInfo", pci),
        (
            "nvmlDeviceGetCudaComputeCapability",
            lambda h: {"compute_capability": list(pynvml.nvmlDeviceGetCudaComputeCapability(h))},
        ),
        (
            "nvmlDeviceGetMemoryInfo",
            lambda h: {"memory_total_mib": int(pynvml.nvmlDeviceGetMemoryInfo(h).total) // 2**20},
        ),
        (
            "nvmlDeviceGetMinorNumber",
            lambda h: {"minor_number": pynvml.nvmlDeviceGetMinorNumber(h)},
        ),
        (
            "nvmlDeviceGetPersistenceMode",
            lambda h: {"persistence_mode": pynvml.nvmlDeviceGetPersistenceMode(h) == 1},
        ),
        ("nvmlDeviceGetMigMode", mig),
        (
            "nvmlDeviceGetRetiredPagesPendingStatus",
            lambda h: {
                "retired_pages_pending": bool(pynvml.nvmlDeviceGetRetiredPagesPendingStatus(h))
            },
        ),
        ("nvmlDeviceGetRetiredPages", lambda h: {"retired_pages": retired_pages(h)}),
        ("nvmlDeviceGetRemappedRows", remapped),
        (
            "nvmlDeviceGetTotalEccErrors",
            lambda h: {
                "ecc_volatile_uncorrected": int(
                    pynvml.nvmlDeviceGetTotalEccErrors(
                        h, pynvml.NVML_MEMORY_ERROR_TYPE_UNCORRECTED, pynvml.NVML_VOLATILE_ECC
                    )
                )
            },
        ),
        ("nvmlDeviceValidateInforom", lambda h: {"inforom_valid": inforom(h)}),
    )

    def mig_devices(index, handle, gpu):
        """The MIG devices nvidia-smi -L lists: what CUDA_VISIBLE_DEVICES can name."""
        devices = []
        try:
            slots = call(
                "nvmlDeviceGetMaxMigDeviceCount",
                index,
                pynvml.nvmlDeviceGetMaxMigDeviceCount,
                handle,
            )
            for slot in range(slots):
                try:
                    mig = call(
                        "nvmlDeviceGetMigDeviceHandleByIndex",
                        index,
                        pynvml.nvmlDeviceGetMigDeviceHandleByIndex,
                        handle,
                        slot,
                    )
                except pynvml.NVMLError_NotFound:
                    continue  # an empty slot
                device = {
                    "uuid": text(call("nvmlDeviceGetUUID", index, pynvml.nvmlDeviceGetUUID, mig))
                }
                for key, name, fn in (
                    (
                        "gpu_instance_id",
                        "nvmlDeviceGetGpuInstanceId",
                        pynvml.nvmlDeviceGetGpuInstanceId,
                    ),
                    (
                        "compute_instance_id",
                        "nvmlDeviceGetComputeInstanceId",
                        pynvml.nvmlDeviceGetComputeInstanceId,
                    ),
                ):
                    try:
                        device[key] = call(name, index, fn, mig)
                    except pynvml.NVMLError:
                        device[key] = None
                devices.append(device)
        except pynvml.NVMLError as exc:
            gpu["errors"]["nvmlDeviceGetMigDeviceHandleByIndex"] = error_dict(pynvml, exc)
            return
        gpu["mig_devices"] = devices

    for index in range(count):
        gpu = {"index": index, "not_supported": [], "not_in_driver": [], "errors": {}}
        try:
            handle = call(
                "nvmlDeviceGetHandleByIndex", index, pynvml.nvmlDeviceGetHandleByIndex, index
            )
        except pynvml.NVMLError as exc:
            gpu["errors"]["nvmlDeviceGetHandleByIndex"] = error_dict(pynvml, exc)
            emit({"device": gpu})
            continue
        for name, query in queries:
            try:
                gpu.update(call(name, index, query, handle))
            except pynvml.NVMLError_NotSupported:
                gpu["not_supported"].append(name)
            except pynvml.NVMLError_FunctionNotFound:
                # this driver's libnvidia-ml has no such entry point (an older release):
                # a value like NotSupported, not a fault of the GPU
                gpu["not_in_driver"].append(name)
            except pynvml.NVMLError as exc:
                gpu["errors"][name] = error_dict(pynvml, exc)
        if gpu.get("mig_current"):
            mig_devices(index, handle, gpu)
        emit({"device": gpu})

    with contextlib.suppress(pynvml.NVMLError):
        pynvml.nvmlShutdown()
    emit({"done": True})


if __name__ == "__main__":
    main()
