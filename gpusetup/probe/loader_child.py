"""Child process: ask the real dynamic loader to open one soname, as TensorFlow does
(``dlopen(soname, RTLD_NOW | RTLD_LOCAL)``: what ctypes.CDLL does), and say which file
it opened. Started with LD_DEBUG=libs so the loader prints its search on stderr.
Imports nothing from gpusetup.
"""

import ctypes
import json
import sys

RTLD_DI_LINKMAP = 2


class LinkMap(ctypes.Structure):
    _fields_ = [("l_addr", ctypes.c_void_p), ("l_name", ctypes.c_char_p)]


def loaded_path(handle):
    libc = ctypes.CDLL(None)
    dlinfo = getattr(libc, "dlinfo", None)
    if dlinfo is None:
        dlinfo = ctypes.CDLL("libdl.so.2").dlinfo
    link = ctypes.POINTER(LinkMap)()
    if dlinfo(ctypes.c_void_p(handle), RTLD_DI_LINKMAP, ctypes.byref(link)) != 0:
        return None
    return link.contents.l_name.decode("utf-8", "replace")


def main():
    soname = sys.argv[1]
    try:
        lib = ctypes.CDLL(soname)
    except OSError as exc:
        result = {"ok": False, "path": None, "error": str(exc)}
    else:
        result = {"ok": True, "path": loaded_path(lib._handle), "error": None}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
