"""Stage 5: bulk review of folders and JSONL streams, and its reports (``report/``)."""
