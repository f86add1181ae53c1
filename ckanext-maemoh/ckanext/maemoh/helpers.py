"""Template helpers (``h.maemoh_*``)."""
import json

from ckanext.maemoh import vocabularies


def maemoh_choices(field):
    """Scheming choices of the vocabulary named by the field's ``vocabulary``."""
    return vocabularies.scheming_choices(field["vocabulary"])


def maemoh_translated_value(data, field_name, lang):
    """The ``lang`` text of a translated field in form data: from its
    per-language input after a failed submit, else from the stored object."""
    submitted = data.get(f"{field_name}-{lang}")
    if submitted is not None:
        return submitted
    value = data.get(field_name) or {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return ""
    return value.get(lang, "") if isinstance(value, dict) else ""
