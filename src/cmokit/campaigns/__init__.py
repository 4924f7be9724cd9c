"""cmokit.campaigns."""
