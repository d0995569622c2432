//! The install flow as a person sees it: headless Chromium, driven over WebDriver
//! (chromedriver), clicks "Add to Slack" on the install page served by `SlackRoutes`, goes
//! clicks Allow or Cancel on the simulator's consent page and lands on the success or failure
//! page.
//! Screenshots land in `target/browser/` (`install-page.png`, `consent.png`,
//! `install-success.png`, `install-cancelled.png`, `install-refused.png`).
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`;
//! `.ci/browser` installs them). Without them the test says so and passes, unless
//! `SLACK_OAUTH_REQUIRE_BROWSER=1`, when it fails. `SLACK_OAUTH_CHROMEDRIVER` and
//! `SLACK_OAUTH_CHROMIUM` point at other binaries.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{App, APP_ID, TEAM_ID, TEAM_NAME};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// chromedriver, started by this test and killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path));
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|path| path.is_file())
}

/// chromedriver and chromium, or `None` (after saying so loudly) when either is missing
/// and the browser is not required.
fn browser() -> Option<(Driver, PathBuf)> {
    let driver = find("SLACK_OAUTH_CHROMEDRIVER", &["chromedriver"]);
    let chromium = find(
        "SLACK_OAUTH_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let (Some(driver), Some(chromium)) = (driver, chromium) else {
        if std::env::var("SLACK_OAUTH_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("SLACK_OAUTH_REQUIRE_BROWSER=1 but chromium or chromedriver is missing");
        }
        eprintln!(
            "SKIPPED: the browser test needs chromium and chromedriver \
             (apt-get install chromium chromium-driver); set SLACK_OAUTH_REQUIRE_BROWSER=1 to fail instead"
        );
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        },
        chromium,
    ))
}

/// A fresh headless browser (its own profile: no cookies shared with other sessions).
async fn session(driver: &Driver, chromium: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=900,700"],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A screenshot once `#id` is on the page.
async fn screenshot_when(client: &Client, id: &str, name: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id} for {name}: {e}"));
    screenshot(client, name).await;
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let path = screenshots().join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

/// Slack's consent page (the simulator's, for browsers): clicks Allow or Cancel.
async fn consent(client: &Client, allow: bool) {
    let id = if allow { "allow" } else { "deny" };
    let button = client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no consent page with #{id}: {e}"));
    button.click().await.expect("the consent button clicks");
}

/// The text of `#id` once the page that has it is loaded (an element of a page still being
/// replaced goes stale: look again).
async fn text(client: &Client, id: &str) -> String {
    for _ in 0..3 {
        let found = client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Id(id))
            .await;
        match found {
            Ok(element) => match element.text().await {
                Ok(text) => return text,
                Err(_) => continue,
            },
            Err(e) => panic!(
                "no #{id} on {}: {e}\n{}",
                client.current_url().await.unwrap(),
                client.source().await.unwrap_or_default()
            ),
        }
    }
    panic!("#{id} kept going stale");
}

#[test]
fn install_in_a_real_browser() {
    let Some((driver, chromium)) = browser() else {
        return;
    };
    let app = App::start(|flow| flow.with_pkce(true));
    app.runtime.block_on(async {
        // Allow: install page -> "Add to Slack" -> Slack -> success page.
        let person = session(&driver, &chromium).await;
        person.goto(&app.url("/slack/install")).await.unwrap();
        assert_eq!(person.title().await.unwrap(), "Add Acme Bot to Slack");
        screenshot(&person, "install-page.png").await;
        person
            .find(Locator::Id("add-to-slack"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        consent(&person, true).await;
        assert_eq!(text(&person, "team-name").await, TEAM_NAME);
        let open = person.find(Locator::Id("open-slack")).await.unwrap();
        assert_eq!(
            open.attr("href").await.unwrap().as_deref(),
            Some(format!("slack://app?team={TEAM_ID}&id={APP_ID}").as_str())
        );
        screenshot(&person, "install-success.png").await;
        // The success page is a page of its own (the redirect answered 303): a reload shows
        // it again, without sending the code to Slack a second time.
        person.refresh().await.unwrap();
        assert_eq!(text(&person, "team-name").await, TEAM_NAME);
        assert_eq!(app.sim.sim().calls("oauth.v2.access"), 1);
        let source = person.source().await.unwrap();
        let stored = app.stored().expect("the installation is stored");
        assert!(!source.contains(stored.bot.as_ref().unwrap().token.expose()));
        assert!(
            person.get_all_cookies().await.unwrap().is_empty(),
            "the state cookie is cleared"
        );
        person.close().await.unwrap();
        // Forget the install (its bot record and the installer's own record) before the next.
        let team = slack_oauth_core::installation::InstallationKey::new(APP_ID).with_team(TEAM_ID);
        for key in slack_oauth_core::Store::keys(&*app.store, &team.prefix()).unwrap() {
            slack_oauth_core::Store::delete(&*app.store, &key).unwrap();
        }

        // Cancel: the failure page, nothing stored.
        let person = session(&driver, &chromium).await;
        person.goto(&app.url("/slack/install")).await.unwrap();
        person
            .find(Locator::Id("add-to-slack"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        screenshot_when(&person, "deny", "consent.png").await;
        consent(&person, false).await;
        assert_eq!(text(&person, "error-code").await, "access_denied");
        screenshot(&person, "install-cancelled.png").await;
        assert!(app.store.is_empty());
        person.close().await.unwrap();

        // A second browser using the first one's redirect: refused, nothing stored.
        let first = session(&driver, &chromium).await;
        first.goto(&app.url("/slack/install")).await.unwrap();
        let authorize = first
            .find(Locator::Id("add-to-slack"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let redirect = common::Browser::new().get(&authorize).location().unwrap();
        let second = session(&driver, &chromium).await;
        second.goto(&redirect).await.unwrap();
        assert_eq!(text(&second, "error-code").await, "no_state_cookie");
        assert!(app.store.is_empty());
        second.close().await.unwrap();

        // A forged state in the browser that started the install: refused, nothing stored.
        let forged = redirect.replace("state=", "state=AAAA");
        first.goto(&forged).await.unwrap();
        assert_eq!(text(&first, "error-code").await, "state_mismatch");
        screenshot(&first, "install-refused.png").await;
        assert!(app.store.is_empty());
        first.close().await.unwrap();
    });
}
