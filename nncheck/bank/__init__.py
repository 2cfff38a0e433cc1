"""Problem banks: strict YAML, schema, compilation into records, and the cached index."""
