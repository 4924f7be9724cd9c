"""cmokit.segments."""
