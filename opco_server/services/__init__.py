"""Use cases: f(session, clock, ...) -> models; they flush, the caller commits."""
