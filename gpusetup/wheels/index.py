"""A package index's release files, from the PyPI JSON API
(https://docs.pypi.org/api/json/: ``GET /pypi/<project>/json``), and downloading one.

Every transfer is bounded three ways: per-read timeouts, a size limit (the index answer;
a download may not exceed the size the index states) and a total deadline that retries and
a server trickling bytes cannot stretch. HTTPS only (plain HTTP for an index on this
machine), checked again on every redirect and on each file URL after it is resolved
against the index's own URL (PyPI JSON allows relative ones). A download is checked
against the index's sha256; an entry without one is refused unless verification is
turned off.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin, urlparse

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from gpusetup.serde import record

DEFAULT_INDEX = "https://pypi.org"
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 10.0, 60.0
RETRIES = 3
RETRY_STATUS = (429, 500, 502, 503, 504)
MAX_REDIRECTS = 5
MIB = 1 << 20
#: the index answer: TensorFlow's full PyPI JSON is about 2 MiB
INDEX_MAX_BYTES = 32 * MIB
INDEX_DEADLINE_S = 120.0
#: a download's deadline: this much, plus this much per MiB the index states (512 KiB/s)
DOWNLOAD_BASE_S = 60.0
DOWNLOAD_S_PER_MIB = 2.0
#: the most a download may be, and may take, when the index states no size
MAX_DOWNLOAD_BYTES = 8 << 30
UNKNOWN_SIZE_DEADLINE_S = 3600.0
CHUNK = 256 << 10
OFFLINE_HINT = (
    "Commands that need no index keep working: gpusetup wheel inspect, "
    "gpusetup wheel retag, gpusetup install --wheel FILE."
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class IndexProblem(Exception):
    """The index could not be used; the message says why."""


class CacheProblem(Exception):
    """The download cache cannot be used (a file in the way, no permission, a full disk)."""


@record
class ReleaseFile:
    version: str
    filename: str
    url: str
    sha256: str | None
    size: int | None
    requires_python: str | None
    yanked: bool
    yanked_reason: str | None = None


def _is_loopback(host: str | None) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme == "https" and parsed.hostname:
        return
    if parsed.scheme == "http" and _is_loopback(parsed.hostname):
        return
    raise IndexProblem(
        f"refusing {url[:200]}: use https (plain http only for an index on this "
        "machine, such as http://127.0.0.1:PORT)"
    )


def _session():
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = "gpusetup"
    return session


def _get(url: str, deadline: float, what: str):
    """A 200 response to GET ``url``, its body not read yet. Connection errors and
    429/5xx are retried (with back-off) while the deadline allows; redirects are
    followed by hand so that each hop is checked."""
    import requests

    check_url(url)
    host = urlparse(url).netloc
    session = _session()
    failure = None
    unreachable = True
    for attempt in range(RETRIES + 1):
        if attempt:
            time.sleep(min(0.5 * 2 ** (attempt - 1), max(0.0, deadline - time.monotonic())))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            response = _follow(session, url, deadline)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            failure = type(exc).__name__
            continue
        except requests.exceptions.RequestException as exc:
            raise IndexProblem(f"request to {host} failed: {exc}") from None
        if response.status_code in RETRY_STATUS:
            failure = f"HTTP {response.status_code}"
            unreachable = False
            response.close()
            continue
        if response.status_code != 200:
            response.close()
            raise IndexProblem(
                f"{response.url[:200]} answered HTTP {response.status_code} {response.reason}"
            )
        return response
    if failure is None:
        raise IndexProblem(f"{what} from {host}: no answer within the deadline")
    if unreachable:
        raise IndexProblem(
            f"cannot reach {host} (no network, or it is down): {failure}. {OFFLINE_HINT}"
        )
    raise IndexProblem(f"{host} kept failing ({failure}); try again later")


def _follow(session, url: str, deadline: float):
    for _ in range(MAX_REDIRECTS + 1):
        remaining = max(0.1, deadline - time.monotonic())
        response = session.get(
            url,
            timeout=(min(CONNECT_TIMEOUT_S, remaining), min(READ_TIMEOUT_S, remaining)),
            stream=True,
            allow_redirects=False,
        )
        if not response.is_redirect:
            return response
        location = urljoin(url, response.headers.get("Location", ""))
        response.close()
        check_url(location)
        url = location
    raise IndexProblem(f"{url[:200]}: more than {MAX_REDIRECTS} redirects")


def _stream_body(
    response,
    limit: int,
    deadline: float,
    write: Callable[[bytes], None],
    what: str,
    too_large: str,
) -> int:
    """Pass the body to ``write`` in chunks; IndexProblem past ``limit`` bytes, past the
    deadline, or when the connection drops. Returns the number of bytes."""
    import urllib3

    host = urlparse(response.url).netloc
    declared = response.headers.get("Content-Length")
    expected = int(declared) if declared and declared.isdigit() else None
    if expected is not None and expected > limit:
        raise IndexProblem(f"{what}: the server announces {expected:,} bytes; {too_large}")
    raw = response.raw
    done = 0
    try:
        while True:
            if time.monotonic() > deadline:
                raise IndexProblem(
                    f"{what} from {host} did not finish in time ({done:,} bytes so far); "
                    "try again, or give more time with --timeout SECONDS"
                )
            # read1: returns what has arrived, so a trickle cannot hold off the deadline
            chunk = raw.read1(CHUNK, decode_content=True)
            if not chunk:
                break
            done += len(chunk)
            if done > limit:
                raise IndexProblem(f"{what}: more than {limit:,} bytes arrived; {too_large}")
            write(chunk)
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
        raise IndexProblem(
            f"{what} from {host}: the connection broke after {done:,} bytes "
            f"({type(exc).__name__}); try again"
        ) from None
    if expected is not None and done < expected:
        raise IndexProblem(
            f"{what} from {host}: the connection closed after {done:,} of {expected:,} "
            "bytes; try again"
        )
    return done


def fetch_project(
    name: str, index_url: str = DEFAULT_INDEX, timeout_s: float | None = None
) -> tuple[dict, str]:
    """The project's JSON answer and the URL it came from (file URLs are relative to it)."""
    url = f"{index_url.rstrip('/')}/pypi/{name}/json"
    deadline = time.monotonic() + (timeout_s or INDEX_DEADLINE_S)
    try:
        response = _get(url, deadline, "the index answer")
    except IndexProblem as exc:
        if "HTTP 404" in str(exc):
            raise IndexProblem(f"no project named {name!r} on {index_url}") from None
        raise
    body = bytearray()
    with response:
        _stream_body(
            response,
            INDEX_MAX_BYTES,
            deadline,
            body.extend,
            f"the index answer {url}",
            f"gpusetup reads at most {INDEX_MAX_BYTES // MIB} MiB",
        )
    try:
        data = json.loads(bytes(body))
    except (ValueError, RecursionError):
        raise IndexProblem(f"{url} did not answer with JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("releases"), dict):
        raise IndexProblem(f"{url} is not a PyPI JSON API answer (no 'releases')")
    return data, response.url or url


def _safe_filename(name: object) -> bool:
    return (
        isinstance(name, str)
        and 0 < len(name) <= 255
        and not name.startswith(".")
        and not any(c in name for c in "/\\\x00")
        and name.isprintable()
    )


def _entry(version: str, entry: object, base_url: str) -> ReleaseFile | str:
    """One file of a release, or why it is skipped."""
    if not isinstance(entry, dict):
        return f"an entry of {version[:40]} is not an object"
    filename = entry.get("filename")
    if not _safe_filename(filename):
        return f"an entry of {version[:40]} has no usable filename ({str(filename)[:60]!r})"
    url = entry.get("url")
    if not isinstance(url, str) or not url:
        return f"{filename}: no url"
    size = entry.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        return f"{filename}: its size {str(size)[:40]!r} is not a number of bytes"
    digests = entry.get("digests") or {}
    sha256 = digests.get("sha256") if isinstance(digests, dict) else None
    if sha256 is not None and not (isinstance(sha256, str) and _SHA256.match(sha256.lower())):
        return f"{filename}: its sha256 {str(sha256)[:80]!r} is not 64 hex digits"
    requires_python = entry.get("requires_python") or None
    if requires_python is not None:
        try:
            SpecifierSet(str(requires_python))
        except InvalidSpecifier:
            return (
                f"{filename}: its Requires-Python {str(requires_python)[:80]!r} is not a "
                "valid specifier"
            )
    reason = entry.get("yanked_reason")
    return ReleaseFile(
        version=version,
        filename=filename,
        url=urljoin(base_url, url),
        sha256=sha256.lower() if sha256 else None,
        size=size,
        requires_python=str(requires_python) if requires_python else None,
        yanked=bool(entry.get("yanked")),
        yanked_reason=str(reason)[:200] if reason else None,
    )


def release_files(data: dict, base_url: str = DEFAULT_INDEX) -> tuple[list[ReleaseFile], list[str]]:
    """The release files of a JSON answer, URLs resolved against ``base_url``; and a note
    for each entry skipped (malformed, or a legacy Requires-Python that is not valid)."""
    files: list[ReleaseFile] = []
    notes: list[str] = []
    for version, entries in data.get("releases", {}).items():
        if not isinstance(entries, list):
            notes.append(f"skipped release {str(version)[:40]}: its files are not a list")
            continue
        for entry in entries:
            found = _entry(str(version), entry, base_url)
            if isinstance(found, str):
                notes.append(f"skipped {found}")
            else:
                files.append(found)
    return files, notes


def prepare_cache(cache_dir: Path) -> Path:
    """The cache directory, created if missing; CacheProblem if it cannot be used."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CacheProblem(f"the download cache {cache_dir} is not a directory") from None
    except OSError as exc:
        raise CacheProblem(
            f"cannot create the download cache {cache_dir}: {exc.strerror or exc}; "
            "choose another with --cache-dir DIR"
        ) from None
    if not cache_dir.is_dir():
        raise CacheProblem(f"the download cache {cache_dir} is not a directory")
    if not os.access(cache_dir, os.W_OK | os.X_OK):
        raise CacheProblem(
            f"cannot write the download cache {cache_dir} (permission denied); choose "
            "another with --cache-dir DIR"
        )
    return cache_dir


def download_deadline_s(size: int | None) -> float:
    if size is None:
        return UNKNOWN_SIZE_DEADLINE_S
    return DOWNLOAD_BASE_S + size / MIB * DOWNLOAD_S_PER_MIB


def download(
    file: ReleaseFile,
    cache_dir: Path,
    progress: Callable[[int, int | None], None] | None = None,
    verify: bool = True,
    timeout_s: float | None = None,
) -> Path:
    """Fetch ``file`` into ``cache_dir``: no more than the index's size, within the
    deadline, and (``verify``) with the index's sha256; otherwise nothing is kept."""
    if verify and not file.sha256:
        raise IndexProblem(
            f"the index gives no sha256 for {file.filename}, so the download cannot be "
            "checked; refusing it (--no-verify installs it unchecked)"
        )
    if not _safe_filename(file.filename):
        raise IndexProblem(f"refusing the file name {file.filename[:80]!r}")
    check_url(file.url)
    prepare_cache(cache_dir)
    target = cache_dir / file.filename
    if verify and file.sha256 and _cached_sha256(target) == file.sha256:
        return target
    limit = file.size if file.size is not None else MAX_DOWNLOAD_BYTES
    seconds = timeout_s or download_deadline_s(file.size)
    deadline = time.monotonic() + seconds
    response = _get(file.url, deadline, f"the download of {file.filename}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{file.filename}.", dir=cache_dir)
    except OSError as exc:
        response.close()
        raise CacheProblem(f"cannot write in {cache_dir}: {exc.strerror or exc}") from None
    digest = hashlib.sha256()
    done = 0
    stated = (
        f"larger than the {file.size:,} bytes the index states; the download was deleted"
        if file.size is not None
        else f"gpusetup downloads at most {MAX_DOWNLOAD_BYTES >> 30} GiB"
    )
    try:
        with os.fdopen(fd, "wb") as out, response:

            def write(chunk: bytes) -> None:
                nonlocal done
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise CacheProblem(f"cannot write {target}: {exc.strerror or exc}") from None
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, file.size)

            _stream_body(
                response, limit, deadline, write, f"the download of {file.filename}", stated
            )
        if file.size is not None and done != file.size:
            raise IndexProblem(
                f"{file.filename}: {done:,} bytes arrived, the index states {file.size:,}; "
                "the download was deleted"
            )
        if file.sha256 and digest.hexdigest() != file.sha256:
            raise IndexProblem(
                f"{file.filename}: sha256 {digest.hexdigest()} does not match the "
                f"index's {file.sha256}; the download was deleted and nothing was "
                "installed"
            )
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CacheProblem(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _cached_sha256(path: Path) -> str | None:
    """The sha256 of a regular file already in the cache (None: absent or not regular)."""
    from gpusetup.probe.inputs import InputError, open_input

    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        fh = open_input(path)
    except (OSError, InputError):
        return None
    digest = hashlib.sha256()
    with fh:
        for chunk in iter(lambda: fh.read(MIB), b""):
            digest.update(chunk)
    return digest.hexdigest()
