"""The gate example: a small shop API with one deliberate production bug per failure class.

GATE_FIXED=1 selects the fixed variant of every class at once (see ../README.md).
"""
