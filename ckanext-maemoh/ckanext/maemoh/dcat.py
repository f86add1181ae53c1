"""The DCAT output of the platform: ckanext-dcat's DCAT-AP 3 profile plus our
fields, valid against the DCAT-AP 3.0.0 SHACL shapes for what we fill.

Select it alone (``ckanext.dcat.rdf.profiles = maemoh_dcat_ap``): it runs the
DCAT-AP 3 profile itself, so listing ``euro_dcat_ap_3`` too would describe
every dataset twice.

What the base profile already emits, and we keep: dct:title and
dct:description as @th/@en literals (from ``title_translated`` and
``notes_translated``), dct:temporal as a dct:PeriodOfTime with
dcat:startDate/dcat:endDate (xsd:date), dcat:contactPoint with vcard:fn and a
mailto: vcard:hasEmail (from ``maintainer``/``maintainer_email``), dct:publisher
(the organisation), dct:spatial as a dct:Location. What we change or add is
one method per concern below.

Measured variables: each is a blank node ``sosa:ObservableProperty`` linked
from the dataset with ``sosa:observedProperty``. SOSA states the domain of
that property only as ``schema:domainIncludes sosa:Observation`` (nothing is
inferred from it), and the SSN extensions use it the same way on a collection
of observations, which is what our datasets are. The node carries the
bilingual label of the ``variable`` vocabulary (rdfs:label), our code
(skos:notation), the unit as a case-sensitive UCUM code (``qudt:ucumCode``,
datatype ``qudt:UCUMcs``) and, when it is an ISO 8601 duration, the averaging
period as ``dcat:temporalResolution`` (xsd:duration). Neither SOSA nor DCAT
has a term for an averaging period; dcat:temporalResolution, which DCAT uses
on datasets and distributions alike, is the nearest ("minimum time period
resolvable": an hourly mean resolves nothing shorter than an hour). It is
stated on the variable, not on the dataset, where DCAT-AP would read it as
the spacing of the whole series (a 24-hour mean may be published hourly).
"""
import json

import shapely
from shapely.geometry import mapping, shape
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

import ckan.plugins.toolkit as tk
from ckanext.dcat.profiles import EuropeanDCATAP3Profile
from ckanext.dcat.profiles import DCAT, DCT, FOAF, GSP, LOCN, VCARD
from ckanext.dcat.utils import catalog_uri

from ckanext.maemoh.reference import vocabularies

SOSA = Namespace("http://www.w3.org/ns/sosa/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
EU_DATA_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
INSPIRE_THEME = Namespace("http://inspire.ec.europa.eu/theme/")
IANA_MEDIA_TYPE = Namespace("https://www.iana.org/assignments/media-types/")

# Our language codes (data_language, ckan.locales_offered) in the EU table.
EU_LANGUAGES = {"th": "THA", "en": "ENG"}

# The English names of the outside themes vocabularies.yaml maps to: the
# shapes want a skos:prefLabel on every dcat:theme concept. A code missing
# here is labelled with itself.
EU_DATA_THEME_LABELS = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}
INSPIRE_THEME_LABELS = {
    "ac": "Atmospheric conditions",
    "er": "Energy resources",
    "hh": "Human health and safety",
    "hy": "Hydrography",
    "lc": "Land cover",
    "lu": "Land use",
    "mf": "Meteorological geographical features",
    "nz": "Natural risk zones",
    "pd": "Population distribution — demography",
    "us": "Utility and governmental services",
}

# Resource formats (upper-cased) that are codes of the EU file-type table.
EU_FILE_TYPES = {
    "CSV", "XLSX", "XLS", "ODS", "JSON", "GEOJSON", "SHP", "KML", "KMZ", "GML", "GPKG",
    "PNG", "JPEG", "TIFF", "GEOTIFF", "PDF", "XML", "ZIP", "HTML", "TXT", "RDF",
}
FILE_TYPE_ALIASES = {"JPG": "JPEG", "TIF": "TIFF"}

# update_frequency_unit with an interval other than 1 that the EU frequency
# table names exactly; any other interval above 1 is OTHER.
EU_FREQUENCY_OF_INTERVAL = {
    ("hour", 2): "BIHOURLY", ("hour", 3): "TRIHOURLY", ("hour", 24): "DAILY",
    ("day", 7): "WEEKLY", ("day", 14): "BIWEEKLY", ("week", 2): "BIWEEKLY",
    ("month", 2): "BIMONTHLY", ("month", 3): "QUARTERLY",
    ("month", 6): "ANNUAL_2", ("month", 12): "ANNUAL",
    ("quarter", 2): "ANNUAL_2", ("quarter", 4): "ANNUAL", ("half-year", 2): "ANNUAL",
    ("year", 2): "BIENNIAL", ("year", 3): "TRIENNIAL", ("year", 4): "QUADRENNIAL",
    ("year", 5): "QUINQUENNIAL", ("year", 10): "DECENNIAL",
}
# Units whose meaning does not depend on the interval.
UNCOUNTED_FREQUENCY_UNITS = {"unknown", "real-time", "never", "other"}

