"""What the wheel tests share: wheels written by hand the way the spec describes them
(independent of gpusetup), byte-level damage to a zip, real compiled extensions, a
throw-away virtual environment, and a PyPI-shaped index on 127.0.0.1 that can misbehave
(lie about sizes, drop the connection, trickle bytes, redirect)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import shutil
import struct
import subprocess
import sys
import sysconfig
import threading
import time
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PY = f"cp{sys.version_info.major}{sys.version_info.minor}"


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    tag: str,
    files: dict[str, bytes],
    *,
    wheel_tags: list[str] | None = None,
    purelib: bool = True,
    requires_python: str | None = None,
    filename: str | None = None,
    extra_members: dict[str, bytes] | None = None,
    skip: tuple[str, ...] = (),
    wheel_file: bytes | None = None,
    metadata: bytes | None = None,
    record: bytes | None = None,
    dist_info: str | None = None,
) -> Path:
    """A wheel written by hand, the way the spec describes it (independent of gpusetup).
    ``wheel_file``, ``metadata``, ``record``: those files' bytes instead of good ones;
    ``extra_members``: added after RECORD is computed (so RECORD does not list them)."""
    directory.mkdir(parents=True, exist_ok=True)
    dist_info = dist_info or f"{name}-{version}.dist-info"
    tags = wheel_tags or [tag]
    members = dict(files)
    members[f"{dist_info}/WHEEL"] = (
        wheel_file
        or (
            "Wheel-Version: 1.0\nGenerator: gpusetup-tests\n"
            f"Root-Is-Purelib: {'true' if purelib else 'false'}\n"
            + "".join(f"Tag: {t}\n" for t in tags)
        ).encode()
    )
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if requires_python:
        meta += f"Requires-Python: {requires_python}\n"
    members[f"{dist_info}/METADATA"] = metadata or meta.encode()
    for member in skip:
        members.pop(member.format(dist_info=dist_info), None)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for member, data in members.items():
        writer.writerow((member, record_hash(data), len(data)))
    writer.writerow((f"{dist_info}/RECORD", "", ""))
    if "{dist_info}/RECORD" not in skip:
        members[f"{dist_info}/RECORD"] = record if record is not None else buf.getvalue().encode()
    members.update(extra_members or {})
    path = directory / (filename or f"{name}-{version}-{tag}.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def patch_member(
    path: Path,
    member: str,
    *,
    flags: int | None = None,
    method: int | None = None,
    file_size: int | None = None,
) -> None:
    """Change a member's general-purpose flags, compression method or uncompressed size in
    both its local header and its central directory entry (what a hostile tool writes)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, flag_at, method_at, size_at, name_len_at, header in (
        (b"PK\x03\x04", 6, 8, 22, 26, 30),
        (b"PK\x01\x02", 8, 10, 24, 28, 46),
    ):
        at = 0
        while (at := data.find(signature, at)) >= 0:
            length = struct.unpack_from("<H", data, at + name_len_at)[0]
            if bytes(data[at + header : at + header + length]) == name:
                if flags is not None:
                    struct.pack_into("<H", data, at + flag_at, flags)
                if method is not None:
                    struct.pack_into("<H", data, at + method_at, method)
                if file_size is not None:
                    struct.pack_into("<L", data, at + size_at, file_size)
            at += 4
    path.write_bytes(bytes(data))


