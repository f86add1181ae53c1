"""ckanext-scheming schemas of the platform (YAML data, no code)."""
