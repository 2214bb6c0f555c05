"""What the tests share: fixtures (registered in `tests/conftest.py`), readers of simulated exports, servers and
proxies that stand in for the systems a municipality runs, and the crash tests' child process."""
