"""Time, owned by APScheduler 3.x: one interval job per distinct check interval (the checks of
that interval collected together), a cron job for maintenance, and what the watchdog, /readyz
and `mapekd status` read of it (when each group last completed, each job's next run)."""
