"""Strategies behind one interface, and an independent verifier."""
