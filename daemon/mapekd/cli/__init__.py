"""The `mapekd` command line: thin calls into the library; library errors become exit codes."""
