"""The worker pool: queue tasks (procrastinate), job execution, the daemon."""
