"""`mapekd import-monit`: a monitrc read (bounded: bytes, files, include depth) and translated
into a mapekd configuration proposal; what has no translation is kept as a comment beside it."""
