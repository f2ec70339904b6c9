"""Benchmarks of the living review (`make bench`): each comparison run side by side in one command."""
