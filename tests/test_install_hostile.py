"""gpusetup install against a real HTTP index on 127.0.0.1 that misbehaves: relative file
URLs (as PyPI's JSON allows, and as the recorded tensorflow.json has them), entries
without a sha256, malformed entries and legacy Requires-Python values, responses larger
than stated or announced, connections dropped mid-download, bytes trickled slower than
the deadline, redirects off to plain HTTP, and caches that cannot be written. Network
failures are exit 1, bad input and unusable caches exit 2; nothing partial is kept."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from conftest import TESTS
from wheelkit import (
    Route,
    make_venv,
    printed_by,
    serve_index,
    sha,
    stand_in_tensorflow,
    tensorflow_project,
)


@pytest.fixture
def index():
    yield from serve_index()


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    return make_venv(tmp_path_factory.mktemp("venv"))


def install(cli, index, cache: Path, *extra: str, python: Path | None = None, **env):
    args = ["install", "tensorflow", "--index-url", index.url, "--cache-dir", str(cache)]
    if python is not None:
        args += ["--python", str(python)]
    return cli(*args, *extra, timeout=120, **env)


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_relative_file_urls_of_the_recorded_index_resolve_against_it(cli, index):
    """tests/data/pypi/tensorflow.json (recorded from a PyPI mirror) has relative URLs."""
    data = json.loads((TESTS / "data/pypi/tensorflow.json").read_text())
    assert all(f["url"].startswith("../../") for r in data["releases"].values() for f in r)
    index.json("tensorflow", data)
    run = cli("install", "tensorflow", "2.21", "--dry-run", "--index-url", index.url, "--json")
    assert run.returncode in (0, 1), run.stderr
    chosen = run.json()["choice"]["file"]
    if chosen is None:
        pytest.skip("TensorFlow 2.21 has no wheel for this Python")
    assert chosen["url"] == (
        f"{index.url}/packages/packages/"
        + next(
            f["url"] for f in data["releases"]["2.21.0"] if f["filename"] == chosen["filename"]
        ).removeprefix("../../packages/packages/")
    )


def test_a_relative_url_downloads_and_installs(cli, index, tmp_path, venv):
    wheel = stand_in_tensorflow(tmp_path / "w")
    tensorflow_project(index, wheel, url=f"../../files/{wheel.name}")
    cache = tmp_path / "cache"
    run = install(cli, index, cache, python=venv)
    assert run.returncode == 0, run.stderr
    assert index.hits[f"/files/{wheel.name}"] == 1
    assert printed_by(venv, "import tensorflow; print(tensorflow.__version__)", tmp_path) == (
        "stand-in"
    )
    subprocess.run([str(venv), "-m", "pip", "uninstall", "-y", "-q", "tensorflow"], check=True)


def test_an_entry_without_sha256_is_refused_unless_no_verify(cli, index, tmp_path, venv):
    wheel = stand_in_tensorflow(tmp_path / "w")
    tensorflow_project(index, wheel, digests={})
    cache = tmp_path / "cache"
    run = install(cli, index, cache, python=venv)
    assert run.returncode == 1
    assert "gives no sha256" in run.stderr and "--no-verify" in run.stderr
    assert f"/files/{wheel.name}" not in index.hits  # refused before downloading
    run = install(cli, index, cache, "--no-verify", python=venv)
    assert run.returncode == 0, run.stderr
    subprocess.run([str(venv), "-m", "pip", "uninstall", "-y", "-q", "tensorflow"], check=True)


@pytest.mark.parametrize(
    ("route", "message"),
    [
        # the server announces more than the index states
        ({"length": None, "pad": 5000}, "the server announces"),
        # no Content-Length: the body simply goes on past the stated size
        ({"length": -1, "pad": 5000}, "more than"),
        # Content-Length as stated, then the connection drops half-way
        ({"cut_half": True}, "the connection"),
        # the index and the server state more than arrives before the connection closes
        ({"stated_extra": 100}, "the connection"),
    ],
)
def test_downloads_that_lie_about_their_size_are_aborted_and_deleted(
    cli, index, tmp_path, route, message
):
    wheel = stand_in_tensorflow(tmp_path / "w")
    body = wheel.read_bytes()
    stated = len(body) + route.get("stated_extra", 0)
    served = body + b"\0" * route.get("pad", 0)
    kwargs = {}
    if "length" in route:
        kwargs["length"] = route["length"]
    if route.get("cut_half"):
        kwargs["cut"] = stated // 2
    if "stated_extra" in route:
        kwargs["length"] = stated
    index.routes[f"/files/{wheel.name}"] = Route(200, served, **kwargs)
    index.json(
        "tensorflow",
        {
            "releases": {
                "2.21.0": [
                    {
                        "filename": wheel.name,
                        "url": f"{index.url}/files/{wheel.name}",
                        "size": stated,
                        "digests": {"sha256": sha(wheel)},
                        "requires_python": None,
                    }
                ]
            }
        },
    )
    cache = tmp_path / "cache"
    run = install(cli, index, cache)
    assert run.returncode == 1, run.stderr
    assert message in run.stderr, run.stderr
    assert leftovers(cache) == []


def test_a_trickling_download_stops_at_the_total_deadline(cli, index, tmp_path):
    wheel = stand_in_tensorflow(tmp_path / "w")
    tensorflow_project(index, wheel, trickle=0.05)  # about 20 bytes a second
    cache = tmp_path / "cache"
    started = time.monotonic()
    run = install(cli, index, cache, "--timeout", "2")
    assert run.returncode == 1, run.stderr
    assert "did not finish in time" in run.stderr and "--timeout" in run.stderr
    assert time.monotonic() - started < 20
    assert leftovers(cache) == []


def test_a_trickling_index_answer_stops_at_the_deadline(cli, index):
    body = json.dumps({"releases": {}}).encode() + b" " * 400
    index.routes["/pypi/tensorflow/json"] = Route(200, body, "application/json", trickle=0.05)
    started = time.monotonic()
    run = cli("install", "tensorflow", "--dry-run", "--index-url", index.url, "--timeout", "1.5")
    assert run.returncode == 1 and "did not finish in time" in run.stderr, run.stderr
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (Route(200, b"", "application/json", length=1 << 30), "the server announces"),
        (Route(200, b" " * (33 << 20), "application/json", length=-1), "more than"),
        (
            Route(200, b"[" * 100_000 + b"]" * 100_000, "application/json"),
            "did not answer with JSON",
        ),
        (Route(200, b"\xff\xfe not json", "application/json"), "did not answer with JSON"),
        (Route(200, b'{"releases": [1, 2]}', "application/json"), "not a PyPI JSON API answer"),
        (Route(200, b'{"releases": {}}', "application/json", cut=5), "the connection"),
        (Route(302, b"", location="http://10.1.2.3/pypi/tensorflow/json"), "use https"),
        (Route(302, b"", location="file:///etc/shadow"), "use https"),
    ],
)
def test_hostile_index_answers_are_a_clear_exit_1(cli, index, route, message):
    index.routes["/pypi/tensorflow/json"] = route
    run = cli("install", "tensorflow", "--dry-run", "--index-url", index.url, timeout=120)
    assert run.returncode == 1, run.stderr
    assert message in run.stderr, run.stderr


def test_malformed_entries_and_legacy_requires_python_are_skipped_with_a_note(cli, index, tmp_path):
    wheel = stand_in_tensorflow(tmp_path / "w")
    good = {
        "filename": wheel.name,
        "url": f"../../files/{wheel.name}",
        "size": wheel.stat().st_size,
        "digests": {"sha256": sha(wheel)},
        "requires_python": ">=3.8",
    }
    index.file(wheel.name, wheel.read_bytes())
    releases = {
        "2.24.0": [
            dict(good, filename="tensorflow-2.24.0-py3-none-any.whl", requires_python=">=3.5.*")
        ],  # nltk 3.6's, pypa/pip-audit#445
        "2.23.0": [
            dict(good, filename="tensorflow-2.23.0-py3-none-any.whl", requires_python="!=3.0*")
        ],  # pyzmq 18.0.2's, python-morgan/morgan#34
        "2.22.5": "not a list",
        "2.22.4": ["not an object", None, 7],
        "2.22.3": [dict(good, filename="../../../etc/cron.d/x.whl")],
        "2.22.2": [dict(good, size="big")],
        "2.22.1": [dict(good, digests={"sha256": "xyz"})],
        "2.22.0": [dict(good, url=None)],
        "2.21.0": [good],
    }
    index.json("tensorflow", {"releases": releases})
    run = cli("install", "tensorflow", "--dry-run", "--index-url", index.url, "--json")
    assert run.returncode == 0, run.stderr
    data = run.json()
    assert data["choice"]["file"]["version"] == "2.21.0"
    assert data["choice"]["file"]["url"] == f"{index.url}/files/{wheel.name}"
    notes = "\n".join(data["notes"])
    assert "Requires-Python '>=3.5.*' is not a valid specifier" in notes
    assert "Requires-Python '!=3.0*' is not a valid specifier" in notes
    assert "release 2.22.5: its files are not a list" in notes
    assert "no usable filename ('../../../etc/cron.d/x.whl')" in notes
    assert "its size 'big' is not a number of bytes" in notes
    assert "its sha256 'xyz' is not 64 hex digits" in notes
    assert "no url" in notes
    console = cli("install", "tensorflow", "--dry-run", "--index-url", index.url)
    assert console.returncode == 0 and "note: skipped" in console.stderr


@pytest.mark.parametrize("kind", ["cache-dir-is-a-file", "xdg-unwritable", "home-is-a-file"])
def test_an_unusable_cache_is_exit_2_with_the_way_out(cli, index, tmp_path, kind):
    wheel = stand_in_tensorflow(tmp_path / "w")
    tensorflow_project(index, wheel)
    a_file = tmp_path / "a-file"
    a_file.write_text("keep")
    base = ["install", "tensorflow", "--index-url", index.url]
    if kind == "cache-dir-is-a-file":
        run = cli(*base, "--cache-dir", str(a_file))
        assert "is not a directory" in run.stderr
    elif kind == "xdg-unwritable":
        run = cli(*base, XDG_CACHE_HOME="/sys/gpusetup-test-cache")
        assert "cannot create the download cache" in run.stderr and "--cache-dir" in run.stderr
    else:
        run = cli(*base, HOME=str(a_file), XDG_CACHE_HOME="")
        assert "download cache" in run.stderr and "--cache-dir" in run.stderr
    assert run.returncode == 2, run.stderr
    assert a_file.read_text() == "keep"


def test_a_file_url_in_the_index_is_refused(cli, index, tmp_path):
    wheel = stand_in_tensorflow(tmp_path / "w")
    tensorflow_project(index, wheel, url="file:///etc/passwd")
    run = install(cli, index, tmp_path / "cache")
    assert run.returncode == 1 and "refusing file:///etc/passwd" in run.stderr
