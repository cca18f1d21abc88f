-- Facts about the base itself. `base_id` (a random id written once, when the base is created
-- or first opened by this version) tells records of this base from those of another one (a
-- corrupt base moved aside and started afresh, another host's base) wherever they are copied.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
