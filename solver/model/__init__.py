"""The CP-SAT model of one year's rotation and the objective's named terms."""
