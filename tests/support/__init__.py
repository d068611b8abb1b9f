"""What tests and benchmarks share: photo makers (``photos``), the CLI runner (``cli``) and the waits
for a running indexing service (``service``). Import from the submodules."""