# dct:description of the catalogue when ckan.site_description is not set
# (DCAT-AP requires one).
CATALOG_DESCRIPTION = {
    "th": "ข้อมูลเปิดด้านพลังงานและสิ่งแวดล้อมของอำเภอแม่เมาะ จังหวัดลำปาง",
    "en": "Open energy and environment data of Mae Moh district, Lampang, Thailand.",
}
WKT_DECIMALS = 6


class MaeMohDCATAPProfile(EuropeanDCATAP3Profile):
    """DCAT-AP 3 with the Mae Moh platform's themes, places, update frequency,
    languages and measured variables (see the module's docstring)."""

    def graph_from_dataset(self, dataset_dict, dataset_ref):
        super().graph_from_dataset(dataset_dict, dataset_ref)
        for prefix, namespace in (("sosa", SOSA), ("qudt", QUDT)):
            self.g.bind(prefix, namespace)
        self._description_fallback(dataset_ref)
        self._themes(dataset_dict, dataset_ref)
        self._spatial_geometry(dataset_dict, dataset_ref)
        self._frequency(dataset_dict, dataset_ref)
        self._languages(dataset_ref, dataset_dict.get("data_language") or [])
        self._contact_points_as_kind(dataset_ref)
        self._variables(dataset_dict, dataset_ref)
        self._distribution_shapes(dataset_dict, dataset_ref)

    def graph_from_catalog(self, catalog_dict, catalog_ref):
        super().graph_from_catalog(catalog_dict, catalog_ref)
        self._catalog_description(catalog_ref)
        self._catalog_languages(catalog_ref)
        for homepage in self.g.objects(catalog_ref, FOAF.homepage):
            self.g.add((homepage, RDF.type, FOAF.Document))
        self._catalog_publisher(catalog_ref)

    # Datasets

    def _description_fallback(self, dataset_ref):
        """dct:description is mandatory in DCAT-AP; ours is optional, so a
        dataset without one is described by its title."""
        if (dataset_ref, DCT.description, None) not in self.g:
            for title in list(self.g.objects(dataset_ref, DCT.title)):
                self.g.add((dataset_ref, DCT.description, title))

    def _themes(self, dataset_dict, dataset_ref):
        """dcat:theme: the EU data theme and the INSPIRE theme of each of our
        themes (skos:Concept with a prefLabel), and our own theme as
        dcat:keyword in Thai and English. The base profile emits our codes as
        relative URIs (<air>): those are removed."""
        codes = dataset_dict.get("theme") or []
        for code in codes:
            self.g.remove((dataset_ref, DCAT.theme, URIRef(code)))
            term = vocabularies.term("theme", code)
            if term is None:
                continue
            if term.get("dcat_theme"):
                self._add_concept(dataset_ref, DCAT.theme, EU_DATA_THEME[term["dcat_theme"]],
                                  EU_DATA_THEME_LABELS.get(term["dcat_theme"], term["dcat_theme"]))
            if term.get("inspire"):
                self._add_concept(dataset_ref, DCAT.theme, INSPIRE_THEME[term["inspire"]],
                                  INSPIRE_THEME_LABELS.get(term["inspire"], term["inspire"]))
            for lang in vocabularies.LANGUAGES:
                self.g.add((dataset_ref, DCAT.keyword, Literal(term[lang], lang=lang)))

    def _add_concept(self, subject, predicate, concept, label):
        self.g.add((subject, predicate, concept))
        self.g.add((concept, RDF.type, SKOS.Concept))
        self.g.set((concept, SKOS.prefLabel, Literal(label, lang="en")))

    def _spatial_geometry(self, dataset_dict, dataset_ref):
        """dct:spatial: the dct:Location the base profile made from ``spatial``
        gets its geometry as a locn:Geometry node (DCAT-AP 3 gives
        locn:geometry that class as range, where the base profile puts a bare
        literal) holding gsp:asWKT and/or gsp:asGeoJSON as
        ckanext.dcat.output_spatial_format says (default: WKT only), plus
        dcat:bbox (the envelope: a polygon, or a point for a point) and
        dcat:centroid, both WKT. Coordinates are EPSG:4326 longitude/latitude,
        the default CRS of a WKT literal."""
        geometry = _shape(dataset_dict.get("spatial"))
        if geometry is None:
            return
        location = self._get_or_create_spatial_ref(dataset_dict, dataset_ref)
        self.g.remove((location, LOCN.geometry, None))
        node = BNode()
        self.g.add((location, LOCN.geometry, node))
        self.g.add((node, RDF.type, LOCN.Geometry))
        formats = tk.aslist(tk.config.get("ckanext.dcat.output_spatial_format") or "wkt")
        if "wkt" in formats:
            self.g.add((node, GSP.asWKT, _wkt(geometry)))
        if "geojson" in formats:
            self.g.add((node, GSP.asGeoJSON, Literal(
                json.dumps(mapping(geometry)), datatype=GSP.geoJSONLiteral)))
        self.g.set((location, DCAT.bbox, _wkt(geometry.envelope)))
        self.g.set((location, DCAT.centroid, _wkt(geometry.centroid)))

    def _frequency(self, dataset_dict, dataset_ref):
        """dct:accrualPeriodicity: the EU frequency of ``update_frequency_unit``
        and ``update_frequency_interval``."""
        code = eu_frequency(dataset_dict.get("update_frequency_unit"),
                            dataset_dict.get("update_frequency_interval"))
        if code:
            frequency = EU_FREQUENCY[code]
            self.g.set((dataset_ref, DCT.accrualPeriodicity, frequency))
            self.g.add((frequency, RDF.type, DCT.Frequency))

    def _languages(self, subject, codes):
        """dct:language: EU language URIs of our codes (``other`` has none)."""
        for code in codes:
            if code in EU_LANGUAGES:
                language = EU_LANGUAGE[EU_LANGUAGES[code]]
                self.g.add((subject, DCT.language, language))
                self.g.add((language, RDF.type, DCT.LinguisticSystem))

    def _contact_points_as_kind(self, dataset_ref):
        """The base profile types the maintainer a vcard:Organization; it may
        be a person, and DCAT-AP asks for a vcard:Kind."""
        for contact in self.g.objects(dataset_ref, DCAT.contactPoint):
            self.g.remove((contact, RDF.type, VCARD.Organization))
            self.g.add((contact, RDF.type, VCARD.Kind))

    def _variables(self, dataset_dict, dataset_ref):
        """Measured variables as sosa:ObservableProperty (module docstring)."""
        for variable in dataset_dict.get("variables") or []:
            node = BNode()
            self.g.add((dataset_ref, SOSA.observedProperty, node))
            self.g.add((node, RDF.type, SOSA.ObservableProperty))
            code = variable.get("variable")
            self.g.add((node, SKOS.notation, Literal(code)))
            for lang in vocabularies.LANGUAGES:
                self.g.add((node, RDFS.label,
                            Literal(vocabularies.label("variable", code, lang), lang=lang)))
            if variable.get("unit"):
                self.g.add((node, QUDT.ucumCode, Literal(variable["unit"], datatype=QUDT.UCUMcs)))
            period = variable.get("averaging_period") or ""
            if period.startswith("P"):
                self.g.add((node, DCAT.temporalResolution, Literal(period, datatype=XSD.duration)))

    def _distribution_shapes(self, dataset_dict, dataset_ref):
        """What the shapes ask of the base profile's distributions: access and
        download URLs typed rdfs:Resource, dct:format an EU file type (or a
        labelled dct:MediaTypeOrExtent node) and dcat:mediaType an IANA URI
        instead of a text; and the dataset's licence on each distribution,
        where DCAT-AP looks for it."""
        licence = dataset_dict.get("license_url")
        for distribution in list(self.g.objects(dataset_ref, DCAT.distribution)):
            for predicate in (DCAT.accessURL, DCAT.downloadURL):
                for url in self.g.objects(distribution, predicate):
                    self.g.add((url, RDF.type, RDFS.Resource))
            self._replace_text(distribution, DCT["format"], DCT.MediaTypeOrExtent, _file_type)
            self._replace_text(distribution, DCAT.mediaType, DCT.MediaType, _media_type)
            if licence and (distribution, DCT.license, None) not in self.g:
                self.g.add((distribution, DCT.license, URIRef(licence)))
                self.g.add((URIRef(licence), RDF.type, DCT.LicenseDocument))

    def _replace_text(self, subject, predicate, cls, to_uri):
        """Replace literal values of ``predicate`` by the URI ``to_uri`` gives,
        or else by a node of class ``cls`` labelled with the text."""
        for text in list(self.g.objects(subject, predicate)):
            if not isinstance(text, Literal):
                continue
            self.g.remove((subject, predicate, text))
            node = to_uri(str(text).strip())
            if node is None:
                node = BNode()
                self.g.add((node, RDFS.label, Literal(str(text))))
            self.g.add((subject, predicate, node))
            self.g.add((node, RDF.type, cls))

    # Parsing (the dcat_rdf harvester)

    def parse_dataset(self, dataset_dict, dataset_ref):
        """DCAT-AP 3 parsing, plus ``title_translated``/``notes_translated``
        from the Thai and English dct:title/dct:description (an untagged
        text counts as the site's default language)."""
        dataset_dict = super().parse_dataset(dataset_dict, dataset_ref)
        for key, predicate in (("title_translated", DCT.title),
                               ("notes_translated", DCT.description)):
            texts = {lang: text for lang, text in
                     self._object_value_multilingual(dataset_ref, predicate).items()
                     if lang in vocabularies.LANGUAGES and text}
            if texts:
                dataset_dict[key] = texts
        return dataset_dict

    def _parse_geodata(self, spatial, datatype, cur_value):
        """Also read a geometry held in a locn:Geometry node, as
        ``_spatial_geometry`` writes it (the base profile expects a literal)."""
        nodes = [node for node in self.g.objects(spatial, datatype)
                 if not isinstance(node, Literal)]
        if not nodes:
            return super()._parse_geodata(spatial, datatype, cur_value)
        for node in nodes:
            for geojson in self.g.objects(node, GSP.asGeoJSON):
                cur_value = cur_value or str(geojson)
            cur_value = super()._parse_geodata(node, GSP.asWKT, cur_value)
        return cur_value

    # The catalogue

    def _catalog_description(self, catalog_ref):
        if (catalog_ref, DCT.description, None) not in self.g:
            for lang, text in CATALOG_DESCRIPTION.items():
                self.g.add((catalog_ref, DCT.description, Literal(text, lang=lang)))

    def _catalog_languages(self, catalog_ref):
        """The languages of the portal (ckan.locales_offered) as EU URIs, in
        place of the base profile's bare ``"th"`` literal."""
        self.g.remove((catalog_ref, DCT.language, None))
        offered = tk.aslist(tk.config.get("ckan.locales_offered")) or [
            tk.config.get("ckan.locale_default")]
        self._languages(catalog_ref, [locale.split("_")[0] for locale in offered])

    def _catalog_publisher(self, catalog_ref):
        """dct:publisher (mandatory): the district organisation
        (ckanext.maemoh.organization) when it exists, else the site itself."""
        if (catalog_ref, DCT.publisher, None) in self.g:
            return
        try:
            org = tk.get_action("organization_show")(
                {"ignore_auth": True},
                {"id": tk.config.get("ckanext.maemoh.organization"),
                 "include_datasets": False})
        except tk.ObjectNotFound:
            org = None
        if org:
            publisher = URIRef(f"{catalog_uri().rstrip('/')}/organization/{org['id']}")
            name = org["title"] or org["name"]
        else:
            publisher = BNode()
            name = tk.config.get("ckan.site_title")
        self.g.add((catalog_ref, DCT.publisher, publisher))
        self.g.add((publisher, RDF.type, FOAF.Agent))
        self.g.set((publisher, FOAF.name, Literal(name)))


