"""provision: per-client demo and training environments for «Одно Окно».

The public API is what ``__all__`` lists; the CLI in :mod:`provision.cli` is a
thin shell over it.
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
