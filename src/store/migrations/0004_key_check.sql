-- Hardening: a value sealed with the store's key when the first key is used. A key that
-- does not open it is refused before anything is sealed with it, so one database never
-- holds secrets sealed with two different keys.
CREATE TABLE key_check (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    nonce      BLOB NOT NULL,
    sealed     BLOB NOT NULL,
    created_at TEXT NOT NULL
);
