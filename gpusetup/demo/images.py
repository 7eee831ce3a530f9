"""Uploaded images: stored privately under a generated name, decoded with Pillow, checked,
and cut to the classifier's input (the ImageNet evaluation crop).

Uploads are untrusted. Only JPEG, PNG, GIF, WebP and BMP that decode are accepted; the
pixel count is checked before the pixels are decoded (a small file can claim a huge
image); the client's file name is never used for anything on disk.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import warnings
from pathlib import Path

from gpusetup.serde import record

FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP")
#: the content types a form part may declare (browsers and curl send these for images)
CONTENT_TYPES = (
    "image/jpeg",
    "image/pjpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/x-ms-bmp",
    "application/octet-stream",
    "",
)
MAX_PIXELS = 50_000_000  # 50 megapixels; a 4000x3000 photo has 12
#: ImageNet evaluation: shorter side to size / 0.875 (256 for 224), then the centre square
CROP_FRACTION = 0.875


class ImageRejected(Exception):
    """An upload that is not an image the demo accepts; the message says why (HTTP 400)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


@record
class DecodedImage:
    format: str
    width: int
    height: int
    mode: str  # as uploaded: "RGB", "CMYK", "RGBA", "P", ...
    pixels: bytes  # size x size x 3 RGB, the classifier's input


def check_file_name(name: str) -> None:
    """A browser sends a base name; a path, a parent reference or a control character in
    the name marks a crafted request, refused so that no one relies on it being used."""
    if "/" in name or "\\" in name or ".." in name or any(ord(c) < 32 for c in name):
        raise ImageRejected(
            f"the file name {name!r} contains a path or control characters; send the "
            "file under its base name"
        )


def check_content_type(content_type: str) -> None:
    declared = content_type.split(";")[0].strip().lower()
    if declared not in CONTENT_TYPES:
        raise ImageRejected(
            f"the uploaded part is declared as {declared!r}, not an image; send a JPEG, "
            "PNG, GIF, WebP or BMP file",
            status=415,
        )


class UploadStore:
    """A private directory (mode 0700) for uploads, each under a generated name and
    deleted as soon as it is decoded; the directory goes when the server stops."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="gpusetup-demo-"))

    def decode(self, data: bytes, size: int) -> DecodedImage:
        path = self.directory / secrets.token_hex(16)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            return decode_image(path, size)
        finally:
            path.unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def decode_image(path: Path, size: int) -> DecodedImage:
    """Decode ``path`` with Pillow and return the size x size RGB centre crop."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # the size is judged below, with the reason
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageRejected(f"{_too_many_pixels()} ({exc})", status=413) from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected(
            "the file is not an image the demo reads (JPEG, PNG, GIF, WebP or BMP)"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ImageRejected(f"the image cannot be read: {exc}") from exc
    with image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageRejected(f"the image is {width}x{height} pixels: {_too_many_pixels()}", 413)
        fmt, mode = image.format or "?", image.mode
        try:
            if fmt == "JPEG":  # decode at a reduced scale where the crop allows it
                image.draft("RGB", (size * 2, size * 2))
            image.load()
            rgb = _to_rgb(ImageOps.exif_transpose(image))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise ImageRejected(f"the {fmt} image is damaged: {exc}") from exc
    return DecodedImage(fmt, width, height, mode, crop_to_input(rgb, size).tobytes())


def _too_many_pixels() -> str:
    return f"at most {MAX_PIXELS // 1_000_000} megapixels are accepted"


def _to_rgb(image):
    """RGB from any mode; transparency is laid over white, as a browser shows it."""
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def crop_to_input(image, size: int):
    """Shorter side to size / 0.875, then the centre size x size square."""
    from PIL import Image

    width, height = image.size
    scale = size / CROP_FRACTION / min(width, height)
    resized = image.resize(
        (max(size, round(width * scale)), max(size, round(height * scale))),
        Image.Resampling.BILINEAR,
        reducing_gap=3.0,
    )
    left = (resized.width - size) // 2
    top = (resized.height - size) // 2
    return resized.crop((left, top, left + size, top + size))
