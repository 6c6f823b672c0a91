"""Data the lessons use: MNIST, Fashion-MNIST, and lesson 7's base model trained on it."""
