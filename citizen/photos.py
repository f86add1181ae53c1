"""A resident's photo, made safe to keep and publish.

- **Type by content**: JPEG, PNG or WebP as Pillow reads the bytes, never
  as the file name or the browser says; anything else is refused.
- **Size**: at most :data:`MAX_BYTES` uploaded and :data:`MAX_PIXELS`
  decoded (a small file can unpack into a huge image).
- **No metadata**: the pixels are decoded and encoded again as a new JPEG
  (or PNG when the photo has transparency), so EXIF — the GPS position, the
  camera, the time —, XMP, ICC profiles and comments are gone. The EXIF
  orientation is applied to the pixels first, so the photo stands as taken.
- **Resized**: the longest side at most :data:`MAX_SIDE` pixels (Lanczos).

:func:`clean` returns :class:`Photo` (the new bytes, their media type and
size) or raises :class:`Refused` with a reason a resident can act on.
"""
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600
JPEG_QUALITY = 85
FORMATS = {"JPEG", "PNG", "WEBP"}


class Refused(ValueError):
    """A photo that cannot be kept; the message says why."""


@dataclass(frozen=True)
class Photo:
    content: bytes
    media_type: str
    width: int
    height: int


def clean(data, max_bytes=MAX_BYTES, max_side=MAX_SIDE):
    """The photo in ``data`` (bytes) re-encoded without metadata and at most
    ``max_side`` pixels on its longest side; :class:`Refused` otherwise."""
    if len(data) > max_bytes:
        raise Refused(f"the photo is larger than {max_bytes // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise Refused("only JPEG, PNG or WebP photos are accepted")
            if image.width * image.height > MAX_PIXELS:
                raise Refused(f"the photo has more than {MAX_PIXELS // 1_000_000} million pixels")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as error:
        raise Refused("this is not a photo that can be read") from error
    upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    transparent = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    converted = upright.convert("RGBA" if transparent else "RGB")
    pixels = Image.frombytes(converted.mode, converted.size, converted.tobytes())  # pixels only, no info
    out = io.BytesIO()
    if transparent:
        pixels.save(out, "PNG", optimize=True)
    else:
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Photo(out.getvalue(), "image/png" if transparent else "image/jpeg", pixels.width, pixels.height)
