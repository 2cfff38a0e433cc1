"""Generate: a family's record and a seed (or the user's numbers) become a Variant with its prompt."""
