"""The request's path through the sandbox, edge to handler: routing and guards, body limits and
timeouts, the OPCOs' faults and dialects, authentication (DPoP included), tolerant validation,
each OPCO's contract, the request context."""
