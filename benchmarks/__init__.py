"""Benchmarks of autograd_engine against NumPy by hand and peer libraries (see README.md).

Kept free of imports: a worker process imports only what its implementation needs.
"""
