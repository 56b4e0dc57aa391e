"""Bonus schemes and runs: the designer, objectives, runs and their approval, questions, simulation, my bonus."""
