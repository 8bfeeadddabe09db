"""The parts of the synthetic generator, each a function of explicit inputs; ``seed.generate`` runs them.

Layers, lowest first: ``base`` (array types, a chunk's output, the calendar of the run), then
``buildings``, ``accounts``, ``households``, ``usage``, ``meters``, ``charges``, ``services``,
``payments`` and ``reference``. Every part that draws takes the chunk's random stream and must keep
its draws in the order they were made: the data of a seed is fixed by that order.
"""
