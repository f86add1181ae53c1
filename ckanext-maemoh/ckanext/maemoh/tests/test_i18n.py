"""Every string of ours has its Thai translation, with the same placeholders,
and the catalogues the install compiles are there."""
import pathlib
import re

from babel.messages.pofile import read_po

I18N = pathlib.Path(__file__).resolve().parents[1] / "i18n"
PLACEHOLDER = re.compile(r"{\w*}")


def catalogue(lang):
    with open(I18N / lang / "LC_MESSAGES" / "ckanext-maemoh.po", "rb") as f:
        return read_po(f)


def test_every_message_is_translated_to_thai_with_its_placeholders():
    with open(I18N / "ckanext-maemoh.pot", "rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    thai = {m.id: m for m in catalogue("th") if m.id}
    assert template <= set(thai), sorted(template - set(thai))
    for msgid in template:
        message = thai[msgid]
        assert message.string and not message.fuzzy, msgid
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(msgid)), msgid


def test_the_english_catalogue_and_the_compiled_ones_exist():
    assert {m.id for m in catalogue("en") if m.id} == {m.id for m in catalogue("th") if m.id}
    for lang in ("th", "en"):
        assert (I18N / lang / "LC_MESSAGES" / "ckanext-maemoh.mo").stat().st_size > 0
