"""Stage 2: the fact view a rulebook reads, derived once per deal: ownership chains and
attribution, party-name screening, and one section per regime (``sections/``).
"""
