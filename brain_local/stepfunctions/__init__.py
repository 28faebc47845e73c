"""Step Functions offline: moto's engine runs the real ASL; what is ours reads its executions back
(:mod:`.runs`)."""
