"""The CKAN plugin of the Mae Moh City Data Platform.

The class only declares interfaces: commands live in ``cli.py``, options in
``config_declaration.yaml``, templates in ``templates/``, translations in
``i18n/``.
"""
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation


@tk.blanket.cli
@tk.blanket.config_declarations
class MaeMohPlugin(DefaultTranslation, p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
