"""Reference data of the platform: the district's places, the controlled
vocabularies and the reference datasets it reads."""
