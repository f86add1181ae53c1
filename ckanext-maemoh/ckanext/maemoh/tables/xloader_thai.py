"""Thai tables in ckanext-xloader: the one place that changes xloader.

xloader has no interface for how it reads a file (``IXloader`` has none), so
:func:`install` replaces two functions of ``ckanext.xloader.loader``, each
wrapping xloader's own:

``detect_encoding(path)``
    chardet's verdict on a CSV or TSV (``{"encoding", "confidence"}``); xloader
    uses it above 70 % confidence, else lets tabulator guess (UTF-8 under
    50 %), and reads the file as cp1252 when that fails. chardet gives Windows
    Thai (cp874, a superset of TIS-620) about 23 %, so a Thai file became
    cp1252 mojibake, silently. Ours answers ``utf-8`` (``utf-8-sig`` with a
    byte-order mark) when the whole file is UTF-8, ``cp874`` when it is not,
    the whole file decodes as cp874 and it reads as Thai
    (:func:`ckanext.maemoh.harvesters.table_checks.detect_encoding` decides,
    as it does when tables are validated), else xloader's own answer.

``encode_headers(headers)``
    the column names. PostgreSQL cuts a name at 63 bytes, 21 Thai letters, and
    xloader at 63 characters: a longer Thai header named one column twice
    and the typed load failed ("extra keys"). Ours cuts at 63 bytes, on a
    character boundary, as PostgreSQL would.

``tests/test_xloader_thai.py`` reads files through xloader's loader, so it
fails when xloader stops calling these functions.
"""
import codecs

from ckanext.maemoh.harvesters import table_checks

CHUNK = 1 << 20
SAMPLE = 65536  # bytes given to the Thai test, from just before the first non-UTF-8 byte
NAME_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1
_upstream = {}  # xloader's own functions, once replaced


def install():
    """Put :func:`detect_encoding` and :func:`encode_headers` in xloader's loader."""
    from ckanext.xloader import loader

    for name, ours in (("detect_encoding", detect_encoding), ("encode_headers", encode_headers)):
        if getattr(loader, name) is not ours:
            _upstream[name] = getattr(loader, name)
            setattr(loader, name, ours)


def detect_encoding(path):
    """xloader's encoding verdict for the file at ``path``: certain for UTF-8
    and Thai cp874, chardet's (xloader's own function) otherwise."""
    encoding = utf8_or_thai(path)
    if encoding is None:
        return _upstream["detect_encoding"](path)
    return {"encoding": encoding, "confidence": 1.0, "language": "th"}


def encode_headers(headers):
    """xloader's column names, each cut to :data:`NAME_BYTES` bytes of UTF-8."""
    return [clip(name) for name in _upstream["encode_headers"](headers)]


def clip(name):
    """``name`` without the characters past :data:`NAME_BYTES` bytes of UTF-8."""
    return name.encode("utf-8")[:NAME_BYTES].decode("utf-8", errors="ignore")


def utf8_or_thai(path):
    """``utf-8-sig``, ``utf-8`` or ``cp874`` for the file at ``path``, or None."""
    bad = first_undecodable(path, "utf-8")
    with open(path, "rb") as file:
        if bad is None:
            return "utf-8-sig" if file.read(3) == codecs.BOM_UTF8 else "utf-8"
        file.seek(max(0, bad - 1024))
        sample = file.read(SAMPLE)
    if table_checks.detect_encoding(sample) == "cp874" and first_undecodable(path, "cp874") is None:
        return "cp874"
    return None


def first_undecodable(path, encoding):
    """About the offset of the first byte of the file at ``path`` that
    ``encoding`` cannot decode, or None when all of it decodes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return offset + error.start
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None
