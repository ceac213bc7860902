"""Tools around the sandbox, off the request path: the offline Cerfa checker and the bulk
generator of dossiers."""
