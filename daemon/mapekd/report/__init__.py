"""Views of the knowledge base for people: `mapekd status` and the HTML report."""
