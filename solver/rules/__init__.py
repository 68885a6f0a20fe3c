"""The rules as data: eligibility, indicators, permitted moves, counting proofs, the rule catalogue."""
