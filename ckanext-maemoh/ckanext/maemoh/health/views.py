"""``/maemoh/health`` (JSON; 503 while a service is down) and ``/metrics``
(Prometheus text), for monitors; never cached."""
from flask import Blueprint, Response, jsonify

from ckanext.maemoh.health import checks, metrics

health_pages = Blueprint("maemoh_health", __name__)


@health_pages.route("/maemoh/health")
def health():
    report = checks.report()
    response = jsonify(report)
    response.status_code = 200 if report["status"] == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@health_pages.route("/metrics")
def prometheus_metrics():
    return Response(metrics.exposition(checks.report()), content_type=metrics.CONTENT_TYPE,
                    headers={"Cache-Control": "no-store"})
