"""cmokit.clv."""
