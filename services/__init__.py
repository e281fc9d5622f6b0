"""The platform's services.

psycopg's binary build waits for PostgreSQL in C unless told otherwise, which
would freeze every green thread of a service during each query. Waiting through
`select` (which eventlet makes cooperative) must be chosen before psycopg is
first imported, and every process imports this package before it does.
"""

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
