"""The data the sandbox is made of: the OPCOs, the referential, the demo data and the YAML
reader they share."""
