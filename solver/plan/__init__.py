"""A plan as a value: where everyone is after it (Plan) and how the solve ended (Result)."""
