"""``python -m benchmarks run [--sizes ...] [--time-limit S] [--workers N] ...``"""

import sys

from .run import main

sys.exit(main())
