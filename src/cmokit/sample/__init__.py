"""cmokit.sample."""
