"""The parts of the synthetic generator, each a function of explicit inputs; ``seed.generate`` runs them."""
