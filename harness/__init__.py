"""Real components that the tests and the benchmarks both start: a second Docker daemon, an SSH server, a
site registry, a container run to its end. Neither the library (provision, seed) nor this package imports
the tests; the structure test checks it."""
