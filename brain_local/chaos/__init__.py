"""Faults on purpose: the fault plan and its injectors (:mod:`.faults`), and ``brain chaos``'s run
and audit (:mod:`.campaign`)."""
