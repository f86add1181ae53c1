"""ckanext-xloader's interface strings that CKAN's Thai catalogue lacks.

xloader ships no translations and calls CKAN's ``_``; CKAN merges the
catalogues of translated plugins into its own, so the Thai of these strings
in ours (``i18n/th``) shows on xloader's status badge and DataStore page.
They are listed here for ``make messages`` to extract;
``tests/test_xloader_thai.py`` checks that xloader still uses each one.
"""


def _(message):
    """Marks ``message`` for extraction; translated where xloader shows it."""
    return message


STRINGS = (
    _("Running"), _("Inactive"), _("datastore"),
    _("Data awaiting load to DataStore"), _("Loading data into DataStore"),
    _("Failed to load data into DataStore"), _("Data loaded into DataStore"),
    _("Data available in DataStore"), _("Resource not active in DataStore"),
    _("DataStore status unknown"), _("Last Updated Not Available"),
    _("Delete from DataStore"), _("Error traceback:"),
    _("Are you sure you want to delete the DataStore and Data Dictionary?"),
    _("Strip Extra Leading and Trailing White Space"), _("Yes"), _("No"),
)
