"""CKAN's own interface strings on the catalogue's home, search and dataset
pages that CKAN's Thai catalogue leaves untranslated.

CKAN merges the catalogues of translated plugins into its own, so their Thai
in ours (``i18n/th``) shows wherever CKAN's templates use them. They are
listed here for ``make messages`` to extract; ``tests/test_search_pages.py``
reads the Thai pages.
"""


def _(message):
    """Marks ``message`` for extraction; translated where CKAN shows it."""
    return message


STRINGS = (
    _("Skip to main content"), _("Search Datasets..."), _("Search datasets"), _("Search data"),
    _("Popular tags"), _("E.g. environment"), _("Toggle navigation"), _("Submit"),
    _("Account"), _("Last Updated"),
)
