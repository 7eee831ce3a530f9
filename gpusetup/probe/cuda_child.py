"""Child process: the CUDA driver API through ctypes (libcuda.so.1), as TensorFlow sees
it under this environment's CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER.

`cuInit` can hang on a broken driver, so it runs here, with the parent holding the
deadline; each call is announced before it is made. One JSON object per line.
Imports nothing from gpusetup.
"""

import ctypes
import json
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def loaded_library(stem):
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split(None, 5)
                if len(parts) == 6 and stem in parts[5]:
                    return parts[5].strip()
    except OSError:
        pass
    return None


def main():
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError as exc:
        emit({"load_error": str(exc)})
        emit({"done": True})
        return
    emit({"library_path": loaded_library("libcuda.so")})
    missing = [n for n in ("cuInit", "cuDeviceGetCount", "cuGetErrorName") if not hasattr(cuda, n)]
    if missing:
        emit(
            {
                "load_error": f"the libcuda.so.1 that loads lacks {', '.join(missing)}: not the "
                "driver's library"
            }
        )
        emit({"done": True})
        return

    def name_of(rc):
        text = ctypes.c_char_p()
        if cuda.cuGetErrorName(rc, ctypes.byref(text)) == 0 and text.value:
            return text.value.decode()
        return f"CUDA error {rc}"

    def call(name, ordinal, *args):
        emit({"call": name, "gpu": ordinal})
        return getattr(cuda, name)(*args)

    version = ctypes.c_int()
    if call("cuDriverGetVersion", None, ctypes.byref(version)) == 0:
        emit({"driver_version": version.value})
    rc = call("cuInit", None, 0)
    if rc != 0:
        emit({"init_error": {"code": rc, "name": name_of(rc)}})
        emit({"done": True})
        return
    count = ctypes.c_int()
    rc = call("cuDeviceGetCount", None, ctypes.byref(count))
    if rc != 0:
        emit({"init_error": {"code": rc, "name": name_of(rc)}})
        emit({"done": True})
        return
    for ordinal in range(count.value):
        device = {"ordinal": ordinal, "errors": {}}
        handle = ctypes.c_int()
        rc = call("cuDeviceGet", ordinal, ctypes.byref(handle), ordinal)
        if rc != 0:
            device["errors"]["cuDeviceGet"] = name_of(rc)
            emit({"device": device})
            continue
        buf = ctypes.create_string_buffer(256)
        rc = call("cuDeviceGetName", ordinal, buf, 256, handle)
        if rc == 0:
            device["name"] = buf.value.decode("utf-8", "replace")
        else:
            device["errors"]["cuDeviceGetName"] = name_of(rc)
        buf = ctypes.create_string_buffer(64)
        rc = call("cuDeviceGetPCIBusId", ordinal, buf, 64, handle)
        if rc == 0:
            device["pci_bus_id"] = buf.value.decode()
        else:
            device["errors"]["cuDeviceGetPCIBusId"] = name_of(rc)
        raw = (ctypes.c_ubyte * 16)()
        fn = "cuDeviceGetUuid_v2" if hasattr(cuda, "cuDeviceGetUuid_v2") else "cuDeviceGetUuid"
        rc = call(fn, ordinal, ctypes.byref(raw), handle)
        if rc == 0:
            h = bytes(raw).hex()
            prefix = "MIG-" if "MIG" in device.get("name", "") else "GPU-"
            device["uuid"] = f"{prefix}{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        else:
            device["errors"][fn] = name_of(rc)
        major, minor = ctypes.c_int(), ctypes.c_int()
        rc1 = call("cuDeviceGetAttribute", ordinal, ctypes.byref(major), 75, handle)
        rc2 = call("cuDeviceGetAttribute", ordinal, ctypes.byref(minor), 76, handle)
        if rc1 == 0 and rc2 == 0:
            device["compute_capability"] = [major.value, minor.value]
        else:
            device["errors"]["cuDeviceGetAttribute"] = name_of(rc1 or rc2)
        emit({"device": device})
    emit({"done": True})


if __name__ == "__main__":
    main()
