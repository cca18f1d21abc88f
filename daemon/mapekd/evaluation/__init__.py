"""`mapekd eval` and `make bench-decide`: the decision suite. Scripted faults on services it
starts itself (svc.py, run with this interpreter), each decided by a real Engine over a real
knowledge base of its own, scored against what an SRE would do."""
