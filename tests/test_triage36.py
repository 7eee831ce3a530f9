"""Readings taught by the held-out samples and by glibc's own translations, each on real
pastes (quoted here verbatim with the thread's URL): cudarc's build script and its early
driver loader, xmrig's CUDA threads out of memory, and the loader's "cannot open shared
object file" printed in another language."""

from __future__ import annotations

import gettext
import sys
from pathlib import Path

import pytest

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.catalogue import anchor_hits, catalogue
from gpusetup.parse.log import straight_quotes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MESSAGES = Path(__file__).resolve().parents[1] / "checks" / "data" / "messages"
LOCALES = Path("/usr/share/locale")

# https://github.com/huggingface/candle/issues/2210 (cudarc 0.11.1 and CUDA 12.5)
CANDLE_2210 = """\
error: failed to run custom build command for `cudarc v0.11.1`

Caused by:
  process didn't exit successfully: `/home/hermes/Machine Learning/occam/target/debug/build/cudarc-c1ba24af9485b9bf/build-script-build` (exit status: 101)
  --- stdout
  cargo:rerun-if-changed=build.rs
  cargo:rerun-if-env-changed=CUDA_ROOT
  cargo:rerun-if-env-changed=CUDA_PATH
  cargo:rerun-if-env-changed=CUDA_TOOLKIT_ROOT_DIR

  --- stderr
  thread 'main' panicked at /home/hermes/.cargo/registry/src/index.crates.io-6f17d22bba15001f/cudarc-0.11.1/build.rs:54:14:
  Unsupported cuda toolkit version: `12050`. Please raise a github issue.
  note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
"""  # noqa: E501

# https://github.com/chelsea0x3b/cudarc/issues/255 (WSL; fixed with LD_LIBRARY_PATH)
CUDARC_255 = """\
thread 'main' panicked at /home/mbuehler/.cargo/registry/src/index.crates.io-6f17d22bba15001f/cudarc-0.11.5/src/driver/sys/mod.rs:61:9:
Unable to find cuda lib under the names ["cuda", "nvcuda"]. Please open GitHub issue.
"""  # noqa: E501

# https://github.com/xmrig/xmrig/issues/1595 (RTX 2070 SUPER, the default 32x80 launch)
XMRIG_1595 = """\
"dataset_host": false

nv   thread #0 failed with error <randomx_prepare>:43 "out of memory"

RTX 2070 SUPER
"""

# https://github.com/mlverse/torch/issues/1066 (R torch; CUDA 11.6 not on the library path)
RTORCH_1066 = """\
library(torch)
Warning message:
ℹ torch failed to start, restart your R session to try again.
ℹ You might need to reinstall torch using `install_torch()`
✖ /home/server/R/x86_64-pc-linux-gnu-library/4.1/torch/lib/liblantern.so
  - libcudart.so.11.0: Unable to open shared object file: there is no file or directory available
Caused by error in `cpp_lantern_init()`:
! /home/server/R/x86_64-pc-linux-gnu-library/4.1/torch/lib/liblantern.so - libcudart.so.11.0: Unable to open shared object file: there is no file or directory available
"""  # noqa: E501

# https://github.com/HIT-SCIR/ltp/issues/170 (a Chinese system's loader message)
LTP_170 = """\
Exception in thread "main" java.lang.UnsatisfiedLinkError: /home/xiaohuqi/work/ztb/libsegmentor_jni.so: libsegmentor.so.0.2.0: 无法打开共享对象文件: 没有那个文件或目录
\tat java.lang.ClassLoader$NativeLibrary.load(Native Method)
"""  # noqa: E501


def test_cudarc_build_script_that_does_not_know_the_toolkit_is_the_toolchain() -> None:
    first = triage_text(CANDLE_2210).root_causes[0]
    assert (first.family, first.id) == ("toolchain", "cudarc.unsupported-toolkit-version")
    assert first.facts["version"] == "12050"
    assert "CUDARC_CUDA_VERSION" in first.fix


def test_early_cudarc_that_loads_only_the_unversioned_libcuda_is_the_missing_link() -> None:
    first = triage_text(CUDARC_255).root_causes[0]
    assert first.family == "library-symlink"
    assert '["cuda", "nvcuda"]' in first.diagnosis


def test_xmrig_thread_out_of_memory_names_the_thread_and_the_launch_size() -> None:
    first = triage_text(XMRIG_1595).root_causes[0]
    assert (first.family, first.line) == ("out-of-memory", 3)
    assert "thread #0 in randomx_prepare" in first.diagnosis
    assert "blocks" in first.fix


def test_a_translated_loader_message_reads_as_the_english_one() -> None:
    first = triage_text(RTORCH_1066).root_causes[0]
    assert (first.family, first.id) == ("library-missing", "loader.shared-object-missing")
    assert first.facts["soname"] == "libcudart.so.11.0"
    chinese = triage_text(LTP_170).root_causes[0]
    assert (chinese.family, chinese.line) == ("library-missing", 1)
    assert chinese.facts["soname"] == "libsegmentor.so.0.2.0"


@pytest.mark.parametrize(
    ("line", "family", "entry_id"),
    [
        # glibc's own German and Russian wordings (libc.mo) of lines users print in English
        (
            "ImportError: libcudnn.so.8: Kann die Shared-Object-Datei nicht öffnen: Datei oder "
            "Verzeichnis nicht gefunden",
            "cudnn-missing",
            "loader.shared-object-missing.cudnn",
        ),
        (
            "OSError: libcuda.so.1: невозможно открыть разделяемый объектный файл: Нет такого "
            "файла или каталога",
            "driver-missing",
            "loader.shared-object-missing.libcuda",
        ),
    ],
)
def test_the_library_named_decides_in_any_language(line: str, family: str, entry_id: str) -> None:
    first = triage_text(line + "\n").root_causes[0]
    assert (first.family, first.id) == (family, entry_id)
    assert first.text == line  # the line as the user's system printed it


def test_a_needle_in_another_script_is_found_by_the_prefilter() -> None:
    # an anchor whose first character is several bytes long (CJK, Cyrillic)
    cat = catalogue()
    for needle in ("无法打开共享对象文件", "невозможно открыть разделяемый объектный файл"):
        block = f"x: libfoo.so.1: {needle}: y\n".encode()
        hits = anchor_hits(block.lower())
        assert any(needle in cat.anchors[anchor] for _, anchor in hits), needle


def test_the_translations_are_glibcs_own() -> None:
    # each phrase of the entry is glibc's translation of its loader message, as this
    # machine's glibc catalogues hold it (Debian's libc-l10n; install.sh --dev installs it)
    catalogues = sorted(LOCALES.glob("*/LC_MESSAGES/libc.mo"))
    if not catalogues:
        pytest.skip(f"no glibc message catalogues under {LOCALES} (apt install libc-l10n)")
    doc = tomllib.loads((MESSAGES / "triage32.toml").read_text(encoding="utf-8"))
    entry = next(e for e in doc["message"] if e["id"] == "loader.shared-object-missing.translated")
    theirs = set()
    for mo in catalogues:
        with mo.open("rb") as f:
            said = gettext.GNUTranslations(f).gettext("cannot open shared object file")
        if said != "cannot open shared object file":
            # as the engine reads a log: typographic quotes made straight
            theirs.add(straight_quotes(said.encode()).decode())
    assert len(theirs) >= 30
    ours = set(entry["needle"]) - {"Unable to open shared object file"}
    assert ours == theirs
