//! A store's first use: several processes creating one SQLite file (private whatever the
//! umask) and several connections creating one PostgreSQL table at once, and the printed
//! migrations running as they are.

#![cfg(any(feature = "sqlite", feature = "postgres"))]

mod common;

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::fs::PermissionsExt;
    use std::process::{Command, Stdio};

    use slack_oauth_core::Store;
    use slack_oauth_store::{Options, SqliteStore};

    use super::common;

    const CHILD: &str = "SLACK_OAUTH_STORE_TEST_SQLITE_CHILD";

    /// Four processes, each under umask 000, open a file none of them finds, at once, and
    /// write a record each.
    #[test]
    fn processes_create_one_private_file_at_once() {
        let dir = common::TempDir::new();
        let path = dir.0.join("tokens.db");
        let exe = std::env::current_exe().unwrap();
        let mut children: Vec<_> = (0..4)
            .map(|i| {
                Command::new("sh")
                    .arg("-c")
                    .arg(r#"umask 000 && exec "$0" "$@""#)
                    .arg(&exe)
                    .args(["--ignored", "--exact", "sqlite::child", "--nocapture"])
                    .env(CHILD, &path)
                    .env("CHILD_KEY", format!("T{i}"))
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        // All are started before any goes on: they race for the file.
        let mut outputs: Vec<_> = children
            .iter_mut()
            .map(|c| BufReader::new(c.stdout.take().unwrap()).lines())
            .collect();
        for output in &mut outputs {
            assert!(output
                .by_ref()
                .map(Result::unwrap)
                .any(|l| l.contains("@@READY")));
        }
        for child in &mut children {
            writeln!(child.stdin.as_mut().unwrap(), "go").unwrap();
        }
        for output in outputs {
            for line in output.map(Result::unwrap) {
                assert!(!line.contains("@@ERROR"), "{line}");
            }
        }
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the file is {mode:o}");
        let store = SqliteStore::<String>::open(&path).unwrap();
        for i in 0..4 {
            let key = format!("T{i}");
            assert_eq!(
                store.load(&key).unwrap().unwrap().value,
                format!("from {key}")
            );
        }
        // SQLite gives the WAL and shared-memory files the database file's mode.
        for suffix in ["-wal", "-shm"] {
            let side = dir.0.join(format!("tokens.db{suffix}"));
            if let Ok(meta) = std::fs::metadata(&side) {
                assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{suffix}");
            }
        }
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    #[ignore = "the entry point of the first-use test's child processes"]
    fn child() {
        let Ok(path) = std::env::var(CHILD) else {
            return;
        };
        let key = std::env::var("CHILD_KEY").unwrap();
        println!("\n@@READY");
        std::io::stdout().flush().unwrap();
        std::io::stdin().read_line(&mut String::new()).unwrap();
        let written = SqliteStore::<String>::open_with(&path, &Options::new())
            .and_then(|store| store.put(&key, &format!("from {key}")));
        if let Err(e) = written {
            println!("\n@@ERROR {e}");
        }
    }

    #[test]
    fn printed_migration_runs_twice() {
        let sql = SqliteStore::<String>::migration();
        assert!(
            sql.contains("CREATE TABLE IF NOT EXISTS slack_oauth_records"),
            "{sql}"
        );
        let dir = common::TempDir::new();
        let conn = rusqlite::Connection::open(dir.0.join("t.db")).unwrap();
        conn.execute_batch(&sql).unwrap();
        conn.execute_batch(&sql).unwrap();
        drop(conn);
        // A store opens the table made by hand.
        let store = SqliteStore::<String>::open(dir.0.join("t.db")).unwrap();
        store.put("T1", &"v".to_owned()).unwrap();
    }

    #[test]
    fn bad_table_names_are_refused() {
        let dir = common::TempDir::new();
        let e = SqliteStore::<String>::open_with(
            dir.0.join("t.db"),
            &Options::new().namespace("t; DROP TABLE x"),
        )
        .unwrap_err();
        assert!(
            matches!(e, slack_oauth_store::Error::Config { .. }),
            "{e:?}"
        );
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use slack_oauth_core::Store;
    use slack_oauth_store::{Options, PostgresStore};

    use super::common;

    /// Eight connections create one table at once: none fails.
    #[test]
    fn connections_create_one_table_at_once() {
        let Some(pg) = common::Postgres::new() else {
            return;
        };
        let options = Options::new().namespace(&pg.table).pool_size(1);
        let start = std::sync::Barrier::new(8);
        std::thread::scope(|s| {
            let threads: Vec<_> = (0..8)
                .map(|i| {
                    let (options, start, url) = (&options, &start, &pg.url);
                    s.spawn(move || {
                        start.wait();
                        let store = PostgresStore::<String>::open_with(url, options).unwrap();
                        store.put(&format!("T{i}"), &"v".to_owned()).unwrap()
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
        });
        let store = PostgresStore::<String>::open_with(&pg.url, &options).unwrap();
        for i in 0..8 {
            assert!(store.load(&format!("T{i}")).unwrap().is_some());
        }
    }

    #[test]
    fn printed_migration_runs_twice() {
        let Some(pg) = common::Postgres::new() else {
            return;
        };
        let sql = PostgresStore::<String>::migration();
        assert!(
            sql.contains("CREATE TABLE IF NOT EXISTS slack_oauth_records"),
            "{sql}"
        );
        let mut client = common::Postgres::client(&pg.url).unwrap();
        // Into this test's schema, not the database's public one.
        client
            .batch_execute(&format!(
                "CREATE SCHEMA {0}; SET search_path = {0}; {sql} {sql}",
                pg.schema
            ))
            .unwrap();
        let tables: i64 = client
            .query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
                &[&pg.schema],
            )
            .unwrap()
            .get(0);
        assert_eq!(tables, 1);
    }
}
