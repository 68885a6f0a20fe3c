"""lungang: a planner for principal and teacher rotation (校长教师交流轮岗)."""

__version__ = "0.1.0"
