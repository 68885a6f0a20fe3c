"""lungang: a planner for principal and teacher rotation (校长教师交流轮岗)."""

import time as _time

__version__ = "0.1.0"

#: When the package was first imported: the ``lungang`` command's clock starts here, so
#: that its time limit counts the imports too (only the interpreter's start-up is before).
STARTED = _time.perf_counter()
