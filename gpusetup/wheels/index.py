"""A package index's release files, from the PyPI JSON API
(https://docs.pypi.org/api/json/: ``GET /pypi/<project>/json``), with timeouts, retries and
HTTPS (plain HTTP only for an index on this machine)."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_INDEX = "https://pypi.org"
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 10.0, 60.0
RETRIES = 3
OFFLINE_HINT = (
    "Commands that need no index keep working: gpusetup wheel inspect, "
    "gpusetup wheel retag, gpusetup install --wheel FILE."
)


class IndexProblem(Exception):
    """The index could not be used; the message says why."""


@dataclass(frozen=True)
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
    if parsed.scheme == "https":
        return
    if parsed.scheme == "http" and _is_loopback(parsed.hostname):
        return
    raise IndexProblem(
        f"refusing {url}: use https (plain http only for an index on this "
        "machine, such as http://127.0.0.1:PORT)"
    )


def _session():
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    retry = Retry(
        total=RETRIES,
        connect=RETRIES,
        read=RETRIES,
        backoff_factor=0.5,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=("GET",),
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "gpusetup"
    return session


def _get(url: str, stream: bool = False):
    import requests

    check_url(url)
    host = urlparse(url).netloc
    try:
        response = _session().get(url, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S), stream=stream)
    except requests.exceptions.RetryError as exc:
        raise IndexProblem(f"{host} kept failing ({exc}); try again later") from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise IndexProblem(
            f"cannot reach {host} (no network, or it is down): {type(exc).__name__}. {OFFLINE_HINT}"
        ) from None
    except requests.exceptions.RequestException as exc:
        raise IndexProblem(f"request to {host} failed: {exc}") from None
    if response.status_code != 200:
        raise IndexProblem(f"{url} answered HTTP {response.status_code} {response.reason}")
    return response


def fetch_project(name: str, index_url: str = DEFAULT_INDEX) -> dict:
    url = f"{index_url.rstrip('/')}/pypi/{name}/json"
    try:
        response = _get(url)
    except IndexProblem as exc:
        if "HTTP 404" in str(exc):
            raise IndexProblem(f"no project named {name!r} on {index_url}") from None
        raise
    try:
        data = response.json()
    except ValueError:
        raise IndexProblem(f"{url} did not answer with JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("releases"), dict):
        raise IndexProblem(f"{url} is not a PyPI JSON API answer (no 'releases')")
    return data


def release_files(data: dict) -> list[ReleaseFile]:
    files = []
    for version, entries in data["releases"].items():
        for entry in entries or []:
            try:
                files.append(
                    ReleaseFile(
                        version=version,
                        filename=entry["filename"],
                        url=entry["url"],
                        sha256=(entry.get("digests") or {}).get("sha256"),
                        size=entry.get("size"),
                        requires_python=entry.get("requires_python") or None,
                        yanked=bool(entry.get("yanked")),
                        yanked_reason=entry.get("yanked_reason"),
                    )
                )
            except (KeyError, TypeError):
                continue  # a malformed entry is not a candidate
    return files


def download(
    file: ReleaseFile, cache_dir: Path, progress: Callable[[int, int | None], None] | None = None
) -> Path:
    """Fetch ``file`` into ``cache_dir`` and check its sha256; a mismatch deletes it."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / file.filename
    if target.exists() and file.sha256 and _sha256(target) == file.sha256:
        return target
    response = _get(file.url, stream=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{file.filename}.", dir=cache_dir)
    digest = hashlib.sha256()
    done = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in response.iter_content(chunk_size=1 << 20):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, file.size)
        if file.sha256 and digest.hexdigest() != file.sha256:
            raise IndexProblem(
                f"{file.filename}: sha256 {digest.hexdigest()} does not match the "
                f"index's {file.sha256}; the download was deleted and nothing was "
                "installed"
            )
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
