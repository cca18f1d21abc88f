"""`mapekd discover`: what runs on this host (systemd units, listening TCP sockets and their
processes, mounts, HTTP on loopback ports), read once and bounded, turned into a commented YAML
proposal of checks, rules and safe remedies. Nothing is applied: the operator reads and copies."""
