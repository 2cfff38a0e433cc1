"""Tests of the derivation checker (``nncheck derive``, issue #6)."""
