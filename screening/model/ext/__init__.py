"""Deal-record facts for regimes beyond 31 CFR part 800, one module per regime."""
