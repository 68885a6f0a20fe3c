"""Input: the district's tables, the scenario file and an earlier plan, read and validated once."""
