"""Thai files through ckanext-xloader's own loader (xloader_thai.py), the
views a resource gets by its format, the API token of ``make run`` and
xloader's strings in our Thai catalogue."""
import io
import json
import logging
import pathlib
import zipfile

import pytest
from babel.support import Translations

import ckan.plugins.toolkit as tk
from ckan.lib import api_token
from ckan.tests import helpers
from ckanext.xloader import loader

from ckanext.maemoh.tables import loading as table_loading
from ckanext.maemoh.tables import xloader_thai
from ckanext.maemoh.tables import xloader_strings

THAI = "วันที่,สถานี,ค่า PM2.5,หมายเหตุ\r\n15/03/2568,สบป้าด,42.5,ฝุ่นสูง “ระวัง” ราคา €5\r\n"
LONG_HEADER = "จำนวนวันที่ฝุ่นเกินมาตรฐาน"  # 27 Thai letters, 81 bytes of UTF-8


@pytest.mark.parametrize("data, expected", [
    (THAI.encode("utf-8"), "utf-8"),
    (THAI.encode("utf-8-sig"), "utf-8-sig"),
    (THAI.encode("cp874"), "cp874"),                                  # with “ ” and € (0x93, 0x94, 0x80)
    (THAI.replace("“", "").replace("”", "").replace("€", "").encode("tis-620"), "cp874"),
    ("a,b\r\n".encode() * 30000 + THAI.encode("cp874"), "cp874"),     # Thai only after 150 kB
    ("café,naïve\r\nrésumé,x\r\n".encode("latin-1"), None),          # not Thai: chardet decides
    (THAI.encode("utf-16"), None),
    (THAI.encode("cp874") + b"\xff", None),                            # 0xFF is no cp874 character
])
def test_utf8_and_thai_encodings_are_told_apart(tmp_path, data, expected):
    path = tmp_path / "table.csv"
    path.write_bytes(data)
    assert xloader_thai.utf8_or_thai(str(path)) == expected


def test_names_are_cut_at_63_bytes_on_a_character_boundary():
    assert xloader_thai.clip(LONG_HEADER) == "จำนวนวันที่ฝุ่นเกินมา"
    assert len(xloader_thai.clip(LONG_HEADER).encode()) == 63
    assert xloader_thai.clip("ค่า PM2.5") == "ค่า PM2.5"
    assert xloader_thai.clip("é" * 40) == "é" * 31


def test_xloader_reads_a_cp874_file_through_our_functions(tmp_path):
    """Fails when xloader stops asking loader.detect_encoding and
    loader.encode_headers (the plugin puts ours there at start-up)."""
    assert loader.detect_encoding is xloader_thai.detect_encoding
    assert loader.encode_headers is xloader_thai.encode_headers
    path = tmp_path / "pm25.csv"
    path.write_bytes(THAI.replace("หมายเหตุ", LONG_HEADER).encode("cp874"))
    file_format, decoding, offset, headers, _stream = loader._read_metadata(
        str(path), "CSV", logging.getLogger(__name__))
    assert (file_format, decoding["encoding"], offset) == ("csv", "cp874", 0)
    assert headers == ["วันที่", "สถานี", "ค่า PM2.5", "จำนวนวันที่ฝุ่นเกินมา"]
    with loader.UnknownEncodingStream(str(path), file_format, decoding, skip_rows=[1]) as stream:
        assert stream.read() == [["15/03/2568", "สบป้าด", "42.5", "ฝุ่นสูง “ระวัง” ราคา €5"]]


def test_other_files_keep_xloader_s_verdict(tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes(THAI.encode("utf-16"))
    assert loader.detect_encoding(str(path))["encoding"].lower().startswith("utf-16")


def shapefile_zip():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for ext in ("shp", "shx", "dbf", "prj"):
            archive.writestr(f"tambons.{ext}", b"\0")
    return out.getvalue()


GEOJSON = json.dumps({"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"name": "แม่เมาะ"},
    "geometry": {"type": "Point", "coordinates": [99.83, 18.29]}}]})
BY_FORMAT = {  # name: (file name, bytes, format, views)
    "geojson": ("points.geojson", GEOJSON.encode(), "GeoJSON", ["geojson_view"]),
    "kml": ("points.kml", b"<kml xmlns='http://www.opengis.net/kml/2.2'/>", "KML", ["geo_view"]),
    "shapefile": ("tambons.zip", shapefile_zip(), "SHP", ["shp_view"]),
    "image": ("map.png", b"\x89PNG\r\n\x1a\n", "PNG", ["image_view"]),
    "text": ("readme.txt", "อ่านก่อน".encode(), "TXT", ["text_view"]),
    "json": ("method.json", b"{}", "JSON", []),
    "pdf": ("report.pdf", b"%PDF-1.4\n", "PDF", ["maemoh_pdf_view"]),
}


def test_each_format_gets_its_views_without_anyone_adding_them(app, create_dataset, create_with_upload):
    dataset = create_dataset()
    sysadmin = {"user": helpers.call_action("get_site_user")["name"]}
    created = {}
    for name, (filename, data, fmt, views) in BY_FORMAT.items():
        created[name] = create_with_upload(data, filename, context=dict(sysadmin), package_id=dataset["id"],
                                           name=name, format=fmt)
        found = helpers.call_action("resource_view_list", id=created[name]["id"])
        assert [v["view_type"] for v in found] == views, name
    linked = helpers.call_action("resource_create", context=dict(sysadmin), package_id=dataset["id"],
                                 url="https://example.org/report.pdf", format="PDF")
    assert helpers.call_action("resource_view_list", id=linked["id"]) == []  # could be any page
    page = app.get(f"/dataset/{dataset['name']}/resource/{created['pdf']['id']}").get_data(as_text=True)
    assert f'<object data="{created["pdf"]["url"]}" type="application/pdf"' in page
    assert "ดาวน์โหลดไฟล์ PDF" in page


def test_the_loader_token_is_kept_while_valid(clean_db):
    first = table_loading.loader_token(None)
    site_user = helpers.call_action("get_site_user")["name"]
    assert api_token.get_user_from_token(first).name == site_user
    assert table_loading.loader_token(first) == first
    again = table_loading.loader_token("NOT_SET")
    assert again != first and api_token.get_user_from_token(again).name == site_user
    helpers.call_action("api_token_revoke", context={"user": site_user}, token=first)
    assert table_loading.loader_token(first) not in (first, again)


def test_xloader_s_strings_are_still_its_own_and_have_thai():
    import ckanext.xloader

    source = "".join(path.read_text(encoding="utf-8") for path in
                     pathlib.Path(ckanext.xloader.__file__).parent.rglob("*")
                     if path.suffix in (".py", ".html"))
    i18n = pathlib.Path(xloader_strings.__file__).resolve().parents[1] / "i18n"
    thai = Translations.load(str(i18n), ["th"], "ckanext-maemoh")
    for message in xloader_strings.STRINGS:
        assert f"_('{message}')" in source or f'_("{message}")' in source, message
        assert thai.gettext(message) != message, message
    assert tk.config.get("ckanext.xloader.unidecode_headers") is False  # Thai names stay Thai
