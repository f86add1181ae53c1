"""The DCAT output (ckanext-dcat with our ``maemoh_dcat_ap`` profile) over HTTP:
it parses, carries our fields, and /catalog.ttl is valid DCAT-AP 3.0.0."""
import json
import pathlib

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from ckan.tests import factories

from ckanext.maemoh.dcat import eu_frequency

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

SHAPES = (pathlib.Path(__file__).parent / "data" / "dcat-ap-3.0.0" / "dcat-ap-SHACL.ttl")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SOSA = Namespace("http://www.w3.org/ns/sosa/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
EU = "http://publications.europa.eu/resource/authority/"
FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}

POINT = {"type": "Point", "coordinates": [99.659873, 18.282664]}
POLYGON = {"type": "Polygon", "coordinates": [[
    [99.70, 18.20], [99.80, 18.20], [99.80, 18.30], [99.70, 18.30], [99.70, 18.20]]]}


def _fields(geometry, **fields):
    return {
        "theme": ["air", "fire"],
        "spatial": json.dumps(geometry),
        "temporal_start": "2024-01-01",
        "temporal_end": "2024-12-31",
        "update_frequency_unit": "hour",
        "update_frequency_interval": "1",
        "data_language": ["th", "en"],
        "maintainer": "Air quality desk",
        "maintainer_email": "air@maemoh.example.org",
        "variables": [{"variable": "pm25", "unit": "ug/m3", "averaging_period": "PT1H"}],
        **fields,
    }


def _get(app, url, rdf_format):
    response = app.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return Graph().parse(data=response.get_data(as_text=True), format=rdf_format)


def _valid_dcat_ap_3(graph):
    """pySHACL against the DCAT-AP 3.0.0 shapes; the report text on failure."""
    conforms, _, text = pyshacl.validate(
        graph, shacl_graph=Graph().parse(SHAPES, format="turtle"),
        inference="none", advanced=False)
    return conforms, text


def _one(graph, subject, predicate):
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


