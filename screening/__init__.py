"""dealscreen: screen investment deals against national-security investment rules.

The public API::

    from screening import screen, load_deal
    result = screen(load_deal("fixtures/deals/x.yaml"))
    result.verdict, result.hits, result.model_dump_json()

dealscreen informs a decision; it is not legal advice.
"""

__version__ = "0.1.0"
