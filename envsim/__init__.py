"""envsim: production-like stacks, load and faults, one verdict."""

__version__ = "0.1.0"
