"""What leaves the system for people outside it: files built from the store or a validation."""
