"""Stage 3: the rulebook as data: the condition language, rule files and their static checks,
reference lists in rules, and configured layers.
"""
