"""Knowledge shared by a fleet of hosts through PostgreSQL (`knowledge.fleet`).

Each host's SQLite stays its source of truth; an outbox replicates it to PostgreSQL from a thread
of its own (outbox.py, worker.py), and the fleet record and quarantine are read back into memory
(record.py, view.py), where the loop consults them without ever waiting for PostgreSQL."""
