"""provision: per-client demo and training environments for «Одно Окно».

``__all__`` lists the errors every layer raises (with the exit code each means) and the version. The
functions the CLI calls live in their layers, lowest first: :mod:`provision.clients.lifecycle` (a client's
containers), :mod:`provision.clients.database`, :mod:`provision.training.seats` and :mod:`provision.training.snapshots`,
:mod:`provision.books.seeding`, :mod:`provision.books.legacy` (the customer's own data), :mod:`provision.books.bringup`
(``up``); :mod:`provision.cli` is a thin shell over them.
"""

from __future__ import annotations

__version__ = "0.1.0"

from provision.errors import (
    EnvironmentProblem,
    InputError,
    OperationFailed,
    ProfileError,
    ProvisionError,
)

__all__ = [
    "EnvironmentProblem",
    "InputError",
    "OperationFailed",
    "ProfileError",
    "ProvisionError",
    "__version__",
]
