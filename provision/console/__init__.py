"""The trainer's console: a small web application over the CLI's own library calls (`provision console`).

``app`` holds the routes; ``auth`` the console password, the session key, CSRF tokens and the lock-out;
``jobs`` runs each action on a thread of its own with its progress for server-sent events; ``charts``
draws the books as SVG on the server; ``words`` is the interface's Russian and English. Templates and
static files ship inside the package: customer sites are offline."""
