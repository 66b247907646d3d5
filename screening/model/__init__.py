"""Stage 1, the input: deal records (pydantic), their regime extensions, base types, YAML/JSON
reading with line numbers, and the dated reference lists the screening reads (also input data).
"""
