"""Stage 6: tools for people who write rules and reference data: lint, coverage, rulebook
diff, embedded examples, the synthetic fixture generator and list importers.
"""
