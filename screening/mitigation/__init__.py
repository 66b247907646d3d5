"""What-if and mitigation: change a deal's terms and re-screen it; search for the concessions
that lower its verdict (changes.py, diff.py, run.py, candidates.py, mitigate.py, report.py)."""
