"""Policies: loading YAML with positions, linting, resolving inheritance and versions, the schema, showing one."""
