"""cmokit.attribution."""
