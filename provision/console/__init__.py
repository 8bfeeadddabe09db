"""The trainer's console: a small web application over the CLI's own library calls (`provision console`).

``app`` holds the routes; ``auth`` the console password, the session key and CSRF tokens; ``lockout``
the answer to wrong passwords (slowed by address and overall, never locking out the trainer's machine);
``serve`` how it listens (plain HTTP on loopback, HTTPS beyond) with ``tls`` its certificate; ``jobs``
runs each action on a thread of its own with its progress for server-sent events; ``charts`` draws the
books as SVG on the server; ``words`` is the interface's Russian and English. Templates and static files
ship inside the package: customer sites are offline."""
