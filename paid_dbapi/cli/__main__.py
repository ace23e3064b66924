"""`python -m paid_dbapi.cli` runs `paid-sql`."""

import sys

from . import main

sys.exit(main())
