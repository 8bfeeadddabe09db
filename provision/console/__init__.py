"""The trainer's console: a small web application over the CLI's own library calls (`provision console`).

``app`` assembles the routes, the middleware (``headers``) and the state (``context``: the shared
:class:`Console` and a request's :class:`Call`); the endpoints are module-level functions by subject:
``pages`` and ``actions`` the trainer's, behind one decorator (``guard.trainer``: the session and the CSRF
token), ``session`` logging in and out, ``trainee`` a seat's link page, ``progress`` a job's page and
events. ``auth`` holds the console password, the session key and CSRF tokens; ``lockout``
the answer to wrong passwords (slowed by address and overall, never locking out the trainer's machine);
``serve`` how it listens (plain HTTP on loopback, HTTPS beyond) with ``tls`` its certificate; ``jobs``
runs each action on a thread of its own with its progress for server-sent events; ``charts`` draws the
books as SVG on the server; ``words`` is the interface's Russian and English. Templates and static files
ship inside the package: customer sites are offline."""
