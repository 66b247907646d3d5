"""Stage 5: the audit store (schema rows, the canonical hash chain, queries) and the audit
questions asked of it (why, why-not, replay, verify).
"""
