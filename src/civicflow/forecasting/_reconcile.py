"""Hierarchical reconciliation: forecasts of offices, regions and the total made to add up.

Base forecasts ``ŷ`` (one per series of the hierarchy) become ``ỹ = S G ŷ`` where ``S`` sums the
bottom series into every series. Bottom-up takes ``G`` as the bottom rows; OLS and MinT take
``G = (Sᵀ W⁻¹ S)⁻¹ Sᵀ W⁻¹`` with ``W = I`` (OLS) or the forecast errors' covariance shrunk
towards its diagonal (MinT-shrink, Schäfer & Strimmer's intensity, as Wickramasuriya, Athanasopoulos
& Hyndman 2019). numpy only.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from civicflow.core import ConfigurationError, Location

Reconciliation = Literal["none", "bottom_up", "ols", "mint_shrink"]
RECONCILIATIONS: tuple[Reconciliation, ...] = ("none", "bottom_up", "ols", "mint_shrink")
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def summing_matrix(
    keys: tuple[str, ...], parents: dict[str, str | None]
) -> tuple[FloatArray, tuple[str, ...]]:
    """``S`` (keys × bottom keys): 1 where the bottom series is the key or below it; and the
    bottom keys in order."""
    children = {p for p in parents.values() if p is not None}
    bottom = tuple(k for k in keys if k not in children)
    index = {k: i for i, k in enumerate(keys)}
    s = np.zeros((len(keys), len(bottom)), dtype=np.float64)
    for j, leaf in enumerate(bottom):
        node: str | None = leaf
        while node is not None:
            if node not in index:
                raise ConfigurationError(
                    f"series '{node}' is in the hierarchy but has no values",
                    where=Location(field="series"),
                    fix="pass every level of the hierarchy",
                )
            s[index[node], j] = 1.0
            node = parents.get(node)
    return s, bottom


def shrunk_covariance(residuals: FloatArray) -> FloatArray:
    """The covariance of ``residuals`` (observations × series, NaN ignored pairwise by zeroing)
    shrunk towards its diagonal with Schäfer & Strimmer's intensity. A series with no spread
    gets a tiny variance so ``W`` stays invertible."""
    e = np.nan_to_num(residuals, nan=0.0)
    n = e.shape[0]
    e = e - e.mean(axis=0)
    cov = e.T @ e / max(n, 1)
    var = np.diag(cov).copy()
    var[var <= 0] = 1e-8
    sd = np.sqrt(var)
    xs = e / sd
    corr = xs.T @ xs / max(n, 1)
    w = np.einsum("ti,tj->tij", xs, xs)
    var_corr = n / max((n - 1) ** 3, 1) * np.sum((w - corr) ** 2, axis=0)
    off = ~np.eye(len(var), dtype=bool)
    denom = float(np.sum(corr[off] ** 2))
    lam = 1.0 if denom == 0 else float(np.clip(np.sum(var_corr[off]) / denom, 0.0, 1.0))
    shrunk = (1 - lam) * corr
    np.fill_diagonal(shrunk, 1.0)
    return shrunk * np.outer(sd, sd)


def reconcile(
    base: FloatArray,
    s: FloatArray,
    *,
    method: Reconciliation,
    bottom_rows: list[int],
    residuals: FloatArray | None = None,
) -> FloatArray:
    """Reconciled forecasts for ``base`` (series × horizon steps, rows in ``S``'s order);
    ``bottom_rows``: the rows of the bottom series (``S``'s columns, in order); ``residuals``:
    forecast errors (observations × series) for MinT."""
    if method == "none":
        return base
    n_all = s.shape[0]
    if method == "bottom_up":
        return s @ base[bottom_rows]
    if method == "ols":
        w_inv: FloatArray = np.eye(n_all, dtype=np.float64)
    else:
        if residuals is None or residuals.shape[0] < 2:
            raise ConfigurationError(
                "MinT needs forecast errors to estimate their covariance",
                where=Location(field="reconcile"),
                expected="cross-validation errors of at least two periods",
                fix="use reconcile='ols' or 'bottom_up', or a longer history",
            )
        w_inv = np.asarray(np.linalg.pinv(shrunk_covariance(residuals)), dtype=np.float64)
    g = np.linalg.pinv(s.T @ w_inv @ s) @ s.T @ w_inv
    return s @ (g @ base)
