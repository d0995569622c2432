//! `SLACK_OAUTH_KEYS`, `keys generate` and `installations rekey`: installations sealed at
//! rest in a SQLite store the real binary writes, against the simulator. (The sealing layer
//! itself is tested on every backend in the stores crate.)

use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::Value;
use slack_oauth::stores::{AnyStore, Keyring, Stored};
use slack_oauth::{Installation, Store};
use slack_oauth_sim::{AppConfig, Server, Sim};

const BIN: &str = env!("CARGO_BIN_EXE_slack-oauth");
const CLIENT_ID: &str = "111.444";
const SECRET: &str = "keys-secret-CANARY-71d0";
const TEAM: &str = "T0SIM";
const K1: &str = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const K2: &str = "k2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    fn ok(&self) -> Value {
        assert_eq!(self.code, 0, "{self:?}");
        serde_json::from_str(self.stdout.trim()).expect("stdout is one JSON object")
    }
}

fn slack_oauth(keys: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("SLACK_CLIENT_ID", CLIENT_ID)
        .env("SLACK_CLIENT_SECRET", SECRET)
        .env_remove("SLACK_OAUTH_STORE")
        .env_remove("SLACK_OAUTH_STORE_NAMESPACE")
        .env_remove("SLACK_OAUTH_KEYS")
        .stdin(Stdio::null());
    if let Some(keys) = keys {
        command.env("SLACK_OAUTH_KEYS", keys);
    }
    let output = command.output().unwrap();
    let run = Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    for key in [K1, K2] {
        let material = key.split_once(':').unwrap().1;
        assert!(
            !run.stdout.contains(material) && !run.stderr.contains(material),
            "key material printed: {run:?}"
        );
    }
    run
}

/// The simulator, an app installed with bot and user tokens and saved by `access --store`
/// with the ring `keys`.
fn installed(store: &str, keys: &str) -> Server {
    let sim = Sim::new();
    sim.register_app(
        AppConfig::new(CLIENT_ID, SECRET)
            .token_rotation(true)
            .bot_scopes("chat:write")
            .user_scopes("search:read"),
    );
    let server = Server::start(sim).unwrap();
    let url = slack_oauth::AuthorizeUrl::new(CLIENT_ID)
        .with_base_url(&server.url())
        .unwrap()
        .bot_scopes(["chat:write"])
        .user_scopes(["search:read"])
        .redirect_uri("http://127.0.0.1:9/cb")
        .build()
        .unwrap();
    let redirect = server.sim().approve(&url).unwrap();
    let query = redirect.split_once('?').unwrap().1;
    let code = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let base = server.base_url();
    slack_oauth(
        Some(keys),
        &[
            "--base-url",
            &base,
            "access",
            "--code",
            &code,
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
            "--store",
            store,
        ],
    )
    .ok();
    server
}

/// Every byte of the SQLite store on disk.
fn raw(dir: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        all.push_str(&String::from_utf8_lossy(
            &std::fs::read(entry.unwrap().path()).unwrap(),
        ));
    }
    all
}

/// The records as stored (sealed values untouched), with their versions.
fn records(store: &str) -> Vec<(String, u64, String)> {
    let inner = AnyStore::<Installation>::open(store).unwrap().sealed(None);
    let inner = inner.inner();
    let mut all = Vec::new();
    for key in inner.keys("").unwrap() {
        let record = inner.load(&key).unwrap().unwrap();
        all.push((
            key,
            record.version,
            serde_json::to_string(&record.value).unwrap(),
        ));
    }
    all
}

#[test]
fn keys_generate_prints_a_new_ring_entry() {
    let a = slack_oauth(None, &["keys", "generate", "--id", "k-2"]).ok();
    let b = slack_oauth(None, &["keys", "generate", "--id", "k-2"]).ok();
    assert_eq!(a["id"], "k-2");
    let entry = a["entry"].as_str().unwrap();
    assert_ne!(entry, b["entry"].as_str().unwrap(), "fresh random keys");
    let key = entry.strip_prefix("k-2:").unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key)
        .unwrap();
    assert_eq!(bytes.len(), 32);
    assert_eq!(Keyring::parse(entry).unwrap().sealing_id(), "k-2");
    let default = slack_oauth(None, &["keys", "generate"]).ok();
    assert!(
        default["id"].as_str().unwrap().starts_with('k'),
        "{default}"
    );
    let bad = slack_oauth(None, &["keys", "generate", "--id", "no spaces"]);
    assert_eq!(bad.code, 2, "{bad:?}");
}

