"""Analyses of plans: explanations, comparisons and their measures, differences."""