@pytest.mark.parametrize("extension", FORMATS)
@pytest.mark.parametrize("geometry", [POINT, POLYGON], ids=["point", "polygon"])
def test_a_dataset_in_dcat_holds_our_fields(app, create_dataset, extension, geometry):
    dataset = create_dataset(**_fields(geometry))
    g = _get(app, f"/dataset/{dataset['name']}.{extension}", FORMATS[extension])
    ds = next(g.subjects(RDF.type, DCAT.Dataset))

    assert set(g.objects(ds, DCT.title)) == {
        Literal("ฝุ่น PM2.5 รายชั่วโมง สถานีสบป้าด", lang="th"),
        Literal("Hourly PM2.5, Sop Pat station", lang="en")}
    assert {t.language for t in g.objects(ds, DCT.description)} == {"th", "en"}

    themes = set(g.objects(ds, DCAT.theme))
    assert themes == {URIRef(EU + "data-theme/ENVI"),
                      URIRef("http://inspire.ec.europa.eu/theme/ac"),
                      URIRef("http://inspire.ec.europa.eu/theme/nz")}
    assert Literal("คุณภาพอากาศ", lang="th") in set(g.objects(ds, DCAT.keyword))

    location = _one(g, ds, DCT.spatial)
    geometry_node = _one(g, location, LOCN.geometry)
    assert (geometry_node, RDF.type, LOCN.Geometry) in g
    wkt = str(_one(g, geometry_node, GSP.asWKT))
    bbox = _one(g, location, DCAT.bbox)
    assert bbox.datatype == GSP.wktLiteral
    assert _one(g, location, DCAT.centroid).datatype == GSP.wktLiteral
    if geometry is POINT:
        assert wkt == "POINT (99.659873 18.282664)"
    else:
        assert wkt.startswith("POLYGON ((99.7 18.2")
        assert str(bbox).startswith("POLYGON")

    period = _one(g, ds, DCT.temporal)
    assert _one(g, period, DCAT.startDate) == Literal("2024-01-01", datatype=XSD.date)
    assert _one(g, period, DCAT.endDate) == Literal("2024-12-31", datatype=XSD.date)

    assert _one(g, ds, DCT.accrualPeriodicity) == URIRef(EU + "frequency/HOURLY")
    assert set(g.objects(ds, DCT.language)) == {
        URIRef(EU + "language/THA"), URIRef(EU + "language/ENG")}

    contact = _one(g, ds, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in g
    assert _one(g, contact, VCARD.fn) == Literal("Air quality desk")
    assert _one(g, contact, VCARD.hasEmail) == URIRef("mailto:air@maemoh.example.org")

    variable = _one(g, ds, SOSA.observedProperty)
    assert (variable, RDF.type, SOSA.ObservableProperty) in g
    assert set(g.objects(variable, RDFS.label)) == {
        Literal("ฝุ่น PM2.5", lang="th"), Literal("PM2.5", lang="en")}
    assert str(_one(g, variable, QUDT.ucumCode)) == "ug/m3"
    assert _one(g, variable, DCAT.temporalResolution) == Literal(
        "PT1H", datatype=XSD.duration)


def test_the_same_through_sparql(app, create_dataset):
    dataset = create_dataset(**_fields(POINT))
    g = _get(app, f"/dataset/{dataset['name']}.ttl", "turtle")
    rows = list(g.query("""
        PREFIX dcat: <http://www.w3.org/ns/dcat#>
        PREFIX dct: <http://purl.org/dc/terms/>
        PREFIX locn: <http://www.w3.org/ns/locn#>
        SELECT ?theme ?start ?end ?frequency ?bbox WHERE {
          ?ds a dcat:Dataset ; dcat:theme ?theme ; dct:accrualPeriodicity ?frequency ;
              dct:temporal [ dcat:startDate ?start ; dcat:endDate ?end ] ;
              dct:spatial [ locn:geometry ?geometry ; dcat:bbox ?bbox ] .
        }"""))
    assert {str(row.theme).rsplit("/", 1)[1] for row in rows} == {"ENVI", "ac", "nz"}
    assert {(str(r.start), str(r.end), str(r.frequency)) for r in rows} == {
        ("2024-01-01", "2024-12-31", EU + "frequency/HOURLY")}


@pytest.mark.parametrize("unit, interval, code", [
    ("hour", "1", "HOURLY"), ("day", "1", "DAILY"), ("month", "1", "MONTHLY"),
    ("year", None, "ANNUAL"), ("month", "3", "QUARTERLY"), ("year", "2", "BIENNIAL"),
    ("day", "3", "OTHER"), ("real-time", "5", "UPDATE_CONT"),
])
def test_update_frequency_maps_to_the_eu_frequency(unit, interval, code):
    assert eu_frequency(unit, interval) == code


def test_a_dataset_without_description_is_described_by_its_title(app, create_dataset):
    dataset = create_dataset(**_fields(POINT, notes_translated={}))
    g = _get(app, f"/dataset/{dataset['name']}.ttl", "turtle")
    ds = next(g.subjects(RDF.type, DCAT.Dataset))
    assert set(g.objects(ds, DCT.description)) == set(g.objects(ds, DCT.title))


def test_the_catalog_is_valid_dcat_ap_3(app, create_dataset):
    create_dataset(**_fields(POINT))
    create_dataset(**_fields(
        POLYGON, name="tambon-fires", theme=["fire", "energy"], data_language=["th"],
        update_frequency_unit="year", update_frequency_interval="2",
        resources=[{"url": "https://maemoh.example.org/fires.csv", "format": "CSV",
                    "name": "Fires"}]))
    create_dataset(name="only-required-fields", notes_translated={})
    response = app.get("/catalog.ttl")
    assert response.status_code == 200
    data = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    assert len(set(data.subjects(RDF.type, DCAT.Dataset))) == 3
    conforms, report = _valid_dcat_ap_3(data)
    assert conforms, report


def test_a_private_dataset_is_not_in_the_catalog(app, create_dataset):
    create_dataset(**_fields(POINT, name="public-pm25"))
    secret = create_dataset(**_fields(POINT, name="private-pm25", private=True))
    response = app.get("/catalog.ttl")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert secret["id"] not in text and "private-pm25" not in text
    g = Graph().parse(data=text, format="turtle")
    assert len(set(g.subjects(RDF.type, DCAT.Dataset))) == 1


def test_a_private_dataset_is_not_shown_to_a_visitor(app, create_dataset):
    secret = create_dataset(**_fields(POINT, name="private-pm25", private=True))
    response = app.get(f"/dataset/{secret['name']}.ttl")
    assert response.status_code in (403, 404)  # ckanext-dcat 2.4.4 says 403
    assert secret["title_translated"]["en"] not in response.get_data(as_text=True)


def test_an_unknown_dataset_is_not_found(app):
    assert app.get("/dataset/does-not-exist.ttl").status_code == 404


def test_the_catalog_has_its_own_metadata_and_publisher(app):
    publisher_org = factories.Organization(
        name="maemoh-district", title="Mae Moh District", agency_type="local-government")
    g = _get(app, "/catalog.ttl", "turtle")
    catalog = next(g.subjects(RDF.type, DCAT.Catalog))
    assert {d.language for d in g.objects(catalog, DCT.description)} == {"th", "en"}
    assert set(g.objects(catalog, DCT.language)) == {
        URIRef(EU + "language/THA"), URIRef(EU + "language/ENG")}
    publisher = _one(g, catalog, DCT.publisher)
    assert str(publisher).endswith(f"/organization/{publisher_org['id']}")
    conforms, report = _valid_dcat_ap_3(g)
    assert conforms, report
