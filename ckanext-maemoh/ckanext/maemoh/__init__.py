"""ckanext-maemoh: the Mae Moh City Data Platform."""