#[test]
fn sealed_install_token_list_and_rekey() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("tokens.db").display());
    let server = installed(&store, K1);
    let base = server.base_url();
    assert!(!raw(dir.path()).contains("xox"), "a token in the file");

    let token = slack_oauth(
        Some(K1),
        &[
            "--base-url",
            &base,
            "token",
            "--store",
            &store,
            "--team",
            TEAM,
        ],
    )
    .ok();
    let bot = token["token"].as_str().unwrap().to_owned();
    assert!(bot.starts_with("xox"), "{token}");
    let list = slack_oauth(Some(K1), &["installations", "list", "--store", &store]).ok();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 2, "{list}");

    let ring = format!("{K2},{K1}");
    let rekeyed = slack_oauth(Some(&ring), &["installations", "rekey", "--store", &store]).ok();
    assert_eq!(
        rekeyed,
        serde_json::json!({"ok": true, "key_id": "k2", "records": 2, "rewritten": 2,
            "current": 0, "vanished": 0})
    );
    let again = slack_oauth(Some(&ring), &["installations", "rekey", "--store", &store]).ok();
    assert_eq!(
        (again["rewritten"].as_u64(), again["current"].as_u64()),
        (Some(0), Some(2))
    );
    // The old key can go.
    let token = slack_oauth(
        Some(K2),
        &[
            "--base-url",
            &base,
            "token",
            "--store",
            &store,
            "--team",
            TEAM,
        ],
    )
    .ok();
    assert_eq!(token["token"], bot.as_str());
    // The async keeper's store is sealed too.
    let token = slack_oauth(
        Some(K2),
        &[
            "--base-url",
            &base,
            "--transport",
            "hyper",
            "token",
            "--store",
            &store,
            "--team",
            TEAM,
        ],
    )
    .ok();
    assert_eq!(token["token"], bot.as_str());
    let run = slack_oauth(
        Some(K1),
        &[
            "--base-url",
            &base,
            "--transport",
            "hyper",
            "token",
            "--store",
            &store,
            "--team",
            TEAM,
        ],
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("`k2`"), "{run:?}");
    assert!(!raw(dir.path()).contains("xox"), "a token in the file");
}

#[test]
fn a_missing_key_or_a_tampered_record_exits_3_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("tokens.db").display());
    let server = installed(&store, K1);
    let base = server.base_url();
    let before = records(&store);

    for keys in [Some(K2), None] {
        let run = slack_oauth(
            keys,
            &[
                "--base-url",
                &base,
                "token",
                "--store",
                &store,
                "--team",
                TEAM,
            ],
        );
        assert_eq!(run.code, 3, "{run:?}");
        assert!(run.stderr.contains("`k1`"), "{run:?}");
        let run = slack_oauth(
            keys.or(Some(K2)),
            &["installations", "rekey", "--store", &store],
        );
        assert_eq!(run.code, 3, "{run:?}");
        assert!(run.stderr.contains("`k1`"), "{run:?}");
        assert_eq!(records(&store), before, "nothing changed");
    }

    // The bot's sealed value copied over the user's record.
    let inner = AnyStore::<Installation>::open(&store).unwrap().sealed(None);
    let bot: Vec<_> = before
        .iter()
        .filter(|(k, ..)| k.ends_with("/bot"))
        .collect();
    let user: Vec<_> = before
        .iter()
        .filter(|(k, ..)| k.contains("/user/"))
        .collect();
    let copied: Stored<Installation> = serde_json::from_str(&bot[0].2).unwrap();
    inner.inner().put(&user[0].0, &copied).unwrap();
    let tampered = records(&store);
    let run = slack_oauth(Some(K1), &["installations", "rekey", "--store", &store]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains(&user[0].0), "names the record: {run:?}");
    assert_eq!(records(&store), tampered, "nothing changed");
}

#[test]
fn a_malformed_ring_exits_2_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("tokens.db").display());
    let short = "k1:c2VjcmV0LWtleS1tYXRlcmlhbA";
    for keys in [
        short,
        "k1",
        "bad id:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        &format!("{K1},{K1}"),
    ] {
        let run = slack_oauth(Some(keys), &["installations", "list", "--store", &store]);
        assert_eq!(run.code, 2, "{keys}: {run:?}");
        assert!(run.stderr.contains("SLACK_OAUTH_KEYS"), "{run:?}");
        assert!(
            !run.stderr.contains("c2VjcmV0LWtleS1tYXRlcmlhbA"),
            "{run:?}"
        );
        assert!(!run.stderr.contains("AQEBAQEB"), "{run:?}");
    }
    let run = slack_oauth(None, &["installations", "rekey", "--store", &store]);
    assert_eq!(run.code, 2, "rekey needs a ring: {run:?}");
}
