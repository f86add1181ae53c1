"""Photos are kept only as re-encoded pixels: no EXIF (GPS) left, the right
way up, at most 1 600 px, refused when they are not photos or too large."""
import io

import pytest
from PIL import Image

from ckanext.maemoh.citizen import photos

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _jpeg(width=3000, height=2000, orientation=None, colour=(200, 30, 30)):
    image = Image.new("RGB", (width, height), colour)
    image.paste((20, 20, 220), (0, 0, width // 4, height // 4))  # a mark in the top-left corner
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (18.0, 17.0, 30.0), 3: "E", 4: (99.0, 44.0, 10.0)})
    if orientation:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"taken at home")
    return out.getvalue()


def test_gps_and_all_metadata_are_gone_and_the_size_is_capped():
    original = _jpeg()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(GPS_IFD)  # the test photo does carry a position
    cleaned = photos.clean(original)
    assert cleaned.media_type == "image/jpeg" and (cleaned.width, cleaned.height) == (1600, 1067)
    with Image.open(io.BytesIO(cleaned.content)) as after:
        assert not after.getexif() and "exif" not in after.info and "comment" not in after.info
        assert "icc_profile" not in after.info
    assert b"PhoneMaker" not in cleaned.content and b"taken at home" not in cleaned.content


def test_the_photo_stands_as_it_was_taken():
    cleaned = photos.clean(_jpeg(400, 200, orientation=6))  # rotated 90° by the camera
    assert (cleaned.width, cleaned.height) == (200, 400)
    with Image.open(io.BytesIO(cleaned.content)) as after:
        red, green, blue = after.convert("RGB").getpixel((190, 10))  # the mark moved to the top right
        assert blue > 150 and red < 100


def test_transparent_png_stays_png_and_small_photos_keep_their_size():
    image = Image.new("RGBA", (300, 200), (0, 128, 0, 100))
    out = io.BytesIO()
    image.save(out, "PNG")
    cleaned = photos.clean(out.getvalue())
    assert cleaned.media_type == "image/png" and (cleaned.width, cleaned.height) == (300, 200)


@pytest.mark.parametrize("data, reason", [
    (b"GIF89a" + b"\0" * 100, "not a photo"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not a photo"),
    (b"%PDF-1.7 not an image", "not a photo"),
])
def test_other_files_are_refused_whatever_their_name(data, reason):
    with pytest.raises(photos.Refused, match=reason):
        photos.clean(data)


def test_gif_and_oversized_uploads_are_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(photos.Refused, match="JPEG, PNG or WebP"):
        photos.clean(out.getvalue())
    with pytest.raises(photos.Refused, match="larger than"):
        photos.clean(_jpeg(100, 100), max_bytes=100)


def test_a_decompression_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(photos, "MAX_PIXELS", 1_000_000)
    with pytest.raises(photos.Refused, match="million pixels"):
        photos.clean(_jpeg(2000, 1000))
