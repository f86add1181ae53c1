#!/usr/bin/env python3
"""Build the Solr schema for this deployment from CKAN's own schema.xml.

usage: make_schema.py [--cloud] <ckan_schema.xml> <out_schema.xml>

Adds what ckanext-spatial's "solr-spatial-field" search backend needs:
  * fieldType location_rpt (RPT spatial field, JTS context)
  * field spatial_geom of that type
  * float fields minx maxx miny maxy (bounding box)

and makes the full-text field type "text" split Thai into words: Thai is
written without spaces, so CKAN's whitespace tokenizer would index a whole
Thai sentence as one word. Lucene's ThaiTokenizer (dictionary-based, from the
JDK) splits Thai and still splits other scripts at spaces and punctuation.
The query-time synonyms (``synonyms.txt``, kept as data) are read with the
same tokenizer, so a Thai entry such as ฝุ่นละออง matches the words a query
is split into.

For spelling suggestions it adds a field "spell" (fieldType text_spell: Thai
words, lower case, not stemmed, so a suggestion is a word people write),
copied from the words a dataset is about: title, description, tags and the
labels of its codes (``extras_maemoh_labels``).

With --cloud (the configset of deploy/services/solrcloud.sh) the field
_version_ is a long with docValues, as SolrCloud needs: CKAN declares it a
string, which a single node accepts, but a replica that comes back compares
its index with the leader's by summing the versions as longs (peer sync) and
would fail and copy the whole index instead. The single node keeps CKAN's
declaration, so that its existing indexes stay readable.

The input text is kept as is (comments and layout included); the new
definitions are inserted just before </types> and </fields>.  Anything that
already exists under the same name is left alone, so running the script on
its own output changes nothing (idempotent).  It exits non-zero with a
message when the input is not a schema with <types> and <fields> sections.
"""
import os
import sys
import xml.etree.ElementTree as ET

# name -> XML line, in the order they are inserted
FIELD_TYPES = {
    "location_rpt": (
        '<fieldType name="location_rpt"'
        ' class="solr.SpatialRecursivePrefixTreeFieldType"'
        ' spatialContextFactory="JTS" autoIndex="true"'
        ' validationRule="repairBuffer0" distErrPct="0.025"'
        ' maxDistErr="0.001" distanceUnits="kilometers"/>'
    ),
    "text_spell": (
        '<fieldType name="text_spell" class="solr.TextField" positionIncrementGap="100">'
        '<analyzer><tokenizer class="solr.ThaiTokenizerFactory"/>'
        '<filter class="solr.LowerCaseFilterFactory"/></analyzer></fieldType>'
    ),
}
FIELDS = {
    "spatial_geom": (
        '<field name="spatial_geom" type="location_rpt"'
        ' indexed="true" stored="true" multiValued="true"/>'
    ),
}
FIELDS["spell"] = (
    '<field name="spell" type="text_spell" indexed="true" stored="false" multiValued="true"/>'
)
for _name in ("minx", "maxx", "miny", "maxy"):
    FIELDS[_name] = (
        f'<field name="{_name}" type="pfloat" indexed="true" stored="true"/>'
    )

SPELL_SOURCES = ("title", "notes", "tags", "extras_title_translated",
                 "extras_notes_translated", "extras_maemoh_labels")

MARKER = "added by deploy/solr/make_schema.py"
WHITESPACE_TOKENIZER = '<tokenizer class="solr.WhitespaceTokenizerFactory"/>'
THAI_TOKENIZER = '<tokenizer class="solr.ThaiTokenizerFactory"/>'
SYNONYMS = '<filter class="solr.SynonymGraphFilterFactory" synonyms="synonyms.txt"'
THAI_SYNONYMS = SYNONYMS + ' tokenizerFactory="solr.ThaiTokenizerFactory"'
STRING_VERSION = '<field name="_version_" type="string" indexed="true" stored="true"/>'
LONG_VERSION = '<field name="_version_" type="plong" indexed="false" stored="false" docValues="true"/>'


def die(msg):
    sys.exit(f"make_schema.py: {msg}")


def names(section, tags):
    """Names of the child elements of `section` whose tag is in `tags`."""
    return {el.get("name") for el in section if el.tag in tags}


