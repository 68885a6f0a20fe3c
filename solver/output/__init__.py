"""Writers: the plan folder and the comparison's folder, atomically."""
