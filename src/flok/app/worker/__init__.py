"""Background runs: a queue (threads or procrastinate) and the executor both share."""
