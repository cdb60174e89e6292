"""Sources: one module per platform plus `replay`, each mapping documented JSON to Post/Profile."""
