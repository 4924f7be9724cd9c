"""cmokit.retention."""