def insert_before(text, closing_tag, lines):
    """Insert `lines` on their own lines before the single `closing_tag`."""
    if text.count(closing_tag) != 1:
        die(f"expected exactly one {closing_tag} in the input schema")
    if not lines:
        return text
    block = f"    <!-- {MARKER} -->\n" + "".join(f"    {l}\n" for l in lines)
    pos = text.index(closing_tag)
    # start the block on a fresh line, keep whatever indentation followed it
    line_start = text.rfind("\n", 0, pos) + 1
    if text[line_start:pos].strip():  # closing tag shares a line with content
        return text[:pos] + "\n" + block + text[pos:]
    return text[:line_start] + block + text[line_start:]


def use_thai_tokenizer(text):
    """Swap the tokenizer of fieldType "text" (index and query analyzers)."""
    start = text.find('<fieldType name="text" ')
    if start < 0:
        die('no <fieldType name="text"> in the input schema')
    end = text.index("</fieldType>", start)
    block = text[start:end]
    if THAI_TOKENIZER in block:
        return text
    if block.count(WHITESPACE_TOKENIZER) != 2 or block.count(SYNONYMS) != 1:
        die('fieldType "text" does not have the two whitespace tokenizers and the synonym filter expected')
    block = block.replace(WHITESPACE_TOKENIZER, THAI_TOKENIZER).replace(SYNONYMS, THAI_SYNONYMS)
    return text[:start] + block + text[end:]


def use_long_version(text):
    """Declare _version_ a long with docValues (SolrCloud's peer sync)."""
    if LONG_VERSION in text:
        return text
    if text.count(STRING_VERSION) != 1:
        die(f"expected the field {STRING_VERSION} in the input schema")
    return text.replace(STRING_VERSION, LONG_VERSION)


def main(argv):
    args = argv[1:]
    cloud = "--cloud" in args
    args = [a for a in args if a != "--cloud"]
    if len(args) != 2:
        die("usage: make_schema.py [--cloud] <ckan_schema.xml> <out_schema.xml>")
    src, dst = args
    try:
        with open(src, encoding="utf-8") as f:
            text = f.read()
        root = ET.fromstring(text.encode("utf-8"))
    except (OSError, ET.ParseError) as e:
        die(f"cannot read {src}: {e}")

    if root.tag != "schema":
        die(f"{src}: root element is <{root.tag}>, expected <schema>")
    types, fields = root.find("types"), root.find("fields")
    if types is None or fields is None:
        die(f"{src}: no <types> and/or <fields> section directly under <schema>")

    have_types = names(types, {"fieldType", "fieldtype"})
    have_fields = names(fields, {"field", "dynamicField"})
    if "pfloat" not in have_types:
        die(f"{src}: fieldType 'pfloat' (used for minx/maxx/miny/maxy) is missing")

    new_types = [xml for n, xml in FIELD_TYPES.items() if n not in have_types]
    new_fields = [xml for n, xml in FIELDS.items() if n not in have_fields]

    text = insert_before(text, "</types>", new_types)
    text = insert_before(text, "</fields>", new_fields)
    text = insert_before(text, "</schema>", [
        f'<copyField source="{source}" dest="spell"/>' for source in SPELL_SOURCES
        if f'<copyField source="{source}" dest="spell"/>' not in text])
    text = use_thai_tokenizer(text)
    if cloud:
        if "plong" not in have_types:
            die(f"{src}: fieldType 'plong' (used for _version_ with --cloud) is missing")
        text = use_long_version(text)

    # sanity check: the result must parse and contain everything we need
    out_root = ET.fromstring(text.encode("utf-8"))
    missing = (set(FIELD_TYPES) - names(out_root.find("types"), {"fieldType", "fieldtype"})) | (
        set(FIELDS) - names(out_root.find("fields"), {"field", "dynamicField"})
    )
    if missing:
        die(f"internal error, still missing after patching: {sorted(missing)}")

    tmp = f"{dst}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, dst)
    print(
        f"make_schema.py: wrote {dst} (added types: {len(new_types)}, fields: {len(new_fields)})"
    )


if __name__ == "__main__":
    main(sys.argv)
