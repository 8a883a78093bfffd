"""What leaves the system for people outside it: the board pack, open-data exports."""
