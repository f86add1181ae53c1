"""The demo: what `ckan maemoh load-demo` loads. Nothing outside this package
imports it."""
