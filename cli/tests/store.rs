//! `rotate-config-token --store FILE` against the simulator, where it can go wrong: a folder
//! that lets us create files but not replace FILE, a stdout nobody reads, the leftovers of a
//! run killed between writing the new pair and the rename, and two runs at once.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use slack_oauth_sim::{Fault, Server, Sim};

const BIN: &str = env!("CARGO_BIN_EXE_slack-oauth");
const ROTATE: &str = "tooling.tokens.rotate";

/// A simulator with one configuration token pair, and a store file holding it.
struct Setup {
    server: Server,
    dir: tempfile::TempDir,
    store: PathBuf,
    first: Value,
}

fn setup() -> Setup {
    let server = Server::start(Sim::new()).expect("the simulator starts");
    let (token, refresh) = server.sim().seed_config_token("T0STORE", "U0STORE");
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("config-token.json");
    let first = serde_json::json!({
        "token": token, "refresh_token": refresh,
        "team_id": "T0STORE", "user_id": "U0STORE", "iat": 100, "exp": 200,
    });
    std::fs::write(&store, first.to_string()).unwrap();
    Setup {
        server,
        dir,
        store,
        first,
    }
}

impl Setup {
    /// `rotate-config-token --store` as a child process, stdout and stderr piped.
    fn spawn(&self, configure: impl FnOnce(&mut Command)) -> Child {
        let mut command = Command::new(BIN);
        command
            .args(["--base-url", &self.server.base_url(), "rotate-config-token"])
            .arg("--store")
            .arg(&self.store)
            .env_remove("SLACK_CONFIG_REFRESH_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        configure(&mut command);
        command.spawn().expect("the binary starts")
    }

    fn stored(&self) -> Value {
        serde_json::from_slice(&std::fs::read(&self.store).unwrap()).unwrap()
    }

    /// The store's refresh token still works: rotate it once more (without the store).
    fn assert_live(&self, pair: &Value) {
        let output = Command::new(BIN)
            .args(["--base-url", &self.server.base_url(), "rotate-config-token"])
            .env("SLACK_CONFIG_REFRESH_TOKEN", text(pair, "refresh_token"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
    }
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn finish(mut child: Child) -> Run {
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).unwrap();
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    Run {
        code: status.code().expect("exited"),
        stdout,
        stderr,
    }
}

fn text(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {value}"))
        .to_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Waits (bounded) until the simulator has received `n` rotations.
fn wait_for_calls(server: &Server, n: u64) {
    let start = Instant::now();
    while server.sim().calls(ROTATE) < n {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{ROTATE} was not called"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(unix)]
#[test]
fn a_sticky_folder_that_forbids_the_rename_is_found_before_slack_is_called() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;

    // Only root can make a file owned by someone else; CI runs as root.
    let probe = tempfile::tempfile().unwrap();
    if probe.metadata().unwrap().uid() != 0 {
        eprintln!("skipped: needs root to give the folder and the store to another user");
        return;
    }
    let s = setup();
    // A shared folder (like /tmp): anyone may create files, but only a file's owner (or the
    // folder's) may replace it. The store belongs to root and is writable by all; the
    // command runs as `nobody`.
    std::fs::set_permissions(s.dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::set_permissions(&s.store, std::fs::Permissions::from_mode(0o666)).unwrap();
    let before = std::fs::read(&s.store).unwrap();
    let run = finish(s.spawn(|c| {
        c.uid(65534).gid(65534);
    }));
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert!(run.stderr.contains("cannot be replaced"), "{run:?}");
    assert_eq!(s.server.sim().calls(ROTATE), 0, "Slack was called");
    assert_eq!(std::fs::read(&s.store).unwrap(), before);
    assert_eq!(files_in(s.dir.path()), ["config-token.json"]);
}

#[cfg(unix)]
#[test]
fn an_unreplaceable_store_and_a_closed_stdout_keep_the_new_pair_in_the_temporary_file() {
    use std::os::unix::fs::PermissionsExt;

    for stdout_open in [false, true] {
        let s = setup();
        // Slack answers late; meanwhile the store turns into a folder, which no file can be
        // renamed over.
        s.server
            .sim()
            .inject(ROTATE, Fault::Delay(Duration::from_secs(2)), 1);
        let mut child = s.spawn(|_| {});
        if !stdout_open {
            // Nobody reads stdout: the pipe is closed and printing fails.
            drop(child.stdout.take());
        }
        wait_for_calls(&s.server, 1);
        std::fs::remove_file(&s.store).unwrap();
        std::fs::create_dir(&s.store).unwrap();
        let run = finish(child);
        assert_eq!(run.code, 3, "{run:?}");
        let kept: Vec<String> = files_in(s.dir.path())
            .into_iter()
            .filter(|name| name.ends_with(".tmp"))
            .collect();
        assert_eq!(kept.len(), 1, "one temporary file kept: {run:?}");
        let kept_path = s.dir.path().join(&kept[0]);
        assert!(
            run.stderr.contains(&kept_path.display().to_string()),
            "stderr says where: {run:?}"
        );
        let mode = std::fs::metadata(&kept_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the kept file is private");
        let pair: Value = serde_json::from_slice(&std::fs::read(&kept_path).unwrap()).unwrap();
        assert_ne!(pair["refresh_token"], s.first["refresh_token"]);
        if stdout_open {
            let printed: Value = serde_json::from_str(run.stdout.trim()).unwrap();
            assert_eq!(printed, pair);
            assert!(run.stderr.contains("stdout"), "{run:?}");
        } else {
            assert!(!run.stderr.contains("is on stdout"), "{run:?}");
            assert!(run.stderr.contains("could not be printed"), "{run:?}");
        }
        s.assert_live(&pair);
    }
}

/// The pair a second rotation of `pair` gives, obtained without the store (as a run killed
/// after Slack answered would have received it).
fn rotate_aside(s: &Setup, pair: &Value) -> Value {
    let output = Command::new(BIN)
        .args(["--base-url", &s.server.base_url(), "rotate-config-token"])
        .env("SLACK_CONFIG_REFRESH_TOKEN", text(pair, "refresh_token"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn leftovers_of_a_killed_run_are_found_used_and_cleaned() {
    let s = setup();
    // A run killed between writing its temporary file and the rename: Slack rotated, the
    // store still holds the spent pair, the live one is only in the temporary file.
    let live = rotate_aside(&s, &s.first);
    let dir = s.dir.path();
    let leftover =
        |random: &str| dir.join(format!(".slack-oauth-store-config-token.json.{random}.tmp"));
    std::fs::write(leftover("Kill9aaa"), format!("{live}\n")).unwrap();
    // Most kills leave empty or half-written temporary files; an older pair is useless too.
    std::fs::write(leftover("Kill9bbb"), "").unwrap();
    std::fs::write(leftover("Kill9ccc"), "{\"token\":\"xoxe.xo").unwrap();
    let mut older = s.first.clone();
    older["iat"] = 1.into();
    std::fs::write(leftover("Kill9ddd"), older.to_string()).unwrap();
    // Another store's temporary file in the same folder is not ours to touch.
    let other = dir.join(".slack-oauth-store-other.json.Kill9eee.tmp");
    std::fs::write(&other, "").unwrap();

    let run = finish(s.spawn(|_| {}));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("Kill9aaa"),
        "says which leftover it used: {run:?}"
    );
    let stored = s.stored();
    assert_eq!(
        stored,
        serde_json::from_str::<Value>(run.stdout.trim()).unwrap()
    );
    assert_ne!(stored["refresh_token"], live["refresh_token"]);
    s.assert_live(&stored);
    assert_eq!(
        files_in(dir),
        [
            ".slack-oauth-store-other.json.Kill9eee.tmp",
            "config-token.json"
        ]
    );
}

#[test]
fn two_runs_at_once_take_turns() {
    let s = setup();
    // The first rotation is slow, so the two runs overlap.
    s.server
        .sim()
        .inject(ROTATE, Fault::Delay(Duration::from_secs(1)), 1);
    let first = s.spawn(|_| {});
    wait_for_calls(&s.server, 1);
    let second = s.spawn(|_| {});
    let (first, second) = (finish(first), finish(second));
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(second.code, 0, "{second:?}");
    let a: Value = serde_json::from_str(first.stdout.trim()).unwrap();
    let b: Value = serde_json::from_str(second.stdout.trim()).unwrap();
    assert_ne!(a["refresh_token"], b["refresh_token"]);
    assert_eq!(s.stored(), b, "the later run stored the pair it got");
    assert_eq!(s.server.sim().calls(ROTATE), 2);
    s.assert_live(&b);
    assert_eq!(files_in(s.dir.path()), ["config-token.json"]);
}