def eu_frequency(unit, interval):
    """The EU frequency code of ``update_frequency_unit`` ``unit`` every
    ``interval`` units (None: 1), or None without a unit."""
    term = vocabularies.term("update_frequency_unit", unit) if unit else None
    if term is None:
        return None
    try:
        count = int(interval) if interval not in (None, "") else 1
    except (TypeError, ValueError):
        count = 1
    if count == 1 or unit in UNCOUNTED_FREQUENCY_UNITS:
        return term["eu_frequency"]
    return EU_FREQUENCY_OF_INTERVAL.get((unit, count), "OTHER")


def _shape(geojson):
    """The shapely geometry of a GeoJSON geometry (text or dict), or None."""
    if not geojson:
        return None
    try:
        return shape(json.loads(geojson) if isinstance(geojson, str) else geojson)
    except (TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
        return None


def _file_type(fmt):
    code = FILE_TYPE_ALIASES.get(fmt.upper(), fmt.upper())
    return EU_FILE_TYPE[code] if code in EU_FILE_TYPES else None


def _media_type(mimetype):
    kind, _, subtype = mimetype.lower().partition("/")
    if kind.isalpha() and subtype and " " not in subtype:
        return IANA_MEDIA_TYPE[f"{kind}/{subtype}"]
    return None


def _wkt(geometry):
    return Literal(shapely.to_wkt(geometry, rounding_precision=WKT_DECIMALS, trim=True),
                   datatype=GSP.wktLiteral)
