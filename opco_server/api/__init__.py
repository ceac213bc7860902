"""Transport: one module per spec tag; public functions are the spec's operationIds."""
