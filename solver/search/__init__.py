"""The search: the engine (every CP-SAT search), the model build, the drivers and the diagnosis."""
