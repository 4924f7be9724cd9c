"""cmokit.mmm."""
