"""The long-lived export worker driven by the harness over stdio (see protocol.py)."""
