"""What both servers stand on: the locked-down chDB worker, its sandbox, the query guard and
its plain-words messages, and serving an ASGI app under connection limits.

`paid_dbapi.emulator` and `paid_dbapi.gateway` build on this package; it imports neither of
them (`tests/unit/test_layout.py` holds that).
"""
