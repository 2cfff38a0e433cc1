"""An independent reference for the feed-forward networks' tests (backprop.two-layer, backprop.mlp):
the activations, the outputs and the losses in NumPy from their definitions, and central finite
differences.  Written apart from nncheck's own code, so that a key checked against it can fail."""

from __future__ import annotations

import numpy as np


def act(g, a):
    return {"sigmoid": lambda t: 1 / (1 + np.exp(-t)), "tanh": np.tanh, "relu": lambda t: np.maximum(t, 0),
            "linear": lambda t: t}[g](a)


def out_act(o, z):
    if o == "softmax":
        e = np.exp(z - z.max())
        return e / e.sum()
    return act(o, z)


def loss_of_yhat(loss, yh, y, n):
    """One example's share of L; a term whose coefficient is 0 is left out (0·ln 0 = 0)."""
    if loss == "mse":
        return np.sum((y - yh) ** 2) / (2 * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        if loss == "bce":
            terms = np.where(y != 0, y * np.log(yh), 0) + np.where(y != 1, (1 - y) * np.log(1 - yh), 0)
        else:
            terms = np.where(y != 0, y * np.log(yh), 0)
    return -np.sum(terms) / n


def penalty(lam: float, decayed) -> float:
    """λΩ with CMU 16-785's Ω = ½ Σ‖θ‖² over the decayed arrays (the weights; the biases with omega=all)."""
    return lam * sum(float(np.sum(w * w)) for w in decayed) / 2


def fd(f, x0, eps=1e-6):
    g = np.zeros_like(x0)
    for idx in np.ndindex(x0.shape):
        d = np.zeros_like(x0)
        d[idx] = eps
        g[idx] = (f(x0 + d) - f(x0 - d)) / (2 * eps)
    return g
