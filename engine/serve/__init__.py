"""`cpc serve`: the engine as an HTTP service for case-management systems (docs/serve.md).

The layers, each importing only those above it in this list:

* :mod:`.catalogue`: every area's policy, loaded, linted and compiled once; what a request evaluates against.
* :mod:`.openapi`: the OpenAPI description, built from the case and result schemas in ``schemas/``.
* :mod:`.app`: the ASGI application (Starlette): routes, bearer token, limits, access log.
* :mod:`.run`: the server (uvicorn): the socket, the worker processes, reloading on SIGHUP.

Only :mod:`.app` and :mod:`.run` need the ``serve`` extra (``pip install 'cpc[serve]'``).
"""
