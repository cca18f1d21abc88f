"""mapekd: a self-healing daemon for Linux hosts (Monitor, Analyze, Plan, Execute over Knowledge)."""

__version__ = "0.1.0"
