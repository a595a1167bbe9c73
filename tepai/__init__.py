"""`python -m tepai`: the same command line as `tepai` and `python -m bot`."""
