"""The answer key: computed twice (SymPy and NumPy), compared, refused on disagreement."""