def declare_sizes(path: Path, sizes: dict[str, int]) -> None:
    """Rewrite the central directory so that members declare these uncompressed sizes
    (ZIP64 where needed): a zip bomb's directory, without its gigabytes."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        blobs = {i.filename: zf.read(i) for i in infos}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in infos:
            zf.writestr(info.filename, blobs[info.filename])
        for info in zf.filelist:
            if info.filename in sizes:
                info.file_size = sizes[info.filename]


def claim_directory(path: Path, entries: int, size: int) -> None:
    """The end-of-central-directory record claims ``entries`` members in ``size`` bytes
    (what zipfile would then read and parse whole)."""
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HHL", data, at + 8, entries, entries, size)
    path.write_bytes(bytes(data))


def compiled_extension(tmp_path: Path, module: str) -> bytes:
    """A real CPython extension module, compiled with the system C compiler."""
    cc = shutil.which("cc") or shutil.which("gcc")
    src = tmp_path / f"{module}.c"
    src.write_text(
        "#include <Python.h>\n"
        f'static struct PyModuleDef def = {{PyModuleDef_HEAD_INIT, "{module}", NULL, -1, NULL}};\n'
        f"PyMODINIT_FUNC PyInit_{module}(void) {{ return PyModule_Create(&def); }}\n"
    )
    out = tmp_path / f"{module}.so"
    subprocess.run(
        [cc, "-shared", "-fPIC", f"-I{sysconfig.get_paths()['include']}", "-o", str(out), str(src)],
        check=True,
    )
    return out.read_bytes()


def make_venv(directory: Path) -> Path:
    """A throw-away virtual environment with pip, for real installs; its python."""
    path = directory / "env"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=300)
    return path / "bin" / "python"


def printed_by(python: Path, code: str, cwd: Path) -> str:
    """What ``code`` prints when the throw-away environment's Python runs it."""
    return subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120
    ).stdout.strip()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the index ----------------------------------------------------------------------------


@dataclass
class Route:
    """What the server answers on one path. ``length``: the Content-Length sent (None: the
    body's own; -1: none, the body ends when the connection closes); ``cut``: close the
    connection after this many bytes; ``trickle``: seconds between single bytes."""

    status: int = 200
    body: bytes = b""
    ctype: str = "application/octet-stream"
    length: int | None = None
    cut: int | None = None
    trickle: float | None = None
    location: str | None = None


class Index:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        index = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's name
                index.hits[self.path] = index.hits.get(self.path, 0) + 1
                route = index.routes.get(self.path, Route(404, b"not found", "text/plain"))
                self.send_response(route.status)
                self.send_header("Content-Type", route.ctype)
                if route.location:
                    self.send_header("Location", route.location)
                length = len(route.body) if route.length is None else route.length
                if length >= 0:
                    self.send_header("Content-Length", str(length))
                self.send_header("Connection", "close")
                self.end_headers()
                body = route.body if route.cut is None else route.body[: route.cut]
                try:
                    if route.trickle:
                        for i in range(len(body)):
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(route.trickle)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def json(self, project: str, data: dict) -> None:
        self.routes[f"/pypi/{project}/json"] = Route(
            200, json.dumps(data).encode(), "application/json"
        )

    def file(self, name: str, data: bytes, **route) -> str:
        self.routes[f"/files/{name}"] = Route(200, data, **route)
        return f"{self.url}/files/{name}"


def serve_index():
    """An Index for the length of a test (a fixture's body)."""
    served = Index()
    yield served
    served.server.shutdown()
    served.server.server_close()


def tensorflow_project(
    index: Index,
    wheel: Path,
    *,
    sha256: str | None = None,
    yanked: bool = False,
    requires_python: str | None = None,
    url: str | None = None,
    size: int | None = None,
    digests: dict | None = None,
    **route,
) -> None:
    """TensorFlow's JSON answer on ``index`` with one file, ``wheel``, served from it."""
    served = index.file(wheel.name, wheel.read_bytes(), **route)
    index.json(
        "tensorflow",
        {
            "info": {"name": "tensorflow", "version": "2.21.0"},
            "releases": {
                "2.21.0": [
                    {
                        "filename": wheel.name,
                        "url": url or served,
                        "size": wheel.stat().st_size if size is None else size,
                        "digests": {"sha256": sha256 or sha(wheel)} if digests is None else digests,
                        "yanked": yanked,
                        "yanked_reason": "broken build" if yanked else None,
                        "requires_python": requires_python,
                    }
                ]
            },
        },
    )


def stand_in_tensorflow(directory: Path, body: bytes = b"__version__ = 'stand-in'\n") -> Path:
    """A small pure wheel named tensorflow 2.21.0: what the install tests download."""
    return make_wheel(
        directory, "tensorflow", "2.21.0", "py3-none-any", {"tensorflow/__init__.py": body}
    )
