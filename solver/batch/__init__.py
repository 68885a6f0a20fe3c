"""Batch planning: many districts (a city's) on a Dask cluster, one row per district."""
