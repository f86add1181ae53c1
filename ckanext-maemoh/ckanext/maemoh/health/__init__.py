"""Health for monitors: the state of each service, queue depths, the last
harvest per source, stale stations and the last risk runs, as JSON
(``/maemoh/health``) and Prometheus text metrics (``/metrics``); and the 503
page while a service is down."""
