"""Fixes: the only code that changes the system. Each plans first and applies only when
asked (``--apply``); writes are atomic and idempotent."""
