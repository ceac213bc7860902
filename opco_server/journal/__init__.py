"""The request journal: every norm request and its response, secrets masked, bounded.

- capture.py: the ASGI middleware that captures each request and its response, and the
  caller as authentication found it (opco_server.http.context.SCOPE_APPELANT);
- ecrivain.py: the background writer that stores the captures, in batches, off the request
  path and outside the requests' database lock (on SQLite, the journal's own file);
- lignes.py: the journal row of one capture, parsed and masked (opco_server.masquage);
- opco_server.services.journal: the rows' storage and queries.
"""
