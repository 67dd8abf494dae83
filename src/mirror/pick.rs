//! Step 1: which snapshot, and which dump in it.

use crate::db::{DumpRecord, Engine};
use crate::repo::snapshot::StoredSnapshot;

/// Step 1: the newest snapshot accepted by `wanted` (or the one `spec` names) holding a
/// dump of `database` for `engine`, and that dump's record.
pub fn pick(
    snaps: &[StoredSnapshot],
    spec: Option<&StoredSnapshot>,
    database: &str,
    engine: Engine,
) -> std::result::Result<(StoredSnapshot, DumpRecord), String> {
    let holds = |s: &StoredSnapshot| -> std::result::Result<Option<DumpRecord>, String> {
        let found: Vec<&DumpRecord> = s
            .snap
            .databases
            .iter()
            .filter(|r| r.engine == engine && r.database.as_deref() == Some(database))
            .collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            many => Err(format!(
                "snapshot {} holds database {database:?} from {} servers ({}); mirror one \
                 server's snapshots (narrow with --host/--tag/--path)",
                s.id.short(),
                many.len(),
                many.iter()
                    .map(|r| r.server.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    };
    if let Some(s) = spec {
        return match holds(s)? {
            Some(r) => Ok((s.clone(), r)),
            None => Err(format!(
                "snapshot {} holds no {engine} database {database:?}{}",
                s.id.short(),
                held_list(std::slice::from_ref(s), engine)
            )),
        };
    }
    for s in snaps.iter().rev() {
        if let Some(r) = holds(s)? {
            return Ok((s.clone(), r));
        }
    }
    Err(format!(
        "no snapshot holds a {engine} database {database:?}{}",
        held_list(snaps, engine)
    ))
}

/// " (databases in the snapshots: a, b)", to show a typo as one.
fn held_list(snaps: &[StoredSnapshot], engine: Engine) -> String {
    let mut names: Vec<&str> = snaps
        .iter()
        .flat_map(|s| &s.snap.databases)
        .filter(|r| r.engine == engine)
        .filter_map(|r| r.database.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        String::new()
    } else {
        format!(
            " ({engine} databases in the snapshots: {})",
            names.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunker::ChunkSizes;
    use crate::ids::{BlobId, SnapshotId};
    use crate::repo::snapshot::{Snapshot, SnapshotStats, SourceKind};

    fn dump(server: &str, db: Option<&str>) -> DumpRecord {
        DumpRecord {
            engine: Engine::Postgresql,
            server: server.into(),
            database: db.map(str::to_string),
            path: format!("postgresql/{}.pgdump", db.unwrap_or("globals")),
            format: "custom".into(),
            server_version: "15".into(),
            client_version: "pg_dump 15".into(),
            bytes: 1,
            duration_secs: 0.1,
            tables: Vec::new(),
            options: Vec::new(),
        }
    }

    fn snap(n: u8, dumps: Vec<DumpRecord>) -> StoredSnapshot {
        StoredSnapshot {
            id: SnapshotId([n; 32]),
            snap: Snapshot {
                version: 1,
                time: chrono::DateTime::from_timestamp(1_800_000_000 + n as i64, 0).unwrap(),
                host: "db1".into(),
                profile: None,
                source: SourceKind::Files,
                paths: Vec::new(),
                tags: Vec::new(),
                tree: BlobId([0; 32]),
                parent: None,
                chunk_sizes: ChunkSizes::FILES,
                stats: SnapshotStats::default(),
                tool: "test".into(),
                databases: dumps,
                repaired: None,
                copied_from: None,
            },
        }
    }

    #[test]
    fn the_newest_snapshot_holding_the_database_is_picked() {
        let snaps = [
            snap(1, vec![dump("pg://a", Some("app"))]),
            snap(2, vec![dump("pg://a", Some("app")), dump("pg://a", None)]),
            snap(3, vec![dump("pg://a", Some("other"))]),
        ];
        let (s, r) = pick(&snaps, None, "app", Engine::Postgresql).unwrap();
        assert_eq!(
            (s.id, r.path.as_str()),
            (SnapshotId([2; 32]), "postgresql/app.pgdump")
        );
        let (s, _) = pick(&snaps, Some(&snaps[0]), "app", Engine::Postgresql).unwrap();
        assert_eq!(s.id, SnapshotId([1; 32]));
    }

    #[test]
    fn missing_and_ambiguous_databases_are_explained() {
        let snaps = [
            snap(
                1,
                vec![dump("pg://a", Some("app")), dump("pg://b", Some("app"))],
            ),
            snap(2, vec![dump("pg://a", Some("shop"))]),
        ];
        let e = pick(&snaps, None, "ap", Engine::Postgresql).unwrap_err();
        assert_eq!(
            e,
            "no snapshot holds a postgresql database \"ap\" (postgresql databases in the \
             snapshots: app, shop)"
        );
        let e = pick(&snaps, None, "app", Engine::Postgresql).unwrap_err();
        assert!(e.contains("from 2 servers (pg://a, pg://b)"), "{e}");
        let e = pick(&snaps, Some(&snaps[1]), "app", Engine::Postgresql).unwrap_err();
        assert!(
            e.starts_with("snapshot 02020202 holds no postgresql database \"app\""),
            "{e}"
        );
        assert!(pick(&snaps, None, "app", Engine::Mysql).is_err());
    }
}
