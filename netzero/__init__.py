"""District greenhouse-gas inventory (GPC), pathway to net zero and guidance: pure, no ckan import."""
