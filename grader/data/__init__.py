"""Data sets the lessons use (MNIST)."""
