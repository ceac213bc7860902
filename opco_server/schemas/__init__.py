"""marshmallow schemas: wire ⇄ Python translation only; the spec decides shapes."""
