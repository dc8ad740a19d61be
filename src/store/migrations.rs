//! Versioned schema migrations, embedded in the binary and applied at open.
//!
//! The schema version is SQLite's `PRAGMA user_version`. Migration N brings the schema
//! from version N-1 to N; a database at a higher version than this binary knows is refused.

use rusqlite::Connection;

/// The migrations in order; index 0 is version 1.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("foundation", include_str!("migrations/0001_foundation.sql")),
    ("export", include_str!("migrations/0002_export.sql")),
    ("mapping", include_str!("migrations/0003_mapping.sql")),
    ("key_check", include_str!("migrations/0004_key_check.sql")),
    ("audit_team", include_str!("migrations/0005_audit_team.sql")),
    ("stages", include_str!("migrations/0006_stages.sql")),
    ("sync", include_str!("migrations/0007_sync.sql")),
    (
        "sync_stream",
        include_str!("migrations/0008_sync_stream.sql"),
    ),
    (
        "sync_record_counts",
        include_str!("migrations/0009_sync_record_counts.sql"),
    ),
];

/// The schema version this binary writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Applies every migration above `current`, each in its own transaction with the version bump.
pub fn apply(conn: &mut Connection, current: i64) -> rusqlite::Result<()> {
    for (index, (_name, sql)) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version <= current {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}
