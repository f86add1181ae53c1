"""Validation of agency table files: Frictionless plus the Thai checks."""
import datetime

import openpyxl
import pytest

from ckanext.maemoh.harvesters import table_checks

TODAY = datetime.date(2026, 3, 10)  # BE 2569
TAMBONS = ["520201", "520202", "520203", "520204", "520205"]


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def types(report):
    return [(e["type"], e["row"], e["label"]) for e in report["errors"]]


def test_a_clean_utf8_table_is_valid(tmp_path):
    path = write(tmp_path, "waste.csv", "month,tambon_code,waste_t\n2569-01,520201,12.5\n2569-02,520204,9\n")
    report = table_checks.check_table(path, file_format="csv", tambon_codes=TAMBONS, today=TODAY)
    assert report["valid"] and report["errors"] == [] and report["rows"] == 2
    assert report["encoding"] == "utf-8"


def test_planted_errors_in_a_cp874_table_are_each_listed_in_thai_and_english(tmp_path):
    text = ("เดือน,รหัสตำบล,ตำบล,ปริมาณ,ปริมาณ,\n"
            "15/03/2568,520201,บ้านดง,12.5,1,\n"
            "15/03/2658,999999,“ทดสอบ”,3,2,\n"  # year 2658 BE is in the future; unknown tambon
            ",520202,นาสัก,3,3,\n")               # missing date
    path = write(tmp_path, "thai.csv", text, "cp874")
    report = table_checks.check_table(path, file_format="csv", tambon_codes=TAMBONS, today=TODAY)
    assert report["encoding"] == "cp874" and not report["valid"]
    assert types(report) == [("duplicate-label", None, "ปริมาณ"), ("blank-label", None, "field6"),
                             ("implausible-year", 3, "เดือน"), ("unknown-tambon", 3, "รหัสตำบล"),
                             ("missing-value", 4, "เดือน")]
    year = report["errors"][2]
    assert "2658" in year["message_th"] and "พ.ศ. 2500–2570" in year["message_th"]
    assert "BE 2500–2570 or CE 1957–2027" in year["message_en"]
    assert report["error_counts"] == {"duplicate-label": 1, "blank-label": 1, "implausible-year": 1,
                                      "unknown-tambon": 1, "missing-value": 1}


def test_wrong_types_against_the_data_dictionary(tmp_path):
    path = write(tmp_path, "t.tsv", "month\ttambon_code\tamount\n2568-03\t520201\t12.5\n2568-04\t520201\tabc\n")
    schema = table_checks.schema_from_dictionary([
        {"id": "_id", "type": "int"}, {"id": "month", "type": "text"},
        {"id": "tambon_code", "type": "text"}, {"id": "amount", "type": "numeric"}])
    assert [f["type"] for f in schema["fields"]] == ["string", "string", "number"]
    report = table_checks.check_table(path, file_format="tsv", schema=schema, tambon_codes=TAMBONS, today=TODAY)
    (error,) = report["errors"]
    assert (error["type"], error["row"], error["label"], error["cell"]) == ("type-error", 3, "amount", "abc")
    assert error["message_en"] == 'Row 3, column "amount": "abc" is not a number'
    assert error["message_th"] == 'แถว 3 คอลัมน์ "amount": "abc" ไม่ใช่ ตัวเลข'


def test_an_xlsx_with_a_merged_title_row_has_blank_headers(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ปริมาณขยะ อำเภอแม่เมาะ พ.ศ. 2568", None, None])
    sheet.merge_cells("A1:C1")
    sheet.append(["เดือน", "รหัสตำบล", "ตัน"])
    sheet.append(["01/2568", "520201", 10])
    path = tmp_path / "waste.xlsx"
    book.save(path)
    report = table_checks.check_table(str(path), file_format="xlsx", tambon_codes=TAMBONS, today=TODAY)
    assert not report["valid"]
    assert [e["type"] for e in report["errors"]].count("blank-label") == 2


def test_a_broken_file_says_why(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    report = table_checks.check_table(str(path), file_format="xlsx", tambon_codes=TAMBONS, today=TODAY)
    assert not report["valid"] and report["errors"]
    assert report["errors"][0]["message_en"]


@pytest.mark.parametrize("data, encoding", [
    ("ตำบล,ค่า\nบ้านดง,1\n".encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + "ตำบล\n".encode("utf-8"), "utf-8-sig"),
    ("ตำบล “สบป้าด” €5\n".encode("cp874"), "cp874"),   # bytes 0x80-0x9F: cp874, not TIS-620
    ("café,naïve\n".encode("latin-1"), "latin-1"),
])
def test_encoding_detection(data, encoding):
    assert table_checks.detect_encoding(data) == encoding


@pytest.mark.parametrize("year, plausible", [(2568, True), (2025, True), (2571, False), (2658, False),
                                             (1568, False), (1956, False), (2027, True), (25680, False)])
def test_plausible_years(year, plausible):
    assert table_checks.plausible_year(year, TODAY.year) is plausible


def test_dates_typed_by_the_dictionary_accept_the_buddhist_era(tmp_path):
    """After xloader types a column of BE dates as timestamp, the original file still passes."""
    text = "วันที่,รหัสตำบล,ค่า\n15/03/2568,520201,1\n2568-03-16,520202,2\n2025-03-17 10:00,520203,3\nพรุ่งนี้,520204,4\n"
    path = write(tmp_path, "dates.csv", text, "cp874")
    schema = table_checks.schema_from_dictionary([
        {"id": "วันที่", "type": "timestamp"}, {"id": "รหัสตำบล", "type": "text"}, {"id": "ค่า", "type": "numeric"}])
    report = table_checks.check_table(path, file_format="csv", schema=schema, tambon_codes=TAMBONS, today=TODAY)
    (error,) = report["errors"]
    assert (error["type"], error["row"], error["cell"]) == ("not-a-date", 5, "พรุ่งนี้")
    assert error["message_th"] == 'แถว 5 คอลัมน์ "วันที่": "พรุ่งนี้" ไม่ใช่วันที่'
