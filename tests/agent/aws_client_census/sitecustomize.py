"""Counts the botocore clients a process builds, for tests that run the real server (tests/agent/test_aws_clients.py).

Python imports ``sitecustomize`` at start-up from the first directory on ``sys.path`` that has one (the ``site``
module), so putting this folder on ``PYTHONPATH`` instruments a subprocess without changing how it is started.
Every botocore session registers ``botocore.handlers.BUILTIN_HANDLERS`` when it is created (botocore
``session.py``, ``Session.__init__`` → ``_register_builtin_handlers``), and building a client emits
``creating-client-class.<service>`` (botocore ``client.py``, ``ClientCreator._create_client_class``, once per
``create_client``). A handler added to that list therefore hears every client of every session the process
makes, also those of sessions a library creates for itself. Each client appends its service to the file named
by ``AWS_CLIENT_CENSUS``, one line each, before the request that built it is answered.
"""

from __future__ import annotations

import os

CENSUS_ENV = "AWS_CLIENT_CENSUS"


def _count_clients_into(path: str) -> None:
    from botocore import handlers

    def count(event_name: str, **_: object) -> None:
        with open(path, "a", encoding="utf-8") as census:
            census.write(event_name.removeprefix("creating-client-class.") + "\n")

    handlers.BUILTIN_HANDLERS.append(("creating-client-class", count))


if os.environ.get(CENSUS_ENV):
    _count_clients_into(os.environ[CENSUS_ENV])
