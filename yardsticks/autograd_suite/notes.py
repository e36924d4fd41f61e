"""What each "wrong value" failure turned out to be, after looking at it (test id -> verdict).

The runner prints these beside the failures; a failure without a note is shown as not
investigated yet.
"""

NOTES: dict[str, str] = {}
